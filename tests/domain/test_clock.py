"""Stored times (numplane.domain.clock): fixed-width ISO 8601 UTC text, read back as the same moment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from numplane.domain.clock import _FORMAT, format_time, parse_time

OFFSETS = [UTC, timezone(timedelta(hours=-8)), timezone(timedelta(hours=5, minutes=30))]
MOMENTS = st.datetimes(datetime(1000, 1, 1), datetime(9998, 12, 31), timezones=st.sampled_from(OFFSETS))


@given(MOMENTS)
def test_a_time_is_written_as_utc_text_of_fixed_width_and_read_back_as_the_same_moment(moment: datetime) -> None:
    text = format_time(moment)
    assert text == moment.astimezone(UTC).strftime(_FORMAT) and len(text) == 27
    assert parse_time(text) == moment and parse_time(text).tzinfo is UTC


def test_text_order_is_time_order_across_offsets() -> None:
    earlier = datetime(2026, 11, 1, 9, 0, tzinfo=timezone(timedelta(hours=5)))  # 04:00 UTC
    later = datetime(2026, 11, 1, 1, 0, tzinfo=timezone(timedelta(hours=-8)))  # 09:00 UTC
    assert format_time(earlier) < format_time(later)


def test_moments_formatted_in_turn_each_keep_their_own_text() -> None:
    # A write formats one moment several times in a row; the text of the last one is kept for it.
    first, second = datetime(2026, 11, 29, 21, 0, tzinfo=UTC), datetime(2026, 11, 29, 21, 0, 1, 5, tzinfo=UTC)
    texts = [format_time(m) for m in (first, first, second, first, second, second)]
    assert texts == [m.strftime(_FORMAT) for m in (first, first, second, first, second, second)]
