"""Raw graphql-transport-ws clients of a served app (tests.support.served.served_ws)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection

PROTOCOL = "graphql-transport-ws"


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
