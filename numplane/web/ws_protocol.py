"""The WebSocket server protocol `numplane serve` runs: uvicorn's own (websockets, sans-I/O), plus one ASGI
extension that writes several text messages to the socket at once.

A subscription fan-out sends thousands of small messages a second. Through plain ASGI each is one
`websocket.send`: a trip through every send wrapper, a websockets Frame built and checked, and a
`transport.write` (a system call that also wakes the reader on loopback) per message; that path was most
of the server's CPU per delivered event. With the extension (`"numplane.websocket.texts"` in the scope's
extensions) the app sends one `websocket.send` carrying `TEXTS`: a list of messages, each given as the
parts of its UTF-8 text (a broadcast's payload is one bytes object shared by every message that carries
it). They go out as ordinary text frames, in order, with one write.

Frames are built here only where websockets would build the same bytes: the connection is open, no
fragmented message is in progress and no extension (per-message deflate) transforms payloads; otherwise
the extension is not offered, and the app sends message by message.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import cast

from uvicorn._types import ASGISendEvent
from uvicorn.protocols.utils import ClientDisconnected
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.http11 import Request
from websockets.protocol import State

TEXTS = "numplane.websocket.texts"
"""The scope extension, and the key of a `websocket.send` message that carries several text messages."""

PROTOCOL = "numplane.web.ws_protocol:TextBatchingProtocol"
"""For uvicorn's `ws` setting."""

Text = Sequence[bytes]
"""One text message as the parts of its UTF-8 encoding, joined on the wire."""

_TEXT_FIN = 0x81  # FIN, opcode 1 (text); a server's frames are never masked (RFC 6455 5.1)


def text_frames(texts: Sequence[Text]) -> bytes:
    """Unmasked, unfragmented text frames of `texts`, back to back."""
    parts: list[bytes] = []
    for text in texts:
        length = sum(len(part) for part in text)
        if length < 126:
            parts.append(bytes((_TEXT_FIN, length)))
        elif length < 1 << 16:
            parts.append(struct.pack("!BBH", _TEXT_FIN, 126, length))
        else:
            parts.append(struct.pack("!BBQ", _TEXT_FIN, 127, length))
        parts.extend(text)
    return b"".join(parts)


class TextBatchingProtocol(WebSocketsSansIOProtocol):
    def handle_connect(self, event: Request) -> None:
        super().handle_connect(event)
        if self.response.status_code == 101 and not self.conn.extensions:
            self.scope["extensions"][TEXTS] = {}  # the app starts only after this callback

    async def send(self, message: ASGISendEvent) -> None:
        texts = cast("Sequence[Text] | None", message.get(TEXTS) if message["type"] == "websocket.send" else None)
        if texts is None or not self.handshake_complete or self.close_sent or self.initial_response is not None:
            await super().send(message)  # uvicorn's answer for every other message and state
            return
        await self.writable.wait()
        if self.disconnected:
            raise ClientDisconnected()
        if self.conn.state is not State.OPEN or self.conn.expect_continuation_frame:
            raise ClientDisconnected()  # as uvicorn answers websockets' InvalidState
        self.transport.write(text_frames(texts))
