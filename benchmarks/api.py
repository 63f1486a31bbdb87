"""API throughput against a real server: requests/s, and each ratio to a trivial `{ __typename }`.

Starts `numplane serve` (uvicorn, uvloop, httptools) on a free port with a SQLite store in a temporary
directory, then runs a bounded number of requests from a few concurrent httpx clients per scenario.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from tests.support.server import Server

CLIENTS = 4
REQUESTS = {"typename": 2000, "list100": 300, "cycle": 200}

LIST_100 = "{ numbers(first: 100) { edges { node { e164 state account { name } } } } }"
ACTIVATE = "mutation($n: String!) { activateNumbers(input: {numbers: [{number: $n}]}) { userErrors { code } } }"
RELEASE = "mutation($n: String!) { releaseNumbers(input: {numbers: [{number: $n}]}) { userErrors { code } } }"
ADD = "mutation($n: [NumberRef!]!, $s: NumberState!, $c: String) { addNumbers(input: {numbers: $n, state: $s, carrier: $c}) { userErrors { code } } }"  # noqa: E501


async def post(client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables or {}})
    body: dict[str, Any] = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise RuntimeError(f"benchmark request failed: {response.status_code} {body}")
    return body


async def rate(
    clients: list[httpx.AsyncClient], total: int, one: Callable[[httpx.AsyncClient, int], Awaitable[int]]
) -> float:
    """Requests per second for `total` calls of `one` spread over the clients (one returns its request count)."""
    per_client = total // len(clients)

    async def worker(index: int, client: httpx.AsyncClient) -> int:
        done = 0
        for i in range(per_client):
            done += await one(client, index * per_client + i)
        return done

    started = time.perf_counter()
    counts = await asyncio.gather(*(worker(i, c) for i, c in enumerate(clients)))
    return sum(counts) / (time.perf_counter() - started)


async def measure(server: Server) -> dict[str, float]:
    headers = {"Authorization": f"Bearer {server.admin_key}"}
    clients = [httpx.AsyncClient(base_url=server.url, headers=headers, timeout=30) for _ in range(CLIENTS)]
    try:
        admin = clients[0]
        # 100 owned numbers to list, and a separate pool of inventory numbers for the cycles.
        await post(admin, ADD, {"n": [{"number": f"+1415555{i:04d}"} for i in range(100)], "s": "IN_SERVICE"})
        pool = [{"number": f"+1628555{i:04d}"} for i in range(CLIENTS)]
        await post(admin, ADD, {"n": pool, "s": "AVAILABLE", "c": "inventory"})
        await post(admin, "mutation { updateSystemConfig(input: {shouldAge: false}) { userErrors { code } } }")

        async def typename(client: httpx.AsyncClient, _i: int) -> int:
            await post(client, "{ __typename }")
            return 1

        async def list100(client: httpx.AsyncClient, _i: int) -> int:
            await post(client, LIST_100)
            return 1

        async def cycle(client: httpx.AsyncClient, i: int) -> int:
            number = f"+1628555{clients.index(client):04d}"
            await post(client, ACTIVATE, {"n": number})
            await post(client, RELEASE, {"n": number})  # inventory, no aging: back to available
            return 2

        for warm in (typename, list100):
            await rate(clients, CLIENTS * 10, warm)
        return {
            "typename": await rate(clients, REQUESTS["typename"], typename),
            "list100": await rate(clients, REQUESTS["list100"], list100),
            "cycle": await rate(clients, REQUESTS["cycle"], cycle),
        }
    finally:
        for client in clients:
            await client.aclose()


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        server = Server(f"sqlite:///{Path(scratch) / 'bench.db'}", extra_env={"NUMPLANE_DEBUG": "0"})
        server.start()
        try:
            results = asyncio.run(measure(server))
        finally:
            server.stop()
    base = results["typename"]
    print(f"API benchmark: 1 uvicorn worker (uvloop, httptools), SQLite store, {CLIENTS} concurrent clients")
    labels = {
        "typename": "{ __typename }",
        "list100": "numbers(first: 100) with account names",
        "cycle": "activate + release, one number (req/s)",
    }
    for key, label in labels.items():
        print(f"  {label:<42} {results[key]:>9.0f} req/s   ratio to __typename {results[key] / base:.3f}")


if __name__ == "__main__":
    main()
