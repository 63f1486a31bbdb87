"""Who hears of a change (SPEC §9): whoever could see the number before or after it."""

from __future__ import annotations

from numplane.domain.accounts import Account
from numplane.domain.history import assign, record
from numplane.domain.numbers import Number
from numplane.domain.states import State
from numplane.domain.visibility import (
    accounts_needed_for_change,
    can_see_after_change,
    could_see_change,
    number_before_change,
)
from tests.domain.fixtures import ADMIN, CHILD, NOW, OWNER, RESELLER, UNRELATED, number_in

ANCESTORS = {a.id: a.tree for a in (ADMIN, RESELLER, OWNER, CHILD, UNRELATED)}


def changed(before: Number, after: Number) -> Number:
    return record(before, after, action="test", requester=ADMIN.id, now=NOW, history_length=10)


def hears(number: Number, viewer: Account) -> bool:
    before = number_before_change(number, ANCESTORS)
    return could_see_change(number, before, viewer, is_admin=viewer.is_admin, ancestors=ANCESTORS)


def test_unrelated_account_hears_nothing_of_a_move_inside_another_tree() -> None:
    number = number_in(State.RESERVED)
    after = changed(number, number.with_changes(state=State.IN_SERVICE))
    assert [hears(after, a) for a in (ADMIN, RESELLER, OWNER, UNRELATED)] == [True, True, True, False]


def test_previous_owner_hears_that_a_number_moved_to_another_tree_but_cannot_see_it_after() -> None:
    number = number_in(State.IN_SERVICE)
    after = changed(number, assign(number, UNRELATED))
    assert accounts_needed_for_change(after) == {OWNER.id, ADMIN.id}  # the old owner and the requester
    assert hears(after, OWNER) and hears(after, RESELLER) and hears(after, UNRELATED)
    assert not can_see_after_change(after, OWNER, is_admin=False, ancestors=ANCESTORS)
    assert not hears(after, CHILD)  # an in_service number of its parent was never visible to the child


def test_everyone_hears_that_an_available_number_was_taken() -> None:
    number = number_in(State.AVAILABLE, previous_owner=None)
    after = changed(number, assign(number, OWNER).with_changes(state=State.IN_SERVICE))
    assert hears(after, UNRELATED)
    assert not can_see_after_change(after, UNRELATED, is_admin=False, ancestors=ANCESTORS)


def test_release_into_aging_reaches_the_previous_owner_and_its_ancestors_only() -> None:
    number = number_in(State.IN_SERVICE)
    after = changed(number, assign(number, None).with_changes(state=State.AGING))
    assert OWNER.id in accounts_needed_for_change(after)
    assert [hears(after, a) for a in (RESELLER, OWNER, CHILD, UNRELATED)] == [True, True, False, False]
    assert can_see_after_change(after, RESELLER, is_admin=False, ancestors=ANCESTORS)


def test_deletion_reaches_those_who_could_see_the_number_and_shows_it_to_nobody() -> None:
    number = number_in(State.IN_SERVICE)
    tombstone = changed(number, number.with_changes(state=State.DELETED))
    assert [hears(tombstone, a) for a in (ADMIN, RESELLER, OWNER, CHILD, UNRELATED)] == [True, True, True, False, False]
    assert not any(can_see_after_change(tombstone, a, is_admin=False, ancestors=ANCESTORS) for a in (OWNER, RESELLER))


def test_tombstone_without_audit_trail_reaches_its_last_owner_and_ancestors() -> None:
    tombstone = number_in(State.IN_SERVICE).with_changes(state=State.DELETED)
    assert number_before_change(tombstone, ANCESTORS) is None
    assert [hears(tombstone, a) for a in (RESELLER, OWNER, CHILD, UNRELATED)] == [True, True, False, False]


def test_creation_has_no_before() -> None:
    created = record(None, number_in(State.IN_SERVICE), action="add", requester=ADMIN.id, now=NOW, history_length=10)
    assert number_before_change(created, ANCESTORS) is None
    assert not hears(created, UNRELATED) and hears(created, OWNER)


def test_reclaim_from_aging_reaches_the_previous_owners_ancestor() -> None:
    aging = number_in(State.AGING)
    after = changed(aging, assign(aging, UNRELATED).with_changes(state=State.RESERVED))
    assert accounts_needed_for_change(after) == {OWNER.id, ADMIN.id}  # the old owner and the requester
    assert hears(after, RESELLER) and hears(after, UNRELATED) and not hears(after, CHILD)
