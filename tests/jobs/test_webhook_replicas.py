"""Webhooks across real `numplane serve` processes (issue 12): a process killed mid-backlog resumes after a
restart, and two processes on one CouchDB-compatible server deliver each event once."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from tests.conftest import unique_prefix
from tests.support.receiver import Receiver, receiving
from tests.support.server import Server

SETTINGS = {
    "NUMPLANE_SCHEDULER": "0",
    "NUMPLANE_WEBHOOKS_ALLOW_PRIVATE": "1",
    "NUMPLANE_WEBHOOKS_RETRY_SCALE": "0.001",
    "NUMPLANE_WEBHOOKS_POLL_SECONDS": "0.2",
    "NUMPLANE_WEBHOOKS_TIMEOUT_SECONDS": "1",  # a killed sender's claim lapses after 7 s
}


@asynccontextmanager
async def serving(url: str, prefix: str, **env: str) -> AsyncIterator[Server]:
    server = Server(url, extra_env={"NUMPLANE_DB_PREFIX": prefix, **SETTINGS, **env})
    await asyncio.to_thread(server.start)  # the receiver answers from this loop meanwhile
    try:
        yield server
    finally:
        await asyncio.to_thread(server.stop)


async def gql(server: Server, query: str, variables: dict[str, Any], key: str | None = None) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(
            server.url + "/graphql", json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {key or server.admin_key}"},
        )
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    return body["data"]


async def root_webhook(server: Server, receiver: Receiver) -> None:
    me = (await gql(server, "{ me { accountId } }", {}))["me"]["accountId"]
    created = await gql(
        server, "mutation($i: CreateWebhookInput!) { createWebhook(input: $i) { secret userErrors { message } } }",
        {"i": {"url": receiver.url, "accountId": me}},
    )
    assert created["createWebhook"]["userErrors"] == []
    receiver.secrets.append(created["createWebhook"]["secret"])


async def add(server: Server, numbers: list[str], key: str | None = None) -> None:
    added = await gql(
        server,
        "mutation($n: [NumberRef!]!) { addNumbers(input: {numbers: $n, state: AVAILABLE}) { userErrors { code } } }",
        {"n": [{"number": n} for n in numbers]}, key,
    )
    assert added["addNumbers"]["userErrors"] == []


async def test_numplane_killed_mid_backlog_delivers_the_rest_after_a_restart(store_url: tuple[str, str]) -> None:
    url, prefix = store_url
    numbers = [f"+1415555{i:04d}" for i in range(20)]
    async with receiving() as receiver:
        receiver.delay = 0.3  # a backlog builds: one attempt at a time, 0.3 s each
        async with serving(url, prefix, NUMPLANE_WEBHOOKS_CONCURRENCY_PER_ENDPOINT="1") as first:
            await root_webhook(first, receiver)
            await add(first, numbers)
            await receiver.wait_for(lambda r: len(r.accepted) >= 3)
            assert first.process is not None
            first.process.kill()  # no shutdown: leases and claims are left as a crash leaves them
            await asyncio.to_thread(first.process.wait)
            first.process = None
        delivered_before = len(receiver.accepted)
        assert delivered_before < len(numbers)
        receiver.delay = 0.0
        async with serving(url, prefix):
            await receiver.wait_for(lambda r: {e["data"]["number"]["e164"] for e in r.events()} == set(numbers), 60)
        # At least once: only the attempt cut short by the kill may come twice.
        repeated = [n for n, count in Counter(r.headers["webhook-id"] for r in receiver.accepted).items() if count > 1]
        assert len(repeated) <= 1
        assert all(r.verified_by == receiver.secrets for r in receiver.received)


async def test_two_numplane_processes_on_one_couchdb_deliver_each_event_once(couch_url: str) -> None:
    prefix = unique_prefix()
    numbers = [f"+1415556{i:04d}" for i in range(30)]
    async with receiving() as receiver, serving(couch_url, prefix) as one, serving(couch_url, prefix) as two:
        await root_webhook(one, receiver)
        await add(one, numbers[:15])
        await add(two, numbers[15:], one.admin_key)  # the second `--init` finds the root made by the first
        await receiver.wait_for(lambda r: len(r.accepted) >= 30, 60)
        await asyncio.sleep(1.0)  # time for a second copy, if either process were to send one
        ids = [r.headers["webhook-id"] for r in receiver.received]
        assert len(ids) == len(set(ids)) == 30
        assert sorted(e["data"]["number"]["e164"] for e in receiver.events()) == numbers
