"""The routing cache on a real store: filled on demand, fed by writes and the change feed, never by
older news, bounded."""

from __future__ import annotations

import asyncio
from typing import Any

from numplane.domain.states import State
from numplane.routing.cache import RoutingCache
from numplane.store.base import Db, Doc, Store
from numplane.store.observed import ObservedStore
from tests.support.counting import CountingStore

N = "+14155550123"
OWNER = "c" * 32


def number_doc(state: State, owner: str | None = None, **extra: Any) -> Doc:
    doc: Doc = {"_id": N, "pvt_type": "number", "pvt_state": state.value, **extra}
    if owner:
        doc["pvt_assigned_to"] = owner
        doc["pvt_assigned_tree"] = [owner]
    return doc


async def put(store: Store, db: Db, doc: Doc) -> Doc:
    (result,) = await store.put_many(db, [doc])
    assert result.ok, result
    return {**doc, "_rev": result.rev}


async def test_a_write_in_this_process_replaces_the_cached_route(store: Store) -> None:
    observed = ObservedStore(store)
    cache = RoutingCache.attach(observed)
    written = await put(observed, Db.NUMBERS, number_doc(State.AVAILABLE))
    assert (await cache.number(N)).state is State.AVAILABLE
    await put(observed, Db.NUMBERS, {**number_doc(State.IN_SERVICE, OWNER), "_rev": written["_rev"]})
    route = await cache.number(N)
    assert (route.state, route.owner, route.owner_tree) == (State.IN_SERVICE, OWNER, (OWNER,))


async def test_another_replicas_write_arrives_through_apply_change(store: Store) -> None:
    here, there = ObservedStore(store), ObservedStore(store)
    cache = RoutingCache.attach(here)
    cursor = await store.current_cursor(Db.NUMBERS)
    written = await put(there, Db.NUMBERS, number_doc(State.AVAILABLE))
    assert (await cache.number(N)).state is State.AVAILABLE
    await put(there, Db.NUMBERS, {**number_doc(State.IN_SERVICE, OWNER), "_rev": written["_rev"]})
    assert (await cache.number(N)).state is State.AVAILABLE  # not heard yet: the hub feeds it
    for change in (await store.changes(Db.NUMBERS, cursor, 100)).changes:
        cache.apply_change(change)
    assert (await cache.number(N)).state is State.IN_SERVICE


async def test_a_deletion_from_the_feed_makes_the_number_unknown(store: Store) -> None:
    here, there = ObservedStore(store), ObservedStore(store)
    cache = RoutingCache.attach(here)
    written = await put(there, Db.NUMBERS, number_doc(State.IN_SERVICE, OWNER))
    assert (await cache.number(N)).state is State.IN_SERVICE
    cursor = await store.current_cursor(Db.NUMBERS)
    await put(there, Db.NUMBERS, {**written, "pvt_state": "deleted", "_deleted": True})
    for change in (await store.changes(Db.NUMBERS, cursor, 100)).changes:
        cache.apply_change(change)
    assert (await cache.number(N)).state is None


async def test_older_news_never_replaces_newer(store: Store) -> None:
    observed = ObservedStore(store)
    cache = RoutingCache.attach(observed)
    first = await put(observed, Db.NUMBERS, number_doc(State.AVAILABLE))
    await cache.number(N)
    second = await put(observed, Db.NUMBERS, {**number_doc(State.IN_SERVICE, OWNER), "_rev": first["_rev"]})
    # A feed page read before the second write, delivered after it:
    cache.apply_docs(Db.NUMBERS, [first])
    assert (await cache.number(N)).state is State.IN_SERVICE
    cache.apply_docs(Db.NUMBERS, [second])
    assert (await cache.number(N)).state is State.IN_SERVICE


async def test_a_write_landing_while_the_number_is_being_read_wins_over_the_read(store: Store) -> None:
    observed = ObservedStore(store)
    first = await put(observed, Db.NUMBERS, number_doc(State.AVAILABLE))
    cache = RoutingCache.attach(observed)
    release = asyncio.Event()
    original = cache._load_number

    async def slow_read(e164: str) -> Doc | None:
        doc = await original(e164)  # reads the available version ...
        await release.wait()  # ... and is overtaken by the write below
        return doc

    cache.numbers._load = slow_read
    lookup = asyncio.ensure_future(cache.number(N))
    await asyncio.sleep(0)
    while N not in cache.numbers._loading:
        await asyncio.sleep(0)
    await put(observed, Db.NUMBERS, {**number_doc(State.IN_SERVICE, OWNER), "_rev": first["_rev"]})
    release.set()
    assert (await lookup).state is State.IN_SERVICE
    assert (await cache.number(N)).state is State.IN_SERVICE


async def test_concurrent_lookups_of_a_missing_number_share_one_read(store: Store) -> None:
    counted = CountingStore(store)
    cache = RoutingCache.attach(ObservedStore(counted))
    routes = await asyncio.gather(*(cache.number(N) for _ in range(10)))
    assert {r.state for r in routes} == {None}
    assert counted.calls["get_many:numbers"] == 1


async def test_account_enabled_flag_changes_reach_the_cache(store: Store) -> None:
    observed = ObservedStore(store)
    cache = RoutingCache.attach(observed)
    account = await put(observed, Db.ACCOUNTS, {"_id": OWNER, "pvt_type": "account", "name": "O", "enabled": True})
    assert (await cache.account(OWNER)) is not None
    await put(observed, Db.ACCOUNTS, {**account, "enabled": False})
    cached = await cache.account(OWNER)
    assert cached is not None and cached.enabled is False


async def test_the_cache_is_bounded_least_recently_used_first(store: Store) -> None:
    counted = CountingStore(store)
    cache = RoutingCache.attach(ObservedStore(counted), numbers_size=2)
    for number in ("+14155550101", "+14155550102", "+14155550101", "+14155550103"):
        await cache.number(number)
    assert len(cache.numbers) == 2
    counted.calls.clear()
    await cache.number("+14155550101")
    await cache.number("+14155550103")
    assert counted.total == 0
    await cache.number("+14155550102")  # evicted: read again
    assert counted.total == 1


async def test_over_a_store_that_cannot_announce_writes_every_lookup_reads_the_store(store: Store) -> None:
    cache = RoutingCache.attach(store)
    written = await put(store, Db.NUMBERS, number_doc(State.AVAILABLE))
    assert (await cache.number(N)).state is State.AVAILABLE
    await put(store, Db.NUMBERS, {**number_doc(State.RESERVED, OWNER), "_rev": written["_rev"]})
    assert (await cache.number(N)).state is State.RESERVED
