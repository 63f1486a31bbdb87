"""Numbers written before `pvt_locality` existed (or under an older LOCALITY_VERSION) get it, once.

The search index (view `search`) finds a number by its stored locality, so a number without one is
invisible to filtered searches until it is written again. This walks the numbers by id in pages and
writes the locality into those that lack it, each write conditional on the revision read: a number
written meanwhile by someone else already carries it (every write computes it), so a conflict is simply
skipped. A marker in the system database records the version done, so later starts cost one read.
"""

from __future__ import annotations

import logging

from numplane.domain.locality import LOCALITY_VERSION, Locality, describe
from numplane.store.base import HIGH, Db, Store

log = logging.getLogger(__name__)

MARKER_ID = "locality_backfill"
PAGE = 500


async def backfill_localities(store: Store, *, page: int = PAGE) -> int:
    """Write the locality into every number lacking a current one; how many were written."""
    marker = (await store.get_many(Db.SYSTEM, [MARKER_ID])).get(MARKER_ID)
    if marker is not None and marker.get("version") == LOCALITY_VERSION:
        return 0
    written = 0
    after: str | None = None
    while True:
        docs = await store.id_range(Db.NUMBERS, start="", end=HIGH, after=after, limit=page)
        stale = [
            {**doc, "pvt_locality": describe(doc["_id"]).to_doc()}
            for doc in docs
            if doc.get("pvt_type") == "number" and Locality.from_doc(doc.get("pvt_locality")) is None
        ]
        if stale:
            written += sum(result.ok for result in await store.put_many(Db.NUMBERS, stale))
        if len(docs) < page:
            break
        after = docs[-1]["_id"]
    done = {"_id": MARKER_ID, "pvt_type": "locality_backfill", "version": LOCALITY_VERSION}
    if marker is not None:
        done["_rev"] = marker["_rev"]
    await store.put_many(Db.SYSTEM, [done])  # a conflict: another replica finished the same walk
    if written:
        log.info("wrote the locality of %d numbers stored before search indexed it", written)
    return written
