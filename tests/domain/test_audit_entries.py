"""A number's latest audit entry reads as the transition that wrote it, whether this process made the entry
a moment ago or read it from a stored document."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from numplane.domain.history import record
from numplane.domain.numbers import Number, Transition
from numplane.domain.states import State

NOW = datetime(2026, 11, 29, 21, 0, 0, 123456, tzinfo=UTC)


def activated() -> tuple[Number, Number]:
    before = Number(e164="+14155550123", state=State.AVAILABLE)
    after = record(before, before, action="activate", requester="c", now=NOW, history_length=100,
                   changes={"state": State.IN_SERVICE, "owner": "c"})
    return before, after


def test_the_latest_entry_of_a_change_made_here_reads_as_the_stored_document_would() -> None:
    _before, after = activated()
    stored = Number.from_doc(after.to_doc())  # the same entry as another process reads it
    assert after.last_transition == stored.last_transition == Transition(
        at=NOW, action="activate", from_state=State.AVAILABLE, to_state=State.IN_SERVICE, requester="c",
        owner_before=None, owner_after="c",
    )


def test_an_entry_stamped_in_another_offset_reads_back_in_utc_as_stored() -> None:
    moment = NOW.astimezone(timezone(timedelta(hours=-8)))
    before = Number(e164="+14155550123", state=State.AVAILABLE)
    after = record(before, before, action="reserve", requester="c", now=moment, history_length=100,
                   changes={"state": State.RESERVED, "owner": "c"})
    last = after.last_transition
    assert last is not None and last.at == NOW and last.at.tzinfo is UTC
