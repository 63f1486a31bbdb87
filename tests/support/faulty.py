"""A store whose next writes to one database go wrong on demand, as they do in production:

- `conflicts`: that many writes of existing documents lose to another writer, who writes the same
  documents again (unchanged, so with new revisions) just before them (see interloper.py);
- `failures`: that many writes raise StoreUnavailable before anything is written (the server is down);
- `lost_answers`: that many writes land and then raise StoreUnavailable (the answer never came back).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from numplane.store.base import Db, Doc, Store, StoreUnavailable, WriteResult


class FaultyStore:
    def __init__(self, inner: Store, db: Db = Db.NUMBERS) -> None:
        self.inner = inner
        self.db = db
        self.conflicts = 0
        self.failures = 0
        self.lost_answers = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def put_many(self, db: Db, docs: Sequence[Doc]) -> list[WriteResult]:
        if db is not self.db:
            return await self.inner.put_many(db, docs)
        existing = [d["_id"] for d in docs if d.get("_rev")]
        if self.conflicts and existing:
            self.conflicts -= 1
            current = await self.inner.get_many(db, existing)
            await self.inner.put_many(db, list(current.values()))
        if self.failures:
            self.failures -= 1
            raise StoreUnavailable("injected: the store is down")
        results = await self.inner.put_many(db, docs)
        if self.lost_answers:
            self.lost_answers -= 1
            raise StoreUnavailable("injected: the write landed but its answer was lost")
        return results
