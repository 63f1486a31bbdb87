"""The number hunt (SPEC §6) through the resolvers on a real store, with the routing cache in front."""

from __future__ import annotations

import asyncio

import pytest

from numplane.domain import lifecycle
from numplane.domain.errors import DomainError, ErrorCode
from numplane.domain.hunt import Disposition
from numplane.domain.lifecycle import DecisionContext
from numplane.domain.states import State
from numplane.domain.transitions import SYSTEM_ACTOR
from numplane.resolvers import accounts, numbers
from numplane.resolvers.bulk import NumberRef
from numplane.resolvers.context import Requester, Role, Services
from numplane.resolvers.hunt import hunt_from_memory, hunt_number
from numplane.resolvers.system_config import get_config, update_config
from numplane.store.base import Db, Store
from numplane.store.observed import ObservedStore
from tests.resolvers.conftest import World, make_world
from tests.resolvers.test_lifecycle_scenarios import refs, stock
from tests.support.counting import CountingStore

N = "+14155550123"
D = Disposition


@pytest.fixture
async def counted(store: Store) -> CountingStore:
    return CountingStore(store)


@pytest.fixture
async def world(counted: CountingStore) -> World:
    # As the composition root builds it: the store announces this process's writes to the cache.
    return await make_world(ObservedStore(counted))


def router(world: World) -> Requester:
    return Requester(world.reseller.account, Role.ROUTER)


async def hunt(world: World, caller: Requester | None, number: str = N) -> D:
    result = await hunt_number(world.services, router(world), number, caller.id if caller else None)
    return result.disposition


async def owned_by_reseller_in(world: World, state: State) -> None:
    """Put N in `state`; owned states belong to the reseller R (parent of C, child of the admin M)."""
    s, svc, reseller, admin = State, world.services, world.reseller, world.admin
    if state is s.DISCOVERY:
        ctx = DecisionContext(SYSTEM_ACTOR, await get_config(svc), svc.clock())
        found = lifecycle.create(N, s.DISCOVERY, ctx, None, module="simulated").number
        await svc.store.put_many(Db.NUMBERS, [found.to_doc()])
        return
    if state is s.PORT_IN:
        assert not (await numbers.port_in_numbers(svc, reseller, refs(N))).errors
        return
    if state is s.RELEASED:
        await update_config(svc, admin, {"released_state": s.RELEASED})
    await stock(world, N)
    if state is s.AVAILABLE:
        return
    acquire = numbers.reserve_numbers if state is s.RESERVED else numbers.activate_numbers
    assert not (await acquire(svc, reseller, refs(N))).errors
    if state in (s.RELEASED, s.AGING):
        assert not (await numbers.release_numbers(svc, reseller, refs(N))).errors
    if state is s.PORT_OUT:
        assert not (await numbers.port_out_numbers(svc, admin, refs(N))).errors


# Callers in order owner, descendant, ancestor, unrelated, carrier (last: it may complete a port).
# Written from SPEC §6: "in the owner's tree" is the owner or a descendant of it.
EXPECTED: dict[State | None, tuple[D, D, D, D, D]] = {
    None: (D.NOT_FOUND,) * 5,
    State.AVAILABLE: (D.UNASSIGNED,) * 5,
    State.DISCOVERY: (D.NOT_ROUTABLE,) * 5,
    State.RESERVED: (D.NOT_ROUTABLE,) * 5,
    State.RELEASED: (D.NOT_ROUTABLE,) * 5,
    State.AGING: (D.NOT_ROUTABLE,) * 5,
    State.IN_SERVICE: (D.ROUTE,) * 5,
    State.PORT_IN: (D.ROUTE, D.ROUTE, D.ROUTE_UPSTREAM, D.ROUTE_UPSTREAM, D.ROUTE),
    State.PORT_OUT: (D.ROUTE, D.ROUTE, D.ROUTE_UPSTREAM, D.ROUTE_UPSTREAM, D.ROUTE),
}


@pytest.mark.parametrize("state", list(EXPECTED), ids=lambda s: s.value if s else "absent")
async def test_every_disposition_per_state_and_caller(world: World, state: State | None) -> None:
    if state is not None:
        await owned_by_reseller_in(world, state)
    callers = (world.reseller, world.child, world.admin, world.unrelated, None)
    got = tuple([await hunt(world, caller) for caller in callers])
    assert got == EXPECTED[state]


