"""Every top-level error carries `extensions.code`, over real HTTP and over the WebSocket, for each kind of
failure a client can meet: parse, validation, a limit (naming it), a variable, the request itself."""

from __future__ import annotations

import json
from typing import Any

import pytest

from numplane.schema import query as query_module
from tests.support.api import Api
from tests.support.served import logged_errors, served, served_ws
from tests.support.websocket import acknowledged, receive, subscribe

LIMITS = {"max_depth": 4, "max_aliases": 2, "max_tokens": 60, "max_document_chars": 1000}
DEEP = "{ me { children { edges { node { children { edges { node { name } } } } } } } }"
ALIASED = "{ a: me { name } b: me { name } c: me { name } }"
LONG = "{ me { " + " ".join(["name"] * 80) + " } }"

# (document, variables, the one error's extensions), the same over HTTP and WebSocket.
OPERATION_ERRORS: dict[str, tuple[str, dict[str, Any] | None, dict[str, Any]]] = {
    "syntax": ("{ me { name ", None, {"code": "GRAPHQL_PARSE_FAILED"}),
    "unknown field": ("{ me { shoeSize } }", None, {"code": "GRAPHQL_VALIDATION_FAILED"}),
    "missing argument": ("{ number { e164 } }", None, {"code": "GRAPHQL_VALIDATION_FAILED"}),
    "depth": (DEEP, None, {"code": "LIMIT_EXCEEDED", "limit": "depth", "max": 4}),
    "aliases": (ALIASED, None, {"code": "LIMIT_EXCEEDED", "limit": "aliases", "max": 2}),
    "tokens": (LONG, None, {"code": "LIMIT_EXCEEDED", "limit": "tokens", "max": 60}),
    # Fragments each spreading the one before four times: 65 fields expanded from 56 tokens.
    "fragment bomb": (
        "{ me { ...F3 } } fragment F0 on Account { name } "
        + " ".join(f"fragment F{i} on Account {{ {f' ...F{i - 1}' * 4} }}" for i in range(1, 4)),
        None, {"code": "LIMIT_EXCEEDED", "limit": "tokens", "max": 60},
    ),
    # One string literal is one token: the text has its own limit.
    "document length": (
        '{ classifyNumber(number: "' + "9" * 1000 + '") }', None,
        {"code": "LIMIT_EXCEEDED", "limit": "documentChars", "max": 1000},
    ),
    "variable type": (
        "query($n: Int) { me { numbers(first: $n) { totalCount } } }", {"n": "many"}, {"code": "BAD_USER_INPUT"}
    ),
    "domain answer": ('{ classifyNumber(number: "12") }', None, {"code": "INVALID_NUMBER"}),
    # A literal a custom scalar refuses is the client's mistake, not "Unexpected error." (found by fuzzing).
    "JSON literal not an object": (
        'mutation { updateNumber(input: {number: {number: "+14155550100"}, publicFields: 3}) { number { e164 } } }',
        None, {"code": "GRAPHQL_VALIDATION_FAILED"},
    ),
    "DateTime literal not a time": (
        'mutation { createPortRequest(input: {numbers: [], desiredCutOverAt: "soon"}) { userErrors { code } } }',
        None, {"code": "GRAPHQL_VALIDATION_FAILED"},
    ),
}


def headers(api: Api) -> dict[str, str]:
    return {"Authorization": f"Bearer {api.keys['admin']}"}


def only_error(body: dict[str, Any]) -> dict[str, Any]:
    (error,) = body["errors"]
    assert error["message"]
    extensions: dict[str, Any] = error["extensions"]
    return extensions


@pytest.mark.parametrize("case", sorted(OPERATION_ERRORS))
async def test_an_operation_error_over_http_carries_its_code(store_url: tuple[str, str], case: str) -> None:
    query, variables, expected = OPERATION_ERRORS[case]
    async with served(store_url, **LIMITS) as api:
        body = {"query": query, "variables": variables}
        response = await api.client.post("/graphql", json=body, headers=headers(api))
    assert response.status_code == 200, response.text
    extensions = only_error(response.json())
    assert {k: extensions.get(k) for k in expected} == expected


async def test_operation_errors_over_the_websocket_carry_the_same_codes(store_url: tuple[str, str]) -> None:
    async with served_ws(store_url, **LIMITS) as (api, url):
        socket = await acknowledged(url, api.keys["admin"])
        try:
            for index, case in enumerate(sorted(OPERATION_ERRORS)):
                query, variables, expected = OPERATION_ERRORS[case]
                await subscribe(socket, str(index), query, variables)
                reply = await receive(socket)
                errors = reply["payload"] if reply["type"] == "error" else reply["payload"].get("errors")
                assert errors, (case, reply)
                (error,) = errors
                assert {k: error["extensions"].get(k) for k in expected} == expected, case
                if reply["type"] == "next":
                    assert (await receive(socket))["type"] == "complete"
        finally:
            await socket.close()


