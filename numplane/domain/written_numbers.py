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

A reader that is about to read numbers it may hold tells the store which revisions it holds (`holding`):
the store then need not even parse those documents (numplane.store.base, `held`), and the reader takes
the Numbers taken out for that read, which stay its own even if the memory forgets them meanwhile. The
change feed's reader cannot name them in advance: its read waits its turn in the store behind writes this
memory hears of only once their answers come back. It asks the store instead to leave out the bodies of
the revisions the store itself wrote (`own`) and finds each here by id and revision (`read`), reading
whole again those it does not find (numplane.changes.hub).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from numplane.domain.checked_trails import CheckedTrails
from numplane.domain.numbers import Number
from numplane.domain.recent import Recent

REMEMBERED = 512  # revisions (and latest numbers): a poll's worth of writes of a busy process; worst case
# ~50 MB of trails (a number's consecutive revisions share most of theirs)


class WrittenNumbers:
    def __init__(self, size: int = REMEMBERED, trails: CheckedTrails | None = None) -> None:
        self._numbers: Recent[tuple[str, str], Number] = Recent(size)
        self._latest: Recent[str, Number] = Recent(size)  # the latest of each number, for a read about to be made
        self.trails = trails if trails is not None else CheckedTrails()

    def wrote(self, number: Number) -> None:
        """`number` was just written as it is, at `number.rev`, with a trail read checked plus the domain's
        entry (a deletion is not kept: see the hub)."""
        if number.rev is not None:
            self._numbers.put((number.e164, number.rev), number)
            self._latest.put(number.e164, number)
            self.trails.wrote(number.e164, number.rev)

    def number_of(self, doc: dict[str, Any]) -> Number:
        """The number a stored document holds: the one this process wrote at its revision, else
        `Number.from_doc` (UnreadableDocument as it raises it), its trail taken as stored when this process
        wrote that revision last."""
        written = self.read(doc)
        if written is not None:
            return written
        return Number.from_doc(doc, trail_checked=self.trails.knows(doc))

    def holding(self, ids: Iterable[str]) -> Held:
        """The latest number written of each of `ids`, for one read of them."""
        numbers: dict[str, Number] = {}
        revisions: dict[str, str] = {}
        for number_id in ids:
            number = self._latest.get(number_id)
            if number is not None and number.rev is not None:
                numbers[number_id], revisions[number_id] = number, number.rev
        return Held(numbers, revisions, self)

    def read(self, doc: dict[str, Any]) -> Number | None:
        """The number this process wrote at the document's revision, or None when it did not (recently)."""
        rev, number_id = doc.get("_rev"), doc.get("_id")
        if type(rev) is not str or type(number_id) is not str:
            return None
        return self._numbers.get((number_id, rev))


@dataclass(frozen=True, slots=True)
class Held:
    """Numbers taken out of the memory for one read: the revisions to tell the store, and what a document
    the store answers at one of them stands for (perhaps only its id and revision)."""

    numbers: dict[str, Number]
    revisions: dict[str, str]  # of `numbers`, for the store
    written: WrittenNumbers

    def holds(self, doc: dict[str, Any]) -> bool:
        """Whether `doc` is at the revision held for it: its body, if any, holds the held number."""
        number_id = doc.get("_id")
        number = self.numbers.get(number_id) if type(number_id) is str else None
        return number is not None and number.rev == doc.get("_rev")

    def number_of(self, doc: dict[str, Any]) -> Number:
        """The number a document read with these revisions holds (as `WrittenNumbers.number_of`)."""
        if self.holds(doc):
            return self.numbers[doc["_id"]]
        return self.written.number_of(doc)
