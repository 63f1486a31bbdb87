"""Time as data: the domain never reads a clock; callers pass `now` in.

Timestamps are stored as fixed-width ISO 8601 UTC strings so that string order is time order in every
index (CouchDB view collation and SQLite alike).
"""

from __future__ import annotations

from datetime import UTC, datetime

_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(_FORMAT)


def parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text)  # 3.11 reads the trailing Z
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment if moment.tzinfo is UTC else moment.astimezone(UTC)
