"""Logging configured once at the start of a process (numplane serve, its workers, every CLI command)."""

from __future__ import annotations

import logging
import sys
from typing import Literal

from numplane.logs.formats import JsonLines, ReadableLines

LogFormat = Literal["text", "json"]


class _Ours(logging.StreamHandler):  # type: ignore[type-arg]
    """Marks the handler this module installed, so configuring again replaces it instead of doubling lines."""


def configure_logging(level: str = "INFO", log_format: LogFormat = "text") -> None:
    """Lines of `level` and above from every logger to stderr, as readable text or JSON lines."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _Ours)]:
        root.removeHandler(handler)
    handler = _Ours(sys.stderr)
    handler.setFormatter(JsonLines() if log_format == "json" else ReadableLines())
    root.addHandler(handler)
    root.setLevel(level.upper())
    # Neither format prints threads or processes: not looking them up makes every record cheaper.
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    # APScheduler tells of every job it adds and runs at INFO; numplane's own job lines say what matters.
    logging.getLogger("apscheduler").setLevel(max(root.level, logging.WARNING))
