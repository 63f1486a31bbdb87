"""huntNumber and searchNumbers through HTTP (both stores)."""

from __future__ import annotations

from numplane.carriers.simulated import offers
from tests.schema.test_mutations import ACTIVATE, ADD, PORT_IN, refs, run
from tests.support.api import Api

HUNT = """mutation($input: HuntInput!) { huntNumber(input: $input) {
  result { number disposition account { name } forceOutbound portCompleted } userErrors { code message } } }"""
SEARCH = "query($p: String!, $q: Int) { searchNumbers(prefix: $p, quantity: $q) { e164 state carrier } }"
N = "+14155550101"


async def test_router_hunts_an_in_service_number_to_its_owner(api: Api) -> None:
    await run(api, ADD, {"numbers": refs(N), "state": "AVAILABLE", "carrier": "inventory"})
    await run(api, ACTIVATE, {"numbers": refs(N)}, key="child")
    data = await api.data(HUNT, {"input": {"number": "4155550101"}}, key="router")
    assert data["huntNumber"]["result"] == {
        "number": N, "disposition": "ROUTE", "account": {"name": "C"}, "forceOutbound": False,
        "portCompleted": False,
    }


async def test_first_carrier_hunt_completes_a_port_in_and_later_hunts_just_route(api: Api) -> None:
    await run(api, PORT_IN, {"numbers": refs(N)}, key="child")
    first = (await api.data(HUNT, {"input": {"number": N}}, key="router"))["huntNumber"]["result"]
    second = (await api.data(HUNT, {"input": {"number": N}}, key="router"))["huntNumber"]["result"]
    assert (first["disposition"], first["portCompleted"]) == ("ROUTE", True)
    assert (second["disposition"], second["portCompleted"]) == ("ROUTE", False)


async def test_user_key_may_not_hunt(api: Api) -> None:
    data = await api.data(HUNT, {"input": {"number": N}}, key="child")
    assert data["huntNumber"]["result"] is None
    assert data["huntNumber"]["userErrors"][0]["code"] == "FORBIDDEN"


async def test_hunt_of_an_unknown_number_is_not_found_disposition(api: Api) -> None:
    data = await api.data(HUNT, {"input": {"number": N}}, key="admin")
    assert data["huntNumber"]["result"]["disposition"] == "NOT_FOUND"


async def test_search_offers_pool_numbers_and_carrier_numbers_saved_as_discovery(api: Api) -> None:
    await run(api, ADD, {"numbers": refs("+13325550100"), "state": "AVAILABLE", "carrier": "inventory"})
    found = (await api.data(SEARCH, {"p": "+1332555", "q": 5}, key="child"))["searchNumbers"]
    assert found[0] == {"e164": "+13325550100", "state": "AVAILABLE", "carrier": "inventory"}
    upstream = [f for f in found if f["carrier"] == "simulated"]
    assert upstream and all(f["state"] == "DISCOVERY" for f in upstream)
    assert {f["e164"] for f in upstream} <= set(offers("+1332555", 20))


async def test_hunt_over_the_lean_route_gives_the_same_answer(api: Api) -> None:
    await run(api, ADD, {"numbers": refs(N), "state": "AVAILABLE", "carrier": "inventory"})
    response = await api.client.get(f"/hunt/{N}", headers={"Authorization": f"Bearer {api.keys['router']}"})
    assert response.status_code == 200
    assert response.json()["disposition"] == "UNASSIGNED"


async def test_classify_number_names_the_kind_and_refuses_impossible_input(api: Api) -> None:
    query = '{ tollFree: classifyNumber(number: "+1 800 555 0100") mobile: classifyNumber(number: "+447400123456") }'
    data = await api.data(query, key="child")
    assert data == {"tollFree": "TOLL_FREE", "mobile": "MOBILE"}
    body = await api.gql('{ classifyNumber(number: "12") }', key="child")
    assert body["errors"][0]["extensions"]["code"] == "INVALID_NUMBER"


async def test_classify_number_reads_short_codes_in_the_default_region(api: Api) -> None:
    query = '{ e: classifyNumber(number: "911") eu: classifyNumber(number: "112") s: classifyNumber(number: "411") }'
    assert await api.data(query, key="child") == {"e": "EMERGENCY", "eu": "EMERGENCY", "s": "SHORT_CODE"}
    await api.data('mutation { updateSystemConfig(input: {defaultRegion: "GB"}) { userErrors { code } } }')
    assert await api.data('{ classifyNumber(number: "999") }', key="child") == {"classifyNumber": "EMERGENCY"}
    body = await api.gql('{ classifyNumber(number: "911") }', key="child")
    assert body["errors"][0]["extensions"]["code"] == "INVALID_NUMBER"  # not a short code in GB


FILTERED = """query($p: String!, $f: NumberSearchFilter) {
  searchNumbers(prefix: $p, quantity: 5, filter: $f) { e164 state carrier locality region country type } }"""


async def test_a_filtered_search_over_http_gives_candidates_with_their_place_and_kind(api: Api) -> None:
    vanity = "+14157499201"  # 415-PIZZA-01, San Francisco
    await run(api, ADD, {"numbers": refs(vanity, "+14155550100"), "state": "AVAILABLE", "carrier": "inventory"})
    found = (await api.data(FILTERED, {"p": "+1", "f": {"contains": "pizza", "region": "california"}}, key="child"))
    first, *upstream = found["searchNumbers"]
    assert first == {
        "e164": vanity, "state": "AVAILABLE", "carrier": "inventory", "locality": "San Francisco", "region": "CA",
        "country": "US", "type": "FIXED_LINE_OR_MOBILE",
    }
    assert upstream and all("74992" in f["e164"][2:] and f["state"] == "DISCOVERY" for f in upstream)


async def test_a_malformed_filter_is_an_invalid_field_error_naming_it(api: Api) -> None:
    body = await api.gql(FILTERED, {"p": "+1", "f": {"contains": "74-99"}}, key="child")
    error = body["errors"][0]
    assert error["extensions"]["code"] == "INVALID_FIELD"
    assert "filter.contains" in error["message"]
