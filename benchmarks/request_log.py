"""What the request line costs: the app in process (no sockets) with the line (INFO) and without (WARNING).

Requests are ASGI calls straight into the app over an embedded store, logging configured as in production
(INFO, JSON lines) but written to /dev/null, so the figure is numplane's own work of building and writing
the line; at WARNING nothing of it is built (the request id, its header and the record the GraphQL endpoint
fills in are there either way: see benchmarks/shell.py for the whole request shell). Rounds alternate
between the two levels; the median of each is reported.

`python -m benchmarks.request_log [--requests 2000] [--rounds 5]`
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import tempfile
import time
from typing import Any

from starlette.applications import Starlette

from benchmarks.budgets import UNLIMITED_SETTINGS
from numplane.app import create_app
from numplane.logs.setup import configure_logging
from numplane.resolvers import keys
from numplane.resolvers.context import Services
from numplane.settings import Settings

QUERIES = {
    "{ __typename }": b'{"query":"{ __typename }"}',
    "me { name }": b'{"query":"query Me { me { name } }"}',
}


async def call(app: Starlette, path: str, method: str, headers: list[tuple[bytes, bytes]], body: bytes) -> int:
    scope: dict[str, Any] = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": headers, "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80),
    }
    sent = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def main(requests: int, rounds: int) -> None:
    configure_logging("INFO", "json")  # as `NUMPLANE_LOG_FORMAT=json numplane serve` does, but into /dev/null
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(open(os.devnull, "w"))  # noqa: SIM115 - lives as long as the process
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(store=f"sqlite:///{folder}/bench.db", scheduler=False, webhooks=False, **UNLIMITED_SETTINGS)
        services = Services.from_settings(settings)
        await services.store.open()
        _root, key, _created = await keys.init_root(services)
        headers = [(b"authorization", f"Bearer {key}".encode()), (b"content-type", b"application/json")]
        app = create_app(services=services)
        levels = {"with": logging.INFO, "without": logging.WARNING}
        for name, body in QUERIES.items():
            timings: dict[str, list[float]] = {"with": [], "without": []}
            for _ in range(50):  # warm caches (parser, validation, auth)
                assert await call(app, "/graphql", "POST", headers, body) == 200
            for _round in range(rounds):
                for label, level in levels.items():
                    logging.getLogger().setLevel(level)
                    started = time.perf_counter()
                    for _ in range(requests):
                        await call(app, "/graphql", "POST", headers, body)
                    timings[label].append((time.perf_counter() - started) / requests * 1e6)
            logging.getLogger().setLevel(logging.INFO)
            with_log, without = statistics.median(timings["with"]), statistics.median(timings["without"])
            print(
                f"{name:16} without request line {without:7.1f} us/request, with {with_log:7.1f} us "
                f"(+{with_log - without:5.1f} us, {100 * (with_log - without) / without:+.1f} %)",
                flush=True,
            )
        await services.store.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.requests, arguments.rounds))
