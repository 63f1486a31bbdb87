"""What the request line costs: the app in process (no sockets) with and without the RequestLog middleware.

Requests are ASGI calls straight into the app over an embedded store, logging configured as in production
(INFO, JSON lines) but written to /dev/null, so the figure is numplane's own work: the request id, the
header, the record the GraphQL endpoint fills in, and formatting the line. Rounds alternate between the two
apps; the median of each is reported.

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

from numplane.app import create_app
from numplane.logs.setup import configure_logging
from numplane.resolvers import keys
from numplane.resolvers.context import Services
from numplane.settings import Settings
from numplane.web.request_log import RequestLog

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


def without_request_log(app: Starlette) -> Starlette:
    app.user_middleware = [m for m in app.user_middleware if m.cls is not RequestLog]
    app.middleware_stack = None
    return app


async def main(requests: int, rounds: int) -> None:
    configure_logging("INFO", "json")  # as `NUMPLANE_LOG_FORMAT=json numplane serve` does, but into /dev/null
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(open(os.devnull, "w"))  # noqa: SIM115 - lives as long as the process
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(store=f"sqlite:///{folder}/bench.db", scheduler=False, webhooks=False)
        services = Services.from_settings(settings)
        await services.store.open()
        _root, key, _created = await keys.init_root(services)
        headers = [(b"authorization", f"Bearer {key}".encode()), (b"content-type", b"application/json")]
        apps = {"with": create_app(services=services), "without": without_request_log(create_app(services=services))}
        for name, body in QUERIES.items():
            timings: dict[str, list[float]] = {"with": [], "without": []}
            for app in apps.values():  # warm caches (parser, validation, auth)
                for _ in range(50):
                    assert await call(app, "/graphql", "POST", headers, body) == 200
            for _round in range(rounds):
                for label, app in apps.items():
                    started = time.perf_counter()
                    for _ in range(requests):
                        await call(app, "/graphql", "POST", headers, body)
                    timings[label].append((time.perf_counter() - started) / requests * 1e6)
            with_log, without = statistics.median(timings["with"]), statistics.median(timings["without"])
            print(
                f"{name:16} without request log {without:7.1f} us/request, with {with_log:7.1f} us "
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
