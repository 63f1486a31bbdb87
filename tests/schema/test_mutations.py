"""Every mutation through HTTP: its success and its main failures, as userErrors in the payload."""

from __future__ import annotations

from typing import Any

from tests.support.api import Api

N1, N2, N3 = "+14155550101", "+14155550102", "+14155550103"

PAYLOAD = "numbers { e164 state revision account { name } } userErrors { code number message field }"


def mutation(name: str, input_type: str) -> str:
    return f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {PAYLOAD} }} }}"


ADD = mutation("addNumbers", "AddNumbersInput")
RESERVE = mutation("reserveNumbers", "AcquireInput")
ACTIVATE = mutation("activateNumbers", "AcquireInput")
RELEASE = mutation("releaseNumbers", "NumbersInput")
PORT_IN = mutation("portInNumbers", "PortInInput")
CANCEL_PORT_IN = mutation("cancelPortIn", "NumbersInput")
COMPLETE_PORT_IN = mutation("completePortIn", "NumbersInput")
PORT_OUT = mutation("portOutNumbers", "NumbersInput")
COMPLETE_PORT_OUT = mutation("completePortOut", "NumbersInput")
CANCEL_PORT_OUT = mutation("cancelPortOut", "NumbersInput")
RETURN = mutation("returnNumbers", "ReturnNumbersInput")
DELETE = mutation("deleteNumbers", "NumbersInput")


def refs(*numbers: str) -> list[dict[str, Any]]:
    return [{"number": n} for n in numbers]


async def run(api: Api, query: str, input: dict[str, Any], key: str = "admin") -> dict[str, Any]:
    data = await api.data(query, {"input": input}, key=key)
    (payload,) = data.values()
    result: dict[str, Any] = payload
    return result


async def add(
    api: Api, *numbers: str, state: str = "AVAILABLE", account: str | None = None, carrier: str = "local"
) -> None:
    payload = await run(api, ADD, {"numbers": refs(*numbers), "state": state, "accountId": account, "carrier": carrier})
    assert payload["userErrors"] == []


async def test_admin_adds_inventory_and_a_duplicate_is_number_exists(api: Api) -> None:
    payload = await run(api, ADD, {"numbers": refs(N1, N2), "state": "AVAILABLE"})
    assert [n["state"] for n in payload["numbers"]] == ["AVAILABLE", "AVAILABLE"]
    again = await run(api, ADD, {"numbers": refs(N1, "not a number"), "state": "AVAILABLE"})
    assert [(e["code"], e["number"]) for e in again["userErrors"]] == [
        ("NUMBER_EXISTS", N1), ("INVALID_NUMBER", "not a number")
    ]


async def test_user_without_additions_flag_cannot_add_inventory(api: Api) -> None:
    payload = await run(api, ADD, {"numbers": refs(N1), "state": "AVAILABLE"}, key="reseller")
    assert payload["numbers"] == []
    assert [e["code"] for e in payload["userErrors"]] == ["FORBIDDEN"]


async def test_reseller_reserves_then_activates_for_its_child(api: Api) -> None:
    await add(api, N1)
    reserved = await run(api, RESERVE, {"numbers": refs(N1), "accountId": api.id("C")}, key="reseller")
    assert reserved["numbers"][0]["state"] == "RESERVED"
    assert reserved["numbers"][0]["account"] == {"name": "C"}
    active = await run(api, ACTIVATE, {"numbers": refs(N1), "publicFields": {"note": "x"}}, key="child")
    assert active["numbers"][0]["state"] == "IN_SERVICE"


async def test_unrelated_account_cannot_reserve_a_number_reserved_by_another_tree(api: Api) -> None:
    await add(api, N1)
    await run(api, RESERVE, {"numbers": refs(N1)}, key="reseller")
    payload = await run(api, RESERVE, {"numbers": refs(N1)}, key="unrelated")
    assert payload["numbers"] == []
    assert [(e["code"], e["number"]) for e in payload["userErrors"]] == [("NOT_FOUND", N1)]


async def test_reserving_for_an_account_outside_the_tree_is_refused(api: Api) -> None:
    await add(api, N1)
    # The child sees its parent but does not control it: the target is refused, for this number.
    parent = await run(api, RESERVE, {"numbers": refs(N1), "accountId": api.id("R")}, key="child")
    assert parent["numbers"] == []
    assert [(e["code"], e["number"]) for e in parent["userErrors"]] == [("FORBIDDEN", N1)]
    # An unrelated account is not even visible: refused exactly as an account that does not exist.
    unrelated = await run(api, RESERVE, {"numbers": refs(N1), "accountId": api.id("U")}, key="reseller")
    missing = await run(api, RESERVE, {"numbers": refs(N1), "accountId": "f" * 32}, key="reseller")
    assert unrelated["numbers"] == []
    assert [(e["code"], e["number"]) for e in unrelated["userErrors"]] == [("NOT_FOUND", None)]
    assert [e["code"] for e in missing["userErrors"]] == ["NOT_FOUND"]
    said = unrelated["userErrors"][0]["message"].replace(api.id("U"), "ID")
    assert said == missing["userErrors"][0]["message"].replace("f" * 32, "ID")
    still = await api.data(f'{{ number(number: "{N1}") {{ state }} }}')
    assert still["number"] == {"state": "AVAILABLE"}


