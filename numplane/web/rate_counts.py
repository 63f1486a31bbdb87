"""Where the rate limits keep their counts: per key, the count of the current window and the one before.

This is the state `limits`' sliding-window counter keeps in its MemoryStorage (one counter per key and
window, expiring two windows after it starts), held as what the limiter reads of it: the counts of the
current and the previous window. The storage cost a request two reads and an increment through error
wrappers, a lock per counter and a clock read each, and its own `threading.Timer` to drop expired counters
(a new thread for most requests under steady traffic). Here a hit is two dict operations; a key whose
windows have both passed reads as zero, and dropping such keys is housekeeping done by the hit that finds
the last sweep over a second old. tests/web/test_rate_limits.py compares the figures with `limits`' own
limiter.
"""

from __future__ import annotations

import time

SWEEP_SECONDS = 1.0


class SlidingWindows:
    """Counts of requests per key in fixed windows of `expiry` seconds: the current one and the one before."""

    def __init__(self, *, sweep_seconds: float = SWEEP_SECONDS) -> None:
        # key -> (index of the window counted last, its count, the count of the window before it, expiry)
        self.windows: dict[str, tuple[int, int, int, int]] = {}
        self.sweep_seconds = sweep_seconds
        self._next_sweep = time.monotonic() + sweep_seconds

    def read(self, key: str, expiry: int, now: float) -> tuple[int, float, int, float]:
        """(previous count, seconds the previous window still weighs, current count, seconds until the
        current window's count expires), as limits' `get_sliding_window` tells them."""
        index = int(now / expiry)
        previous, current = self._counts(key, index)
        previous_ttl = 0.0 if previous == 0 else (1 - (((now - expiry) / expiry) % 1)) * expiry
        current_ttl = (1 - ((now / expiry) % 1)) * expiry + expiry
        return previous, previous_ttl, current, current_ttl

    def add(self, key: str, expiry: int, now: float) -> int:
        """Count one request in the current window; its count now."""
        self._sweep()
        index = int(now / expiry)
        previous, current = self._counts(key, index)
        self.windows[key] = (index, current + 1, previous, expiry)
        return current + 1

    def _counts(self, key: str, index: int) -> tuple[int, int]:
        entry = self.windows.get(key)
        if entry is None:
            return 0, 0
        counted, count, before, _expiry = entry
        if counted == index:
            return before, count
        if counted == index - 1:
            return count, 0
        return 0, 0  # both windows have passed

    def _sweep(self) -> None:
        now = time.monotonic()
        if now < self._next_sweep:
            return
        self._next_sweep = now + self.sweep_seconds
        wall = time.time()
        stale = [key for key, (index, _count, _before, expiry) in self.windows.items()
                 if index < int(wall / expiry) - 1]
        for key in stale:
            del self.windows[key]
