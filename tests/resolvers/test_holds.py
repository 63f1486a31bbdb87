"""Holds (issue 11) on a real store (both stores): who may take a held number, expiry, limits, cleaning."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from numplane.domain.errors import DomainError, ErrorCode
from numplane.domain.numbers import Number
from numplane.domain.states import State
from numplane.resolvers import holds, maintenance, numbers
from numplane.resolvers.search import search_numbers
from numplane.resolvers.system_config import update_config
from numplane.settings import Settings
from numplane.store.base import Db
from tests.resolvers.conftest import World, make_world
from tests.resolvers.test_lifecycle_scenarios import refs, stock

N = "+14155550123"
M2 = "+14155550124"
M3 = "+14155550125"


async def read(world: World, e164: str) -> Number:
    return Number.from_doc((await world.services.store.get_many(Db.NUMBERS, [e164]))[e164])


async def test_two_accounts_race_for_a_held_number_and_only_the_holders_tree_gets_it(world: World) -> None:
    await stock(world, N)
    held = await holds.hold_numbers(world.services, world.reseller, refs(N), minutes=30)
    assert not held.errors and held.numbers[0].hold is not None

    outsider, insider = await asyncio.gather(
        numbers.reserve_numbers(world.services, world.unrelated, refs(N)),
        numbers.reserve_numbers(world.services, world.child, refs(N)),
    )

    assert [e.code for e in outsider.errors] == [ErrorCode.NUMBER_HELD]
    assert outsider.errors[0].held_until == world.clock.now + timedelta(minutes=30)
    assert not insider.errors
    after = await read(world, N)
    assert (after.state, after.owner, after.hold) == (State.RESERVED, world.child.id, None)  # hold consumed


async def test_the_holders_activation_consumes_the_hold_and_history_records_the_hold(world: World) -> None:
    await stock(world, N)
    await holds.hold_numbers(world.services, world.child, refs(N), minutes=5)
    result = await numbers.activate_numbers(world.services, world.child, refs(N))
    assert not result.errors
    after = await read(world, N)
    assert after.hold is None and after.state is State.IN_SERVICE
    assert [t.action for t in after.history][-2:] == ["hold", "activate"]


async def test_an_expired_hold_stops_counting_without_any_job(world: World) -> None:
    await stock(world, N)
    await holds.hold_numbers(world.services, world.reseller, refs(N), minutes=10)
    world.clock.advance(minutes=9, seconds=59)
    early = await numbers.reserve_numbers(world.services, world.unrelated, refs(N))
    assert [e.code for e in early.errors] == [ErrorCode.NUMBER_HELD]

    world.clock.advance(seconds=1)
    late = await numbers.reserve_numbers(world.services, world.unrelated, refs(N))
    assert not late.errors
    assert (await read(world, N)).owner == world.unrelated.id


async def test_extending_adds_time_up_to_the_configured_maximum_and_no_further(world: World) -> None:
    await update_config(world.services, world.admin, {"max_hold_minutes": 90})
    await stock(world, N)
    await holds.hold_numbers(world.services, world.reseller, refs(N), minutes=60)
    start = world.clock.now

    longer = await holds.extend_holds(world.services, world.child, refs(N), minutes=30)  # the holder's tree
    assert not longer.errors
    hold = (await read(world, N)).hold
    assert hold is not None and hold.expires_at == start + timedelta(minutes=90)

    too_long = await holds.extend_holds(world.services, world.reseller, refs(N), minutes=1)
    assert [e.code for e in too_long.errors] == [ErrorCode.LIMIT_EXCEEDED]
    again = (await read(world, N)).hold
    assert again is not None and again.expires_at == start + timedelta(minutes=90)


async def test_only_the_holders_line_extends_or_releases_a_hold(world: World) -> None:
    await stock(world, N)
    await holds.hold_numbers(world.services, world.child, refs(N))
    refused = await holds.extend_holds(world.services, world.unrelated, refs(N), minutes=5)
    assert [e.code for e in refused.errors] == [ErrorCode.NUMBER_HELD]
    not_theirs = await holds.release_holds(world.services, world.unrelated, refs(N))
    assert [e.code for e in not_theirs.errors] == [ErrorCode.NUMBER_HELD]

    released = await holds.release_holds(world.services, world.reseller, refs(N))  # an ancestor of the holder
    assert not released.errors
    assert (await read(world, N)).hold is None
    taken = await numbers.reserve_numbers(world.services, world.unrelated, refs(N))
    assert not taken.errors


async def test_holding_what_another_tree_holds_is_refused_and_holding_again_renews_ones_own(world: World) -> None:
    await stock(world, N)
    await holds.hold_numbers(world.services, world.child, refs(N), minutes=10)
    other = await holds.hold_numbers(world.services, world.unrelated, refs(N))
    assert [e.code for e in other.errors] == [ErrorCode.NUMBER_HELD]

    world.clock.advance(minutes=5)
    renewed = await holds.hold_numbers(world.services, world.child, refs(N), minutes=10)
    assert not renewed.errors
    hold = (await read(world, N)).hold
    assert hold is not None and hold.expires_at == world.clock.now + timedelta(minutes=10)
    assert hold.started_at == world.clock.now - timedelta(minutes=5)  # the maximum counts from the first hold


async def test_only_offered_numbers_are_held_and_minutes_stay_between_1_and_60(world: World) -> None:
    await stock(world, N, M2)
    await numbers.reserve_numbers(world.services, world.reseller, refs(N))
    owned = await holds.hold_numbers(world.services, world.reseller, refs(N))
    assert [e.code for e in owned.errors] == [ErrorCode.INVALID_STATE_TRANSITION]
    for minutes in (0, 61):
        with pytest.raises(DomainError) as wrong:
            await holds.hold_numbers(world.services, world.reseller, refs(M2), minutes=minutes)
        assert (wrong.value.code, wrong.value.field) == (ErrorCode.INVALID_FIELD, ("minutes",))
    for_someone_else = await holds.hold_numbers(world.services, world.child, refs(M2), account_id=world.reseller.id)
    assert [e.code for e in for_someone_else.errors] == [ErrorCode.FORBIDDEN]


async def test_an_account_holds_at_most_the_configured_number_of_numbers(world: World) -> None:
    await update_config(world.services, world.admin, {"max_holds_per_account": 2})
    await stock(world, N, M2, M3)
    first = await holds.hold_numbers(world.services, world.child, refs(N, M2, M3))
    assert [n.e164 for n in first.numbers] == [N, M2]
    assert [(e.code, e.number) for e in first.errors] == [(ErrorCode.LIMIT_EXCEEDED, M3)]

    renewing = await holds.hold_numbers(world.services, world.child, refs(N))  # already held: not counted again
    assert not renewing.errors
    other_account = await holds.hold_numbers(world.services, world.reseller, refs(M3))  # the limit is per account
    assert not other_account.errors

    world.clock.advance(minutes=31)  # the child's holds ended: they no longer count
    later = await holds.hold_numbers(world.services, world.child, refs(N, M2))
    assert not later.errors


async def test_searches_by_others_skip_held_numbers_and_the_holders_tree_still_finds_them(store: object) -> None:
    world = await make_world(store, Settings(carriers=""))  # type: ignore[arg-type]
    await stock(world, N, M2, M3)
    await holds.hold_numbers(world.services, world.reseller, refs(N, M2))

    by_outsider = await search_numbers(world.services, world.unrelated, "+1415555", 2)
    assert [c.e164 for c in by_outsider] == [M3]
    by_child = await search_numbers(world.services, world.child, "+1415555", 3)
    assert [c.e164 for c in by_child] == [N, M2, M3]

    world.clock.advance(minutes=30)
    assert [c.e164 for c in await search_numbers(world.services, world.unrelated, "+1415555", 3)] == [N, M2, M3]


async def test_held_discovery_numbers_do_not_expire_while_held(world: World) -> None:
    offered = await search_numbers(world.services, world.child, "+1415555", 1)
    (candidate,) = offered
    assert candidate.state is State.DISCOVERY
    await holds.hold_numbers(world.services, world.child, refs(candidate.e164), minutes=60)
    await update_config(world.services, world.admin, {"discovery_expiry_days": 0})

    kept = await maintenance.expire_discovery(world.services, world.clock.now)
    assert kept.changed == 0
    world.clock.advance(minutes=60)
    gone = await maintenance.expire_discovery(world.services, world.clock.now)
    assert gone.changed == 1


async def test_the_cleaning_job_removes_only_ended_hold_records(world: World) -> None:
    await stock(world, N, M2)
    await holds.hold_numbers(world.services, world.child, refs(N), minutes=10)
    await holds.hold_numbers(world.services, world.child, refs(M2), minutes=20)
    world.clock.advance(minutes=10)

    report = await maintenance.expire_holds(world.services, world.clock.now)

    assert (report.changed, report.examined) == (1, 1)
    assert (await read(world, N)).hold is None
    assert (await read(world, M2)).hold is not None
    assert [t.action for t in (await read(world, N)).history][-1] == "hold_expired"
    again = await maintenance.expire_holds(world.services, world.clock.now)
    assert (again.changed, again.examined) == (0, 0)
