"""The number lifecycle (SPEC §3.2): the decisions made from the transition table.

Each action is a pure function: (the number as read, who asks, for whom, the config, now) -> a
Decision saying what to write and which carrier calls to make, or a DomainError. The resolvers load the
data, run the carrier effects and save; they hold no rule of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from numplane.domain import holds
from numplane.domain.accounts import Account, Relation
from numplane.domain.config import FEATURE_KEYS, SystemConfig
from numplane.domain.errors import DomainError, ErrorCode
from numplane.domain.features import active_features, apply_edit, check_editable
from numplane.domain.history import assign, ownership, push_reserve_history, record
from numplane.domain.numbers import Number
from numplane.domain.states import State
from numplane.domain.text import excerpts
from numplane.domain.transitions import (
    ACQUIRING,
    ALWAYS_DELETED_MODULES,
    CARRIER_ACQUIRE,
    MDN_MODULE,
    NEW,
    Actor,
    Who,
    authorize,
    check_move,
    ensure_active,
    ensure_good_standing,
    in_tree,
    invalid,
    owner_relation,
)
from numplane.domain.visibility import OFFERED

S = State


_PORT_IN = frozenset({S.PORT_IN})
_PORT_OUT = frozenset({S.PORT_OUT})
_ASSIGNED = frozenset({S.RESERVED, S.IN_SERVICE})
_RETURNABLE = frozenset({S.RELEASED, S.AGING})
_ACQUIRABLE = frozenset({S.DISCOVERY, S.AVAILABLE, S.RESERVED, S.IN_SERVICE, S.AGING})


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with one number. `number` is what to save (for a deletion: the tombstone's content)."""

    number: Number
    write: bool = True  # False: a successful no-op, nothing written
    delete: bool = False
    acquire: bool = False  # call the carrier's acquire before writing
    disconnect: bool = False  # call the carrier's disconnect (release out of the account)
    deprovision: dict[str, Any] = field(default_factory=dict)  # features to remove upstream


@dataclass(frozen=True, slots=True)
class DecisionContext:
    """What a domain decision depends on besides the number: who acts, under which config, when."""

    actor: Actor
    config: SystemConfig
    now: datetime


def settle(
    before: Number | None,
    after: Number,
    action: str,
    ctx: DecisionContext,
    *,
    deleted: bool = False,
    changes: dict[str, Any] | None = None,
) -> Number:
    """Apply `changes`, recompute active features for the new state and stamp the write."""
    changes = dict(changes or {})
    if not deleted:
        changes["features"] = active_features(changes.get("state", after.state), changes.get("public", after.public))
    return record(
        before, after, action=action, requester=ctx.actor.id, now=ctx.now, history_length=ctx.config.history_length,
        changes=changes,
    )


def default_target(number: Number | None, to_state: State, actor: Actor) -> str | None:
    """The account a move assigns to when the request names none (SPEC §3.2)."""
    if actor.account is None:
        return number.owner if number else None
    if number is not None and number.owner and number.state in (S.RESERVED, S.IN_SERVICE):
        if number.state is S.IN_SERVICE:
            return number.owner
        # reserved -> in_service stays with the owner when the requester controls it
        if to_state is S.IN_SERVICE and (
            actor.is_admin or actor.account.controls(number.owner, number.owner_ancestors)
        ):
            return number.owner
    return actor.account.id


