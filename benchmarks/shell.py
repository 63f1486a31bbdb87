"""What the per-request shell costs: numplane's app beside a bare Starlette app serving the same route.

Process CPU per request (time.process_time, every thread: the rate limiter's timer included), in process,
requests as ASGI calls one after another without sockets or a client, logging configured as `numplane
serve` does (INFO, text by default) but written to /dev/null. Three requests, each beside its floor:

  GET /hunt/{number} (router key)   numplane  vs  Starlette with only the hunt route (no middleware)
  { __typename } (router key)       numplane  vs  Starlette with only numplane's /graphql endpoint
  huntNumber over GraphQL           numplane  vs  Starlette with only numplane's /graphql endpoint
  429 refusal of GET /hunt          numplane  vs  Starlette with a route answering the same 429 body

The difference is what the middleware (request id and line, metrics, CORS check, rate limit) costs a
request; the ratio is numplane ÷ bare. Rounds alternate between the two apps; medians are reported.

Then issue 18's ratios by CPU, all on numplane's app: `{ __typename }` ÷ GraphQL hunt (the GraphQL hunt's
rate over `{ __typename }`'s, target >= 0.8) and GraphQL hunt ÷ GET /hunt (GET /hunt's lead, target >= 3).
The three requests run in short batches taking turns (`--batches` turns of `--batch` requests each), so a
neighbour's burst on a shared machine lands on all three alike; the fastest batch of each and the median
are reported, and the ratios of both. `--ratios-only` skips the comparison with bare Starlette.
`--profile hunt` (or typename, graphql_hunt, refusal) adds a cProfile of numplane serving that request,
sorted by own time. `--protocol` sends the ratios' requests (and the profiled one) as bytes through the HTTP
protocol `numplane serve` runs (uvicorn's httptools protocol) on one kept-alive
connection whose socket is memory: uvicorn's parsing, task, header checks and framing are then counted, the
kernel's part of a served request and the client's still are not.

`make bench BENCH_ARGS=shell`, or `python -m benchmarks.shell [--requests 3000] [--rounds 5]
[--batch 200] [--batches 20] [--ratios-only] [--log-format json] [--profile hunt] [--protocol]`
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import logging
import os
import pstats
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from email.utils import formatdate
from pathlib import Path
from typing import Any

import uvicorn
import uvloop
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message
from uvicorn.server import ServerState

from benchmarks.budgets import UNLIMITED_SETTINGS
from numplane.app import collect_as_served, create_app
from numplane.logs.setup import configure_logging
from numplane.resolvers import keys
from numplane.resolvers.context import Role, Services
from numplane.schema.request_errors import RATE_LIMITED
from numplane.schema.schema import build_schema
from numplane.settings import Settings
from numplane.web.graphql import NumplaneGraphQL
from numplane.web.hunt import hunt_route

NUMBER = "+14155550001"
HUNT = "mutation($n: String!) { huntNumber(input: {number: $n}) { result { disposition } userErrors { code } } }"
ADD = (
    "mutation($n: [NumberRef!]!, $a: String) "
    "{ addNumbers(input: {numbers: $n, state: IN_SERVICE, accountId: $a}) { userErrors { code } } }"
)


class MemoryTransport(asyncio.Transport):
    """The socket under uvicorn's protocol, in memory: a response is complete when its last byte is written."""

    def __init__(self) -> None:
        super().__init__()
        self.written = bytearray()
        self.answered: asyncio.Future[bytes] | None = None
        self.expected = 0  # bytes of the response, once its head has arrived

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += data
        if not self.expected:
            head, found, _body = self.written.partition(b"\r\n\r\n")
            if not found:
                return
            length = next(line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:"))
            self.expected = len(head) + 4 + int(length.split(b":")[1])
        if len(self.written) >= self.expected and self.answered is not None:
            self.answered.set_result(bytes(self.written))
            self.written.clear()
            self.expected = 0

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 50000)}.get(name, default)

    def is_closing(self) -> bool:
        return False

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


class ProtocolDriver:
    """Requests as bytes into the HTTP protocol `numplane serve` runs (uvicorn's httptools protocol)
    over one kept-alive connection whose socket is memory: what a served request costs in Python (uvicorn's
    parsing, task, headers and framing included), without the kernel's part or a client's."""

    def __init__(self, app: ASGIApp, key: str) -> None:
        config = uvicorn.Config(app, http="httptools", log_config=None, access_log=False)
        config.load()
        state = ServerState()
        state.default_headers = [(b"date", formatdate(usegmt=True).encode()), (b"server", b"uvicorn")]
        self.protocol = config.http_protocol_class(config, state, {})  # type: ignore[call-arg]
        self.transport = MemoryTransport()
        self.protocol.connection_made(self.transport)
        self.key = key.encode()

    async def call(self, method: str, path: str, body: bytes = b"") -> int:
        self.transport.answered = asyncio.get_running_loop().create_future()
        self.protocol.data_received(b"%s %s HTTP/1.1\r\nhost: numplane\r\nauthorization: Bearer %s\r\n"
                                    b"content-type: application/json\r\ncontent-length: %d\r\n\r\n%s"
                                    % (method.encode(), path.encode(), self.key, len(body), body))
        answer = await self.transport.answered
        return int(answer[9:12])


