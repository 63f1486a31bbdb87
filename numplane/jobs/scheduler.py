"""APScheduler 3.11 inside the server's event loop (never 4.x: still an alpha).

Every replica runs one of these; the jobs' triggers are aligned on the Unix epoch, so all replicas fire
at the same instants and compute the same slot (the start of the period), and the lease of
`numplane.jobs.claims` lets exactly one of them run each slot.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler  # type: ignore[import-untyped]
from apscheduler.triggers.interval import IntervalTrigger  # type: ignore[import-untyped]

from numplane.jobs.runner import JOBS, Outcome, new_holder, run_job
from numplane.resolvers.context import Services
from numplane.settings import Settings

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SHUTDOWN_GRACE_SECONDS = 10.0
"""A job running at shutdown gets this long to finish its page and release its lease; after that it is
cancelled and its lease expires on its own."""

INTERVALS: dict[str, Callable[[Settings], int]] = {
    "discovery-expiry": lambda s: s.discovery_expiry_interval_seconds,
    "aging": lambda s: s.aging_interval_seconds,
    "purge-deleted": lambda s: s.purge_deleted_interval_seconds,
    "hold-expiry": lambda s: s.hold_expiry_interval_seconds,
    "idempotency-expiry": lambda s: s.idempotency_expiry_interval_seconds,
    "port-cutover": lambda s: s.port_cutover_interval_seconds,
}


def slot_start(moment: datetime, interval_seconds: int) -> datetime:
    """The start of the epoch-aligned period containing `moment`: the same on every replica."""
    seconds = int((moment - EPOCH).total_seconds())
    return datetime.fromtimestamp(seconds - seconds % interval_seconds, tz=UTC)


class JobScheduler:
    def __init__(self, services: Services, *, holder: str | None = None) -> None:
        self.services = services
        self.holder = holder or new_holder("server")
        self.enabled = services.settings.scheduler
        self.apscheduler = AsyncIOScheduler(timezone=UTC)
        self._running: set[asyncio.Task[object]] = set()
        for job in JOBS:
            interval = INTERVALS[job](services.settings)
            self.apscheduler.add_job(
                self.run_slot,
                IntervalTrigger(seconds=interval, start_date=EPOCH, timezone=UTC),
                args=[job],
                id=job,
                name=job,
                replace_existing=True,
                coalesce=True,
                max_instances=1,
                # A replica that fires late still computes the same slot; later than half a period it
                # skips, and the next period does the work.
                misfire_grace_time=max(1, interval // 2),
            )

    def start(self) -> None:
        """Call from inside the running event loop (the app lifespan)."""
        if self.enabled:
            self.apscheduler.start()

    def jobs(self) -> list[tuple[str, int, datetime | None]]:
        """(id, interval in seconds, next fire time) of each registered job."""
        return [
            (job.id, int(job.trigger.interval.total_seconds()), getattr(job, "next_run_time", None))
            for job in self.apscheduler.get_jobs()
        ]

    async def run_slot(self, job: str) -> Outcome:
        """What the scheduler calls: run `job` for the period containing now, if no replica has."""
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        try:
            slot = slot_start(self.services.clock(), INTERVALS[job](self.services.settings))
            # A failure propagates to APScheduler, which logs it; what is still due waits for the next period.
            outcome = await run_job(self.services, job, holder=self.holder, slot=slot)
        finally:
            if task is not None:
                self._running.discard(task)
        return outcome  # run_job logged it, with the run's id

    async def shutdown(self) -> None:
        if not self.apscheduler.running:
            return
        self.apscheduler.pause()
        if self._running:
            await asyncio.wait(set(self._running), timeout=SHUTDOWN_GRACE_SECONDS)
        self.apscheduler.shutdown(wait=False)  # cancels what is still running
        await asyncio.sleep(0)  # AsyncIOScheduler shuts down in a loop callback: let it run


def start_scheduler(services: Services) -> JobScheduler:
    """Build and start the scheduler (it stays idle when `Settings.scheduler` is off)."""
    scheduler = JobScheduler(services)
    scheduler.start()
    return scheduler
