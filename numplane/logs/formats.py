"""How a log record is written: one JSON object per line, or one readable line of text.

Both carry the same facts: time (UTC), level, logger, message, the request id or job run id of the
context the line was written in, the record's `extra` fields, and a traceback when there is one.
"""

from __future__ import annotations

import json
import logging
import math
from datetime import UTC, datetime
from typing import Any

import orjson

from numplane.logs.ids import current_job_run, current_request

# Attributes every LogRecord has; anything else on a record came from `extra=` and is written out.
# uvicorn's `color_message` repeats the message with terminal colours.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message", "asctime", "taskName", "color_message"
}


def context_fields() -> dict[str, Any]:
    """The ids of the context a line is written in: the request being served, or the job run being worked."""
    found: dict[str, Any] = {}
    request = current_request.get()
    if request is not None:
        found["request_id"] = request.id
    job_run = current_job_run.get()
    if job_run is not None:
        found["job_run"] = job_run
    return found


def fields(record: logging.LogRecord) -> dict[str, Any]:
    """The facts of a record beyond time, level, logger and message, in a stable order."""
    found = context_fields()
    for name, value in record.__dict__.items():
        if name not in _STANDARD and value is not None:
            found[name] = value
    return found


def _time(created: float) -> str:
    """`2026-01-01T12:00:00.123Z`: what datetime's isoformat says of `created` at milliseconds, with the
    part up to the second made once a second rather than for every line."""
    global _last_second
    second = math.floor(created)
    micro = round((created - second) * 1e6)  # rounded to microseconds as datetime.fromtimestamp rounds
    if micro >= 1_000_000:
        second, micro = second + 1, micro - 1_000_000
    cached_second, text = _last_second  # one tuple: threads writing lines never see half of an update
    if second != cached_second:
        text = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        _last_second = (second, text)
    return text + _MILLISECONDS[micro // 1000]


_last_second: tuple[int, str] = (-1, "")
_MILLISECONDS = tuple(f".{millisecond:03d}Z" for millisecond in range(1000))  # made once, not formatted per line


class LineFormatter(logging.Formatter):
    """A format that builds its line from the facts alone, so a line can be written without a LogRecord
    (numplane.logs.direct) and read exactly as one that went through logging."""

    def format(self, record: logging.LogRecord) -> str:
        exception = None
        if record.exc_info:
            exception = self.formatException(record.exc_info)
        elif record.exc_text:
            exception = record.exc_text
        return self.line(record.created, record.levelname, record.name, record.getMessage(), fields(record), exception)

    def line(
        self, created: float, level: str, logger: str, message: str, facts: dict[str, Any], exception: str | None = None
    ) -> str:
        """One line of this format: no newline in it but the traceback's."""
        raise NotImplementedError  # each format says how its lines read


class JsonLines(LineFormatter):
    """One JSON object per line (NUMPLANE_LOG_FORMAT=json), for log shippers."""

    def line(
        self, created: float, level: str, logger: str, message: str, facts: dict[str, Any], exception: str | None = None
    ) -> str:
        line: dict[str, Any] = {"time": _time(created), "level": level, "logger": logger, "message": message, **facts}
        if exception is not None:
            line["exception"] = exception
        return orjson.dumps(line, default=str, option=orjson.OPT_NON_STR_KEYS).decode()


class ReadableLines(LineFormatter):
    """`time LEVEL logger: message key=value ...` for a person at a terminal (the default)."""

    def line(
        self, created: float, level: str, logger: str, message: str, facts: dict[str, Any], exception: str | None = None
    ) -> str:
        text = f"{_time(created)} {level} {logger}: {message}"
        extra = " ".join([f"{name}={_shown(value)}" for name, value in facts.items()])
        if extra:
            text += " " + extra
        if exception is not None:
            text += "\n" + exception
        return text


def _shown(value: Any) -> str:
    kind = type(value)
    if kind is str:  # most facts of a request line (ids, a method, a path): tested first
        text: str = value
    elif kind is int or kind is float:
        return str(value)  # nothing in a number to quote
    elif isinstance(value, dict):
        return ",".join(f"{k}:{v}" for k, v in value.items()) or "-"
    else:
        text = str(value)
    # A value from a client (a path, an operation name) must not break the line or fake another field.
    if not text or not text.isprintable() or " " in text or "=" in text:
        return json.dumps(text)
    return text
