"""A listing filtered by states and carrier reads exact index ranges (the "sc:" facet of store/views.py),
never the numbers the filter leaves out (issue 15, item 8): one range per state, at most a page and one
row from each, however sparse the matches, on both stores. Counted with a store that counts reads."""

from __future__ import annotations

from numplane.domain.numbers import Number
from numplane.domain.states import State
from numplane.resolvers import numbers
from tests.resolvers.conftest import World
from tests.support.counting import CountingStore
from tests.support.seeding import seed

STATES = (State.IN_SERVICE, State.RESERVED, State.PORT_OUT)
FIRST = 5


async def test_state_and_carrier_filter_reads_a_bounded_page_however_sparse_the_matches(world: World) -> None:
    lineage = (world.admin.id, world.reseller.id)
    made = [
        Number(f"+1415555{i:04d}", STATES[i % 3], module="simulated" if i % 17 == 0 else "inventory",
               owner=lineage[-1], assigned_tree=lineage)
        for i in range(600)
    ]
    await seed(world.services.store, made)
    wanted = [State.IN_SERVICE, State.PORT_OUT]
    expected = [n.e164 for n in made if n.state in wanted and n.module == "simulated"]
    counting = CountingStore(world.services.store)
    world.services.store = counting
    listed: list[str] = []
    after = None
    while True:
        counting.calls.clear()
        counting.documents_read = 0
        page = await numbers.list_numbers(
            world.services, world.reseller, states=wanted, carrier="simulated", first=FIRST, after=after
        )
        listed += [n.e164 for n in page.items]
        assert counting.calls["query:numbers"] == len(wanted)
        assert counting.documents_read <= len(wanted) * (FIRST + 1) + 1, counting.documents_read  # +1: config
        if not page.has_next:
            break
        after = page.end_cursor
    assert listed == expected and len(expected) > 2 * FIRST
