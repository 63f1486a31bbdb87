"""The command line, and the server it starts, end to end over real HTTP."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from numplane.cli import app
from numplane.schema.schema import sdl
from tests.support.server import Server

runner = CliRunner()


@pytest.fixture
def store_arg(tmp_path: Path) -> list[str]:
    return ["--store", f"sqlite:///{tmp_path / 'cli.db'}"]


def test_init_prints_one_admin_key_and_a_second_init_keeps_the_same_root(store_arg: list[str]) -> None:
    first = runner.invoke(app, ["init", "--name", "M", *store_arg])
    assert first.exit_code == 0, first.output
    assert first.output.count("\n") == 1 and first.output.startswith("np_")
    second = runner.invoke(app, ["init", *store_arg])
    assert second.output.startswith("np_") and second.output != first.output


def test_accounts_and_keys_are_created_as_the_root_admin(store_arg: list[str]) -> None:
    assert runner.invoke(app, ["accounts", "create", "R", *store_arg]).exit_code == 1  # no root yet
    runner.invoke(app, ["init", *store_arg])
    reseller = runner.invoke(app, ["accounts", "create", "R", *store_arg]).output.strip()
    child = runner.invoke(app, ["accounts", "create", "C", "--parent", reseller, *store_arg]).output.strip()
    assert len(child) == 32
    key = runner.invoke(app, ["keys", "create", child, "--role", "router", *store_arg])
    assert key.exit_code == 0 and key.output.startswith("np_")
    wrong = runner.invoke(app, ["keys", "create", child, "--role", "boss", *store_arg])
    assert wrong.exit_code == 1 and "INVALID_FIELD" in wrong.output


def test_schema_prints_the_sdl() -> None:
    result = runner.invoke(app, ["schema"])
    assert result.output == sdl()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = Server(f"sqlite:///{tmp_path_factory.mktemp('serve') / 'serve.db'}")
    running.start()
    try:
        yield running
    finally:
        running.stop()


def test_serve_init_prints_the_admin_key_once_and_serves_it(server: Server) -> None:
    assert "API key" in server.first_line and server.admin_key.startswith("np_")
    response = httpx.post(
        server.url + "/graphql", json={"query": "{ me { name isAdmin } }"},
        headers={"Authorization": f"Bearer {server.admin_key}"},
    )
    assert response.json() == {"data": {"me": {"name": "root", "isAdmin": True}}}


def test_real_server_refuses_missing_keys_and_oversized_bodies(server: Server) -> None:
    assert httpx.post(server.url + "/graphql", json={"query": "{ me { name } }"}).status_code == 401
    big = httpx.post(
        server.url + "/graphql", content=b"x" * (1024 * 1024 + 1),
        headers={"Authorization": f"Bearer {server.admin_key}", "content-type": "application/json"},
    )
    assert big.status_code == 413


def test_real_server_runs_a_number_through_its_lifecycle(server: Server) -> None:
    headers = {"Authorization": f"Bearer {server.admin_key}"}

    def call(query: str) -> dict[str, Any]:
        body: dict[str, Any] = httpx.post(server.url + "/graphql", json={"query": query}, headers=headers).json()
        return body

    added = call('mutation { addNumbers(input: {numbers: [{number: "+14155550177"}], state: IN_SERVICE}) '
                 "{ numbers { state } userErrors { code } } }")
    assert added == {"data": {"addNumbers": {"numbers": [{"state": "IN_SERVICE"}], "userErrors": []}}}
    # The server is shared by this module's tests: look for this test's number, not at the whole listing.
    listed = call("{ numbers(first: 100) { edges { node { e164 account { name } } } } }")
    nodes = [edge["node"] for edge in listed["data"]["numbers"]["edges"]]
    assert [n for n in nodes if n["e164"] == "+14155550177"] == [{"e164": "+14155550177", "account": {"name": "root"}}]
    assert httpx.get(server.url + "/readyz").status_code == 200


def test_two_workers_share_one_store_and_each_routes_the_others_writes(store_url: tuple[str, str]) -> None:
    url, prefix = store_url
    server = Server(url, extra_env={"NUMPLANE_DB_PREFIX": prefix, "NUMPLANE_SCHEDULER": "0"},
                    args=("--workers", "2"))
    server.start()
    try:
        admin = {"Authorization": f"Bearer {server.admin_key}"}

        def call(query: str) -> dict[str, Any]:
            body: dict[str, Any] = httpx.post(server.url + "/graphql", json={"query": query}, headers=admin).json()
            return body["data"]

        root = call("{ me { accountId } }")["me"]["accountId"]
        router = call(f'mutation {{ createApiKey(input: {{accountId: "{root}", role: "router"}}) {{ key }} }}')
        hunt = {"Authorization": f"Bearer {router['createApiKey']['key']}"}
        added = call('mutation { addNumbers(input: {numbers: [{number: "+14155550188"}], state: IN_SERVICE}) '
                     "{ userErrors { code } } }")
        assert added == {"addNumbers": {"userErrors": []}}
        # Each request opens its own connection, so both workers answer; the one that did not make the
        # write learns of it from the store's change feed within one poll.
        answers: list[str] = []
        deadline = time.monotonic() + 30
        while len(answers) < 20 and time.monotonic() < deadline:
            answer = httpx.get(server.url + "/hunt/%2B14155550188", headers=hunt).json()["disposition"]
            answers = [*answers, answer] if answer == "ROUTE" else []
        assert answers == ["ROUTE"] * 20
    finally:
        server.stop()
