"""Three `numplane serve` replicas on one CouchDB-compatible server, driven through all three (issue 15,
items 2 and 8): what one replica changes, the others answer within their windows, and the scheduled jobs
run once per slot across the three. One set of processes serves every scenario of this file.

The windows are asserted as the guarantees they are, not as speeds: a hunt on a replica whose change
feed has delivered a change answers that change (the routing cache is fed before the feed's readers
are woken), and a key or a configuration read again after its cache window has passed is read from the
store. How long convergence takes is measured by `make bench BENCH_ARGS=replicas`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import websockets

from numplane.jobs.claims import lease_id
from numplane.resolvers.context import AUTH_CACHE_SECONDS, CONFIG_CACHE_SECONDS
from numplane.store import store_from_url
from numplane.store.base import Db
from tests.conftest import unique_prefix
from tests.support.replicas import gql, root_key, running_replicas
from tests.support.server import Server
from tests.support.websocket import acknowledged, receive, subscribe

JOB = "hold-expiry"
SETTINGS = {
    "NUMPLANE_SCHEDULER": "1",
    "NUMPLANE_HOLD_EXPIRY_INTERVAL_SECONDS": "1",  # a slot a second, fired by all three at once
    "NUMPLANE_WEBHOOKS": "0",
    "NUMPLANE_WS_KEY_CHECK_SECONDS": "0.5",
}
ADD = (
    "mutation($n: String!, $a: String) { addNumbers(input: {numbers: [{number: $n}], state: IN_SERVICE, "
    "accountId: $a}) { userErrors { code } } }"
)
MOVE = (
    "mutation($n: String!, $a: String!) { activateNumbers(input: {numbers: [{number: $n}], accountId: $a}) "
    "{ userErrors { code } } }"
)
HUNT = "mutation($n: String!) { huntNumber(input: {number: $n}) { result { disposition account { accountId } } } }"
CHANGES = (
    "query($after: String) { numberChanges(after: $after, first: 100, waitSeconds: 10) { changes { e164 } cursor } }"
)
NEW_ACCOUNT = "mutation($n: String!) { createAccount(input: {name: $n}) { account { accountId } } }"
NEW_KEY = "mutation($a: String!) { createApiKey(input: {accountId: $a}) { key keyId userErrors { code } } }"
READ_CONFIG = "{ systemConfig { maxBatch } }"
CHANGE_CONFIG = "mutation($m: Int!) { updateSystemConfig(input: {maxBatch: $m}) { userErrors { code } } }"
REVOKE = "mutation($k: String!) { revokeApiKey(keyId: $k) { userErrors { code } } }"


@dataclass
class Cluster:
    a: Server
    b: Server
    c: Server
    prefix: str
    couch_url: str
    admin: str = ""
    router: str = ""
    tenants: tuple[str, str] = ("", "")

    @property
    def servers(self) -> list[Server]:
        return [self.a, self.b, self.c]


@pytest.fixture(scope="module")
def started(couch_url: str) -> Iterator[Cluster]:
    prefix = unique_prefix()
    with running_replicas(couch_url, prefix, SETTINGS) as (a, b, c):
        yield Cluster(a, b, c, prefix, couch_url, admin=root_key([a, b, c]))


@pytest.fixture(scope="module")
async def cluster(started: Cluster) -> AsyncIterator[Cluster]:
    """The replicas with two tenant accounts and a router key, made through the first."""
    async with httpx.AsyncClient(timeout=30) as client:
        root = (await gql(client, started.a, "{ me { accountId } }", key=started.admin))["me"]["accountId"]
        made = []
        for name in ("T1", "T2"):
            created = await gql(client, started.a, NEW_ACCOUNT, {"n": name}, key=started.admin)
            made.append(created["createAccount"]["account"]["accountId"])
        router = await gql(
            client, started.a,
            'mutation($a: String!) { createApiKey(input: {accountId: $a, role: "router"}) { key } }', {"a": root},
            key=started.admin,
        )
    started.router, started.tenants = router["createApiKey"]["key"], (made[0], made[1])
    yield started


async def hunt_graphql(client: httpx.AsyncClient, server: Server, router: str, number: str) -> tuple[str, str | None]:
    result = (await gql(client, server, HUNT, {"n": number}, key=router))["huntNumber"]["result"]
    return result["disposition"], (result["account"] or {}).get("accountId")


async def hunt_get(client: httpx.AsyncClient, server: Server, router: str, number: str) -> tuple[str, str | None]:
    response = await client.get(
        server.url + "/hunt/" + number.replace("+", "%2B"), headers={"Authorization": f"Bearer {router}"}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body["disposition"], (body["account"] or {}).get("id")


async def feed_delivers(client: httpx.AsyncClient, server: Server, key: str, after: str, number: str) -> None:
    """Until `server`'s change feed has delivered a change of `number` after the cursor `after`."""
    for _poll in range(10):
        page = (await gql(client, server, CHANGES, {"after": after}, key=key))["numberChanges"]
        if number in [change["e164"] for change in page["changes"]]:
            return
        after = page["cursor"]
    raise AssertionError(f"{server.url} never heard of the change of {number}")


