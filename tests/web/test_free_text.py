"""Free text from clients over real HTTP: NUL bytes, control characters and huge strings are INVALID_FIELD,
names are bounded, and error messages echo only a short prefix of what was sent."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import websockets

from numplane.domain.text import ECHO, MAX_NAME, MAX_TEXT
from tests.support.api import Api
from tests.support.served import logged_errors, served

LISTING = "query($filter: NumberFilter, $after: String) { numbers(filter: $filter, after: $after) { totalCount } }"
ADD = """mutation($input: AddNumbersInput!) { addNumbers(input: $input) {
  numbers { e164 } userErrors { code message number field } } }"""
CREATE_ACCOUNT = """mutation($name: String!) { createAccount(input: {name: $name}) {
  account { name } userErrors { code message field } } }"""
RENAME = """mutation($id: String!, $name: String!) { updateAccount(input: {accountId: $id, name: $name}) {
  account { name } userErrors { code message field } } }"""
CREATE_KEY = """mutation($id: String!, $name: String) { createApiKey(input: {accountId: $id, name: $name}) {
  userErrors { code message field } } }"""


@pytest.fixture
async def api(store_url: tuple[str, str]) -> AsyncIterator[Api]:
    async with served(store_url) as running:
        yield running


def cursor_of(position: str) -> str:
    """A cursor shaped like the ones the API issues (paging.encode_cursor), around any position."""
    return base64.urlsafe_b64encode(("k:" + position).encode()).decode().rstrip("=")


def refused(body: dict[str, Any], field: list[str]) -> str:
    """The message of the one INVALID_FIELD GraphQL error naming `field`; no data was produced."""
    assert body["data"] is None, body
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "INVALID_FIELD", "field": field}, error
    message: str = error["message"]
    return message


@pytest.mark.parametrize("carrier", ["lo\x00cal", "x" * 70_000])
async def test_a_nul_byte_or_a_huge_carrier_filter_is_invalid_field(
    api: Api, caplog: pytest.LogCaptureFixture, carrier: str
) -> None:
    body = await api.gql(LISTING, {"filter": {"carrier": carrier}})
    refused(body, ["filter", "carrier"])
    literal = await api.gql('query { numbers(filter: {carrier: "lo\\u0000cal"}) { totalCount } }')
    assert "control characters" in refused(literal, ["filter", "carrier"])
    assert logged_errors(caplog) == []


@pytest.mark.parametrize("after", ["\x00", "x" * 70_000])
async def test_a_nul_byte_or_a_huge_cursor_is_invalid_field(
    api: Api, caplog: pytest.LogCaptureFixture, after: str
) -> None:
    refused(await api.gql(LISTING, {"after": after}), ["after"])
    assert logged_errors(caplog) == []


async def test_a_well_formed_cursor_around_a_nul_byte_is_not_a_cursor_this_api_issued(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    body = await api.gql(LISTING, {"after": cursor_of("+1415\x00")})
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "INVALID_FIELD"
    assert "cursor" in error["message"]
    assert logged_errors(caplog) == []


async def test_a_nul_byte_in_the_carrier_of_added_numbers_is_invalid_field(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    body = await api.gql(ADD, {"input": {"numbers": [{"number": "+14155550100"}], "state": "AVAILABLE",
                                         "carrier": "local\x00"}})
    assert "U+0000" in refused(body, ["input", "carrier"])
    assert logged_errors(caplog) == []


async def test_an_account_name_is_bounded_and_free_of_control_characters(api: Api) -> None:
    at_limit = "N" * MAX_NAME
    created = (await api.data(CREATE_ACCOUNT, {"name": at_limit}))["createAccount"]
    assert created["account"] == {"name": at_limit}
    (error,) = (await api.data(CREATE_ACCOUNT, {"name": "N" * (MAX_NAME + 1)}))["createAccount"]["userErrors"]
    assert (error["code"], error["field"]) == ("INVALID_FIELD", ["name"])
    assert f"at most {MAX_NAME} characters" in error["message"]
    # Control characters are refused for every argument alike, before the mutation runs.
    assert "control characters" in refused(await api.gql(CREATE_ACCOUNT, {"name": "line\nbreak"}), ["name"])
    (rename,) = (await api.data(RENAME, {"id": api.id("C"), "name": "C" * (MAX_NAME + 1)}))["updateAccount"][
        "userErrors"]
    assert rename["code"] == "INVALID_FIELD"


async def test_a_ten_megabyte_account_name_never_reaches_the_store(api: Api) -> None:
    response = await api.post(CREATE_ACCOUNT, {"name": "N" * 10_000_000})
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "LIMIT_EXCEEDED"
    huge = await api.gql(CREATE_ACCOUNT, {"name": "N" * (MAX_TEXT + 1)})
    assert f"at most {MAX_TEXT} characters" in refused(huge, ["name"])


async def test_an_api_key_name_is_bounded(api: Api) -> None:
    (error,) = (await api.data(CREATE_KEY, {"id": api.id("R"), "name": "K" * (MAX_NAME + 1)}))["createApiKey"][
        "userErrors"]
    assert (error["code"], error["field"]) == ("INVALID_FIELD", ["name"])
    assert (await api.data(CREATE_KEY, {"id": api.id("R"), "name": "router of the east"}))["createApiKey"][
        "userErrors"] == []


async def test_an_invalid_number_message_echoes_only_a_short_prefix(api: Api) -> None:
    long_input = "9" * 900
    (error,) = (await api.data(ADD, {"input": {"numbers": [{"number": long_input}], "state": "AVAILABLE"}}))[
        "addNumbers"]["userErrors"]
    assert error["code"] == "INVALID_NUMBER"
    assert error["number"] == "9" * ECHO + "…"
    assert error["message"].count("9") <= ECHO + 20  # the hint has a few digits of its own
    classified = await api.gql("query($n: String!) { classifyNumber(number: $n) }", {"n": long_input})
    (query_error,) = classified["errors"]
    assert query_error["extensions"]["code"] == "INVALID_NUMBER"
    assert len(query_error["message"]) < 300


async def test_a_subscription_with_a_nul_byte_in_its_filter_gets_an_invalid_field_error(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    url = str(api.client.base_url).replace("http://", "ws://") + "/graphql"
    async with websockets.connect(url, subprotocols=[websockets.Subprotocol("graphql-transport-ws")]) as socket:
        await socket.send(json.dumps({"type": "connection_init",
                                      "payload": {"authorization": f"Bearer {api.keys['admin']}"}}))
        assert json.loads(await socket.recv())["type"] == "connection_ack"
        await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
            "query": "subscription($f: NumberChangeFilter) { numberChanged(filter: $f) { e164 } }",
            "variables": {"f": {"accountId": "a\x00b"}},
        }}))
        message = json.loads(await asyncio.wait_for(socket.recv(), timeout=30))
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    assert [e["extensions"]["code"] for e in errors] == ["INVALID_FIELD"]
    assert logged_errors(caplog) == []
