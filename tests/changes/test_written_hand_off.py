"""The change hub takes the numbers this process just wrote as they are (numplane.domain.written_numbers)
and decodes every other change from its document, with the same entries either way (both stores)."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from numplane.changes.hub import ChangeHub
from numplane.domain.numbers import Number
from numplane.domain.written_numbers import WrittenNumbers
from numplane.resolvers import numbers
from numplane.store.base import Db, Store
from numplane.store.observed import ObservedStore
from tests.resolvers.conftest import make_world
from tests.resolvers.test_lifecycle_scenarios import refs, stock

N, M = "+14155550123", "+14155550124"


async def test_the_feed_hands_on_the_number_written_here_and_decodes_one_written_elsewhere(store: Store) -> None:
    world = await make_world(ObservedStore(store))
    services = world.services
    elsewhere = replace(services, written_numbers=WrittenNumbers())  # another replica's memory
    await stock(world, N, M)
    hub = ChangeHub(services.store, poll_interval=60, written_numbers=services.written_numbers)
    await hub.start()
    try:
        cursor = hub.position
        here = (await numbers.activate_numbers(services, world.child, refs(N))).numbers[0]
        await numbers.activate_numbers(elsewhere, world.child, refs(M))
        page = await asyncio.wait_for(hub.read(cursor, 10), 10)
    finally:
        await hub.stop()

    by_number = {entry.e164: entry for entry in page.entries}
    assert by_number.keys() == {N, M}
    assert by_number[N].number is here  # handed on, not decoded again
    docs = await store.get_many(Db.NUMBERS, [N, M])
    for e164, entry in by_number.items():
        assert entry.number == Number.from_doc(docs[e164])
        assert entry.before is not None and entry.before.state.value == "available"
        assert entry.before.owner is None and entry.number.owner == world.child.id


async def test_the_feed_tells_listeners_only_of_writes_made_elsewhere_which_the_store_did_not_announce(
    store: Store,
) -> None:
    observed = ObservedStore(store)
    world = await make_world(observed)
    services = world.services
    elsewhere = replace(services, written_numbers=WrittenNumbers())  # another replica's memory
    await stock(world, N, M)
    announced: list[str] = []
    observed.listen(lambda _db, docs: announced.extend(doc["_id"] for doc in docs))
    hub = ChangeHub(observed, poll_interval=60, written_numbers=services.written_numbers)
    heard: list[str] = []
    hub.add_listener(lambda _db, changes: heard.extend(change.id for change in changes))
    await hub.start()
    try:
        cursor = hub.position
        await numbers.activate_numbers(elsewhere, world.child, refs(M))
        await asyncio.wait_for(hub.read(cursor, 10), 10)  # the reader's first poll is over: none races N
        await numbers.activate_numbers(services, world.child, refs(N))
        page = await asyncio.wait_for(hub.read(cursor, 10), 10)
    finally:
        await hub.stop()

    # Both writes were announced; the feed tells the listeners of M, which this process does not hold,
    # and not again of N, written here (its change may come without a body: the store was told of it).
    assert announced == [M, N] and heard == [M]
    assert [entry.e164 for entry in page.entries] == [M, N]
    assert page.entries[1].number is services.written_numbers.read({"_id": N, "_rev": page.entries[1].number.rev})
