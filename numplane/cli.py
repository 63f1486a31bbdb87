"""The command line (SPEC §14). Commands act as the root admin, found through the `root` pointer."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from numplane import cli_failure
from numplane.cli_usage import spell_plainly
from numplane.domain.api_keys import ROLES
from numplane.domain.states import State
from numplane.jobs.commands import jobs_app
from numplane.kazoo.commands import kazoo_app
from numplane.logs.setup import configure_logging
from numplane.resolvers import accounts, inventory, keys
from numplane.resolvers.context import Requester, Role, Services
from numplane.settings import Settings

T = TypeVar("T")

app = typer.Typer(
    no_args_is_help=True, add_completion=False, help="numplane: telephone numbers over GraphQL."
)
accounts_app = typer.Typer(no_args_is_help=True, help="Accounts (tenants).")
keys_app = typer.Typer(no_args_is_help=True, help="API keys.")
app.add_typer(accounts_app, name="accounts")
app.add_typer(keys_app, name="keys")
app.add_typer(jobs_app, name="jobs")
app.add_typer(kazoo_app, name="kazoo")


@app.callback()
def options(
    debug: Annotated[
        bool, typer.Option("--debug", help="show the traceback of a failure (also NUMPLANE_DEBUG=1)")
    ] = False,
) -> None:
    """numplane: telephone numbers over GraphQL."""
    cli_failure.show_tracebacks(debug)
    settings = cli_failure.reported(Settings)
    # A command's own output is its report (one line on failure): its logs show warnings unless
    # NUMPLANE_LOG_LEVEL asks for more. `serve` logs at the configured level (INFO by default).
    level = settings.log_level if "log_level" in settings.model_fields_set else "WARNING"
    configure_logging(level, settings.log_format)


StoreOption = Annotated[
    str | None, typer.Option("--store", envvar="NUMPLANE_STORE", help="sqlite:///path.db or http://host:5984")
]


def settings_for(store: str | None) -> Settings:
    return Settings(store=store) if store else Settings()


def with_services(store: str | None, work: Callable[[Services], Awaitable[T]]) -> T:
    async def main() -> T:
        services = Services.from_settings(settings_for(store))
        await services.store.open()
        try:
            return await work(services)
        finally:
            await services.store.close()

    return cli_failure.reported(lambda: asyncio.run(main()))


async def root_requester(services: Services) -> Requester:
    root = await keys.root_account(services)
    if root is None:
        typer.echo("error: no root account yet; run `numplane init` first.", err=True)
        raise typer.Exit(1)
    return Requester(root, Role.ADMIN)


@app.command()
def init(
    name: Annotated[str, typer.Option(help="name of the root account")] = "root", store: StoreOption = None
) -> None:
    """Create the root admin account if missing and print a new admin API key (one line)."""
    _root, key, _created = with_services(store, lambda s: keys.init_root(s, name))
    typer.echo(key)


@accounts_app.command("create")
def create_account(
    name: Annotated[str, typer.Argument(metavar="NAME")],
    parent: Annotated[str | None, typer.Option(metavar="ID", help="parent account id")] = None,
    store: StoreOption = None,
) -> None:
    """Create an account (under the root unless --parent) and print its id."""

    async def work(services: Services) -> str:
        account = await accounts.create_account(services, await root_requester(services), name, parent)
        return account.id

    typer.echo(with_services(store, work))


@keys_app.command("create")
def create_key(
    account_id: Annotated[str, typer.Argument(metavar="ACCOUNT_ID")],
    role: Annotated[
        str, typer.Option(help=f"one of {', '.join(ROLES)} (an admin key only for the root account)")
    ] = "user",
    store: StoreOption = None,
) -> None:
    """Create an API key for an account and print it (shown only now)."""

    async def work(services: Services) -> str:
        key, _key_id = await keys.create_key(services, await root_requester(services), account_id, role)
        return key

    typer.echo(with_services(store, work))


SHOWN_FAILURES = 5
"""Failed rows printed on stderr; all of them go to the report file."""
WORKER_HEALTHCHECK_SECONDS = 60
"""How long `serve --workers N`'s supervisor waits for a worker to answer before killing it as hung."""


