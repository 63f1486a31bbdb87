"""The JSON lines a test's code logged, read back as dicts (the formatter `NUMPLANE_LOG_FORMAT=json` uses)."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from numplane.logs.formats import JsonLines


def capture_json(caplog: pytest.LogCaptureFixture, level: int = logging.INFO) -> None:
    """Format what caplog captures as JSON lines, at the moment each is logged (the request id is read
    from the context of the line's writer, as a real handler does)."""
    caplog.handler.setFormatter(JsonLines())
    caplog.set_level(level)


def json_lines(caplog: pytest.LogCaptureFixture, logger: str | None = None) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in caplog.text.splitlines() if line.startswith("{")]
    return [line for line in lines if logger is None or line["logger"] == logger]
