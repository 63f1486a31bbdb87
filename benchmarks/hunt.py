"""Hunt rate through `GET /hunt/{number}` on a real uvicorn server, beside a no-op endpoint.

Run with `python -m benchmarks.hunt`. Seeds an embedded SQLite store (a root admin, one account with
in-service numbers, a router key), starts uvicorn in a subprocess serving a small Starlette app with the
hunt route and `GET /noop` (a constant JSON answer: the floor of one authenticated-free request on the
same server and client), then drives both with concurrent keep-alive clients and prints requests/s,
p50 and p99 latency, and the ratio hunt / noop. Every hunt is a cache hit after the first round, so this
measures the call path a router sees: auth (cached), normalization (cached), the cache, the rule, JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from starlette.applications import Starlette

SEED_NUMBERS = 1000


async def seed(url: str) -> str:
    """The store's content; returns a router key."""
    from numplane.domain.states import State
    from numplane.resolvers import accounts, keys, numbers
    from numplane.resolvers.bulk import NumberRef
    from numplane.resolvers.context import Requester, Role, Services
    from numplane.store import store_from_url

    store = store_from_url(url)
    await store.open()
    try:
        services = Services(store=store)
        root, _key, _created = await keys.init_root(services, "root")
        admin = Requester(root, Role.ADMIN)
        tenant = await accounts.create_account(services, admin, "tenant")
        refs = [NumberRef(f"+1415555{i:04d}") for i in range(SEED_NUMBERS)]
        result = await numbers.add_numbers(services, admin, refs, state=State.IN_SERVICE, account_id=tenant.id)
        assert not result.errors, result.errors[:3]
        token, _key_id = await keys.issue_key(services, tenant, Role.ROUTER, "bench")
        return token
    finally:
        await store.close()


def build_app(url: str) -> Starlette:
    """The subprocess's ASGI app: the hunt route and a no-op beside it."""
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from numplane.resolvers.context import Services
    from numplane.routing.cache import RoutingCache
    from numplane.store import store_from_url
    from numplane.store.observed import ObservedStore
    from numplane.web.hunt import hunt_route

    store = ObservedStore(store_from_url(url))
    services = Services(store=store, routing=RoutingCache.attach(store))

    async def noop(_request: Request) -> JSONResponse:
        return JSONResponse({"ok": True})

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await store.open()
        yield
        await store.close()

    return Starlette(routes=[hunt_route(services), Route("/noop", noop)], lifespan=lifespan)


def serve(url: str, port: int) -> None:
    import uvicorn

    uvicorn.run(build_app(url), host="127.0.0.1", port=port, log_level="warning", access_log=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def wait_ready(base: str) -> None:
    async with httpx.AsyncClient(base_url=base) as client:
        for _ in range(200):
            try:
                if (await client.get("/noop")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError("the benchmark server did not start")


async def drive(base: str, paths: list[str], headers: dict[str, str], total: int, workers: int) -> list[float]:
    """Latencies (s) of `total` GETs cycling through `paths`, from `workers` concurrent keep-alive clients."""
    latencies: list[float] = []
    counter = iter(range(total))
    limits = httpx.Limits(max_connections=workers, max_keepalive_connections=workers)

    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits) as client:

        async def worker() -> None:
            for i in counter:
                started = time.perf_counter()
                response = await client.get(paths[i % len(paths)])
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200:
                    raise RuntimeError(f"{response.status_code}: {response.text}")

        await asyncio.gather(*(worker() for _ in range(workers)))
    return latencies


def report(name: str, latencies: list[float], elapsed: float) -> float:
    rate = len(latencies) / elapsed
    ordered = sorted(latencies)
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[int(len(ordered) * 0.99) - 1] * 1000
    print(f"{name:<28} {rate:>9.0f} req/s   p50 {p50:6.2f} ms   p99 {p99:6.2f} ms")
    return rate


async def measure(base: str, token: str, total: int, workers: int) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    hunts = [f"/hunt/%2B1415555{i:04d}" for i in range(SEED_NUMBERS)]
    await drive(base, hunts, headers, SEED_NUMBERS, workers)  # warm: every number and the owner cached
    rates = {}
    for name, paths in (("GET /noop (floor)", ["/noop"]), ("GET /hunt/{number}", hunts)):
        started = time.perf_counter()
        latencies = await drive(base, paths, headers, total, workers)
        rates[name] = report(name, latencies, time.perf_counter() - started)
    print(f"hunt / noop: {rates['GET /hunt/{number}'] / rates['GET /noop (floor)']:.2f}")


async def in_process(url: str, token: str, total: int) -> None:
    """The resolver alone (no HTTP): what a hunt costs the server once the cache is warm."""
    from numplane.resolvers.context import Services
    from numplane.resolvers.hunt import hunt_number
    from numplane.resolvers.keys import authenticate
    from numplane.routing.cache import RoutingCache
    from numplane.store import store_from_url
    from numplane.store.observed import ObservedStore

    store = ObservedStore(store_from_url(url))
    await store.open()
    try:
        services = Services(store=store, routing=RoutingCache.attach(store))
        requester = await authenticate(services, token)
        assert requester is not None
        numbers = [f"+1415555{i:04d}" for i in range(SEED_NUMBERS)]
        for number in numbers:
            await hunt_number(services, requester, number, None)
        started = time.perf_counter()
        for i in range(total):
            await hunt_number(services, requester, numbers[i % SEED_NUMBERS], None)
        elapsed = time.perf_counter() - started
        print(f"{'hunt_number (in process)':<28} {total / elapsed:>9.0f} hunts/s  {elapsed / total * 1e6:.1f} us each")
    finally:
        await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10000)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--serve", help=argparse.SUPPRESS)  # the subprocess: --serve URL --port P
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        token = asyncio.run(seed(url))
        asyncio.run(in_process(url, token, args.requests))
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.hunt", "--serve", url, "--port", str(port)], env=os.environ.copy()
        )
        try:
            base = f"http://127.0.0.1:{port}"
            asyncio.run(wait_ready(base))
            print(f"uvicorn (1 worker) over SQLite, {SEED_NUMBERS} numbers, {args.workers} concurrent clients, "
                  f"{args.requests} requests per endpoint, client in this process ({os.cpu_count()} CPUs)")
            asyncio.run(measure(base, token, args.requests, args.workers))
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
