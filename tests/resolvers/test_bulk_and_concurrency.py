"""Bulk semantics (SPEC §13) and optimistic concurrency (SPEC §7) on a real store."""

from __future__ import annotations

import asyncio

import pytest

from numplane.domain import lifecycle
from numplane.domain.errors import DomainError, ErrorCode
from numplane.domain.lifecycle import Decision, DecisionContext
from numplane.domain.states import State
from numplane.domain.written_numbers import WrittenNumbers
from numplane.loop_turns import UNITS_PER_TURN
from numplane.resolvers import accounts, bulk, numbers
from numplane.resolvers.bulk import NumberRef
from numplane.resolvers.context import Requester, Role
from numplane.resolvers.system_config import update_config
from numplane.store.base import Db, Doc, Store
from tests.resolvers.conftest import World, make_world
from tests.resolvers.test_lifecycle_scenarios import refs, stock
from tests.support.interloper import Interloper

N = "+14155550123"


async def test_bulk_reports_each_number_in_input_order_with_duplicates_folded(world: World) -> None:
    await stock(world, "+14155550101", "+14155550102")
    result = await numbers.reserve_numbers(
        world.services, world.child,
        refs("4155550101", "not a number", "+1 (415) 555-0101", "+14155550199", "+14155550102"),
    )
    assert [n.e164 for n in result.numbers] == ["+14155550101", "+14155550102"]
    assert [(e.code, e.number) for e in result.errors] == [
        (ErrorCode.INVALID_NUMBER, "not a number"),
        (ErrorCode.NOT_FOUND, "+14155550199"),
    ]


async def test_bulk_over_max_batch_is_limit_exceeded_and_nothing_is_done(world: World) -> None:
    await update_config(world.services, world.admin, {"max_batch": 2})
    with pytest.raises(DomainError) as caught:
        await numbers.add_numbers(
            world.services, world.admin, refs("+14155550101", "+14155550102", "+14155550103"),
            state=State.AVAILABLE,
        )
    assert caught.value.code is ErrorCode.LIMIT_EXCEEDED
    assert await world.services.store.get_many(Db.NUMBERS, ["+14155550101"]) == {}


async def test_bulk_of_many_numbers_reads_and_writes_in_batches(world: World) -> None:
    many = [f"+1415555{i:04d}" for i in range(300)]
    calls = {"get_many": 0, "put_many": 0}
    store = world.services.store
    original_get, original_put = store.get_many, store.put_many

    # Only reads of numbers count: account reads depend on how long the account cache has held them.
    async def counting_get(db: Db, ids: list[str], *, held: dict[str, str] | None = None) -> dict[str, Doc]:
        calls["get_many"] += db is Db.NUMBERS
        return await original_get(db, ids, held=held)

    async def counting_put(db: Db, docs: list[dict[str, object]]) -> object:
        calls["put_many"] += 1
        return await original_put(db, docs)

    await stock(world, *many)
    world.services.written_numbers = WrittenNumbers()  # stocked by another process: none of them held here
    store.get_many = counting_get  # type: ignore[method-assign,assignment]
    store.put_many = counting_put  # type: ignore[method-assign,assignment]
    try:
        result = await numbers.reserve_numbers(world.services, world.child, refs(*many))
    finally:
        store.get_many, store.put_many = original_get, original_put  # type: ignore[method-assign]
    assert len(result.numbers) == 300
    # 300 numbers in chunks of 250: one batched read and one batched write per chunk, not per number.
    assert bulk.CHUNK == 250, "the expected request counts below assume chunks of 250"
    assert calls == {"get_many": 2, "put_many": 2}


async def test_adding_numbers_reads_only_those_already_stored(world: World) -> None:
    """A creation is written unread; only the numbers whose write conflicts are read and decided again:
    a live number is NUMBER_EXISTS, a deleted one (a tombstone) is added again."""
    new, live, gone = "+14155550191", "+14155550192", "+14155550193"
    await stock(world, live, gone)
    assert not (await numbers.delete_numbers(world.services, world.admin, refs(gone))).errors
    store = world.services.store
    original_get = store.get_many
    read: list[str] = []

    async def counting_get(db: Db, ids: list[str], *, held: dict[str, str] | None = None) -> dict[str, Doc]:
        read.extend(ids if db is Db.NUMBERS else [])
        return await original_get(db, ids, held=held)

    store.get_many = counting_get  # type: ignore[method-assign,assignment]
    try:
        result = await numbers.add_numbers(world.services, world.admin, refs(new, live, gone), state=State.AVAILABLE)
    finally:
        store.get_many = original_get  # type: ignore[method-assign]
    assert read == [live]
    assert [(e.code, e.number) for e in result.errors] == [(ErrorCode.NUMBER_EXISTS, live)]
    assert [(n.e164, n.state) for n in result.numbers] == [(new, State.AVAILABLE), (gone, State.AVAILABLE)]


