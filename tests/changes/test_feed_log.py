"""The hub's reader logs each batch it takes (at DEBUG) by feed position, and tells how far behind it may be."""

from __future__ import annotations

import asyncio
import logging

import pytest

from numplane.resolvers.changes import number_changes
from tests.changes.conftest import Feed
from tests.resolvers.test_lifecycle_scenarios import stock
from tests.support.log_lines import capture_json, json_lines

N = "+14155550123"


async def test_a_batch_of_number_changes_is_logged_with_its_feed_seq_and_ids(
    feed: Feed, caplog: pytest.LogCaptureFixture
) -> None:
    capture_json(caplog, logging.DEBUG)
    w = feed.world
    cursor = (await number_changes(w.services, w.admin)).cursor
    await stock(w, N)
    page = await number_changes(w.services, w.admin, after=cursor, wait_seconds=20)
    assert [c.e164 for c in page.changes] == [N]
    batches = [line for line in json_lines(caplog, "numplane.changes.hub") if line.get("db") == "numbers"]
    assert any(N in line["ids"] and line["change_seq"] for line in batches), caplog.text


async def test_the_lag_grows_while_the_store_is_unavailable(feed: Feed) -> None:
    feed.store.failures_to_come = 1_000
    await asyncio.sleep(0.5)  # every poll from here fails: the last one to reach the end began before
    assert feed.hub.lag_seconds >= 0.5
