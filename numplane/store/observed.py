"""A Store that tells listeners what this process just wrote.

The routing cache and the change hub learn of other replicas' writes from the change feed; writes made
in this process are announced here at once, so the next hunt or long-poll never sees stale data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from numplane.store.base import ChangePage, Db, Doc, Key, Row, Store, WriteResult

Listener = Callable[[Db, list[Doc]], None]


class ObservedStore:
    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self._listeners: list[Listener] = []

    def listen(self, listener: Listener) -> Callable[[], None]:
        """Call `listener(db, docs)` after every successful write; returns a function that stops it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    async def open(self) -> None:
        await self.inner.open()

    async def close(self) -> None:
        await self.inner.close()

    async def ping(self) -> None:
        await self.inner.ping()

    async def get_many(self, db: Db, ids: Sequence[str]) -> dict[str, Doc]:
        return await self.inner.get_many(db, ids)

    async def put_many(self, db: Db, docs: Sequence[Doc]) -> list[WriteResult]:
        results = await self.inner.put_many(db, docs)
        written = [{**doc, "_rev": r.rev} for doc, r in zip(docs, results, strict=True) if r.ok]
        if written:
            for listener in list(self._listeners):
                listener(db, written)
        return results

    async def get_attachment(self, db: Db, doc_id: str, name: str) -> bytes | None:
        return await self.inner.get_attachment(db, doc_id, name)

    async def query(
        self, db: Db, view: str, *, start: Key, end: Key, after: Key | None = None, limit: int
    ) -> list[Row]:
        return await self.inner.query(db, view, start=start, end=end, after=after, limit=limit)

    async def id_range(
        self, db: Db, *, start: str, end: str, after: str | None = None, limit: int
    ) -> list[Doc]:
        return await self.inner.id_range(db, start=start, end=end, after=after, limit=limit)

    async def changes(self, db: Db, since: str | None, limit: int) -> ChangePage:
        return await self.inner.changes(db, since, limit)

    async def current_cursor(self, db: Db) -> str:
        return await self.inner.current_cursor(db)
