"""`numplane kazoo import` and `numplane kazoo verify`: the command-line shells of the migration."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from numplane.carriers.registry import CarrierSet
from numplane.domain.errors import DomainError
from numplane.domain.kazoo import is_legacy_module
from numplane.kazoo.migration import FollowStatus, Migration, Options
from numplane.kazoo.report import Report
from numplane.kazoo.source import SourceError, open_source
from numplane.kazoo.verify import verify
from numplane.resolvers.context import Services
from numplane.settings import Settings
from numplane.store.base import StoreUnavailable

T = TypeVar("T")

kazoo_app = typer.Typer(no_args_is_help=True, help="Move from Kazoo: import its numbers and accounts, follow, verify.")

SourceOption = Annotated[
    str, typer.Option("--source", help="Kazoo's CouchDB (http://user:pass@host:5984) or a folder of JSON documents")
]
AccountsOption = Annotated[str, typer.Option("--accounts-db", help="the database holding the account tree")]
PrefixOption = Annotated[str, typer.Option("--numbers-prefix", help="number databases are named PREFIX+…")]
CarrierMapOption = Annotated[
    list[str] | None, typer.Option("--carrier-map", help="knm_x=NAME: serve a Kazoo module by a numplane carrier")
]
StoreOption = Annotated[
    str | None, typer.Option("--store", envvar="NUMPLANE_STORE", help="sqlite:///path.db or http://host:5984")
]


def parse_carrier_map(entries: list[str] | None, carriers: CarrierSet) -> dict[str, str]:
    """`--carrier-map knm_x=NAME` entries; NAME must be one of numplane's own carriers."""
    known = [name for name in carriers.accepted if not is_legacy_module(name)]
    mapping: dict[str, str] = {}
    for entry in entries or ():
        module, sep, name = entry.partition("=")
        if not sep or not module.strip() or name.strip() not in known:
            raise typer.BadParameter(
                f"{entry!r}: expected knm_x=NAME with NAME one of {list(known)}", param_hint="--carrier-map"
            )
        mapping[module.strip()] = name.strip()
    return mapping


def _run(store: str | None, work: Callable[[Services], Awaitable[T]]) -> T:
    async def main() -> T:
        services = Services.from_settings(Settings(store=store) if store else Settings())
        await services.store.open()
        try:
            return await work(services)
        finally:
            await services.store.close()

    try:
        return asyncio.run(main())
    except (SourceError, StoreUnavailable) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    except DomainError as error:
        typer.echo(f"error: {error.code.value}: {error.message}", err=True)
        raise typer.Exit(1) from None


class _Rate(ProgressColumn):
    def render(self, task: Task) -> Text:
        return Text(f"{task.speed:,.0f} docs/s" if task.speed else "")


class _Bars:
    """One rich progress bar per source database, with counts and rate."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._tasks: dict[str, TaskID] = {}

    def advance(self, db: str, count: int) -> None:
        if db not in self._tasks:
            self._tasks[db] = self._progress.add_task(db, total=None)
        self._progress.advance(self._tasks[db], count)


@kazoo_app.command("import")
def import_command(
    source: SourceOption,
    accounts_db: AccountsOption = "accounts",
    numbers_prefix: PrefixOption = "numbers/",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="write only the report")] = False,
    follow: Annotated[
        bool, typer.Option("--follow", help="then apply every change until stopped (Ctrl-C); not with --dry-run")
    ] = False,
    carrier_map: CarrierMapOption = None,
    report: Annotated[Path, typer.Option("--report", help="CSV of refused, conflicting and noted documents")] = Path(
        "kazoo-import-report.csv"
    ),
    store: StoreOption = None,
) -> None:
    """Import Kazoo's accounts and numbers (create-only; a second run changes nothing)."""
    console = Console(stderr=True)

    async def work(services: Services) -> Report:
        options = Options(accounts_db, numbers_prefix, parse_carrier_map(carrier_map, services.carriers),
                          dry_run)
        kazoo = open_source(source)
        if follow and not kazoo.follows:
            raise SourceError("--follow needs a CouchDB source: a folder has no change feed")
        try:
            with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                          _Rate(), TimeElapsedColumn(), console=console) as progress:
                migration = Migration(services, kazoo, options, advance=_Bars(progress).advance)
                await migration.run()
            _print_summary(console, migration.report, f"Kazoo import from {kazoo.label}")
            migration.report.write_csv(report)
            if follow and not dry_run:
                await _follow(console, migration, report)
            return migration.report
        finally:
            await kazoo.close()

    result = _run(store, work)
    typer.echo(f"report: {report} ({len(result.refused())} refused, {len(result.conflicts())} conflicts)")
    raise typer.Exit(2 if result.refused() or result.conflicts() else 0)


async def _follow(console: Console, migration: Migration, report: Path) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    applied = 0

    def show(status: FollowStatus) -> None:
        nonlocal applied
        applied += status.applied
        if status.applied or status.pending:
            counts = ", ".join(f"{o} {n}" for k, o, n in migration.report.summary() if k == "number")
            console.print(f"following: {applied} changes applied ({counts}); lag {status.pending} changes, "
                          f"{status.round_seconds:.2f} s per round")
            migration.report.write_csv(report)

    console.print("following the change feeds; lag 0 means numplane is caught up (Ctrl-C to stop)")
    await migration.follow(stop, show)
    migration.report.write_csv(report)


def _print_summary(console: Console, report: Report, title: str) -> None:
    table = Table(title=title)
    for column in ("kind", "outcome", "documents"):
        table.add_column(column, justify="right" if column == "documents" else "left")
    for kind, outcome, count in report.summary():
        table.add_row(kind, outcome, str(count))
    console.print(table)


@kazoo_app.command("verify")
def verify_command(
    source: SourceOption,
    numbers_prefix: PrefixOption = "numbers/",
    carrier_map: CarrierMapOption = None,
    store: StoreOption = None,
) -> None:
    """Compare Kazoo's numbers with numplane's and print every difference; exit 1 when any differ."""
    console = Console(stderr=True)

    async def work(services: Services) -> tuple[int, int]:
        options = Options(numbers_prefix=numbers_prefix,
                          carrier_map=parse_carrier_map(carrier_map, services.carriers))
        kazoo = open_source(source)
        try:
            with Progress(console=console, transient=True) as progress:
                compared, differences = await verify(services, kazoo, options, advance=_Bars(progress).advance)
        finally:
            await kazoo.close()
        table = Table(title=f"{len(differences)} differences in {compared} numbers")
        for column in ("number", "field", "kazoo", "numplane"):
            table.add_column(column)
        for d in differences:
            table.add_row(d.number, d.field, repr(d.kazoo), repr(d.numplane))
        Console().print(table)
        return compared, len(differences)

    _compared, differing = _run(store, work)
    raise typer.Exit(1 if differing else 0)