def acquire(
    number: Number,
    to_state: State,
    ctx: DecisionContext,
    target: Account,
    *,
    public: dict[str, Any] | None = None,
    previous_owner: Account | None = None,
) -> Decision:
    """reserve / activate an existing number (available, discovery, aging, reserved, in_service, port_in)."""
    e164 = number.e164
    ensure_active(ctx.actor)
    if number.state is S.PORT_IN and to_state is S.IN_SERVICE:
        return complete_port_in(number, ctx)  # activating a port_in number is completing the port
    _pinned(number, _ACQUIRABLE, to_state)
    who = check_move(number, e164, to_state)
    authorize(who, ctx.actor, number, e164, target, previous_owner)
    move = (number.state, to_state)
    if move in ACQUIRING:
        ensure_good_standing(ctx.actor, target, e164)
    holds.ensure_not_held_from(number.hold, e164, target, ctx.now)
    if number.owner == target.id and number.state is to_state:
        if to_state is S.RESERVED:
            raise DomainError(
                ErrorCode.NO_CHANGE_REQUIRED, f"{e164} is already reserved for {target.id}.", number=e164
            )
        if not public:
            return Decision(number, write=False)  # in_service -> in_service for the same owner
    # Bulk requests decide thousands of numbers: collect the changes and copy the number once.
    changes: dict[str, Any] = {"state": to_state, **ownership(number, target)}
    if number.hold is not None:
        changes["hold"] = None  # the holder's tree took it (or the hold had ended): the hold is consumed
    if public:
        changes["public"] = apply_edit(
            number.with_changes(**changes), public, replace=False, editor_is_admin=ctx.actor.is_admin,
            config=ctx.config,
        )
    if to_state is S.RESERVED:
        changes["reserve_history"] = push_reserve_history(number.reserve_history, target.id)
    action = "reserve" if to_state is S.RESERVED else "activate"
    return Decision(settle(number, number, action, ctx, changes=changes), acquire=move in CARRIER_ACQUIRE)


def create(
    e164: str,
    to_state: State,
    ctx: DecisionContext,
    target: Account | None,
    *,
    module: str,
    public: dict[str, Any] | None = None,
) -> Decision:
    """A number that is not in the store yet: inventory import, direct creation, port-in, discovery."""
    ensure_active(ctx.actor)
    if module == MDN_MODULE and to_state is not S.IN_SERVICE:
        raise invalid(e164, NEW, to_state, "mdn numbers are created in_service only")
    who = check_move(None, e164, to_state)
    authorize(who, ctx.actor, None, e164, target if to_state in (S.RESERVED, S.IN_SERVICE, S.PORT_IN) else None)
    if who is Who.ADMIN_ADDITIONS and not (ctx.actor.account and ctx.actor.account.allow_additions):
        raise DomainError(ErrorCode.FORBIDDEN, "Your account may not add numbers to the inventory.", number=e164)
    if to_state is S.PORT_IN and target is not None:
        ensure_good_standing(ctx.actor, target, e164)
    owned = to_state in (S.RESERVED, S.IN_SERVICE, S.PORT_IN)
    number = Number(e164=e164, state=to_state, module=module)
    if owned and target is not None:
        number = assign(number, target)
    if to_state is S.RESERVED and target is not None:
        number = number.with_changes(reserve_history=(target.id,))
    if public and to_state is not S.DISCOVERY:
        number = number.with_changes(
            public=apply_edit(number, public, replace=False, editor_is_admin=ctx.actor.is_admin, config=ctx.config)
        )
    action = {S.PORT_IN: "port_in", S.DISCOVERY: "discover"}.get(to_state, "add")
    return Decision(settle(None, number, action, ctx))


def hold(number: Number, ctx: DecisionContext, holder: Account, minutes: int) -> Decision:
    """holdNumbers: keep an offered number for `holder`'s tree (numplane.domain.holds)."""
    ensure_active(ctx.actor)
    if number.state not in OFFERED:
        raise DomainError(
            ErrorCode.INVALID_STATE_TRANSITION,
            f"Only available or discovery numbers can be held; {number.e164} is {number.state.value}.",
            number=number.e164,
        )
    if not in_tree(ctx.actor, holder):
        raise DomainError(
            ErrorCode.FORBIDDEN, f"You can hold {number.e164} only for your own account or a sub-account.",
            number=number.e164,
        )
    ensure_good_standing(ctx.actor, holder, number.e164)
    placed = holds.place(number.hold, number.e164, holder, minutes, ctx.now, ctx.config.max_hold_minutes)
    return Decision(settle(number, number, "hold", ctx, changes={"hold": placed}))


