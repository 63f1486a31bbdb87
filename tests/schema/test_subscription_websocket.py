"""numberChanged over a real WebSocket (graphql-transport-ws) against a real uvicorn, on both stores."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import websockets
from gql import Client, gql
from gql.transport.websockets import WebsocketsTransport

from tests.support.served import served_ws as served

N = "+14155550123"
SUBSCRIPTION = gql("subscription { numberChanged { e164 state deleted number { e164 } } }")


async def first_event(url: str, key: str, ready: asyncio.Event) -> dict[str, Any]:
    transport = WebsocketsTransport(
        url=url, init_payload={"authorization": f"Bearer {key}"},
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL], close_timeout=1,
    )
    async with Client(transport=transport) as session:
        events = session.subscribe(SUBSCRIPTION)
        ready.set()
        async for result in events:
            event: dict[str, Any] = result["numberChanged"]
            return event
    raise AssertionError("the subscription ended without an event")


async def test_a_websocket_subscriber_receives_an_event_after_a_mutation(store_url: tuple[str, str]) -> None:
    async with served(store_url) as (api, url):
        await api.data(
            'mutation($n: String!) { addNumbers(input: {numbers: [{number: $n}], state: AVAILABLE}) '
            "{ userErrors { message } } }", {"n": N},
        )
        ready = asyncio.Event()
        receiving = asyncio.create_task(asyncio.wait_for(first_event(url, api.keys["reseller"], ready), 20))
        await ready.wait()
        hub = api.services.hub
        assert hub is not None
        while hub.subscribers < 1 and not receiving.done():
            await asyncio.sleep(0.02)
        await api.data(
            "mutation($n: String!) { activateNumbers(input: {numbers: [{number: $n}]}) { userErrors { message } } }",
            {"n": N}, key="reseller",
        )
        event = await receiving
        assert event == {"e164": N, "state": "IN_SERVICE", "deleted": False, "number": {"e164": N}}


async def _handshake(url: str, payload: dict[str, Any], **options: Any) -> Any:
    socket = await websockets.connect(url, subprotocols=["graphql-transport-ws"], **options)  # type: ignore[list-item]
    await socket.send(json.dumps({"type": "connection_init", "payload": payload}))
    return socket


async def test_a_websocket_without_a_valid_key_is_refused(store_url: tuple[str, str]) -> None:
    async with served(store_url) as (_api, url):
        socket = await _handshake(url, {"authorization": "Bearer np_nope_nope"})
        try:
            reply = await asyncio.wait_for(socket.recv(), 5)
            assert json.loads(reply)["type"] != "connection_ack"
        except websockets.ConnectionClosed as closed:
            assert closed.rcvd is not None and closed.rcvd.code == 4403
        finally:
            await socket.close()


async def test_subscriptions_per_connection_are_limited(store_url: tuple[str, str]) -> None:
    limit = 2
    async with served(store_url, max_subscriptions_per_connection=limit) as (api, url):
        socket = await _handshake(url, {"authorization": f"Bearer {api.keys['child']}"})
        try:
            assert json.loads(await asyncio.wait_for(socket.recv(), 5))["type"] == "connection_ack"
            query = "subscription { numberChanged { e164 } }"
            for index in range(limit + 1):
                await socket.send(json.dumps({"id": str(index), "type": "subscribe", "payload": {"query": query}}))
            reply = json.loads(await asyncio.wait_for(socket.recv(), 5))
            assert (reply["id"], reply["type"]) == (str(limit), "error")
            assert "limit" in reply["payload"][0]["message"].lower()
        finally:
            await socket.close()


async def test_a_browser_from_an_origin_not_allowed_is_refused(store_url: tuple[str, str]) -> None:
    async with served(store_url) as (api, url):
        try:
            socket = await _handshake(
                url, {"authorization": f"Bearer {api.keys['child']}"}, origin="https://evil.example"
            )
        except websockets.InvalidStatus as refused:
            assert refused.response.status_code == 403
        else:
            await socket.close()
            raise AssertionError("a cross-origin handshake was accepted")


async def test_the_key_in_the_upgrade_requests_authorization_header_is_accepted(store_url: tuple[str, str]) -> None:
    """SPEC §9: the key goes in connection_init, or in an Authorization header on the upgrade request."""
    async with served(store_url) as (api, url):
        socket = await _handshake(url, {}, additional_headers={"Authorization": f"Bearer {api.keys['child']}"})
        try:
            assert json.loads(await asyncio.wait_for(socket.recv(), 5))["type"] == "connection_ack"
            await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": "{ me { name } }"}}))
            reply = json.loads(await asyncio.wait_for(socket.recv(), 5))
            assert (reply["type"], reply["payload"]) == ("next", {"data": {"me": {"name": "C"}}})  # the header's key
        finally:
            await socket.close()
        wrong = await _handshake(url, {}, additional_headers={"Authorization": "Bearer np_nope_nope"})
        try:
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(wrong.recv(), 5)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
        finally:
            await wrong.close()
