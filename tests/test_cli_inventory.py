"""`numplane import` and `numplane export`: bulk inventory through the same rules as the API."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from typer.testing import CliRunner

from numplane.cli import app
from numplane.resolvers.inventory_columns import EXPORT_COLUMNS

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


def test_an_unknown_state_fails_only_its_row(tmp_path: Path) -> None:
    url = _store(tmp_path)
    source = tmp_path / "numbers.csv"
    source.write_text("number,state\n+14155550101,available\n+14155550102,bogus\n")
    result = runner.invoke(app, ["import", str(source), "--store", url])
    assert result.exit_code == 2
    assert "line 3: +14155550102: INVALID_FIELD: unknown state 'bogus'" in result.stderr
    assert "imported 1 of 2 rows; 1 failed" in result.stdout
    assert _exported_numbers(url) == ["+14155550101"]


def test_a_list_row_in_a_state_add_numbers_cannot_create_points_at_the_export_columns(tmp_path: Path) -> None:
    url = _store(tmp_path)
    source = tmp_path / "numbers.csv"
    source.write_text("number,state\n+14155550101,aging\n+14155550102,available\n")
    result = runner.invoke(app, ["import", str(source), "--store", url])
    assert result.exit_code == 2
    assert ("line 2: +14155550101: INVALID_STATE_TRANSITION: an inventory list adds numbers as available, "
            "reserved or in_service, not aging") in result.stderr
    assert _exported_numbers(url) == ["+14155550102"]


def test_a_reserved_row_without_an_account_fails_instead_of_going_to_the_root(tmp_path: Path) -> None:
    url = _store(tmp_path)
    source = tmp_path / "numbers.csv"
    source.write_text("number,state\n+14155550101,reserved\n+14155550102,in_service\n+14155550103,\n")
    result = runner.invoke(app, ["import", str(source), "--store", url])
    assert result.exit_code == 2
    assert "line 2: +14155550101: INVALID_FIELD: reserved numbers need their account" in result.stderr
    assert "line 3: +14155550102: INVALID_FIELD: in_service numbers need their account" in result.stderr
    assert _exported_numbers(url) == ["+14155550103"]


def test_rows_naming_an_unknown_account_fail_alone(tmp_path: Path) -> None:
    url = _store(tmp_path)
    source = tmp_path / "numbers.csv"
    source.write_text("number,state,account_id\n+14155550101,reserved,nobody\n+14155550102,available,\n")
    result = runner.invoke(app, ["import", str(source), "--store", url])
    assert result.exit_code == 2
    assert "line 2: +14155550101: NOT_FOUND" in result.stderr
    assert _exported_numbers(url) == ["+14155550102"]


def test_many_failures_are_summarised_by_code_and_written_beside_the_input(tmp_path: Path) -> None:
    url = _store(tmp_path)
    source = tmp_path / "numbers.csv"
    bad_numbers = [f"nope{i},available" for i in range(40)]
    bad_states = [f"+1415555{i:04d},bogus" for i in range(20)]
    source.write_text("number,state\n" + "\n".join([*bad_numbers, *bad_states, "+14155559999,available"]) + "\n")
    result = runner.invoke(app, ["import", str(source), "--store", url])
    assert result.exit_code == 2
    report = tmp_path / "numbers.csv.failed.csv"
    assert f"60 rows failed (INVALID_NUMBER 40, INVALID_FIELD 20); the rows and their reasons: {report}" in (
        result.stderr
    )
    assert len(result.stderr.splitlines()) < 10
    rows = list(csv.DictReader(report.open(encoding="utf-8")))
    assert len(rows) == 60
    assert rows[0] == {"line": "2", "code": "INVALID_NUMBER", "reason": rows[0]["reason"], "number": "nope0",
                       "state": "available"}
    assert "nope0" in rows[0]["reason"]
    assert rows[-1]["line"] == "61" and rows[-1]["code"] == "INVALID_FIELD" and rows[-1]["state"] == "bogus"


def test_unknown_columns_are_named_once_as_ignored(tmp_path: Path) -> None:
    url = _store(tmp_path)
    source = tmp_path / "numbers.csv"
    source.write_text("number,colour,note\n+14155550101,red,a\n+14155550102,blue,b\n")
    result = runner.invoke(app, ["import", str(source), "--store", url])
    assert result.exit_code == 0
    assert result.stderr.count("ignoring unknown columns: colour, note") == 1
    assert "colour" not in result.stderr.replace("ignoring unknown columns: colour, note", "")


def test_a_utf8_file_with_a_byte_order_mark_imports(tmp_path: Path) -> None:
    url = _store(tmp_path)
    source = tmp_path / "excel.csv"
    source.write_bytes("number,state\r\n+14155550101,available\r\n".encode("utf-8-sig"))
    result = runner.invoke(app, ["import", str(source), "--store", url])
    assert result.exit_code == 0, result.stderr
    assert _exported_numbers(url) == ["+14155550101"]


def test_a_file_without_a_number_column_is_refused_naming_the_columns(tmp_path: Path) -> None:
    url = _store(tmp_path)
    source = tmp_path / "numbers.csv"
    source.write_text("phone,state\n+14155550101,available\n")
    result = runner.invoke(app, ["import", str(source), "--store", url])
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "error: INVALID_FIELD: the CSV needs a header row with a `number` column (found: phone, state); the "
        "columns are number, state, carrier, account_id (old-style list) or those export writes"
    )


def test_an_export_imports_into_a_fresh_store_with_the_same_accounts(tmp_path: Path) -> None:
    url = _store(tmp_path)
    source = tmp_path / "numbers.csv"
    source.write_text("number,state\n+14155550101,available\n+14155550102,available\n")
    runner.invoke(app, ["import", str(source), "--store", url])
    exported = tmp_path / "export.csv"
    exported.write_text(runner.invoke(app, ["export", "--store", url]).stdout)
    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    assert runner.invoke(app, ["init", "--store", fresh]).exit_code == 0

    result = runner.invoke(app, ["import", str(exported), "--store", fresh])

    assert result.exit_code == 0, result.stderr
    assert runner.invoke(app, ["export", "--store", fresh]).stdout == exported.read_text()
    again = runner.invoke(app, ["import", str(exported), "--store", fresh])
    assert "imported 0 of 2 rows; 0 failed; 2 already present and identical" in again.stdout


def test_export_filters_by_state(tmp_path: Path) -> None:
    url = _store(tmp_path)
    source = tmp_path / "numbers.csv"
    source.write_text("number\n+14155550101\n+14155550102\n")
    runner.invoke(app, ["import", str(source), "--store", url])
    only_reserved = runner.invoke(app, ["export", "--state", "reserved", "--store", url])
    assert only_reserved.stdout.strip() == ",".join(EXPORT_COLUMNS)


def _exported_numbers(url: str) -> list[str]:
    exported = runner.invoke(app, ["export", "--store", url])
    return [row["number"] for row in csv.DictReader(io.StringIO(exported.stdout))]
