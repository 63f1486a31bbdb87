"""End to end: the built console in Debian's headless chromium (driven by Playwright), against a real
`numplane serve` on each store. `make test` builds the console and installs chromium first."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from tests.conftest import unique_prefix
from tests.support.server import Server, free_port

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "screenshots"
WAIT_MS = 15_000  # generous for a loaded machine; every wait is for a condition, never a fixed sleep
expect.set_options(timeout=WAIT_MS)


@dataclass
class Numplane:
    """A running numplane with the tree root > Reseller > Customer and a client that talks to it directly."""

    server: Server
    store: str
    admin_key: str
    static_origin: str
    accounts: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.server.url

    def call(self, query: str, variables: dict[str, Any] | None = None, *, key: str | None = None) -> dict[str, Any]:
        response = httpx.post(
            self.url + "/graphql", json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {key or self.admin_key}"}, timeout=30,
        )
        body: dict[str, Any] = response.json()
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    def add(self, numbers: list[str], state: str, account: str | None = None) -> None:
        added = self.call(
            "mutation($n: [NumberRef!]!, $s: NumberState!, $a: String) { addNumbers(input: "
            "{numbers: $n, state: $s, accountId: $a}) { userErrors { code message } } }",
            {"n": [{"number": n} for n in numbers], "s": state, "a": self.accounts.get(account or "")},
        )
        assert added["addNumbers"]["userErrors"] == []

    def create_account(self, name: str, parent: str | None) -> str:
        created = self.call(
            "mutation($n: String!, $p: String) { createAccount(input: {name: $n, parentAccountId: $p}) "
            "{ account { accountId } } }", {"n": name, "p": self.accounts.get(parent or "")},
        )
        account_id: str = created["createAccount"]["account"]["accountId"]
        self.accounts[name] = account_id
        return account_id

    def create_key(self, account: str) -> tuple[str, str]:
        created = self.call(
            "mutation($a: String!) { createApiKey(input: {accountId: $a}) { key keyId } }",
            {"a": self.accounts[account]},
        )["createApiKey"]
        return created["key"], created["keyId"]


class StaticSite:
    """A tiny page server on another port: a different origin from numplane's."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "index.html").write_text("<!doctype html><title>partner portal</title><h1>portal</h1>")
        handler = functools.partial(QuietHandler, directory=str(directory))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def static_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StaticSite]:
    site = StaticSite(tmp_path_factory.mktemp("portal"))
    yield site
    site.close()


@pytest.fixture(scope="session")
def built_console() -> Path:
    build = ROOT / "console" / "dist" / "index.html"
    if not build.is_file():
        pytest.fail("The console is not built: run `make console` (make test does it).")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install chromium` (make test does it).")
    SCREENSHOTS.mkdir(exist_ok=True)
    return build


@pytest.fixture(scope="session", params=["sqlite", "couchdb"])
def numplane(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, static_site: StaticSite,
    built_console: Path,
) -> Iterator[Numplane]:
    if request.param == "sqlite":
        store, prefix = f"sqlite:///{tmp_path_factory.mktemp('e2e') / 'numplane.db'}", "numplane"
    else:
        store, prefix = request.getfixturevalue("couch_url"), unique_prefix()
    static_origin = f"http://127.0.0.1:{static_site.port}"
    server = Server(store, extra_env={
        "NUMPLANE_DB_PREFIX": prefix, "NUMPLANE_ALLOWED_ORIGINS": static_origin, "NUMPLANE_SCHEDULER": "0",
        "NUMPLANE_CARRIERS": "simulated", "NUMPLANE_SIMULATED_CARRIER_FAILURES": "+1888",
        "NUMPLANE_CONSOLE_DIR": str(ROOT / "console"), "NUMPLANE_DEBUG": "0",
    })
    server.start()
    try:
        running = Numplane(server, request.param, server.admin_key, static_origin)
        running.create_account("Reseller", None)
        running.create_account("Customer", "Reseller")
        yield running
    finally:
        server.stop()


@pytest.fixture(scope="session")
async def browser(built_console: Path) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        await launched.close()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    """A fresh tab (its own sessionStorage) at desktop size."""
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    opened = await context.new_page()
    yield opened
    await context.close()


async def sign_in(page: Page, numplane: Numplane, key: str | None = None) -> None:
    await page.goto(numplane.url + "/")
    await page.get_by_label("API key").fill(key or numplane.admin_key)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_test_id("whoami")).not_to_have_text("…")


def crash(server: Server) -> None:
    """The server goes away at once, as in a crash or a lost network: its sockets drop without a goodbye."""
    assert server.process is not None
    server.process.kill()
    server.process.wait()
    server.process = None


async def live(page: Page) -> None:
    await expect(page.get_by_test_id("live-indicator")).to_have_text("Live")


async def screenshot(page: Page, name: str, numplane: Numplane, *, full_page: bool = False) -> None:
    if numplane.store == "sqlite":  # one set is enough
        await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)
