"""Hand-made hostile requests to /graphql over real HTTP, one server per store for the whole table: huge and
negative integers in every Int argument, fragment cycles, batched JSON arrays, wrong content types, invalid
JSON, and bodies at and one byte over the size limit. Never a 5xx, always a coded JSON error, nothing logged.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from numplane.settings import Settings
from tests.conftest import STORE_KINDS, unique_prefix
from tests.support.api import Api
from tests.support.fuzzing import faults
from tests.support.schema_sweep import Sweep
from tests.support.served import logged_errors, served

LIMIT = Settings().max_body_bytes


@pytest.fixture(scope="module", params=STORE_KINDS)
async def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Api]:
    if request.param == "sqlite":
        store = (f"sqlite:///{tmp_path_factory.mktemp('hostile') / 'numplane.db'}", "numplane")
    else:
        store = (request.getfixturevalue("couch_url"), unique_prefix())
    async with served(store) as running:
        yield running


def headers(api: Api, content_type: str | None = "application/json") -> dict[str, str]:
    sent = {"Authorization": f"Bearer {api.keys['admin']}"}
    return sent | ({"Content-Type": content_type} if content_type else {})


def longest_list(value: Any) -> int:
    if isinstance(value, dict):
        return max((longest_list(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return max([len(value), *(longest_list(v) for v in value)])
    return 0


INTEGERS = (-1, -(2**31), 2**31 - 1, 2**31, 10**20)  # the last two are beyond GraphQL's Int


async def test_huge_and_negative_integers_in_every_int_argument_are_answered_within_bounds(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    sweep = Sweep()
    found: list[str] = []
    for case in sweep.cases(frozenset({"Int"}), INTEGERS):
        if case.argument_path == ("waitSeconds",) and case.hostile > 0:
            continue  # a long poll that waits up to 30 s for a change: its bound is tested with the feed
        for inline in (False, True):
            query, variables = sweep.request(case, inline=inline)
            response = await api.client.post(
                "/graphql", json={"query": query, "variables": variables}, headers=headers(api)
            )
            problems = faults(response)
            if not problems and longest_list(response.json()) > 1000:
                problems = ["a list longer than any page or batch"]
            found += [f"{case.id}={case.hostile} ({'literal' if inline else 'variable'}): {p}" for p in problems]
    assert found == []
    assert logged_errors(caplog) == []


DOCUMENTS = {
    "fragment spreading itself": "{ me { ...A } } fragment A on Account { name ...A }",
    "two fragments in a cycle": "{ me { ...A } } fragment A on Account { name ...B } fragment B on Account { ...A }",
    "a cycle through an inline fragment": "{ me { ...A } } fragment A on Account { ... on Account { ...A } }",
    "a cycle through a field": "{ me { ...A } } fragment A on Account { parent { ...A } }",
    "an unknown fragment": "{ me { ...Missing } }",
    "an unused fragment": "{ me { name } } fragment A on Account { name }",
    "a fragment on the wrong type": "{ me { ...A } } fragment A on PhoneNumber { e164 }",
    "a list nested 2,000 deep": '{ classifyNumber(number: ' + "[" * 2000 + '"1"' + "]" * 2000 + ") }",
    "selections nested 2,000 deep": "{ me " + "{ parent " * 2000 + "{ name }" + " }" * 2001,
    "a directive repeated 1,000 times": "{ me { name" + " @include(if: true)" * 1000 + " } }",
    "introspection outside debug": "{ __schema { types { name } } }",
}


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
async def test_a_hostile_document_is_a_coded_client_error(
    api: Api, caplog: pytest.LogCaptureFixture, name: str
) -> None:
    response = await api.client.post("/graphql", json={"query": DOCUMENTS[name]}, headers=headers(api))
    assert faults(response) == []
    assert response.status_code == 200
    assert response.json()["errors"], response.text
    assert logged_errors(caplog) == []


ONE = {"query": "{ __typename }"}
BODIES: dict[str, tuple[bytes | list[Any], str | None]] = {
    # batched JSON arrays (batching is off: one operation per request)
    "an empty batch": ([], "application/json"),
    "a batch of two": ([ONE, ONE], "application/json"),
    "a batch of ten thousand": ([ONE] * 10_000, "application/json"),
    "a batch of batches": ([[ONE]], "application/json"),
    "a batch of numbers": ([1, None], "application/json"),
    # content types
    "text/plain": (b'{"query": "{ __typename }"}', "text/plain"),
    "application/xml": (b"<query>{ __typename }</query>", "application/xml"),
    "application/graphql": (b"{ __typename }", "application/graphql"),
    "a form": (b"query=%7B+__typename+%7D", "application/x-www-form-urlencoded"),
    "multipart without a boundary": (b'{"query": "{ __typename }"}', "multipart/form-data"),
    "multipart with garbage": (b"--x\r\ngarbage\r\n--x--\r\n", "multipart/form-data; boundary=x"),
    "multipart without operations": (
        b'--x\r\nContent-Disposition: form-data; name="map"\r\n\r\n{"0": ["variables.file"]}\r\n--x--\r\n',
        "multipart/form-data; boundary=x",
    ),
    "multipart whose map names no file": (
        b'--x\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{"query": "{ __typename }"}\r\n'
        b'--x\r\nContent-Disposition: form-data; name="map"\r\n\r\n{"0": ["variables.nothing.here"]}\r\n--x--\r\n',
        "multipart/form-data; boundary=x",
    ),
    "multipart whose map is not JSON": (
        b'--x\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{"query": "{ __typename }"}\r\n'
        b'--x\r\nContent-Disposition: form-data; name="map"\r\n\r\n{nope\r\n--x--\r\n',
        "multipart/form-data; boundary=x",
    ),
    "JSON in another charset": ('{"query": "{ __typename }"}'.encode("utf-16"), "application/json; charset=utf-16"),
    "no content type": (b'{"query": "{ __typename }"}', None),
    # invalid JSON
    "empty": (b"", "application/json"),
    "whitespace": (b"   \n ", "application/json"),
    "a trailing comma": (b'{"query": "{ __typename }",}', "application/json"),
    "garbage after the object": (b'{"query": "{ __typename }"} {}', "application/json"),
    "a byte-order mark": (b'\xef\xbb\xbf{"query": "{ __typename }"}', "application/json"),
    "a lone surrogate in the query": (b'{"query": "{ __typename \\ud800 }"}', "application/json"),
    "a NUL byte in the query": (b'{"query": "{ __typename \\u0000 }"}', "application/json"),
    "a query that is an object": (b'{"query": {"a": 1}}', "application/json"),
    "operationName not a string": (b'{"query": "{ __typename }", "operationName": 5}', "application/json"),
    "extensions not an object": (b'{"query": "{ __typename }", "extensions": "x"}', "application/json"),
}


# Python's JSON reads these, and an unused variable harms nothing: answered, but never a fault.
TOLERATED = {
    "NaN": b'{"query": "{ __typename }", "variables": {"a": NaN}}',
    "a number beyond a double": b'{"query": "{ __typename }", "variables": {"a": 1e999}}',
}


@pytest.mark.parametrize("name", sorted(TOLERATED))
async def test_json_python_tolerates_is_answered_without_a_fault(
    api: Api, caplog: pytest.LogCaptureFixture, name: str
) -> None:
    response = await api.client.post("/graphql", content=TOLERATED[name], headers=headers(api))
    assert faults(response) == [], response.text
    assert logged_errors(caplog) == []


@pytest.mark.parametrize("name", sorted(BODIES))
async def test_a_malformed_body_or_content_type_is_a_coded_client_error(
    api: Api, caplog: pytest.LogCaptureFixture, name: str
) -> None:
    body, content_type = BODIES[name]
    sent: dict[str, Any] = {"json": body} if isinstance(body, list) else {"content": body}
    response = await api.client.post("/graphql", headers=headers(api, content_type), **sent)
    assert faults(response) == [], response.text
    assert 400 <= response.status_code < 500 or response.json().get("errors"), response.text
    assert logged_errors(caplog) == []


def padded(size: int) -> bytes:
    """A valid request body of exactly `size` bytes (JSON allows whitespace after the value)."""
    body = b'{"query": "{ __typename }"}'
    return body + b" " * (size - len(body))


async def chunks(raw: bytes, size: int = 65536) -> AsyncIterator[bytes]:
    for start in range(0, len(raw), size):
        yield raw[start : start + size]


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_a_body_exactly_at_the_limit_runs_and_one_byte_more_is_413(
    api: Api, caplog: pytest.LogCaptureFixture, chunked: bool
) -> None:
    async def post(raw: bytes) -> httpx.Response:
        content: bytes | AsyncIterator[bytes] = chunks(raw) if chunked else raw
        return await api.client.post("/graphql", content=content, headers=headers(api))

    at = await post(padded(LIMIT))
    assert at.json() == {"data": {"__typename": "Query"}}
    over = await post(padded(LIMIT + 1))
    assert over.status_code == 413
    assert over.json()["errors"][0]["extensions"] == {"code": "LIMIT_EXCEEDED", "limit": "bodyBytes", "max": LIMIT}
    assert logged_errors(caplog) == []
