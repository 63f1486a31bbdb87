"""Port requests through the GraphQL API (both stores): the happy path with the numbers' states, the PIN
never returned, admin-only comments hidden, and visibility for unrelated accounts."""

from __future__ import annotations

import json
from typing import Any

from graphql import GraphQLObjectType

from numplane.schema.schema import build_schema
from tests.support.api import Api

A, B = "+14155550171", "+14155550172"
PIN = "8642-secret"
PDF = b"%PDF-1.5\n" + bytes(range(256)) * 40

FIELDS = """requestId state numbers revision carrier: losingCarrier { pinSet name accountNumber }
  log { from to by comment } comments { text adminOnly by } documents { kind size contentType downloadUrl }
  allowedMoves"""


def mutation(name: str, input_type: str, errors: str = "code message") -> str:
    return (f"mutation($i: {input_type}!) {{ {name}(input: $i) {{ portRequest {{ {FIELDS} }} "
            f"userErrors {{ {errors} }} }} }}")


CREATE = mutation("createPortRequest", "CreatePortRequestInput", "code message number")
MOVE = mutation("movePortRequest", "MovePortRequestInput")
SUBMIT = mutation("submitPortRequest", "PortRequestActionInput")
COMMENT = mutation("addPortComment", "AddPortCommentInput")
UPLOAD = mutation("uploadPortDocument", "UploadPortDocumentInput", "code message field")
READ = f"query($id: String!) {{ portRequest(id: $id) {{ {FIELDS} }} }}"
NUMBER = "query($n: String!) { number(number: $n) { state portedIn portRequest { requestId state } } }"


async def create(api: Api, key: str = "child", numbers: tuple[str, ...] = (A, B)) -> dict[str, Any]:
    data = await api.data(CREATE, {"i": {
        "numbers": list(numbers), "billingName": "Child Inc", "serviceAddress": "1 Main St",
        "desiredCutOverAt": "2030-01-01T00:00:00Z",
        "losingCarrier": {"name": "Old Telco", "accountNumber": "AC-9", "pin": PIN},
    }}, key=key)
    payload: dict[str, Any] = data["createPortRequest"]
    assert payload["userErrors"] == [], payload
    return dict(payload["portRequest"])


