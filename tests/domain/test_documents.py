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
