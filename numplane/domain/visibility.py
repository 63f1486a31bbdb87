"""Reading rules (SPEC §3.5): what a requester may see. Anything else does not exist for it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime

from numplane.domain.accounts import Account, Relation, relation
from numplane.domain.history import SYSTEM
from numplane.domain.holds import Hold, active_hold
from numplane.domain.numbers import Number, Transition
from numplane.domain.states import State

OFFERED = frozenset({State.AVAILABLE, State.DISCOVERY})
"""Offered to everyone (found with searchNumbers)."""


def can_see_number(
    number: Number,
    viewer: Account,
    *,
    is_admin: bool,
    previous_owner_tree: tuple[str, ...] | None = None,
) -> bool:
    """`previous_owner_tree` is the previous owner's ancestors (needed only for aging numbers)."""
    if is_admin:
        return True
    if number.state in OFFERED:
        return True
    if number.state is State.DELETED:
        return False
    if number.owner:
        rel = relation(viewer, number.owner, number.owner_ancestors)
        if rel in (Relation.SAME, Relation.ANCESTOR):
            return True
        if rel is Relation.DESCENDANT and number.state is State.RESERVED:
            return True  # so a sub-account can activate what its parent reserved for the tree
    if number.state is State.AGING and number.previous_owner:
        if viewer.id == number.previous_owner:
            return True
        return previous_owner_tree is not None and viewer.id in previous_owner_tree
    return False


def could_see_owned(viewer: Account, owner: str | None, owner_tree: tuple[str, ...]) -> bool:
    """True when the viewer is the owner or one of its ancestors (the change-feed rule for tombstones)."""
    if owner is None:
        return False
    return relation(viewer, owner, owner_tree[:-1] if owner_tree else ()) in (Relation.SAME, Relation.ANCESTOR)


def visible_hold(number: Number, viewer: Account, *, is_admin: bool, now: datetime) -> Hold | None:
    """A number's hold as the viewer sees it (issue 11): only one that still counts, and only for those
    who may see the holding account (admins, the holder's ancestors, the holder and its descendants).
    Everyone else learns of a hold only as NUMBER_HELD when trying to take the number."""
    hold = active_hold(number.hold, now)
    if hold is None or not can_see_account(viewer, hold.account, hold.tree, is_admin=is_admin):
        return None
    return hold


# -- accounts named inside a number (SPEC §3.5: what R sees of a number it can see) --------------------


def can_see_account(viewer: Account, account_id: str, ancestors: tuple[str, ...] | None, *, is_admin: bool) -> bool:
    """Admins see every account; others their own, their ancestors and their descendants. `ancestors` is
    the other account's ancestors (root first), None when unknown (a deleted account: hidden)."""
    if is_admin or account_id == viewer.id or account_id in viewer.tree:
        return True
    return ancestors is not None and viewer.id in ancestors


def history_accounts_to_look_up(transitions: Iterable[Transition], viewer: Account, *, is_admin: bool) -> set[str]:
    """The account ids in `transitions` whose visibility depends on their ancestors (the viewer's own
    lineage is known without a read, and admins see everything)."""
    if is_admin:
        return set()
    named = {i for t in transitions for i in (t.requester, t.owner_before, t.owner_after) if i and i != SYSTEM}
    return {i for i in named if i != viewer.id and i not in viewer.tree}


def with_owner_lineage(number: Number, ancestors: Mapping[str, tuple[str, ...]]) -> Mapping[str, tuple[str, ...]]:
    """`ancestors` plus the owner's own, which the number carries in its tree (no read needed)."""
    owner = number.owner
    return {**ancestors, owner: number.assigned_tree[:-1]} if owner else ancestors


def redact_transition(
    transition: Transition, viewer: Account, *, is_admin: bool, ancestors: Mapping[str, tuple[str, ...]]
) -> Transition:
    """The history entry as the viewer may see it: the requester and owners it may not see are left out
    (None), as previous owner and reserve history are. "system" is not an account and stays.
    `ancestors` maps account ids to their ancestors; an id missing from it is hidden unless it is in the
    viewer's own lineage."""

    def shown(account_id: str | None) -> str | None:
        if account_id is None or account_id == SYSTEM:
            return account_id
        visible = can_see_account(viewer, account_id, ancestors.get(account_id), is_admin=is_admin)
        return account_id if visible else None

    named = (transition.requester, transition.owner_before, transition.owner_after)
    requester, owner_before, owner_after = shown_names = tuple(shown(account_id) for account_id in named)
    if shown_names == named:
        return transition  # the usual case: no copy (a page shows a few entries of each of a hundred numbers)
    return replace(transition, requester=requester, owner_before=owner_before, owner_after=owner_after)


