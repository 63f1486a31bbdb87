"""The ChangeHub: one reader that outlives store outages and feeds other consumers (the routing cache)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Mapping, Sequence
from itertools import pairwise

import pytest

from numplane.changes import hub
from numplane.changes.hub import ChangeHub
from numplane.domain.numbers import Number
from numplane.domain.states import State
from numplane.loop_turns import UNITS_PER_TURN
from numplane.resolvers import accounts, numbers
from numplane.resolvers.changes import number_changes
from numplane.store.base import Change, Db
from tests.changes.conftest import Feed
from tests.resolvers.test_lifecycle_scenarios import refs, stock

N = "+14155550123"


async def test_the_reader_survives_a_store_outage_and_resumes_from_its_cursor(feed: Feed) -> None:
    w = feed.world
    cursor = (await number_changes(w.services, w.admin)).cursor
    feed.store.failures_to_come = 4  # the next feed reads fail as if the database were down
    await stock(w, N)
    page = await number_changes(w.services, w.admin, after=cursor, wait_seconds=20)
    assert [c.e164 for c in page.changes] == [N]
    assert feed.hub.running


async def test_listeners_receive_number_and_account_changes(feed: Feed) -> None:
    w = feed.world
    heard: list[tuple[Db, list[str]]] = []

    def listener(db: Db, changes: Sequence[Change]) -> None:
        heard.append((db, [c.id for c in changes]))

    stop = feed.hub.add_listener(listener)
    account = await accounts.create_account(w.services, w.admin, "New")
    await stock(w, N)
    await numbers.activate_numbers(w.services, w.reseller, refs(N))
    page = await number_changes(w.services, w.admin, after=(await number_changes(w.services, w.admin)).cursor)
    assert page.changes == []  # the reader has caught up with every write above
    assert (Db.ACCOUNTS, [account.id]) in heard
    assert any(db is Db.NUMBERS and N in ids for db, ids in heard)
    stop()


async def test_a_failing_listener_does_not_stop_the_feed(feed: Feed) -> None:
    w = feed.world

    def broken(_db: Db, _changes: Sequence[Change]) -> None:
        raise RuntimeError("a consumer bug")

    feed.hub.add_listener(broken)
    cursor = (await number_changes(w.services, w.admin)).cursor
    await stock(w, N)
    page = await number_changes(w.services, w.admin, after=cursor, wait_seconds=10)
    assert [(c.e164, c.state) for c in page.changes] == [(N, State.AVAILABLE)]


async def test_a_poll_woken_by_a_number_write_reads_only_the_numbers_feed(feed: Feed) -> None:
    w = feed.world
    await feed.hub.stop()
    reader = ChangeHub(feed.store, poll_interval=60)  # no poll of every feed falls due during the test
    w.services.hub = reader
    await reader.start()
    heard: list[Db] = []
    stop = reader.add_listener(lambda db, _changes: heard.append(db))
    subscription = reader.subscribe(lambda _entry: True)  # someone waits: a write wakes the reader at once
    try:
        async with asyncio.timeout(10):
            await stock(w, N)  # read by the first poll (of every feed) or by one after it
            await anext(subscription)
            before = Counter({db: feed.store.reads[(db, "numplane-change-hub")] for db in Db})
            await stock(w, "+14155550124")
            assert (await anext(subscription)).e164 == "+14155550124"
            after = Counter({db: feed.store.reads[(db, "numplane-change-hub")] for db in Db})
            assert after[Db.NUMBERS] > before[Db.NUMBERS]
            assert (after[Db.ACCOUNTS], after[Db.PORTS]) == (before[Db.ACCOUNTS], before[Db.PORTS])

            await accounts.create_account(w.services, w.admin, "New")  # this process wrote an account
            await stock(w, "+14155550125")
            await anext(subscription)
            while Db.ACCOUNTS not in heard:
                await asyncio.sleep(0.01)
        assert feed.store.reads[(Db.ACCOUNTS, "numplane-change-hub")] > after[Db.ACCOUNTS]
    finally:
        subscription.close()
        stop()
        await reader.stop()


async def test_a_page_of_many_changes_is_read_in_turns_of_the_event_loop(
    feed: Feed, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Decoding a change costs ~0.1 ms and a page holds up to 500: read in one go, it held every request.
    log: list[str] = []
    decode = feed.hub._number

    def decoding(change: Change, written: Mapping[str, Number]) -> object:
        log.append("decode")
        return decode(change, written)

    def listener(db: Db, changes: Sequence[Change]) -> None:
        if db is Db.NUMBERS:
            log.append(f"listen {len(changes)}")

    reading = True

    async def another_request() -> None:
        while reading:
            log.append("turn")
            await asyncio.sleep(0)

    monkeypatch.setattr(feed.hub, "_number", decoding)
    feed.hub.add_listener(listener)
    other = asyncio.create_task(another_request())
    try:
        await stock(feed.world, *(f"+1415555{i:04d}" for i in range(120)))
        await feed.hub.sync()
    finally:
        reading = False
        await other
    assert log.count("decode") == 120
    runs = "".join("d" if entry == "decode" else " " for entry in log).split()
    assert max(len(run) for run in runs) <= UNITS_PER_TURN
    slices = [int(entry.split()[1]) for entry in log if entry.startswith("listen")]
    assert sum(slices) == 120 and max(slices) <= hub.LISTENER_SLICE


async def test_subscribers_woken_by_one_change_run_in_turns_of_the_event_loop(feed: Feed) -> None:
    # Each subscriber's reader runs a GraphQL execution when it wakes: woken all at once, ten distinct
    # subscriptions held every request for ten executions.
    log: list[str] = []
    subscriptions = [feed.hub.subscribe(lambda _entry: True) for _ in range(3)]
    feed.hub.subscribe(lambda _entry: False)  # hears nothing, wakes no one

    async def reader(index: int) -> None:
        async for _entry in subscriptions[index]:
            log.append(f"heard {index}")
            return

    reading = True

    async def another_request() -> None:
        while reading:
            log.append("turn")
            await asyncio.sleep(0)

    readers = [asyncio.create_task(reader(index)) for index in range(3)]
    other = asyncio.create_task(another_request())
    try:
        await stock(feed.world, N)
        async with asyncio.timeout(10):
            await asyncio.gather(*readers)
    finally:
        reading = False
        await other
    heard = [index for index, entry in enumerate(log) if entry.startswith("heard")]
    assert len(heard) == 3
    assert all(later - earlier > 1 for earlier, later in pairwise(heard))  # a turn between each two
