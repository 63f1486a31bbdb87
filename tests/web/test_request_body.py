"""Malformed, slow and ambiguous requests to /graphql over real HTTP: a 4xx JSON error with a code, never a 500."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from numplane.web.body import MAX_NESTING
from tests.support.api import Api
from tests.support.served import logged_errors, served


def headers(api: Api, key: str = "admin") -> dict[str, str]:
    return {"Authorization": f"Bearer {api.keys[key]}", "Content-Type": "application/json"}


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == code
    assert error["message"]
    body: dict[str, Any] = error
    return body


@pytest.mark.parametrize("raw", [
    b"null", b"42", b'"x"', b"true", b"[1, 2]",
    b'{"query": "{ me { id } }", "variables": "\xff\xfe"}',  # invalid UTF-8
    b'{"query": "{ me { id } }"',  # cut short
    b"[" * 1000 + b"]" * 1000,
    b'{"query": "{ me { id } }", "variables": {"a": ' + b"[" * 1000 + b"]" * 1000 + b"}}",
])
async def test_a_malformed_body_is_a_400_json_error_and_logs_nothing(
    store_url: tuple[str, str], caplog: pytest.LogCaptureFixture, raw: bytes
) -> None:
    async with served(store_url) as api:
        response = await api.client.post("/graphql", content=raw, headers=headers(api))
        assert_error(response, 400, "INVALID_FIELD")
    assert logged_errors(caplog) == []


async def test_a_body_nested_to_the_limit_still_runs(store_url: tuple[str, str]) -> None:
    variables = {"unused": json.loads("[" * (MAX_NESTING - 2) + "]" * (MAX_NESTING - 2))}
    async with served(store_url) as api:
        response = await api.client.post(
            "/graphql", json={"query": "{ me { name } }", "variables": variables}, headers=headers(api)
        )
    assert response.status_code == 200
    assert response.json()["data"]["me"]["name"] == "M"


async def test_a_stalled_body_is_answered_408_when_the_body_timeout_passes(
    store_url: tuple[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    async with served(store_url, body_timeout_seconds=0.5) as api:
        url = httpx.URL(str(api.client.base_url))
        reader, writer = await asyncio.open_connection(url.host, url.port)
        writer.write(
            b"POST /graphql HTTP/1.1\r\nHost: numplane\r\nContent-Type: application/json\r\n"
            + f"Authorization: Bearer {api.keys['admin']}\r\nContent-Length: 100\r\n\r\n".encode()
            + b'{"query": "{ vie'  # and then nothing more
        )
        await writer.drain()
        head, _, rest = (await asyncio.wait_for(reader.read(65536), timeout=30)).partition(b"\r\n\r\n")
        writer.close()
    assert head.split(b"\r\n")[0] == b"HTTP/1.1 408 Request Timeout"
    (error,) = json.loads(rest)["errors"]
    assert error["extensions"]["code"] == "LIMIT_EXCEEDED"
    assert "0.5 seconds" in error["message"]
    assert logged_errors(caplog) == []


async def test_two_operations_without_an_operation_name_are_refused(store_url: tuple[str, str]) -> None:
    document = "query A { me { name } } mutation B { createAccount(input: {name: \"X\"}) { account { id } } }"
    async with served(store_url) as api:
        ambiguous = await api.client.post("/graphql", json={"query": document}, headers=headers(api))
        error = assert_error(ambiguous, 400, "INVALID_FIELD")
        assert "operationName" in error["message"]
        named = await api.client.post(
            "/graphql", json={"query": document, "operationName": "A"}, headers=headers(api)
        )
        assert named.status_code == 200
        assert named.json() == {"data": {"me": {"name": "M"}}}


async def test_a_subscription_over_http_post_is_a_400_pointing_at_the_websocket(
    store_url: tuple[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    async with served(store_url) as api:
        response = await api.client.post(
            "/graphql", json={"query": "subscription { numberChanged { e164 } }"}, headers=headers(api)
        )
        error = assert_error(response, 400, "INVALID_FIELD")
    assert "WebSocket" in error["message"]
    assert logged_errors(caplog) == []


async def chunked(raw: bytes, size: int) -> AsyncIterator[bytes]:
    """`raw` as a streamed body: httpx then sends it chunked, with no Content-Length to check up front."""
    for start in range(0, len(raw), size):
        yield raw[start : start + size]


async def test_a_chunked_body_without_content_length_is_refused_413_once_past_the_limit(
    store_url: tuple[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    """SPEC §12: the body limit holds for a body that does not announce its size."""
    limit = 4096
    add = 'mutation { addNumbers(input: {numbers: [{number: "+14155550123"}], state: AVAILABLE}) { numbers { e164 } } }'
    async with served(store_url, max_body_bytes=limit) as api:
        big = json.dumps({"query": add, "variables": {"pad": "x" * (4 * limit)}}).encode()
        response = await api.client.post("/graphql", content=chunked(big, 512), headers=headers(api))
        assert response.request.headers.get("transfer-encoding") == "chunked"
        assert "content-length" not in response.request.headers
        assert_error(response, 413, "LIMIT_EXCEEDED")
        assert (await api.data('{ number(number: "+14155550123") { e164 } }'))["number"] is None  # nothing ran
        small = json.dumps({"query": add}).encode()
        ran = await api.client.post("/graphql", content=chunked(small, 16), headers=headers(api))
        assert ran.json() == {"data": {"addNumbers": {"numbers": [{"e164": "+14155550123"}]}}}
    assert logged_errors(caplog) == []
