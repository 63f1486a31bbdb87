"""`numplane jobs run` on a real store (both stores), through Typer, with the real clock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from typer.testing import CliRunner, Result

from numplane.domain.states import State
from numplane.jobs import claims
from numplane.jobs.commands import jobs_app
from numplane.store.base import Db, Store
from tests.support.seeding import number, seed


async def invoke(store_url: tuple[str, str], *args: str) -> Result:
    url, prefix = store_url
    # The command runs its own event loop (asyncio.run), so it runs on a thread of its own here.
    return await asyncio.to_thread(
        CliRunner().invoke, jobs_app, ["run", *args], env={"NUMPLANE_STORE": url, "NUMPLANE_DB_PREFIX": prefix}
    )


async def test_run_prints_what_the_job_changed_and_a_second_run_changes_nothing(
    store: Store, store_url: tuple[str, str]
) -> None:
    now = datetime.now(UTC)
    await seed(store, [
        number(1, State.DISCOVERY, now - timedelta(days=3)),
        number(2, State.DISCOVERY, now - timedelta(hours=1)),
    ])
    first = await invoke(store_url, "discovery-expiry")
    assert first.exit_code == 0, first.output
    assert "discovery-expiry: 1 changed" in first.output
    assert "changed +14150000001" in first.output
    assert "+14150000002" not in first.output
    second = await invoke(store_url, "discovery-expiry")
    assert second.exit_code == 0 and "discovery-expiry: 0 changed" in second.output


async def test_run_says_a_run_is_in_progress_elsewhere_and_fails(store: Store, store_url: tuple[str, str]) -> None:
    held = await claims.claim(store, "aging", holder="server:replica-2", now=datetime.now(UTC))
    assert isinstance(held, claims.Lease)
    result = await invoke(store_url, "aging")
    assert result.exit_code == 1
    assert "not run" in result.output and "in progress on server:replica-2" in result.output
    await claims.finish(store, held, datetime.now(UTC), "done", {})
    assert (await invoke(store_url, "aging")).exit_code == 0


async def test_unknown_job_is_refused_with_the_choices(store_url: tuple[str, str]) -> None:
    result = await invoke(store_url, "reindex")
    assert result.exit_code == 2
    assert "discovery-expiry" in result.output


async def test_purge_from_the_command_line_removes_legacy_deleted_documents(
    store: Store, store_url: tuple[str, str]
) -> None:
    await seed(store, [number(7, State.DELETED, datetime.now(UTC) - timedelta(days=900))])
    result = await invoke(store_url, "purge-deleted")
    assert result.exit_code == 0 and "changed +14150000007" in result.output
    assert await store.get_many(Db.NUMBERS, ["+14150000007"]) == {}
