"""The cost of an idempotent mutation beside a plain one (issue 11), on a real `numplane serve` per store.

Run with `make bench BENCH_ARGS=idempotency` or `python -m benchmarks.idempotency [--requests 300]`. For
each store it starts the server (and a pouchdb-server for CouchDB), activates one number, then sends
`updateNumber` edits one at a time, alternating a plain request and the same request with a fresh
`Idempotency-Key` (so both kinds see the same server state and load), and last a retry of each keyed
request (answered from the stored response). It prints the median and p90 latency of each kind and
the ratio idempotent / plain: the price of the claim write, the stored response write and its parse.
"""

from __future__ import annotations

import argparse
import asyncio
import time

import httpx

from benchmarks.budgets import UNLIMITED_ENV
from benchmarks.figures import p50, percentile
from benchmarks.stores import each_store
from tests.support.server import Server

N = "+14155550151"
ADD = (
    'mutation($n: String!) { addNumbers(input: {numbers: [{number: $n}], state: IN_SERVICE, carrier: "inventory"})'
    " { userErrors { code } } }"
)
UPDATE = (
    "mutation($n: String!, $k: JSON!) { updateNumber(input: {number: {number: $n}, publicFields: $k}) "
    "{ number { revision } userErrors { code } } }"
)


async def timed(client: httpx.AsyncClient, body: dict[str, object], key: str | None) -> float:
    headers = {"Idempotency-Key": key} if key else {}
    started = time.perf_counter()
    response = await client.post("/graphql", json=body, headers=headers)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200 and response.json()["data"]["updateNumber"]["userErrors"] == [], response.text
    return elapsed


async def compare(server: Server, requests: int) -> dict[str, list[float]]:
    headers = {"Authorization": f"Bearer {server.admin_key}"}
    async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=60) as client:
        added = (await client.post("/graphql", json={"query": ADD, "variables": {"n": N}})).json()
        assert added["data"]["addNumbers"]["userErrors"] == [], added
        times: dict[str, list[float]] = {"plain": [], "idempotent": [], "replayed": []}
        sent: list[tuple[dict[str, object], str]] = []
        for i in range(requests + 20):
            plain = {"query": UPDATE, "variables": {"n": N, "k": {"p": i}}}
            keyed = {"query": UPDATE, "variables": {"n": N, "k": {"i": i}}}
            plain_s = await timed(client, plain, None)
            keyed_s = await timed(client, keyed, f"bench-{i}")
            if i >= 20:  # warm-up: connections, caches, the parse cache
                times["plain"].append(plain_s)
                times["idempotent"].append(keyed_s)
                sent.append((keyed, f"bench-{i}"))
        for body, key in sent:
            times["replayed"].append(await timed(client, body, key))
        return times


def measure(label: str, store_url: str, requests: int) -> None:
    env = {"NUMPLANE_DB_PREFIX": "idempotency", "NUMPLANE_SCHEDULER": "0", **UNLIMITED_ENV}
    server = Server(store_url, extra_env=env)
    server.start()
    try:
        times = asyncio.run(compare(server, requests))
    finally:
        server.stop()

    def describe(kind: str) -> str:
        values = times[kind]
        return f"{kind} median {p50(values) * 1000:.2f} ms p90 {percentile(values, 90) * 1000:.2f} ms"

    ratio = p50(times["idempotent"]) / p50(times["plain"])
    replay = p50(times["replayed"]) / p50(times["plain"])
    print(f"{label:7} {describe('plain')} | {describe('idempotent')} | {describe('replayed')} | "
          f"idempotent/plain {ratio:.2f}x, replayed/plain {replay:.2f}x ({requests} of each)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=300, help="requests of each kind per store")
    args = parser.parse_args()
    for label, url in each_store():
        measure(label, url, args.requests)


if __name__ == "__main__":
    main()
