"""The numbers this process wrote a moment ago, by revision: read back, they need no decoding.

A single-number change reads its number twice after writing it: the change feed reads the new revision
back (numplane.changes.hub), and the number's next change reads it before deciding (numplane.resolvers.bulk).
Both converted the stored document into the very Number the bulk engine had just built and written,
and that conversion was the largest part of the event loop's work per change left to cut. A revision
names one write of a document (on either store), so the document read at (id, revision) holds what was
written at it: the Number kept for that key is the one the document would convert to
(tests/domain/test_written_numbers.py and tests/changes/test_written_hand_off.py compare them).

Keyed by revision, not by number: the feed often reads a revision after the number's next write has
landed, and a memory of the latest revision alone missed a third of them. Process memory only, and
short: the feed reads a write within a poll, and each kept Number holds its audit trail (up to
history_length entries, shared between a number's consecutive revisions). Past that, the latest revision
of many more numbers is remembered as one whose trail needs no second check (numplane.domain.checked_trails):
one write, one record, and every reader of numbers asks here (`number_of`).
"""

from __future__ import annotations

from typing import Any

from numplane.domain.checked_trails import CheckedTrails
from numplane.domain.numbers import Number
from numplane.domain.recent import Recent

REMEMBERED = 512  # revisions: a poll's worth of writes of a busy process; worst case ~25 MB of trails


class WrittenNumbers:
    def __init__(self, size: int = REMEMBERED, trails: CheckedTrails | None = None) -> None:
        self._numbers: Recent[tuple[str, str], Number] = Recent(size)
        self.trails = trails if trails is not None else CheckedTrails()

    def wrote(self, number: Number) -> None:
        """`number` was just written as it is, at `number.rev`, with a trail read checked plus the domain's
        entry (a deletion is not kept: see the hub)."""
        if number.rev is not None:
            self._numbers.put((number.e164, number.rev), number)
            self.trails.wrote(number.e164, number.rev)

    def number_of(self, doc: dict[str, Any]) -> Number:
        """The number a stored document holds: the one this process wrote at its revision, else
        `Number.from_doc` (UnreadableDocument as it raises it), its trail taken as stored when this process
        wrote that revision last."""
        written = self.read(doc)
        if written is not None:
            return written
        return Number.from_doc(doc, trail_checked=self.trails.knows(doc))

    def read(self, doc: dict[str, Any]) -> Number | None:
        """The number this process wrote at the document's revision, or None when it did not (recently)."""
        rev, number_id = doc.get("_rev"), doc.get("_id")
        if type(rev) is not str or type(number_id) is not str:
            return None
        return self._numbers.get((number_id, rev))