async def test_stale_expected_revision_is_a_conflict(api: Api) -> None:
    await add(api, N1)
    payload = await run(api, RESERVE, {"numbers": [{"number": N1, "expectedRevision": "1-stale"}]}, key="reseller")
    assert [e["code"] for e in payload["userErrors"]] == ["CONFLICT"]


async def test_release_of_a_local_number_deletes_it_and_a_second_release_is_not_found(api: Api) -> None:
    await add(api, N1)
    await run(api, ACTIVATE, {"numbers": refs(N1)}, key="reseller")
    released = await run(api, RELEASE, {"numbers": refs(N1)}, key="reseller")
    assert released["userErrors"] == []
    again = await run(api, RELEASE, {"numbers": refs(N1)}, key="reseller")
    assert [e["code"] for e in again["userErrors"]] == ["NOT_FOUND"]


async def test_port_in_then_complete_and_cancel(api: Api) -> None:
    ported = await run(api, PORT_IN, {"numbers": refs(N1, N2)}, key="reseller")
    assert [n["state"] for n in ported["numbers"]] == ["PORT_IN", "PORT_IN"]
    completed = await run(api, COMPLETE_PORT_IN, {"numbers": refs(N1)}, key="reseller")
    assert completed["numbers"][0]["state"] == "IN_SERVICE"
    cancelled = await run(api, CANCEL_PORT_IN, {"numbers": refs(N2)}, key="reseller")
    assert cancelled["userErrors"] == []
    not_port_in = await run(api, CANCEL_PORT_IN, {"numbers": refs(N1)}, key="reseller")
    assert [e["code"] for e in not_port_in["userErrors"]] == ["INVALID_STATE_TRANSITION"]
    exists = await run(api, PORT_IN, {"numbers": refs(N1)}, key="reseller")
    assert [e["code"] for e in exists["userErrors"]] == ["NUMBER_EXISTS"]


async def test_admin_ports_out_then_cancels_and_completes(api: Api) -> None:
    await add(api, N1, N2, state="IN_SERVICE", account=api.id("R"))
    out = await run(api, PORT_OUT, {"numbers": refs(N1, N2)})
    assert [n["state"] for n in out["numbers"]] == ["PORT_OUT", "PORT_OUT"]
    back = await run(api, CANCEL_PORT_OUT, {"numbers": refs(N1)})
    assert back["numbers"][0]["state"] == "IN_SERVICE"
    done = await run(api, COMPLETE_PORT_OUT, {"numbers": refs(N2)})
    assert done["userErrors"] == []
    wrong = await run(api, COMPLETE_PORT_OUT, {"numbers": refs(N1)})
    assert [e["code"] for e in wrong["userErrors"]] == ["INVALID_STATE_TRANSITION"]


async def test_admin_only_mutations_are_forbidden_user_errors_for_user_keys(api: Api) -> None:
    await add(api, N1, state="IN_SERVICE", account=api.id("R"))
    for query in (PORT_OUT, COMPLETE_PORT_OUT, CANCEL_PORT_OUT, RETURN, DELETE):
        payload = await run(api, query, {"numbers": refs(N1)}, key="reseller")
        assert payload["numbers"] == []
        assert [(e["code"], e["number"]) for e in payload["userErrors"]] == [("FORBIDDEN", None)], query


async def test_admin_returns_a_released_inventory_number_into_aging(api: Api) -> None:
    await run(api, "mutation { updateSystemConfig(input: {releasedState: RELEASED}) { userErrors { code } } }", {})
    await add(api, N1, carrier="inventory")
    await run(api, ACTIVATE, {"numbers": refs(N1)}, key="reseller")
    released = await run(api, RELEASE, {"numbers": refs(N1)}, key="reseller")
    assert released["numbers"][0]["state"] == "RELEASED"
    returned = await run(api, RETURN, {"numbers": refs(N1)})
    # should_age is on by default and an inventory number is not local (SPEC §3.2): quarantine first.
    assert returned["numbers"][0]["state"] == "AGING"
    again = await run(api, RETURN, {"numbers": refs(N2)})
    assert [e["code"] for e in again["userErrors"]] == ["NOT_FOUND"]


