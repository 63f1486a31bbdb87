"""searchNumbers (SPEC §5): the store's available numbers plus carrier results saved as discovery."""

from __future__ import annotations

import asyncio
import logging

import pytest

from numplane.carriers import registry
from numplane.carriers.base import CarrierError
from numplane.carriers.inventory import InventoryCarrier
from numplane.carriers.local import LocalCarrier
from numplane.carriers.mdn import MdnCarrier
from numplane.carriers.registry import CarrierSet
from numplane.carriers.simulated import SimulatedCarrier, offers
from numplane.domain.errors import DomainError, ErrorCode
from numplane.domain.search import FIELDS, NO_FILTER, SearchFilter
from numplane.domain.states import State
from numplane.resolvers import accounts, numbers
from numplane.resolvers.context import Requester, Role
from numplane.resolvers.search import NumberCandidate, search_numbers
from numplane.resolvers.system_config import update_config
from numplane.settings import Settings
from numplane.store.base import Db, Store
from tests.resolvers.conftest import World, make_world
from tests.resolvers.test_lifecycle_scenarios import refs, stock
from tests.support.counting import CountingStore

PREFIX = "+1415555"


class BrokenCarrier:
    """An upstream carrier whose search fails, or never answers."""

    supports = FIELDS

    def __init__(self, name: str, *, hangs: bool = False) -> None:
        self.name = name
        self.hangs = hangs

    async def search(self, prefix: str, quantity: int, search: SearchFilter = NO_FILTER) -> list[str]:
        if self.hangs:
            await asyncio.Event().wait()
        raise CarrierError(f"{self.name} is down")

    async def check(self, number: str) -> bool:
        return False

    async def acquire(self, number: str) -> dict[str, object]:
        raise CarrierError("down")

    async def disconnect(self, number: str) -> None:
        raise CarrierError("down")


async def test_search_lists_available_numbers_first_then_saves_carrier_offers_as_discovery(world: World) -> None:
    await stock(world, "+14155550101", "+14155550102")
    found = await search_numbers(world.services, world.child, PREFIX, 5)
    assert found[:2] == [
        NumberCandidate("+14155550101", State.AVAILABLE, "inventory"),
        NumberCandidate("+14155550102", State.AVAILABLE, "inventory"),
    ]
    upstream = offers(PREFIX, 3)
    assert found[2:] == [NumberCandidate(n, State.DISCOVERY, "simulated") for n in upstream]
    saved = await world.services.store.get_many(Db.NUMBERS, upstream)
    assert {d["pvt_state"] for d in saved.values()} == {"discovery"}
    assert {d["pvt_module_name"] for d in saved.values()} == {"simulated"}
    assert all("pvt_assigned_to" not in d for d in saved.values())


async def test_searching_again_duplicates_and_rewrites_nothing(world: World) -> None:
    first = await search_numbers(world.services, world.child, PREFIX, 3)
    ids = [c.e164 for c in first]
    revs = {i: d["_rev"] for i, d in (await world.services.store.get_many(Db.NUMBERS, ids)).items()}
    again = await search_numbers(world.services, world.reseller, PREFIX, 3)
    assert again == first
    after = await world.services.store.get_many(Db.NUMBERS, ids)
    assert {i: d["_rev"] for i, d in after.items()} == revs


async def test_carrier_offers_already_owned_are_left_out_and_untouched(world: World) -> None:
    owned, offered_too = offers(PREFIX, 2)
    await stock(world, owned)
    await numbers.activate_numbers(world.services, world.reseller, refs(owned))
    before = (await world.services.store.get_many(Db.NUMBERS, [owned]))[owned]
    found = await search_numbers(world.services, world.child, PREFIX, 2)
    assert owned not in [c.e164 for c in found]
    assert found[0] == NumberCandidate(offered_too, State.DISCOVERY, "simulated")
    assert (await world.services.store.get_many(Db.NUMBERS, [owned]))[owned] == before


async def test_the_store_alone_answers_when_it_has_enough(world: World) -> None:
    await stock(world, "+14155550101", "+14155550102")
    found = await search_numbers(world.services, world.child, PREFIX, 2)
    assert [c.state for c in found] == [State.AVAILABLE, State.AVAILABLE]
    assert await world.services.store.get_many(Db.NUMBERS, offers(PREFIX, 2)) == {}


async def test_quantity_is_capped_by_max_batch_and_must_be_positive(world: World) -> None:
    await update_config(world.services, world.admin, {"max_batch": 3})
    assert len(await search_numbers(world.services, world.child, PREFIX, 50)) == 3
    with pytest.raises(DomainError) as caught:
        await search_numbers(world.services, world.child, PREFIX, 0)
    assert caught.value.code is ErrorCode.INVALID_FIELD


async def test_a_bad_prefix_is_invalid_field(world: World) -> None:
    with pytest.raises(DomainError) as caught:
        await search_numbers(world.services, world.child, "415-555", 3)
    assert caught.value.code is ErrorCode.INVALID_FIELD


async def test_without_enabled_carriers_only_the_store_answers(store: Store) -> None:
    world = await make_world(store, Settings(carriers=""))
    await stock(world, "+14155550101")
    found = await search_numbers(world.services, world.child, PREFIX, 5)
    assert found == [NumberCandidate("+14155550101", State.AVAILABLE, "inventory")]


@pytest.mark.parametrize("hangs", [False, True], ids=["raises", "times_out"])
async def test_a_failing_carrier_is_logged_and_skipped_not_failing_the_search(
    store: Store, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, hangs: bool
) -> None:
    monkeypatch.setattr(registry, "UPSTREAM", ("simulated", "broken"))
    world = await make_world(store, Settings(carriers="broken,simulated"))
    world.services.carriers = CarrierSet(
        [LocalCarrier(), InventoryCarrier(), MdnCarrier(), SimulatedCarrier(), BrokenCarrier("broken", hangs=hangs)]
    )
    await stock(world, "+14155550101")
    with caplog.at_level(logging.WARNING, logger="numplane.resolvers.search"):
        found = await search_numbers(world.services, world.child, PREFIX, 3, timeout=0.05)
    assert found == [
        NumberCandidate("+14155550101", State.AVAILABLE, "inventory"),
        *(NumberCandidate(n, State.DISCOVERY, "simulated") for n in offers(PREFIX, 2)),
    ]
    assert any("broken" in r.getMessage() for r in caplog.records)


async def test_when_every_carrier_fails_the_store_results_still_come_back(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(registry, "UPSTREAM", ("broken",))
    world = await make_world(store, Settings(carriers="broken"))
    world.services.carriers = CarrierSet([LocalCarrier(), InventoryCarrier(), BrokenCarrier("broken")])
    await stock(world, "+14155550101")
    found = await search_numbers(world.services, world.child, PREFIX, 3)
    assert found == [NumberCandidate("+14155550101", State.AVAILABLE, "inventory")]


async def test_a_disabled_accounts_search_writes_nothing_and_answers_from_the_store(world: World) -> None:
    # SPEC §3: a disabled account can do nothing but read; saving carrier offers as discovery is a write.
    await stock(world, "+14155550101")
    disabled = await accounts.update_account(world.services, world.admin, world.child.id, enabled=False)
    counting = CountingStore(world.services.store)
    world.services.store = counting
    found = await search_numbers(world.services, Requester(disabled, Role.USER), PREFIX, 5)
    assert found == [NumberCandidate("+14155550101", State.AVAILABLE, "inventory")]
    assert not [call for call in counting.calls if call.startswith("put_many")], counting.calls
    assert await world.services.store.get_many(Db.NUMBERS, offers(PREFIX, 3)) == {}
