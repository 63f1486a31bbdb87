"""The scheduled jobs' work on a real store (both stores): what is due changes, nothing else does."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import pytest

from numplane.domain.numbers import Number
from numplane.domain.states import State
from numplane.resolvers import maintenance, numbers
from numplane.resolvers.bulk import NumberRef
from numplane.resolvers.system_config import update_config
from numplane.store.base import Db, Doc, Key, Row, Store
from numplane.store.sqlite import SqliteStore
from tests.resolvers.conftest import Clock, World, make_world
from tests.support.counting import CountingStore
from tests.support.seeding import number, seed

N = "+14155550123"


async def read(store: Store, e164: str) -> Number | None:
    docs = await store.get_many(Db.NUMBERS, [e164])
    return Number.from_doc(docs[e164]) if e164 in docs else None


async def tombstone(store: Store, e164: str) -> Doc:
    page = await store.changes(Db.NUMBERS, None, 100_000)
    (change,) = [c for c in page.changes if c.id == e164]
    assert change.deleted
    return change.doc


async def stock_and_activate(world: World, e164: str) -> None:
    added = await numbers.add_numbers(
        world.services, world.admin, [NumberRef(e164)], state=State.AVAILABLE, carrier="inventory"
    )
    assert not added.errors, added.errors
    activated = await numbers.activate_numbers(world.services, world.child, [NumberRef(e164)])
    assert not activated.errors, activated.errors


async def test_discovery_older_than_the_expiry_is_deleted_and_younger_is_kept(world: World) -> None:
    now = world.clock.now
    await seed(world.services.store, [
        number(1, State.DISCOVERY, now - timedelta(days=1)),  # exactly one day: due
        number(2, State.DISCOVERY, now - timedelta(days=1) + timedelta(seconds=1)),
        number(3, State.AVAILABLE, now - timedelta(days=30)),
    ])
    report = await maintenance.expire_discovery(world.services, now)
    assert (report.changed, report.failed, report.sample) == (1, 0, ["+14150000001"])
    assert await read(world.services.store, "+14150000001") is None
    assert await read(world.services.store, "+14150000002") is not None
    assert (await read(world.services.store, "+14150000003")) is not None
    gone = Number.from_doc(await tombstone(world.services.store, "+14150000001"))
    last = gone.history[-1]
    assert (last.action, last.requester, last.from_state, gone.state) == (
        "expire", "system", State.DISCOVERY, State.DELETED,
    )


async def test_discovery_expiry_days_change_is_honoured_and_zero_makes_every_number_due(world: World) -> None:
    now = world.clock.now
    await seed(world.services.store, [
        number(1, State.DISCOVERY, now - timedelta(days=5)),
        number(2, State.DISCOVERY, now - timedelta(days=2)),
        number(3, State.DISCOVERY, now),
    ])
    await update_config(world.services, world.admin, {"discovery_expiry_days": 3})
    assert (await maintenance.expire_discovery(world.services, now)).sample == ["+14150000001"]
    await update_config(world.services, world.admin, {"discovery_expiry_days": 0})
    report = await maintenance.expire_discovery(world.services, now)
    assert sorted(report.sample) == ["+14150000002", "+14150000003"]


async def test_aging_number_becomes_available_exactly_when_its_quarantine_ends(world: World) -> None:
    await stock_and_activate(world, N)
    released = await numbers.release_numbers(world.services, world.child, [NumberRef(N)])
    assert released.numbers[0].state is State.AGING
    world.clock.advance(days=90, seconds=-1)
    early = await maintenance.age_numbers(world.services, world.clock.now)
    assert (early.changed, early.examined) == (0, 0)
    assert (await read(world.services.store, N)).state is State.AGING  # type: ignore[union-attr]
    world.clock.advance(seconds=1)
    report = await maintenance.age_numbers(world.services, world.clock.now)
    assert (report.changed, report.sample) == (1, [N])
    aged = await read(world.services.store, N)
    assert aged is not None and aged.state is State.AVAILABLE
    last = aged.history[-1]
    assert (last.action, last.requester, last.from_state, last.to_state) == (
        "age", "system", State.AGING, State.AVAILABLE,
    )


async def test_edit_in_service_does_not_move_the_quarantine_and_unrelated_writes_keep_the_aging_clock(
    world: World,
) -> None:
    other = "+14155550199"
    await stock_and_activate(world, N)
    await stock_and_activate(world, other)
    activated_at = world.clock.now
    world.clock.advance(days=10)
    edited = await numbers.update_number(world.services, world.child, NumberRef(N), public={"label": "front desk"})
    assert edited.state_changed_at == activated_at
    world.clock.advance(days=10)
    released_at = world.clock.now
    await numbers.release_numbers(world.services, world.child, [NumberRef(N)])
    aging = await read(world.services.store, N)
    assert aging is not None and aging.state_changed_at == released_at
    world.clock.advance(days=89)
    await numbers.update_number(world.services, world.child, NumberRef(other), public={"label": "lobby"})
    await update_config(world.services, world.admin, {"history_length": 50})
    assert (await maintenance.age_numbers(world.services, world.clock.now)).changed == 0
    untouched = await read(world.services.store, N)
    assert untouched is not None and (untouched.rev, untouched.state_changed_at) == (aging.rev, released_at)
    world.clock.now = released_at + timedelta(days=90)
    assert (await maintenance.age_numbers(world.services, world.clock.now)).sample == [N]


async def test_aging_follows_the_state_clock_not_the_last_modification(world: World) -> None:
    now = world.clock.now
    await seed(world.services.store, [
        number(1, State.AGING, now - timedelta(days=91), modified=now - timedelta(days=1)),
        number(2, State.AGING, now - timedelta(days=89), modified=now - timedelta(days=89)),
    ])
    report = await maintenance.age_numbers(world.services, now)
    assert report.sample == ["+14150000001"]
    assert (await read(world.services.store, "+14150000002")).state is State.AGING  # type: ignore[union-attr]


async def test_legacy_deleted_documents_are_purged_and_nothing_else(world: World) -> None:
    now = world.clock.now
    await seed(world.services.store, [
        number(1, State.DELETED, now - timedelta(days=400)),
        number(2, State.DELETED, now),
        number(3, State.AVAILABLE, now - timedelta(days=400)),
        number(4, State.DISCOVERY, now - timedelta(days=400)),
    ])
    report = await maintenance.purge_deleted(world.services, now)
    assert sorted(report.sample) == ["+14150000001", "+14150000002"]
    remaining = await world.services.store.get_many(Db.NUMBERS, [f"+141500000{i:02d}" for i in range(1, 5)])
    assert sorted(remaining) == ["+14150000003", "+14150000004"]
    last = Number.from_doc(await tombstone(world.services.store, "+14150000002")).history[-1]
    assert (last.action, last.requester) == ("purge", "system")


async def test_second_run_of_every_job_changes_nothing(world: World) -> None:
    now = world.clock.now
    old = now - timedelta(days=400)
    await seed(world.services.store, [
        number(i, state, old) for i, state in enumerate([State.DISCOVERY, State.AGING, State.DELETED] * 4)
    ])
    jobs = (maintenance.expire_discovery, maintenance.age_numbers, maintenance.purge_deleted)
    first = [await job(world.services, now) for job in jobs]
    assert [r.changed for r in first] == [4, 4, 4]
    before = await world.services.store.get_many(Db.NUMBERS, [f"+1415{i:07d}" for i in range(12)])
    second = [await job(world.services, now) for job in jobs]
    assert [(r.changed, r.examined) for r in second] == [(0, 0)] * 3
    assert await world.services.store.get_many(Db.NUMBERS, [f"+1415{i:07d}" for i in range(12)]) == before


async def test_run_interrupted_after_a_page_is_completed_by_the_next(world: World) -> None:
    await update_config(world.services, world.admin, {"max_batch": 10})
    now = world.clock.now
    await seed(world.services.store, [number(i, State.DISCOVERY, now - timedelta(days=2)) for i in range(25)])
    pages = 0

    async def crash_on_second_page() -> None:
        nonlocal pages
        pages += 1
        if pages == 2:
            raise RuntimeError("replica died")

    with pytest.raises(RuntimeError, match="replica died"):
        await maintenance.expire_discovery(world.services, now, between_pages=crash_on_second_page)
    left = await world.services.store.query(Db.NUMBERS, "clock", start=("discovery",), end=("discovery", "~"),
                                            limit=100)
    assert len(left) == 15
    report = await maintenance.expire_discovery(world.services, now)
    assert (report.changed, report.failed) == (15, 0)


class MeddlingStore(CountingStore):
    """Changes the numbers it is told to right after a view page names them: a race with the job."""

    def __init__(self, inner: Store, *, reclaim: str, delete: str) -> None:
        super().__init__(inner)
        self.reclaim, self.delete = reclaim, delete

    async def query(
        self, db: Db, view: str, *, start: Key, end: Key, after: Key | None = None, limit: int,
        listing: bool = False,
    ) -> list[Row]:
        rows = await super().query(db, view, start=start, end=end, after=after, limit=limit, listing=listing)
        if view == "clock":
            docs = await self.inner.get_many(Db.NUMBERS, [self.reclaim, self.delete])
            changes: Sequence[Doc] = [
                {**docs[self.reclaim], "pvt_state": "reserved", "pvt_state_changed_at": "2026-11-26T11:00:00.000000Z"},
                {**docs[self.delete], "_deleted": True},
            ] if len(docs) == 2 else []
            await self.inner.put_many(Db.NUMBERS, changes)
        return rows


async def test_numbers_changed_after_the_view_read_are_skipped_not_failed(store: Store) -> None:
    clock = Clock()
    old = clock.now - timedelta(days=100)
    await seed(store, [number(i, State.AGING, old) for i in range(3)])
    meddling = MeddlingStore(store, reclaim="+14150000000", delete="+14150000001")
    world_services = (await make_world(meddling)).services
    world_services.clock = clock
    report = await maintenance.age_numbers(world_services, clock.now)
    assert (report.changed, report.skipped, report.failed, report.sample) == (1, 2, 0, ["+14150000002"])
    reclaimed = await read(store, "+14150000000")
    assert reclaimed is not None and reclaimed.state is State.RESERVED


async def test_job_reads_about_the_due_numbers_not_the_whole_store(store: Store) -> None:
    # SQLite: 1,000 due among 100,000; CouchDB (pouchdb-server builds views slowly): 100 among 5,000.
    total, stride = (100_000, 100) if isinstance(store, SqliteStore) else (5_000, 50)
    clock = Clock()
    now = clock.now
    old, young = now - timedelta(days=120), now - timedelta(hours=1)

    def state_of(i: int) -> tuple[State, datetime]:
        kind = i % stride
        if kind == 0:
            return State.DISCOVERY, old
        if kind == 1:
            return State.AGING, old
        return ((State.DISCOVERY, young), (State.AGING, young), (State.AVAILABLE, old))[kind % 3]

    await seed(store, (number(i, *state_of(i)) for i in range(total)))
    counting = CountingStore(store)
    services = (await make_world(counting)).services
    services.clock = clock
    due = total // stride
    for job in (maintenance.expire_discovery, maintenance.age_numbers):
        counting.documents_read = 0
        report = await job(services, now)
        assert (report.changed, report.failed) == (due, 0)
        # One view row per due number (the engine decides on it without reading again), plus the config.
        assert counting.documents_read <= due + 2, counting.documents_read
