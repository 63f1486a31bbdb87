"""The bulk engine keeps each number it writes by revision (numplane.domain.written_numbers), and the next
read of that revision takes it instead of converting the document: it must be the number the stored
document converts to, through every kind of change (both stores)."""

from __future__ import annotations

from numplane.domain.numbers import Number
from numplane.domain.states import State
from numplane.resolvers import holds, numbers
from numplane.resolvers.bulk import BulkResult, NumberRef
from numplane.store.base import Db
from tests.resolvers.conftest import World

N, M = "+14155550123", "+14155550124"


async def kept_equals_stored(world: World, result: BulkResult) -> None:
    assert not result.errors, result.errors
    docs = await world.services.store.get_many(Db.NUMBERS, [n.e164 for n in result.numbers])
    for number in result.numbers:
        doc = docs[number.e164]
        kept = world.services.written_numbers.read(doc)
        assert kept is not None, f"{number.e164} at {doc['_rev']} was not kept"
        stored = Number.from_doc(doc)
        assert kept == stored
        assert kept.stored_locality == stored.stored_locality  # not compared by ==, but written from
        assert kept.history == stored.history


async def test_every_change_keeps_the_number_its_stored_document_reads_as(world: World) -> None:
    services, refs = world.services, [NumberRef(N), NumberRef(M)]
    await kept_equals_stored(world, await numbers.add_numbers(
        services, world.admin, refs, state=State.AVAILABLE, carrier="inventory",
        public={"label": "front desk", "nested": {"depth": [1, 2.5, {"x": None}]}, "flag": True},
    ))
    await kept_equals_stored(world, await holds.hold_numbers(services, world.reseller, refs))
    await kept_equals_stored(world, await numbers.reserve_numbers(services, world.reseller, refs))
    await kept_equals_stored(world, await numbers.reserve_numbers(
        services, world.reseller, refs, account_id=world.child.id, public={"label": "moved"}
    ))
    await kept_equals_stored(world, await numbers.activate_numbers(services, world.child, refs))
    updated = await numbers.update_number(services, world.child, NumberRef(N), public={"note": {"who": "ACME", "n": 3}})
    await kept_equals_stored(world, BulkResult(numbers=[updated]))
    denied = await numbers.update_number(services, world.admin, NumberRef(N), features_denied=["e911"])
    await kept_equals_stored(world, BulkResult(numbers=[denied]))
    await kept_equals_stored(world, await numbers.release_numbers(services, world.child, refs))
    await kept_equals_stored(world, await numbers.release_numbers(services, world.reseller, refs))  # aging


async def test_a_new_number_read_back_keeps_the_place_its_document_stores(world: World) -> None:
    added = await numbers.add_numbers(world.services, world.admin, [NumberRef(N)], state=State.AVAILABLE)
    await kept_equals_stored(world, added)
    activated = await numbers.activate_numbers(world.services, world.child, [NumberRef(N)])  # decided on the kept one
    await kept_equals_stored(world, activated)
    assert activated.numbers[0].stored_locality == added.numbers[0].stored_locality is not None