async def test_a_masked_fault_is_coded_internal_server_error(
    store_url: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object) -> str:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(query_module.numbers, "classify", broken)
    async with served(store_url) as api:
        response = await api.client.post(
            "/graphql", json={"query": '{ classifyNumber(number: "+14155550100") }'}, headers=headers(api)
        )
    assert response.status_code == 200
    (error,) = response.json()["errors"]
    assert (error["message"], error["extensions"]) == ("Unexpected error.", {"code": "INTERNAL_SERVER_ERROR"})


PLAIN_TEXT = {"content": b"{ me { name } }", "headers": {"content-type": "text/plain"}}
MUTATION = 'mutation { createAccount(input: {name: "x"}) { userErrors { code } } }'
BAD_REQUESTS: dict[str, tuple[str, dict[str, Any], int]] = {
    "wrong method": ("PUT", {"json": {"query": "{ me { name } }"}}, 405),
    "not JSON": ("POST", {"content": b"{query", "headers": {"content-type": "application/json"}}, 400),
    "not an object": ("POST", {"json": [1, 2]}, 400),
    "no query": ("POST", {"json": {"variables": {}}}, 400),
    "query not a string": ("POST", {"json": {"query": 42}}, 400),
    "variables not an object": ("POST", {"json": {"query": "{ me { name } }", "variables": "x"}}, 400),
    "unsupported content type": ("POST", PLAIN_TEXT, 400),
    "mutation over GET": ("GET", {"params": {"query": MUTATION}}, 400),
    "unknown operation name": ("POST", {"json": {"query": "query A { me { name } }", "operationName": "B"}}, 400),
    "two operations unnamed": ("POST", {"json": {"query": "query A { me { name } } query B { me { id } }"}}, 400),
    "subscription over HTTP": ("POST", {"json": {"query": "subscription { numberChanged { e164 } }"}}, 400),
}


@pytest.mark.parametrize("case", sorted(BAD_REQUESTS))
async def test_a_malformed_request_is_bad_request(store_url: tuple[str, str], case: str) -> None:
    method, arguments, status = BAD_REQUESTS[case]
    async with served(store_url) as api:
        extra = {k: v for k, v in arguments.items() if k != "headers"}
        request_headers = {**headers(api), **arguments.get("headers", {})}
        response = await api.client.request(method, "/graphql", headers=request_headers, **extra)
    assert response.status_code == status, response.text
    assert only_error(response.json())["code"] == "BAD_REQUEST"


async def test_a_missing_or_unknown_key_keeps_http_401_with_a_coded_body(store_url: tuple[str, str]) -> None:
    async with served(store_url) as api:
        missing = await api.client.post("/graphql", json={"query": "{ me { name } }"})
        unknown = await api.client.post(
            "/graphql", json={"query": "{ me { name } }"}, headers={"Authorization": "Bearer nope"}
        )
    for response in (missing, unknown):
        assert response.status_code == 401
        assert only_error(response.json())["code"] == "UNAUTHENTICATED"


async def test_body_limits_name_the_limit(store_url: tuple[str, str]) -> None:
    async with served(store_url, max_body_bytes=100) as api:
        response = await api.client.post(
            "/graphql", content=json.dumps({"query": "{ me { name } }" + " " * 200}), headers=headers(api)
        )
    assert response.status_code == 413
    assert only_error(response.json()) == {"code": "LIMIT_EXCEEDED", "limit": "bodyBytes", "max": 100}



async def test_an_unknown_operation_name_over_the_websocket_is_bad_request_not_a_fault(
    store_url: tuple[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    async with served_ws(store_url) as (api, url):
        socket = await acknowledged(url, api.keys["admin"])
        try:
            await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
                "query": "query A { me { name } }", "operationName": "B",
            }}))
            reply = await receive(socket)
        finally:
            await socket.close()
    assert reply["type"] == "error"
    (error,) = reply["payload"]
    assert error["extensions"] == {"code": "BAD_REQUEST"}
    assert "B" in error["message"]
    assert logged_errors(caplog) == []


async def test_a_subscription_over_the_connections_limit_is_limit_exceeded(store_url: tuple[str, str]) -> None:
    following = "subscription { numberChanged { e164 } }"
    async with served_ws(store_url, max_subscriptions_per_connection=1) as (api, url):
        socket = await acknowledged(url, api.keys["admin"])
        try:
            await subscribe(socket, "1", following)
            await subscribe(socket, "2", following)
            reply = await receive(socket)
        finally:
            await socket.close()
    assert (reply["id"], reply["type"]) == ("2", "error")
    (error,) = reply["payload"]
    assert error["extensions"] == {"code": "LIMIT_EXCEEDED", "limit": "subscriptions", "max": 1}