class Driver:
    """ASGI calls straight into an app: one request, its status."""

    def __init__(self, app: ASGIApp, key: str) -> None:
        self.app = app
        self.headers = [(b"host", b"numplane"), (b"authorization", f"Bearer {key}".encode()),
                        (b"content-type", b"application/json")]

    async def call(self, method: str, path: str, body: bytes = b"") -> int:
        scope: dict[str, Any] = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
            "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
            "headers": [*self.headers, (b"content-length", str(len(body)).encode())],
            "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80),
        }
        delivered = False
        status = 0

        async def receive() -> Message:
            nonlocal delivered
            if delivered:
                await asyncio.Event().wait()  # the client never disconnects
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]

        await self.app(scope, receive, send)
        return status


async def cpu_us(
    driver: Driver | ProtocolDriver, method: str, path: str, body: bytes, requests: int, expected: int
) -> float:
    """Process CPU µs per request over `requests` sequential requests."""
    before = time.process_time()
    for _ in range(requests):
        status = await driver.call(method, path, body)
    elapsed = time.process_time() - before
    if status != expected:
        raise RuntimeError(f"{method} {path} answered {status}, not {expected}")
    return 1e6 * elapsed / requests


@asynccontextmanager
async def running(app: Starlette) -> AsyncIterator[None]:
    """The app's lifespan (store, change hub) around the measurements, as uvicorn runs it."""
    events: asyncio.Queue[Message] = asyncio.Queue()
    ready = asyncio.Event()

    async def receive() -> Message:
        return await events.get()

    async def send(message: Message) -> None:
        if message["type"].startswith("lifespan.startup"):
            ready.set()

    await events.put({"type": "lifespan.startup"})
    lifespan = asyncio.create_task(app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send))
    await ready.wait()
    try:
        yield
    finally:
        await events.put({"type": "lifespan.shutdown"})
        await lifespan


def bare_refusal() -> Starlette:
    async def refused(_request: Request) -> JSONResponse:
        message = "Too many requests: the budget is 1 requests at once; retry in 1 s."
        return JSONResponse({"error": {"code": RATE_LIMITED, "message": message}}, status_code=429)

    return Starlette(routes=[Route("/hunt/{number}", refused, methods=["GET"])])


CASES = {"hunt": "GET /hunt", "typename": "{ __typename }", "graphql_hunt": "GraphQL hunt", "refusal": "429 refusal"}


RATIO_CASES = ("typename", "graphql_hunt", "hunt")


