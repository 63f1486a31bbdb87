"""Lifecycle use cases over lists of numbers (SPEC §3, §13): each is a Plan run by the bulk engine."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol

from numplane.domain import e164, lifecycle, release
from numplane.domain.accounts import Account
from numplane.domain.errors import DomainError, ErrorCode
from numplane.domain.lifecycle import Decision, DecisionContext, default_target
from numplane.domain.numbers import Number
from numplane.domain.states import State
from numplane.domain.text import excerpt
from numplane.domain.transitions import Actor
from numplane.resolvers.accounts import get_account
from numplane.resolvers.bulk import MAX_ROUNDS, MERGE_ROUNDS, BulkResult, NumberRef, Plan, run
from numplane.resolvers.context import Requester, Services
from numplane.resolvers.reading import get_number, get_numbers, list_numbers, requester_can_see_number
from numplane.resolvers.supply import supplier
from numplane.resolvers.system_config import get_config

__all__ = [
    "BulkResult",
    "NumberRef",
    "get_number",
    "get_numbers",
    "list_numbers",
    "requester_can_see_number",
]

Move = Callable[[Number, DecisionContext], Decision]


def _existing(move: Move, *, rounds: int = MAX_ROUNDS) -> Plan:
    """A plan for an action on existing numbers that needs no account besides the requester's."""

    def decide(number: Number | None, _id: str, ctx: DecisionContext, _accounts: Mapping[str, Account]) -> Decision:
        assert number is not None  # the engine reports missing numbers as NOT_FOUND
        return move(number, ctx)

    return Plan(decide=decide, rounds=rounds)


async def _target(services: Services, requester: Requester, account_id: str | None) -> Account | None:
    return await get_account(services, requester, account_id) if account_id else None


async def add_numbers(
    services: Services,
    requester: Requester,
    refs: Sequence[NumberRef],
    *,
    state: State,
    account_id: str | None = None,
    carrier: str = "local",
    public: dict[str, Any] | None = None,
) -> BulkResult:
    """Inventory import (→ available) and direct creation (→ reserved / in_service)."""
    if state not in (State.AVAILABLE, State.RESERVED, State.IN_SERVICE):
        raise DomainError(
            ErrorCode.INVALID_STATE_TRANSITION,
            f"Numbers are added as available, reserved or in_service, not {state.value}.",
            field=("state",),
        )
    requester.ensure_may_change()
    services.carriers.ensure_accepted(carrier)
    target = await _target(services, requester, account_id) or requester.account
    return await run(services, requester, refs, _creation(state, target, carrier, public))


async def port_in_numbers(
    services: Services,
    requester: Requester,
    refs: Sequence[NumberRef],
    *,
    account_id: str | None = None,
    public: dict[str, Any] | None = None,
) -> BulkResult:
    target = await _target(services, requester, account_id) or requester.account
    return await run(services, requester, refs, _creation(State.PORT_IN, target, "local", public))


def _creation(state: State, target: Account, module: str, public: dict[str, Any] | None) -> Plan:
    def decide(number: Number | None, e164_id: str, ctx: DecisionContext, _accounts: Mapping[str, Account]) -> Decision:
        # A legacy soft-deleted document does not count as existing (SPEC §2); it is overwritten.
        if number is not None and number.state is not State.DELETED:
            raise DomainError(
                ErrorCode.NUMBER_EXISTS,
                f"{e164_id} already exists ({number.state.value}); reserve or port it instead.",
                number=e164_id,
            )
        owned = state is not State.AVAILABLE
        decision = lifecycle.create(
            e164_id, state, ctx, target if owned else None, module=module, public=public
        )
        if number is not None:
            return Decision(decision.number.with_changes(rev=number.rev))
        return decision

    return Plan(decide=decide, creates=True)


