"""Carrier effects happen once per change (issue 15): a conflict that makes the bulk engine decide again,
or a store that fails after the carrier call, never orders, strips or hands back a number twice."""

from __future__ import annotations

import pytest

from numplane.carriers.registry import CarrierSet
from numplane.carriers.simulated import SimulatedCarrier, offers
from numplane.domain.effects import Effect
from numplane.domain.errors import ErrorCode
from numplane.resolvers import numbers
from numplane.resolvers.system_config import update_config
from numplane.store.base import Db, Store, StoreUnavailable
from tests.resolvers.conftest import World, make_world
from tests.resolvers.test_lifecycle_scenarios import refs
from tests.support.faulty import FaultyStore

CNAM = {"cnam": {"display_name": "ACME"}}


async def _world(store: Store) -> tuple[World, FaultyStore, SimulatedCarrier]:
    faulty = FaultyStore(store)
    world = await make_world(faulty)
    carriers = CarrierSet.build()
    world.services.carriers = carriers
    await update_config(world.services, world.admin, {"carriers": ["simulated"]})
    simulated = carriers.get("simulated")
    assert isinstance(simulated, SimulatedCarrier)
    return world, faulty, simulated


def _counts(carrier: SimulatedCarrier, number: str, effect: Effect) -> tuple[int, int]:
    """(performed, repeated): effects carried out upstream, and calls refused as repeats."""
    return carrier.performed(effect, number), carrier.repeated(effect, number)


async def _stored(world: World, number: str) -> dict[str, object]:
    return (await world.services.store.get_many(Db.NUMBERS, [number]))[number]


async def test_an_acquire_whose_write_conflicts_is_not_asked_again_when_the_engine_decides_again(
    store: Store,
) -> None:
    world, faulty, carrier = await _world(store)
    (number,) = offers("+1332555", 1)
    faulty.conflicts = 3  # the discovery document is written first; its acquisition then loses 3 rounds
    result = await numbers.activate_numbers(world.services, world.child, refs(number), public=CNAM)
    assert not result.errors and result.numbers[0].state.value == "in_service"
    assert faulty.conflicts == 0, "every injected conflict was met"
    assert _counts(carrier, number, Effect.ACQUIRE) == (1, 0)
    assert (await _stored(world, number))["pvt_carrier_data"] == result.numbers[0].carrier_data != {}


async def test_a_release_whose_write_conflicts_strips_and_disconnects_once(store: Store) -> None:
    world, faulty, carrier = await _world(store)
    (number,) = offers("+1332555", 1)
    await numbers.activate_numbers(world.services, world.child, refs(number), public=CNAM)
    faulty.conflicts = 2
    result = await numbers.release_numbers(world.services, world.child, refs(number))
    assert not result.errors and faulty.conflicts == 0
    assert _counts(carrier, number, Effect.DEPROVISION) == (1, 0)
    assert _counts(carrier, number, Effect.DISCONNECT) == (1, 0)


@pytest.mark.parametrize("fault", ["failures", "lost_answers"])
async def test_an_acquire_retried_after_the_store_failed_is_performed_once(store: Store, fault: str) -> None:
    """The store fails after the carrier call: before writing (the retry acquires again, with the same
    token, and the carrier answers as the first time) or after writing (the retry finds it done)."""
    world, faulty, carrier = await _world(store)
    (number,) = offers("+1332555", 1)
    await numbers.reserve_numbers(world.services, world.admin, refs(number), account_id=world.reseller.id)
    # Reserving a reserved number for another account orders it again (transitions.CARRIER_ACQUIRE).
    setattr(faulty, fault, 1)
    with pytest.raises(StoreUnavailable):
        await numbers.reserve_numbers(world.services, world.admin, refs(number), account_id=world.child.id)
    retried = await numbers.reserve_numbers(world.services, world.admin, refs(number), account_id=world.child.id)
    if fault == "failures":
        assert not retried.errors and retried.numbers[0].owner == world.child.id
    else:
        assert [e.code for e in retried.errors] == [ErrorCode.NO_CHANGE_REQUIRED]
    assert (await _stored(world, number))["pvt_assigned_to"] == world.child.id
    performed, repeated = _counts(carrier, number, Effect.ACQUIRE)
    assert performed == 2, "one order for the reseller, one for the child"
    assert repeated == (1 if fault == "failures" else 0)


async def test_a_release_retried_after_the_store_failed_strips_and_disconnects_once(store: Store) -> None:
    world, faulty, carrier = await _world(store)
    (number,) = offers("+1332555", 1)
    await numbers.activate_numbers(world.services, world.child, refs(number), public=CNAM)
    faulty.failures = 1
    with pytest.raises(StoreUnavailable):
        await numbers.release_numbers(world.services, world.child, refs(number))
    assert (await _stored(world, number))["pvt_state"] == "in_service"
    result = await numbers.release_numbers(world.services, world.child, refs(number))
    assert not result.errors
    assert _counts(carrier, number, Effect.DEPROVISION) == (1, 1)
    assert _counts(carrier, number, Effect.DISCONNECT) == (1, 1)
    assert carrier.deprovisioned == [(number, CNAM)]


async def test_a_new_change_of_the_same_number_is_a_new_effect(store: Store) -> None:
    world, _faulty, carrier = await _world(store)
    (number,) = offers("+1332555", 1)
    for _ in range(2):
        await numbers.activate_numbers(world.services, world.child, refs(number))
        assert not (await numbers.release_numbers(world.services, world.child, refs(number))).errors
    assert _counts(carrier, number, Effect.DISCONNECT) == (2, 0)
