"""The job lease on a real store (both stores): one run per slot, and a dead replica's lease expires."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from numplane.jobs import claims
from numplane.jobs.claims import Lease, LeaseLost, Refusal
from numplane.store.base import Db, Store

T = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
SLOT = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
NEXT_SLOT = SLOT + timedelta(hours=1)


async def lease_doc(store: Store, job: str = "aging") -> dict[str, Any]:
    return (await store.get_many(Db.SYSTEM, [claims.lease_id(job)]))[claims.lease_id(job)]


async def test_two_replicas_claiming_the_same_slot_get_one_lease_and_one_refusal(store: Store) -> None:
    a, b = await asyncio.gather(
        claims.claim(store, "aging", holder="A", now=T, slot=SLOT),
        claims.claim(store, "aging", holder="B", now=T, slot=SLOT),
    )
    assert sorted(type(x).__name__ for x in (a, b)) == ["Lease", "Refusal"]
    winner = a if isinstance(a, Lease) else b
    assert isinstance(winner, Lease)
    await claims.finish(store, winner, T + timedelta(seconds=5), "done", {"changed": 3})
    late = await claims.claim(store, "aging", holder="C", now=T + timedelta(minutes=1), slot=SLOT)
    assert isinstance(late, Refusal) and not late.in_progress
    following = await claims.claim(store, "aging", holder="C", now=NEXT_SLOT, slot=NEXT_SLOT)
    assert isinstance(following, Lease)
    doc = await lease_doc(store)
    assert [run["holder"] for run in doc["runs"]] == [winner.holder]


async def test_each_job_has_its_own_lease(store: Store) -> None:
    aging = await claims.claim(store, "aging", holder="A", now=T, slot=SLOT)
    expiry = await claims.claim(store, "discovery-expiry", holder="B", now=T, slot=SLOT)
    assert isinstance(aging, Lease) and isinstance(expiry, Lease)


async def test_dead_replicas_lease_is_taken_over_after_it_expires(store: Store) -> None:
    dead = await claims.claim(store, "aging", holder="dead", now=T, slot=SLOT, lease_seconds=300)
    assert isinstance(dead, Lease)
    # The dead replica never finishes. Until its lease expires the job is busy, even for a later slot.
    busy = await claims.claim(store, "aging", holder="B", now=T + timedelta(seconds=299), slot=NEXT_SLOT)
    assert isinstance(busy, Refusal) and busy.in_progress
    taken = await claims.claim(store, "aging", holder="B", now=T + timedelta(seconds=300), slot=NEXT_SLOT)
    assert isinstance(taken, Lease) and taken.took_over == "dead"
    # If the "dead" replica was only stalled, it learns it lost the lease and stops.
    with pytest.raises(LeaseLost):
        await claims.renew(store, dead, T + timedelta(seconds=301), lease_seconds=300)
    with pytest.raises(LeaseLost):
        await claims.finish(store, dead, T + timedelta(seconds=302), "done", {})
    await claims.finish(store, taken, T + timedelta(seconds=303), "done", {})
    doc = await lease_doc(store)
    assert (doc["state"], doc["holder"]) == ("idle", "B")
    assert doc["runs"][-1]["took_over"] == "dead"


async def test_a_dead_replica_blocks_a_run_on_demand_only_until_its_lease_expires(store: Store) -> None:
    await claims.claim(store, "aging", holder="dead", now=T, slot=SLOT, lease_seconds=300)
    refused = await claims.claim(store, "aging", holder="cli", now=T + timedelta(seconds=10))
    assert isinstance(refused, Refusal) and refused.in_progress and "dead" in refused.reason
    assert isinstance(await claims.claim(store, "aging", holder="cli", now=T + timedelta(seconds=301)), Lease)


async def test_renewal_keeps_a_long_run_from_being_taken_over(store: Store) -> None:
    lease = await claims.claim(store, "aging", holder="A", now=T, slot=SLOT, lease_seconds=300)
    assert isinstance(lease, Lease)
    same = await claims.renew(store, lease, T + timedelta(seconds=100), lease_seconds=300)
    assert same.rev == lease.rev  # more than half the lease left: no write
    renewed = await claims.renew(store, lease, T + timedelta(seconds=200), lease_seconds=300)
    assert renewed.expires_at == T + timedelta(seconds=500)
    refused = await claims.claim(store, "aging", holder="B", now=T + timedelta(seconds=400), slot=NEXT_SLOT)
    assert isinstance(refused, Refusal) and refused.in_progress
    await claims.finish(store, renewed, T + timedelta(seconds=450), "done", {})


async def test_run_on_demand_does_not_use_up_the_scheduled_slot(store: Store) -> None:
    manual = await claims.claim(store, "aging", holder="cli", now=T)
    assert isinstance(manual, Lease)
    await claims.finish(store, manual, T + timedelta(seconds=1), "done", {})
    assert isinstance(await claims.claim(store, "aging", holder="A", now=T + timedelta(seconds=2), slot=SLOT), Lease)
