"""GET /hunt beside its floor, over HTTP: how much of a router's lookup is still numplane's own.

Starts `numplane serve` (SQLite, debug off, no rate limits in the way) with one number and a router key, and
the floor (benchmarks.floor: uvicorn with the same flags answering a fixed 60-byte JSON to the same
authenticated GET), then drives both with wrk (16 keep-alive clients, as `make bench BENCH_ARGS=api`) in
short interleaved rounds (floor, GET /hunt, the GraphQL hunt, floor, ...), so a neighbour's burst lands on
all alike. Each server's CPU per request is read from /proc during its runs, user and kernel apart: the
kernel's share (sockets, epoll) is the part of a request neither server's Python decides. numplane's own
CPU while idle (the change feed's polls) is measured first and reported, not subtracted.

Reported per row: the median over rounds of user, kernel and total CPU per request; GET /hunt beyond the
floor (ours); GET /hunt ÷ floor; and the GraphQL hunt ÷ GET /hunt (GET /hunt's lead by CPU, target >= 3).

`make bench BENCH_ARGS=hunt_floor`, or `python -m benchmarks.hunt_floor [--rounds 6] [--round-seconds 2]`
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from contextlib import AbstractContextManager
from pathlib import Path

import httpx

from benchmarks import wrk
from benchmarks.api import CLIENTS, HUNT, THREADS, add, admin_client, benchmark_process, body, serving
from benchmarks.figures import Column, table
from benchmarks.seeding import gql

NUMBER = "+14155550001"
ROWS = ("floor", "hunt_get", "hunt_graphql")
LABELS = {"floor": "floor: bare uvicorn, fixed 60-byte JSON", "hunt_get": "GET /hunt/{number}",
          "hunt_graphql": "huntNumber through GraphQL"}


def cpu_split(pid: int) -> tuple[float, float]:
    """User and kernel CPU seconds of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def floor_server(key: str) -> AbstractContextManager[tuple[str, int]]:
    """The floor's URL and process id."""
    return benchmark_process(
        "benchmarks.floor", "--key", key, ready=lambda url: httpx.get(url + "/hunt/" + NUMBER, timeout=1)
    )


Sample = tuple[float, float, float]  # user, kernel, total CPU µs per request


def measured(url: str, headers: dict[str, str], bodies: list[list[str]] | None, method: str, pid: int,
             seconds: int) -> tuple[Sample, float]:
    """One wrk run: the server's CPU µs per request (user, kernel, total) and the rate."""
    user, kernel = cpu_split(pid)
    result = wrk.run(url, headers=headers, bodies_per_thread=bodies, method=method, seconds=seconds,
                     threads=THREADS, connections=CLIENTS)
    user_after, kernel_after = cpu_split(pid)
    if result.non_2xx:
        raise RuntimeError(f"{url} answered {result.non_2xx} requests with an error")
    per = 1e6 / max(1, result.requests)
    return ((user_after - user) * per, (kernel_after - kernel) * per,
            (user_after - user + kernel_after - kernel) * per), result.requests_per_second


def measure(rounds: int, seconds: int) -> tuple[dict[str, list[tuple[Sample, float]]], float]:
    """Per row, (CPU sample, rate) of each round; and numplane's idle CPU in ms per second."""
    with tempfile.TemporaryDirectory() as scratch, serving(f"sqlite:///{Path(scratch) / 'floor.db'}") as server:
        assert server.process is not None
        with admin_client(server) as client:
            root = gql(client, "{ me { accountId } }")["me"]["accountId"]
            add(client, [NUMBER], "IN_SERVICE", root)
            created = gql(client, 'mutation($a: String!) { createApiKey(input: {accountId: $a, role: "router"}) '
                                  '{ key } }', {"a": root})
        key: str = created["createApiKey"]["key"]
        router = {"Authorization": f"Bearer {key}"}
        numplane = server.process.pid
        with floor_server(key) as (floor_url, floor_pid):
            plans = {
                "floor": (floor_url + "/hunt/%2B14155550001", router, None, "GET", floor_pid),
                "hunt_get": (server.url + "/hunt/%2B14155550001", router, None, "GET", numplane),
                "hunt_graphql": (server.url + "/graphql", {**router, "Content-Type": "application/json"},
                                 [[body(HUNT, {"n": NUMBER})]], "POST", numplane),
            }
            for url, headers, bodies, method, pid in plans.values():  # warm caches and connections
                measured(url, headers, bodies, method, pid, 1)
            before = sum(cpu_split(numplane))
            time.sleep(2)
            idle = (sum(cpu_split(numplane)) - before) / 2 * 1000
            runs: dict[str, list[tuple[Sample, float]]] = {name: [] for name in ROWS}
            for _round in range(rounds):
                for name, (url, headers, bodies, method, pid) in plans.items():
                    runs[name].append(measured(url, headers, bodies, method, pid, seconds))
    return runs, idle


def report(runs: dict[str, list[tuple[Sample, float]]], idle_ms: float) -> str:
    def median(name: str, part: int) -> float:
        return statistics.median(sample[part] for sample, _rate in runs[name])

    def per_round(name: str, to: str) -> list[float]:
        return [a[2] / b[2] for (a, _ra), (b, _rb) in zip(runs[name], runs[to], strict=True)]

    columns = (Column("", 42, left=True), Column("user", 10, ".0f", " µs"), Column("kernel", 10, ".0f", " µs"),
               Column("total", 10, ".0f", " µs"), Column("req/s", 9, ".0f"))
    rows = [(LABELS[name], median(name, 0), median(name, 1), median(name, 2),
             statistics.median(rate for _sample, rate in runs[name])) for name in ROWS]
    ours = [a[2] - b[2] for (a, _ra), (b, _rb) in zip(runs["hunt_get"], runs["floor"], strict=True)]
    over_floor = per_round("hunt_get", "floor")
    lead = per_round("hunt_graphql", "hunt_get")
    return "\n".join([
        f"server CPU per request over HTTP (wrk, {CLIENTS} keep-alive clients, {THREADS} threads), median of "
        f"{len(runs['floor'])} interleaved rounds (load average {os.getloadavg()[0]:.1f})",
        table(columns, rows),
        f"  GET /hunt beyond the floor (numplane's own): {statistics.median(ours):.0f} µs per request "
        f"(rounds {min(ours):.0f}-{max(ours):.0f})",
        f"  GET /hunt ÷ floor (CPU): {statistics.median(over_floor):.2f} "
        f"(rounds {min(over_floor):.2f}-{max(over_floor):.2f})",
        f"  GraphQL hunt ÷ GET /hunt (CPU, GET /hunt's lead, target >= 3): {statistics.median(lead):.2f} "
        f"(rounds {min(lead):.2f}-{max(lead):.2f})",
        f"  numplane idle: {idle_ms:.1f} ms of CPU per second (change feed polls), included above",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--round-seconds", type=int, default=2)
    args = parser.parse_args()
    if not wrk.available():
        raise SystemExit("benchmarks need wrk: apt-get install wrk")
    runs, idle = measure(args.rounds, args.round_seconds)
    print(report(runs, idle))


if __name__ == "__main__":
    main()
