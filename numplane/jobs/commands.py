"""`numplane jobs run <job>`: run one scheduled job now, under the same lease as the scheduler.

Exit codes: 0 the job ran; 1 it did not run (another run is in progress, or the lease was taken over
mid-run); 2 it ran but some numbers failed (they are listed and stay due for the next run).
"""

from __future__ import annotations

import asyncio
from enum import Enum
from typing import Annotated

import typer

from numplane.jobs.runner import Outcome, Status, new_holder, run_job
from numplane.resolvers.context import Services
from numplane.settings import Settings

jobs_app = typer.Typer(
    help="Scheduled jobs: discovery expiry, aging, legacy purge, port cut-over, hold and idempotency-key cleaning.",
    no_args_is_help=True,
)


class JobName(str, Enum):
    DISCOVERY_EXPIRY = "discovery-expiry"
    AGING = "aging"
    PURGE_DELETED = "purge-deleted"
    HOLD_EXPIRY = "hold-expiry"
    IDEMPOTENCY_EXPIRY = "idempotency-expiry"
    PORT_CUTOVER = "port-cutover"


JOB_NAMES = tuple(name.value for name in JobName)


@jobs_app.callback()
def jobs() -> None:
    """Scheduled jobs: discovery expiry, aging, legacy purge, port cut-over, hold and idempotency-key cleaning
    (the server runs them on its own)."""


@jobs_app.command("run")
def run_command(
    job: Annotated[str, typer.Argument(metavar="JOB", help=f"the job to run now: {', '.join(JOB_NAMES)}")],
    store: Annotated[
        str | None,
        typer.Option("--store", envvar="NUMPLANE_STORE", help="sqlite:///path.db or http://user:pass@host:5984"),
    ] = None,
) -> None:
    """Run one job now and print what it changed."""
    if job not in JOB_NAMES:
        typer.echo(f"error: there is no job {job!r}; the jobs are {', '.join(JOB_NAMES)}.", err=True)
        raise typer.Exit(2)
    settings = Settings()
    outcome = asyncio.run(run_now(store or settings.store, settings, job))
    for line in describe(outcome):
        typer.echo(line, err=outcome.status is not Status.DONE)
    raise typer.Exit(exit_code(outcome))


async def run_now(url: str, settings: Settings, job: str) -> Outcome:
    services = Services.from_settings(settings.model_copy(update={"store": url}))
    await services.store.open()
    try:
        return await run_job(services, job, holder=new_holder("cli"))
    finally:
        await services.store.close()


def describe(outcome: Outcome) -> list[str]:
    if outcome.status is Status.REFUSED:
        return [f"{outcome.job}: not run: {outcome.message}."]
    report = outcome.report
    lines = [] if report is None else [
        f"{outcome.job}: {report.changed} changed, {report.skipped} skipped (no longer due), "
        f"{report.failed} failed, {report.examined} examined.",
        *(f"  changed {number}" for number in report.sample),
        *([f"  ... and {report.changed - len(report.sample)} more"] if report.changed > len(report.sample) else []),
        *(f"  failed {message}" for message in report.errors),
    ]
    if outcome.status is Status.LOST:
        lines.append(f"{outcome.job}: stopped: {outcome.message}.")
    return lines


def exit_code(outcome: Outcome) -> int:
    if outcome.status is not Status.DONE:
        return 1
    return 2 if outcome.report is not None and outcome.report.failed else 0
