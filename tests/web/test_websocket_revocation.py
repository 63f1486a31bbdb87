"""An open WebSocket follows its key (issue 15, item 8): once the key is revoked or its account disabled,
its subscriptions end with an `error` and the connection closes with 4403, on both stores. The same through
another replica is in tests/test_replicas.py."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection

from tests.support.served import served_ws as served
from tests.support.websocket import acknowledged, connect, receive, subscribe

CHECK_SECONDS = 0.1  # the re-check interval; the in-process cache is emptied by the revocation itself
SUBSCRIPTION = "subscription { numberChanged { e164 state } }"
ADD = (
    "mutation($n: String!, $a: String!) { addNumbers(input: {numbers: [{number: $n}], state: IN_SERVICE, "
    "accountId: $a}) { userErrors { code } } }"
)

DISABLE = "mutation($a: String!) { updateAccount(input: {accountId: $a, enabled: false}) { userErrors { code } } }"


async def until_closed(socket: ClientConnection) -> tuple[list[dict[str, Any]], int, str]:
    """Every message the server sent until it closed, and the close code and reason."""
    messages = []
    with contextlib.suppress(websockets.ConnectionClosed):
        async with asyncio.timeout(10):
            async for text in socket:
                messages.append(json.loads(text))
    assert socket.close_code is not None, "the server did not close the connection"
    return messages, socket.close_code, socket.close_reason or ""


async def hearing(api: Any, url: str, key: str, number: str) -> ClientConnection:
    """A socket of `key` subscribed to numberChanged that has heard of one change (so it is live)."""
    socket = await acknowledged(url, api.keys[key])
    await subscribe(socket, "changes", SUBSCRIPTION)
    hub = api.services.hub
    while hub.subscribers < 1:
        await asyncio.sleep(0.01)
    added = await api.data(ADD, {"n": number, "a": api.id("C")})
    assert added["addNumbers"]["userErrors"] == []
    heard = await receive(socket)
    assert (heard["type"], heard["payload"]["data"]["numberChanged"]["e164"]) == ("next", number)
    return socket


async def test_a_subscription_ends_with_an_error_and_4403_once_its_key_is_revoked(
    store_url: tuple[str, str],
) -> None:
    async with served(store_url, ws_key_check_seconds=CHECK_SECONDS) as (api, url):
        socket = await hearing(api, url, "child", "+14155550101")
        bystander = await acknowledged(url, api.keys["reseller"])  # another key of the same tree stays
        try:
            revoked = await api.data(
                "mutation($k: String!) { revokeApiKey(keyId: $k) { userErrors { code } } }", {"k": api.key_ids["child"]}
            )
            assert revoked["revokeApiKey"]["userErrors"] == []
            messages, code, reason = await until_closed(socket)
            assert messages == [
                {"id": "changes", "type": "error",
                 "payload": [{"message": reason, "extensions": {"code": "UNAUTHENTICATED"}}]}
            ]
            assert (code, reason) == (4403, "The API key of this connection was revoked.")
            await bystander.send(json.dumps({"type": "ping"}))
            assert (await receive(bystander))["type"] == "pong"
        finally:
            await socket.close()
            await bystander.close()


async def test_a_subscription_ends_once_its_account_is_disabled_and_it_cannot_reconnect(
    store_url: tuple[str, str],
) -> None:
    async with served(store_url, ws_key_check_seconds=CHECK_SECONDS) as (api, url):
        socket = await hearing(api, url, "child", "+14155550102")
        try:
            disabled = await api.data(DISABLE, {"a": api.id("C")})
            assert disabled["updateAccount"]["userErrors"] == []
            messages, code, reason = await until_closed(socket)
            assert [(m["id"], m["type"], m["payload"][0]["extensions"]["code"]) for m in messages] == [
                ("changes", "error", "ACCOUNT_DISABLED")
            ]
            assert (code, reason) == (4403, "The account of this connection is disabled.")
        finally:
            await socket.close()
        again = await connect(url, api.keys["child"])
        try:
            messages, code, reason = await until_closed(again)
            assert (messages, code, reason) == ([], 4403, "The account of this connection is disabled.")
        finally:
            await again.close()
