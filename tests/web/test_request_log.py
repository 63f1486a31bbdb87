"""One structured line per request: its id (the client's when sane, returned on every answer), what ran,
for whom, how it ended and how long it took; lines written deep down name the request they belong to."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.api import Api, running_api, services_for, settings_for
from tests.support.log_lines import capture_json, json_lines
from tests.support.served import served_ws
from tests.support.server import Server
from tests.support.websocket import acknowledged

REQUESTS = "numplane.requests"
GENERATED = re.compile(r"^[0-9a-f]{16}$")


@pytest.fixture
async def api(store_url: tuple[str, str], caplog: pytest.LogCaptureFixture) -> AsyncIterator[Api]:
    capture_json(caplog)
    async with running_api(services_for(settings_for(store_url))) as running:
        yield running


def request_lines(caplog: pytest.LogCaptureFixture, request_id: str) -> list[dict[str, Any]]:
    return [line for line in json_lines(caplog, REQUESTS) if line["request_id"] == request_id]


async def test_a_mutation_is_one_line_with_its_operation_key_account_and_user_errors_by_code(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    mutation = (
        "mutation Revoke { a: revokeApiKey(keyId: \"nope\") { userErrors { code } } "
        "b: revokeApiKey(keyId: \"nope-either\") { userErrors { code } } }"
    )
    response = await api.client.post(
        "/graphql", json={"query": mutation}, headers={
            "Authorization": f"Bearer {api.keys['reseller']}", "X-Request-ID": "checkout-42/a:b",
        },
    )
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "checkout-42/a:b"
    codes = {payload["userErrors"][0]["code"] for payload in response.json()["data"].values()}
    [line] = request_lines(caplog, "checkout-42/a:b")
    assert line["level"] == "INFO"
    assert line["method"] == "POST" and line["path"] == "/graphql" and line["status"] == 200
    assert line["operation"] == "Revoke" and line["operation_type"] == "mutation"
    assert line["key_id"] == api.key_ids["reseller"]
    assert line["account"] == api.id("R")
    assert line["user_errors"] == {code: 2 for code in codes}
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] > 0
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", line["time"])
    assert api.keys["reseller"] not in caplog.text  # the key's id, never the key


async def test_a_query_without_user_errors_names_an_anonymous_operation(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    response = await api.post("{ me { name } }")
    [line] = request_lines(caplog, response.headers["x-request-id"])
    assert (line["operation"], line["operation_type"], line["status"]) == ("-", "query", 200)
    assert "user_errors" not in line and "errors" not in line


@pytest.mark.parametrize(
    "sent", ["x" * 129, "two words", "tab\there", "caf\u00e9", ""],
    ids=["long", "space", "control", "non-ascii", "empty"],
)
async def test_an_unfit_request_id_is_replaced_by_a_generated_one(
    api: Api, caplog: pytest.LogCaptureFixture, sent: str
) -> None:
    response = await api.client.get("/healthz", headers=[(b"x-request-id", sent.encode())])
    returned = response.headers["x-request-id"]
    assert GENERATED.match(returned)
    [line] = request_lines(caplog, returned)
    assert (line["method"], line["path"], line["status"]) == ("GET", "/healthz", 200)


async def test_a_refused_request_has_its_id_and_its_error_code_in_the_line(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    response = await api.post("{ me { name } }", key=None)
    assert response.status_code == 401
    [line] = request_lines(caplog, response.headers["x-request-id"])
    assert line["status"] == 401 and "key_id" not in line


async def test_a_graphql_error_is_counted_by_code(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    response = await api.post("{ me { nope } }")
    [line] = request_lines(caplog, response.headers["x-request-id"])
    assert line["errors"] == {response.json()["errors"][0]["extensions"]["code"]: 1}


async def test_an_unhandled_error_is_a_500_naming_its_request_in_the_answer_and_the_traceback(
    api: Api, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken() -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(api.services.store, "ping", broken)
    response = await api.client.get("/readyz")
    assert response.status_code == 500
    assert response.json()["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert "a bug" not in response.text
    lines = request_lines(caplog, response.headers["x-request-id"])
    assert [line["level"] for line in lines] == ["ERROR", "INFO"]
    assert "RuntimeError: a bug" in lines[0]["exception"]
    assert lines[1]["status"] == 500


async def test_store_calls_slower_than_the_threshold_are_logged_with_the_request_id(
    store_url: tuple[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    capture_json(caplog)
    async with running_api(services_for(settings_for(store_url, slow_store_ms=0))) as api:
        response = await api.post("{ me { name } }", key="child")
    request_id = response.headers["x-request-id"]
    slow = [line for line in json_lines(caplog, "numplane.store") if line.get("request_id") == request_id]
    assert slow, caplog.text
    assert {line["level"] for line in slow} == {"WARNING"}
    assert {line["call"] for line in slow} <= {"get_many", "query", "id_range", "count"}
    assert all(line["duration_ms"] >= 0 for line in slow)


async def test_a_websocket_handshake_returns_its_id_and_the_connection_is_one_line(
    store_url: tuple[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    capture_json(caplog)
    async with served_ws(store_url) as (api, url):
        socket = await acknowledged(url, api.keys["child"])
        assert socket.response is not None
        request_id = socket.response.headers["x-request-id"]
        assert GENERATED.match(request_id)
        await socket.close()
        for _attempt in range(100):  # the server writes the line when its handler has seen the close
            if request_lines(caplog, request_id):
                break
            await asyncio.sleep(0.05)
    [line] = request_lines(caplog, request_id)
    assert (line["method"], line["path"], line["status"]) == ("WS", "/graphql", 101)
    assert line["key_id"] == api.key_ids["child"] and line["account"] == api.id("C")


def test_a_real_server_writes_json_lines_on_stderr_with_the_request_line(tmp_path: Path) -> None:
    server = Server(
        f"sqlite:///{tmp_path}/logs.db", capture_stderr=True,
        extra_env={"NUMPLANE_LOG_FORMAT": "json", "NUMPLANE_SCHEDULER": "0", "NUMPLANE_WEBHOOKS": "0"},
    )
    server.start()
    try:
        response = httpx.post(
            server.url + "/graphql", json={"query": "query Who { me { name } }"},
            headers={"Authorization": f"Bearer {server.admin_key}", "X-Request-ID": "from-the-balancer"},
        )
        assert response.headers["x-request-id"] == "from-the-balancer"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any("from-the-balancer" in x for x in server.stderr_lines):
            time.sleep(0.05)
    finally:
        server.stop()
    lines = [json.loads(line) for line in server.stderr_lines]  # every line is JSON, uvicorn's too
    [request] = [line for line in lines if line.get("request_id") == "from-the-balancer"]
    assert (request["logger"], request["operation"], request["operation_type"]) == ("numplane.requests", "Who", "query")
    assert request["status"] == 200 and request["key_id"]
    assert any(line["logger"].startswith("uvicorn") for line in lines)
    assert server.admin_key not in "\n".join(server.stderr_lines)
