"""Subscription fan-out beside other tenants: a trivial query's p99 idle, and while changes are fanned out.

`python -m benchmarks.fanout` starts `numplane serve` (one uvicorn worker, uvloop, httptools, debug off)
on each store, then:
  idle    one client sends `{ __typename }` back to back (its own tenant's key) and records each latency,
          before the load and again after it (pooled: one short window catches the machine quiet or busy);
  writes  the same, while the admin makes the changes below with nobody subscribed (the writes' own cost);
  loaded  `--keys` tenants, each with `--connections` WebSockets (the per-key limit) of `--subscriptions`
          subscriptions to every change of available numbers, while the admin adds available numbers in
          bursts of `--changes`, one mutation after another; the same client measures `{ __typename }`
          from the first mutation until every subscriber has received every event.
The subscribers run in a process of their own, so their own work does not delay the measuring client,
and they measure the server rather than their own fight for the same two cores: each connection tallies
its messages by their bytes (benchmarks.ws_tally: no frame objects, no JSON decoding of `next` messages;
the websockets library's clients used about as much CPU as the server), and the process runs at a lower
CPU priority (nice +10) than the server, pouchdb-server, the mutating admin and the probe. The load on the
server is unchanged (the same connections, subscriptions and messages), and every message is checked:
`events` says `ok` only when every subscription heard every change exactly once.
It prints both p99s and their ratio (the goal: loaded within 2x of idle), then, from inside the server
(benchmarks.loop_watch), the longest stretch of CPU time its event loop spent without a turn in each phase
and its longest garbage collection: figures a busy machine distorts far less than the p99s. On CouchDB it
also prints how long the loop waited inside its writes to pouchdb-server without using CPU: the kernel may
give the core to the store a request wakes (or to another process) before the write returns, and meanwhile no
request of numplane's runs.
`--slow` runs the server on asyncio's loop instead and lists the callbacks that held it over 2 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import tempfile
import threading
import time
from collections import Counter
from multiprocessing.synchronize import Event as ProcessEvent
from pathlib import Path
from typing import Any

import httpx

from benchmarks.budgets import UNLIMITED_ENV
from benchmarks.figures import Column, cpu_seconds, p50, p99, table
from benchmarks.seeding import gql
from benchmarks.ws_tally import Subscriber
from tests.support.couch import CouchServer
from tests.support.server import Server

SUBSCRIPTION = "subscription { numberChanged(filter: {states: [AVAILABLE]}) { e164 state number { e164 state } } }"
ADD = "mutation($n: [NumberRef!]!) { addNumbers(input: {numbers: $n, state: AVAILABLE}) { userErrors { code } } }"
PROBE = json.dumps({"query": "{ __typename }"})


def tenant_keys(admin: httpx.Client, count: int) -> list[str]:
    """A user key of a tenant of its own for each of `count` tenants."""
    keys = []
    for index in range(count):
        created = gql(admin, 'mutation($n: String!) { createAccount(input: {name: $n}) { account { accountId } } }',
                      {"n": f"tenant {index}"})
        account = created["createAccount"]["account"]["accountId"]
        key = gql(admin, 'mutation($a: String!) { createApiKey(input: {accountId: $a, role: "user"}) { key } }',
                  {"a": account})
        keys.append(key["createApiKey"]["key"])
    return keys


# -- the subscribers (a process of their own) --------------------------------------------------------


SUBSCRIBERS_NICENESS = 10


def subscribers_process(
    url: str, keys: list[str], connections: int, subscriptions: int, numbers: list[str],
    ready: ProcessEvent, done: ProcessEvent, counter: Any, verdict: Any,
) -> None:
    """Every connection of every key, tallying its messages (benchmarks.ws_tally) until each subscription
    heard each of `numbers`; `verdict` then says whether each heard each exactly once."""
    os.nice(SUBSCRIBERS_NICENESS)  # the load generator yields the cores to the server and the probe

    async def run() -> None:
        followers = [Subscriber(url, key) for key in keys for _ in range(connections)]
        queries = [(str(index), SUBSCRIPTION) for index in range(subscriptions)]
        tasks = [asyncio.create_task(f.run(queries)) for f in followers]
        await asyncio.sleep(2.0)  # every subscribe message sent and registered
        ready.set()
        expected = len(followers) * subscriptions * len(numbers)
        while (received := sum(f.messages for f in followers)) < expected and not any(t.done() for t in tasks):
            counter.value = received
            await asyncio.sleep(0.05)
        counter.value = sum(f.messages for f in followers)
        for task in tasks:
            if task.done() and task.exception() is not None:
                print(f"  subscriber failed: {task.exception()!r}")
                break
        every = Counter({(str(i).encode(), n.encode()): 1 for i in range(subscriptions) for n in numbers})
        verdict.value = all(f.heard == every for f in followers)
        done.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    asyncio.run(run())


def numbers_added(rounds: int, changes: int, area: str) -> list[str]:
    return [f"+1{area}{round_:03d}{index:04d}" for round_ in range(rounds) for index in range(changes)]


def mutate(base: str, admin_key: str, rounds: int, changes: int, area: str) -> None:
    """Bursts of available numbers added one mutation at a time: every subscriber hears of each."""
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {admin_key}"}, timeout=300) as admin:
        for number in numbers_added(rounds, changes, area):
            gql(admin, ADD, {"n": [{"number": number}]})


# -- the measuring client ----------------------------------------------------------------------------


def probe_until(client: httpx.Client, stop: threading.Event | None, count: int) -> list[float]:
    """Latencies (ms) of `{ __typename }`, `count` of them, or until `stop` is set."""
    latencies = []
    while (stop is None and len(latencies) < count) or (stop is not None and not stop.is_set()):
        started = time.perf_counter()
        response = client.post("/graphql", content=PROBE, headers={"content-type": "application/json"})
        latencies.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"probe failed: {response.status_code} {response.text}")
    return latencies


def measure(server: Server, args: argparse.Namespace) -> dict[str, float]:
    base = server.url
    admin = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {server.admin_key}"}, timeout=120)
    keys = tenant_keys(admin, args.keys + 1)
    prober = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {keys.pop()}"}, timeout=120)
    probe_until(prober, None, 200)  # warm up
    phases = {"idle": time.time()}
    idle = probe_until(prober, None, args.probes)
    phases["writes"] = time.time()
    # The same changes with nobody subscribed: what the writes alone cost the other tenant.
    alone = multiprocessing.Process(target=mutate, args=(base, server.admin_key, args.rounds, args.changes, "629"))
    writes_done = threading.Event()
    assert server.process is not None
    writes_cpu = cpu_seconds(server.process.pid)
    alone.start()
    threading.Thread(target=lambda: (alone.join(), writes_done.set()), daemon=True).start()
    writes_only = probe_until(prober, writes_done, 0)
    writes_cpu = cpu_seconds(server.process.pid) - writes_cpu
    phases["between"] = time.time()

    numbers = numbers_added(args.rounds, args.changes, "628")
    expected = len(numbers) * args.keys * args.connections * args.subscriptions
    ready, done = multiprocessing.Event(), multiprocessing.Event()
    counter, verdict = multiprocessing.Value("q", 0), multiprocessing.Value("b", 0)
    subscribers = multiprocessing.Process(
        target=subscribers_process,
        args=(base.replace("http", "ws") + "/graphql", keys, args.connections, args.subscriptions, numbers,
              ready, done, counter, verdict),
    )
    subscribers.start()
    if not ready.wait(60):
        raise RuntimeError("the subscribers did not connect")
    admin.close()
    # The changes come from a process of their own too: a mutating thread here would hold the GIL while
    # the measuring client waits to read its answer.
    mutator = multiprocessing.Process(target=mutate, args=(base, server.admin_key, args.rounds, args.changes, "628"))
    stop = threading.Event()
    threading.Thread(target=lambda: (done.wait(args.timeout), stop.set()), daemon=True).start()
    assert subscribers.pid is not None
    cpu = cpu_seconds(server.process.pid), cpu_seconds(subscribers.pid)
    started = time.perf_counter()
    phases["loaded"] = time.time()
    mutator.start()
    loaded = probe_until(prober, stop, 0)
    phases["after"] = time.time()
    delivered = time.perf_counter() - started
    server_cpu, subscribers_cpu = cpu_seconds(server.process.pid) - cpu[0], cpu_seconds(subscribers.pid) - cpu[1]
    mutator.join()
    subscribers.join(30)
    # Idle again once the changes are delivered, pooled with the first idle: a single two-second window
    # caught the shared machine quiet or busy (its p99 went from 3.8 to 7.1 ms between identical runs),
    # while the loaded phase spans twenty seconds of it. After a pause, so that the subscribers' closing
    # connections are not counted as idle.
    time.sleep(2)
    idle += probe_until(prober, None, args.probes)
    prober.close()
    return {
        "idle_p99": p99(idle), "idle_p50": p50(idle), "loaded_p99": p99(loaded),
        "writes_p99": p99(writes_only) if len(writes_only) > 1 else float("nan"),
        "loaded_p50": p50(loaded), "loaded_max": max(loaded), "probes": len(loaded),
        "events": counter.value, "expected": expected, "delivered_s": delivered,
        "server_cpu_s": server_cpu, "subscribers_cpu_s": subscribers_cpu, "writes_server_cpu_s": writes_cpu,
        "every_event_once": float(verdict.value), **{f"at_{k}": v for k, v in phases.items()},
    }


COLUMNS = (Column("store", 9, left=True), Column("idle p99", 10, ".1f", "ms"), Column("writes p99", 12, ".1f", "ms"),
           Column("loaded p99", 12, ".1f", "ms"), Column("ratio", 7, ".2f"), Column("idle p50", 10, ".1f", "ms"),
           Column("loaded p50", 12, ".1f", "ms"), Column("max", 9, ".0f", "ms"), Column("probes", 8, ".0f"),
           Column("events", 22), Column("delivered s", 13, ".1f"), Column("server cpu s", 14, ".1f"),
           Column("per event", 11, ".0f", "us"), Column("clients cpu s", 15, ".1f"))


WINDOWS = {"idle": ("at_idle", "at_writes"), "writes": ("at_writes", "at_between"), "loaded": ("at_loaded", "at_after")}


def stretches(watched: dict[str, list[list[float]]], result: dict[str, float]) -> dict[str, float]:
    """The longest stretch the server held its loop in each phase, and its longest garbage collection."""
    found = {}
    for phase, (start, end) in WINDOWS.items():
        cpu = [c for t, _late, c in watched["late"] if result[start] <= t <= result[end]]
        collections = [s for t, s, *_ in watched["gc"] if result[start] <= t <= result[end]]
        found[f"{phase}_stretch_ms"] = max(cpu, default=0.0) * 1000
        found[f"{phase}_stretches_over_2ms"] = sum(1 for c in cpu if c > 0.002)
        found[f"{phase}_gc_ms"] = max(collections, default=0.0) * 1000
        writes = [(s, c) for t, s, c in watched["writes"] if result[start] <= t <= result[end]]
        found[f"{phase}_store_writes_ms"] = sum(s - c for s, c in writes) * 1000
        found[f"{phase}_store_writes_over_1ms"] = sum(1 for s, _c in writes if s > 0.001)
    return found


def print_slow(store: str, watched: dict[str, list[list[Any]]], result: dict[str, float]) -> None:
    """The callbacks that held the loop over 2 ms in the writes and loaded phases, longest first."""
    for phase, (start, end) in list(WINDOWS.items())[1:]:
        chosen = sorted((s for s in watched["slow"] if result[start] <= s[0] <= result[end]), key=lambda s: -s[1])
        print(f"{store} {phase}: {len(chosen)} callbacks over 2 ms")
        for _t, seconds, what in chosen[:25]:
            print(f"  {seconds * 1000:7.1f} ms  {what}")
        collections = sorted((g for g in watched["gc"] if result[start] <= g[0] <= result[end]), key=lambda g: -g[1])
        listed = ", ".join(f"{s * 1000:.1f} ms (gen {g})" for _t, s, g, *_ in collections[:15])
        print(f"  garbage collections over 0.5 ms: {listed}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=10, help="tenants, one key each")
    parser.add_argument("--connections", type=int, default=10, help="WebSockets per key")
    parser.add_argument("--subscriptions", type=int, default=20, help="subscriptions per WebSocket")
    parser.add_argument("--changes", type=int, default=20, help="changes per burst")
    parser.add_argument("--rounds", type=int, default=3, help="bursts")
    parser.add_argument("--probes", type=int, default=1500, help="idle probes, before and again after the load")
    parser.add_argument("--timeout", type=float, default=300, help="seconds to wait for every event")
    parser.add_argument("--stores", default="sqlite,couchdb")
    parser.add_argument("--slow", action="store_true",
                        help="on asyncio's loop, not uvloop: list the callbacks that held it over 2 ms")
    args = parser.parse_args()
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for store in args.stores.split(","):
            couch = None
            if store == "couchdb":
                couch = CouchServer()
                couch.start()
                url = couch.url
            else:
                url = f"sqlite:///{Path(scratch) / 'fanout.db'}"
            watch_file = Path(scratch) / f"loop-{store}.json"
            server = Server(url, extra_env={"NUMPLANE_DEBUG": "0", "NUMPLANE_SCHEDULER": "0", **UNLIMITED_ENV,
                                            "LOOP_WATCH_ASYNCIO": "1" if args.slow else "0"},
                            launcher=("-m", "benchmarks.loop_watch", str(watch_file), "--"))
            server.start()
            try:
                results[store] = measure(server, args)
            finally:
                server.stop()
                if couch is not None:
                    couch.close()
            watched = json.loads(watch_file.read_text())
            results[store].update(stretches(watched, results[store]))
            if args.slow:
                print_slow(store, watched, results[store])
    subscriptions = args.keys * args.connections * args.subscriptions
    print(f"{args.keys} keys x {args.connections} WebSockets x {args.subscriptions} subscriptions = {subscriptions};"
          f" {args.rounds} bursts of {args.changes} changes; `{{ __typename }}` from another tenant")
    print(table(COLUMNS, [
        (store, r["idle_p99"], r["writes_p99"], r["loaded_p99"], r["loaded_p99"] / r["idle_p99"], r["idle_p50"],
         r["loaded_p50"], r["loaded_max"], r["probes"],
         f"{r['events']:.0f}/{r['expected']:.0f}" + (" ok" if r["every_event_once"] else " WRONG"), r["delivered_s"],
         r["server_cpu_s"], (r["server_cpu_s"] - r["writes_server_cpu_s"]) / max(r["events"], 1) * 1e6,
         r["subscribers_cpu_s"])
        for store, r in results.items()
    ]))
    print("The longest stretch the server's event loop was held (CPU time between two turns of a 1 ms timer; over"
          " 2 ms: how many) and its longest garbage collection (CPU time):")
    for store, r in results.items():
        print(f"{store:<9}" + "".join(
            f"{phase} {r[f'{phase}_stretch_ms']:.1f} ms ({r[f'{phase}_stretches_over_2ms']:.0f} over 2 ms,"
            f" gc {r[f'{phase}_gc_ms']:.1f} ms)   " for phase in ("idle", "writes", "loaded")))
    print("The time the loop waited inside its writes to CouchDB without using CPU (its core went to the store it"
          " woke, or to another process; writes over 0.5 ms; how many took over 1 ms):")
    for store, r in results.items():
        if store == "couchdb":
            print(f"{store:<9}" + "".join(
                f"{phase} {r[f'{phase}_store_writes_ms']:.0f} ms ({r[f'{phase}_store_writes_over_1ms']:.0f} over"
                f" 1 ms, in {r[end] - r[begin]:.1f} s)   " for phase, (begin, end) in WINDOWS.items()))
    print("idle: nothing else running; writes: the same changes, nobody subscribed; loaded: the changes fanned out;"
          " ratio: loaded p99 / idle p99; events: messages received / expected, ok when every subscription heard"
          " every change exactly once; server cpu s: the loaded phase's; per event: the server's CPU per message"
          " delivered beyond the writes phase's (the same changes, nobody subscribed; probes included in both)")


if __name__ == "__main__":
    main()
