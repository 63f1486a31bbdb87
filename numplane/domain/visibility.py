"""Reading rules (SPEC §3.5): what a requester may see. Anything else does not exist for it."""

from __future__ import annotations

from numplane.domain.accounts import Account, Relation, relation
from numplane.domain.numbers import Number
from numplane.domain.states import State

OFFERED = frozenset({State.AVAILABLE, State.DISCOVERY})
"""Offered to everyone (found with searchNumbers)."""


def can_see(
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
