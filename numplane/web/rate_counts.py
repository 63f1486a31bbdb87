"""Where the rate limits keep their counts: `limits`' memory storage, without its expiry thread.

`limits.storage.MemoryStorage` drops expired counters from a `threading.Timer` it starts again on the first
hit after each quiet 10 ms: under steady traffic that is a new thread for most requests. Starting it
holds the event loop until the new thread has run (0.4 ms idle, tens of ms when the cores are busy), and
each timer then wakes to take the GIL from the loop. The counters need no thread: reading one already
ignores it once expired (`get`), so dropping the expired ones is only housekeeping, done here by the hit
that finds the last sweep over a second old.
"""

from __future__ import annotations

import time

from limits.storage import MemoryStorage

SWEEP_SECONDS = 1.0


class SweptMemoryStorage(MemoryStorage):
    """`MemoryStorage` whose expired counters are dropped by the requests themselves, at most once a second."""

    def __init__(self, *, sweep_seconds: float = SWEEP_SECONDS) -> None:
        super().__init__()
        self.timer.cancel()  # the one its constructor starts
        self.sweep_seconds = sweep_seconds
        self._next_sweep = time.monotonic() + sweep_seconds

    # MemoryStorage calls `self.__schedule_expiry()` (name-mangled to this) before every count it changes.
    def _MemoryStorage__schedule_expiry(self) -> None:
        now = time.monotonic()
        if now >= self._next_sweep:
            self._next_sweep = now + self.sweep_seconds
            self._MemoryStorage__expire_events()  # type: ignore[attr-defined]
