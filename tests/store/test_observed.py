"""The observed store announces this process's successful writes, and only those."""

from __future__ import annotations

from numplane.store.base import Db, Doc, Store
from numplane.store.observed import ObservedStore


async def test_listeners_hear_successful_writes_with_their_new_revision(store: Store) -> None:
    observed = ObservedStore(store)
    heard: list[tuple[Db, list[Doc]]] = []
    stop = observed.listen(lambda db, docs: heard.append((db, docs)))
    (first,) = await observed.put_many(Db.SYSTEM, [{"_id": "a", "pvt_type": "x"}])
    await observed.put_many(Db.SYSTEM, [{"_id": "a", "pvt_type": "x"}])  # conflict: not announced
    assert heard == [(Db.SYSTEM, [{"_id": "a", "pvt_type": "x", "_rev": first.rev}])]
    stop()
    await observed.put_many(Db.SYSTEM, [{"_id": "b", "pvt_type": "x"}])
    assert len(heard) == 1
