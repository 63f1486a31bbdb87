"""No N+1: a page of 100 numbers with their owners costs a bounded number of store calls."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest

from numplane.store.base import Store
from tests.support.api import Api, api_over


class CountingStore:
    """A Store that counts the calls it forwards."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        target = getattr(self.inner, name)

        async def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            return await target(*args, **kwargs)

        return counted


@pytest.fixture
async def counted(store_url: tuple[str, str]) -> AsyncIterator[tuple[Api, CountingStore]]:
    async with api_over(store_url, CountingStore) as pair:
        yield pair


async def test_listing_100_numbers_with_accounts_is_a_bounded_number_of_store_calls(
    counted: tuple[Api, CountingStore],
) -> None:
    api, store = counted
    numbers = [{"number": f"+1415555{i:04d}"} for i in range(100)]
    for account in ("R", "C", "U"):  # several owners, so the accounts really are batched
        add = (
            "mutation($n: [NumberRef!]!, $a: String) { addNumbers(input: {numbers: $n, state: "
            "IN_SERVICE, accountId: $a}) { userErrors { code } } }"
        )
        chunk = numbers[: 34] if account == "R" else numbers[34:67] if account == "C" else numbers[67:]
        assert (await api.data(add, {"n": chunk, "a": api.id(account)}))["addNumbers"]["userErrors"] == []
    await api.data("{ me { name } }")  # warm the key and config caches
    store.calls.clear()
    query = (
        "{ numbers(first: 100) { edges { node { e164 account { name parent { name } } "
        "reserveHistory { name } previousAccount { name } } } } }"
    )
    data = await api.data(query)
    assert len(data["numbers"]["edges"]) == 100
    # The change hub reads the feed in the background; that is not the listing's cost.
    assert sum(n for call, n in store.calls.items() if call != "changes") <= 4, store.calls


async def test_first_is_capped_at_100_and_cursors_page_through(api: Api) -> None:
    numbers = [{"number": f"+1415555{i:04d}"} for i in range(105)]
    add = "mutation($n: [NumberRef!]!) { addNumbers(input: {numbers: $n, state: AVAILABLE}) { userErrors { code } } }"
    assert (await api.data(add, {"n": numbers}))["addNumbers"]["userErrors"] == []
    query = (
        "query($after: String) { numbers(first: 500, after: $after) { edges { cursor node { "
        "e164 } } pageInfo { hasNextPage endCursor } } }"
    )
    first = (await api.data(query))["numbers"]
    assert len(first["edges"]) == 100 and first["pageInfo"]["hasNextPage"] is True
    rest = (await api.data(query, {"after": first["pageInfo"]["endCursor"]}))["numbers"]
    assert [e["node"]["e164"] for e in rest["edges"]] == [n["number"] for n in numbers[100:]]
    assert rest["pageInfo"]["hasNextPage"] is False
    bad = await api.gql(query, {"after": "not-a-cursor"})
    assert bad["errors"][0]["extensions"]["code"] == "INVALID_FIELD"


async def test_a_page_of_the_requesters_own_numbers_reads_no_account(counted: tuple[Api, CountingStore]) -> None:
    api, store = counted
    add = (
        "mutation($n: [NumberRef!]!, $a: String) { addNumbers(input: {numbers: $n, state: IN_SERVICE, accountId: $a})"
        " { userErrors { code } } }"
    )
    numbers = [{"number": f"+1415555{i:04d}"} for i in range(20)]
    assert (await api.data(add, {"n": numbers, "a": api.id("R")}))["addNumbers"]["userErrors"] == []
    await api.data("{ me { name } }", key="reseller")  # warm the key and config caches
    store.calls.clear()
    data = await api.data(
        "{ me { numbers(first: 20) { edges { node { e164 account { name accountId } } } } } }", key="reseller"
    )
    owners = {edge["node"]["account"]["accountId"] for edge in data["me"]["numbers"]["edges"]}
    assert owners == {api.id("R")}
    assert data["me"]["numbers"]["edges"][0]["node"]["account"]["name"] == "R"
    # The listing is one query; the owner is the requester, whose account the key already brought.
    assert "get_many" not in store.calls, store.calls
