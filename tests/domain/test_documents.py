"""One place reads stored documents (Number.from_doc, Account.from_doc): a bad one is UnreadableDocument
naming the document and the field, never a KeyError or ValueError from deep inside."""

from __future__ import annotations

from dataclasses import fields
from typing import Any
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from numplane.domain import numbers
from numplane.domain.accounts import Account
from numplane.domain.documents import UnreadableDocument
from numplane.domain.errors import ErrorCode
from numplane.domain.numbers import Number, TrailNotRead
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


# Values a stored field may hold: those numplane writes and those other systems leave (wrong types, a str
# subclass, Kazoo's clocks, empty values).
class _Text(str):
    pass


_ODD_VALUES = st.sampled_from([
    None, "", "x", _Text("x"), 0, 1.5, True, False, [], ["a", "c"], ["a", 1], [_Text("a")], {}, {"k": 1},
    "in_service", "frozen", "2026-11-26T12:00:00.000000Z", 63_900_000_000, "undefined",
    {"account": "x", "started_at": "2026-11-26T12:00:00.000000Z", "expires_at": "2026-11-26T12:05:00.000000Z"},
])
_NUMBER_KEYS = st.sampled_from([
    "_id", "_rev", "pvt_state", "pvt_number_state", "pvt_module_name", "pvt_assigned_to", "pvt_previously_assigned_to",
    "pvt_assigned_tree", "pvt_reserve_history", "pvt_ported_in", "pvt_used_by", "pvt_features",
    "pvt_features_denied", "pvt_carrier_data", "pvt_created", "pvt_modified", "pvt_state_changed_at",
    "pvt_port_request", "pvt_hold", "pvt_locality", "pvt_history", "label", "pvt_kazoo_only",
])


def _reading(doc: dict[str, Any], deferred: bool, listing_form: bool) -> list[tuple[type, Any]]:
    """What from_doc makes of a document, each field's type and value (the fault a deferred part names when
    read), or the fault the whole document is refused for."""
    try:
        number = Number.from_doc(doc, deferred=deferred, listing_form=listing_form)
    except UnreadableDocument as error:
        return [(UnreadableDocument, error.problem)]
    found = []
    for field in fields(Number):
        try:
            value = getattr(number, field.name)
        except UnreadableDocument as error:
            found.append((UnreadableDocument, error.problem))
        except TrailNotRead as error:
            found.append((TrailNotRead, str(error)))
        else:
            found.append((type(value), value))
    return found


@settings(max_examples=200, deadline=None)
@given(changes=st.dictionaries(_NUMBER_KEYS, _ODD_VALUES, max_size=5), deferred=st.booleans(),
       listing_form=st.booleans())
def test_a_document_in_numplanes_own_shape_reads_as_the_careful_reading_does(
    changes: dict[str, Any], deferred: bool, listing_form: bool
) -> None:
    # from_doc reads the shape numplane writes with exact type tests (numbers._as_written) and anything
    # else field by field: both readings agree on every document, faults included, down to the types
    # (a str subclass is not passed on as text).
    doc = {**GOOD_NUMBER, "pvt_created": "2026-11-26T12:00:00.000000Z", "_rev": "1-a", **changes}
    quick = _reading(doc, deferred, listing_form)
    with patch.object(numbers, "_as_written", lambda *_: None):
        careful = _reading(doc, deferred, listing_form)
    assert quick == careful


def test_a_document_numplane_wrote_is_read_the_quick_way() -> None:
    # Guards the benchmark figure: a regression in _as_written would pass the test above unnoticed.
    doc = Number.from_doc({**GOOD_NUMBER, "_rev": "1-a"}).to_doc()
    assert numbers._as_written(doc, True) == Number.from_doc(doc)


@pytest.mark.parametrize("doc", [GOOD_NUMBER, {**GOOD_NUMBER, "pvt_assigned_tree": [_Text("c")]}],
                         ids=["quick", "careful"])
def test_a_number_read_from_its_listing_form_refuses_to_read_its_trail_or_be_written(doc: dict[str, Any]) -> None:
    # Its trail was left out by the store: finding none would show an empty history and erase the trail.
    listed = Number.from_doc({k: v for k, v in doc.items() if k != "pvt_history"}, deferred=True, listing_form=True)
    assert listed.state is State.IN_SERVICE
    for read in (lambda: listed.history, lambda: listed.last_transition, listed.to_doc,
                 lambda: listed.with_changes(state=State.AVAILABLE)):
        with pytest.raises(TrailNotRead):
            read()
