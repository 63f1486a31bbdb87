"""numplane's own CPU per single-number transition, in-process, on each store (issue 18).

Run with `make bench BENCH_ARGS=transitions` or `python -m benchmarks.transitions [--profile]`. For each
store (SQLite in a temporary file, pouchdb-server from node_modules) it builds the app numplane serves,
drives it through ASGI calls without a client in the process (16 concurrent callers, each activating and
releasing its own number, as `make bench BENCH_ARGS=api` does over HTTP) and prints the process CPU
(every thread: the SQLite worker included) per
  activate / release through the app            the whole path: body, GraphQL, resolvers, store, change feed
  activate / release through the resolvers      the same without HTTP and GraphQL
  { __typename } through the app                the floor of a GraphQL request
the change feed's number documents through the app (read whole, or as just id and revision: the process's
own writes) and the CouchDB store's CPU per transition ÷ the SQLite store's. Process CPU, not rates: it does not
depend on how busy the shared machine is, so it compares runs that wrk's rates cannot. `--profile` adds
a cProfile of transitions through the app (a separate run, before the measured one), for the event loop's
thread and the SQLite store's worker thread, sorted by own time.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import uvloop
from starlette.types import ASGIApp, Message

from benchmarks.api import ACTIVATE, ADD, CLIENTS, POOL, RELEASE
from benchmarks.budgets import UNLIMITED_SETTINGS
from benchmarks.stores import each_store
from numplane.app import collect_as_served, create_app
from numplane.resolvers import keys, numbers
from numplane.resolvers.bulk import NumberRef
from numplane.resolvers.context import Requester, Services
from numplane.settings import Settings
from numplane.store.base import ChangePage, Db, is_stub
from numplane.store.coalesced import CoalescedStore


@dataclass(frozen=True)
class Costs:
    through_app: float  # CPU ms per transition
    through_resolvers: float
    typename: float
    groups: str  # callers per store call through the app, then through the resolvers (numplane.store.coalesced)
    feed: str  # the change feed's number documents through the app: read whole, or as id and revision


def innermost(store: Any) -> Any:
    """The backend under the store's wrappers (observed, coalesced)."""
    while hasattr(store, "inner"):
        store = store.inner
    return store


def merged_calls(store: Any) -> Counter[tuple[str, int]]:
    """The coalescing wrapper's calls by (operation, callers merged), or nothing when it is not there."""
    while not isinstance(store, CoalescedStore) and hasattr(store, "inner"):
        store = store.inner
    return store.group_sizes if isinstance(store, CoalescedStore) else Counter()


class FeedDocuments:
    """Counts the number documents the backend's change feed answers, whole or as just their id and
    revision (the change hub's own writes: numplane.store.base `own`), each counted once per read."""

    def __init__(self, store: Any) -> None:
        self.whole = self.stubs = 0
        backend = innermost(store)
        read = backend.changes

        async def changes(db: Db, since: str | None, limit: int, **options: Any) -> ChangePage:
            page: ChangePage = await read(db, since, limit, **options)
            if db is Db.NUMBERS:
                stubs = sum(1 for change in page.changes if is_stub(change.doc))
                self.stubs += stubs
                self.whole += len(page.changes) - stubs
            return page

        backend.changes = changes

    def report(self, transitions: int) -> str:
        read = self.whole + self.stubs
        return (f"{read / transitions:.2f} documents a transition, {self.whole / max(read, 1):.0%} of them whole"
                f" ({self.whole} whole, {self.stubs} as id and revision)")


def group_report(calls: Counter[tuple[str, int]]) -> str:
    parts = []
    for operation in ("get_many", "put_many"):
        sizes = {size: n for (op, size), n in calls.items() if op == operation}
        made, callers = sum(sizes.values()), sum(size * n for size, n in sizes.items())
        if made:
            spread = " ".join(f"{size}:{sizes[size]}" for size in sorted(sizes))
            parts.append(f"{operation} {callers / made:.1f} callers a call ({spread})")
    return "; ".join(parts) or "no merging"


