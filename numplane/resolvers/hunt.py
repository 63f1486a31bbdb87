"""The number hunt (SPEC §6): where does a call to this number go?

Answered from the routing cache, so a hunt of a known number costs no store request. The one write a
hunt can make, completing a port-in on the first call from a carrier, goes through the bulk engine as
the system, so concurrent calls complete the port exactly once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from numplane.domain import e164, lifecycle
from numplane.domain.accounts import Account
from numplane.domain.errors import DomainError, ErrorCode
from numplane.domain.hunt import Disposition, completes_port, disposition
from numplane.domain.lifecycle import Decision, DecisionContext
from numplane.domain.numbers import Number
from numplane.domain.states import State
from numplane.resolvers import bulk
from numplane.resolvers.bulk import NumberRef, Plan
from numplane.resolvers.context import Requester, Role, Services
from numplane.resolvers.system_config import get_config
from numplane.routing.cache import Missing, NumberRoute, RoutingCache, number_route
from numplane.store.base import Db

__all__ = ["Disposition", "HuntResult", "hunt_from_memory", "hunt_number", "routing_of"]

_NAMES_OWNER = frozenset({Disposition.ROUTE, Disposition.ROUTE_UPSTREAM, Disposition.ACCOUNT_DISABLED})


@dataclass
class HuntResult:
    number: str  # normalized
    disposition: Disposition
    account: Account | None  # the owner, for ROUTE, ROUTE_UPSTREAM and ACCOUNT_DISABLED
    force_outbound: bool
    port_completed: bool  # this hunt moved a port_in number to in_service


def routing_of(services: Services) -> RoutingCache:
    """The process's routing cache, built on first use when the composition root did not build one."""
    if services.routing is None:
        services.routing = RoutingCache.attach(services.store)
    return services.routing


async def hunt_number(
    services: Services, requester: Requester, number: str, caller_account_id: str | None
) -> HuntResult:
    """`caller_account_id` None: the call arrives from an upstream carrier."""
    found = hunt_from_memory(services, requester, number, caller_account_id)
    if found is not None:
        return found
    normalized = await _normalize(services, number)
    routing = routing_of(services)
    route = await routing.number(normalized)
    caller_lineage = await _lineage(routing, caller_account_id)
    owner = await routing.account(route.owner) if route.owner else None
    result = _answer(route, owner, caller_lineage)
    if not completes_port(route.state, caller_lineage, result.disposition):
        return result
    return await _complete_port(services, routing, normalized, caller_lineage)


def hunt_from_memory(
    services: Services, requester: Requester, number: str, caller_account_id: str | None
) -> HuntResult | None:
    """The hunt answered without waiting, when everything it reads is in memory: an E.164 number (no
    region to look up), its route, the caller's and the owner's accounts in the routing cache, and no
    port to complete. None when the answer needs the store: `hunt_number` then. Nearly every hunt of a
    warm cache is answered here, and a router's call path pays for no coroutine on the way."""
    _check_requester(requester)
    if not number.strip().startswith("+"):
        return None
    routing = routing_of(services)
    route = routing.numbers.peek(e164.normalize(number, services.settings.default_region))
    if isinstance(route, Missing):
        return None
    caller_lineage = None
    if caller_account_id is not None:
        caller = routing.accounts.peek(caller_account_id)
        if isinstance(caller, Missing):
            return None
        caller_lineage = _lineage_of(caller, caller_account_id)
    owner = routing.accounts.peek(route.owner) if route.owner else None
    if isinstance(owner, Missing):
        return None
    result = _answer(route, owner, caller_lineage)
    return None if completes_port(route.state, caller_lineage, result.disposition) else result


def _check_requester(requester: Requester) -> None:
    if not (requester.role is Role.ROUTER or requester.is_admin):  # the router's, the common case, first
        raise DomainError(ErrorCode.FORBIDDEN, "Only router and admin keys may hunt numbers.")


async def _normalize(services: Services, number: str) -> str:
    # Routers send E.164, whose reading needs no region: skip the config lookup on the call path.
    if number.strip().startswith("+"):
        return e164.normalize(number, services.settings.default_region)
    return e164.normalize(number, (await get_config(services)).default_region)


async def _lineage(routing: RoutingCache, caller_account_id: str | None) -> tuple[str, ...] | None:
    if caller_account_id is None:
        return None
    return _lineage_of(await routing.account(caller_account_id), caller_account_id)


def _lineage_of(caller: Account | None, caller_account_id: str) -> tuple[str, ...]:
    # An unknown caller account is in nobody's tree: porting numbers go upstream for it.
    return caller.lineage if caller is not None else (caller_account_id,)


def _answer(
    route: NumberRoute, owner: Account | None, caller_lineage: tuple[str, ...] | None, *, completed: bool = False
) -> HuntResult:
    # A number whose owner account is gone routes nowhere, like a disabled one.
    outcome = disposition(route.state, route.owner, owner is not None and owner.enabled, caller_lineage)
    return HuntResult(
        number=route.e164,
        disposition=outcome,
        account=owner if outcome in _NAMES_OWNER else None,
        force_outbound=route.force_outbound and outcome is Disposition.ROUTE,
        port_completed=completed,
    )


async def _complete_port(
    services: Services, routing: RoutingCache, number: str, caller_lineage: tuple[str, ...] | None
) -> HuntResult:
    """Complete the port unless someone already did; report whether this call did it."""
    wrote = False

    def decide(found: Number | None, _id: str, ctx: DecisionContext, _accounts: Mapping[str, Account]) -> Decision:
        nonlocal wrote  # the last decision taken is the one written (a conflict re-decides)
        assert found is not None  # the engine reports a missing number as NOT_FOUND
        wrote = found.state is State.PORT_IN
        return lifecycle.hunt_completes_port(found, ctx) if wrote else Decision(found, write=False)

    outcome = await bulk.run(services, None, [NumberRef(number)], Plan(decide=decide))
    if outcome.errors:
        error = outcome.errors[0]
        if error.code is not ErrorCode.NOT_FOUND:
            raise error
        return HuntResult(number, Disposition.NOT_FOUND, None, False, False)  # the port was cancelled
    doc = outcome.numbers[0].to_doc()
    # What the engine read is news for the cache when another replica completed the port first.
    routing.apply_docs(Db.NUMBERS, [doc])
    route = number_route(number, doc)
    owner = await routing.account(route.owner) if route.owner else None
    return _answer(route, owner, caller_lineage, completed=wrote)