def extend_hold(number: Number, ctx: DecisionContext, minutes: int) -> Decision:
    """extendHolds: the holder's line moves the end of the hold later, up to max_hold_minutes in all."""
    ensure_active(ctx.actor)
    longer = holds.extend(number.hold, number.e164, _hold_manager(ctx), minutes, ctx.now, ctx.config.max_hold_minutes)
    return Decision(settle(number, number, "extend_hold", ctx, changes={"hold": longer}))


def release_hold(number: Number, ctx: DecisionContext) -> Decision:
    """releaseHolds: the holder's line ends the hold at once."""
    ensure_active(ctx.actor)
    holds.release(number.hold, number.e164, _hold_manager(ctx), ctx.now)
    return Decision(settle(number, number, "release_hold", ctx, changes={"hold": None}))


def _hold_manager(ctx: DecisionContext) -> Account | None:
    """The account whose relation to the holder decides; None for admins and the system (every hold)."""
    return None if ctx.actor.is_admin else ctx.actor.account


def hold_expired(number: Number, now: datetime) -> bool:
    return number.hold is not None and not number.hold.active(now)


def clear_expired_hold(number: Number, ctx: DecisionContext) -> Decision:
    """The hold-expiry job removes a record that no longer counts (expiry itself needs no write)."""
    if not hold_expired(number, ctx.now):
        return Decision(number, write=False)
    return Decision(settle(number, number, "hold_expired", ctx, changes={"hold": None}))


def _pinned(number: Number, accepts: frozenset[State], to_state: State | None) -> None:
    """Each named action starts from its own states, even where the table has the same move for another
    action (cancelPortOut is not a way to move an in_service number)."""
    if number.state not in accepts:
        raise invalid(number.e164, number.state, to_state)


def _simple_move(
    number: Number, accepts: frozenset[State], to_state: State, action: str, ctx: DecisionContext, **changes: Any
) -> Decision:
    ensure_active(ctx.actor)
    _pinned(number, accepts, to_state)
    who = check_move(number, number.e164, to_state)
    authorize(who, ctx.actor, number, number.e164, None)
    return Decision(settle(number, number.with_changes(state=to_state, **changes), action, ctx))


def _removal(
    number: Number, accepts: frozenset[State], action: str, ctx: DecisionContext, *, disconnect: bool = False
) -> Decision:
    """Delete the document; the tombstone keeps state `deleted`, the last owner and tree."""
    ensure_active(ctx.actor)
    _pinned(number, accepts, None)
    who = check_move(number, number.e164, None)
    authorize(who, ctx.actor, number, number.e164, None)
    tombstone = settle(number, number.with_changes(state=S.DELETED), action, ctx, deleted=True)
    return Decision(tombstone, delete=True, disconnect=disconnect)


def complete_port_in(number: Number, ctx: DecisionContext) -> Decision:
    return _simple_move(number, _PORT_IN, S.IN_SERVICE, "complete_port_in", ctx, ported_in=True)


def hunt_completes_port(number: Number, ctx: DecisionContext) -> Decision:
    """The first call from a carrier to a port_in number completes the port (SPEC §6)."""
    if number.state is not S.PORT_IN:
        raise invalid(number.e164, number.state, S.IN_SERVICE, "only a port_in number completes by a call")
    after = number.with_changes(state=S.IN_SERVICE, ported_in=True)
    return Decision(settle(number, after, "hunt", ctx))


def cancel_port_in(number: Number, ctx: DecisionContext) -> Decision:
    return _removal(number, _PORT_IN, "cancel_port_in", ctx)


def port_out(number: Number, ctx: DecisionContext) -> Decision:
    return _simple_move(number, _ASSIGNED, S.PORT_OUT, "port_out", ctx)


def cancel_port_out(number: Number, ctx: DecisionContext) -> Decision:
    return _simple_move(number, _PORT_OUT, S.IN_SERVICE, "cancel_port_out", ctx)