async def call(app: ASGIApp, key: str, query: str, variables: dict[str, Any] | None = None) -> bytes:
    """One POST /graphql through the ASGI app; the response body."""
    raw = json.dumps({"query": query, "variables": variables or {}}).encode()
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": "/graphql", "raw_path": b"/graphql", "query_string": b"", "root_path": "",
        "headers": [(b"content-type", b"application/json"), (b"authorization", f"Bearer {key}".encode()),
                    (b"content-length", str(len(raw)).encode())],
        "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80),
    }
    messages = [{"type": "http.request", "body": raw, "more_body": False}]
    sent: list[Message] = []

    async def receive() -> Message:
        if messages:
            return messages.pop()
        await asyncio.Event().wait()  # the client never disconnects
        raise AssertionError("unreachable")

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


def run_sides(
    description: str, heading: str, measure: Callable[[str, int, int], Awaitable[list[str]]], batches: int
) -> None:
    """The `main` of an in-process benchmark that measures two sides of a switch in batches taken in turns,
    on each store: `measure(store_url, batches, transitions)` answers the lines printed under the store."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--batches", type=int, default=batches, help="batches per side and path")
    parser.add_argument("--transitions", type=int, default=320, help="transitions per batch")
    parser.add_argument("--no-couch", action="store_true", help="only the SQLite store")
    args = parser.parse_args()
    results = {
        STORE_NAMES[store]: uvloop.run(measure(url, args.batches, args.transitions))
        for store, url in each_store(couch=not args.no_couch)
    }
    print(heading)
    for name, lines in results.items():
        print(f"  {name}")
        for line in lines:
            print(f"    {line}")


@asynccontextmanager
async def running(store_url: str) -> Any:
    """The app `numplane serve` runs, started (lifespan), with the benchmark's pool seeded: (app, services, key)."""
    services = Services.from_settings(Settings(store=store_url, **UNLIMITED_SETTINGS))
    app = create_app(services=services)
    await services.store.open()
    _root, key, _created = await keys.init_root(services)
    events: asyncio.Queue[Message] = asyncio.Queue()
    started = asyncio.Event()

    async def receive() -> Message:
        return await events.get()

    async def send(message: Message) -> None:
        if message["type"].startswith("lifespan.startup"):
            started.set()

    await events.put({"type": "lifespan.startup"})
    lifespan = asyncio.create_task(app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send))
    await started.wait()
    try:
        await call(app, key, ADD, {"n": [{"number": n} for n in POOL], "s": "AVAILABLE", "c": "inventory", "a": None})
        await call(app, key, "mutation { updateSystemConfig(input: {shouldAge: false}) { userErrors { code } } }")
        # The collector as `numplane serve` sets it (numplane.app.served_app): at the default threshold a
        # transition paid for ~3x more collections than it does served, most of them in the SQLite thread.
        collect_as_served()
        yield app, services, key
    finally:
        await events.put({"type": "lifespan.shutdown"})
        await lifespan


Cycle = Callable[[int], Awaitable[None]]
STORE_NAMES = {"sqlite": "SQLite", "couchdb": "CouchDB"}  # as the reports name them


def cycles(app: ASGIApp, services: Services, key: str, requester: Requester) -> tuple[Cycle, Cycle]:
    """How client `index` cycles its own number of POOL (activate, then release): through POST /graphql,
    and through the resolvers without HTTP and GraphQL. Each raises when a transition fails, so a benchmark
    never times refusals."""

    async def through_app(index: int) -> None:
        for query in (ACTIVATE, RELEASE):
            answer = await call(app, key, query, {"n": POOL[index]})
            if b'"userErrors":[]' not in answer:
                raise RuntimeError(f"the transition failed: {answer[:300]!r}")

    async def through_resolvers(index: int) -> None:
        refs = [NumberRef(POOL[index])]
        for result in (await numbers.activate_numbers(services, requester, refs),
                       await numbers.release_numbers(services, requester, refs)):
            if result.errors:
                raise RuntimeError(f"the transition failed: {result.errors[0]}")

    return through_app, through_resolvers


