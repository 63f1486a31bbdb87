"""Readers of many numbers skip a document they cannot read and log its id (issue 15, item 6): the jobs,
the export, the search, the hunt and the bulk engine, on both stores. Each bad document is planted with
a raw store write, as another system or an old version leaves one."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest

from numplane.domain.clock import format_time
from numplane.domain.errors import ErrorCode
from numplane.domain.hunt import Disposition
from numplane.domain.numbers import Number
from numplane.domain.states import State
from numplane.resolvers import inventory, maintenance, numbers
from numplane.resolvers.context import Requester, Role
from numplane.resolvers.hunt import hunt_number
from numplane.resolvers.search import search_numbers
from numplane.store.base import Db
from tests.resolvers.conftest import World
from tests.resolvers.test_lifecycle_scenarios import refs, stock
from tests.support.seeding import number, seed
from tests.support.unreadable import bad_number_doc, plant

BAD = "+14150000002"


@pytest.fixture
def warnings(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.WARNING, logger="numplane.unreadable")
    return caplog


def logged(caplog: pytest.LogCaptureFixture, doc_id: str) -> bool:
    return any(doc_id in r.getMessage() for r in caplog.records if r.name == "numplane.unreadable")


def due_fields(state: State, days_ago: int, world: World) -> dict[str, Any]:
    return {"pvt_state": state.value, "pvt_state_changed_at": format_time(world.clock.now - timedelta(days=days_ago))}


@pytest.mark.parametrize(("job", "state"), [
    (maintenance.expire_discovery, State.DISCOVERY),
    (maintenance.age_numbers, State.AGING),
    (maintenance.purge_deleted, State.DELETED),
])
async def test_a_job_skips_an_unreadable_due_number_and_still_moves_the_others(
    world: World, warnings: pytest.LogCaptureFixture, job: Callable[..., Awaitable[maintenance.JobReport]], state: State
) -> None:
    store = world.services.store
    await seed(store, [number(1, state, world.clock.now - timedelta(days=400)),
                       number(3, state, world.clock.now - timedelta(days=400))])
    await plant(store, Db.NUMBERS, bad_number_doc(BAD, **due_fields(state, 400, world), pvt_features="cnam"))
    report = await job(world.services, world.clock.now)
    assert (report.changed, report.skipped, report.failed) == (2, 1, 0)
    assert BAD in (await store.get_many(Db.NUMBERS, [BAD]))  # left as it was, for an admin to repair
    assert logged(warnings, BAD)


async def test_hold_expiry_skips_an_unreadable_hold(world: World, warnings: pytest.LogCaptureFixture) -> None:
    ended = format_time(world.clock.now - timedelta(minutes=5))
    await plant(world.services.store, Db.NUMBERS, bad_number_doc(BAD, pvt_hold={"account": "x", "expires_at": ended}))
    report = await maintenance.expire_holds(world.services, world.clock.now)
    assert (report.examined, report.skipped, report.failed) == (1, 1, 0)
    assert logged(warnings, BAD)


async def test_export_skips_an_unreadable_number(world: World, warnings: pytest.LogCaptureFixture) -> None:
    await seed(world.services.store, [number(1, State.AVAILABLE, world.clock.now),
                                      number(3, State.AVAILABLE, world.clock.now)])
    await plant(world.services.store, Db.NUMBERS, bad_number_doc(BAD, pvt_carrier_data=["x"]))
    listed = [n.e164 async for n in inventory.exported(world.services, world.admin)]
    assert listed == ["+14150000001", "+14150000003"]
    assert logged(warnings, BAD)


async def test_search_skips_an_unreadable_available_number(world: World, warnings: pytest.LogCaptureFixture) -> None:
    await seed(world.services.store, [number(1, State.AVAILABLE, world.clock.now)])
    bad = {**number(2, State.AVAILABLE, world.clock.now).to_doc(), "pvt_hold": {"account": "x"}}
    await plant(world.services.store, Db.NUMBERS, bad)
    found = await search_numbers(world.services, world.child, "+1415000000", 5)
    assert "+14150000001" in [c.e164 for c in found] and BAD not in [c.e164 for c in found]
    assert logged(warnings, BAD)


async def test_the_hunt_routes_an_unreadable_number_nowhere_and_logs_it(
    world: World, warnings: pytest.LogCaptureFixture
) -> None:
    lineage = (world.admin.id, world.reseller.id)
    await plant(world.services.store, Db.NUMBERS, bad_number_doc(BAD, lineage, pvt_state="in service"))
    router = Requester(world.reseller.account, Role.ROUTER)
    result = await hunt_number(world.services, router, BAD, None)
    assert result.disposition is Disposition.NOT_FOUND and result.account is None
    assert logged(warnings, BAD)


async def test_a_change_of_an_unreadable_number_fails_for_that_number_alone(world: World) -> None:
    await stock(world, "+14150000001")
    lineage = (world.admin.id, world.reseller.id)
    await plant(world.services.store, Db.NUMBERS, bad_number_doc(BAD, lineage, pvt_assigned_tree="broken"))
    await plant(world.services.store, Db.NUMBERS, bad_number_doc("+14150000003", lineage, pvt_ported_in=1))
    result = await numbers.reserve_numbers(world.services, world.reseller, refs("+14150000001", BAD, "+14150000003"))
    assert [n.e164 for n in result.numbers] == ["+14150000001"]
    # The raw owner names the reseller: it is told what is wrong; the stored document is not overwritten.
    assert [(e.number, e.code) for e in result.errors] == [
        (BAD, ErrorCode.UNREADABLE_DOCUMENT), ("+14150000003", ErrorCode.UNREADABLE_DOCUMENT)
    ]
    hidden = await numbers.release_numbers(world.services, world.unrelated, refs(BAD))
    assert [e.code for e in hidden.errors] == [ErrorCode.NOT_FOUND]
    assert (await world.services.store.get_many(Db.NUMBERS, [BAD]))[BAD]["pvt_assigned_tree"] == "broken"


async def test_a_trail_broken_after_this_process_wrote_the_number_is_found_and_never_written_over(
    world: World,
) -> None:
    # The bulk engine trusts the trail of a revision it wrote itself (numplane.domain.written_numbers): a
    # revision another writer made since is checked again, however recently this process wrote the number.
    await stock(world, BAD)
    [mine] = (await numbers.reserve_numbers(world.services, world.reseller, refs(BAD))).numbers
    stored = (await world.services.store.get_many(Db.NUMBERS, [BAD]))[BAD]
    broken = {**stored, "pvt_history": [*stored["pvt_history"][:-1], {"at": "undefined", "action": "reserve"}]}
    [planted] = await world.services.store.put_many(Db.NUMBERS, [broken])
    assert planted.ok and planted.rev != mine.rev

    result = await numbers.activate_numbers(world.services, world.reseller, refs(BAD))
    assert [(e.number, e.code) for e in result.errors] == [(BAD, ErrorCode.UNREADABLE_DOCUMENT)]
    assert (await world.services.store.get_many(Db.NUMBERS, [BAD]))[BAD]["_rev"] == planted.rev


async def test_a_number_this_process_wrote_reads_back_whole_without_its_trail_checked_again(world: World) -> None:
    await stock(world, BAD)
    await numbers.reserve_numbers(world.services, world.reseller, refs(BAD))
    stored = (await world.services.store.get_many(Db.NUMBERS, [BAD]))[BAD]
    assert world.services.written_numbers.trails.knows(stored)

    [active] = (await numbers.activate_numbers(world.services, world.reseller, refs(BAD))).numbers
    assert [t.action for t in active.history] == ["add", "reserve", "activate"]
    assert active.history == Number.from_doc((await world.services.store.get_many(Db.NUMBERS, [BAD]))[BAD]).history
