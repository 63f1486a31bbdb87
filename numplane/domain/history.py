"""The side effects every write shares (SPEC §3.4): ownership, reserve history, clocks, audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from numplane.domain.accounts import Account
from numplane.domain.numbers import Number, Transition
from numplane.domain.states import State

SYSTEM = "system"


def push_reserve_history(history: tuple[str, ...], account_id: str) -> tuple[str, ...]:
    """Every move into `reserved` puts the target at the head, unless it already is the head."""
    if history and history[0] == account_id:
        return history
    return (account_id, *history)


def unwind_reserve_history(history: tuple[str, ...], releasing_owner: str) -> tuple[str, ...]:
    """Release drops the leading entries equal to the owner at release time (SPEC §3.3 step 2)."""
    index = 0
    while index < len(history) and history[index] == releasing_owner:
        index += 1
    return history[index:]


def ownership(number: Number, owner: Account | None) -> dict[str, Any]:
    """The field changes that give the number to `owner` (None: unowned). A change of owner remembers
    the old one, recomputes the assigned tree and clears `pvt_used_by` (the old owner's application no
    longer uses it)."""
    new_owner = owner.id if owner else None
    if new_owner == number.owner:
        return {}
    return {
        "owner": new_owner,
        "assigned_tree": owner.lineage if owner else (),
        "previous_owner": number.owner if number.owner else number.previous_owner,
        "used_by": None,
    }


def assign(number: Number, owner: Account | None) -> Number:
    changes = ownership(number, owner)
    return number.with_changes(**changes) if changes else number


def record(
    before: Number | None,
    after: Number,
    *,
    action: str,
    requester: str,
    now: datetime,
    history_length: int,
    changes: dict[str, Any] | None = None,
) -> Number:
    """Stamp a write: modified time, state clock (only when the state changed), one history entry.

    `changes` are applied to `after` in the same copy (a number is copied once per decision)."""
    changes = dict(changes or {})
    state = changes.get("state", after.state)
    entry = Transition(
        at=now,
        action=action,
        from_state=before.state if before else None,
        to_state=state,
        requester=requester,
        owner_before=before.owner if before else None,
        owner_after=changes.get("owner", after.owner) if state is not State.DELETED else None,
    )
    state_changed = before is None or before.state is not state
    changes.update(
        created=after.created or now,
        modified=now,
        state_changed_at=now if state_changed else after.state_changed_at,
        history_docs=(*after.history_docs, entry.to_doc())[-history_length:],
    )
    return after.with_changes(**changes)
