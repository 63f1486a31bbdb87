"""A customer's webhook receiver: a small uvicorn app on 127.0.0.1 that verifies every signature with the
`standardwebhooks` library, as a customer would, and records what it was sent."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.support.server import free_port


@dataclass
class Received:
    body: dict[str, Any]
    headers: dict[str, str]
    verified_by: list[str]  # the receiver's secrets whose signature is among those sent


@dataclass
class Receiver:
    url: str
    secrets: list[str] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)  # every request, answered 2xx or not
    status: int = 204  # what it answers; set 503 to play a receiver that is down
    delay: float = 0.0  # seconds before answering: a slow receiver
    held: asyncio.Event | None = None  # when given, every answer waits until it is set: a stuck receiver
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def accepted(self) -> list[Received]:
        """What it answered with a 2xx: the deliveries that count."""
        return [r for r in self.received if r.headers.get("x-test-answered", "").startswith("2")]

    def events(self) -> list[dict[str, Any]]:
        return [r.body for r in self.accepted]

    async def wait_for(self, condition: Callable[[Receiver], bool], timeout: float = 30.0) -> None:
        """Until `condition` holds (checked on every request), or fail after `timeout` seconds."""
        async with asyncio.timeout(timeout):
            while not condition(self):
                self.arrived.clear()
                await self.arrived.wait()

    async def _handle(self, request: Request) -> Response:
        data = (await request.body()).decode()
        headers = dict(request.headers)
        verified = []
        for secret in self.secrets:
            try:
                Webhook(secret).verify(data, headers)
                verified.append(secret)
            except WebhookVerificationError:
                pass
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.held is not None:
            await self.held.wait()
        status = self.status
        headers["x-test-answered"] = str(status)
        self.received.append(Received(json.loads(data), headers, verified))
        self.arrived.set()
        return Response(status_code=status)


@asynccontextmanager
async def receiving() -> AsyncIterator[Receiver]:
    port = free_port()
    receiver = Receiver(url=f"http://127.0.0.1:{port}/hooks")
    app = Starlette(routes=[Route("/hooks", receiver._handle, methods=["POST"])])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="off"))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        if serving.done():
            serving.result()
        await asyncio.sleep(0.02)
    try:
        yield receiver
    finally:
        server.should_exit = True
        await serving
