"""Lifecycle scenarios through the resolvers on a real store (both stores)."""

from __future__ import annotations

import pytest

from numplane.carriers.simulated import SimulatedCarrier, offers
from numplane.domain.errors import ErrorCode
from numplane.domain.states import State
from numplane.resolvers import numbers
from numplane.resolvers.accounts import update_account
from numplane.resolvers.bulk import NumberRef
from numplane.resolvers.system_config import update_config
from numplane.store.base import Db
from tests.resolvers.conftest import World

N = "+14155550123"


def refs(*items: str) -> list[NumberRef]:
    return [NumberRef(i) for i in items]


async def stock(world: World, *items: str, carrier: str = "inventory") -> None:
    result = await numbers.add_numbers(
        world.services, world.admin, refs(*items), state=State.AVAILABLE, carrier=carrier
    )
    assert not result.errors, result.errors


async def test_reseller_reserves_for_itself_then_for_child_and_child_release_returns_it(world: World) -> None:
    await stock(world, N)
    await numbers.reserve_numbers(world.services, world.reseller, refs(N))
    moved = await numbers.reserve_numbers(world.services, world.reseller, refs(N), account_id=world.child.id)
    assert moved.numbers[0].owner == world.child.id
    assert moved.numbers[0].reserve_history == (world.child.id, world.reseller.id)
    await numbers.activate_numbers(world.services, world.child, refs(N))
    released = await numbers.release_numbers(world.services, world.child, refs(N))
    number = released.numbers[0]
    assert number.state is State.RESERVED
    assert number.owner == world.reseller.id
    assert number.previous_owner == world.child.id
    assert number.reserve_history == (world.reseller.id,)


async def test_release_without_history_ages_a_non_local_number(world: World) -> None:
    await stock(world, N)
    await numbers.activate_numbers(world.services, world.child, refs(N))
    released = await numbers.release_numbers(world.services, world.child, refs(N))
    number = released.numbers[0]
    assert (number.state, number.owner, number.previous_owner) == (State.AGING, None, world.child.id)
    assert number.reserve_history == ()


async def test_release_goes_to_available_when_aging_is_off(world: World) -> None:
    await update_config(world.services, world.admin, {"should_age": False})
    await stock(world, N)
    await numbers.activate_numbers(world.services, world.child, refs(N))
    released = await numbers.release_numbers(world.services, world.child, refs(N))
    assert released.numbers[0].state is State.AVAILABLE


async def test_release_parks_in_released_when_configured(world: World) -> None:
    await update_config(world.services, world.admin, {"released_state": State.RELEASED})
    await stock(world, N)
    await numbers.activate_numbers(world.services, world.child, refs(N))
    released = await numbers.release_numbers(world.services, world.child, refs(N))
    assert released.numbers[0].state is State.RELEASED
    returned = await numbers.return_numbers(world.services, world.admin, refs(N))
    assert returned.numbers[0].state is State.AGING


async def test_release_deletes_when_permanent_delete_is_configured(world: World) -> None:
    await update_config(world.services, world.admin, {"should_permanently_delete": True})
    await stock(world, N)
    await numbers.activate_numbers(world.services, world.child, refs(N))
    await numbers.release_numbers(world.services, world.child, refs(N))
    assert await world.services.store.get_many(Db.NUMBERS, [N]) == {}


async def test_local_number_is_deleted_on_release_whatever_the_config(world: World) -> None:
    await stock(world, N, carrier="local")
    await numbers.activate_numbers(world.services, world.child, refs(N))
    released = await numbers.release_numbers(world.services, world.child, refs(N))
    assert released.numbers[0].state is State.DELETED
    assert await world.services.store.get_many(Db.NUMBERS, [N]) == {}


async def test_mdn_number_is_created_in_service_and_deleted_on_release(world: World) -> None:
    created = await numbers.add_numbers(
        world.services, world.admin, refs(N), state=State.IN_SERVICE, account_id=world.child.id, carrier="mdn"
    )
    assert created.numbers[0].state is State.IN_SERVICE
    moved = await numbers.reserve_numbers(world.services, world.admin, refs(N), account_id=world.child.id)
    assert moved.errors[0].code is ErrorCode.INVALID_STATE_TRANSITION
    await numbers.release_numbers(world.services, world.child, refs(N))
    assert await world.services.store.get_many(Db.NUMBERS, [N]) == {}


async def test_mdn_number_cannot_be_added_as_available(world: World) -> None:
    result = await numbers.add_numbers(world.services, world.admin, refs(N), state=State.AVAILABLE, carrier="mdn")
    assert result.errors[0].code is ErrorCode.INVALID_STATE_TRANSITION


