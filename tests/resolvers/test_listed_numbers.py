"""A listing keeps the numbers it read by revision (numplane.resolvers.listed_numbers): a page shown again
converts none of its unchanged documents, yet shows every write at once, still skips (and logs) an
unreadable document each time, and never hands a number read without its trail to a page showing it.
On both stores."""

from __future__ import annotations

import logging
from unittest.mock import patch

import pytest

from numplane.domain.numbers import Number
from numplane.domain.states import State
from numplane.resolvers import numbers
from numplane.resolvers.listed_numbers import ListedNumbers
from numplane.store.base import Db
from tests.resolvers.conftest import World
from tests.support.seeding import number, seed
from tests.support.unreadable import bad_number_doc, plant


class Conversions:
    """Counts Number.from_doc calls."""

    def __init__(self) -> None:
        self.count = 0
        self.from_doc = Number.from_doc

    def __call__(self, doc: dict[str, object], **options: bool) -> Number:
        self.count += 1
        return self.from_doc(doc, **options)


async def test_a_page_shown_again_converts_only_the_documents_written_since(world: World) -> None:
    await seed(world.services.store, [number(i, State.AVAILABLE, world.clock.now) for i in range(1, 6)])
    conversions = Conversions()
    with patch.object(Number, "from_doc", conversions):
        first = await numbers.list_numbers(world.services, world.admin, first=10, shows_history=False)
        assert conversions.count == 5
        store, changed = world.services.store, first.items[2].e164
        doc = (await store.get_many(Db.NUMBERS, [changed]))[changed]
        assert (await store.put_many(Db.NUMBERS, [{**doc, "pvt_state": "reserved"}]))[0].ok

        again = await numbers.list_numbers(world.services, world.admin, first=10, shows_history=False)

    assert conversions.count == 6  # the written one alone
    assert [n.state for n in again.items] == [State.AVAILABLE] * 2 + [State.RESERVED] + [State.AVAILABLE] * 2
    assert again.items[0] is first.items[0]


async def test_an_unreadable_document_is_skipped_and_logged_on_every_page(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="numplane.unreadable")
    await seed(world.services.store, [number(1, State.AVAILABLE, world.clock.now)])
    await plant(world.services.store, Db.NUMBERS, bad_number_doc("+14150000002", pvt_features="cnam"))
    for _ in range(2):
        caplog.clear()
        page = await numbers.list_numbers(world.services, world.admin, first=10, shows_history=False)
        assert [n.e164 for n in page.items] == ["+14150000001"]
        assert any("+14150000002" in r.getMessage() for r in caplog.records)


async def test_a_page_showing_the_trail_never_gets_a_number_read_without_it(world: World) -> None:
    await seed(world.services.store, [number(1, State.AVAILABLE, world.clock.now)])
    await numbers.list_numbers(world.services, world.admin, first=10, shows_history=False)
    page = await numbers.list_numbers(world.services, world.admin, first=10, shows_history=True)
    assert page.items[0].history == ()  # seeded without entries: read, not refused


def test_the_least_recently_listed_number_is_let_go_first() -> None:
    listed = ListedNumbers(size=2)
    docs = [{"_id": f"+1415555000{i}", "_rev": "1-a", "pvt_state": "available"} for i in range(3)]
    kept = [listed.read(doc, listing_form=True) for doc in docs[:2]]
    assert listed.read(docs[0], listing_form=True) is kept[0]  # now the most recent
    listed.read(docs[2], listing_form=True)  # lets docs[1] go
    assert listed.read(docs[0], listing_form=True) is kept[0]
    assert listed.read(docs[1], listing_form=True) is not kept[1]
