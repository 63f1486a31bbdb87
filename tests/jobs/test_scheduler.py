"""The scheduler and the runner on a real store (both stores): jobs registered once, each slot run once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from numplane.domain.numbers import Number
from numplane.domain.states import State
from numplane.jobs import claims
from numplane.jobs.runner import Status, run_job
from numplane.jobs.scheduler import JobScheduler, slot_start, start_scheduler
from numplane.resolvers.context import Services
from numplane.settings import Settings
from numplane.store.base import Db, Key, Row, Store, StoreUnavailable
from tests.resolvers.conftest import Clock
from tests.support.counting import CountingStore
from tests.support.seeding import number, seed


def services_on(store: Store, clock: Clock, **settings: object) -> Services:
    return Services(store=store, settings=Settings(**settings), clock=clock)  # type: ignore[arg-type]


async def test_jobs_are_registered_with_fixed_ids_coalesced_single_instance_and_epoch_aligned(store: Store) -> None:
    services = services_on(store, Clock(), discovery_expiry_interval_seconds=600, aging_interval_seconds=900,
                           purge_deleted_interval_seconds=86400, port_cutover_interval_seconds=300)
    scheduler = start_scheduler(services)
    try:
        registered = {job_id: (interval, when) for job_id, interval, when in scheduler.jobs()}
        assert {k: v[0] for k, v in registered.items()} == {
            "discovery-expiry": 600, "aging": 900, "purge-deleted": 86400, "port-cutover": 300,
            "hold-expiry": 3600, "idempotency-expiry": 3600,
        }
        for job_id, (interval, when) in registered.items():
            assert when is not None and int(when.timestamp()) % interval == 0
            job = scheduler.apscheduler.get_job(job_id)
            assert (job.coalesce, job.max_instances) == (True, 1)
    finally:
        await scheduler.shutdown()
    assert not scheduler.apscheduler.running


async def test_scheduler_setting_off_leaves_it_idle(store: Store) -> None:
    scheduler = start_scheduler(services_on(store, Clock(), scheduler=False))
    assert not scheduler.apscheduler.running
    await scheduler.shutdown()


def test_slot_is_the_start_of_the_epoch_aligned_period() -> None:
    moment = datetime(2026, 11, 26, 12, 59, 59, 999999, tzinfo=UTC)
    assert slot_start(moment, 3600) == datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    assert slot_start(moment, 86400) == datetime(2026, 11, 26, 0, 0, tzinfo=UTC)


async def test_two_schedulers_on_one_store_run_each_slot_once(store: Store) -> None:
    clock = Clock()
    services = services_on(store, clock)
    # Two replicas: separate schedulers (and caches) over one store.
    replicas = [JobScheduler(services), JobScheduler(services_on(store, clock))]
    first_aged = clock.now - timedelta(days=90)
    await seed(store, [number(i, State.AGING, first_aged + timedelta(hours=i)) for i in range(3)])
    for _slot in range(3):
        # What APScheduler calls when the slot fires on each replica.
        fired = [r.apscheduler.get_job("aging") for r in replicas]
        outcomes = await asyncio.gather(*(job.func(*job.args) for job in fired))
        assert sorted(o.status.value for o in outcomes) == ["done", "refused"]
        (done,) = [o for o in outcomes if o.status is Status.DONE]
        assert done.report is not None and done.report.changed == 1
        clock.advance(hours=1)
    docs = await store.get_many(Db.NUMBERS, [f"+1415{i:07d}" for i in range(3)])
    aged = [Number.from_doc(d) for d in docs.values()]
    assert [sum(t.action == "age" for t in n.history) for n in aged] == [1, 1, 1]
    lease = (await store.get_many(Db.SYSTEM, [claims.lease_id("aging")]))[claims.lease_id("aging")]
    assert [run["slot"][:13] for run in lease["runs"]] == ["2026-11-26T12", "2026-11-26T13", "2026-11-26T14"]


async def test_a_replica_firing_late_in_the_same_period_does_not_run_it_again(store: Store) -> None:
    clock = Clock()
    early, late = JobScheduler(services_on(store, clock)), JobScheduler(services_on(store, clock))
    assert (await early.run_slot("purge-deleted")).status is Status.DONE
    clock.advance(minutes=20)
    assert (await late.run_slot("purge-deleted")).status is Status.REFUSED


class FailingStore(CountingStore):
    async def query(
        self, db: Db, view: str, *, start: Key, end: Key, after: Key | None = None, limit: int,
        listing: bool = False,
    ) -> list[Row]:
        raise StoreUnavailable("the database went away")


async def test_a_failed_run_frees_the_lease_at_once(store: Store) -> None:
    clock = Clock()
    with pytest.raises(StoreUnavailable):
        await run_job(services_on(FailingStore(store), clock), "aging", holder="A")
    lease = (await store.get_many(Db.SYSTEM, [claims.lease_id("aging")]))[claims.lease_id("aging")]
    assert (lease["state"], lease["runs"][-1]["outcome"]) == ("idle", "failed")
    assert (await run_job(services_on(store, clock), "aging", holder="B")).status is Status.DONE


async def test_a_run_that_stalls_past_its_lease_stops_when_another_replica_takes_over(store: Store) -> None:
    clock = Clock()
    services = services_on(store, clock)
    await services.store.put_many(Db.SYSTEM, [{"_id": "config", "pvt_type": "config", "max_batch": 2}])
    await seed(store, [number(i, State.DISCOVERY, clock.now - timedelta(days=3)) for i in range(6)])

    class Stalling(CountingStore):
        """After the first page, the replica stalls for 10 minutes and another one takes the lease."""

        async def query(
            self, db: Db, view: str, *, start: Key, end: Key, after: Key | None = None, limit: int,
            listing: bool = False,
        ) -> list[Row]:
            if after is not None and clock.now == start_time:
                clock.advance(minutes=10)
                other = await claims.claim(store, "discovery-expiry", holder="B", now=clock.now)
                assert isinstance(other, claims.Lease)
            return await super().query(db, view, start=start, end=end, after=after, limit=limit, listing=listing)

    start_time = clock.now
    outcome = await run_job(services_on(Stalling(store), clock), "discovery-expiry", holder="A")
    assert outcome.status is Status.LOST
