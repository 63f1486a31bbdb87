"""The command line (SPEC §14). Commands act as the root admin, found through the `root` pointer."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer

from numplane.domain.errors import DomainError
from numplane.domain.states import State
from numplane.jobs.commands import jobs_app
from numplane.kazoo.commands import kazoo_app
from numplane.resolvers import accounts, inventory, keys
from numplane.resolvers.context import Requester, Role, Services
from numplane.settings import Settings

T = TypeVar("T")

app = typer.Typer(no_args_is_help=True, add_completion=False, help="numplane: telephone numbers over GraphQL.")
accounts_app = typer.Typer(no_args_is_help=True, help="Accounts (tenants).")
keys_app = typer.Typer(no_args_is_help=True, help="API keys.")
app.add_typer(accounts_app, name="accounts")
app.add_typer(keys_app, name="keys")
app.add_typer(jobs_app, name="jobs")
app.add_typer(kazoo_app, name="kazoo")

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

    try:
        return asyncio.run(main())
    except DomainError as error:
        typer.echo(f"error: {error.code.value}: {error.message}", err=True)
        raise typer.Exit(1) from None


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
    name: str, parent: Annotated[str | None, typer.Option(help="parent account id")] = None, store: StoreOption = None
) -> None:
    """Create an account (under the root unless --parent) and print its id."""

    async def work(services: Services) -> str:
        account = await accounts.create_account(services, await root_requester(services), name, parent)
        return account.id

    typer.echo(with_services(store, work))


@keys_app.command("create")
def create_key(
    account_id: str,
    role: Annotated[str, typer.Option(help="user or router")] = "user",
    store: StoreOption = None,
) -> None:
    """Create an API key for an account and print it (shown only now)."""

    async def work(services: Services) -> str:
        key, _key_id = await keys.create_key(services, await root_requester(services), account_id, role)
        return key

    typer.echo(with_services(store, work))


@app.command("import")
def import_inventory(
    file: Annotated[typer.FileText, typer.Argument(help="CSV with a `number` column (and optional state, "
                                                     "carrier, account_id columns)")],
    state: Annotated[State, typer.Option(help="default state")] = State.AVAILABLE,
    carrier: Annotated[str, typer.Option(help="default carrier module")] = "inventory",
    account: Annotated[str | None, typer.Option(help="default account id (for reserved / in_service)")] = None,
    store: StoreOption = None,
) -> None:
    """Bulk-add numbers from a CSV, with a progress bar; failed rows are listed on stderr."""
    from rich.progress import Progress

    try:
        rows = inventory.read_rows(file, state=state, carrier=carrier, account_id=account)
    except DomainError as error:
        typer.echo(f"error: {error.code.value}: {error.message}", err=True)
        raise typer.Exit(1) from None

    async def work(services: Services) -> inventory.ImportReport:
        requester = await root_requester(services)
        with Progress(transient=True) as progress:
            task = progress.add_task("importing", total=len(rows))
            return await inventory.import_rows(services, requester, rows, lambda n: progress.advance(task, n))

    report = with_services(store, work)
    for line in report.errors:
        typer.echo(line, err=True)
    repeated = len(rows) - report.added - len(report.errors)  # the same number twice is added once
    typer.echo(
        f"imported {report.added} of {len(rows)} rows; {len(report.errors)} failed"
        + (f"; {repeated} repeated an earlier row" if repeated else "")
    )
    raise typer.Exit(2 if report.errors else 0)


@app.command("export")
def export_inventory(
    state: Annotated[list[State] | None, typer.Option(help="only these states (repeatable)")] = None,
    store: StoreOption = None,
) -> None:
    """Write every number as CSV to stdout (number, state, carrier, account, previous account, since)."""

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

    if store:
        os.environ["NUMPLANE_STORE"] = store  # worker processes read their settings from the environment
    settings = settings_for(store)
    if init:

        async def first_start(services: Services) -> str | None:
            if await keys.root_exists(services):
                return None
            _root, key, _created = await keys.init_root(services)
            return key

        key = with_services(store, first_start)
        if key:
            typer.echo(f"numplane: created the root admin. Its API key (shown once, keep it): {key}")
    typer.echo(f"numplane: serving http://{host}:{port}/graphql" + (" (GraphiQL on)" if settings.debug else ""))
    uvicorn.run(
        "numplane.app:served_app", factory=True, workers=workers, host=host, port=port, loop="uvloop",
        http="httptools", log_level="info", access_log=settings.access_log,
        # Protocol-level pings keep idle subscriptions open through proxies and drop dead peers.
        ws_ping_interval=settings.ws_ping_seconds, ws_ping_timeout=settings.ws_ping_seconds,
        # A WebSocket message is bounded like a request body: uvicorn refuses a bigger one (1009) before
        # reading it whole (the app checks again, for servers started otherwise).
        ws_max_size=settings.max_body_bytes,
        ws_per_message_deflate=False,
    )


if __name__ == "__main__":  # pragma: no cover
    app()
