"""The request line written straight to the configured stream reads exactly as the same line written
through logging, and goes through logging whenever anything else (a filter, another handler) wants it."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from numplane.logs.ids import RequestRecord, current_request
from numplane.logs.setup import LogFormat, configure_logging
from numplane.web.request_log import log, write_line


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    """Where configure_logging's handler writes, restoring the root logger afterwards."""
    root = logging.getLogger()
    kept_handlers, kept_level = list(root.handlers), root.level
    try:
        yield io.StringIO()
    finally:
        for handler in [h for h in root.handlers if h not in kept_handlers]:
            root.removeHandler(handler)
        root.setLevel(kept_level)


@contextmanager
def configured_alone(level: str, log_format: LogFormat, stream: io.StringIO) -> Iterator[None]:
    """configure_logging's handler alone on the root logger, as `numplane serve` runs, writing to `stream`
    instead of stderr (pytest's own capturing handlers are set aside meanwhile)."""
    configure_logging(level, log_format)
    root = logging.getLogger()
    [ours] = [h for h in root.handlers if type(h).__name__ == "_Ours"]
    assert isinstance(ours, logging.StreamHandler)
    ours.setStream(stream)
    others = [h for h in root.handlers if h is not ours]
    for handler in others:
        root.removeHandler(handler)
    try:
        yield
    finally:
        for handler in others:
            root.addHandler(handler)


@pytest.fixture
def record() -> Iterator[RequestRecord]:
    request = RequestRecord("req-7", operation="Who", operation_type="query", key_id="k1", account="acct-1")
    request.user_errors = Counter({"NOT_FOUND": 2})
    token = current_request.set(request)
    yield request
    current_request.reset(token)


class PassEverything(logging.Filter):
    """A filter that keeps every line: its only effect is that lines must go through logging."""


def write_both_ways(
    monkeypatch: pytest.MonkeyPatch, stream: io.StringIO, record: RequestRecord, path: str = "/graphql"
) -> list[str]:
    """The same line written directly (no LogRecord is made: making one fails), then through logging."""
    with monkeypatch.context() as patched:
        patched.setattr(log, "makeRecord", fail)
        write_line("POST", path, 200, 0.0123456, record)
    log.addFilter(PassEverything())
    try:
        write_line("POST", path, 200, 0.0123456, record)
    finally:
        log.filters.clear()
    return stream.getvalue().splitlines()


def fail(*_args: object, **_kwargs: object) -> logging.LogRecord:
    raise AssertionError("the line went through logging")


@pytest.mark.parametrize("path", ["/graphql", "/a b=c\tstatus=500"], ids=["plain", "hostile"])
def test_a_text_line_written_directly_reads_as_the_line_logging_writes(
    stream: io.StringIO, record: RequestRecord, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with configured_alone("INFO", "text", stream):
        direct, through_logging = write_both_ways(monkeypatch, stream, record, path)
    # Everything but the time (each was stamped when it was written) is the same.
    assert direct.split(" ", 1)[1] == through_logging.split(" ", 1)[1]
    assert " INFO numplane.requests: POST " in direct
    assert "request_id=req-7 method=POST" in direct and "user_errors=NOT_FOUND:2" in direct


def test_a_json_line_written_directly_has_the_facts_of_the_line_logging_writes(
    stream: io.StringIO, record: RequestRecord, monkeypatch: pytest.MonkeyPatch
) -> None:
    with configured_alone("INFO", "json", stream):
        direct, through_logging = (json.loads(line) for line in write_both_ways(monkeypatch, stream, record))
    assert direct.pop("time")[:16] == through_logging.pop("time")[:16]
    assert list(direct.items()) == list(through_logging.items())  # same facts, same order
    assert direct["duration_ms"] == 12.346 and direct["user_errors"] == {"NOT_FOUND": 2}


def test_a_second_handler_gets_the_line_through_logging(stream: io.StringIO, record: RequestRecord) -> None:
    captured: list[logging.LogRecord] = []

    class Capture(logging.Handler):
        def emit(self, line: logging.LogRecord) -> None:
            captured.append(line)

    root = logging.getLogger()
    capture = Capture()
    with configured_alone("INFO", "json", stream):
        root.addHandler(capture)
        try:
            write_line("GET", "/healthz", 200, 0.001, record)
        finally:
            root.removeHandler(capture)
    [line] = captured
    assert line.getMessage() == "GET /healthz 200" and line.__dict__["key_id"] == "k1"
    assert json.loads(stream.getvalue())["message"] == "GET /healthz 200"  # and the stream's line once


def test_nothing_is_written_when_the_level_drops_the_line(stream: io.StringIO, record: RequestRecord) -> None:
    with configured_alone("WARNING", "text", stream):
        write_line("GET", "/healthz", 200, 0.001, record)
    assert stream.getvalue() == ""


class CountedWrites(io.StringIO):
    """A stream that counts the writes made to it."""

    writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


async def test_the_lines_of_one_loop_turn_are_written_together_in_order_when_the_turn_ends(
    stream: io.StringIO, record: RequestRecord
) -> None:
    counted = CountedWrites()
    with configured_alone("INFO", "text", counted):
        write_line("GET", "/hunt/+14155550001", 200, 0.001, record)
        write_line("GET", "/hunt/+14155550002", 404, 0.001, record)
        assert counted.getvalue() == ""  # queued while the turn runs
        await asyncio.sleep(0)  # the turn ends
    lines = counted.getvalue().splitlines()
    assert [line.split(": ", 1)[1].split(" request_id")[0] for line in lines] == [
        "GET /hunt/+14155550001 200", "GET /hunt/+14155550002 404"
    ]
    assert counted.writes == 1
