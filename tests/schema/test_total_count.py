"""totalCount on number and account connections, over HTTP on both stores: the listing's filter counted from
the index, checked against a count made here from the seeded numbers themselves."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from numplane.domain.numbers import Number
from numplane.domain.states import State
from numplane.store.base import Db, Key, Row
from tests.support.api import Api, api_over
from tests.support.counting import CountingStore
from tests.support.seeding import seed

NUMBERS = """query($filter: NumberFilter, $first: Int) {
  numbers(filter: $filter, first: $first) { edges { node { e164 } } totalCount } }"""
ACCOUNT_NUMBERS = """query($id: String!, $filter: NumberFilter) {
  account(accountId: $id) { numbers(filter: $filter, first: 3) { totalCount } } }"""
ACCOUNTS = """query($id: String!) { account(accountId: $id) {
  children(first: 1) { edges { node { name } } totalCount } descendants(first: 1) { totalCount } } }"""
OWNED = (State.RESERVED, State.IN_SERVICE, State.PORT_OUT)
UNOWNED = (State.AVAILABLE, State.DISCOVERY, State.RELEASED)


def inventory(api: Api) -> list[Number]:
    """Numbers in every state, carrier and owner of the tree M > R > C, M > U, under two prefixes."""
    chance = random.Random(16)
    owners = [(), (api.id("M"),), (api.id("M"), api.id("R")), (api.id("M"), api.id("R"), api.id("C")),
              (api.id("M"), api.id("U"))]
    made = []
    for index in range(240):
        lineage = chance.choice(owners)
        state = chance.choice(OWNED if lineage else UNOWNED)
        made.append(Number(
            f"+1{chance.choice(('415', '650'))}555{index:04d}", state, module=chance.choice(("inventory", "simulated")),
            owner=lineage[-1] if lineage else None, assigned_tree=lineage,
        ))
    return made


def counted_here(numbers: list[Number], keep: Callable[[Number], bool]) -> int:
    return sum(1 for n in numbers if keep(n))


async def total(api: Api, query: str, variables: dict[str, Any], key: str = "admin") -> Any:
    data = await api.data(query, variables, key=key)
    if "numbers" in data:
        return data["numbers"]["totalCount"]
    return data["account"]["numbers"]["totalCount"] if data["account"] is not None else None


async def test_total_count_of_numbers_is_the_filtered_count_on_every_page(store_url: tuple[str, str]) -> None:
    async with api_over(store_url, CountingStore) as (api, _store):
        numbers = inventory(api)
        await seed(api.services.store, numbers)
        r_tree = {api.id("R")}
        cases: list[tuple[dict[str, Any], Callable[[Number], bool]]] = [
            ({}, lambda n: True),
            ({"states": ["IN_SERVICE"]}, lambda n: n.state is State.IN_SERVICE),
            ({"states": ["RESERVED", "PORT_OUT"]}, lambda n: n.state in (State.RESERVED, State.PORT_OUT)),
            ({"carrier": "simulated"}, lambda n: n.module == "simulated"),
            ({"prefix": "+1650"}, lambda n: n.e164.startswith("+1650")),
            ({"prefix": "+1415", "carrier": "inventory", "states": ["AVAILABLE", "DISCOVERY"]},
             lambda n: n.e164.startswith("+1415") and n.module == "inventory"
             and n.state in (State.AVAILABLE, State.DISCOVERY)),
        ]
        for filter, keep in cases:
            expected = counted_here(numbers, keep)
            assert expected > 0, filter
            assert await total(api, NUMBERS, {"filter": filter, "first": 5}) == expected, filter

        in_r_tree = await total(api, ACCOUNT_NUMBERS, {"id": api.id("R"), "filter": {"carrier": "simulated"}})
        assert in_r_tree == counted_here(
            numbers, lambda n: bool(r_tree & set(n.assigned_tree)) and n.module == "simulated"
        )
        r_alone = await total(api, ACCOUNT_NUMBERS, {"id": api.id("R"), "filter": {"includeDescendants": False}})
        assert r_alone == counted_here(numbers, lambda n: n.owner == api.id("R"))
        # A user's own listing counts its tree only; another tenant's is not its business.
        assert await total(api, NUMBERS, {}, key="child") == counted_here(numbers, lambda n: n.owner == api.id("C"))
        assert await total(api, ACCOUNT_NUMBERS, {"id": api.id("R")}, key="unrelated") is None  # R is invisible


class NumberReads(CountingStore):
    """Counts the number documents listings read, apart from the change hub's feed and the key and config
    caches (they expire on their own clock)."""

    number_documents = 0

    async def query(
        self, db: Db, view: str, *, start: Key, end: Key, after: Key | None = None, limit: int,
        listing: bool = False,
    ) -> list[Row]:
        rows = await super().query(db, view, start=start, end=end, after=after, limit=limit, listing=listing)
        if db is Db.NUMBERS:
            self.number_documents += len(rows)
        return rows


async def test_total_count_reads_the_index_only_and_only_when_selected(store_url: tuple[str, str]) -> None:
    async with api_over(store_url, NumberReads) as (api, store):
        await seed(api.services.store, inventory(api))
        without = "query { numbers(first: 5) { edges { node { e164 } } } }"
        with_total = "query { numbers(first: 5) { edges { node { e164 } } totalCount } }"

        store.calls.clear()
        await api.data(without)
        read_without, calls_without = store.number_documents, store.calls["count:numbers"]
        store.number_documents = 0
        data = await api.data(with_total)

        assert data["numbers"]["totalCount"] == 240
        assert calls_without == 0
        assert store.calls["count:numbers"] == 1
        assert store.number_documents == read_without == 6  # a page of 5 and one to know there is more


async def test_total_count_of_children_and_descendants(store_url: tuple[str, str]) -> None:
    async with api_over(store_url, CountingStore) as (api, _store):
        root = (await api.data(ACCOUNTS, {"id": api.id("M")}))["account"]
        reseller = (await api.data(ACCOUNTS, {"id": api.id("R")}, key="reseller"))["account"]
        hidden = (await api.data(ACCOUNTS, {"id": api.id("R")}, key="child"))["account"]

    assert (len(root["children"]["edges"]), root["children"]["totalCount"]) == (1, 2)  # R and U
    assert root["descendants"]["totalCount"] == 3  # R, C, U
    assert (reseller["children"]["totalCount"], reseller["descendants"]["totalCount"]) == (1, 1)
    # C sees its ancestor R, but not R's sub-accounts: nothing listed, nothing counted.
    assert (hidden["children"]["totalCount"], hidden["descendants"]["totalCount"]) == (0, 0)
