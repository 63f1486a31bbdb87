"""The longest stretch one piece of work holds the event loop, in process, per store.

`python -m benchmarks.stretches` (`make bench BENCH_ARGS=stretches`) builds the services numplane serves
(SQLite in a temporary file, pouchdb-server from node_modules) on uvloop and, while a task notes the CPU
time of the loop's thread between two of its turns, runs
  bulk   addNumbers of --numbers numbers (the admin's import), through the resolvers;
  feed   the change hub reading the page those numbers' changes make (up to 500), with the routing
         cache listening as in the server;
  rate   --hits rate limit hits, each after a quiet 12 ms (as a trickle of requests spends them).
It prints, for each, the longest stretch and how many were over 2 ms: what another request waiting for
the loop may wait behind. CPU time, not wall time: the figures hardly depend on how busy the machine is.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import uvloop

from benchmarks.stores import pouchdb
from numplane.changes.hub import ChangeHub
from numplane.domain.fair_share import Budget, Spender
from numplane.domain.states import State
from numplane.resolvers import keys, numbers
from numplane.resolvers.bulk import NumberRef
from numplane.resolvers.context import Requester, Role, Services
from numplane.settings import Settings
from numplane.web.rate_limits import RateLimits


class Stretches:
    """Notes the longest CPU time the loop's thread spends between two turns of this task."""

    def __init__(self) -> None:
        self.longest = 0.0
        self.over_2ms = 0
        self._task: asyncio.Task[None] | None = None

    async def _turns(self) -> None:
        last = time.thread_time()
        while True:
            await asyncio.sleep(0)
            now = time.thread_time()
            self.longest = max(self.longest, now - last)
            self.over_2ms += now - last > 0.002
            last = now

    @contextlib.asynccontextmanager
    async def watching(self) -> AsyncIterator[None]:
        self._task = asyncio.create_task(self._turns())
        await asyncio.sleep(0)
        try:
            yield
        finally:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


async def measured(work: Callable[[], Awaitable[Any]]) -> tuple[float, int]:
    """The longest stretch (ms) while `work` runs, and how many stretches were over 2 ms."""
    stretches = Stretches()
    async with stretches.watching():
        await work()
    return stretches.longest * 1000, stretches.over_2ms


async def measure(url: str, count: int, hits: int) -> dict[str, tuple[float, int]]:
    services = Services.from_settings(Settings(store=url, carriers="simulated"))
    store = services.store
    await store.open()
    hub = ChangeHub(store, poll_interval=3600)  # read only when told to (below), not on a timer
    if services.routing is not None:
        hub.add_listener(services.routing.apply_changes)
    try:
        root, _key, _created = await keys.init_root(services)
        admin = Requester(root, Role.ADMIN)
        await numbers.add_numbers(services, admin, [NumberRef("+14155550000")], state=State.AVAILABLE)  # warm
        await hub.start()
        refs = [NumberRef(f"+1415{2_000_000 + i:07d}") for i in range(count)]
        results = {}
        results["bulk"] = await measured(lambda: numbers.add_numbers(services, admin, refs, state=State.AVAILABLE))
        results["feed"] = await measured(hub.sync)
        limits = RateLimits({who: Budget.parse("1000/1000000") for who in Spender})

        async def trickle() -> None:
            for index in range(hits):
                await asyncio.sleep(0.012)
                limits.hit(Spender.USER, f"key {index % 10}")

        results["rate"] = await measured(trickle)
        return results
    finally:
        await hub.stop()
        await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--numbers", type=int, default=1000, help="numbers in the bulk addNumbers")
    parser.add_argument("--hits", type=int, default=200, help="rate limit hits")
    parser.add_argument("--stores", default="sqlite,couchdb")
    args = parser.parse_args()
    print(f"the longest stretch of CPU time the event loop is held (bulk: addNumbers of {args.numbers};"
          f" feed: the hub reading their changes; rate: {args.hits} rate limit hits after quiet moments)")
    print(f"{'store':<9}{'work':<6}{'longest stretch ms':>20}{'over 2 ms':>11}")
    for store in args.stores.split(","):
        with tempfile.TemporaryDirectory() as scratch, contextlib.ExitStack() as stack:
            url = stack.enter_context(pouchdb()) if store == "couchdb" else f"sqlite:///{Path(scratch) / 's.db'}"
            results = uvloop.run(measure(url, args.numbers, args.hits))
        for work, (longest, over) in results.items():
            print(f"{store:<9}{work:<6}{longest:>20.1f}{over:>11}")


if __name__ == "__main__":
    main()
