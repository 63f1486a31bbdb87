"""A change to a document that cannot be read is left out of the feed and logged; the changes after it
still arrive, through numberChanges and the subscription alike (issue 15, item 6), on both stores."""

from __future__ import annotations

import asyncio
import logging

import pytest

from numplane.domain.states import State
from numplane.resolvers import numbers
from numplane.resolvers.changes import number_changes, subscribe
from numplane.store.base import Db
from tests.changes.conftest import Feed
from tests.changes.test_subscribe import subscribed, take
from tests.resolvers.test_lifecycle_scenarios import refs, stock
from tests.support.unreadable import bad_number_doc, plant

N = "+14155550123"
BAD = "+14155550122"


async def test_number_changes_skip_an_unreadable_change_and_log_its_id(
    feed: Feed, caplog: pytest.LogCaptureFixture
) -> None:
    w = feed.world
    await stock(w, N)
    cursor = (await number_changes(w.services, w.admin)).cursor
    with caplog.at_level(logging.WARNING, logger="numplane.unreadable"):
        await plant(w.services.store, Db.NUMBERS, bad_number_doc(BAD, pvt_history=[{"at": "undefined"}]))
        await numbers.activate_numbers(w.services, w.reseller, refs(N))
        page = await number_changes(w.services, w.admin, after=cursor, wait_seconds=10)
        while not any(c.e164 == N for c in page.changes):  # the two writes may land in two polls
            page = await number_changes(w.services, w.admin, after=page.cursor, wait_seconds=10)
    assert [(c.e164, c.state) for c in page.changes] == [(N, State.IN_SERVICE)]
    assert BAD in caplog.text and "change feed" in caplog.text


async def test_a_subscriber_hears_the_change_after_an_unreadable_one(feed: Feed) -> None:
    w = feed.world
    await stock(w, N)
    receiving = asyncio.create_task(asyncio.wait_for(take(subscribe(w.services, w.admin), 1), 10))
    await subscribed(feed, 1)
    await plant(w.services.store, Db.NUMBERS, bad_number_doc(BAD, pvt_state=42))
    await numbers.activate_numbers(w.services, w.reseller, refs(N))
    (event,) = await receiving
    assert (event.e164, event.state) == (N, State.IN_SERVICE)
    assert feed.hub.running
