"""One place reads stored documents (Number.from_doc, Account.from_doc): a bad one is UnreadableDocument
naming the document and the field, never a KeyError or ValueError from deep inside."""

from __future__ import annotations

from typing import Any

import pytest

from numplane.domain.accounts import Account
from numplane.domain.documents import UnreadableDocument
from numplane.domain.errors import ErrorCode
from numplane.domain.numbers import Number
from numplane.domain.states import State
from tests.support.unreadable import BAD_ACCOUNT_FIELDS, BAD_NUMBER_FIELDS

GOOD_NUMBER: dict[str, Any] = {
    "_id": "+14155550123", "pvt_type": "number", "pvt_state": "in_service", "pvt_assigned_to": "c",
    "pvt_assigned_tree": ["a", "c"], "pvt_features": {"cnam": {}},
    "pvt_history": [{"at": "2026-11-26T12:00:00.000000Z", "action": "add", "from": None, "to": "in_service"}],
}


@pytest.mark.parametrize("kind", sorted(BAD_NUMBER_FIELDS))
def test_a_number_document_with_a_bad_field_is_unreadable_and_names_it(kind: str) -> None:
    fields = BAD_NUMBER_FIELDS[kind]
    with pytest.raises(UnreadableDocument) as raised:
        Number.from_doc({**GOOD_NUMBER, **fields})
    error = raised.value
    assert (error.code, error.doc_id, error.number) == (ErrorCode.UNREADABLE_DOCUMENT, "+14155550123", "+14155550123")
    assert next(iter(fields)) in error.problem


@pytest.mark.parametrize("kind", sorted(BAD_ACCOUNT_FIELDS))
def test_an_account_document_with_a_bad_field_is_unreadable_and_names_it(kind: str) -> None:
    fields = BAD_ACCOUNT_FIELDS[kind]
    with pytest.raises(UnreadableDocument) as raised:
        Account.from_doc({"_id": "acc", "name": "A", **fields})
    assert raised.value.doc_id == "acc" and next(iter(fields)) in raised.value.problem


def test_a_document_without_an_id_is_unreadable() -> None:
    with pytest.raises(UnreadableDocument):
        Number.from_doc({"pvt_state": "available"})


def test_garbage_in_the_number_clocks_reads_as_no_time_not_as_an_unreadable_number() -> None:
    # Kazoo leaves "undefined" in its timestamps: the number itself is fine.
    number = Number.from_doc({**GOOD_NUMBER, "pvt_created": "undefined", "pvt_modified": 63_900_000_000})
    assert number.created is None and number.modified is not None and number.state is State.IN_SERVICE


def test_kazoo_state_key_and_gregorian_history_times_are_read() -> None:
    doc = {**GOOD_NUMBER, "pvt_state": None, "pvt_number_state": "reserved",
           "pvt_history": [{"at": 63_900_000_000, "action": "reserve", "to": "reserved"}]}
    number = Number.from_doc(doc)
    assert number.state is State.RESERVED and number.last_transition is not None


def test_an_older_history_entry_without_a_date_makes_the_number_unreadable() -> None:
    # Kazoo leaves "undefined": found when the document is read, not when a listing asks for the history.
    entries = [{"at": "undefined", "action": "add"}, *GOOD_NUMBER["pvt_history"]]
    with pytest.raises(UnreadableDocument):
        Number.from_doc({**GOOD_NUMBER, "pvt_history": entries})


def test_an_older_history_entry_shaped_like_a_date_but_not_one_fails_when_the_history_is_read() -> None:
    # Only the latest entry is parsed on read (the feed needs it); the rest when the history is asked for.
    entries = [{"at": "2026-13-45T99:00:00Z", "action": "add"}, *GOOD_NUMBER["pvt_history"]]
    number = Number.from_doc({**GOOD_NUMBER, "pvt_history": entries})
    assert number.last_transition is not None
    with pytest.raises(UnreadableDocument):
        _ = number.history


HISTORY_KINDS = sorted(kind for kind, fields in BAD_NUMBER_FIELDS.items() if "pvt_history" in fields)


def test_a_listed_number_reads_as_the_whole_document_does() -> None:
    doc = {**GOOD_NUMBER, "label": {"deep": [1, {"er": 2}]}, "pvt_kazoo_only": 7, "_rev": "2-b"}
    listed = Number.from_doc(doc, deferred=True)
    assert listed == Number.from_doc(doc)
    assert (listed.public, listed.extra_private) == ({"label": {"deep": [1, {"er": 2}]}}, {"pvt_kazoo_only": 7})
    assert listed.to_doc() == Number.from_doc(doc).to_doc()


@pytest.mark.parametrize("kind", HISTORY_KINDS)
def test_a_listed_number_finds_its_unreadable_history_when_the_history_is_read(kind: str) -> None:
    listed = Number.from_doc({**GOOD_NUMBER, **BAD_NUMBER_FIELDS[kind]}, deferred=True)
    assert listed.state is State.IN_SERVICE and listed.owner == "c"  # what a page shows of every row
    for read in (lambda: listed.history_docs, lambda: listed.history, lambda: listed.last_transition):
        with pytest.raises(UnreadableDocument) as raised:
            read()
        assert "pvt_history" in raised.value.problem


@pytest.mark.parametrize("kind", HISTORY_KINDS)
def test_a_listed_number_with_an_unreadable_history_is_never_written_over(kind: str) -> None:
    listed = Number.from_doc({**GOOD_NUMBER, **BAD_NUMBER_FIELDS[kind]}, deferred=True)
    with pytest.raises(UnreadableDocument):
        listed.to_doc()
    with pytest.raises(UnreadableDocument):
        listed.with_changes(state=State.AVAILABLE)


@pytest.mark.parametrize("kind", sorted(set(BAD_NUMBER_FIELDS) - set(HISTORY_KINDS)))
def test_a_listed_number_is_still_checked_for_every_field_a_page_reads(kind: str) -> None:
    fields = BAD_NUMBER_FIELDS[kind]
    with pytest.raises(UnreadableDocument) as raised:
        Number.from_doc({**GOOD_NUMBER, **fields}, deferred=True)
    assert next(iter(fields)) in raised.value.problem
