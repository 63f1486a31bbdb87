"""`numplane kazoo import` and `numplane kazoo verify` from the command line, credentials never shown."""

from __future__ import annotations

import csv
from pathlib import Path

from typer.testing import CliRunner

from numplane.cli import app
from tests.support.kazoo import REFUSED_NUMBERS, seed_kazoo

runner = CliRunner()


def test_import_then_verify_from_the_command_line(couch_url: str, tmp_path: Path) -> None:
    kazoo = seed_kazoo(couch_url)
    store = ["--store", f"sqlite:///{tmp_path / 'np.db'}"]
    where = ["--source", couch_url, "--numbers-prefix", kazoo.numbers_prefix]
    report = tmp_path / "report.csv"

    imported = runner.invoke(app, ["kazoo", "import", *where, "--accounts-db", kazoo.accounts_db,
                                   "--report", str(report), "--carrier-map", "knm_telnyx=simulated", *store])

    assert imported.exit_code == 2, imported.output  # refused documents make the exit status 2
    assert "created" in imported.output and "identical" not in imported.output
    with report.open() as rows:
        refused = {row["id"] for row in csv.DictReader(rows) if row["outcome"] == "refused" and row["kind"] == "number"}
    assert refused == REFUSED_NUMBERS
    verified = runner.invoke(app, ["kazoo", "verify", *where, "--carrier-map", "knm_telnyx=simulated", *store])
    assert verified.exit_code == 0, verified.output
    assert "0 differences" in verified.output


def test_credentials_in_the_source_url_are_never_printed(couch_url: str, tmp_path: Path) -> None:
    secret_url = couch_url.replace("http://", "http://admin:s3cr3t-pw@").rsplit(":", 1)[0] + ":1"  # nothing listens

    failed = runner.invoke(app, ["kazoo", "import", "--source", secret_url, "--report", str(tmp_path / "r.csv"),
                                 "--store", f"sqlite:///{tmp_path / 'np.db'}"])

    assert failed.exit_code == 1
    assert "s3cr3t-pw" not in failed.output and "unreachable" in failed.output


def test_an_unknown_carrier_in_the_map_is_refused(tmp_path: Path) -> None:
    refused = runner.invoke(app, ["kazoo", "import", "--source", str(tmp_path), "--carrier-map", "knm_x=nope",
                                  "--store", f"sqlite:///{tmp_path / 'np.db'}"])
    assert refused.exit_code != 0 and "knm_x=nope" in refused.output


def test_follow_needs_a_database_source(tmp_path: Path) -> None:
    refused = runner.invoke(app, ["kazoo", "import", "--source", str(tmp_path), "--follow",
                                  "--store", f"sqlite:///{tmp_path / 'np.db'}"])
    assert refused.exit_code == 1 and "--follow needs a CouchDB source" in refused.output