async def upload(api: Api, request_id: str, content: bytes, key: str = "child") -> dict[str, Any]:
    operations = {"query": UPLOAD, "variables": {"i": {"id": request_id, "kind": "LETTER_OF_AUTHORIZATION",
                                                       "file": None}}}
    response = await api.client.post(
        "/graphql", headers={"Authorization": f"Bearer {api.keys[key]}"},
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.i.file"]})},
        files={"0": ("loa.pdf", content, "application/pdf")},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    return dict(body["data"]["uploadPortDocument"])


async def test_port_through_the_api_shows_numbers_in_port_in_then_in_service(api: Api) -> None:
    request = await create(api)
    assert request["state"] == "UNCONFIRMED" and request["allowedMoves"] == ["SUBMITTED", "CANCELED"]
    assert (await upload(api, request["requestId"], PDF))["userErrors"] == []
    submitted = (await api.data(SUBMIT, {"i": {"id": request["requestId"]}}, key="child"))["submitPortRequest"]
    assert submitted["userErrors"] == [] and submitted["portRequest"]["state"] == "SUBMITTED"
    number = (await api.data(NUMBER, {"n": A}, key="child"))["number"]
    assert number == {"state": "PORT_IN", "portedIn": False,
                      "portRequest": {"requestId": request["requestId"], "state": "SUBMITTED"}}
    rid = request["requestId"]
    for step in ({"to": "PENDING"}, {"to": "SCHEDULED", "scheduledAt": "2030-01-02T00:00:00Z"},
                 {"to": "COMPLETED", "comment": "ported"}):
        moved = (await api.data(MOVE, {"i": {"id": rid, **step}}))["movePortRequest"]
        assert moved["userErrors"] == [] and moved["portRequest"]["state"] == step["to"]
    for e164 in (A, B):
        assert (await api.data(NUMBER, {"n": e164}, key="child"))["number"] == {
            "state": "IN_SERVICE", "portedIn": True, "portRequest": {"requestId": rid, "state": "COMPLETED"}}
    log = (await api.data(READ, {"id": rid}, key="child"))["portRequest"]["log"]
    assert [e["to"] for e in log] == ["UNCONFIRMED", "SUBMITTED", "PENDING", "SCHEDULED", "COMPLETED"]


async def test_the_pin_is_never_returned_only_that_it_is_set(api: Api) -> None:
    request = await create(api)
    assert request["carrier"] == {"pinSet": True, "name": "Old Telco", "accountNumber": "AC-9"}
    for key in ("child", "reseller", "admin"):
        response = await api.post(READ, {"id": request["requestId"]}, key=key)
        assert response.status_code == 200 and PIN not in response.text
    # Nothing in the API could carry it: the output type has no field for the PIN itself.
    carrier = build_schema()._schema.get_type("LosingCarrier")
    assert isinstance(carrier, GraphQLObjectType) and set(carrier.fields) == {"name", "accountNumber", "pinSet"}


async def test_admin_only_comments_are_never_shown_to_the_account(api: Api) -> None:
    rid = (await create(api))["requestId"]
    await api.data(COMMENT, {"i": {"id": rid, "text": "customer asked for a date"}}, key="child")
    await api.data(COMMENT, {"i": {"id": rid, "text": "losing carrier is slow", "adminOnly": True}})
    refused = (await api.data(COMMENT, {"i": {"id": rid, "text": "sneaky", "adminOnly": True}}, key="child"))
    assert [e["code"] for e in refused["addPortComment"]["userErrors"]] == ["FORBIDDEN"]
    for key in ("child", "reseller"):
        seen = (await api.data(READ, {"id": rid}, key=key))["portRequest"]["comments"]
        assert [c["text"] for c in seen] == ["customer asked for a date"]
        assert "losing carrier is slow" not in (await api.post(READ, {"id": rid}, key=key)).text
    admin_sees = (await api.data(READ, {"id": rid}))["portRequest"]["comments"]
    assert [(c["text"], c["adminOnly"]) for c in admin_sees] == [
        ("customer asked for a date", False), ("losing carrier is slow", True)]


async def test_unrelated_accounts_see_nothing_and_users_cannot_move(api: Api) -> None:
    rid = (await create(api))["requestId"]
    assert (await api.data(READ, {"id": rid}, key="unrelated"))["portRequest"] is None
    cancel = "mutation($i: PortRequestActionInput!) { cancelPortRequest(input: $i) { userErrors { code } } }"
    assert (await api.data(cancel, {"i": {"id": rid}}, key="unrelated"))["cancelPortRequest"]["userErrors"] == [
        {"code": "NOT_FOUND"}]
    moved = (await api.data(MOVE, {"i": {"id": rid, "to": "CANCELED"}}, key="child"))["movePortRequest"]
    assert [e["code"] for e in moved["userErrors"]] == ["FORBIDDEN"]
    listing = "query { portRequests { edges { node { requestId } } } }"
    assert (await api.data(listing, key="unrelated"))["portRequests"]["edges"] == []
    assert [e["node"]["requestId"] for e in (await api.data(listing, key="reseller"))["portRequests"]["edges"]] == [
        rid]


async def test_a_number_in_an_active_request_is_a_per_number_error(api: Api) -> None:
    await create(api, numbers=(A,))
    data = await api.data(CREATE, {"i": {"numbers": [A, B]}}, key="reseller")
    payload = data["createPortRequest"]
    assert payload["portRequest"]["numbers"] == [B]
    assert [(e["code"], e["number"]) for e in payload["userErrors"]] == [("NUMBER_EXISTS", A)]