async def test_route_names_the_owner_and_not_routable_names_nobody(world: World) -> None:
    await owned_by_reseller_in(world, State.IN_SERVICE)
    routed = await hunt_number(world.services, router(world), "(415) 555-0123", None)
    assert (routed.number, routed.account) == (N, world.reseller.account)
    await numbers.reserve_numbers(world.services, world.reseller, refs(N))
    parked = await hunt_number(world.services, router(world), N, None)
    assert (parked.disposition, parked.account) == (D.NOT_ROUTABLE, None)


async def test_a_warm_cache_answers_the_hunt_without_waiting_as_the_store_would(
    world: World, counted: CountingStore
) -> None:
    await owned_by_reseller_in(world, State.IN_SERVICE)
    assert hunt_from_memory(world.services, router(world), N, world.child.id) is None  # nothing cached yet
    from_store = await hunt_number(world.services, router(world), N, world.child.id)
    reads = counted.total
    assert hunt_from_memory(world.services, router(world), N, world.child.id) == from_store
    assert hunt_from_memory(world.services, router(world), N, "unknown-caller") is None  # an account not yet read
    assert counted.total == reads
    assert hunt_from_memory(world.services, router(world), "(415) 555-0123", None) is None  # needs the region
    with pytest.raises(DomainError) as refused:
        hunt_from_memory(world.services, world.reseller, N, None)
    assert refused.value.code is ErrorCode.FORBIDDEN


async def test_a_port_in_to_complete_is_never_answered_from_memory(world: World) -> None:
    await owned_by_reseller_in(world, State.PORT_IN)
    assert (await hunt_number(world.services, router(world), N, world.child.id)).disposition is D.ROUTE
    assert hunt_from_memory(world.services, router(world), N, world.child.id) is not None
    assert hunt_from_memory(world.services, router(world), N, None) is None  # a carrier's call completes it
    assert (await hunt_number(world.services, router(world), N, None)).port_completed


async def test_first_carrier_call_completes_a_port_in_and_later_calls_do_not(world: World) -> None:
    await owned_by_reseller_in(world, State.PORT_IN)
    inside = await hunt_number(world.services, router(world), N, world.child.id)
    assert (inside.disposition, inside.port_completed) == (D.ROUTE, False)
    first = await hunt_number(world.services, router(world), N, None)
    second = await hunt_number(world.services, router(world), N, None)
    assert (first.disposition, first.port_completed, first.account) == (D.ROUTE, True, world.reseller.account)
    assert (second.disposition, second.port_completed) == (D.ROUTE, False)
    number = await numbers.get_number(world.services, world.admin, N)
    assert (number.state, number.ported_in) == (State.IN_SERVICE, True)
    assert [t.action for t in number.history].count("hunt") == 1
    assert number.history[-1].requester == "system"


async def test_twenty_concurrent_carrier_calls_complete_a_port_in_exactly_once(world: World) -> None:
    await owned_by_reseller_in(world, State.PORT_IN)
    results = await asyncio.gather(*(hunt_number(world.services, router(world), N, None) for _ in range(20)))
    assert {r.disposition for r in results} == {D.ROUTE}
    assert sum(r.port_completed for r in results) == 1
    number = await numbers.get_number(world.services, world.admin, N)
    assert [(t.action, t.from_state, t.to_state) for t in number.history].count(
        ("hunt", State.PORT_IN, State.IN_SERVICE)
    ) == 1


async def test_twenty_concurrent_carrier_calls_through_two_replicas_complete_once(
    world: World, counted: CountingStore
) -> None:
    await owned_by_reseller_in(world, State.PORT_IN)
    other = Services(store=ObservedStore(counted.inner), settings=world.services.settings, clock=world.clock)
    both = [world.services, other] * 10
    results = await asyncio.gather(*(hunt_number(s, router(world), N, None) for s in both))
    assert {r.disposition for r in results} == {D.ROUTE}
    assert sum(r.port_completed for r in results) == 1


async def test_a_disabled_owner_gets_no_calls_from_a_carrier_and_its_port_stays_pending(world: World) -> None:
    await owned_by_reseller_in(world, State.PORT_IN)
    await accounts.update_account(world.services, world.admin, world.reseller.id, enabled=False)
    result = await hunt_number(world.services, router(world), N, None)
    assert (result.disposition, result.port_completed) == (D.ACCOUNT_DISABLED, False)
    assert result.account is not None and (result.account.id, result.account.enabled) == (world.reseller.id, False)
    assert (await numbers.get_number(world.services, world.admin, N)).state is State.PORT_IN


