"""Replica convergence: a number moved through replica A, until replicas B and C hunt it to its new owner.

`python -m benchmarks.replicas` (or `make bench BENCH_ARGS=replicas`) starts a pouchdb-server and three
`numplane serve` processes on it (as tests/test_replicas.py does), makes `--writes` moves through A one
after another (each `activateNumbers` to the other of two accounts), and after each move's response asks
B and C (`GET /hunt`, a router key, every `--probe-ms`) until each answers the new owner. B and C learn of
the move only from their change feed (polled every NUMPLANE_FEED_POLL_SECONDS, 0.25 s), so the figure is
about one feed poll plus the read of the feed and the hunt. Prints p50 / p90 / p99 / max in ms over the
2 x writes answers; everything runs on this machine, so it is also the figure of a loaded host.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid

import httpx

from benchmarks.figures import Column, percentile, table
from benchmarks.stores import pouchdb
from tests.support.replicas import gql, root_key, running_replicas
from tests.support.server import Server

SETTINGS = {"NUMPLANE_SCHEDULER": "0", "NUMPLANE_WEBHOOKS": "0"}
NUMBERS = 20  # moved in turn, so each move finds the number cached by B and C with its previous owner
MOVE = (
    "mutation($n: String!, $a: String!) { activateNumbers(input: {numbers: [{number: $n}], accountId: $a}) "
    "{ userErrors { code } } }"
)


async def owner(client: httpx.AsyncClient, server: Server, router: str, number: str) -> str | None:
    response = await client.get(
        f"{server.url}/hunt/{number.replace('+', '%2B')}", headers={"Authorization": f"Bearer {router}"}
    )
    account = response.json().get("account")
    return account["id"] if account else None


async def converged(
    client: httpx.AsyncClient, server: Server, router: str, number: str, wanted: str, since: float, probe: float
) -> float:
    """Milliseconds from `since` until `server` hunts `number` to `wanted`."""
    while await owner(client, server, router, number) != wanted:
        await asyncio.sleep(probe)
        if time.perf_counter() - since > 30:
            raise RuntimeError(f"{server.url} did not converge within 30 s")
    return (time.perf_counter() - since) * 1000


async def measure(servers: list[Server], writes: int, probe: float) -> list[float]:
    a, b, c = servers
    admin = root_key(servers)
    async with httpx.AsyncClient(timeout=30) as client:
        root = (await gql(client, a, "{ me { accountId } }", key=admin))["me"]["accountId"]
        tenants = []
        for name in ("T1", "T2"):
            made = await gql(client, a, "mutation($n: String!) { createAccount(input: {name: $n}) { account { "
                             "accountId } } }", {"n": name}, key=admin)
            tenants.append(made["createAccount"]["account"]["accountId"])
        router = (await gql(client, a, 'mutation($a: String!) { createApiKey(input: {accountId: $a, role: "router"}) '
                            "{ key } }", {"a": root}, key=admin))["createApiKey"]["key"]
        numbers = [f"+1415777{i:04d}" for i in range(NUMBERS)]
        added = await gql(client, a, "mutation($n: [NumberRef!]!, $a: String!) { addNumbers(input: {numbers: $n, "
                          "state: IN_SERVICE, accountId: $a}) { userErrors { code } } }",
                          {"n": [{"number": n} for n in numbers], "a": tenants[0]}, key=admin)
        assert added["addNumbers"]["userErrors"] == []
        owners = dict.fromkeys(numbers, tenants[0])
        for number in numbers:  # B and C hold every number with its first owner
            for server in (b, c):
                await converged(client, server, router, number, tenants[0], time.perf_counter(), probe)
        latencies: list[float] = []
        for index in range(writes):
            number = numbers[index % NUMBERS]
            owners[number] = tenants[1] if owners[number] == tenants[0] else tenants[0]
            moved = await gql(client, a, MOVE, {"n": number, "a": owners[number]}, key=admin)
            assert moved["activateNumbers"]["userErrors"] == []
            acknowledged = time.perf_counter()
            latencies += await asyncio.gather(
                *(converged(client, s, router, number, owners[number], acknowledged, probe) for s in (b, c))
            )
    return latencies


def main(writes: int, probe_ms: float) -> None:
    with pouchdb() as url, running_replicas(url, "bench" + uuid.uuid4().hex[:8], SETTINGS) as servers:
        latencies = asyncio.run(measure(servers, writes, probe_ms / 1000))
    print(f"replica convergence: {writes} moves through A, {len(latencies)} answers from B and C (GET /hunt every "
          f"{probe_ms:g} ms), from A's response to the new owner; feed poll 0.25 s")
    columns = [Column(f"{name} ms", 9, ".0f") for name in ("p50", "p90", "p99", "max")]
    print(table(columns, [[percentile(latencies, p) for p in (50, 90, 99, 100)]]))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--writes", type=int, default=300)
    parser.add_argument("--probe-ms", type=float, default=10.0)
    args = parser.parse_args()
    main(args.writes, args.probe_ms)