async def cpu_per_call(calls: int, one: Callable[[int], Awaitable[None]]) -> float:
    """CPU ms per call of `one(client)`, `calls` calls spread over the concurrent clients."""
    rounds = max(1, calls // CLIENTS)

    async def client(index: int) -> None:
        for _ in range(rounds):
            await one(index)

    before = time.process_time()
    await asyncio.gather(*(client(i) for i in range(CLIENTS)))
    return 1000 * (time.process_time() - before) / (rounds * CLIENTS)


async def profiled(services: Services, work: Awaitable[Any]) -> None:
    """Run `work` under cProfile in the event loop's thread and, on the SQLite store, in its worker thread
    too (a profile follows one thread; each is timed by its own CPU clock), and print both."""
    worker = getattr(innermost(services.store), "_executor", None)  # the SQLite store's one thread
    loop = asyncio.get_running_loop()
    profilers = {"event loop thread": cProfile.Profile(time.thread_time)}
    profilers["event loop thread"].enable()
    if worker is not None:
        profilers["SQLite worker thread"] = cProfile.Profile(time.thread_time)
        await loop.run_in_executor(worker, profilers["SQLite worker thread"].enable)
    await work
    profilers["event loop thread"].disable()
    if worker is not None:
        await loop.run_in_executor(worker, profilers["SQLite worker thread"].disable)
    for name, profiler in profilers.items():
        print(f"--- {name} (cProfile inflates Python-level calls against C ones)")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(40)


async def measure(store_url: str, transitions: int, profile: bool) -> Costs:
    async with running(store_url) as (app, services, key):
        requester = await keys.authenticate(services, key)
        assert requester is not None

        cycle, cycle_resolvers = cycles(app, services, key, requester)

        async def typename(_index: int) -> None:
            await call(app, key, "{ __typename }")

        await cpu_per_call(CLIENTS * 20, cycle)  # warm caches and connections
        if profile:
            await profiled(services, cpu_per_call(transitions // 2, cycle))
        calls = merged_calls(services.store)
        before = Counter(calls)
        feed = FeedDocuments(services.store)
        through_app = await cpu_per_call(transitions // 2, cycle) / 2
        feed_report = feed.report(transitions)
        groups = group_report(calls - before)
        before = Counter(calls)
        through_resolvers = await cpu_per_call(transitions // 2, cycle_resolvers) / 2
        groups += "\n           store calls through the resolvers: " + group_report(calls - before)
        floor = await cpu_per_call(transitions, typename)
        return Costs(through_app, through_resolvers, floor, groups, feed_report)


def report(name: str, costs: Costs) -> str:
    return (
        f"  {name:<8} per transition: {costs.through_app:5.2f} ms through the app, {costs.through_resolvers:5.2f} ms"
        f" through the resolvers; {{ __typename }} {costs.typename:5.3f} ms"
        f" (transition ÷ __typename {costs.through_app / costs.typename:4.1f}x)"
        f"\n           store calls through the app: {costs.groups}"
        f"\n           change feed through the app: {costs.feed}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transitions", type=int, default=3200, help="transitions measured per store")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the transitions")
    parser.add_argument("--no-couch", action="store_true", help="only the SQLite store")
    args = parser.parse_args()
    # uvloop, as `numplane serve` runs
    results = {
        STORE_NAMES[store]: uvloop.run(measure(url, args.transitions, args.profile))
        for store, url in each_store(couch=not args.no_couch)
    }
    print(f"numplane process CPU, in-process, {CLIENTS} concurrent callers each cycling its own number")
    for name, costs in results.items():
        print(report(name, costs))
    if "CouchDB" in results:
        ratio = results["CouchDB"].through_app / results["SQLite"].through_app
        print(f"  CouchDB ÷ SQLite per transition through the app: {ratio:.2f}x (issue 18: at most 1.3x)")


if __name__ == "__main__":
    main()
