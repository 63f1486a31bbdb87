"""The rate limits' counts: two windows per key, kept without a thread, passed ones dropped by later hits."""

from __future__ import annotations

import threading
import time

from numplane.web.rate_counts import SlidingWindows


def test_hits_after_quiet_moments_start_no_thread() -> None:
    # limits' own MemoryStorage started a Timer thread on the first hit after each quiet 10 ms.
    counts = SlidingWindows()
    before = set(threading.enumerate())
    for _ in range(3):
        time.sleep(0.015)
        counts.add("key", 1, time.time())
    assert set(threading.enumerate()) <= before


def test_the_current_window_becomes_the_previous_and_then_passes() -> None:
    counts = SlidingWindows()
    assert [counts.add("key", 10, 1000.5) for _ in range(3)] == [1, 2, 3]
    assert counts.read("key", 10, 1001.0)[::2] == (0, 3)  # (previous, current) within the window
    previous, previous_ttl, current, _current_ttl = counts.read("key", 10, 1012.5)
    assert (previous, current) == (3, 0) and previous_ttl == 7.5  # still weighs for the rest of 1010-1020
    assert counts.add("key", 10, 1012.5) == 1
    assert counts.read("key", 10, 1031.0)[::2] == (0, 0)
    assert counts.read("another key", 10, 1001.0)[::2] == (0, 0)


def test_a_later_hit_drops_the_keys_whose_windows_have_passed() -> None:
    counts = SlidingWindows(sweep_seconds=0)
    counts.add("old", 1, time.time() - 5)
    counts.add("new", 60, time.time())
    assert set(counts.windows) == {"new"}


def test_keys_are_swept_at_most_once_a_sweep_interval() -> None:
    counts = SlidingWindows(sweep_seconds=3600)
    counts.add("old", 1, time.time() - 5)
    counts.add("new", 60, time.time())
    assert set(counts.windows) == {"old", "new"}  # not yet swept; reading "old" still finds nothing
    assert counts.read("old", 1, time.time())[::2] == (0, 0)