async def test_admin_deletes_numbers(api: Api) -> None:
    await add(api, N1)
    deleted = await run(api, DELETE, {"numbers": refs(N1, N2)})
    assert [(e["code"], e["number"]) for e in deleted["userErrors"]] == [("NOT_FOUND", N2)]
    assert (await api.data(f'{{ number(number: "{N1}") {{ e164 }} }}'))["number"] is None


async def test_more_numbers_than_max_batch_is_one_limit_exceeded_error(api: Api) -> None:
    await run(api, "mutation { updateSystemConfig(input: {maxBatch: 2}) { userErrors { code } } }", {})
    payload = await run(api, ADD, {"numbers": refs(N1, N2, N3), "state": "AVAILABLE"})
    assert payload["numbers"] == []
    assert [(e["code"], e["number"]) for e in payload["userErrors"]] == [("LIMIT_EXCEEDED", None)]


UPDATE = """mutation($input: UpdateNumberInput!) { updateNumber(input: $input) {
  number { e164 publicFields features } userErrors { code number field } } }"""


async def test_owner_edits_public_fields_by_merge_and_replace(api: Api) -> None:
    await add(api, N1)
    await run(api, ACTIVATE, {"numbers": refs(N1), "publicFields": {"a": 1, "b": {"c": 2}}}, key="reseller")
    merged = await run(api, UPDATE, {"number": {"number": N1}, "publicFields": {"b": {"d": 3}}}, key="reseller")
    assert merged["number"]["publicFields"] == {"a": 1, "b": {"c": 2, "d": 3}}
    replace = {"number": {"number": N1}, "publicFields": {"z": 0}, "replace": True}
    replaced = await run(api, UPDATE, replace, key="reseller")
    assert replaced["number"]["publicFields"] == {"z": 0}


async def test_public_fields_must_be_an_object(api: Api) -> None:
    body = await api.gql(UPDATE, {"input": {"number": {"number": N1}, "publicFields": [1, 2]}})
    assert body["data"] is None
    assert "must be an object" in body["errors"][0]["message"]


async def test_unrelated_account_cannot_edit_and_learns_nothing(api: Api) -> None:
    await add(api, N1)
    await run(api, ACTIVATE, {"numbers": refs(N1)}, key="reseller")
    payload = await run(api, UPDATE, {"number": {"number": N1}, "publicFields": {"x": 1}}, key="unrelated")
    assert payload["number"] is None
    assert [(e["code"], e["number"]) for e in payload["userErrors"]] == [("NOT_FOUND", N1)]


async def test_features_denied_is_for_admins_only(api: Api) -> None:
    await add(api, N1)
    await run(api, ACTIVATE, {"numbers": refs(N1)}, key="reseller")
    payload = await run(api, UPDATE, {"number": {"number": N1}, "featuresDenied": ["cnam"]}, key="reseller")
    assert [e["code"] for e in payload["userErrors"]] == ["FORBIDDEN"]
    allowed = await run(api, UPDATE, {"number": {"number": N1}, "featuresDenied": ["cnam"]})
    assert allowed["userErrors"] == []


ACCOUNT = "account { accountId name parent { name } enabled goodStanding } userErrors { code field }"


async def test_reseller_creates_a_sub_account_under_its_child_but_not_under_unrelated(api: Api) -> None:
    query = f"mutation($input: CreateAccountInput!) {{ createAccount(input: $input) {{ {ACCOUNT} }} }}"
    made = await run(api, query, {"name": "G", "parentAccountId": api.id("C")}, key="reseller")
    assert made["account"]["parent"] == {"name": "C"}
    refused = await run(api, query, {"name": "G", "parentAccountId": api.id("U")}, key="reseller")
    assert refused["account"] is None and [e["code"] for e in refused["userErrors"]] == ["NOT_FOUND"]
    blank = await run(api, query, {"name": "  "}, key="reseller")
    assert blank["userErrors"] == [{"code": "INVALID_FIELD", "field": ["name"]}]


async def test_only_admins_change_account_flags(api: Api) -> None:
    query = f"mutation($input: UpdateAccountInput!) {{ updateAccount(input: $input) {{ {ACCOUNT} }} }}"
    refused = await run(api, query, {"accountId": api.id("C"), "enabled": False}, key="reseller")
    assert [e["code"] for e in refused["userErrors"]] == ["FORBIDDEN"]
    renamed = await run(api, query, {"accountId": api.id("C"), "name": "C2"}, key="reseller")
    assert renamed["account"]["name"] == "C2"
    disabled = await run(api, query, {"accountId": api.id("C"), "enabled": False})
    assert disabled["account"]["enabled"] is False


async def test_disabled_account_gets_account_disabled_on_every_mutation(api: Api) -> None:
    disable = (
        "mutation($id: String!) { updateAccount(input: {accountId: $id, enabled: "
        "false}) { userErrors { code } } }"
    )
    await api.data(disable, {"id": api.id("C")})
    await add(api, N1)
    payload = await run(api, RESERVE, {"numbers": refs(N1)}, key="child")
    assert [(e["code"], e["number"]) for e in payload["userErrors"]] == [("ACCOUNT_DISABLED", None)]


