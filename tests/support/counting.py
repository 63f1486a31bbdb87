"""A store that counts the requests made through it and the documents its reads return.

Used to show what is served from memory (the routing cache) and that jobs read only what is due.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from numplane.store.base import ChangePage, Db, Doc, Key, Row, Store, WriteResult


class CountingStore:
    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self.calls: Counter[str] = Counter()
        self.documents_read = 0

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    async def open(self) -> None:
        await self.inner.open()

    async def close(self) -> None:
        await self.inner.close()

    async def ping(self) -> None:
        self.calls["ping"] += 1
        await self.inner.ping()

    async def get_many(self, db: Db, ids: Sequence[str], *, held: Mapping[str, str] | None = None) -> dict[str, Doc]:
        self.calls["get_many:" + db.value] += 1
        found = await self.inner.get_many(db, ids, held=held)
        self.documents_read += len(found)
        return found

    async def get_attachment(self, db: Db, doc_id: str, name: str) -> bytes | None:
        self.calls["get_attachment:" + db.value] += 1
        return await self.inner.get_attachment(db, doc_id, name)

    async def put_many(self, db: Db, docs: Sequence[Doc]) -> list[WriteResult]:
        self.calls["put_many:" + db.value] += 1
        return await self.inner.put_many(db, docs)

    async def query(
        self, db: Db, view: str, *, start: Key, end: Key, after: Key | None = None, limit: int,
        listing: bool = False,
    ) -> list[Row]:
        self.calls["query:" + db.value] += 1
        rows = await self.inner.query(db, view, start=start, end=end, after=after, limit=limit, listing=listing)
        self.documents_read += len(rows)
        return rows

    async def count(self, db: Db, view: str, start: Key, end: Key) -> int:
        self.calls["count:" + db.value] += 1
        return await self.inner.count(db, view, start, end)  # an index count: no document is read

    async def id_range(
        self, db: Db, *, start: str, end: str, after: str | None = None, limit: int
    ) -> list[Doc]:
        self.calls["id_range:" + db.value] += 1
        docs = await self.inner.id_range(db, start=start, end=end, after=after, limit=limit)
        self.documents_read += len(docs)
        return docs

    async def changes(
        self, db: Db, since: str | None, limit: int, *, held: Mapping[str, str] | None = None, own: bool = False
    ) -> ChangePage:
        self.calls["changes:" + db.value] += 1
        page = await self.inner.changes(db, since, limit, held=held, own=own)
        self.documents_read += len(page.changes)
        return page

    async def current_cursor(self, db: Db) -> str:
        self.calls["current_cursor:" + db.value] += 1
        return await self.inner.current_cursor(db)
