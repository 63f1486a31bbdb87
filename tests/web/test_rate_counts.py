"""The rate limits' counts: kept without a thread of their own, expired ones dropped by later requests."""

from __future__ import annotations

import threading
import time

from limits import RateLimitItemPerSecond
from limits.strategies import SlidingWindowCounterRateLimiter

from numplane.web.rate_counts import SweptMemoryStorage


def test_hits_after_quiet_moments_start_no_thread() -> None:
    # limits' own MemoryStorage starts a Timer thread on the first hit after each quiet 10 ms.
    limiter = SlidingWindowCounterRateLimiter(SweptMemoryStorage())
    item = RateLimitItemPerSecond(100, 1)
    before = set(threading.enumerate())
    for _ in range(3):
        time.sleep(0.015)
        assert limiter.hit(item, "key")
    assert set(threading.enumerate()) <= before


def test_a_spent_budget_is_still_refused() -> None:
    limiter = SlidingWindowCounterRateLimiter(SweptMemoryStorage(sweep_seconds=0))
    item = RateLimitItemPerSecond(2, 3600)
    assert limiter.hit(item, "key") and limiter.hit(item, "key")
    assert not limiter.hit(item, "key")
    assert limiter.hit(item, "another key")


def test_a_later_count_drops_the_expired_ones() -> None:
    storage = SweptMemoryStorage(sweep_seconds=0)
    storage.incr("old", expiry=0.001)
    time.sleep(0.005)
    storage.incr("new", expiry=60)
    assert set(storage.storage) == {"new"}
    assert set(storage.expirations) == {"new"}


def test_counts_are_swept_at_most_once_a_sweep_interval() -> None:
    storage = SweptMemoryStorage(sweep_seconds=3600)
    storage.incr("old", expiry=0.001)
    time.sleep(0.005)
    storage.incr("new", expiry=60)
    assert set(storage.expirations) == {"old", "new"}  # not yet swept; `get` still reads "old" as 0
    assert storage.get("old") == 0