async def test_a_bulk_request_gives_the_loop_back_every_few_numbers(world: World) -> None:
    # Deciding a number costs up to half a millisecond: a 250-number chunk decided in one go held the
    # event loop (every other request) for tens of milliseconds.
    log: list[str] = []
    deciding = True

    async def another_request() -> None:
        while deciding:
            log.append("turn")
            await asyncio.sleep(0)

    def decide(_number: object, e164: str, ctx: DecisionContext, _accounts: object) -> Decision:
        log.append("decide")
        return lifecycle.create(e164, State.AVAILABLE, ctx, None, module="local")

    other = asyncio.create_task(another_request())
    try:
        result = await bulk.run(
            world.services, world.admin, refs(*(f"+1415555{i:04d}" for i in range(100))),
            bulk.Plan(decide=decide, creates=True),
        )
    finally:
        deciding = False
        await other
    assert len(result.numbers) == 100 and log.count("decide") == 100
    runs = "".join("d" if entry == "decide" else " " for entry in log).split()
    assert max(len(run) for run in runs) <= UNITS_PER_TURN


async def test_twenty_buyers_racing_for_one_number_give_one_owner_and_nineteen_clean_errors(world: World) -> None:
    await stock(world, N)
    buyers = [
        Requester(await accounts.create_account(world.services, world.admin, f"buyer{i}"), Role.USER)
        for i in range(20)
    ]
    results = await asyncio.gather(
        *(numbers.reserve_numbers(world.services, buyer, refs(N)) for buyer in buyers)
    )
    winners = [r for r in results if r.numbers]
    losers = [r for r in results if r.errors]
    assert len(winners) == 1 and len(losers) == 19
    assert {e.code for r in losers for e in r.errors} <= {ErrorCode.NOT_FOUND, ErrorCode.CONFLICT}
    stored = (await world.services.store.get_many(Db.NUMBERS, [N]))[N]
    assert stored["pvt_assigned_to"] == winners[0].numbers[0].owner
    assert [h["action"] for h in stored["pvt_history"]] == ["add", "reserve"]


async def test_two_concurrent_merges_of_public_fields_both_land(world: World) -> None:
    await stock(world, N)
    await numbers.activate_numbers(world.services, world.child, refs(N))
    await asyncio.gather(
        numbers.update_number(world.services, world.child, NumberRef(N), public={"first": 1}),
        numbers.update_number(world.services, world.reseller, NumberRef(N), public={"second": 2}),
    )
    number = await numbers.get_number(world.services, world.child, N)
    assert {"first": 1, "second": 2}.items() <= number.public.items()


async def test_stale_expected_revision_is_conflict_and_nothing_is_written(world: World) -> None:
    await stock(world, N)
    first = await numbers.reserve_numbers(world.services, world.child, refs(N))
    stale = "1-00000000000000000000000000000000"
    result = await numbers.activate_numbers(world.services, world.child, [NumberRef(N, expected_revision=stale)])
    assert result.errors[0].code is ErrorCode.CONFLICT
    current = await numbers.get_number(world.services, world.child, N)
    assert current.rev == first.numbers[0].rev
    fresh = await numbers.activate_numbers(world.services, world.child, [NumberRef(N, current.rev)])
    assert fresh.numbers[0].state is State.IN_SERVICE


async def test_disabled_requester_can_do_nothing_but_read(world: World) -> None:
    await stock(world, N)
    await accounts.update_account(world.services, world.admin, world.child.id, enabled=False)
    disabled = Requester(
        (await accounts.load_accounts(world.services, [world.child.id]))[world.child.id], Role.USER
    )
    with pytest.raises(DomainError) as caught:
        await numbers.reserve_numbers(world.services, disabled, refs(N))
    assert caught.value.code is ErrorCode.ACCOUNT_DISABLED
    assert (await numbers.get_number(world.services, disabled, N)).state is State.AVAILABLE


