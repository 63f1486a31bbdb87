"""Numbers read from listed documents, kept by revision: a page shown again converts no unchanged document.

A stored revision never changes (a write makes a new one, with a new `_rev`), so the number read from a
document is the number of its (id, revision) for as long as the process lives: the kept one is returned
for the same revision, and any write is a different key. Numbers are immutable; their deferred parts
(numplane.domain.deferred) are converted in place on first read and then kept too. A document that
cannot be read is never kept, so each listing that meets it skips and logs it again (issue 15.6).
Clients page through the same listings over and over (consoles refresh, integrations poll): converting
a hundred documents was a third of such a page's CPU. The store is still read on every page, so a
number's changes, deletions and new visibility are seen at once.
"""

from __future__ import annotations

from typing import Any

from numplane.domain.numbers import Number
from numplane.domain.recent import Recent

KEPT = 2_000  # twenty pages of a hundred; each holds its listed document (a few kB)


class ListedNumbers:
    def __init__(self, size: int = KEPT) -> None:
        self._kept: Recent[tuple[str, str, bool], Number] = Recent(size)

    def read(self, doc: dict[str, Any], *, listing_form: bool) -> Number:
        """Number.from_doc(doc, deferred=True, listing_form=...), or the one already read from that
        revision (UnreadableDocument as from_doc raises it)."""
        doc_id, rev = doc.get("_id"), doc.get("_rev")
        if type(doc_id) is not str or type(rev) is not str:
            return Number.from_doc(doc, deferred=True, listing_form=listing_form)
        key = (doc_id, rev, listing_form)  # a listing form lacks the trail: never handed to a reader of it
        number = self._kept.get(key)
        if number is None:
            number = Number.from_doc(doc, deferred=True, listing_form=listing_form)
        self._kept.put(key, number)  # the newest again: the pages shown least recently are forgotten first
        return number
