"""numberChanged over a real WebSocket (graphql-transport-ws) against a real uvicorn, on both stores."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import uvicorn
from gql import Client, gql
from gql.transport.websockets import WebsocketsTransport

from numplane.app import create_app
from tests.support.api import Api, build_tree, services_for, settings_for
from tests.support.couch import free_port

N = "+14155550123"
SUBSCRIPTION = gql("subscription { numberChanged { e164 state deleted number { e164 } } }")


@asynccontextmanager
async def served(store_url: tuple[str, str]) -> AsyncIterator[tuple[Api, str]]:
    services = services_for(settings_for(store_url))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(services=services), port=port, log_level="warning"))
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