async def test_acquiring_a_number_not_in_the_store_goes_through_the_upstream_carrier(world: World) -> None:
    from numplane.carriers.simulated import offers

    await update_config(world.services, world.admin, {"carriers": ["simulated"]})
    (offered,) = offers("+1332555", 1)
    result = await numbers.activate_numbers(world.services, world.child, refs(offered))
    number = result.numbers[0]
    assert (number.state, number.module, number.owner) == (State.IN_SERVICE, "simulated", world.child.id)
    assert [t.action for t in number.history] == ["discover", "activate"]


async def test_carrier_failure_leaves_the_number_in_discovery(world: World, store: object) -> None:
    from numplane.carriers.registry import CarrierSet
    from numplane.carriers.simulated import offers

    (offered,) = offers("+1332555", 1)
    world.services.carriers = CarrierSet.build(simulated_failures=(offered,))
    await update_config(world.services, world.admin, {"carriers": ["simulated"]})
    result = await numbers.reserve_numbers(world.services, world.child, refs(offered))
    assert result.errors[0].code is ErrorCode.CARRIER_FAILURE
    stored = (await world.services.store.get_many(Db.NUMBERS, [offered]))[offered]
    assert stored["pvt_state"] == "discovery"


async def test_number_not_in_store_and_no_carrier_is_not_found(world: World) -> None:
    result = await numbers.reserve_numbers(world.services, world.child, refs(N))
    assert result.errors[0].code is ErrorCode.NOT_FOUND


async def test_release_removes_upstream_features_using_the_number_as_it_was(world: World) -> None:
    from numplane.carriers.registry import CarrierSet
    from numplane.carriers.simulated import SimulatedCarrier, offers

    carriers = CarrierSet.build()
    world.services.carriers = carriers
    await update_config(world.services, world.admin, {"carriers": ["simulated"]})
    (offered,) = offers("+1332555", 1)
    e911 = {"street_address": "1 Main St", "locality": "SF", "region": "CA", "postal_code": "94105"}
    await numbers.activate_numbers(
        world.services, world.child, refs(offered), public={"e911": e911, "cnam": {"display_name": "ACME"}}
    )
    released = await numbers.release_numbers(world.services, world.child, refs(offered))
    simulated = carriers.get("simulated")
    assert isinstance(simulated, SimulatedCarrier)
    assert list(simulated.deprovisioned) == [(offered, {"e911": e911, "cnam": {"display_name": "ACME"}})]
    assert released.numbers[0].public == {} and released.numbers[0].features == {}


async def test_a_number_that_keeps_changing_gives_up_after_bounded_rounds_with_a_clean_conflict(
    store: Store,
) -> None:
    """SPEC §7: without expectedRevision the server re-reads and re-decides on a conflict, but only a
    bounded number of times; then that number fails with CONFLICT and nothing of this request is written."""
    interloper = Interloper(store, Db.NUMBERS)
    world = await make_world(interloper)
    await stock(world, N, "+14155550199")
    interloper.active = True
    result = await numbers.reserve_numbers(world.services, world.child, refs(N))
    assert result.numbers == []
    assert [(e.code, e.number) for e in result.errors] == [(ErrorCode.CONFLICT, N)]
    assert interloper.interruptions == bulk.MAX_ROUNDS
    stored = (await store.get_many(Db.NUMBERS, [N]))[N]
    assert stored["pvt_state"] == "available" and not stored.get("pvt_assigned_to")


class NumberReads:
    """Counts the numbers read from a store (account reads depend on how long the account cache held them)."""

    def __init__(self, store: Store) -> None:
        self.ids: list[str] = []
        self._store = store
        self._read = store.get_many

    async def get_many(self, db: Db, ids: list[str], *, held: dict[str, str] | None = None) -> dict[str, Doc]:
        self.ids.extend(ids if db is Db.NUMBERS else [])
        return await self._read(db, ids, held=held)

    def __enter__(self) -> NumberReads:
        self._store.get_many = self.get_many  # type: ignore[method-assign,assignment]
        return self

    def __exit__(self, *_exc: object) -> None:
        self._store.get_many = self._read  # type: ignore[method-assign]


async def test_activating_a_number_this_process_just_wrote_decides_on_it_without_reading_it(world: World) -> None:
    await stock(world, N)
    await numbers.reserve_numbers(world.services, world.child, refs(N))
    with NumberReads(world.services.store) as reads:
        result = await numbers.activate_numbers(world.services, world.child, refs(N))
    assert reads.ids == []
    assert [(n.state, n.owner) for n in result.numbers] == [(State.IN_SERVICE, world.child.id)]
    stored = (await world.services.store.get_many(Db.NUMBERS, [N]))[N]
    assert (stored["_rev"], stored["pvt_state"]) == (result.numbers[0].rev, "in_service")
    assert [entry["action"] for entry in stored["pvt_history"]][-2:] == ["reserve", "activate"]


