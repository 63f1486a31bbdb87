"""What the SQLite store wrote last for each document: its revision, view rows and attachment stubs.

Replacing a document means deleting the view rows of the revision it replaces and keeping that revision's
attachments, both found in its body. Parsing that body (a number carries up to a hundred audit entries)
and emitting its rows again was a third of a write's CPU, spent on what the same store computed when it
wrote that revision. A revision names its content (the store derives it from a digest of the body), so
rows remembered for the revision found in the table are that body's rows, whichever process wrote it
since: a revision that does not match is simply parsed again. The same memo lets a write over a remembered
revision skip reading the row at all (one conditional UPDATE: SqliteStore._put_over_known), and the trail
written at a remembered revision lets the next write add only its new entries (numplane.store.trails).
Used only by the store's worker thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from numplane.domain.recent import Recent
from numplane.store.base import Db
from numplane.store.trails import Trail

ViewRow = tuple[str, str, str]  # (view name, encoded key, doc id)

REMEMBERED = 4096  # documents; a row set is ~35 short tuples, so about 10 MB at most
TRAILS_REMEMBERED = 512  # documents; a trail holds its entries (shared with their Numbers) and ~2 KB of digests


@dataclass(frozen=True, slots=True)
class Written:
    rev: str
    rows: frozenset[ViewRow]
    attachments: dict[str, Any]  # the stubs the body holds


class WrittenRows:
    def __init__(self, size: int = REMEMBERED, trails: int = TRAILS_REMEMBERED) -> None:
        self._by_doc: Recent[tuple[Db, str], Written] = Recent(size)
        self._trails: Recent[tuple[Db, str], tuple[str, Trail]] = Recent(trails)

    def of(self, db: Db, doc_id: str, rev: str) -> Written | None:
        """What was written at `rev`, if it is remembered."""
        written = self._by_doc.get((db, doc_id))
        return written if written is not None and written.rev == rev else None

    def wrote(self, db: Db, doc_id: str, written: Written | None) -> None:
        """Remember the revision just written (None: a deletion, whose rows are gone)."""
        self._by_doc.put((db, doc_id), written)

    def trail_of(self, db: Db, doc_id: str, rev: str) -> Trail | None:
        """The trail kept apart at `rev` (numplane.store.trails), if it is remembered."""
        written = self._trails.get((db, doc_id))
        return written[1] if written is not None and written[0] == rev else None

    def wrote_trail(self, db: Db, doc_id: str, rev: str, trail: Trail | None) -> None:
        """Remember the trail written at `rev` (None: none kept apart)."""
        self._trails.put((db, doc_id), (rev, trail) if trail is not None else None)

    def forget(self) -> None:
        self._by_doc.clear()
        self._trails.clear()
