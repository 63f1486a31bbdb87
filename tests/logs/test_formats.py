"""Log lines as an operator reads them (text) or a shipper parses them (JSON): the same facts, one line each."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from numplane.logs.formats import JsonLines, ReadableLines
from numplane.logs.ids import RequestRecord, accepted_request_id, current_job_run, current_request
from numplane.logs.setup import configure_logging


def record(message: str = "GET %s", *args: object, **extra: object) -> logging.LogRecord:
    made = logging.LogRecord("numplane.requests", logging.INFO, __file__, 1, message, args or ("/x",), None)
    made.__dict__.update(extra)
    return made


@pytest.fixture
def in_request() -> Iterator[RequestRecord]:
    request = RequestRecord("req-1")
    token = current_request.set(request)
    yield request
    current_request.reset(token)


def test_a_json_line_carries_the_request_id_of_its_context_and_the_extra_fields(in_request: RequestRecord) -> None:
    line = json.loads(JsonLines().format(record(status=200, user_errors={"NOT_FOUND": 2}, key_id=None)))
    assert line["request_id"] == "req-1"
    assert (line["level"], line["logger"], line["message"]) == ("INFO", "numplane.requests", "GET /x")
    assert line["status"] == 200 and line["user_errors"] == {"NOT_FOUND": 2}
    assert "key_id" not in line  # nothing to say: left out, not null


def test_a_job_runs_lines_carry_its_run_id() -> None:
    token = current_job_run.set("aging-7f3a")
    try:
        line = json.loads(JsonLines().format(record()))
    finally:
        current_job_run.reset(token)
    assert line["job_run"] == "aging-7f3a" and "request_id" not in line


def test_a_hostile_value_cannot_break_a_text_line_or_fake_a_field(in_request: RequestRecord) -> None:
    text = ReadableLines().format(record(path="/a\nstatus=500 b"))
    assert "\n" not in text
    assert 'path="/a\\nstatus=500 b"' in text
    assert " request_id=req-1" in text


def test_an_exception_is_part_of_the_json_line() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        failing = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    line = json.loads(JsonLines().format(failing))
    assert "ValueError: boom" in line["exception"]


def test_configuring_again_replaces_the_handler_instead_of_doubling_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    root = logging.getLogger()
    kept_handlers, kept_level = list(root.handlers), root.level
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    try:
        configure_logging("INFO", "text")
        configure_logging("DEBUG", "json")
        logging.getLogger("numplane.test").debug("once")
    finally:
        for handler in [h for h in root.handlers if h not in kept_handlers]:
            root.removeHandler(handler)
        root.setLevel(kept_level)
    [line] = stream.getvalue().splitlines()
    assert json.loads(line)["message"] == "once"


@pytest.mark.parametrize(
    ("sent", "kept"),
    [("abc-123", True), ("a" * 128, True), ("a" * 129, False), ("a b", False), ("a\x7f", False), ("é", False)],
)
def test_a_client_request_id_is_kept_only_when_bounded_and_printable(sent: str, kept: bool) -> None:
    assert (accepted_request_id(sent) == sent) is kept


@pytest.mark.parametrize(
    "created", [0.0, 1_764_400_000.0005, 1_764_400_000.9999996, 1_764_400_001.25, 1_764_399_999.999]
)
def test_the_time_of_a_line_reads_as_datetime_writes_it_at_milliseconds(created: float) -> None:
    expected = datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    assert JsonLines().line(created, "INFO", "x", "m", {}).startswith(f'{{"time":"{expected}"')
    assert ReadableLines().line(created, "INFO", "x", "m", {}) == f"{expected} INFO x: m"
