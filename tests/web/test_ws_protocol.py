"""The WebSocket server protocol of `numplane serve`: several text messages in one write, as the frames
websockets itself would send, and every subscription of a connection hearing a change through one write."""

from __future__ import annotations

import asyncio
import json

import pytest
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from numplane.web import ws_protocol
from numplane.web.ws_protocol import Text, text_frames
from tests.support.served import served_ws as served
from tests.support.websocket import acknowledged, subscribe


def parsed(data: bytes) -> list[Frame]:
    """The frames in `data`, read by websockets' own parser as a client reads them."""
    reader = StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    frames = []
    while True:
        at_eof = reader.at_eof()
        try:
            next(at_eof)
        except StopIteration as answered:
            if answered.value:
                return frames
        parser = Frame.parse(reader.read_exact, mask=False)
        try:
            next(parser)
        except StopIteration as done:
            frames.append(done.value)
        else:
            raise AssertionError("a frame was cut short")


def test_text_frames_are_the_frames_websockets_reads_at_every_length_boundary() -> None:
    texts = ["", "x" * 125, "x" * 126, "é" * 40_000, "x" * 65_535, "y" * 65_536, '{"id":"1","payload":"☎"}']
    as_parts: list[Text] = [(t.encode(),) for t in texts[:-1]] + [(b'{"id":"1",', '"payload":"☎"'.encode(), b"}")]
    frames = parsed(text_frames(as_parts))
    assert [(f.opcode, f.fin, f.data.decode()) for f in frames] == [(Opcode.TEXT, True, t) for t in texts]


async def test_twenty_subscriptions_of_one_connection_hear_a_change_through_one_write(
    store_url: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    writes: list[int] = []

    def counted(texts: list[Text]) -> bytes:
        writes.append(len(texts))
        return text_frames(texts)

    monkeypatch.setattr(ws_protocol, "text_frames", counted)
    async with served(store_url) as (api, url):
        socket = await acknowledged(url, api.keys["reseller"])
        try:
            for index in range(20):
                await subscribe(socket, str(index), "subscription { numberChanged { e164 } }")
            await socket.send(json.dumps({"type": "ping"}))  # answered after every subscribe before it started
            assert json.loads(await asyncio.wait_for(socket.recv(), 10)) == {"type": "pong"}
            hub = api.services.hub
            assert hub is not None
            async with asyncio.timeout(30):
                while hub.subscribers < 1:
                    await asyncio.sleep(0.02)
            writes.clear()  # the ack and the pong went out one apiece
            await api.data(
                'mutation { addNumbers(input: {numbers: [{number: "+14155550123"}], state: AVAILABLE}) '
                "{ userErrors { code } } }"
            )
            messages = [json.loads(await asyncio.wait_for(socket.recv(), 10)) for _ in range(20)]
        finally:
            await socket.close()
    assert sorted(m["id"] for m in messages) == sorted(str(i) for i in range(20))
    assert {m["payload"]["data"]["numberChanged"]["e164"] for m in messages} == {"+14155550123"}
    assert writes == [20]
