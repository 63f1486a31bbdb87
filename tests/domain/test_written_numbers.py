"""Which numbers a read of a stored document may take as this process wrote them."""

from __future__ import annotations

from numplane.domain.numbers import Number
from numplane.domain.states import State
from numplane.domain.written_numbers import WrittenNumbers

N, M = "+14155550100", "+14155550101"


def test_a_number_is_found_at_each_revision_written_not_at_others() -> None:
    written = WrittenNumbers()
    first, second = Number(N, State.RESERVED, rev="1-a"), Number(N, State.IN_SERVICE, rev="2-b")
    written.wrote(first)
    written.wrote(second)

    # The feed may read the first revision after the second write landed: both are kept.
    assert written.read({"_id": N, "_rev": "1-a"}) is first
    assert written.read({"_id": N, "_rev": "2-b"}) is second
    assert written.read({"_id": N, "_rev": "3-c"}) is None  # written since by someone else
    assert written.read({"_id": M, "_rev": "2-b"}) is None
    assert written.read({"_id": N}) is None
    assert written.read({"_id": N, "_rev": ["2-b"]}) is None


def test_a_number_without_revision_is_not_kept_and_the_oldest_revisions_are_forgotten_first() -> None:
    written = WrittenNumbers(size=2)
    written.wrote(Number(N, State.AVAILABLE))  # not written yet: no revision names it
    written.wrote(Number(N, State.RESERVED, rev="1-a"))
    written.wrote(Number(M, State.RESERVED, rev="1-a"))
    written.wrote(Number(N, State.IN_SERVICE, rev="2-b"))

    assert written.read({"_id": N, "_rev": "1-a"}) is None
    assert written.read({"_id": M, "_rev": "1-a"}) is not None
    assert written.read({"_id": N, "_rev": "2-b"}) is not None


def test_a_read_holds_the_latest_revision_written_of_each_number_and_keeps_it_once_forgotten() -> None:
    written = WrittenNumbers(size=2)
    first, second = Number(N, State.RESERVED, rev="1-a"), Number(N, State.IN_SERVICE, rev="2-b")
    written.wrote(first)
    written.wrote(second)

    held = written.holding([N, M])
    written.wrote(Number(M, State.RESERVED, rev="1-a"))
    written.wrote(Number(M, State.IN_SERVICE, rev="2-b"))  # both of N's revisions forgotten

    assert held.revisions == {N: "2-b"}
    # The store may answer a held revision with its id and revision alone: the held number stands for it.
    assert held.number_of({"_id": N, "_rev": "2-b"}) is second
    assert held.holds({"_id": N, "_rev": "2-b"}) and not held.holds({"_id": N, "_rev": "1-a"})
    assert not held.holds({"_id": [N], "_rev": "2-b"})


def test_a_document_read_at_a_revision_not_held_is_converted_from_its_body() -> None:
    written = WrittenNumbers()
    written.wrote(Number(N, State.RESERVED, rev="1-a"))
    newer = Number(N, State.IN_SERVICE, owner="1" * 32, assigned_tree=("1" * 32,), rev="2-b")

    read = written.holding([N]).number_of(newer.to_doc())

    assert read == newer
