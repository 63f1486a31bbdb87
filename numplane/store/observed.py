"""A Store that tells listeners what this process just wrote, and how long each call to the store took.

The routing cache and the change hub learn of other replicas' writes from the change feed; writes made
in this process are announced here at once, so the next hunt or long-poll never sees stale data.

Every call is timed: watchers (the app's /metrics) hear of each one, and a call slower than `slow_after`
seconds is logged (the log formatter adds the request or job run it slowed).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TypeVar

from numplane.store.base import ChangePage, Db, Doc, Key, Row, Store, StoreUnavailable, WriteResult

log = logging.getLogger("numplane.store")

Listener = Callable[[Db, list[Doc]], None]
Watcher = Callable[[str, float, bool], None]
"""Called after every store call with (operation, seconds, failed: the store was unavailable)."""

SLOW_AFTER_SECONDS = 0.25
T = TypeVar("T")


class ObservedStore:
    def __init__(self, inner: Store, *, slow_after: float = SLOW_AFTER_SECONDS) -> None:
        self.inner = inner
        self.slow_after = slow_after
        self._listeners: list[Listener] = []
        self._watchers: list[Watcher] = []

    def listen(self, listener: Listener) -> Callable[[], None]:
        """Call `listener(db, docs)` after every successful write; returns a function that stops it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def watch(self, watcher: Watcher) -> Callable[[], None]:
        """Call `watcher(operation, seconds, failed)` after every store call; returns a function that stops it."""
        self._watchers.append(watcher)
        return lambda: self._watchers.remove(watcher)

    async def _timed(self, operation: str, db: Db | None, call: Awaitable[T]) -> T:
        started = time.perf_counter()
        failed = False
        try:
            return await call
        except StoreUnavailable:
            failed = True
            raise
        finally:
            seconds = time.perf_counter() - started
            for watcher in self._watchers:
                watcher(operation, seconds, failed)
            # A failure is reported by whoever handles it (the request's answer, the command's error line).
            if seconds >= self.slow_after and not failed:
                where = db.value if db else None
                log.warning(
                    "slow store call: %s %s took %.0f ms", operation, where or "", seconds * 1000,
                    extra={"call": operation, "db": where, "duration_ms": round(seconds * 1000, 3)},
                )

    async def open(self) -> None:
        await self._timed("open", None, self.inner.open())

    async def close(self) -> None:
        await self._timed("close", None, self.inner.close())

    async def ping(self) -> None:
        await self._timed("ping", None, self.inner.ping())

    async def get_many(self, db: Db, ids: Sequence[str], *, held: Mapping[str, str] | None = None) -> dict[str, Doc]:
        return await self._timed("get_many", db, self.inner.get_many(db, ids, held=held))

    async def put_many(self, db: Db, docs: Sequence[Doc]) -> list[WriteResult]:
        results = await self._timed("put_many", db, self.inner.put_many(db, docs))
        written = [{**doc, "_rev": r.rev} for doc, r in zip(docs, results, strict=True) if r.ok]
        if written:
            for listener in list(self._listeners):
                listener(db, written)
        return results

    async def get_attachment(self, db: Db, doc_id: str, name: str) -> bytes | None:
        return await self._timed("get_attachment", db, self.inner.get_attachment(db, doc_id, name))

    async def query(
        self, db: Db, view: str, *, start: Key, end: Key, after: Key | None = None, limit: int, listing: bool = False
    ) -> list[Row]:
        return await self._timed(
            "query", db, self.inner.query(db, view, start=start, end=end, after=after, limit=limit, listing=listing)
        )

    async def count(self, db: Db, view: str, start: Key, end: Key) -> int:
        return await self._timed("count", db, self.inner.count(db, view, start, end))

    async def id_range(
        self, db: Db, *, start: str, end: str, after: str | None = None, limit: int
    ) -> list[Doc]:
        return await self._timed(
            "id_range", db, self.inner.id_range(db, start=start, end=end, after=after, limit=limit)
        )

    async def changes(
        self, db: Db, since: str | None, limit: int, *, held: Mapping[str, str] | None = None, own: bool = False
    ) -> ChangePage:
        return await self._timed("changes", db, self.inner.changes(db, since, limit, held=held, own=own))

    async def current_cursor(self, db: Db) -> str:
        return await self._timed("current_cursor", db, self.inner.current_cursor(db))
