"""The CouchDB server goes away mid-run: the API answers STORE_UNAVAILABLE without leaking internals,
and works again when the server is back, without a restart of numplane."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest

from numplane.resolvers import context
from tests.schema.test_mutations import ACTIVATE, ADD, RELEASE, refs, run
from tests.support.api import Api, running_api, services_for, settings_for
from tests.support.couch import CouchServer

N = "+14155550101"


@pytest.fixture
def couch() -> Iterator[CouchServer]:
    with CouchServer(persistent=True) as server:
        yield server


async def test_api_reports_store_unavailable_while_couchdb_is_down_and_recovers(
    couch: CouchServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(context, "AUTH_CACHE_SECONDS", 60.0)  # however long stopping the server takes
    async with running_api(services_for(settings_for((couch.url, "outage")))) as api:
        await run(api, ADD, {"numbers": refs(N), "state": "AVAILABLE", "carrier": "inventory"})
        await api.data("{ me { name } }", key="child")  # keys checked a moment ago are still trusted
        couch.stop()
        unchecked = await api.post("{ me { name } }", key="unrelated")  # this key cannot be checked now
        assert unchecked.status_code == 503
        assert unchecked.json()["errors"][0]["extensions"]["code"] == "STORE_UNAVAILABLE"
        down = await api.gql(ACTIVATE, {"input": {"numbers": refs(N)}}, key="child")
        errors = down["data"]["activateNumbers"]["userErrors"]
        assert [e["code"] for e in errors] == ["STORE_UNAVAILABLE"]
        listing = await api.gql("{ numbers(first: 5) { edges { node { e164 } } } }")
        assert listing["errors"][0]["extensions"]["code"] == "STORE_UNAVAILABLE"
        assert not _leaks_internals(down) and not _leaks_internals(listing)
        assert (await api.client.get("/readyz")).status_code == 503

        couch.start()
        await _until_ready(api)
        back = await run(api, ACTIVATE, {"numbers": refs(N)}, key="child")
        assert back["numbers"][0]["state"] == "IN_SERVICE"
        assert not (await run(api, RELEASE, {"numbers": refs(N)}, key="child"))["userErrors"]


def _leaks_internals(body: dict[str, object]) -> bool:
    text = json.dumps(body)
    return any(word in text for word in ("Traceback", "httpx", "ConnectError", "File \\\""))


async def _until_ready(api: Api) -> None:
    for _ in range(100):
        if (await api.client.get("/readyz")).status_code == 200:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the API did not become ready again")
