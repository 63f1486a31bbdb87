"""What an operator sees when something is wrong: one line on stderr, a non-zero exit, no traceback
(issue 16). Each case runs the real program in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from numplane.jobs.commands import JobName
from tests.support.server import Server, free_port

ROOT = Path(__file__).resolve().parents[1]


def numplane(*args: str, env: dict[str, str] | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("NUMPLANE_")}
    return subprocess.run(
        [sys.executable, "-m", "numplane.cli", *args], env={**clean, **(env or {})}, cwd=cwd,
        capture_output=True, text=True, timeout=120,
    )


def one_line_failure(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize("command", [["accounts", "create", "acme"], ["serve", "--init"], ["export"]])
@pytest.mark.parametrize("url", ["garbage", "postgres://x"])
def test_an_unsupported_store_url_is_one_line_naming_the_supported_ones(command: list[str], url: str) -> None:
    line = one_line_failure(numplane(*command, "--store", url))
    assert line == (
        f"error: unsupported store URL {url!r}: use sqlite:///path.db or http://[user:pass@]host:5984; "
        "set --store or NUMPLANE_STORE."
    )


def test_a_password_in_a_store_url_is_masked() -> None:
    line = one_line_failure(numplane("export", env={"NUMPLANE_STORE": "postgres://ops:s3cret@db:5432/x"}))
    assert "s3cret" not in line
    assert "'postgres://ops:***@db:5432/x'" in line


@pytest.mark.parametrize("command", [["export"], ["serve"]])
@pytest.mark.parametrize("url", ["http://ops:s3cret@[::1", "http://ops:s3cret@host:port", "ops:s3cret@host:5984"])
def test_a_password_in_a_malformed_store_url_is_masked(command: list[str], url: str) -> None:
    line = one_line_failure(numplane(*command, env={"NUMPLANE_STORE": url}))
    assert "s3cret" not in line
    assert "ops:***@" in line


@pytest.mark.parametrize("command", [["accounts", "create", "acme"], ["serve"], ["jobs", "run", "aging"]])
def test_an_unreachable_couchdb_is_one_line_without_its_credentials(command: list[str]) -> None:
    url = f"http://admin:s3cret@127.0.0.1:{free_port()}"
    line = one_line_failure(numplane(*command, "--store", url))
    assert line.startswith(f"error: the store is unavailable: CouchDB at http://127.0.0.1:{url.rsplit(':', 1)[1]} "
                           "is unreachable")
    assert line.endswith("check that it is up and --store / NUMPLANE_STORE names it.")
    assert "s3cret" not in line


@pytest.mark.parametrize("command", [["init"], ["serve", "--init"]])
def test_a_sqlite_store_in_a_missing_folder_names_the_folder(command: list[str], tmp_path: Path) -> None:
    line = one_line_failure(numplane(*command, "--store", f"sqlite:///{tmp_path}/missing/dir/x.db"))
    assert line.startswith(
        f"error: the store is unavailable: the folder {tmp_path}/missing/dir of the SQLite store does not exist"
    )
    assert not (tmp_path / "missing").exists()


def test_debug_shows_the_traceback_the_one_line_hides() -> None:
    for run in (numplane("--debug", "export", "--store", "garbage"),
                numplane("export", "--store", "garbage", env={"NUMPLANE_DEBUG": "1"})):
        assert run.returncode == 1
        assert "Traceback" in run.stderr
        assert run.stderr.splitlines()[-1].startswith("error: unsupported store URL 'garbage'")


def test_an_unknown_job_lists_the_jobs() -> None:
    line = one_line_failure(numplane("jobs", "run", "nope"))
    # Every job the scheduler knows, named as `numplane jobs run` accepts it (the list grows with features).
    assert line == f"error: there is no job 'nope'; the jobs are {', '.join(name.value for name in JobName)}."
    assert "discovery-expiry, aging" in line


def test_a_missing_argument_is_one_line_pointing_at_the_help() -> None:
    line = one_line_failure(numplane("keys", "create"))
    assert line == "error: Missing argument 'ACCOUNT_ID'; see `numplane keys create --help`."


def test_keys_create_help_and_its_error_name_the_same_roles(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'n.db'}"
    assert numplane("init", "--store", store).returncode == 0
    help_text = " ".join(numplane("keys", "create", "--help").stdout.split())
    assert "one of user, router, admin" in help_text
    line = one_line_failure(numplane("keys", "create", "someone", "--role", "owner", "--store", store))
    assert line == "error: INVALID_FIELD: Unknown role 'owner': use user, router, admin."


def test_usage_lines_spell_arguments_in_capitals_and_flags_without_a_type() -> None:
    help_text = numplane("keys", "create", "--help").stdout
    assert "Usage: numplane keys create [OPTIONS] ACCOUNT_ID" in help_text
    serve_help = numplane("serve", "--help").stdout
    assert "<bool>" not in serve_help and "{" not in serve_help
    assert "Usage: numplane import [OPTIONS] FILE" in numplane("import", "--help").stdout


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("number\n+14155550101\n".encode("utf-16"), "the file is UTF-16"),
        ("number,label\n+14155550101,Müller\n".encode("latin-1"), "the file is not UTF-8 (byte 0xfc on line 2"),
    ],
)
def test_a_csv_that_is_not_utf8_is_one_line_naming_the_encoding(tmp_path: Path, content: bytes, problem: str) -> None:
    store = f"sqlite:///{tmp_path / 'n.db'}"
    assert numplane("init", "--store", store).returncode == 0
    source = tmp_path / "numbers.csv"
    source.write_bytes(content)
    line = one_line_failure(numplane("import", str(source), "--store", store))
    assert line.startswith(f"error: INVALID_FIELD: {problem}")
    assert line.endswith('save it as UTF-8 (in Excel: "CSV UTF-8") and retry')


def test_a_missing_csv_file_is_one_line(tmp_path: Path) -> None:
    line = one_line_failure(numplane("import", str(tmp_path / "nope.csv"), "--store", f"sqlite:///{tmp_path}/n.db"))
    assert line == f"error: No such file or directory ({tmp_path / 'nope.csv'})."


def test_a_second_serve_on_an_existing_store_says_how_to_get_a_key(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'served.db'}"
    first = Server(store)
    first.start()
    first.stop()
    assert first.admin_key.startswith("np_")

    second = Server(store)
    second.start()
    try:
        assert "already has its root admin" in second.first_line
        assert "`numplane init` prints a new admin key" in second.first_line
        assert "`numplane keys create ACCOUNT_ID`" in second.first_line
    finally:
        second.stop()


def test_a_malformed_setting_is_one_line_naming_the_variable() -> None:
    line = one_line_failure(numplane("export", env={"NUMPLANE_MAX_DEPTH": "deep"}))
    assert line.startswith("error: bad setting: NUMPLANE_MAX_DEPTH: Input should be a valid integer")
