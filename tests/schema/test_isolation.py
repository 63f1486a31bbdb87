"""Tenant isolation (SPEC §3.5) on every read path: what an account may not see is null or absent."""

from __future__ import annotations

from tests.support.api import Api

N = "+14155550111"
SIBLING = "+14155550112"


async def setup_numbers(api: Api) -> None:
    """N: in service for C, reserved for R before (history R <- C); SIBLING in service for U."""
    add = 'mutation($n: [NumberRef!]!) { addNumbers(input: {numbers: $n, state: AVAILABLE}) { userErrors { code } } }'
    await api.data(add, {"n": [{"number": N}, {"number": SIBLING}]})
    reserve = (
        "mutation($n: String!, $a: String) { reserveNumbers(input: {numbers: [{number: "
        "$n}], accountId: $a}) { userErrors { code } } }"
    )
    activate = (
        "mutation($n: String!, $a: String) { activateNumbers(input: {numbers: [{number: "
        "$n}], accountId: $a}) { userErrors { code } } }"
    )
    assert (await api.data(reserve, {"n": N}, key="reseller"))["reserveNumbers"]["userErrors"] == []
    assert (await api.data(reserve, {"n": N, "a": api.id("C")}, key="reseller"))["reserveNumbers"]["userErrors"] == []
    assert (await api.data(activate, {"n": N}, key="child"))["activateNumbers"]["userErrors"] == []
    assert (await api.data(activate, {"n": SIBLING}, key="unrelated"))["activateNumbers"]["userErrors"] == []


async def test_number_is_null_for_an_unrelated_account_and_visible_to_owner_and_ancestors(api: Api) -> None:
    await setup_numbers(api)
    query = f'{{ number(number: "{N}") {{ e164 account {{ name }} }} }}'
    assert (await api.data(query, key="unrelated"))["number"] is None
    for key in ("child", "reseller", "admin"):
        assert (await api.data(query, key=key))["number"] == {"e164": N, "account": {"name": "C"}}


async def test_a_malformed_number_is_an_invalid_number_error(api: Api) -> None:
    body = await api.gql('{ number(number: "12") { e164 } }', key="child")
    assert body["errors"][0]["extensions"]["code"] == "INVALID_NUMBER"


async def test_numbers_lists_only_the_requesters_tree(api: Api) -> None:
    await setup_numbers(api)
    query = "{ numbers { edges { node { e164 } } } }"

    async def listed(key: str) -> list[str]:
        return [e["node"]["e164"] for e in (await api.data(query, key=key))["numbers"]["edges"]]

    assert await listed("unrelated") == [SIBLING]
    assert await listed("child") == [N]
    assert await listed("reseller") == [N]
    assert await listed("admin") == [N, SIBLING]


async def test_account_outside_the_tree_is_null(api: Api) -> None:
    query = "query($id: String!) { account(accountId: $id) { name } }"
    assert (await api.data(query, {"id": api.id("U")}, key="reseller"))["account"] is None
    assert (await api.data(query, {"id": api.id("C")}, key="reseller"))["account"] == {"name": "C"}
    assert (await api.data(query, {"id": api.id("R")}, key="child"))["account"] == {"name": "R"}


async def test_node_hides_numbers_and_accounts_of_other_tenants(api: Api) -> None:
    await setup_numbers(api)
    ids = await api.data(f'{{ number(number: "{N}") {{ id account {{ id }} }} }}', key="reseller")
    number_id, account_id = ids["number"]["id"], ids["number"]["account"]["id"]
    query = "query($id: ID!) { node(id: $id) { id __typename } }"
    for node_id, typename in ((number_id, "PhoneNumber"), (account_id, "Account")):
        assert (await api.data(query, {"id": node_id}, key="unrelated"))["node"] is None
        assert (await api.data(query, {"id": node_id}, key="child"))["node"] == {"id": node_id, "__typename": typename}
    assert (await api.data(query, {"id": "garbage!"}, key="child"))["node"] is None


async def test_account_numbers_of_an_ancestor_are_not_listed_to_a_descendant(api: Api) -> None:
    await setup_numbers(api)
    query = "query($id: String!) { account(accountId: $id) { numbers { edges { node { e164 } } } } }"
    as_child = await api.data(query, {"id": api.id("R")}, key="child")
    assert as_child["account"]["numbers"]["edges"] == []
    as_reseller = await api.data(query, {"id": api.id("C")}, key="reseller")
    assert [e["node"]["e164"] for e in as_reseller["account"]["numbers"]["edges"]] == [N]
    me = await api.data((
        "{ me { numbers(filter: {includeDescendants: false}) { edges "
        "{ node { e164 } } } } }"
    ), key="reseller")
    assert me["me"]["numbers"]["edges"] == []


async def test_reserve_history_and_previous_account_leave_out_accounts_the_requester_cannot_see(api: Api) -> None:
    await setup_numbers(api)
    # Admin moves N to U: its history and previous owner now name accounts outside U's tree.
    move = (
        "mutation($n: String!, $a: String) { activateNumbers(input: {numbers: [{number: "
        "$n}], accountId: $a}) { userErrors { code } } }"
    )
    assert (await api.data(move, {"n": N, "a": api.id("U")}))["activateNumbers"]["userErrors"] == []
    query = f'{{ number(number: "{N}") {{ account {{ name }} previousAccount {{ name }} reserveHistory {{ name }} }} }}'
    seen_by_u = (await api.data(query, key="unrelated"))["number"]
    assert seen_by_u["account"] == {"name": "U"}
    assert seen_by_u["previousAccount"] is None
    assert all(a["name"] in {"U", "M"} for a in seen_by_u["reserveHistory"])
    seen_by_admin = (await api.data(query))["number"]
    assert seen_by_admin["previousAccount"] == {"name": "C"}
    assert (await api.data(query, key="child"))["number"] is None


async def test_children_and_descendants_of_an_ancestor_are_hidden(api: Api) -> None:
    query = (
        "query($id: String!) { account(accountId: $id) { children { edges { node { name } } } descendants { "
        "edges { node { name } } } ancestors { name } parent { name } } }"
    )
    as_child = (await api.data(query, {"id": api.id("M")}, key="child"))["account"]
    assert as_child["children"]["edges"] == [] and as_child["descendants"]["edges"] == []
    mine = (await api.data(query, {"id": api.id("C")}, key="child"))["account"]
    assert mine["ancestors"] == [{"name": "M"}, {"name": "R"}] and mine["parent"] == {"name": "R"}
    tree = (await api.data(query, {"id": api.id("M")}))["account"]
    assert {e["node"]["name"] for e in tree["descendants"]["edges"]} == {"R", "C", "U"}
