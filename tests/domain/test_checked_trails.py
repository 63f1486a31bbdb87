"""Which stored revisions of a number may be read without checking their audit trail again."""

from __future__ import annotations

from numplane.domain.checked_trails import CheckedTrails

N, M = "+14155550100", "+14155550101"


def test_only_the_revision_written_last_is_known() -> None:
    trails = CheckedTrails()
    trails.wrote(N, "1-a")
    trails.wrote(N, "2-b")

    assert trails.knows({"_id": N, "_rev": "2-b"})
    assert not trails.knows({"_id": N, "_rev": "1-a"})  # since rewritten: maybe by someone else
    assert not trails.knows({"_id": M, "_rev": "2-b"})
    assert not trails.knows({"_id": N})


def test_the_numbers_written_longest_ago_are_forgotten_first() -> None:
    trails = CheckedTrails(size=2)
    trails.wrote(N, "1-a")
    trails.wrote(M, "1-a")
    trails.wrote(N, "2-b")  # N is now the newest
    trails.wrote("+14155550102", "1-c")

    assert trails.knows({"_id": N, "_rev": "2-b"})
    assert not trails.knows({"_id": M, "_rev": "1-a"})
