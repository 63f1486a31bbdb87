"""A graphql-transport-ws subscriber that tallies what it hears at little CPU per message.

The fan-out benchmark's subscribers share the machine's two cores with the server they load. Through the
websockets library each received message cost a frame object, UTF-8 validation and a `json.loads`: the
subscriber process used 8-13 CPU-seconds beside the server's ~14 in one run, and the server's figure
measured their fight for the cores as much as the server. This client speaks just enough WebSocket (the
handshake, masked client frames, a pong for every ping) over a plain asyncio stream and reads each
server frame by its header. Every message is still checked: a `next` has its operation id and the first
`"e164"` of its payload picked out by the bytes, and anything else is decoded and reported. The tally
says which subscription heard which number, so the benchmark verifies that every subscription heard every
change exactly once.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import struct
from collections import Counter
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

PROTOCOL = "graphql-transport-ws"
NEXT_AFTER_ID = b'","type":"next","payload":'  # numplane's `next` messages: {"id":"<id>","type":"next",...
E164 = re.compile(rb'"e164":"([^"]*)"')
TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA


class Refused(Exception):
    """The server sent something other than the next result of a subscription."""


def client_frame(opcode: int, payload: bytes) -> bytes:
    """A masked, unfragmented frame (RFC 6455 5.3: every client frame is masked)."""
    mask = os.urandom(4)
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", 0x80 | opcode, 0x80 | length)
    elif length < 1 << 16:
        header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, length)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, length)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return header + mask + masked


class Subscriber:
    """One connection: `heard[(operation id, e164)]` counts the `next` messages received."""

    def __init__(self, url: str, key: str) -> None:
        self.url = urlsplit(url)
        self.key = key
        self.heard: Counter[tuple[bytes, bytes]] = Counter()
        self.messages = 0
        self._writer: asyncio.StreamWriter | None = None

    async def run(self, queries: list[tuple[str, str]], acknowledged: asyncio.Event | None = None) -> None:
        """Connect, start `queries` (id, document) and tally until the server closes or this is cancelled."""
        reader, writer = await asyncio.open_connection(self.url.hostname, self.url.port)
        self._writer = writer
        try:
            await self._handshake(reader, writer)
            self._send_text({"type": "connection_init", "payload": {"authorization": f"Bearer {self.key}"}})
            frames = self._frames(reader)
            ack = json.loads(await anext(frames))
            if ack.get("type") != "connection_ack":
                raise Refused(f"connection refused: {ack}")
            for operation_id, query in queries:
                self._send_text({"id": operation_id, "type": "subscribe", "payload": {"query": query}})
            await writer.drain()
            if acknowledged is not None:
                acknowledged.set()
            async for payload in frames:
                self._tally(payload)
        finally:
            writer.close()

    def _tally(self, payload: bytes) -> None:
        end = payload.find(NEXT_AFTER_ID, 7)
        found = E164.search(payload, end) if payload.startswith(b'{"id":"') and end > 0 else None
        if found is None:
            raise Refused(f"not a `next` with a number: {payload[:300]!r}")
        self.heard[payload[7:end], found.group(1)] += 1
        self.messages += 1

    async def _handshake(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = (
            f"GET {self.url.path or '/'} HTTP/1.1\r\nHost: {self.url.netloc}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\n"
            f"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: {PROTOCOL}\r\n\r\n"
        )
        writer.write(request.encode())
        answer = await reader.readuntil(b"\r\n\r\n")
        if not answer.startswith(b"HTTP/1.1 101"):
            raise Refused(f"no upgrade: {answer[:200]!r}")

    async def _frames(self, reader: asyncio.StreamReader) -> AsyncIterator[bytes]:
        """The payload of each text frame; pings answered, a close ends it."""
        buffer = bytearray()
        at = 0
        while True:
            chunk = await reader.read(1 << 18)
            if not chunk:
                return
            buffer += chunk
            while len(buffer) - at >= 2:
                if not buffer[at] & 0x80:
                    raise Refused("a fragmented message: numplane sends each message in one frame")
                opcode, length = buffer[at] & 0x0F, buffer[at + 1] & 0x7F
                start = at + 2
                if length == 126:
                    start += 2
                    if len(buffer) < start:
                        break
                    (length,) = struct.unpack_from("!H", buffer, at + 2)
                elif length == 127:
                    start += 8
                    if len(buffer) < start:
                        break
                    (length,) = struct.unpack_from("!Q", buffer, at + 2)
                if len(buffer) < start + length:
                    break
                payload = bytes(buffer[start:start + length])
                at = start + length
                if opcode == TEXT:
                    yield payload
                elif opcode == PING:
                    self._write(client_frame(PONG, payload))
                elif opcode == CLOSE:
                    return
            del buffer[:at]
            at = 0

    def _send_text(self, message: object) -> None:
        self._write(client_frame(TEXT, json.dumps(message).encode()))

    def _write(self, frame: bytes) -> None:
        assert self._writer is not None
        self._writer.write(frame)