def _acquisition(
    services: Services, requester: Requester, to_state: State, target: Account | None, public: dict[str, Any] | None
) -> Plan:
    def target_of(actor_default: str | None) -> str | None:
        return target.id if target is not None else actor_default

    def needs(number: Number | None) -> set[str]:
        wanted = target_of(default_target(number, to_state, _actor(requester)))
        return {wanted} if wanted else set()

    def decide(number: Number | None, e164_id: str, ctx: DecisionContext, accounts: Mapping[str, Account]) -> Decision:
        assert number is not None
        wanted = target_of(default_target(number, to_state, ctx.actor))
        chosen = accounts.get(wanted) if wanted else None
        if chosen is None:
            raise DomainError(
                ErrorCode.NOT_FOUND, f"No account {excerpt(wanted or '')} to assign {e164_id} to.", number=e164_id
            )
        previous = accounts.get(number.previous_owner) if number.previous_owner else None
        return lifecycle.acquire(number, to_state, ctx, chosen, public=public, previous_owner=previous)

    return Plan(decide=decide, needs=needs, supply=supplier(services), held_first=True)


def _actor(requester: Requester) -> Actor:
    return Actor(requester.account, requester.is_admin)


class Acquisition(Protocol):
    async def __call__(
        self,
        services: Services,
        requester: Requester,
        refs: Sequence[NumberRef],
        *,
        account_id: str | None = None,
        public: dict[str, Any] | None = None,
    ) -> BulkResult: ...


def _acquire_action(to_state: State) -> Acquisition:
    """reserveNumbers / activateNumbers: take numbers into an account (the requester's by default)."""

    async def action(
        services: Services,
        requester: Requester,
        refs: Sequence[NumberRef],
        *,
        account_id: str | None = None,
        public: dict[str, Any] | None = None,
    ) -> BulkResult:
        target = await _target(services, requester, account_id)
        return await run(services, requester, refs, _acquisition(services, requester, to_state, target, public))

    return action


reserve_numbers = _acquire_action(State.RESERVED)
activate_numbers = _acquire_action(State.IN_SERVICE)


async def release_numbers(services: Services, requester: Requester | None, refs: Sequence[NumberRef]) -> BulkResult:
    def needs(number: Number | None) -> set[str]:
        return set(number.reserve_history) if number else set()

    def decide(number: Number | None, _id: str, ctx: DecisionContext, accounts: Mapping[str, Account]) -> Decision:
        assert number is not None
        return release.release(number, ctx, accounts)

    return await run(services, requester, refs, Plan(decide=decide, needs=needs, held_first=True))


def _bulk_action(move: Move) -> Callable[[Services, Requester, Sequence[NumberRef]], Awaitable[BulkResult]]:
    """A use case that applies one domain move to each number of a request."""

    async def action(services: Services, requester: Requester, refs: Sequence[NumberRef]) -> BulkResult:
        return await run(services, requester, refs, _existing(move))

    action.__doc__ = move.__doc__
    return action


cancel_port_in = _bulk_action(lifecycle.cancel_port_in)
complete_port_in = _bulk_action(lifecycle.complete_port_in)
port_out_numbers = _bulk_action(lifecycle.port_out)
complete_port_out = _bulk_action(lifecycle.complete_port_out)
cancel_port_out = _bulk_action(lifecycle.cancel_port_out)
return_numbers = _bulk_action(lifecycle.return_number)
delete_numbers = _bulk_action(lifecycle.delete)


async def update_number(
    services: Services,
    requester: Requester,
    ref: NumberRef,
    *,
    public: dict[str, Any] | None = None,
    replace: bool = False,
    features_denied: list[str] | None = None,
) -> Number:
    """Edit one number's public fields; concurrent merges both land (re-applied to the fresh document)."""

    def edit(number: Number, ctx: DecisionContext) -> Decision:
        return lifecycle.update_public(number, ctx, public, replace=replace, features_denied=features_denied)

    result = await run(services, requester, [ref], _existing(edit, rounds=MERGE_ROUNDS))
    if result.errors:
        raise result.errors[0]
    return result.numbers[0]


async def classify(services: Services, number: str) -> str:
    """The kind of a number as a user typed it (read in the configured default region)."""
    region = (await get_config(services)).default_region
    return e164.classify_dialled(number, region)
