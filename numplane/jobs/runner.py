"""Run one job under its lease: claim, work (renewing the lease between pages), record the outcome.

The scheduler and the CLI both come through here, so a run on demand and a scheduled run never overlap.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Protocol

from numplane.jobs import claims
from numplane.jobs.claims import Lease, LeaseLost, Refusal
from numplane.logs.ids import current_job_run, new_id
from numplane.resolvers import maintenance, port_requests
from numplane.resolvers.context import Services
from numplane.resolvers.maintenance import BetweenPages, JobReport

log = logging.getLogger("numplane.jobs")


class JobWork(Protocol):
    def __call__(
        self, services: Services, now: datetime, *, between_pages: BetweenPages | None = None
    ) -> Awaitable[JobReport]: ...


JOBS: dict[str, JobWork] = {
    "discovery-expiry": maintenance.expire_discovery,
    "aging": maintenance.age_numbers,
    "purge-deleted": maintenance.purge_deleted,
    "hold-expiry": maintenance.expire_holds,
    "idempotency-expiry": maintenance.expire_idempotency,
    "port-cutover": port_requests.complete_due,
}


class Status(str, Enum):
    DONE = "done"  # the job ran to the end (some numbers may have failed: see the report)
    REFUSED = "refused"  # the slot already ran or another holder is running it: nothing done
    LOST = "lost"  # another replica took the lease over mid-run; the work done so far stands


@dataclass(frozen=True, slots=True)
class Outcome:
    job: str
    status: Status
    report: JobReport | None = None
    message: str = ""


def new_holder(kind: str) -> str:
    """Names the process in the lease document, so operators can tell which replica holds a job."""
    return f"{kind}:{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


async def run_job(
    services: Services,
    job: str,
    *,
    holder: str,
    slot: datetime | None = None,
    lease_seconds: int = claims.LEASE_SECONDS,
) -> Outcome:
    """Run `job` once; every line logged meanwhile (here, in the store, in the work) names this run."""
    token = current_job_run.set(f"{job}-{new_id()}")
    try:
        outcome = await _run(services, job, holder=holder, slot=slot, lease_seconds=lease_seconds)
    except BaseException:
        services.job_runs[(job, "failed")] += 1
        log.exception("job %s failed", job, extra={"job": job, "status": "failed"})
        raise
    finally:
        current_job_run.reset(token)
    services.job_runs[(job, outcome.status.value)] += 1
    return outcome


async def _run(services: Services, job: str, *, holder: str, slot: datetime | None, lease_seconds: int) -> Outcome:
    work = JOBS[job]
    now = services.clock()
    taken = await claims.claim(services.store, job, holder=holder, now=now, slot=slot, lease_seconds=lease_seconds)
    if isinstance(taken, Refusal):
        log.info("job %s refused: %s", job, taken.reason, extra={"job": job, "status": Status.REFUSED.value})
        return Outcome(job, Status.REFUSED, message=taken.reason)
    lease: Lease = taken
    if lease.took_over:
        log.warning("job %s: took over the expired lease of %s", job, lease.took_over)

    async def renew() -> None:
        nonlocal lease
        lease = await claims.renew(services.store, lease, services.clock(), lease_seconds)

    try:
        report = await work(services, now, between_pages=renew)
    except LeaseLost as lost:
        log.warning("job %s: %s; stopped", job, lost, extra={"job": job, "status": Status.LOST.value})
        return Outcome(job, Status.LOST, message=str(lost))
    except BaseException:
        await _release_after_failure(services, lease, "failed")
        raise
    try:
        await claims.finish(services.store, lease, services.clock(), "done", report.to_doc())
    except LeaseLost as lost:
        log.warning("job %s: %s after its work", job, lost, extra={"job": job, "status": Status.LOST.value})
        return Outcome(job, Status.LOST, report, message=str(lost))
    log.info("job %s done: %s", job, report.to_doc(), extra={"job": job, "status": Status.DONE.value})
    return Outcome(job, Status.DONE, report)


async def _release_after_failure(services: Services, lease: Lease, outcome: str) -> None:
    """Free the lease at once rather than after it expires; if even that fails, expiry frees it."""
    try:
        await claims.finish(services.store, lease, services.clock(), outcome, {})
    except Exception:  # the original error is the one worth raising
        log.exception("job %s: could not release the lease after a failure", lease.job)