KEY = "key keyId userErrors { code }"


async def test_api_keys_are_created_for_the_tree_work_and_are_revoked(api: Api) -> None:
    create = f"mutation($input: CreateApiKeyInput!) {{ createApiKey(input: $input) {{ {KEY} }} }}"
    made = await run(api, create, {"accountId": api.id("C")}, key="reseller")
    api.keys["new"] = made["key"]
    assert (await api.data("{ me { name } }", key="new"))["me"]["name"] == "C"
    refused = await run(api, create, {"accountId": api.id("U")}, key="reseller")
    assert refused["key"] is None and [e["code"] for e in refused["userErrors"]] == ["NOT_FOUND"]
    admin_role = await run(api, create, {"accountId": api.id("C"), "role": "admin"}, key="reseller")
    assert [e["code"] for e in admin_role["userErrors"]] == ["FORBIDDEN"]
    revoke = f"mutation($k: String!) {{ revokeApiKey(keyId: $k) {{ {KEY} }} }}"
    revoked = (await api.data(revoke, {"k": made["keyId"]}, key="reseller"))["revokeApiKey"]
    assert revoked == {"key": None, "keyId": made["keyId"], "userErrors": []}
    assert (await api.post("{ me { name } }", key="new")).status_code == 401


CONFIG = (
    "mutation($input: UpdateSystemConfigInput!) { updateSystemConfig(input: $input) { config { "
    "agingDays maxBatch } userErrors { code field } } }"
)


async def test_admin_updates_system_config_and_out_of_range_is_invalid_field(api: Api) -> None:
    changed = await run(api, CONFIG, {"agingDays": 30})
    assert changed["config"]["agingDays"] == 30
    assert (await api.data("{ systemConfig { agingDays } }"))["systemConfig"]["agingDays"] == 30
    wrong = await run(api, CONFIG, {"maxBatch": 0})
    assert wrong["config"] is None and wrong["userErrors"] == [{"code": "INVALID_FIELD", "field": ["maxBatch"]}]
    # Field paths name the input as the client wrote it (camelCase), never the stored snake_case name.
    unknown = await run(api, CONFIG, {"featuresAllowed": ["teleport"]})
    assert [e["field"][0] for e in unknown["userErrors"]] == ["featuresAllowed"]
    forbidden = await run(api, CONFIG, {"agingDays": 1}, key="reseller")
    assert [e["code"] for e in forbidden["userErrors"]] == ["FORBIDDEN"]


async def test_a_field_error_inside_public_fields_keeps_the_clients_own_keys(api: Api) -> None:
    await add(api, N1, state="IN_SERVICE", account=api.id("R"))
    payload = await run(
        api, UPDATE, {"number": {"number": N1}, "publicFields": {"cnam": {"display_name": "x" * 16}}}, key="reseller"
    )
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("INVALID_FIELD", ["publicFields", "cnam", "display_name"])
    ]


async def test_router_key_may_only_hunt(api: Api) -> None:
    await add(api, N1)
    payload = await run(api, RESERVE, {"numbers": refs(N1)}, key="router")
    assert [e["code"] for e in payload["userErrors"]] == ["FORBIDDEN"]
    body = await api.gql(f'{{ number(number: "{N1}") {{ e164 }} }}', key="router")
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await api.data("{ me { name } }", key="router"))["me"]["name"] == "M"


async def test_user_key_cannot_hunt(api: Api) -> None:
    query = 'mutation { huntNumber(input: {number: "+14155550101"}) { result { disposition } userErrors { code } } }'
    payload = (await api.data(query, key="reseller"))["huntNumber"]
    assert payload == {"result": None, "userErrors": [{"code": "FORBIDDEN"}]}


async def test_public_fields_beyond_64_bit_integers_round_trip_through_store_and_json(api: Api) -> None:
    # The fast JSON paths (orjson) cannot hold such integers; the API must not lose or refuse them.
    add = ('mutation { addNumbers(input: {numbers: [{number: "+14155550190"}], state: IN_SERVICE}) '
           "{ userErrors { code } } }")
    assert (await api.data(add))["addNumbers"]["userErrors"] == []
    big = {"counter": 2**70, "ratio": 0.5, "name": "zoë"}
    update = ('mutation($p: JSON) { updateNumber(input: {number: {number: "+14155550190"}, publicFields: $p}) '
              "{ userErrors { code } } }")
    assert (await api.data(update, {"p": big}))["updateNumber"]["userErrors"] == []
    read = await api.data('{ number(number: "+14155550190") { publicFields } }')
    assert read["number"]["publicFields"] == big
