"""A bounded memory of the latest value per key: the oldest-written key is the first forgotten.

The per-revision memos (numplane.store.written_rows, numplane.domain.checked_trails and written_numbers,
numplane.resolvers.listed_numbers) keep one entry per document or revision; a memo that wants the least
recently used forgotten first puts an entry again when it finds it.
"""

from __future__ import annotations

from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Recent(Generic[K, V]):
    def __init__(self, size: int) -> None:
        self.size = size
        self._values: dict[K, V] = {}

    def get(self, key: K) -> V | None:
        return self._values.get(key)

    def put(self, key: K, value: V | None) -> None:
        """Remember `value` as the newest entry (None: forget the key)."""
        self._values.pop(key, None)  # re-inserted last: the oldest entries are the first evicted
        if value is None:
            return
        self._values[key] = value
        if len(self._values) > self.size:
            del self._values[next(iter(self._values))]

    def clear(self) -> None:
        self._values.clear()
