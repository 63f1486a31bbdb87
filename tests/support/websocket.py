"""A real uvicorn serving the app in this process, and raw graphql-transport-ws clients of it."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import uvicorn
import websockets
from websockets.asyncio.client import ClientConnection

from numplane.app import create_app
from tests.support.api import Api, build_tree, services_for, settings_for
from tests.support.couch import free_port

PROTOCOL = "graphql-transport-ws"


@asynccontextmanager
async def served(store_url: tuple[str, str], **settings: Any) -> AsyncIterator[tuple[Api, str]]:
    """The app on a free port with the tenant tree of tests.support.api; yields (api, WebSocket URL).

    uvicorn's own logging config is left out, so its records (a traceback of the ASGI application among
    them) reach pytest's caplog like everyone else's."""
    services = services_for(settings_for(store_url, **settings))
    port = free_port()
    config = uvicorn.Config(create_app(services=services), port=port, log_level="warning", log_config=None)
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    while not server.started:
        if serving.done():
            serving.result()
        await asyncio.sleep(0.05)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            api = Api(client=client, services=services)
            await build_tree(api)
            yield api, f"ws://127.0.0.1:{port}/graphql"
    finally:
        server.should_exit = True
        await serving


async def connect(url: str, key: str) -> ClientConnection:
    """A connection past connection_init: acknowledged, or closed by the server (see `closed`)."""
    socket = await websockets.connect(url, subprotocols=[PROTOCOL], max_size=None)  # type: ignore[list-item]
    await socket.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {key}"}}))
    return socket


async def acknowledged(url: str, key: str) -> ClientConnection:
    socket = await connect(url, key)
    reply = json.loads(await asyncio.wait_for(socket.recv(), 10))
    assert reply["type"] == "connection_ack", reply
    return socket


async def closed(socket: ClientConnection) -> tuple[int, str]:
    """The code and reason the server closed with (after reading whatever it sent before)."""
    try:
        async with asyncio.timeout(10):
            with contextlib.suppress(websockets.ConnectionClosed):
                async for _message in socket:
                    pass
    finally:
        await socket.close()
    assert socket.close_code is not None, "the server did not close the connection"
    return socket.close_code, socket.close_reason or ""


async def subscribe(
    socket: ClientConnection, operation_id: str, query: str, variables: dict[str, Any] | None = None
) -> None:
    payload: dict[str, Any] = {"query": query, **({"variables": variables} if variables else {})}
    await socket.send(json.dumps({"id": operation_id, "type": "subscribe", "payload": payload}))


async def receive(socket: ClientConnection) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(socket.recv(), 10))
    return message
