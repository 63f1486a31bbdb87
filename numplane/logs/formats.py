"""How a log record is written: one JSON object per line, or one readable line of text.

Both carry the same facts: time (UTC), level, logger, message, the request id or job run id of the
context the line was written in, the record's `extra` fields, and a traceback when there is one.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

import orjson

from numplane.logs.ids import current_job_run, current_request

# Attributes every LogRecord has; anything else on a record came from `extra=` and is written out.
# uvicorn's `color_message` repeats the message with terminal colours.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message", "asctime", "taskName", "color_message"
}


def fields(record: logging.LogRecord) -> dict[str, Any]:
    """The facts of a record beyond time, level, logger and message, in a stable order."""
    found: dict[str, Any] = {}
    request = current_request.get()
    if request is not None:
        found["request_id"] = request.id
    job_run = current_job_run.get()
    if job_run is not None:
        found["job_run"] = job_run
    for name, value in record.__dict__.items():
        if name not in _STANDARD and value is not None:
            found[name] = value
    return found


def _time(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonLines(logging.Formatter):
    """One JSON object per line (NUMPLANE_LOG_FORMAT=json), for log shippers."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": _time(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **fields(record),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        return orjson.dumps(line, default=str, option=orjson.OPT_NON_STR_KEYS).decode()


class ReadableLines(logging.Formatter):
    """`time LEVEL logger: message key=value ...` for a person at a terminal (the default)."""

    def format(self, record: logging.LogRecord) -> str:
        text = f"{_time(record)} {record.levelname} {record.name}: {record.getMessage()}"
        extra = " ".join(f"{name}={_shown(value)}" for name, value in fields(record).items())
        if extra:
            text += " " + extra
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return ",".join(f"{k}:{v}" for k, v in value.items()) or "-"
    text = str(value)
    # A value from a client (a path, an operation name) must not break the line or fake another field.
    if not text or not text.isprintable() or " " in text or "=" in text:
        return json.dumps(text)
    return text
