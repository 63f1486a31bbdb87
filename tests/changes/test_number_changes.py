"""numberChanges (SPEC §9): long-polled pages of the changes a requester may hear of, on both stores."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from numplane.domain.errors import DomainError, ErrorCode
from numplane.domain.states import State
from numplane.resolvers import numbers
from numplane.resolvers.changes import NumberChangePage, number_changes
from numplane.resolvers.context import Requester
from numplane.store.base import Db
from numplane.store.sqlite import SqliteStore
from tests.changes.conftest import Feed
from tests.resolvers.test_lifecycle_scenarios import refs, stock

N = "+14155550123"
M = "+14155550124"


async def now(feed: Feed, requester: Requester) -> str:
    page = await number_changes(feed.world.services, requester)
    assert page.changes == [] and not page.has_more
    return page.cursor


async def later(delay: float, action: object) -> None:
    await asyncio.sleep(delay)
    await action  # type: ignore[misc]


async def test_long_poll_answers_with_a_change_made_after_the_cursor(feed: Feed) -> None:
    w = feed.world
    await stock(w, N)
    cursor = await now(feed, w.reseller)
    mutation = asyncio.create_task(later(0.2, numbers.activate_numbers(w.services, w.reseller, refs(N))))
    page = await number_changes(w.services, w.reseller, after=cursor, wait_seconds=10)
    await mutation
    assert [(c.e164, c.state, c.deleted) for c in page.changes] == [(N, State.IN_SERVICE, False)]
    assert page.changes[0].number is not None and page.changes[0].number.owner == w.reseller.id
    assert page.changes[0].transition is not None and page.changes[0].transition.action
    assert page.cursor == page.changes[-1].cursor != cursor


async def test_long_poll_times_out_with_an_empty_page_and_the_same_cursor(feed: Feed) -> None:
    cursor = await now(feed, feed.world.reseller)
    page = await number_changes(feed.world.services, feed.world.reseller, after=cursor, wait_seconds=1)
    assert page == NumberChangePage([], cursor, has_more=False)


async def test_without_a_cursor_the_feed_starts_from_now(feed: Feed) -> None:
    w = feed.world
    await stock(w, N)
    cursor = await now(feed, w.admin)
    await stock(w, M)
    page = await number_changes(w.services, w.admin, after=cursor)
    assert [c.e164 for c in page.changes] == [M]


async def test_garbage_and_foreign_cursors_are_invalid_fields(feed: Feed, tmp_path: Path) -> None:
    other = SqliteStore(str(tmp_path / "other.db"))
    await other.open()
    foreign = await other.current_cursor(Db.NUMBERS)
    await other.close()
    for cursor in ("garbage", "", foreign):
        with pytest.raises(DomainError) as caught:
            await number_changes(feed.world.services, feed.world.admin, after=cursor)
        assert caught.value.code is ErrorCode.INVALID_FIELD and caught.value.field == ("after",)


async def test_negative_first_or_wait_is_an_invalid_field(feed: Feed) -> None:
    for args in ({"first": -1}, {"wait_seconds": -1}):
        with pytest.raises(DomainError) as caught:
            await number_changes(feed.world.services, feed.world.admin, **args)  # type: ignore[arg-type]
        assert caught.value.code is ErrorCode.INVALID_FIELD


async def test_unrelated_account_hears_nothing_of_another_tenants_numbers(feed: Feed) -> None:
    w = feed.world
    await numbers.add_numbers(
        w.services, w.admin, refs(N), state=State.IN_SERVICE, account_id=w.reseller.id, carrier="inventory"
    )
    cursor_u = await now(feed, w.unrelated)
    cursor_r = await now(feed, w.reseller)
    await numbers.update_number(w.services, w.reseller, refs(N)[0], public={"cnam": {"display_name": "R"}})
    await numbers.reserve_numbers(w.services, w.reseller, refs(N), account_id=w.child.id)
    await numbers.release_numbers(w.services, w.child, refs(N))  # into aging: the child's, not U's
    heard_by_r = await number_changes(w.services, w.reseller, after=cursor_r)
    assert heard_by_r.changes and heard_by_r.changes[-1].state is State.AGING  # quick writes may merge
    page = await number_changes(w.services, w.unrelated, after=cursor_u, wait_seconds=1)
    assert page.changes == []


async def test_a_deletion_appears_once_as_deleted_to_those_who_could_see_the_number(feed: Feed) -> None:
    w = feed.world
    await numbers.add_numbers(w.services, w.admin, refs(N), state=State.IN_SERVICE, account_id=w.reseller.id)
    who = {"admin": w.admin, "reseller": w.reseller, "child": w.child, "unrelated": w.unrelated}
    cursors = {name: await now(feed, r) for name, r in who.items()}
    deleted = await numbers.delete_numbers(w.services, w.admin, refs(N))
    assert not deleted.errors
    heard = {name: (await number_changes(w.services, r, after=cursors[name])).changes for name, r in who.items()}
    assert {name: len(events) for name, events in heard.items()} == {
        "admin": 1, "reseller": 1, "child": 0, "unrelated": 0,
    }
    event = heard["reseller"][0]
    assert (event.e164, event.deleted, event.state, event.number) == (N, True, State.DELETED, None)


async def test_an_account_that_loses_sight_of_a_number_hears_of_it_without_its_data(feed: Feed) -> None:
    w = feed.world
    await numbers.add_numbers(w.services, w.admin, refs(N), state=State.IN_SERVICE, account_id=w.reseller.id)
    cursor = await now(feed, w.reseller)
    await numbers.activate_numbers(w.services, w.admin, refs(N), account_id=w.unrelated.id)
    (event,) = (await number_changes(w.services, w.reseller, after=cursor)).changes
    assert (event.e164, event.state, event.number, event.transition) == (N, State.IN_SERVICE, None, None)


async def test_pages_are_capped_by_first_and_say_when_more_remain(feed: Feed) -> None:
    w = feed.world
    cursor = await now(feed, w.admin)
    items = [f"+1415555{i:04d}" for i in range(5)]
    await stock(w, *items)
    seen: list[str] = []
    while True:
        page = await number_changes(w.services, w.admin, after=cursor, first=2)
        assert len(page.changes) <= 2
        seen += [c.e164 for c in page.changes]
        cursor = page.cursor
        if not page.has_more:
            break
    assert seen == items


async def test_resuming_with_the_last_cursor_after_a_restart_loses_no_change(feed: Feed) -> None:
    w = feed.world
    cursor = await now(feed, w.admin)
    await stock(w, N)
    first = await number_changes(w.services, w.admin, after=cursor)
    assert [c.e164 for c in first.changes] == [N]
    await feed.hub.stop()  # the process goes away; changes keep happening elsewhere
    await stock(w, M)
    await numbers.activate_numbers(w.services, w.reseller, refs(N))
    await feed.hub.start()  # a new process: its memory starts from now, the old cursor reads the store
    resumed = await number_changes(w.services, w.admin, after=first.cursor)
    assert [(c.e164, c.state) for c in resumed.changes] == [(M, State.AVAILABLE), (N, State.IN_SERVICE)]


async def test_a_hundred_long_pollers_are_served_by_the_one_reader(feed: Feed) -> None:
    w = feed.world
    await stock(w, N)
    cursor = await now(feed, w.reseller)
    pollers = [
        asyncio.create_task(number_changes(w.services, w.reseller, after=cursor, wait_seconds=20), name=f"poller{i}")
        for i in range(100)
    ]
    await asyncio.sleep(0.2)
    await numbers.activate_numbers(w.services, w.reseller, refs(N))
    pages = await asyncio.gather(*pollers)
    assert all([c.e164 for c in p.changes] == [N] for p in pages)
    assert feed.store.readers_of(Db.NUMBERS) == {"numplane-change-hub"}
