"""The fan-out benchmark's cheap subscriber tallies exactly what each subscription heard from a real server."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter

import pytest

from benchmarks.ws_tally import Refused, Subscriber
from tests.support.served import served_ws as served

ADD = 'mutation($n: String!) { addNumbers(input: {numbers: [{number: $n}], state: AVAILABLE}) { userErrors { code } } }'


async def test_the_tally_counts_each_subscriptions_next_messages_by_number(store_url: tuple[str, str]) -> None:
    async with served(store_url) as (api, url):
        subscriber = Subscriber(url, api.keys["reseller"])
        subscribed = asyncio.Event()
        queries = [(name, "subscription { numberChanged { e164 state } }") for name in ("a", "b")]
        following = asyncio.create_task(subscriber.run(queries, subscribed))
        try:
            await asyncio.wait_for(subscribed.wait(), 10)
            hub = api.services.hub
            assert hub is not None
            async with asyncio.timeout(10):
                while hub.subscribers < 1:
                    await asyncio.sleep(0.02)
                await asyncio.sleep(0.2)  # the second subscribe joins the first one's broadcast
            for number in ("+14155550123", "+14155550124"):
                await api.data(ADD, {"n": number})
            async with asyncio.timeout(10):
                while subscriber.messages < 4:
                    await asyncio.sleep(0.02)
        finally:
            following.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await following
    heard = {(o, n): 1 for o in (b"a", b"b") for n in (b"+14155550123", b"+14155550124")}
    assert subscriber.heard == Counter(heard)


async def test_a_message_other_than_a_next_ends_the_tally(store_url: tuple[str, str]) -> None:
    async with served(store_url) as (api, url):
        subscriber = Subscriber(url, api.keys["reseller"])
        with pytest.raises(Refused, match="not a `next`"):
            await asyncio.wait_for(subscriber.run([("a", "subscription { nope }")]), 10)
