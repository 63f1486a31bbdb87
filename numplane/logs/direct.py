"""A line written without a LogRecord, when logging would do nothing more than format it and write it.

The request line is written for every request, and logging's per-record machinery (a LogRecord of twenty
attributes, the walk up the logger tree, handler filters and locks, the formatter's search of the record
for `extra` fields) cost a fifth of a cheap request. When the only handler a logger's lines reach is a
plain stream handler with one of our formats (what configure_logging installs), writing the formatted
line to its stream is all logging would have done: same format, same facts, same stream. Anything else
(a filter, a second handler, a test's capture, a handler of another kind) and the line goes through
logging as usual.

On the event loop, the lines of one loop turn are written together when the turn's callbacks have run
(one write and one flush for every request answered in that turn, instead of one each: a write is a
system call, and the lock and stream layers around it cost a served GET /hunt about as much as formatting
its line). Each line is formatted, stamped and queued when it is written; other lines, those that go
through logging, may come out before the queued lines of the same turn. Outside a loop (a CLI command, a
thread) a line is written at once; lines still queued when the process exits are written then.
"""

from __future__ import annotations

import asyncio
import atexit
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
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        try:
            _write_now(handler, [line])
        except Exception:  # logging reports a broken stream its own way: let it try
            return False
        return True
    queued = _queued.get((loop, handler))
    if queued is None:
        _queued[(loop, handler)] = [line]
        loop.call_soon(_write_queued, loop, handler)
    else:
        queued.append(line)
    return True


Handler = logging.StreamHandler[Any]

_queued: dict[tuple[asyncio.AbstractEventLoop, Handler], list[str]] = {}
"""The lines of this loop turn not written yet, per loop and handler (a process may run several loops in
turn, as tests do)."""


def _write_now(handler: Handler, lines: list[str]) -> None:
    terminator = handler.terminator
    handler.acquire()
    try:
        stream = handler.stream
        stream.write(terminator.join(lines) + terminator)
        if not getattr(stream, "line_buffering", False):  # a line-buffered stream (stderr) flushed on the newline
            handler.flush()
    finally:
        handler.release()


def _write_queued(loop: asyncio.AbstractEventLoop, handler: Handler) -> None:
    lines = _queued.pop((loop, handler), None)
    if not lines:
        return
    try:
        _write_now(handler, lines)
    except Exception:  # as logging reports a broken stream: once, with the first line lost
        handler.handleError(logging.makeLogRecord({"msg": lines[0], "args": None}))


@atexit.register
def _write_all_queued() -> None:
    """Lines whose loop stopped before its turn ended (a server shutting down), written before exit."""
    for loop, handler in list(_queued):
        _write_queued(loop, handler)


def _plain_stream_handler(logger: logging.Logger, level: int) -> Handler | None:
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
