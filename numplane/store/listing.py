"""What a listing reads of a document: all of it but the bulky parts no listing row shows.

A number document carries its audit trail (`pvt_history`, up to history_length entries, most of its
bytes) and its geocoded place (`pvt_locality`, written for the search index): decoding them for each of a
page's hundred rows was most of the store's part of a page. A store may keep a document's listing form
beside it (the embedded store does, in the same row) and answer `query(..., listing=True)` with it; a
store that does not answers with the whole document, which holds every key the listing form does.
"""

from __future__ import annotations

from numplane.store.base import Db, Doc

LEFT_OUT: dict[Db, frozenset[str]] = {Db.NUMBERS: frozenset({"pvt_history", "pvt_locality"})}


def listing_form(db: Db, body: Doc) -> Doc | None:
    """The document as listings read it, or None when listings of `db` read the whole document."""
    left_out = LEFT_OUT.get(db)
    if left_out is None:
        return None
    return {key: value for key, value in body.items() if key not in left_out}
