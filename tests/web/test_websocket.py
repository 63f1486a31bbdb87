"""The WebSocket policy through a real uvicorn and a real WebSocket client, on both stores: malformed frames,
oversized messages and refused operations get the protocol's answer, never a traceback; each API key
holds a bounded number of connections."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest
import websockets
from websockets.asyncio.client import ClientConnection

from tests.support.served import served_ws as served
from tests.support.websocket import acknowledged, closed, connect, receive, subscribe

ADD = "mutation($n: String!) { addNumbers(input: {numbers: [{number: $n}], state: AVAILABLE}) { userErrors { code } } }"
N = "+14155550123"


async def admitted_once_released(url: str, key: str) -> ClientConnection:
    """The server frees a closed connection's place when its handler ends, a moment after the close
    handshake: ask again until it has (a bounded number of times)."""
    for _attempt in range(100):
        socket = await connect(url, key)
        try:
            if json.loads(await socket.recv())["type"] == "connection_ack":
                return socket
        except websockets.ConnectionClosed:
            assert socket.close_code == 4429
        await socket.close()
        await asyncio.sleep(0.05)
    raise AssertionError("the closed connection's place was never freed")


def assert_no_server_fault(caplog: pytest.LogCaptureFixture) -> None:
    faults = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not faults, [f"{r.name}: {r.getMessage()}" for r in faults]


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        ("[1,2]", "JSON object"),
        ('{"id": "1", "type": "subscribe", "payload": null}', "payload"),
        ('{"id": "1", "type": "subscribe", "payload": {"query": 42}}', "query"),
        ('{"id": 7, "type": "subscribe", "payload": {"query": "{ __typename }"}}', "id"),
        ('{"type": "complete"}', "id"),
        ("[" * 100_000 + "]" * 100_000, "JSON"),
        ("not json", "JSON"),
    ],
    ids=["list", "null-payload", "query-not-string", "id-not-string", "complete-without-id", "deep-json", "not-json"],
)
async def test_a_malformed_frame_closes_the_connection_with_4400_and_no_traceback(
    store_url: tuple[str, str], caplog: pytest.LogCaptureFixture, frame: str, reason: str
) -> None:
    async with served(store_url) as (api, url):
        socket = await acknowledged(url, api.keys["child"])
        await socket.send(frame)
        code, why = await closed(socket)
    assert code == 4400
    assert reason.lower() in why.lower()
    assert_no_server_fault(caplog)


async def test_a_query_over_the_token_limit_gets_an_error_message_and_the_connection_stays_usable(
    store_url: tuple[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    async with served(store_url, max_tokens=50) as (api, url):
        socket = await acknowledged(url, api.keys["child"])
        try:
            await subscribe(socket, "big", "{ " + " ".join(["__typename"] * 100) + " }")
            reply = await receive(socket)
            assert (reply["id"], reply["type"]) == ("big", "error")
            assert "token" in reply["payload"][0]["message"].lower()
            await subscribe(socket, "small", "{ __typename }")
            answer = await receive(socket)
            assert answer == {"id": "small", "type": "next", "payload": {"data": {"__typename": "Query"}}}
            assert (await receive(socket))["type"] == "complete"
        finally:
            await socket.close()
    assert_no_server_fault(caplog)


async def test_an_invalid_subscription_gets_an_error_message(
    store_url: tuple[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    async with served(store_url) as (api, url):
        socket = await acknowledged(url, api.keys["child"])
        try:
            await subscribe(socket, "1", "subscription { numberChanged { noSuchField } }")
            reply = await receive(socket)
            assert (reply["id"], reply["type"]) == ("1", "error")
            await socket.send(json.dumps({"type": "ping"}))
            assert (await receive(socket))["type"] == "pong"
        finally:
            await socket.close()
    assert_no_server_fault(caplog)


async def test_a_message_over_the_body_limit_closes_with_1009_and_does_not_run(
    store_url: tuple[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    limit = 64 * 1024
    async with served(store_url, max_body_bytes=limit) as (api, url):
        socket = await acknowledged(url, api.keys["admin"])
        padding = " " * limit  # a mutation that is valid but too big
        await subscribe(socket, "1", ADD + padding, {"n": N})
        code, reason = await closed(socket)
        assert code == 1009
        assert str(limit) in reason
        found = await api.data("query($n: String!) { number(number: $n) { e164 } }", {"n": N})
        assert found["number"] is None
    assert_no_server_fault(caplog)


async def test_a_message_within_the_body_limit_runs(store_url: tuple[str, str]) -> None:
    async with served(store_url, max_body_bytes=64 * 1024) as (api, url):
        socket = await acknowledged(url, api.keys["admin"])
        try:
            await subscribe(socket, "1", ADD + " " * 1000, {"n": N})
            reply = await receive(socket)
            assert reply == {"id": "1", "type": "next", "payload": {"data": {"addNumbers": {"userErrors": []}}}}
        finally:
            await socket.close()


async def test_an_api_key_holds_at_most_the_configured_websockets_and_closing_one_frees_a_place(
    store_url: tuple[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    async with served(store_url, max_websockets_per_key=3) as (api, url):
        held = [await acknowledged(url, api.keys["child"]) for _ in range(3)]
        refused = await connect(url, api.keys["child"])
        code, reason = await closed(refused)
        assert code == 4429
        assert "limit 3" in reason
        other = await acknowledged(url, api.keys["reseller"])  # another key is not affected
        await held.pop().close()
        again = await admitted_once_released(url, api.keys["child"])
        for socket in (*held, other, again):
            await socket.close()
    assert_no_server_fault(caplog)
