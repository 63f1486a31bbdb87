"""Fair share under load: another key's p99 while one key hammers the API, with and without rate limits.

`python -m benchmarks.fairness` starts `numplane serve` (one uvicorn worker, uvloop, httptools, debug off)
on a SQLite store with two tenants of 100 numbers each, then, on the same server:
  idle     the quiet tenant's key sends a page of its numbers, paced at `--probe-rate` per second (within
           its budget), and records each latency;
  loaded   the same, while wrk drives the noisy tenant's key with `--clients` keep-alive connections, each
           sending a page of its numbers (`--noisy-page`, 10 like the quiet key's) back to back.
It runs this twice: with the production budgets (the defaults of numplane/settings.py) and with the noisy
key's budget lifted (what the server did before rate limits), and prints each run's idle and loaded p99,
their ratio (the goal: within 2x), and how many of the noisy key's requests were answered 429.
The machine is shared: compare ratios within one run, not absolute figures across runs.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from benchmarks import wrk
from benchmarks.budgets import UNLIMITED_ENV
from benchmarks.figures import Column, p50, p99, table
from benchmarks.seeding import gql
from tests.support.server import Server

PAGE = "{ me { numbers(first: %d) { edges { node { e164 state } } } } }"
PROBE = json.dumps({"query": PAGE % 10})
ADD = "mutation($n: [NumberRef!]!, $a: String) { addNumbers(input: {numbers: $n, state: IN_SERVICE, accountId: $a})" \
      " { userErrors { code } } }"


def tenant(admin: httpx.Client, name: str, area: str) -> str:
    """A tenant with 100 numbers in service; its user key."""
    created = gql(admin, 'mutation($n: String!) { createAccount(input: {name: $n}) { account { accountId } } }',
                  {"n": name})
    account = created["createAccount"]["account"]["accountId"]
    gql(admin, ADD, {"n": [{"number": f"+1{area}555{i:04d}"} for i in range(100)], "a": account})
    key = gql(admin, 'mutation($a: String!) { createApiKey(input: {accountId: $a, role: "user"}) { key } }',
              {"a": account})
    token: str = key["createApiKey"]["key"]
    return token


def probe(client: httpx.Client, count: int, rate: float) -> list[float]:
    """Latencies (ms) of `count` probes sent at most `rate` per second."""
    latencies = []
    interval = 1 / rate
    next_at = time.perf_counter()
    for _ in range(count):
        now = time.perf_counter()
        if next_at > now:
            time.sleep(next_at - now)
        next_at = max(next_at + interval, time.perf_counter())
        started = time.perf_counter()
        response = client.post("/graphql", content=PROBE, headers={"content-type": "application/json"})
        latencies.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"the quiet tenant was refused: {response.status_code} {response.text[:200]}")
    return latencies


@dataclass
class Run:
    idle_p99: float
    loaded_p99: float
    idle_p50: float
    loaded_p50: float
    noisy: wrk.WrkResult

    @property
    def ratio(self) -> float:
        return self.loaded_p99 / self.idle_p99


def measure(store: str, env: dict[str, str], args: argparse.Namespace) -> Run:
    server = Server(store, extra_env={"NUMPLANE_DEBUG": "0", "NUMPLANE_SCHEDULER": "0", **env})
    server.start()
    try:
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {server.admin_key}"},
                          timeout=60) as admin:
            noisy_key = tenant(admin, "noisy", "312")
            quiet_key = tenant(admin, "quiet", "646")
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {quiet_key}"},
                          timeout=60) as quiet:
            probe(quiet, 50, args.probe_rate)  # warm up
            idle = probe(quiet, args.probes, args.probe_rate)
            seconds = int(args.probes / args.probe_rate) + 3
            result: list[wrk.WrkResult] = []
            hammer = threading.Thread(target=lambda: result.append(wrk.run(
                server.url + "/graphql",
                headers={"Authorization": f"Bearer {noisy_key}", "Content-Type": "application/json"},
                bodies_per_thread=[[json.dumps({"query": PAGE % args.noisy_page})]], seconds=seconds, threads=2,
                connections=args.clients,
            )))
            hammer.start()
            time.sleep(2)  # the noisy key spends its burst and settles at its sustained rate first
            loaded = probe(quiet, args.probes, args.probe_rate)
            hammer.join()
        return Run(p99(idle), p99(loaded), p50(idle), p50(loaded), result[0])
    finally:
        server.stop()


COLUMNS = (Column("budgets", 22, left=True), Column("idle p99", 10, ".1f", "ms"), Column("loaded p99", 12, ".1f", "ms"),
           Column("ratio", 7, ".2f"), Column("idle p50", 10, ".1f", "ms"), Column("loaded p50", 12, ".1f", "ms"),
           Column("noisy req/s", 13, ".0f"), Column("noisy 429", 11), Column("noisy 200", 11))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16, help="the noisy key's keep-alive connections (wrk)")
    parser.add_argument("--noisy-page", type=int, default=10, help="numbers per page the noisy key asks for")
    parser.add_argument("--probes", type=int, default=300, help="the quiet key's probes per phase")
    parser.add_argument("--probe-rate", type=float, default=15, help="the quiet key's probes per second (in budget)")
    parser.add_argument("--runs", type=int, default=1, help="repeat the pair of measurements")
    args = parser.parse_args()
    if not wrk.available():
        raise SystemExit("benchmarks need wrk: apt-get install wrk")
    print(f"the noisy key: {args.clients} connections of `me.numbers(first: {args.noisy_page})` back to back (wrk);"
          f" the quiet key: `me.numbers(first: 10)` at {args.probe_rate:g}/s, {args.probes} probes idle and loaded")
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for run in range(args.runs):
            for label, env in (("production (defaults)", {}), ("noisy key unlimited", UNLIMITED_ENV)):
                r = measure(f"sqlite:///{Path(scratch) / f'fairness{run}{len(env)}.db'}", env, args)
                rows.append((label, r.idle_p99, r.loaded_p99, r.ratio, r.idle_p50, r.loaded_p50,
                             r.noisy.requests_per_second, r.noisy.non_2xx, r.noisy.requests - r.noisy.non_2xx))
    print(table(COLUMNS, rows))
    print("ratio: the quiet key's loaded p99 / its idle p99 on the same server (goal: within 2x)")


if __name__ == "__main__":
    main()