async def test_cache_never_routes_by_stale_data_after_a_local_change(world: World) -> None:
    svc, reseller = world.services, world.reseller
    assert await hunt(world, None) is D.NOT_FOUND
    await stock(world, N)
    assert await hunt(world, None) is D.UNASSIGNED
    await numbers.activate_numbers(svc, reseller, refs(N))
    assert await hunt(world, None) is D.ROUTE
    await accounts.update_account(svc, world.admin, reseller.id, enabled=False)
    assert await hunt(world, None) is D.ACCOUNT_DISABLED
    await accounts.update_account(svc, world.admin, reseller.id, enabled=True)
    assert await hunt(world, None) is D.ROUTE
    await numbers.release_numbers(svc, reseller, refs(N))
    assert await hunt(world, None) is D.NOT_ROUTABLE  # aging
    await numbers.return_numbers(svc, world.admin, refs(N))
    await numbers.activate_numbers(svc, world.child, refs(N))
    moved = await hunt_number(svc, router(world), N, None)
    assert (moved.disposition, moved.account and moved.account.id) == (D.ROUTE, world.child.id)
    await numbers.delete_numbers(svc, world.admin, refs(N))
    assert await hunt(world, None) is D.NOT_FOUND


async def test_force_outbound_follows_the_active_feature_at_once(world: World) -> None:
    await owned_by_reseller_in(world, State.IN_SERVICE)
    assert (await hunt_number(world.services, router(world), N, None)).force_outbound is False
    await numbers.update_number(world.services, world.reseller, NumberRef(N), public={"force_outbound": True})
    assert (await hunt_number(world.services, router(world), N, None)).force_outbound is True
    await numbers.reserve_numbers(world.services, world.reseller, refs(N), account_id=world.child.id)
    parked = await hunt_number(world.services, router(world), N, None)
    assert (parked.disposition, parked.force_outbound) == (D.NOT_ROUTABLE, False)


async def test_a_hunt_of_a_cached_number_makes_no_store_request(world: World, counted: CountingStore) -> None:
    await owned_by_reseller_in(world, State.PORT_OUT)
    await hunt(world, world.unrelated)  # fills the cache: the number, its owner, the caller
    counted.calls.clear()
    for caller in (world.unrelated, world.reseller, None, world.unrelated):
        await hunt(world, caller)
    assert await hunt(world, world.reseller) is D.ROUTE
    assert counted.total == 0, counted.calls


async def test_unknown_numbers_are_cached_too_until_someone_adds_them(
    world: World, counted: CountingStore
) -> None:
    assert await hunt(world, None) is D.NOT_FOUND
    counted.calls.clear()
    assert await hunt(world, None) is D.NOT_FOUND
    assert counted.total == 0
    await stock(world, N)
    assert await hunt(world, None) is D.UNASSIGNED


@pytest.mark.parametrize("role", [Role.ROUTER, Role.ADMIN])
async def test_router_and_admin_keys_may_hunt(world: World, role: Role) -> None:
    await owned_by_reseller_in(world, State.IN_SERVICE)
    requester = Requester(world.admin.account if role is Role.ADMIN else world.unrelated.account, role)
    assert (await hunt_number(world.services, requester, N, None)).disposition is D.ROUTE


@pytest.mark.parametrize("who", ["reseller", "child", "admin_account_user_key"])
async def test_user_keys_may_not_hunt_even_the_owners(world: World, who: str) -> None:
    await owned_by_reseller_in(world, State.IN_SERVICE)
    requester = {
        "reseller": world.reseller,
        "child": world.child,
        "admin_account_user_key": Requester(world.admin.account, Role.USER),
    }[who]
    with pytest.raises(DomainError) as caught:
        await hunt_number(world.services, requester, N, None)
    assert caught.value.code is ErrorCode.FORBIDDEN


async def test_hunting_something_that_is_not_a_number_is_invalid_number(world: World) -> None:
    with pytest.raises(DomainError) as caught:
        await hunt_number(world.services, router(world), "call me", None)
    assert caught.value.code is ErrorCode.INVALID_NUMBER


async def test_an_unknown_caller_account_is_outside_every_tree(world: World) -> None:
    await owned_by_reseller_in(world, State.PORT_OUT)
    result = await hunt_number(world.services, router(world), N, "f" * 32)
    assert result.disposition is D.ROUTE_UPSTREAM