async def test_release_strips_public_fields_and_features(world: World) -> None:
    await stock(world, N)
    e911 = {"street_address": "1 Main St", "locality": "SF", "region": "CA", "postal_code": "94105"}
    await numbers.activate_numbers(world.services, world.child, refs(N), public={"e911": e911, "note": "x"})
    released = await numbers.release_numbers(world.services, world.child, refs(N))
    assert released.numbers[0].public == {}
    assert released.numbers[0].features == {}


async def test_previous_owner_reclaims_aging_number_but_unrelated_account_cannot_see_it(world: World) -> None:
    await stock(world, N)
    await numbers.activate_numbers(world.services, world.child, refs(N))
    await numbers.release_numbers(world.services, world.child, refs(N))
    denied = await numbers.reserve_numbers(world.services, world.unrelated, refs(N))
    assert denied.errors[0].code is ErrorCode.NOT_FOUND
    by_parent = await numbers.reserve_numbers(world.services, world.reseller, refs(N))
    assert by_parent.numbers[0].owner == world.reseller.id


async def test_aging_number_becomes_available_when_admin_returns_it_early(world: World) -> None:
    await stock(world, N)
    await numbers.activate_numbers(world.services, world.child, refs(N))
    await numbers.release_numbers(world.services, world.child, refs(N))
    returned = await numbers.return_numbers(world.services, world.admin, refs(N))
    assert returned.numbers[0].state is State.AVAILABLE


async def test_port_in_completes_to_in_service_and_cancel_deletes(world: World) -> None:
    other = "+14155550124"
    await numbers.port_in_numbers(world.services, world.child, refs(N, other))
    done = await numbers.complete_port_in(world.services, world.reseller, refs(N))
    assert (done.numbers[0].state, done.numbers[0].ported_in) == (State.IN_SERVICE, True)
    cancelled = await numbers.cancel_port_in(world.services, world.child, refs(other))
    assert not cancelled.errors
    assert await world.services.store.get_many(Db.NUMBERS, [other]) == {}


async def test_port_in_of_an_existing_number_is_number_exists_even_when_invisible(world: World) -> None:
    await stock(world, N)
    await numbers.activate_numbers(world.services, world.child, refs(N))
    result = await numbers.port_in_numbers(world.services, world.unrelated, refs(N))
    assert result.errors[0].code is ErrorCode.NUMBER_EXISTS


async def test_port_out_is_admin_only_and_completion_deletes(world: World) -> None:
    await stock(world, N)
    await numbers.activate_numbers(world.services, world.child, refs(N))
    denied = await numbers.port_out_numbers(world.services, world.child, refs(N))
    assert denied.errors[0].code is ErrorCode.FORBIDDEN
    await numbers.port_out_numbers(world.services, world.admin, refs(N))
    cancelled = await numbers.cancel_port_out(world.services, world.admin, refs(N))
    assert cancelled.numbers[0].state is State.IN_SERVICE
    await numbers.port_out_numbers(world.services, world.admin, refs(N))
    await numbers.complete_port_out(world.services, world.admin, refs(N))
    assert await world.services.store.get_many(Db.NUMBERS, [N]) == {}


async def test_child_cannot_reserve_number_owned_by_unrelated_account(world: World) -> None:
    await stock(world, N)
    await numbers.activate_numbers(world.services, world.unrelated, refs(N))
    result = await numbers.reserve_numbers(world.services, world.child, refs(N))
    assert result.errors[0].code is ErrorCode.NOT_FOUND  # existence does not leak across tenants


async def test_account_not_in_good_standing_cannot_acquire(world: World) -> None:
    await update_account(world.services, world.admin, world.child.id, good_standing=False)
    await stock(world, N)
    result = await numbers.reserve_numbers(world.services, world.reseller, refs(N), account_id=world.child.id)
    assert result.errors[0].code is ErrorCode.ACCOUNT_NOT_IN_GOOD_STANDING
    docs = await world.services.store.get_many(Db.NUMBERS, [N])
    assert docs[N]["pvt_state"] == "available"


async def test_history_records_every_transition_with_requester(world: World) -> None:
    await stock(world, N)
    await numbers.reserve_numbers(world.services, world.reseller, refs(N))
    done = await numbers.activate_numbers(world.services, world.reseller, refs(N))
    actions = [(t.action, t.requester) for t in done.numbers[0].history]
    assert actions == [
        ("add", world.admin.id), ("reserve", world.reseller.id), ("activate", world.reseller.id),
    ]


async def put_number(world: World, doc: dict[str, object]) -> None:
    """A number document written as another system (or an older numplane) left it."""
    (result,) = await world.services.store.put_many(Db.NUMBERS, [{"_id": N, "pvt_type": "number", **doc}])
    assert result.ok, result