async def measure(
    folder: Path, requests: int, rounds: int, batch: int, batches: int, profile: str | None, protocol: bool = False
) -> tuple[list[tuple[str, float, float]], dict[str, list[float]]]:
    settings = Settings(store=f"sqlite:///{folder}/shell.db", scheduler=False, webhooks=False, **UNLIMITED_SETTINGS)
    services = Services.from_settings(settings)
    numplane = create_app(services=services)
    async with running(numplane):
        root, admin_key, _created = await keys.init_root(services)
        router_key, _key_id = await keys.issue_key(services, root, Role.ROUTER, "shell benchmark")
        added = f'{{"query":"{ADD}","variables":{{"n":[{{"number":"{NUMBER}"}}],"a":"{root.id}"}}}}'
        assert await Driver(numplane, admin_key).call("POST", "/graphql", added.encode()) == 200

        # The refusals: the same services with a router budget of one request and no hold before the 429.
        limited = Settings(store=settings.store, scheduler=False, webhooks=False, rate_limit_router="0.0001/1",
                           rate_limit_hold_seconds=0)
        limited_app = create_app(services=replace(services, settings=limited))
        schema = build_schema(max_depth=settings.max_depth, max_aliases=settings.max_aliases,
                              max_tokens=settings.max_tokens, max_document_chars=settings.max_document_chars)
        bare_graphql = Starlette(routes=[Route("/graphql", NumplaneGraphQL(schema, services))])
        bare_hunt = Starlette(routes=[hunt_route(services)])
        hunt_path = "/hunt/" + NUMBER
        typename = b'{"query":"{ __typename }"}'
        graphql_hunt = f'{{"query":"{HUNT}","variables":{{"n":"{NUMBER}"}}}}'.encode()
        cases = {
            "hunt": ("GET", hunt_path, b"", 200, Driver(numplane, router_key), Driver(bare_hunt, router_key)),
            "typename": ("POST", "/graphql", typename, 200, Driver(numplane, router_key),
                         Driver(bare_graphql, router_key)),
            "graphql_hunt": ("POST", "/graphql", graphql_hunt, 200, Driver(numplane, router_key),
                             Driver(bare_graphql, router_key)),
            "refusal": ("GET", hunt_path, b"", 429, Driver(limited_app, router_key),
                        Driver(bare_refusal(), router_key)),
        }
        await Driver(limited_app, router_key).call("GET", hunt_path)  # spends the one request the budget has

        collect_as_served()
        results = []
        for name, (method, path, body, status, ours, bare) in cases.items():
            for driver in (ours, bare):  # warm caches (auth, parser, validation, routes)
                await cpu_us(driver, method, path, body, 200, status)
            if not rounds:
                continue
            timings: dict[str, list[float]] = {"ours": [], "bare": []}
            for _round in range(rounds):
                timings["ours"].append(await cpu_us(ours, method, path, body, requests, status))
                timings["bare"].append(await cpu_us(bare, method, path, body, requests, status))
            results.append((CASES[name], statistics.median(timings["ours"]), statistics.median(timings["bare"])))
        through = {name: ProtocolDriver(numplane, router_key) if protocol else cases[name][4] for name in RATIO_CASES}
        for name in RATIO_CASES:
            method, path, body, status, *_drivers = cases[name]
            await cpu_us(through[name], method, path, body, 200, status)  # warm
        turns: dict[str, list[float]] = {name: [] for name in RATIO_CASES}
        for _turn in range(batches):
            for name in RATIO_CASES:
                method, path, body, status, *_drivers = cases[name]
                turns[name].append(await cpu_us(through[name], method, path, body, batch, status))
        if profile is not None:
            method, path, body, status, ours, _bare = cases[profile]
            driver = ProtocolDriver(numplane, router_key) if protocol else ours
            await cpu_us(driver, method, path, body, 200, status)
            profiler = cProfile.Profile(time.process_time)
            profiler.enable()
            await cpu_us(driver, method, path, body, requests, status)
            profiler.disable()
            pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
    return results, turns


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000, help="requests per round and app")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batch", type=int, default=200, help="requests per batch of the ratios")
    parser.add_argument("--batches", type=int, default=20, help="batches of each request for the ratios")
    parser.add_argument("--ratios-only", action="store_true", help="skip the comparison with bare Starlette")
    parser.add_argument("--log-format", choices=("text", "json"), default="text")
    parser.add_argument("--profile", choices=list(CASES), help="print a cProfile of numplane serving this request")
    parser.add_argument("--protocol", action="store_true",
                        help="the ratios (and --profile) through the HTTP protocol numplane serve runs, over memory")
    args = parser.parse_args()
    configure_logging("INFO", args.log_format)  # as `numplane serve` does, but into /dev/null
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(open(os.devnull, "w"))  # noqa: SIM115 - lives as long as the process
    with tempfile.TemporaryDirectory() as folder:
        rounds = 0 if args.ratios_only else args.rounds
        results, turns = uvloop.run(
            measure(Path(folder), args.requests, rounds, args.batch, args.batches, args.profile, args.protocol)
        )
    if results:
        print(f"process CPU per request, in process, median of {args.rounds} rounds of {args.requests} "
              f"(log {args.log_format}, load average {os.getloadavg()[0]:.1f})")
    for name, ours, bare in results:
        print(f"  {name:<15} numplane {ours:6.1f} us, bare Starlette {bare:6.1f} us: "
              f"shell +{ours - bare:5.1f} us, numplane ÷ bare {ours / bare:4.2f}")
    through = "through uvicorn's protocol over memory" if args.protocol else "ASGI calls"
    print(f"issue 18's ratios: process CPU per request on numplane's app ({through}), {args.batches} turns of "
          f"{args.batch} requests each (load average {os.getloadavg()[0]:.1f})")
    for statistic, pick in (("fastest batch", min), ("median batch", statistics.median)):
        cpu = {name: pick(turns[name]) for name in RATIO_CASES}
        print(f"  {statistic:<13}  {{ __typename }} {cpu['typename']:6.1f} us, "
              f"GraphQL hunt {cpu['graphql_hunt']:6.1f} us, GET /hunt {cpu['hunt']:6.1f} us: "
              f"GraphQL hunt ÷ {{ __typename }} (rate) "
              f"{cpu['typename'] / cpu['graphql_hunt']:4.2f}, GET /hunt ÷ GraphQL hunt (rate) "
              f"{cpu['graphql_hunt'] / cpu['hunt']:4.2f}")


if __name__ == "__main__":
    main()