def redact_history(
    transitions: Iterable[Transition], viewer: Account, *, is_admin: bool, ancestors: Mapping[str, tuple[str, ...]]
) -> list[Transition]:
    return [redact_transition(t, viewer, is_admin=is_admin, ancestors=ancestors) for t in transitions]


# -- the change feed (SPEC §9): who hears of a change ------------------------------------------------


def accounts_needed_for_change(number: Number) -> set[str]:
    """Accounts whose ancestors the change rules need and the document does not carry: the owner before
    the latest change (when it changed hands), the previous owner (when aging before or after), and the
    change's requester (a receiver is told who made the change only if it may see that account)."""
    return accounts_needed_after(number, number.last_transition)


def accounts_needed_after(number: Number, last: Transition | None) -> set[str]:
    """`accounts_needed_for_change` given the number's latest audit entry, `last`, already parsed: the
    change feed parses it once for this and `number_before`."""
    needed: set[str] = set()
    if last is not None and last.requester and last.requester not in (SYSTEM, number.owner):
        needed.add(last.requester)
    if last is not None and last.owner_before and last.owner_before != number.owner:
        needed.add(last.owner_before)
    aging = number.state is State.AGING or (last is not None and last.from_state is State.AGING)
    if aging and number.previous_owner:
        needed.add(number.previous_owner)
    return needed


def number_before_change(number: Number, ancestors: Mapping[str, tuple[str, ...]]) -> Number | None:
    """The number just before its latest change, as its last audit entry tells (None: it was created then,
    or it carries no audit trail). `ancestors` maps account ids to their ancestors (root first)."""
    return number_before(number, number.last_transition, ancestors)


def number_before(number: Number, last: Transition | None, ancestors: Mapping[str, tuple[str, ...]]) -> Number | None:
    """`number_before_change` given the number's latest audit entry, `last`, already parsed."""
    if last is None or last.from_state is None:
        return None
    owner = last.owner_before
    if owner is None:
        tree: tuple[str, ...] = ()
    elif owner == number.owner:
        tree = number.assigned_tree
    else:
        # An owner that no longer exists keeps only itself: nobody else can be shown to have seen it.
        tree = (*ancestors.get(owner, ()), owner)
    # An aging or unowned number keeps its previous owner through the change, so it stays as it is.
    return number.with_changes(state=last.from_state, owner=owner, assigned_tree=tree)


def can_see_after_change(
    number: Number, viewer: Account, *, is_admin: bool, ancestors: Mapping[str, tuple[str, ...]]
) -> bool:
    """The viewer may see the number as it is now (never a deleted one, whose data is gone)."""
    if number.state is State.DELETED:
        return False
    return can_see_number(
        number, viewer, is_admin=is_admin,
        previous_owner_tree=_lineage(number.previous_owner, ancestors),
    )


def could_see_change(
    number: Number,
    before: Number | None,
    viewer: Account,
    *,
    is_admin: bool,
    ancestors: Mapping[str, tuple[str, ...]],
) -> bool:
    """An account hears of a change if it could see the number before or after it (SPEC §9). A deletion
    reaches those who could see the number before; a tombstone without an audit trail, its last owner
    and that owner's ancestors."""
    if is_admin or can_see_after_change(number, viewer, is_admin=False, ancestors=ancestors):
        return True
    if before is not None:
        return can_see_number(
            before, viewer, is_admin=False,
            previous_owner_tree=_lineage(before.previous_owner, ancestors),
        )
    return number.state is State.DELETED and could_see_owned(viewer, number.owner, number.assigned_tree)


def _lineage(account_id: str | None, ancestors: Mapping[str, tuple[str, ...]]) -> tuple[str, ...] | None:
    # can_see_number asks whether the viewer is the previous owner's ancestor; the owner itself is checked apart.
    if account_id is None or account_id not in ancestors:
        return None
    return ancestors[account_id]
