"""A line written without a LogRecord, when logging would do nothing more than format it and write it.

The request line is written for every request, and logging's per-record machinery (a LogRecord of twenty
attributes, the walk up the logger tree, handler filters and locks, the formatter's search of the record
for `extra` fields) cost a fifth of a cheap request. When the only handler a logger's lines reach is a
plain stream handler with one of our formats (what configure_logging installs), writing the formatted
line to its stream is all logging would have done: same format, same facts, same stream. Anything else
(a filter, a second handler, a test's capture, a handler of another kind) and the line goes through
logging as usual.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from numplane.logs.formats import LineFormatter, context_fields


def write(logger: logging.Logger, level: int, message: str, facts: dict[str, Any]) -> bool:
    """Write one line of `logger` at `level` (already known to be enabled) with the context's ids and
    `facts`, straight to its handler's stream; False when it must go through logging instead."""
    handler = _plain_stream_handler(logger, level)
    if handler is None:
        return False
    formatter = handler.formatter
    if not isinstance(formatter, LineFormatter):
        return False
    line = formatter.line(time.time(), logging.getLevelName(level), logger.name, message, context_fields() | facts)
    handler.acquire()
    try:
        stream = handler.stream
        stream.write(line + handler.terminator)
        if not getattr(stream, "line_buffering", False):  # a line-buffered stream (stderr) flushed on the newline
            handler.flush()
    except Exception:  # logging reports a broken stream its own way: let it try
        return False
    finally:
        handler.release()
    return True


def _plain_stream_handler(logger: logging.Logger, level: int) -> logging.StreamHandler[Any] | None:
    """The one handler `logger`'s lines reach when it is a plain stream handler with one of our formats
    and nothing on the way filters; otherwise None."""
    found: list[logging.Handler] = []
    current: logging.Logger | None = logger
    while current is not None:
        if current.filters:
            return None
        found.extend(current.handlers)
        if not current.propagate:
            break
        current = current.parent
    if len(found) != 1:
        return None
    handler = found[0]
    if not isinstance(handler, logging.StreamHandler) or type(handler).emit is not logging.StreamHandler.emit:
        return None  # a capture, a file opened lazily, a handler of another kind: what it does is its own
    if handler.filters or level < handler.level:
        return None
    return handler