async def test_a_change_of_owner_clears_used_by_and_keeping_the_owner_keeps_it(world: World) -> None:
    """SPEC §3.4: the old owner's application no longer uses the number once it changes hands."""
    await stock(world, N)
    await numbers.activate_numbers(world.services, world.reseller, refs(N))
    stored = (await world.services.store.get_many(Db.NUMBERS, [N]))[N]
    await world.services.store.put_many(Db.NUMBERS, [{**stored, "pvt_used_by": "callflow"}])
    same = await numbers.activate_numbers(world.services, world.reseller, refs(N), public={"note": "kept"})
    assert (same.numbers[0].owner, same.numbers[0].used_by) == (world.reseller.id, "callflow")
    moved = await numbers.activate_numbers(world.services, world.reseller, refs(N), account_id=world.child.id)
    assert (moved.numbers[0].owner, moved.numbers[0].used_by) == (world.child.id, None)
    assert (await world.services.store.get_many(Db.NUMBERS, [N]))[N].get("pvt_used_by") is None


async def test_re_reserving_for_another_account_asks_the_carrier_to_acquire_and_a_failure_changes_nothing(
    world: World,
) -> None:
    """SPEC §3.2: reserved -> reserved for another account calls the carrier's acquire first."""
    (upstream,) = offers("+1415", 1)
    first = await numbers.reserve_numbers(world.services, world.reseller, refs(upstream))  # from discovery
    assert first.numbers[0].module == "simulated" and first.numbers[0].state is State.RESERVED
    carrier = world.services.carriers.get("simulated")
    assert isinstance(carrier, SimulatedCarrier)
    carrier.failures = (upstream,)
    failed = await numbers.reserve_numbers(world.services, world.reseller, refs(upstream), account_id=world.child.id)
    assert [(e.code, e.number) for e in failed.errors] == [(ErrorCode.CARRIER_FAILURE, upstream)]
    kept = (await world.services.store.get_many(Db.NUMBERS, [upstream]))[upstream]
    assert (kept["pvt_assigned_to"], kept["pvt_reserve_history"]) == (world.reseller.id, [world.reseller.id])
    carrier.failures = ()
    moved = await numbers.reserve_numbers(world.services, world.reseller, refs(upstream), account_id=world.child.id)
    assert moved.numbers[0].owner == world.child.id
    assert moved.numbers[0].reserve_history == (world.child.id, world.reseller.id)


@pytest.mark.parametrize("to_state", [State.RESERVED, State.IN_SERVICE])
async def test_acquiring_for_a_disabled_target_is_account_disabled_and_writes_nothing(
    world: World, to_state: State
) -> None:
    """SPEC §3.1: acquiring needs the target enabled too, checked before anything is written."""
    await update_account(world.services, world.admin, world.child.id, enabled=False)
    await stock(world, N)
    acquire = numbers.reserve_numbers if to_state is State.RESERVED else numbers.activate_numbers
    result = await acquire(world.services, world.reseller, refs(N), account_id=world.child.id)
    assert [(e.code, e.number) for e in result.errors] == [(ErrorCode.ACCOUNT_DISABLED, N)]
    stored = (await world.services.store.get_many(Db.NUMBERS, [N]))[N]
    assert stored["pvt_state"] == "available" and not stored.get("pvt_assigned_to")
    assert [h["action"] for h in stored["pvt_history"]] == ["add"]


async def test_port_in_over_a_legacy_deleted_document_creates_a_fresh_number(world: World) -> None:
    """SPEC §2, §3.2: a legacy `deleted` document does not count as existing, whoever it belonged to."""
    await put_number(world, {
        "pvt_state": "deleted", "pvt_module_name": "inventory", "pvt_assigned_to": world.unrelated.id,
        "pvt_assigned_tree": [world.admin.id, world.unrelated.id], "pvt_reserve_history": [world.unrelated.id],
        "pvt_used_by": "callflow", "note": "left by the old system",
    })
    result = await numbers.port_in_numbers(world.services, world.child, refs(N))
    assert not result.errors
    (number,) = result.numbers
    assert (number.state, number.owner, number.module) == (State.PORT_IN, world.child.id, "local")
    assert (number.previous_owner, number.reserve_history, number.used_by, number.public) == (None, (), None, {})
    assert [t.action for t in number.history] == ["port_in"]
    stored = (await world.services.store.get_many(Db.NUMBERS, [N]))[N]
    assert "note" not in stored and stored["pvt_assigned_to"] == world.child.id
    again = await numbers.port_in_numbers(world.services, world.reseller, refs(N))
    assert [e.code for e in again.errors] == [ErrorCode.NUMBER_EXISTS]  # now it exists
