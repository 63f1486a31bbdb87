"""Port request changes in the change feed (issue 13): a second, typed kind of event beside number
changes, for listeners (webhooks) and for portRequestChanged subscribers filtered by visibility."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from numplane.changes.hub import PortRequestEntry
from numplane.domain.port_requests import Change, Details, PortState
from numplane.resolvers import port_changes, port_requests
from numplane.store.base import Db
from tests.changes.conftest import Feed

A = "+14155550191"


async def take(events: AsyncIterator[PortRequestEntry], count: int) -> list[PortRequestEntry]:
    taken = []
    async for event in events:
        taken.append(event)
        if len(taken) == count:
            break
    return taken


async def subscribed(feed: Feed, count: int) -> None:
    for _ in range(1000):
        if feed.hub.port_subscribers >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"only {feed.hub.port_subscribers} of {count} port subscriptions started")


async def until_heard(heard: list[PortRequestEntry], count: int) -> None:
    # Like CouchDB's feed, the store's holds each document once at its latest change: two writes between
    # two polls reach listeners as one event carrying the request as it is (its log keeps every move).
    for _ in range(1000):
        if len(heard) >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"heard {len(heard)} of {count} changes")


async def test_listeners_receive_each_request_change_typed_by_what_it_did(feed: Feed) -> None:
    w = feed.world
    heard: list[PortRequestEntry] = []
    feed.hub.add_port_listener(heard.extend)
    outcome = await port_requests.create_port_request(w.services, w.child, Details(), [A])
    assert outcome.request is not None
    await until_heard(heard, 1)
    await port_requests.add_comment(w.services, w.child, outcome.request.id, "hello")
    await until_heard(heard, 2)
    assert [(e.request.id, e.request.last_change) for e in heard] == [
        (outcome.request.id, Change.CREATED), (outcome.request.id, Change.COMMENTED)]


async def test_subscribers_hear_of_requests_they_can_see_and_admin_only_comments_reach_admins(feed: Feed) -> None:
    w = feed.world
    outcome = await port_requests.create_port_request(w.services, w.child, Details(), [A])
    assert outcome.request is not None
    rid = outcome.request.id
    child = asyncio.create_task(asyncio.wait_for(take(port_changes.subscribe(w.services, w.child), 2), 10))
    unrelated = asyncio.create_task(take(port_changes.subscribe(w.services, w.unrelated), 1))
    admin = port_changes.subscribe(w.services, w.admin)
    admin_heard: list[Change] = []
    steps = [
        port_requests.add_comment(w.services, w.admin, rid, "internal note", admin_only=True),
        port_requests.add_comment(w.services, w.admin, rid, "we need the bill"),
        port_requests.move_port_request(w.services, w.child, rid, PortState.CANCELED),
    ]
    for step in steps:
        # Each write is heard before the next is made, so the feed cannot fold two into one event.
        following = asyncio.create_task(asyncio.wait_for(anext(admin), 10))
        await subscribed(feed, 3)
        await step
        admin_heard.append((await following).request.last_change)
    assert admin_heard == [Change.ADMIN_COMMENTED, Change.COMMENTED, Change.MOVED]
    assert [e.request.last_change for e in await child] == [Change.COMMENTED, Change.MOVED]
    assert not unrelated.done()
    unrelated.cancel()
    await admin.aclose()


async def test_a_port_reader_caught_up_with_the_hub_is_answered_without_a_store_read(feed: Feed) -> None:
    w = feed.world
    start = feed.hub.ports_position
    reader = asyncio.current_task()
    assert reader is not None

    assert (await feed.hub.read_ports(start, 10)).entries == []
    assert feed.store.reads[(Db.PORTS, reader.get_name())] == 0

    # A write of this process the hub has not read yet: the reader still gets it at once.
    outcome = await port_requests.create_port_request(w.services, w.child, Details(), [A])
    page = await feed.hub.read_ports(start, 10)
    assert [e.request.id for e in page.entries] == [outcome.request.id]
