"""Exactly once per period across replicas: one lease document per job in the system database.

Every replica (and every `uvicorn` worker) runs its own scheduler, so every slot fires N times; each firing
must first take the job's lease `job:<name>`, a small document written only with a revision check:

- the first claim creates it (a create conflicts if another replica created it first: that one won);
- later claims update it from the revision they read, so of two replicas that read the same revision
  exactly one write lands and the other gets a conflict and skips;
- a scheduled claim names its slot (the epoch-aligned start of the period) and is refused when the lease
  already records that slot or a later one, so a slot runs once even when a replica fires late;
- the holder renews the lease while it works; a lease whose `expires_at` passed while it still says
  `running` belongs to a replica that died, and the next claim takes it over (again with a revision check);
- a run on demand (the CLI) takes the same lease without a slot, so it never overlaps a scheduled run.

One document per job, rewritten in place, so there are no per-slot documents to clean up; it keeps the
last few runs for operators.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from numplane.domain.clock import format_time, parse_time
from numplane.store.base import Db, Doc, Store

LEASE_SECONDS = 300
"""How long a claim holds without renewal. A replica that dies blocks its job at most this long."""

RUNS_KEPT = 20

RUNNING = "running"
IDLE = "idle"


class LeaseLost(Exception):
    """Another replica took the lease over (this one stalled past `expires_at`): stop working."""


@dataclass(frozen=True, slots=True)
class Lease:
    """A claim this process holds; `rev` is the revision it last wrote."""

    job: str
    holder: str
    rev: str
    slot: str | None  # the latest scheduled period claimed (this run's, unless it runs on demand)
    scheduled: bool  # False: a run on demand, which leaves the recorded slot as it was
    started_at: datetime
    expires_at: datetime
    took_over: str | None  # the holder of the stale lease this one replaced
    runs: tuple[dict[str, Any], ...]


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a claim was not taken: the slot already ran, or a live run holds the lease."""

    job: str
    reason: str
    in_progress: bool  # another holder is running this job right now


def lease_id(job: str) -> str:
    return f"job:{job}"


async def claim(
    store: Store,
    job: str,
    *,
    holder: str,
    now: datetime,
    slot: datetime | None = None,
    lease_seconds: int = LEASE_SECONDS,
) -> Lease | Refusal:
    doc_id = lease_id(job)
    current = (await store.get_many(Db.SYSTEM, [doc_id])).get(doc_id)
    slot_text = format_time(slot) if slot is not None else None
    took_over: str | None = None
    if current is not None:
        refusal = _refusal(job, current, now, slot_text)
        if refusal is not None:
            return refusal
        if current.get("state") == RUNNING:
            took_over = str(current.get("holder"))
    lease = Lease(
        job=job,
        holder=holder,
        rev="",
        slot=slot_text or (current.get("slot") if current else None),
        scheduled=slot_text is not None,
        started_at=now,
        expires_at=now + timedelta(seconds=lease_seconds),
        took_over=took_over,
        runs=tuple(current.get("runs") or ()) if current else (),
    )
    doc = _doc(lease, state=RUNNING, rev=current.get("_rev") if current else None)
    (result,) = await store.put_many(Db.SYSTEM, [doc])
    if not result.ok or result.rev is None:
        return Refusal(job, "another replica claimed it at the same moment", in_progress=True)
    return replace(lease, rev=result.rev)


def _refusal(job: str, current: Doc, now: datetime, slot: str | None) -> Refusal | None:
    holder = current.get("holder")
    running = current.get("state") == RUNNING
    expires = current.get("expires_at")
    if running and isinstance(expires, str) and parse_time(expires) > now:
        return Refusal(job, f"a run is in progress on {holder} (lease until {expires})", in_progress=True)
    last_slot = current.get("slot")
    if slot is not None and isinstance(last_slot, str) and last_slot >= slot:
        return Refusal(job, f"the period starting {slot} was already claimed", in_progress=False)
    return None


async def renew(store: Store, lease: Lease, now: datetime, lease_seconds: int = LEASE_SECONDS) -> Lease:
    """Extend the lease when less than half of it is left (cheap to call before every page)."""
    if lease.expires_at - now > timedelta(seconds=lease_seconds / 2):
        return lease
    renewed = replace(lease, expires_at=now + timedelta(seconds=lease_seconds))
    return await _write(store, renewed, state=RUNNING)


async def finish(store: Store, lease: Lease, now: datetime, outcome: str, summary: dict[str, Any]) -> None:
    """Release the lease and record the run; raises LeaseLost if another replica took it over meanwhile."""
    entry: dict[str, Any] = {
        "slot": lease.slot if lease.scheduled else None,
        "holder": lease.holder,
        "started_at": format_time(lease.started_at),
        "finished_at": format_time(now),
        "outcome": outcome,
        **summary,
    }
    if lease.took_over:
        entry["took_over"] = lease.took_over
    done = replace(lease, expires_at=now, runs=(*lease.runs, entry)[-RUNS_KEPT:])
    await _write(store, done, state=IDLE)


async def _write(store: Store, lease: Lease, *, state: str) -> Lease:
    (result,) = await store.put_many(Db.SYSTEM, [_doc(lease, state=state, rev=lease.rev)])
    if not result.ok or result.rev is None:
        raise LeaseLost(f"the lease of {lease.job} was taken over by another replica")
    return replace(lease, rev=result.rev)


def _doc(lease: Lease, *, state: str, rev: str | None) -> Doc:
    doc: Doc = {
        "_id": lease_id(lease.job),
        "pvt_type": "job_lease",
        "job": lease.job,
        "state": state,
        "holder": lease.holder,
        "slot": lease.slot,
        "started_at": format_time(lease.started_at),
        "expires_at": format_time(lease.expires_at),
        "runs": list(lease.runs),
    }
    if rev is not None:
        doc["_rev"] = rev
    return doc
