"""Change feed: latency from a mutation to a subscriber's event, and the store load with 100 subscribers.

`python -m benchmarks.feed` measures both stores: the embedded SQLite file, and CouchDB's API served by
a pouchdb-server this script starts (needs `npm ci --ignore-scripts` first). Each mutation is a local
write, so the reader is woken at once by the ObservedStore; a write by another replica would wait for
the next poll (at most the poll interval).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

from benchmarks.figures import Column, p50, p99, table
from benchmarks.stores import pouchdb
from numplane.changes.hub import ChangeHub
from numplane.domain.states import State
from numplane.resolvers import numbers
from numplane.resolvers.bulk import NumberRef
from numplane.resolvers.changes import subscribe
from numplane.store import store_from_url
from numplane.store.base import ChangePage, Db, Store
from numplane.store.observed import ObservedStore
from tests.resolvers.conftest import make_world


class CountingStore(ObservedStore):
    def __init__(self, inner: Store) -> None:
        super().__init__(inner)
        self.feed_reads = 0

    async def changes(
        self, db: Db, since: str | None, limit: int, *, held: Mapping[str, str] | None = None, own: bool = False
    ) -> ChangePage:
        self.feed_reads += 1
        return await super().changes(db, since, limit, held=held, own=own)


async def measure(url: str, prefix: str, *, mutations: int, subscribers: int, idle: float) -> dict[str, float]:
    inner = store_from_url(url, db_prefix=prefix)
    await inner.open()
    store = CountingStore(inner)
    world = await make_world(store)
    hub = ChangeHub(store)
    world.services.hub = hub
    await hub.start()
    items = [f"+1415555{i:04d}" for i in range(mutations)]
    await numbers.add_numbers(world.services, world.admin, [NumberRef(n) for n in items], state=State.AVAILABLE)
    written: dict[str, float] = {}  # when the write returned from the store (what the listener sees)
    store.listen(lambda db, docs: written.update({d["_id"]: time.perf_counter() for d in docs if db is Db.NUMBERS}))
    queues: list[asyncio.Queue[tuple[str, float]]] = [asyncio.Queue() for _ in range(subscribers)]

    async def follow(queue: asyncio.Queue[tuple[str, float]]) -> None:
        async for event in subscribe(world.services, world.reseller):
            queue.put_nowait((event.e164, time.perf_counter()))

    followers = [asyncio.create_task(follow(q)) for q in queues]
    while hub.subscribers < subscribers:
        await asyncio.sleep(0.01)
    latencies = []
    for item in items:
        await numbers.activate_numbers(world.services, world.reseller, [NumberRef(item)])
        for queue in queues:  # every subscriber must have it before the next mutation
            while True:
                e164, arrived = await queue.get()
                if e164 == item:
                    latencies.append((arrived - written[item]) * 1000)
                    break
    # Store load while 100 subscribers wait and nothing changes.
    before, t0 = store.feed_reads, time.perf_counter()
    await asyncio.sleep(idle)
    idle_rate = (store.feed_reads - before) / (time.perf_counter() - t0)
    for task in followers:
        task.cancel()
    await hub.stop()
    await inner.close()
    return {"p50_ms": p50(latencies), "p99_ms": p99(latencies), "feed_reads_per_s_idle": idle_rate}


async def main(mutations: int, subscribers: int, idle: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = await measure(
            f"sqlite:///{Path(tmp) / 'feed.db'}", "numplane", mutations=mutations, subscribers=subscribers, idle=idle
        )
    with pouchdb() as url:
        couch = await measure(url, "bench", mutations=mutations, subscribers=subscribers, idle=idle)
    print(f"{mutations} mutations x {subscribers} subscribers: each delivery, from the write's return to the event")
    columns = (Column("store", 10, left=True), Column("p50 ms", 10, ".1f"), Column("p99 ms", 10, ".1f"),
               Column("feed reads/s (idle, 2 feeds)", 32, ".1f"))
    print(table(columns, [(name, f["p50_ms"], f["p99_ms"], f["feed_reads_per_s_idle"])
                          for name, f in (("sqlite", sqlite), ("couchdb", couch))]))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mutations", type=int, default=200)
    parser.add_argument("--subscribers", type=int, default=100)
    parser.add_argument("--idle", type=float, default=5.0, help="seconds of idle load measurement")
    args = parser.parse_args()
    asyncio.run(main(args.mutations, args.subscribers, args.idle))
