"""What one single-number `addNumbers` costs on CouchDB: the requests numplane sends, and CPU on both sides.

`python -m benchmarks.couch_requests` starts a pouchdb-server and one `numplane serve` on it (debug off,
scheduler off, no rate limits: as benchmarks.fanout runs it), then has the admin add `--writes` available
numbers one mutation after another, with nobody subscribed and again with `--subscribers` WebSockets
subscribed to every change of available numbers (the change hub then reads the feed after each write).
For each phase it prints, per write:
  - every HTTP request numplane sent to the store, by database, method and kind (`_changes`, `_bulk_docs`,
    `_all_docs`, a view by name, a document, the database's info), with the bytes it received for them;
  - the CPU time of pouchdb-server (its node process, /proc/PID/stat) and of numplane's server process.
The server runs under this module (`python -m benchmarks.couch_requests --serve OUTPUT -- serve ...`), which
counts each request at the wire (numplane.store.couch_wire) and writes them to OUTPUT at shutdown; a phase
picks its own by time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import httpx

from benchmarks.budgets import UNLIMITED_ENV
from benchmarks.figures import cpu_seconds
from benchmarks.lifespans import around_lifespan
from benchmarks.seeding import gql
from benchmarks.ws_tally import Subscriber
from tests.support.couch import CouchServer
from tests.support.server import Server

ADD = "mutation($n: [NumberRef!]!) { addNumbers(input: {numbers: $n, state: AVAILABLE}) { userErrors { code } } }"
SUBSCRIPTION = "subscription { numberChanged(filter: {states: [AVAILABLE]}) { e164 state number { e164 state } } }"


# -- inside the server: every request at the wire -----------------------------------------------------


def kind(method: str, target: str) -> str:
    """A request's database and kind, e.g. `numbers GET _changes include_docs` or `accounts POST _all_docs`."""
    parts = urlsplit(target)
    path = unquote(parts.path).lstrip("/")
    db, _, rest = path.partition("/")
    db = db.removeprefix("numplane_")
    query = parse_qs(parts.query)
    if not rest:
        what = "info"
    elif rest.startswith("_design/numplane/_view/"):
        what = "view " + rest.rsplit("/", 1)[-1]
    elif rest.startswith("_"):
        what = rest
    else:
        what = "doc"
    if query.get("include_docs") == ["true"]:
        what += " include_docs"
    return f"{db} {method} {what}"


def count_requests(output: Path) -> Callable[[], None]:
    """Wrap the CouchDB client's exchange to note (unix time, kind, bytes received) of every request."""
    from numplane.store import couch_wire

    original = couch_wire.WirePool.exchange
    noted: list[tuple[float, str, int]] = []

    async def counted(pool: couch_wire.WirePool, method: str, target: str, body: bytes | None,
                      headers: Any = None) -> tuple[int, bytes]:
        status, content = await original(pool, method, target, body, headers)
        noted.append((time.time(), kind(method, target), len(content)))
        return status, content

    couch_wire.WirePool.exchange = counted  # type: ignore[method-assign]
    return lambda: output.write_text(json.dumps(noted))


def serve(output: Path, serve_args: list[str]) -> None:
    import numplane.app
    from numplane import cli

    write = count_requests(output)

    @asynccontextmanager
    async def writing() -> AsyncIterator[None]:
        try:
            yield
        finally:
            write()

    numplane.app.served_app = around_lifespan(numplane.app.served_app, writing)  # type: ignore[method-assign]
    sys.argv = ["numplane", *serve_args]
    cli.main()


# -- the driver ----------------------------------------------------------------------------------------


