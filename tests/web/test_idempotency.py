"""Idempotency-Key on POST /graphql (both stores): a retried or duplicated mutation runs once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from starlette.responses import Response

from numplane.domain import idempotency
from numplane.domain.numbers import Number
from numplane.resolvers import maintenance
from numplane.store.base import Db, Store
from numplane.web import idempotency as shell
from tests.resolvers.conftest import Clock
from tests.support.api import Api, running_api, services_for, settings_for
from tests.support.server import Server

N = "+14155550123"
ADD = (
    "mutation($input: AddNumbersInput!) { addNumbers(input: $input) {"
    " numbers { e164 state } userErrors { code } } }"
)

HISTORY = "query($n: String!) { number(number: $n) { history { action } } }"


def add_body(number: str = N) -> dict[str, Any]:
    return {"query": ADD, "variables": {"input": {"numbers": [{"number": number}], "state": "AVAILABLE"}}}


@pytest.fixture
async def api(store_url: tuple[str, str]) -> AsyncIterator[Api]:
    async with running_api(services_for(settings_for(store_url))) as running:
        yield running


async def send(api: Api, body: dict[str, Any], key: str | None, who: str = "admin") -> httpx.Response:
    headers = {"Authorization": f"Bearer {api.keys[who]}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return await api.client.post("/graphql", json=body, headers=headers)


async def history_of(store: Store, e164: str) -> list[str]:
    doc = (await store.get_many(Db.NUMBERS, [e164]))[e164]
    return [t.action for t in Number.from_doc(doc).history]


async def test_a_retry_after_a_dropped_response_gets_the_first_response_and_runs_nothing(api: Api) -> None:
    first = await send(api, add_body(), "retry-1")
    # The client never saw `first` (say the connection dropped) and sends the same request again.
    again = await send(api, add_body(), "retry-1")

    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert first.json()["data"]["addNumbers"]["userErrors"] == []
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert await history_of(api.services.store, N) == ["add"]

    without_key = await send(api, add_body(), None)  # a plain retry does run again
    assert without_key.json()["data"]["addNumbers"]["userErrors"] == [{"code": "NUMBER_EXISTS"}]


async def test_concurrent_duplicates_run_once_and_all_get_the_same_response(api: Api) -> None:
    responses = await asyncio.gather(*(send(api, add_body(), "dup") for _ in range(6)))
    assert {r.content for r in responses} == {responses[0].content}
    assert responses[0].json()["data"]["addNumbers"]["userErrors"] == []
    assert sum("Idempotent-Replayed" not in r.headers for r in responses) == 1
    assert await history_of(api.services.store, N) == ["add"]


async def test_the_same_key_with_another_body_is_refused_with_422(api: Api) -> None:
    await send(api, add_body(), "k")
    other = await send(api, add_body("+14155550124"), "k")
    assert other.status_code == 422
    assert other.json()["errors"][0]["extensions"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert await api.services.store.get_many(Db.NUMBERS, ["+14155550124"]) == {}


async def test_keys_are_per_api_key(api: Api) -> None:
    await send(api, add_body(), "shared")
    mine = await send(api, add_body("+14155550124"), "shared", who="reseller")  # another API key, its own record
    assert mine.status_code == 200 and "Idempotent-Replayed" not in mine.headers


async def test_queries_ignore_the_header_and_bad_keys_are_refused(api: Api) -> None:
    query = {"query": "{ me { name } }"}
    for _ in range(2):
        read = await send(api, query, "q")
        assert read.status_code == 200 and "Idempotent-Replayed" not in read.headers
    for bad in (b"", b"x" * 256, "caf\u00e9".encode()):
        headers = {b"Authorization": f"Bearer {api.keys['admin']}".encode(), b"Idempotency-Key": bad}
        refused = await api.client.post("/graphql", json=add_body(), headers=headers)
        assert refused.status_code == 400, bad
        assert refused.json()["errors"][0]["extensions"]["code"] == "INVALID_FIELD"


async def test_a_stale_claim_of_a_dead_process_is_taken_over_and_a_live_one_is_waited_for(store: Store) -> None:
    clock = Clock()
    record_id = idempotency.record_id("key1", "k")
    body = b'{"query": "mutation { x }"}'
    dead = idempotency.claim(record_id, idempotency.fingerprint(body), clock())
    assert (await store.put_many(Db.SYSTEM, [dead.to_doc()]))[0].ok
    runs: list[int] = []

    async def execute() -> Response:
        runs.append(1)
        return Response(b'{"data": {}}', media_type="application/json")

    async def respond() -> Response:
        return await shell.respond(
            store, clock, key_id="key1", key="k", body=body, stale_after=timedelta(seconds=60), execute=execute
        )

    waiting = asyncio.create_task(respond())
    await asyncio.sleep(0.2)
    assert not waiting.done() and runs == []  # the claim is live: the retry waits
    clock.advance(seconds=60)
    taken_over = await asyncio.wait_for(waiting, 10)
    assert taken_over.status_code == 200 and runs == [1]
    replayed = await respond()
    assert replayed.body == b'{"data": {}}' and runs == [1]


async def test_the_cleaning_job_deletes_records_after_24_hours(api: Api) -> None:
    clock = Clock()
    api.services.clock = clock
    await send(api, add_body(), "old")
    clock.advance(hours=23)
    await send(api, add_body("+14155550124"), "young")
    clock.advance(hours=1)

    report = await maintenance.expire_idempotency(api.services, clock())

    assert (report.changed, report.examined) == (1, 1)
    rows = await api.services.store.query(Db.SYSTEM, "expiry", start=("idempotency",), end=("idempotency~",), limit=10)
    assert len(rows) == 1


@pytest.fixture
def couch_store(couch_url: str) -> tuple[str, str]:
    from tests.conftest import unique_prefix

    return couch_url, unique_prefix()


async def test_duplicates_sent_to_two_server_processes_on_one_couchdb_run_once(couch_store: tuple[str, str]) -> None:
    url, prefix = couch_store
    env = {"NUMPLANE_DB_PREFIX": prefix, "NUMPLANE_SCHEDULER": "0"}
    first, second = Server(url, extra_env=env), Server(url, extra_env=env)
    first.start()
    try:
        second.start()
        try:
            headers = {"Authorization": f"Bearer {first.admin_key}", "Idempotency-Key": "two-processes"}
            async with httpx.AsyncClient(timeout=30) as client:
                responses = await asyncio.gather(
                    *(client.post(s.url + "/graphql", json=add_body(), headers=headers) for s in [first, second] * 3)
                )
                assert {r.status_code for r in responses} == {200}
                assert {r.content for r in responses} == {responses[0].content}
                assert responses[0].json()["data"]["addNumbers"]["userErrors"] == []
                history = await client.post(
                    second.url + "/graphql", json={"query": HISTORY, "variables": {"n": N}},
                    headers={"Authorization": f"Bearer {first.admin_key}"},
                )
            assert history.json()["data"]["number"]["history"] == [{"action": "add"}]
        finally:
            second.stop()
    finally:
        first.stop()
