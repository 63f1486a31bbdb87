"""Reading rules (SPEC §3.5) for every relation, and features across states (SPEC §4)."""

from __future__ import annotations

import pytest

from numplane.domain.errors import DomainError, ErrorCode
from numplane.domain.states import State
from numplane.resolvers import numbers
from numplane.resolvers.bulk import NumberRef
from numplane.resolvers.context import Requester
from tests.resolvers.conftest import World
from tests.resolvers.test_lifecycle_scenarios import refs, stock

N = "+14155550123"
E911 = {"street_address": "1 Main St", "locality": "San Francisco", "region": "CA", "postal_code": "94105"}


async def visible_to(world: World, requester: Requester) -> bool:
    try:
        await numbers.get_number(world.services, requester, N)
        return True
    except DomainError as error:
        assert error.code is ErrorCode.NOT_FOUND
        return False


async def visibility(world: World) -> dict[str, bool]:
    who = {"admin": world.admin, "reseller": world.reseller, "child": world.child, "unrelated": world.unrelated}
    return {name: await visible_to(world, requester) for name, requester in who.items()}


async def test_available_number_is_visible_to_everyone(world: World) -> None:
    await stock(world, N)
    assert await visibility(world) == {"admin": True, "reseller": True, "child": True, "unrelated": True}


async def test_in_service_number_is_visible_to_owner_ancestors_and_admin_only(world: World) -> None:
    await stock(world, N)
    await numbers.activate_numbers(world.services, world.child, refs(N))
    assert await visibility(world) == {"admin": True, "reseller": True, "child": True, "unrelated": False}


async def test_in_service_number_of_the_parent_is_hidden_from_its_child(world: World) -> None:
    await stock(world, N)
    await numbers.activate_numbers(world.services, world.reseller, refs(N))
    assert await visibility(world) == {"admin": True, "reseller": True, "child": False, "unrelated": False}


async def test_reserved_number_of_the_parent_is_visible_to_its_child_so_it_can_activate_it(world: World) -> None:
    await stock(world, N)
    await numbers.reserve_numbers(world.services, world.reseller, refs(N))
    assert await visibility(world) == {"admin": True, "reseller": True, "child": True, "unrelated": False}
    activated = await numbers.activate_numbers(world.services, world.child, refs(N))
    assert activated.numbers[0].owner == world.child.id


async def test_aging_number_is_visible_to_previous_owner_and_its_ancestors(world: World) -> None:
    await stock(world, N)
    await numbers.activate_numbers(world.services, world.child, refs(N))
    await numbers.release_numbers(world.services, world.child, refs(N))
    assert await visibility(world) == {"admin": True, "reseller": True, "child": True, "unrelated": False}


async def test_listing_shows_own_and_descendants_numbers_only(world: World) -> None:
    await stock(world, "+14155550101", "+14155550102", "+14155550103")
    await numbers.activate_numbers(world.services, world.child, refs("+14155550101"))
    await numbers.activate_numbers(world.services, world.reseller, refs("+14155550102"))
    mine = await numbers.list_numbers(world.services, world.reseller)
    assert [n.e164 for n in mine.items] == ["+14155550101", "+14155550102"]
    only_own = await numbers.list_numbers(world.services, world.reseller, include_descendants=False)
    assert [n.e164 for n in only_own.items] == ["+14155550102"]
    assert (await numbers.list_numbers(world.services, world.unrelated)).items == []
    everything = await numbers.list_numbers(world.services, world.admin)
    assert len(everything.items) == 3


async def test_listing_pages_by_cursor_and_filters_by_state_and_prefix(world: World) -> None:
    many = [f"+1415555{i:04d}" for i in range(7)] + ["+12125550100"]
    await stock(world, *many)
    await numbers.activate_numbers(world.services, world.child, refs(*many[:4]))
    await numbers.reserve_numbers(world.services, world.child, refs(*many[4:]))
    seen: list[str] = []
    after = None
    while True:
        page = await numbers.list_numbers(world.services, world.child, first=3, after=after)
        seen += [n.e164 for n in page.items]
        if not page.has_next:
            break
        after = page.end_cursor
    assert seen == sorted(many)
    reserved = await numbers.list_numbers(world.services, world.child, states=[State.RESERVED], prefix="+1415")
    assert [n.e164 for n in reserved.items] == many[4:7]
    both = await numbers.list_numbers(world.services, world.child, states=[State.RESERVED, State.IN_SERVICE])
    assert [n.e164 for n in both.items] == sorted(many)