def complete_port_out(number: Number, ctx: DecisionContext) -> Decision:
    return _removal(number, _PORT_OUT, "complete_port_out", ctx, disconnect=True)


def return_number(number: Number, ctx: DecisionContext) -> Decision:
    """Admins return released numbers to the pool (through aging when configured) or end aging early."""
    if number.state is S.RELEASED and ctx.config.should_age and number.module not in ALWAYS_DELETED_MODULES:
        return _simple_move(number, _RETURNABLE, S.AGING, "return", ctx)
    return _simple_move(number, _RETURNABLE, S.AVAILABLE, "return", ctx)


def delete(number: Number, ctx: DecisionContext) -> Decision:
    """Admin hard delete from any state, no carrier call."""
    ensure_active(ctx.actor)
    if not ctx.actor.is_admin:
        raise DomainError(ErrorCode.FORBIDDEN, f"Only admins can delete {number.e164}.", number=number.e164)
    tombstone = settle(number, number.with_changes(state=S.DELETED), "delete", ctx, deleted=True)
    return Decision(tombstone, delete=True)


def expire_discovery(number: Number, ctx: DecisionContext) -> Decision:
    return _removal(number, frozenset({S.DISCOVERY}), "expire", ctx)


def purge_deleted(number: Number, ctx: DecisionContext) -> Decision:
    return _removal(number, frozenset({S.DELETED}), "purge", ctx)


def quarantine_ended(number: Number, config: SystemConfig, now: datetime) -> bool:
    changed = number.state_changed_at or number.modified or number.created
    return changed is None or changed + timedelta(days=config.aging_days) <= now


def discovery_expired(number: Number, config: SystemConfig, now: datetime) -> bool:
    if holds.active_hold(number.hold, now) is not None:
        return False  # someone is deciding on it; it expires once the hold has ended
    changed = number.state_changed_at or number.created
    return changed is None or changed + timedelta(days=config.discovery_expiry_days) <= now


def age(number: Number, ctx: DecisionContext) -> Decision:
    """The aging job: an aging number whose quarantine ended becomes available."""
    if number.state is not S.AGING:
        raise invalid(number.e164, number.state, S.AVAILABLE, "only aging numbers age")
    if not quarantine_ended(number, ctx.config, ctx.now):
        raise DomainError(
            ErrorCode.NO_CHANGE_REQUIRED, f"{number.e164} is still in quarantine.", number=number.e164
        )
    return Decision(settle(number, number.with_changes(state=S.AVAILABLE), "age", ctx))


def update_public(
    number: Number,
    ctx: DecisionContext,
    patch: dict[str, Any] | None,
    *,
    replace: bool,
    features_denied: list[str] | None = None,
) -> Decision:
    """Edit public fields (SPEC §4.1) and, for admins, the per-number feature deny list."""
    ensure_active(ctx.actor)
    rel = owner_relation(ctx.actor, number)
    check_editable(number, rel in (Relation.SAME, Relation.ANCESTOR), ctx.actor.is_admin)
    after = number
    if features_denied is not None:
        if not ctx.actor.is_admin:
            raise DomainError(
                ErrorCode.FORBIDDEN, "Only admins set the features denied on a number.", number=number.e164,
                field=("featuresDenied",),
            )
        unknown = sorted(set(features_denied) - set(FEATURE_KEYS))
        if unknown:
            raise DomainError(
                ErrorCode.INVALID_FIELD, f"Unknown features {excerpts(unknown)}; known: {list(FEATURE_KEYS)}.",
                number=number.e164, field=("featuresDenied",),
            )
        after = after.with_changes(features_denied=tuple(dict.fromkeys(features_denied)))
    if patch is not None or replace:
        after = after.with_changes(
            public=apply_edit(
                after, patch or {}, replace=replace, editor_is_admin=ctx.actor.is_admin, config=ctx.config
            )
        )
    if after == number:
        return Decision(number, write=False)
    return Decision(settle(number, after, "update", ctx))
