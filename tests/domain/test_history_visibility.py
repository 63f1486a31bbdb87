"""What a reader sees of a number's history (SPEC §3.5): accounts it may not see are left out."""

from __future__ import annotations

import pytest

from numplane.domain.accounts import Account
from numplane.domain.history import SYSTEM
from numplane.domain.numbers import Transition
from numplane.domain.states import State
from numplane.domain.visibility import history_accounts_to_look_up, redact_transition
from tests.domain.fixtures import ADMIN, CHILD, NOW, OWNER, RESELLER, UNRELATED

ANCESTORS = {a.id: a.tree for a in (ADMIN, RESELLER, OWNER, CHILD, UNRELATED)}
MOVE = Transition(
    at=NOW, action="activate", from_state=State.IN_SERVICE, to_state=State.IN_SERVICE,
    requester=RESELLER.id, owner_before=OWNER.id, owner_after=UNRELATED.id,
)


@pytest.mark.parametrize(
    ("viewer", "requester", "before", "after"),
    [
        (OWNER, RESELLER.id, OWNER.id, None),  # its ancestor and itself, not the unrelated new owner
        (CHILD, RESELLER.id, OWNER.id, None),  # ancestors are visible
        (UNRELATED, None, None, UNRELATED.id),  # nothing of the reseller's tree
        (RESELLER, RESELLER.id, OWNER.id, None),
    ],
)
def test_each_reader_sees_only_the_accounts_of_its_own_lineage_and_descendants(
    viewer: Account, requester: str | None, before: str | None, after: str | None
) -> None:
    seen = redact_transition(MOVE, viewer, is_admin=False, ancestors=ANCESTORS)
    assert (seen.requester, seen.owner_before, seen.owner_after) == (requester, before, after)
    assert (seen.at, seen.action, seen.from_state, seen.to_state) == (MOVE.at, MOVE.action, MOVE.from_state,
                                                                      MOVE.to_state)


def test_admins_see_every_account_and_system_is_not_an_account() -> None:
    assert redact_transition(MOVE, ADMIN, is_admin=True, ancestors={}) == MOVE
    by_system = Transition(at=NOW, action="age", from_state=State.AGING, to_state=State.AVAILABLE,
                           requester=SYSTEM, owner_before=None, owner_after=None)
    assert redact_transition(by_system, UNRELATED, is_admin=False, ancestors={}) == by_system


def test_an_account_whose_ancestors_are_unknown_is_hidden_unless_in_the_readers_lineage() -> None:
    seen = redact_transition(MOVE, CHILD, is_admin=False, ancestors={})
    assert (seen.requester, seen.owner_before, seen.owner_after) == (RESELLER.id, OWNER.id, None)


def test_only_accounts_outside_the_readers_lineage_need_a_look_up() -> None:
    assert history_accounts_to_look_up([MOVE], CHILD, is_admin=False) == {UNRELATED.id}
    assert history_accounts_to_look_up([MOVE], OWNER, is_admin=False) == {UNRELATED.id}
    assert history_accounts_to_look_up([MOVE], RESELLER, is_admin=False) == {OWNER.id, UNRELATED.id}
    assert history_accounts_to_look_up([MOVE], ADMIN, is_admin=True) == set()