async def subscribed(url: str, key: str, connections: int, ready: asyncio.Event, stop: asyncio.Event) -> None:
    """`connections` WebSockets, one subscription each, tallying every message (benchmarks.ws_tally) until `stop`."""
    followers = [Subscriber(url, key) for _ in range(connections)]
    tasks = [asyncio.create_task(f.run([("1", SUBSCRIPTION)])) for f in followers]
    await asyncio.sleep(1.0)  # every subscribe message sent and registered
    ready.set()
    await stop.wait()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def add(base: str, key: str, numbers: list[str]) -> None:
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=120) as admin:
        for number in numbers:
            gql(admin, ADD, {"n": [{"number": number}]})


def phase(server: Server, couch_pid: int, numbers: list[str]) -> dict[str, float]:
    assert server.process is not None
    time.sleep(1.0)  # the hub's poll after the previous phase settles
    started, before = time.time(), (cpu_seconds(couch_pid), cpu_seconds(server.process.pid))
    add(server.url, server.admin_key, numbers)
    after = (cpu_seconds(couch_pid), cpu_seconds(server.process.pid))
    return {"from": started, "to": time.time(), "couch_cpu": after[0] - before[0], "numplane_cpu": after[1] - before[1]}


def run(args: argparse.Namespace, scratch: Path) -> tuple[list[tuple[str, dict[str, float]]], list[Any]]:
    output = scratch / "requests.json"
    with CouchServer() as couch:
        assert couch._process is not None
        couch_pid = couch._process.pid
        server = Server(couch.url, extra_env={"NUMPLANE_DEBUG": "0", "NUMPLANE_SCHEDULER": "0", **UNLIMITED_ENV},
                        launcher=("-m", "benchmarks.couch_requests", "--serve", str(output), "--"))
        server.start()
        try:
            add(server.url, server.admin_key, [f"+1629999{i:04d}" for i in range(20)])  # warm up
            phases = [("writes, nobody subscribed",
                       phase(server, couch_pid, [f"+1629000{i:04d}" for i in range(args.writes)]))]
            if args.subscribers:
                phases.append((f"writes, {args.subscribers} subscribed", subscribed_phase(server, couch_pid, args)))
        finally:
            server.stop()
    return phases, json.loads(output.read_text())


def subscribed_phase(server: Server, couch_pid: int, args: argparse.Namespace) -> dict[str, float]:
    async def go() -> dict[str, float]:
        ready, stop = asyncio.Event(), asyncio.Event()
        listening = asyncio.create_task(
            subscribed(server.url.replace("http", "ws") + "/graphql", server.admin_key, args.subscribers, ready, stop)
        )
        await ready.wait()
        numbers = [f"+1628000{i:04d}" for i in range(args.writes)]
        result = await asyncio.to_thread(phase, server, couch_pid, numbers)
        stop.set()
        await listening
        return result

    return asyncio.run(go())


def report(phases: list[tuple[str, dict[str, float]]], noted: list[Any], writes: int) -> None:
    for name, figures in phases:
        chosen = [(k, size) for t, k, size in noted if figures["from"] <= t <= figures["to"]]
        counts, sizes = Counter(k for k, _ in chosen), Counter()
        for k, size in chosen:
            sizes[k] += size
        print(f"{name}: {writes} single-number addNumbers, {len(chosen) / writes:.2f} store requests per write,"
              f" pouchdb-server CPU {figures['couch_cpu'] / writes * 1000:.2f} ms per write,"
              f" numplane CPU {figures['numplane_cpu'] / writes * 1000:.2f} ms per write"
              f" ({figures['to'] - figures['from']:.1f} s)")
        for k, n in counts.most_common():
            print(f"  {n / writes:6.2f} per write  {sizes[k] / n:8.0f} bytes each  {k}")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        output, separator, *serve_args = sys.argv[2:]
        assert separator == "--"
        serve(Path(output), serve_args)
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=200, help="single-number addNumbers per phase")
    parser.add_argument("--subscribers", type=int, default=10, help="WebSockets subscribed in the second phase")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        phases, noted = run(args, Path(scratch))
    report(phases, noted, args.writes)


if __name__ == "__main__":
    main()