@app.command("import")
def import_inventory(
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE",
            help="UTF-8 CSV: a `number` column and optional state, carrier, account_id columns, or a file "
            "written by `numplane export` (copied as it is, every state and field)",
        ),
    ],
    state: Annotated[State, typer.Option(metavar="STATE", help="default state of rows without one")] = State.AVAILABLE,
    carrier: Annotated[str, typer.Option(metavar="MODULE", help="default carrier module")] = "inventory",
    account: Annotated[
        str | None, typer.Option(metavar="ID", help="default account id (reserved and in_service rows need one)")
    ] = None,
    store: StoreOption = None,
) -> None:
    """Bulk-add numbers from a CSV, with a progress bar. A bad row fails alone: the failures are summarised
    by error code and written with their reasons to FILE.failed.csv beside the input."""
    from rich.progress import Progress

    def read() -> inventory.ParsedFile:
        text = inventory.decoded(file.read_bytes())
        return inventory.read_rows(text, state=state, carrier=carrier, account_id=account)

    parsed = cli_failure.reported(read)
    if parsed.ignored_columns:
        typer.echo(f"ignoring unknown columns: {', '.join(parsed.ignored_columns)}", err=True)

    async def work(services: Services) -> inventory.ImportReport:
        requester = await root_requester(services)
        with Progress(transient=True) as progress:
            task = progress.add_task("importing", total=parsed.size)
            return await inventory.import_file(services, requester, parsed, lambda n: progress.advance(task, n))

    report = with_services(store, work)
    failed = len(report.failures)
    for failure in report.failures[:SHOWN_FAILURES]:
        typer.echo(f"line {failure.line}: {failure.number}: {failure.code}: {failure.reason}", err=True)
    if failed:
        if failed > SHOWN_FAILURES:
            typer.echo(f"... and {failed - SHOWN_FAILURES} more", err=True)
        failures_path = file.with_name(file.name + ".failed.csv")
        with failures_path.open("w", encoding="utf-8", newline="") as target:
            inventory.write_failures(target, parsed.header, report.failures)
        summary = ", ".join(f"{code} {count}" for code, count in report.by_code())
        typer.echo(f"{failed} rows failed ({summary}); the rows and their reasons: {failures_path}", err=True)
    repeated = parsed.size - report.added - report.unchanged - failed  # the same number twice is added once
    typer.echo(
        f"imported {report.added} of {parsed.size} rows; {failed} failed"
        + (f"; {report.unchanged} already present and identical" if report.unchanged else "")
        + (f"; {repeated} repeated an earlier row" if repeated else "")
    )
    raise typer.Exit(2 if failed else 0)


@app.command("export")
def export_inventory(
    state: Annotated[list[State] | None, typer.Option(help="only these states (repeatable)")] = None,
    store: StoreOption = None,
) -> None:
    """Write every number as CSV to stdout, every field (see the README's CSV columns): importing the file
    into another store recreates the numbers exactly."""

    async def work(services: Services) -> int:
        requester = await root_requester(services)
        write = inventory.write_csv(sys.stdout)
        count = 0
        async for number in inventory.exported(services, requester, state):
            write(number)
            count += 1
        return count

    count = with_services(store, work)
    typer.echo(f"exported {count} numbers", err=True)


@app.command()
def schema() -> None:
    """Print the GraphQL SDL."""
    from numplane.schema.schema import sdl

    sys.stdout.write(sdl())


@app.command()
def serve(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    init: Annotated[bool, typer.Option("--init", help="create the root admin first if there is none")] = False,
    workers: Annotated[int, typer.Option(min=1, help="uvicorn worker processes (each with its own caches)")] = 1,
    store: StoreOption = None,
) -> None:
    """Serve the API at /graphql (plus /healthz, /readyz, /metrics)."""
    import os

    import uvicorn

    from numplane.web.ws_protocol import PROTOCOL as WS_PROTOCOL

    if store:
        os.environ["NUMPLANE_STORE"] = store  # worker processes read their settings from the environment
    settings = cli_failure.reported(lambda: settings_for(store))

    async def first_start(services: Services) -> str | None:
        # Opening the store here, before uvicorn, turns a bad store into one line instead of a traceback
        # from inside the server's startup.
        await services.store.ping()
        if not init or await keys.root_exists(services):
            return None
        _root, key, _created = await keys.init_root(services)
        return key

    key = with_services(store, first_start)
    configure_logging(settings.log_level, settings.log_format)  # a failure above stays one line
    if key:
        typer.echo(f"numplane: created the root admin. Its API key (shown once, keep it): {key}")
    elif init:
        typer.echo(
            "numplane: the store already has its root admin (its key was printed when it was created). "
            "Lost it? `numplane init` prints a new admin key; `numplane keys create ACCOUNT_ID` a key for "
            "an account."
        )
    typer.echo(f"numplane: serving http://{host}:{port}/graphql" + (" (GraphiQL on)" if settings.debug else ""))
    uvicorn.run(
        "numplane.app:served_app", factory=True, workers=workers, host=host, port=port, loop="uvloop",
        http="httptools", access_log=settings.access_log,
        # uvicorn's lines go through our logging configuration (text or JSON) like every other line.
        log_config=None, log_level=settings.log_level.lower(),
        # Protocol-level pings keep idle subscriptions open through proxies and drop dead peers.
        ws_ping_interval=settings.ws_ping_seconds, ws_ping_timeout=settings.ws_ping_seconds,
        # A WebSocket message is bounded like a request body: uvicorn refuses a bigger one (1009) before
        # reading it whole (the app checks again, for servers started otherwise).
        ws_max_size=settings.max_body_bytes,
        ws_per_message_deflate=False,
        ws=WS_PROTOCOL,  # uvicorn's, writing a subscription fan-out's messages several at a time
        # uvicorn's supervisor kills a worker that does not answer its ping within 5 s, and a worker still
        # starting (a fresh interpreter importing numplane) on a busy machine took longer: at a load of 15,
        # `--workers 2` killed and restarted its children for over 20 s before serving.
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
    )


spell_plainly(app)


def main() -> None:
    """The `numplane` program."""
    cli_failure.run(app, "numplane")  # also as `python -m numplane.cli`


if __name__ == "__main__":  # pragma: no cover
    main()
