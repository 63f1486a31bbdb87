"""The webhook feed reader's saved cursor (issue 17 item 4): pages that no endpoint hears of cost no cursor
write each (on CouchDB that write was a third of a plain writer's store requests), and a clean stop still
leaves the cursor where the reader got to, so the next holder neither re-reads nor skips."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import pytest

from numplane.changes.hub import ChangeHub
from numplane.jobs import webhooks
from numplane.jobs.webhooks import CURSOR_ID, Dispatcher
from numplane.store.base import Db, Doc, Store
from numplane.store.observed import ObservedStore
from tests.resolvers.conftest import World, make_world
from tests.resolvers.test_lifecycle_scenarios import stock


@dataclass
class Reader:
    world: World
    hub: ChangeHub
    dispatcher: Dispatcher
    cursor_writes: list[Doc]


@pytest.fixture
async def reader(store: Store, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Reader]:
    monkeypatch.setattr(webhooks, "CURSOR_SAVE_SECONDS", 3600)  # no timed save while the test runs
    observed = ObservedStore(store)
    world = await make_world(observed)
    hub = world.services.hub = ChangeHub(observed, poll_interval=0.05)
    cursor_writes: list[Doc] = []
    observed.listen(lambda db, docs: cursor_writes.extend(d for d in docs if db is Db.SYSTEM and d["_id"] == CURSOR_ID))
    await hub.start()
    dispatcher = Dispatcher(world.services, hub)
    dispatcher.start()
    try:
        yield Reader(world, hub, dispatcher, cursor_writes)
    finally:
        await asyncio.wait_for(dispatcher.stop(), 10)
        await asyncio.wait_for(hub.stop(), 10)


async def until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(20):
        while not condition():
            await asyncio.sleep(0.01)


async def test_changes_no_endpoint_hears_move_the_saved_cursor_only_at_a_clean_stop(reader: Reader) -> None:
    await until(lambda: reader.dispatcher.feed_cursor != "")  # holds the lease; its first start saved once
    saved_at_start = len(reader.cursor_writes)
    for number in ("+14155550181", "+14155550182", "+14155550183"):
        await stock(reader.world, number)  # one mutation, one page for the reader
    await until(lambda: reader.dispatcher.feed_cursor == reader.hub.position)
    assert len(reader.cursor_writes) == saved_at_start

    await reader.dispatcher.stop()
    stored = await reader.world.services.store.get_many(Db.SYSTEM, [CURSOR_ID])
    assert stored[CURSOR_ID]["cursor"] == reader.hub.position
