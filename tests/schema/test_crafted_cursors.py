"""Every malformed cursor is INVALID_FIELD (issue 15, item 8), never "Unexpected error." or a logged
traceback: random strings, random bytes in base64, and cursors crafted to look like ours, on every
connection field that takes one, over HTTP on both stores."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from tests.support.api import Api, running_api, services_for, settings_for

EXAMPLES = 25  # per store; each sends one request naming every cursor field

CURSOR_FIELDS = """query($c: String!, $r: String!, $w: String!) {
  numbers(after: $c) { edges { node { e164 } } }
  me { numbers(after: $c) { edges { node { e164 } } } }
  account(accountId: $r) { children(after: $c) { totalCount } descendants(after: $c) { totalCount }
    numbers(after: $c) { totalCount } }
  portRequests(after: $c) { edges { node { requestId } } }
  webhookDeliveries(webhookId: $w, after: $c) { edges { node { id } } }
}"""
CHANGES = "query($c: String!) { numberChanges(after: $c) { cursor } }"
CREATE = """mutation($a: String!) { createWebhook(input: {url: "http://127.0.0.1:9/hook", accountId: $a}) {
  webhook { id } userErrors { code message } } }"""


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


texts = st.text(max_size=60)
cursors = st.one_of(
    texts,
    st.binary(max_size=40).map(b64),
    texts.map(lambda t: b64(("k:" + t).encode(errors="surrogatepass"))),  # our tag with any position
    st.tuples(st.sampled_from(["k", "x", ""]), st.binary(max_size=20)).map(lambda p: b64(p[0].encode() + b":" + p[1])),
    st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | texts,
                 lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
                 max_leaves=6).map(lambda v: b64(json.dumps({"couchdb": "numbers", "seq": v}).encode())),
    texts.map(lambda t: "sqlite:numbers:" + t),
)


def codes(body: dict[str, Any]) -> set[str]:
    return {str((e.get("extensions") or {}).get("code")) for e in body.get("errors") or []}


@pytest.fixture
async def api(store_url: tuple[str, str]) -> AsyncIterator[Api]:
    # Loopback webhook addresses allowed: the endpoint is only there to have deliveries to page through.
    async with running_api(services_for(settings_for(store_url, webhooks_allow_private=True))) as running:
        yield running


@pytest.fixture
async def webhook(api: Api) -> str:
    created = (await api.data(CREATE, {"a": api.id("R")}))["createWebhook"]
    assert created["userErrors"] == [], created
    webhook_id: str = created["webhook"]["id"]
    return webhook_id


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture],
          database=None, phases=[Phase.explicit, Phase.generate])
@given(cursor=cursors)
@example(cursor="azoAeA")
@example(cursor="azp4\x00")
@example(cursor="a\x00zp4")
@example(cursor="azp4====")
@example(cursor="")
async def test_a_malformed_cursor_is_invalid_field_on_every_connection(
    api: Api, webhook: str, caplog: pytest.LogCaptureFixture, cursor: str
) -> None:
    caplog.clear()
    with caplog.at_level(logging.ERROR):
        for query, variables in ((CURSOR_FIELDS, {"c": cursor, "r": api.id("R"), "w": webhook}),
                                 (CHANGES, {"c": cursor})):
            response = await api.post(query, variables)
            assert response.status_code == 200, response.text
            body = response.json()
            assert "Unexpected error" not in response.text, (cursor, body)
            assert codes(body) <= {"INVALID_FIELD"}, (cursor, body)
    assert not caplog.records, [r.getMessage() for r in caplog.records]


NUMBERS = "query($c: String!) { numbers(after: $c) { edges { node { e164 } } } }"


@pytest.mark.parametrize("cursor", [
    "azoAeA",  # "k:\x00x": a NUL inside the position
    "azp4!",  # a character outside base64url, which a lenient decoder drops
    "azp4=", "a", "////", b64(b"k:"), b64(b"x:+1415"), b64(b"k:\xff\xfe"), b64(json.dumps({"k": 1}).encode()),
])
async def test_each_malformed_cursor_is_refused_not_read_as_another(api: Api, cursor: str) -> None:
    body = (await api.post(NUMBERS, {"c": cursor})).json()
    assert codes(body) == {"INVALID_FIELD"}, (cursor, body)
