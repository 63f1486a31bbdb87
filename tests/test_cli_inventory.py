"""`numplane import` and `numplane export`: bulk inventory through the same rules as the API."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from typer.testing import CliRunner

from numplane.cli import app

runner = CliRunner()


def _store(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'inventory.db'}"
    assert runner.invoke(app, ["init", "--store", url]).exit_code == 0
    return url


def test_import_adds_good_rows_and_lists_bad_ones_with_their_line(tmp_path: Path) -> None:
    url = _store(tmp_path)
    source = tmp_path / "numbers.csv"
    source.write_text("number,state,carrier\n4155550101,,\n+14155550102,available,local\nnope,,\n4155550101,,\n")
    result = runner.invoke(app, ["import", str(source), "--store", url])
    assert result.exit_code == 2  # some rows failed
    assert "imported 2 of 4 rows; 1 failed; 1 repeated an earlier row" in result.stdout
    assert "line 4: nope: INVALID_NUMBER" in result.stderr
    exported = runner.invoke(app, ["export", "--store", url])
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert [(r["number"], r["state"], r["carrier"]) for r in rows] == [
        ("+14155550101", "available", "inventory"), ("+14155550102", "available", "local"),
    ]


def test_import_of_a_file_with_an_unknown_state_is_refused_before_anything_is_added(tmp_path: Path) -> None:
    url = _store(tmp_path)
    source = tmp_path / "numbers.csv"
    source.write_text("number,state\n+14155550101,available\n+14155550102,bogus\n")
    result = runner.invoke(app, ["import", str(source), "--store", url])
    assert result.exit_code == 1
    assert "line 3: unknown state 'bogus'" in result.stderr
    assert "Traceback" not in result.output
    assert runner.invoke(app, ["export", "--store", url]).stdout.strip().count("\n") == 0  # header only


def test_export_filters_by_state(tmp_path: Path) -> None:
    url = _store(tmp_path)
    source = tmp_path / "numbers.csv"
    source.write_text("number\n+14155550101\n+14155550102\n")
    runner.invoke(app, ["import", str(source), "--store", url])
    only_reserved = runner.invoke(app, ["export", "--state", "reserved", "--store", url])
    assert only_reserved.stdout.strip() == ",".join(
        ("number", "state", "carrier", "account_id", "previous_account_id", "state_changed_at")
    )
