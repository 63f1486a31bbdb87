"""A store URL's password never reaches an answer or a log line, even while the store is unreachable."""

from __future__ import annotations

import logging

import httpx
import pytest

from numplane.app import create_app
from numplane.resolvers.context import Services
from numplane.settings import Settings
from tests.support.couch import free_port


async def test_readyz_and_the_store_retry_lines_of_an_unreachable_couchdb_hide_its_password(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    url = f"http://ops:s3cret@127.0.0.1:{free_port()}"
    app = create_app(services=Services.from_settings(Settings(store=url, scheduler=False, webhooks=False)))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://numplane") as client:
        ready = await client.get("/readyz")
    assert ready.status_code == 503
    retries = [r for r in caplog.records if r.getMessage().startswith("store retry")]
    assert len(retries) == 2 and all("CouchDB at http://127.0.0.1:" in r.getMessage() for r in retries)
    assert "s3cret" not in ready.text
    assert "s3cret" not in caplog.text
