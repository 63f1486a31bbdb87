"""A bounded map whose entries expire a fixed time after they were put: the authentication cache.

Every API request looks its key up here (a router's GET /hunt included), and cachetools' TTLCache spent a
lookup two trips through its timer context and its linked list of expiry times: a fifth of what the rate
limits cost a request. Here an entry is its value and the moment it expires, and a lookup is one dict read
and one clock read. An expired entry is dropped when it is next looked up, or when the map is full and
makes room by dropping the entry put first (entries are kept in the order they were put, which is the
order they expire in).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Expiring(Generic[K, V]):
    """At most `maxsize` entries, each readable for `ttl` seconds after it was put."""

    def __init__(self, maxsize: int, ttl: float, timer: Callable[[], float] = time.monotonic) -> None:
        self.maxsize = maxsize
        self.ttl = ttl
        self.timer = timer
        self._entries: dict[K, tuple[V, float]] = {}

    def get(self, key: K) -> V | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[1] > self.timer():
            return entry[0]
        del self._entries[key]
        return None

    def __setitem__(self, key: K, value: V) -> None:
        entries = self._entries
        entries.pop(key, None)  # put again: its place in the order is now the newest
        now = self.timer()
        # Entries are in the order they were put, so in the order they expire: the expired ones come first,
        # and when none has expired the first is the oldest.
        while len(entries) >= self.maxsize:
            del entries[next(iter(entries))]
        entries[key] = (value, now + self.ttl)

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
