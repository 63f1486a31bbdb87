"""Number revisions whose audit trail is known to be readable, so reading them again need not check it.

Reading a number checks its whole audit trail (up to history_length entries, Number.from_doc), and a
single transition read each number twice: the bulk engine before deciding, the change feed after the
write. The trail the bulk engine writes is one it checked on reading, plus one entry the domain made, so
it is readable; a revision names one write of a document (on either store), so the document read back at
that revision holds that trail. A revision this process did not write, or wrote too long ago, is checked
as before. Process memory only: one entry per number, the latest revision written.
"""

from __future__ import annotations

from typing import Any

from numplane.domain.recent import Recent

REMEMBERED = 50_000  # numbers; an entry is an id and a revision, ~200 bytes


class CheckedTrails:
    def __init__(self, size: int = REMEMBERED) -> None:
        self._rev_by_number: Recent[str, str] = Recent(size)

    def wrote(self, number_id: str, rev: str) -> None:
        """`number_id` was written at `rev` with a trail read or made by the domain."""
        self._rev_by_number.put(number_id, rev)

    def knows(self, doc: dict[str, Any]) -> bool:
        """Whether this stored number document is a revision written as above."""
        rev, number_id = doc.get("_rev"), doc.get("_id")
        return rev is not None and type(number_id) is str and self._rev_by_number.get(number_id) == rev
