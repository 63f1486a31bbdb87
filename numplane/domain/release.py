"""Release (SPEC §3.3): back down the reserve history, or out of the account."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from numplane.domain.accounts import Account
from numplane.domain.errors import DomainError, ErrorCode
from numplane.domain.history import ownership, unwind_reserve_history
from numplane.domain.lifecycle import Decision, DecisionContext, settle
from numplane.domain.numbers import Number
from numplane.domain.states import State
from numplane.domain.transitions import ALWAYS_DELETED_MODULES, Who, authorize, ensure_active, invalid


def release(number: Number, ctx: DecisionContext, accounts: Mapping[str, Account]) -> Decision:
    """Release a reserved or in_service number.

    `accounts` holds the accounts named in the reserve history (the number may return to one of them).
    """
    ensure_active(ctx.actor)
    if number.state not in (State.RESERVED, State.IN_SERVICE):
        raise invalid(number.e164, number.state, State.AVAILABLE, "only reserved or in_service numbers are released")
    authorize(Who.OWNER_OR_ANCESTOR, ctx.actor, number, number.e164, None)
    owner = number.owner
    if owner is None:
        raise DomainError(ErrorCode.INVALID_STATE_TRANSITION, f"{number.e164} has no owner to release it from.",
                          number=number.e164)
    # 1. Deprovision upstream from the number as it was, then strip every public field and feature.
    deprovision = dict(number.features)
    stripped: dict[str, Any] = {"public": {}, "features": {}}
    # 2. Unwind the reserve history; entries whose account no longer exists are skipped too.
    history = unwind_reserve_history(number.reserve_history, owner)
    while history and history[0] not in accounts:
        history = unwind_reserve_history(history[1:], history[0])
    if history:
        back = {**stripped, **ownership(number, accounts[history[0]]), "state": State.RESERVED,
                "reserve_history": history}
        return Decision(settle(number, number, "release", ctx, changes=back), deprovision=deprovision)
    # 3. Out of the account: disconnect, then delete, park or age.
    gone = {**stripped, **ownership(number, None), "reserve_history": ()}
    config = ctx.config
    if number.module in ALWAYS_DELETED_MODULES or config.should_permanently_delete:
        # The tombstone keeps the last owner and tree so the change feed can tell who could see it.
        last = {**gone, "state": State.DELETED, "owner": owner, "assigned_tree": number.assigned_tree}
        tombstone = settle(number, number, "release", ctx, deleted=True, changes=last)
        return Decision(tombstone, delete=True, disconnect=True, deprovision=deprovision)
    if config.released_state is State.RELEASED:
        final = State.RELEASED
    else:
        final = State.AGING if config.should_age else State.AVAILABLE
    after = settle(number, number, "release", ctx, changes={**gone, "state": final})
    return Decision(after, disconnect=True, deprovision=deprovision)
