"""The app behind a real uvicorn on a free port, in this process (so caplog sees what the server logs)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import uvicorn

from numplane.app import create_app
from numplane.web.ws_protocol import PROTOCOL as WS_PROTOCOL
from tests.support.api import Api, build_tree, services_for, settings_for
from tests.support.couch import free_port


@asynccontextmanager
async def served(store_url: tuple[str, str], **settings: Any) -> AsyncIterator[Api]:
    """An Api whose client speaks HTTP over a socket to uvicorn; `api.client.base_url` is the server."""
    services = services_for(settings_for(store_url, **settings))
    port = free_port()
    # log_config=None: uvicorn's loggers then propagate to the root logger, where caplog listens. The
    # WebSocket protocol and its settings are those `numplane serve` runs with.
    config = uvicorn.Config(
        create_app(services=services), host="127.0.0.1", port=port, log_config=None, ws=WS_PROTOCOL,
        ws_per_message_deflate=False,
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    while not server.started:
        if serving.done():
            serving.result()
        await asyncio.sleep(0.05)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            api = Api(client=client, services=services)
            await build_tree(api)
            yield api
    finally:
        server.should_exit = True
        await serving


@asynccontextmanager
async def served_ws(store_url: tuple[str, str], **settings: Any) -> AsyncIterator[tuple[Api, str]]:
    """`served`, with the URL of its GraphQL WebSocket beside the Api."""
    async with served(store_url, **settings) as api:
        yield api, f"ws://{api.client.base_url.host}:{api.client.base_url.port}/graphql"


def logged_errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    """What the server logged at ERROR or above (a traceback means a fault of ours)."""
    return [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.levelno >= logging.ERROR]
