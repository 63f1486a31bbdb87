"""numberChanged (SPEC §9): live events through the hub, filtered per subscriber, slow ones dropped."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from numplane.domain.errors import DomainError, ErrorCode
from numplane.domain.states import State
from numplane.resolvers import numbers
from numplane.resolvers.changes import NumberChangeEvent, subscribe
from numplane.store.base import Db
from tests.changes.conftest import Feed
from tests.resolvers.test_lifecycle_scenarios import refs, stock

N = "+14155550123"
M = "+14155550124"


async def take(events: AsyncIterator[NumberChangeEvent], count: int) -> list[NumberChangeEvent]:
    taken = []
    async for event in events:
        taken.append(event)
        if len(taken) == count:
            break
    return taken


async def subscribed(feed: Feed, count: int) -> None:
    """Until `count` subscriptions are registered (a subscription starts on its first read)."""
    for _ in range(1000):
        if feed.hub.subscribers >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"only {feed.hub.subscribers} of {count} subscriptions started")


async def test_a_subscriber_receives_a_change_made_after_it_subscribed(feed: Feed) -> None:
    w = feed.world
    await stock(w, N)
    events = subscribe(w.services, w.reseller)
    receiving = asyncio.create_task(asyncio.wait_for(take(events, 1), 10))
    await subscribed(feed, 1)
    await numbers.activate_numbers(w.services, w.reseller, refs(N))
    (event,) = await receiving
    assert (event.e164, event.state, event.deleted) == (N, State.IN_SERVICE, False)
    assert event.number is not None and event.number.owner == w.reseller.id


async def test_unrelated_subscriber_receives_nothing_of_another_tenant(feed: Feed) -> None:
    w = feed.world
    await numbers.add_numbers(
        w.services, w.admin, refs(N), state=State.IN_SERVICE, account_id=w.reseller.id, carrier="inventory"
    )
    unrelated = asyncio.create_task(take(subscribe(w.services, w.unrelated), 1))
    reseller = subscribe(w.services, w.reseller)
    first = asyncio.create_task(asyncio.wait_for(take(reseller, 1), 10))
    await subscribed(feed, 2)
    await numbers.update_number(w.services, w.reseller, refs(N)[0], public={"cnam": {"display_name": "R"}})
    updated = await first
    await numbers.delete_numbers(w.services, w.admin, refs(N))
    deleted = await asyncio.wait_for(take(reseller, 1), 10)
    assert [e.deleted for e in updated + deleted] == [False, True]
    assert not unrelated.done()
    unrelated.cancel()


async def test_filter_by_account_and_state(feed: Feed) -> None:
    w = feed.world
    await stock(w, N, M)
    child_only = asyncio.create_task(
        asyncio.wait_for(take(subscribe(w.services, w.reseller, account_id=w.child.id), 1), 10)
    )
    reserved_only = asyncio.create_task(
        asyncio.wait_for(take(subscribe(w.services, w.reseller, states=[State.RESERVED]), 1), 10)
    )
    await subscribed(feed, 2)
    await numbers.activate_numbers(w.services, w.reseller, refs(N))  # the reseller's own, in service
    await numbers.reserve_numbers(w.services, w.reseller, refs(M), account_id=w.child.id)
    assert [e.e164 for e in await child_only] == [M]
    assert [e.e164 for e in await reserved_only] == [M]


async def test_filter_on_an_account_the_requester_cannot_see_is_not_found(feed: Feed) -> None:
    with pytest.raises(DomainError) as caught:
        await take(subscribe(feed.world.services, feed.world.child, account_id=feed.world.unrelated.id), 1)
    assert caught.value.code is ErrorCode.NOT_FOUND


async def test_a_hundred_subscribers_are_fed_by_the_one_reader(feed: Feed) -> None:
    w = feed.world
    await stock(w, N)
    listeners = [
        asyncio.create_task(asyncio.wait_for(take(subscribe(w.services, w.reseller), 1), 20)) for _ in range(100)
    ]
    await subscribed(feed, 100)
    await numbers.activate_numbers(w.services, w.reseller, refs(N))
    received = await asyncio.gather(*listeners)
    assert all([e.e164 for e in events] == [N] for events in received)
    assert feed.store.readers_of(Db.NUMBERS) == {"numplane-change-hub"}
    for _ in range(100):  # each ended subscription leaves the hub
        if feed.hub.subscribers == 0:
            break
        await asyncio.sleep(0.01)
    assert feed.hub.subscribers == 0


async def test_a_slow_subscriber_is_dropped_with_a_clear_error_and_its_backlog_freed(feed: Feed) -> None:
    w = feed.world
    feed.hub.queue_limit = 3
    events = subscribe(w.services, w.admin)
    first = asyncio.create_task(asyncio.wait_for(take(events, 1), 10))
    await subscribed(feed, 1)
    await stock(w, "+14155550100")
    await first  # now it stops reading while numbers keep coming
    (subscription,) = feed.hub._subscriptions
    for i in range(1, 6):
        await stock(w, f"+141555501{i:02d}")
    for _ in range(500):
        if subscription.dropped:
            break
        await asyncio.sleep(0.01)
    assert subscription.dropped and subscription.pending == 0 and feed.hub.subscribers == 0
    with pytest.raises(DomainError) as caught:
        await anext(events)
    assert caught.value.code is ErrorCode.LIMIT_EXCEEDED