async def test_a_number_another_writer_changed_since_this_process_wrote_it_is_read_and_decided_again(
    world: World,
) -> None:
    """The revision held is stale: its write conflicts, and the number is read and decided on as it is now
    (here released by another replica, so the activation takes it from available, without a pause)."""
    await stock(world, N)
    await numbers.reserve_numbers(world.services, world.child, refs(N))
    store = world.services.store
    current = (await store.get_many(Db.NUMBERS, [N]))[N]
    released = {**current, "pvt_state": "available"}
    for key in ("pvt_assigned_to", "pvt_assigned_tree"):
        released.pop(key, None)
    assert (await store.put_many(Db.NUMBERS, [released]))[0].ok  # written behind this process's memory
    with NumberReads(store) as reads:
        result = await numbers.activate_numbers(world.services, world.child, refs(N))
    assert reads.ids == [N]
    assert not result.errors
    assert [t.from_state for t in result.numbers[0].history][-1] is State.AVAILABLE


async def test_a_refusal_decided_on_a_held_number_is_not_the_answer_until_the_number_is_read(world: World) -> None:
    """Held, the number is in service for another account (the child may not see it); the store has it
    available again: the answer is the read's, not NOT_FOUND."""
    await stock(world, N)
    await numbers.activate_numbers(world.services, world.reseller, refs(N))
    store = world.services.store
    current = (await store.get_many(Db.NUMBERS, [N]))[N]
    available = {**current, "pvt_state": "available", "pvt_assigned_to": None, "pvt_assigned_tree": None}
    available = {key: value for key, value in available.items() if value is not None}
    assert (await store.put_many(Db.NUMBERS, [available]))[0].ok
    with NumberReads(store) as reads:
        taken = await numbers.activate_numbers(world.services, world.unrelated, refs(N))
    assert reads.ids == [N]
    assert not taken.errors
    assert taken.numbers[0].owner == world.unrelated.id


async def test_a_held_decision_that_calls_a_carrier_is_made_upstream_only_once_decided_on_a_read(
    world: World,
) -> None:
    from numplane.carriers.simulated import offers

    await update_config(world.services, world.admin, {"carriers": ["simulated"]})
    (offered,) = offers("+1332555", 1)
    await numbers.reserve_numbers(world.services, world.reseller, refs(offered))  # acquired upstream, held here
    with NumberReads(world.services.store) as reads:
        moved = await numbers.reserve_numbers(world.services, world.reseller, refs(offered), account_id=world.child.id)
    assert reads.ids == [offered]  # reserved -> reserved acquires upstream: decided again on a read first
    assert [(n.state, n.owner) for n in moved.numbers] == [(State.RESERVED, world.child.id)]


async def test_releasing_a_number_of_a_stored_module_this_process_just_wrote_reads_nothing(world: World) -> None:
    """A release disconnects, but an inventory number has nothing upstream to disconnect: decided on as held."""
    await stock(world, N)
    await numbers.activate_numbers(world.services, world.child, refs(N))
    with NumberReads(world.services.store) as reads:
        released = await numbers.release_numbers(world.services, world.child, refs(N))
    assert reads.ids == []
    assert not released.errors and released.numbers[0].owner is None
    stored = (await world.services.store.get_many(Db.NUMBERS, [N]))[N]
    assert stored["_rev"] == released.numbers[0].rev and "pvt_assigned_to" not in stored


async def test_releasing_a_number_of_an_upstream_carrier_is_decided_on_a_read_before_the_carrier_is_called(
    world: World,
) -> None:
    from numplane.carriers.registry import CarrierSet
    from numplane.carriers.simulated import SimulatedCarrier, offers

    carriers = CarrierSet.build()
    world.services.carriers = carriers
    await update_config(world.services, world.admin, {"carriers": ["simulated"]})
    (offered,) = offers("+1332555", 1)
    await numbers.activate_numbers(world.services, world.child, refs(offered), public={"cnam": {"display_name": "A"}})
    with NumberReads(world.services.store) as reads:
        released = await numbers.release_numbers(world.services, world.child, refs(offered))
    assert reads.ids == [offered]
    assert not released.errors
    simulated = carriers.get("simulated")
    assert isinstance(simulated, SimulatedCarrier)
    assert list(simulated.deprovisioned) == [(offered, {"cnam": {"display_name": "A"}})]  # once
