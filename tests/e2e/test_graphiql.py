"""GraphiQL in debug mode works without internet: every script and style comes from numplane itself."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Page, expect

from tests.e2e.conftest import ROOT, SCREENSHOTS
from tests.support.server import Server


@pytest.fixture(scope="module")
def debug_server(tmp_path_factory: pytest.TempPathFactory, built_console: Path) -> Iterator[Server]:
    server = Server(f"sqlite:///{tmp_path_factory.mktemp('ide') / 'numplane.db'}", extra_env={
        "NUMPLANE_DEBUG": "1", "NUMPLANE_SCHEDULER": "0", "NUMPLANE_CONSOLE_DIR": str(ROOT / "console"),
    })
    server.start()
    yield server
    server.stop()


async def test_graphiql_page_loads_everything_from_numplane(page: Page, debug_server: Server) -> None:
    hosts: set[str] = set()
    page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
    await page.goto(debug_server.url + "/graphql")
    await expect(page.locator(".graphiql-container")).to_be_visible()
    await page.screenshot(path=str(SCREENSHOTS / "graphiql.png"))
    assert hosts == {urlsplit(debug_server.url).netloc}
