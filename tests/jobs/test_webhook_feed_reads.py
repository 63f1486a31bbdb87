"""What the webhook feed reader costs the store when nobody hears of the changes (issue 17 item 4): on
CouchDB its reads and writes after every mutation were a large part of a plain writer's store requests, and
they held other tenants' requests. Pages no endpoint hears of save no cursor each, and a clean stop still
saves where the reader got to, so the next holder neither re-reads nor skips."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest

from numplane.changes.hub import ChangeHub
from numplane.jobs import webhooks
from numplane.jobs.webhooks import CURSOR_ID, Dispatcher
from numplane.settings import Settings
from numplane.store.base import Db, Doc, Store
from tests.changes.conftest import CountingStore
from tests.resolvers.conftest import World, make_world
from tests.resolvers.test_lifecycle_scenarios import stock

NUMBERS = ("+14155550181", "+14155550182", "+14155550183")


@dataclass
class Reader:
    world: World
    store: CountingStore
    hub: ChangeHub
    dispatcher: Dispatcher
    cursor_writes: list[Doc]


@asynccontextmanager
async def reading(store: Store, poll_seconds: float) -> AsyncIterator[Reader]:
    """A hub and a dispatcher holding the feed lease, the hub and the endpoint list polled every `poll_seconds`."""
    counting = CountingStore(store)
    world = await make_world(counting, Settings(carriers="simulated", webhooks_poll_seconds=poll_seconds))
    hub = world.services.hub = ChangeHub(counting, poll_interval=poll_seconds)
    cursor_writes: list[Doc] = []
    counting.listen(lambda db, docs: cursor_writes.extend(d for d in docs if db is Db.SYSTEM and d["_id"] == CURSOR_ID))
    await hub.start()
    dispatcher = Dispatcher(world.services, hub)
    dispatcher.start()
    try:
        reader = Reader(world, counting, hub, dispatcher, cursor_writes)
        await until(lambda: reader.dispatcher.feed_cursor != "")  # it holds the lease; a first start saved once
        await hub.sync()  # the hub has read that save, for which the reader's first page waited
        yield reader
    finally:
        await asyncio.wait_for(dispatcher.stop(), 10)
        await asyncio.wait_for(hub.stop(), 10)


@pytest.fixture
async def reader(store: Store, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Reader]:
    monkeypatch.setattr(webhooks, "CURSOR_SAVE_SECONDS", 3600)  # no timed save while the test runs
    async with reading(store, 0.05) as reader:
        yield reader


async def until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(20):
        while not condition():
            await asyncio.sleep(0.01)


async def test_changes_no_endpoint_hears_move_the_saved_cursor_only_at_a_clean_stop(reader: Reader) -> None:
    saved_at_start = len(reader.cursor_writes)
    for number in NUMBERS:
        await stock(reader.world, number)  # a mutation each
    await reader.hub.sync()
    await until(lambda: reader.dispatcher.feed_cursor == reader.hub.position)
    assert len(reader.cursor_writes) == saved_at_start

    await reader.dispatcher.stop()
    stored = await reader.world.services.store.get_many(Db.SYSTEM, [CURSOR_ID])
    assert stored[CURSOR_ID]["cursor"] == reader.hub.position



async def test_mutations_no_endpoint_hears_cost_no_feed_read_each(store: Store) -> None:
    # Polled once an hour: whatever the store is asked below, the mutations asked it.
    async with reading(store, 3600) as reader:
        reads = reader.store.reads.copy()
        for number in NUMBERS:
            await stock(reader.world, number)
        # The dispatcher's wait for news made the hub read the feed after every mutation (and the dispatcher
        # read the endpoint list after each page); with no endpoint it waits for the list's next read.
        assert reader.store.reads - reads == Counter()