async def test_features_follow_the_number_between_reserved_and_in_service(world: World) -> None:
    await stock(world, N)
    public = {"e911": E911, "failover": {"e164": "+14155550999"}}
    active = await numbers.activate_numbers(world.services, world.child, refs(N), public=public)
    assert set(active.numbers[0].features) == {"e911", "failover"}
    parked = await numbers.reserve_numbers(world.services, world.child, refs(N))
    assert set(parked.numbers[0].features) == {"e911"}  # failover is active only in service
    assert parked.numbers[0].public["failover"] == {"e164": "+14155550999"}
    back = await numbers.activate_numbers(world.services, world.child, refs(N))
    assert set(back.numbers[0].features) == {"e911", "failover"}


async def test_features_are_locked_while_reserved_but_other_fields_are_editable(world: World) -> None:
    await stock(world, N)
    await numbers.reserve_numbers(world.services, world.child, refs(N))
    with pytest.raises(DomainError) as caught:
        await numbers.update_number(world.services, world.child, NumberRef(N), public={"e911": E911})
    assert caught.value.code is ErrorCode.FEATURE_LOCKED
    edited = await numbers.update_number(world.services, world.child, NumberRef(N), public={"label": "desk"})
    assert edited.public == {"label": "desk"}


async def test_invalid_e911_names_the_field(world: World) -> None:
    await stock(world, N)
    await numbers.activate_numbers(world.services, world.child, refs(N))
    with pytest.raises(DomainError) as caught:
        await numbers.update_number(
            world.services, world.child, NumberRef(N), public={"e911": {**E911, "region": "California"}}
        )
    assert caught.value.code is ErrorCode.INVALID_FIELD
    assert caught.value.field is not None and caught.value.field[-1] == "region"


async def test_private_keys_are_rejected_not_dropped(world: World) -> None:
    await stock(world, N)
    await numbers.activate_numbers(world.services, world.child, refs(N))
    with pytest.raises(DomainError) as caught:
        await numbers.update_number(world.services, world.child, NumberRef(N), public={"pvt_state": "available"})
    assert caught.value.code is ErrorCode.INVALID_FIELD


async def test_denied_feature_is_not_allowed(world: World) -> None:
    await stock(world, N)
    await numbers.activate_numbers(world.services, world.child, refs(N))
    await numbers.update_number(world.services, world.admin, NumberRef(N), features_denied=["cnam"])
    with pytest.raises(DomainError) as caught:
        await numbers.update_number(
            world.services, world.child, NumberRef(N), public={"cnam": {"display_name": "ACME"}}
        )
    assert caught.value.code is ErrorCode.FEATURE_NOT_ALLOWED


async def test_merge_patch_removes_keys_with_null_and_replace_replaces(world: World) -> None:
    await stock(world, N)
    await numbers.activate_numbers(world.services, world.child, refs(N), public={"a": 1, "b": {"c": 2, "d": 3}})
    merged = await numbers.update_number(
        world.services, world.child, NumberRef(N), public={"a": None, "b": {"c": None}}
    )
    assert merged.public == {"b": {"d": 3}}
    replaced = await numbers.update_number(world.services, world.child, NumberRef(N), public={"z": 1}, replace=True)
    assert replaced.public == {"z": 1}


async def test_public_edit_does_not_restart_the_state_clock(world: World) -> None:
    await stock(world, N)
    activated = await numbers.activate_numbers(world.services, world.child, refs(N))
    world.clock.advance(hours=5)
    edited = await numbers.update_number(world.services, world.child, NumberRef(N), public={"x": 1})
    assert edited.state_changed_at == activated.numbers[0].state_changed_at
    assert edited.modified is not None and edited.modified > activated.numbers[0].modified  # type: ignore[operator]


async def test_history_is_trimmed_to_the_configured_length(world: World) -> None:
    from numplane.resolvers.system_config import update_config

    await update_config(world.services, world.admin, {"history_length": 2})
    await stock(world, N)
    await numbers.activate_numbers(world.services, world.child, refs(N))
    last = await numbers.update_number(world.services, world.child, NumberRef(N), public={"x": 1})
    assert [t.action for t in last.history] == ["activate", "update"]


async def test_listing_by_carrier_and_state_pages_exactly(world: World) -> None:
    pool = [f"+1415555{i:04d}" for i in range(12)]
    await stock(world, *pool[:6], carrier="inventory")
    await stock(world, *pool[6:], carrier="local")
    await numbers.activate_numbers(world.services, world.child, refs(*pool[::2]))  # both carriers
    await numbers.reserve_numbers(world.services, world.child, refs(*pool[1::2]))
    seen: list[str] = []
    after = None
    while True:
        page = await numbers.list_numbers(
            world.services, world.child, states=[State.IN_SERVICE], carrier="local", first=2, after=after
        )
        seen += [n.e164 for n in page.items]
        if not page.has_next:
            break
        after = page.end_cursor
    assert seen == pool[6::2]