async def test_a_number_moved_through_one_replica_is_hunted_to_its_new_owner_by_the_others_within_one_feed_poll(
    cluster: Cluster,
) -> None:
    number, (first, second) = "+14155550301", cluster.tenants
    async with httpx.AsyncClient(timeout=30) as client:
        added = await gql(client, cluster.a, ADD, {"n": number, "a": first}, key=cluster.admin)
        assert added["addNumbers"]["userErrors"] == []
        others = [cluster.b, cluster.c]
        # Each replica's routing cache holds the first owner (loaded by these hunts) ...
        for server in others:
            for hunt in (hunt_graphql, hunt_get):
                assert await hunt(client, server, cluster.router, number) == ("ROUTE", first)
        cursors = [
            (await gql(client, s, "{ numberChanges { cursor } }", key=cluster.admin))["numberChanges"]["cursor"]
            for s in others
        ]
        moved = await gql(client, cluster.a, MOVE, {"n": number, "a": second}, key=cluster.admin)
        assert moved["activateNumbers"]["userErrors"] == []
        # ... and the feed poll that brings the move replaces it: nothing else tells B and C.
        for server, cursor in zip(others, cursors, strict=True):
            await feed_delivers(client, server, cluster.admin, cursor, number)
            for hunt in (hunt_graphql, hunt_get):
                assert await hunt(client, server, cluster.router, number) == ("ROUTE", second)


async def test_a_key_revoked_through_one_replica_stops_working_on_all_three_within_the_auth_cache_window(
    cluster: Cluster,
) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        made = (await gql(client, cluster.a, NEW_KEY, {"a": cluster.tenants[0]}, key=cluster.admin))["createApiKey"]
        me = "{ me { accountId } }"

        async def status(server: Server) -> int:
            response = await client.post(
                server.url + "/graphql", json={"query": me}, headers={"Authorization": f"Bearer {made['key']}"}
            )
            return response.status_code

        assert [await status(s) for s in cluster.servers] == [200, 200, 200]  # now cached by each replica
        revoked = await gql(client, cluster.a, REVOKE, {"k": made["keyId"]}, key=cluster.admin)
        assert revoked["revokeApiKey"]["userErrors"] == []
        assert await status(cluster.a) == 401  # the replica that revoked it forgets it at once
        await asyncio.sleep(AUTH_CACHE_SECONDS)
        assert [await status(s) for s in cluster.servers] == [401, 401, 401]


async def test_a_system_config_change_through_one_replica_reaches_all_three_within_the_config_cache_window(
    cluster: Cluster,
) -> None:
    async with httpx.AsyncClient(timeout=30) as client:

        async def batches() -> list[int]:
            return [(await gql(client, s, READ_CONFIG, key=cluster.admin))["systemConfig"]["maxBatch"]
                    for s in cluster.servers]

        before = await batches()
        assert len(set(before)) == 1
        wanted = before[0] + 7
        changed = await gql(client, cluster.a, CHANGE_CONFIG, {"m": wanted}, key=cluster.admin)
        assert changed["updateSystemConfig"]["userErrors"] == []
        assert (await batches())[0] == wanted  # the replica that changed it reads it back at once
        await asyncio.sleep(CONFIG_CACHE_SECONDS)
        assert await batches() == [wanted] * 3


async def test_a_subscription_on_one_replica_ends_when_its_key_is_revoked_through_another(cluster: Cluster) -> None:
    number, tenant = "+14155550302", cluster.tenants[1]
    async with httpx.AsyncClient(timeout=30) as client:
        made = (await gql(client, cluster.a, NEW_KEY, {"a": tenant}, key=cluster.admin))["createApiKey"]
        socket = await acknowledged(cluster.b.url.replace("http", "ws") + "/graphql", made["key"])
        try:
            await subscribe(socket, "live", "subscription { numberChanged { e164 } }")
            # The subscription is live on B once it hears of a change made through A (retried: the
            # subscription may start a moment after the first change).
            heard: dict[str, Any] = {}
            for attempt in range(20):
                added = await gql(client, cluster.a, ADD, {"n": f"{number[:-2]}{attempt:02d}", "a": tenant},
                                  key=cluster.admin)
                assert added["addNumbers"]["userErrors"] == []
                try:
                    heard = await asyncio.wait_for(receive(socket), 1)
                    break
                except TimeoutError:
                    continue
            assert heard.get("type") == "next", heard
            revoked = await gql(client, cluster.c, REVOKE, {"k": made["keyId"]}, key=cluster.admin)
            assert revoked["revokeApiKey"]["userErrors"] == []
            final: list[dict[str, Any]] = []
            with contextlib.suppress(websockets.ConnectionClosed):
                async with asyncio.timeout(15):
                    async for text in socket:
                        final.append(json.loads(text))
        except Exception:
            await socket.close()
            raise
    assert [m["type"] for m in final][-1:] == ["error"]
    assert final[-1]["payload"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert (socket.close_code, socket.close_reason) == (4403, "The API key of this connection was revoked.")


async def test_a_scheduled_job_runs_once_per_slot_across_the_three(cluster: Cluster) -> None:
    store = store_from_url(cluster.couch_url, db_prefix=cluster.prefix)
    await store.open()
    try:
        runs: list[dict[str, Any]] = []
        for _wait in range(60):  # the lease keeps the last 20 runs; three or more is enough to compare
            lease = (await store.get_many(Db.SYSTEM, [lease_id(JOB)])).get(lease_id(JOB)) or {}
            runs = lease.get("runs") or []
            if len(runs) >= 3:
                break
            await asyncio.sleep(0.5)
    finally:
        await store.close()
    slots = [run["slot"] for run in runs]
    assert len(slots) >= 3
    assert len(set(slots)) == len(slots), f"a slot ran twice: {slots}"
    assert slots == sorted(slots)
    assert {run["outcome"] for run in runs} == {"done"}
