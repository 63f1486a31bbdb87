"""`numplane export` over a store holding a number document it cannot read: every other number is exported,
the bad one is named in the log, and the command succeeds (issue 15, item 6)."""

from __future__ import annotations

import asyncio
import csv
import io
import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

from numplane.cli import app
from numplane.store import store_from_url
from numplane.store.base import Db
from tests.support.unreadable import bad_number_doc, plant

runner = CliRunner()


async def _plant(url: str) -> None:
    store = store_from_url(url)
    await store.open()
    try:
        await plant(store, Db.NUMBERS, bad_number_doc("+14155550102", pvt_history=[{"at": "undefined"}]))
    finally:
        await store.close()


def test_export_skips_an_unreadable_number_and_logs_it(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    url = f"sqlite:///{tmp_path / 'inventory.db'}"
    assert runner.invoke(app, ["init", "--store", url]).exit_code == 0
    source = tmp_path / "numbers.csv"
    source.write_text("number\n+14155550101\n+14155550103\n")
    assert runner.invoke(app, ["import", str(source), "--store", url]).exit_code == 0
    asyncio.run(_plant(url))
    with caplog.at_level(logging.WARNING, logger="numplane.unreadable"):
        exported = runner.invoke(app, ["export", "--store", url])
    assert exported.exit_code == 0, exported.output
    assert [r["number"] for r in csv.DictReader(io.StringIO(exported.stdout))] == ["+14155550101", "+14155550103"]
    assert "+14155550102" in caplog.text
