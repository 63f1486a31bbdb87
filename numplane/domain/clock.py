"""Time as data: the domain never reads a clock; callers pass `now` in.

Timestamps are stored as fixed-width ISO 8601 UTC strings so that string order is time order in every
index (CouchDB view collation and SQLite alike).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"  # what format_time writes (from the year 1000)


def format_time(moment: datetime) -> str:
    # isoformat rather than strftime(_FORMAT): the same text (and fixed width below the year 1000 too) at
    # a third of the cost; a listing page formats a few hundred times, one for each time it shows.
    # A write stamps one `now` in several places (its audit entry, modified, state_changed_at, often
    # created): the last moment's text is kept, so the same moment is formatted once.
    global _last_formatted
    last, text = _last_formatted
    if moment is last:
        return text
    utc = moment if moment.tzinfo is UTC else moment.astimezone(UTC)
    text = utc.isoformat(timespec="microseconds")[:-6] + "Z"
    _last_formatted = (moment, text)
    return text


_last_formatted: tuple[datetime | None, str] = (None, "")


def parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text)  # 3.11 reads the trailing Z
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment if moment.tzinfo is UTC else moment.astimezone(UTC)


GREGORIAN_OFFSET = 62167219200
"""Seconds from 0000-01-01 (Erlang's "Gregorian seconds", Kazoo's timestamps) to the Unix epoch."""


def from_gregorian(value: object) -> datetime | None:
    """Gregorian seconds (an int, a float or their text) as a UTC time; None for "undefined" or garbage."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    if not isinstance(value, int | float) or not math.isfinite(value) or value < GREGORIAN_OFFSET:
        return None
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=value - GREGORIAN_OFFSET)


def read_time(value: object) -> datetime | None:
    """A stored timestamp: numplane's ISO text, or Kazoo's Gregorian seconds in documents written by Kazoo
    (and "undefined" or garbage, which Kazoo also leaves, as no time at all rather than an error that would
    take down every listing holding the document)."""
    if isinstance(value, str):
        try:
            return parse_time(value)
        except ValueError:
            return from_gregorian(value)
    return from_gregorian(value)
