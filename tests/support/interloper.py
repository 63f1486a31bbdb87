"""A store where another writer always gets in first: between any read of a document and the write that
follows it, the same document is written again (unchanged, so with a new revision), as a replica racing
for it would. Every conditional write of an existing document then conflicts, for as long as it is on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from numplane.store.base import Db, Doc, Store, WriteResult


class Interloper:
    def __init__(self, inner: Store, db: Db) -> None:
        self.inner = inner
        self.db = db
        self.active = False
        self.interruptions = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def put_many(self, db: Db, docs: Sequence[Doc]) -> list[WriteResult]:
        existing = [d["_id"] for d in docs if d.get("_rev")]
        if self.active and db is self.db and existing:
            current = await self.inner.get_many(db, existing)
            await self.inner.put_many(db, list(current.values()))
            self.interruptions += 1
        return await self.inner.put_many(db, docs)
