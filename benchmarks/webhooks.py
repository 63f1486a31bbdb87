"""Webhooks: latency from a mutation to the receiver, events per second to one fast receiver, and the
store requests each delivered event costs.

`python -m benchmarks.webhooks` (or `make bench BENCH_ARGS=webhooks`) measures both stores: the embedded
SQLite file, and CouchDB's API served by a pouchdb-server this script starts. numplane runs in this
process with its dispatcher, the receiver (verifying every signature with `standardwebhooks`) is a uvicorn
app on 127.0.0.1 in the same event loop, as is the client making the mutations: one core does all three.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from benchmarks.budgets import UNLIMITED_SETTINGS
from benchmarks.figures import Column, p50, p99, table
from benchmarks.stores import pouchdb
from numplane.carriers.registry import CarrierSet
from numplane.domain.states import State
from numplane.domain.webhooks import EventFilter
from numplane.resolvers import numbers, webhooks
from numplane.resolvers.bulk import NumberRef
from numplane.resolvers.context import Requester, Role, Services
from numplane.settings import Settings
from numplane.store import store_from_url
from numplane.store.observed import ObservedStore
from tests.support.api import running_api
from tests.support.counting import CountingStore
from tests.support.receiver import receiving


async def measure(url: str, prefix: str, *, mutations: int, burst: int) -> dict[str, float]:
    settings = Settings(store=url, db_prefix=prefix, scheduler=False, webhooks_allow_private=True,
                        **UNLIMITED_SETTINGS)
    counting = CountingStore(store_from_url(url, db_prefix=prefix))
    services = Services(store=ObservedStore(counting), settings=settings, carriers=CarrierSet.from_settings(settings))
    async with running_api(services) as api, receiving() as receiver:
        admin = Requester(api.accounts["M"], Role.ADMIN)
        reseller = Requester(api.accounts["R"], Role.USER)
        _endpoint, secret = await webhooks.create_webhook(services, reseller, reseller.id, receiver.url, EventFilter())
        receiver.secrets.append(secret)
        items = [f"+1415555{i:04d}" for i in range(mutations)]
        await numbers.add_numbers(services, admin, [NumberRef(n) for n in items], state=State.AVAILABLE)
        # Latency: one mutation at a time, each awaited at the receiver before the next.
        latencies = []
        for item in items:
            started = time.perf_counter()
            await numbers.activate_numbers(services, reseller, [NumberRef(item)])
            count = len(receiver.accepted)
            await receiver.wait_for(lambda r, c=count: len(r.accepted) > c)  # type: ignore[misc]
            latencies.append((time.perf_counter() - started) * 1000)
        # Throughput and store load: a burst of changes in one bulk mutation, drained by the dispatcher.
        bulk = [f"+1415666{i:04d}" for i in range(burst)]
        await numbers.add_numbers(services, admin, [NumberRef(n) for n in bulk], state=State.AVAILABLE)
        counting.calls.clear()
        reads_before = counting.documents_read
        already = len(receiver.accepted)
        started = time.perf_counter()
        for start in range(0, burst, 500):
            await numbers.activate_numbers(services, reseller, [NumberRef(n) for n in bulk[start : start + 500]])
        await receiver.wait_for(lambda r: len(r.accepted) >= already + burst, timeout=600)
        elapsed = time.perf_counter() - started
        calls = dict(counting.calls)
        assert all(r.verified_by == receiver.secrets for r in receiver.received)
    numbers_writes = sum(n for c, n in calls.items() if c.endswith(":numbers"))
    webhook_requests = sum(n for c, n in calls.items() if not c.endswith(":numbers"))
    return {
        "p50_ms": p50(latencies),
        "p99_ms": p99(latencies),
        "events_per_s": burst / elapsed,
        "requests_per_event": webhook_requests / burst,
        "writes_per_event": sum(n for c, n in calls.items() if c.startswith("put_many:system")) / burst,
        "docs_read_per_event": (counting.documents_read - reads_before) / burst,
        "mutation_requests": numbers_writes,
    }


async def main(mutations: int, burst: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = await measure(f"sqlite:///{Path(tmp) / 'hooks.db'}", "numplane", mutations=mutations, burst=burst)
    with pouchdb() as url:
        couch = await measure(url, "bench", mutations=mutations, burst=burst)
    print(f"latency over {mutations} single mutations (mutation start -> receiver); throughput over a burst of {burst}")
    print("store requests per event: every request but the numbers database's (the mutations' own)")
    columns = (Column("store", 10, left=True), Column("p50 ms", 9, ".1f"), Column("p99 ms", 9, ".1f"),
               Column("events/s", 10, ".0f"), Column("requests/event", 16, ".2f"), Column("writes/event", 14, ".2f"),
               Column("docs read/event", 17, ".1f"))
    print(table(columns, [
        (name, f["p50_ms"], f["p99_ms"], f["events_per_s"], f["requests_per_event"], f["writes_per_event"],
         f["docs_read_per_event"])
        for name, f in (("sqlite", sqlite), ("couchdb", couch))
    ]))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mutations", type=int, default=200)
    parser.add_argument("--burst", type=int, default=1000)
    args = parser.parse_args()
    asyncio.run(main(args.mutations, args.burst))
