"""The change hub takes the numbers this process just wrote as they are (numplane.domain.written_numbers)
and decodes every other change from its document, with the same entries either way (both stores)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

from numplane.changes.hub import ChangeHub, FeedEntry
from numplane.domain.numbers import Number
from numplane.domain.written_numbers import WrittenNumbers
from numplane.resolvers import numbers
from numplane.store.base import ChangePage, Db, Doc, Store, WriteResult
from numplane.store.observed import ObservedStore
from numplane.store.sqlite import SqliteStore
from tests.resolvers.conftest import World, make_world
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


class WritesAnsweredLate(ObservedStore):
    """Answers a write of the number under watch only once the change feed has read it (numplane's own
    writes wake the hub, which has a subscriber here): after the feed's read of it has answered (`after`
    "read", as a caller of a merged write hears a hand-over later than the feed's reader), or after the
    hub's whole poll (`after` "poll"). `meanwhile` runs as the feed's read of the number answers."""

    def __init__(self, inner: Store, written: WrittenNumbers) -> None:
        super().__init__(inner)
        self.written = written
        self.watched: str | None = None
        self.hub: ChangeHub | None = None
        self.after: str | None = None
        self.meanwhile: Callable[[], Awaitable[object]] | None = None
        self.feed_read: asyncio.Future[None] | None = None
        self.kept_when_read: list[bool] = []  # whether the writer kept its number when the feed read it
        self.hub_reads: list[list[str]] = []  # the numbers the hub read again whole

    async def caught_up(self) -> None:
        """Until the hub has read every write made so far."""
        assert self.hub is not None
        await asyncio.wait_for(self.hub.sync(), 10)

    async def put_many(self, db: Db, docs: Sequence[Doc]) -> list[WriteResult]:
        results = await super().put_many(db, docs)  # written and announced: the hub's poll is on its way
        if db is Db.NUMBERS and any(doc["_id"] == self.watched for doc in docs):
            if self.after == "read":
                self.feed_read = asyncio.get_running_loop().create_future()
                await self.feed_read
            elif self.after == "poll":
                await self.caught_up()
        return results

    async def changes(self, db: Db, since: str | None, limit: int, **options: Any) -> ChangePage:
        page = await super().changes(db, since, limit, **options)
        for change in page.changes:
            if db is Db.NUMBERS and change.id == self.watched:
                self.kept_when_read.append(self.written.read(change.doc) is not None)
                if self.meanwhile is not None:
                    meanwhile, self.meanwhile = self.meanwhile, None
                    await meanwhile()
                if self.feed_read is not None and not self.feed_read.done():
                    self.feed_read.set_result(None)
        return page

    async def get_many(self, db: Db, ids: Sequence[str], *, held: Mapping[str, str] | None = None) -> dict[str, Doc]:
        task = asyncio.current_task()
        if db is Db.NUMBERS and task is not None and task.get_name() == "numplane-change-hub":
            self.hub_reads.append(list(ids))
        return await super().get_many(db, ids, held=held)


@asynccontextmanager
async def watching(store: Store, number: str) -> AsyncIterator[tuple[World, WritesAnsweredLate, list[FeedEntry]]]:
    """A world on `store` whose writes of `number` are answered late, and the entries its hub hands on."""
    written = WrittenNumbers()
    late = WritesAnsweredLate(store, written)
    world = await make_world(late)
    world.services.written_numbers = written
    late.hub = hub = ChangeHub(late, poll_interval=60, written_numbers=written)
    await hub.start()
    await stock(world, number)
    await late.caught_up()  # the hub's first poll, which reads every feed, is over: the next reads numbers alone
    late.watched = number
    entries: list[FeedEntry] = []
    subscription = hub.subscribe(lambda entry: entry.e164 == number)

    async def follow() -> None:
        async for entry in subscription:
            entries.append(entry)

    follower = asyncio.create_task(follow())
    try:
        yield world, late, entries
    finally:
        subscription.close()
        await hub.stop()
        await follower


async def test_a_number_the_feed_reads_before_its_writer_heard_of_its_write_is_taken_from_the_writer(
    store: Store,
) -> None:
    async with watching(store, N) as (world, late, entries):
        late.after = "read"
        here = (await numbers.activate_numbers(world.services, world.child, refs(N))).numbers[0]
        await late.caught_up()

    # The store answered the feed before the writer kept its number: the reader gave it the turn it needed.
    assert late.kept_when_read == [False]
    assert [entry.number for entry in entries] == [here] and entries[0].number is here
    assert late.hub_reads == []


async def test_a_number_whose_writer_hears_of_its_write_only_after_the_feed_is_read_again_whole(
    store: Store,
) -> None:
    async with watching(store, N) as (world, late, entries):
        late.after = "poll"
        here = (await numbers.activate_numbers(world.services, world.child, refs(N))).numbers[0]

    assert late.kept_when_read == [False]
    assert late.hub_reads == ([[N]] if isinstance(store, SqliteStore) else [])  # CouchDB answers it whole
    [entry] = entries
    assert entry.number == here and entry.number is not here
    assert entry.before is not None and entry.before.state.value == "available"


async def test_a_number_written_again_before_the_feed_reads_it_whole_is_handed_on_at_its_later_change(
    store: Store,
) -> None:
    async with watching(store, N) as (world, late, entries):
        elsewhere = replace(world.services, written_numbers=WrittenNumbers())  # a writer whose numbers are not kept

        async def released() -> None:
            await numbers.release_numbers(elsewhere, world.child, refs(N))

        late.meanwhile = released
        activated = (await numbers.activate_numbers(elsewhere, world.child, refs(N))).numbers[0]
        await late.caught_up()
        await late.caught_up()  # the release's change too
        current = (await store.get_many(Db.NUMBERS, [N]))[N]

    assert late.kept_when_read == [False, False]
    assert entries[-1].number == Number.from_doc(current)
    if isinstance(store, SqliteStore):
        # The activation's change moved on before the reader read it whole: like a read a moment later,
        # the feed hands on only the release, at its own change.
        assert len(entries) == 1
    else:  # CouchDB answered the activation whole at once
        assert [entry.number.rev for entry in entries] == [activated.rev, current["_rev"]]
