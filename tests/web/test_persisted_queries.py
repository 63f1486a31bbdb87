"""Automatic persisted queries (Apollo's protocol) over real HTTP and WebSocket: the documented exchange with
httpx, and Apollo Client's own persisted-query link from Node against the same served app."""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from numplane.web.persisted import PersistedQueries, PersistedQueryRefused
from tests.support.api import Api
from tests.support.served import served, served_ws
from tests.support.websocket import acknowledged, receive

ROOT = Path(__file__).parents[2]
ME = "query Me { me { name } }"


def persisted(query: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": hashlib.sha256(query.encode()).hexdigest()}}


def bearer(api: Api, key: str = "admin") -> dict[str, str]:
    return {"Authorization": f"Bearer {api.keys[key]}"}


async def test_a_hash_is_unknown_until_sent_once_with_its_query_then_runs_alone(store_url: tuple[str, str]) -> None:
    async with served(store_url) as api:
        unknown = await api.client.post("/graphql", json={"extensions": persisted(ME)}, headers=bearer(api))
        registered = await api.client.post(
            "/graphql", json={"query": ME, "extensions": persisted(ME)}, headers=bearer(api)
        )
        by_post = await api.client.post("/graphql", json={"extensions": persisted(ME)}, headers=bearer(api))
        by_get = await api.client.get(
            "/graphql", params={"extensions": json.dumps(persisted(ME))}, headers=bearer(api)
        )

    assert unknown.status_code == 200
    assert unknown.json() == {
        "errors": [{"message": "PersistedQueryNotFound", "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}]
    }
    for response in (registered, by_post, by_get):
        assert response.status_code == 200, response.text
        assert response.json() == {"data": {"me": {"name": "M"}}}


async def test_a_query_that_does_not_match_its_hash_is_refused_and_not_kept(store_url: tuple[str, str]) -> None:
    other = "query Other { me { id } }"
    async with served(store_url) as api:
        lying = await api.client.post(
            "/graphql", json={"query": other, "extensions": persisted(ME)}, headers=bearer(api)
        )
        after = await api.client.post("/graphql", json={"extensions": persisted(ME)}, headers=bearer(api))

    assert lying.status_code == 400
    assert lying.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert after.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_a_persisted_mutation_runs_over_post_but_not_over_get(store_url: tuple[str, str]) -> None:
    mutation = 'mutation Make { createAccount(input: {name: "P"}) { account { name } } }'
    async with served(store_url) as api:
        registering = {"query": mutation, "extensions": persisted(mutation)}
        await api.client.post("/graphql", json=registering, headers=bearer(api))
        over_get = await api.client.get(
            "/graphql", params={"extensions": json.dumps(persisted(mutation))}, headers=bearer(api)
        )
        over_post = await api.client.post("/graphql", json={"extensions": persisted(mutation)}, headers=bearer(api))

    assert over_get.status_code == 400
    assert over_get.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert over_post.json() == {"data": {"createAccount": {"account": {"name": "P"}}}}


async def test_tenants_share_the_document_text_only(store_url: tuple[str, str]) -> None:
    async with served(store_url) as api:
        await api.client.post("/graphql", json={"query": ME, "extensions": persisted(ME)}, headers=bearer(api))
        child = await api.client.post("/graphql", json={"extensions": persisted(ME)}, headers=bearer(api, "child"))
        nobody = await api.client.post("/graphql", json={"extensions": persisted(ME)})

    assert child.json() == {"data": {"me": {"name": "C"}}}  # the child's own answer, from the admin's document
    assert nobody.status_code == 401


async def test_a_persisted_query_over_the_websocket(store_url: tuple[str, str]) -> None:
    async with served_ws(store_url) as (api, url):
        socket = await acknowledged(url, api.keys["admin"])
        try:
            await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"extensions": persisted(ME)}}))
            unknown = await receive(socket)
            await socket.send(json.dumps(
                {"id": "2", "type": "subscribe", "payload": {"query": ME, "extensions": persisted(ME)}}
            ))
            registered = await receive(socket)
            assert (await receive(socket))["type"] == "complete"
            await socket.send(json.dumps({"id": "3", "type": "subscribe", "payload": {"extensions": persisted(ME)}}))
            by_hash = await receive(socket)
        finally:
            await socket.close()

    assert unknown == {"id": "1", "type": "error", "payload": [
        {"message": "PersistedQueryNotFound", "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}
    ]}
    assert registered == {"id": "2", "type": "next", "payload": {"data": {"me": {"name": "M"}}}}
    assert by_hash == {"id": "3", "type": "next", "payload": {"data": {"me": {"name": "M"}}}}


def test_the_cache_holds_at_most_its_bytes_dropping_the_least_recently_used() -> None:
    documents = [f"query Q{i} {{ me {{ name }} }}" for i in range(4)]
    size = len(documents[0])
    cache = PersistedQueries(max_bytes=3 * size)
    for document in documents[:3]:
        cache.document(document, persisted(document))

    cache.document(None, persisted(documents[0]))  # used again: now the most recent
    cache.document(documents[3], persisted(documents[3]))

    assert (len(cache), cache.size) == (3, 3 * size)
    assert cache.document(None, persisted(documents[0])) == documents[0]
    with pytest.raises(PersistedQueryRefused) as dropped:
        cache.document(None, persisted(documents[1]))
    assert dropped.value.code == "PERSISTED_QUERY_NOT_FOUND"


def test_a_document_larger_than_the_cache_runs_but_is_not_kept() -> None:
    cache = PersistedQueries(max_bytes=10)
    assert cache.document(ME, persisted(ME)) == ME
    assert (len(cache), cache.size) == (0, 0)


async def test_apollo_clients_persisted_query_link(store_url: tuple[str, str]) -> None:
    async with served(store_url) as api:
        node = await asyncio.create_subprocess_exec(
            "node", str(ROOT / "tests/web/node/apollo_persisted.mjs"),
            str(api.client.base_url.join("/graphql")), api.keys["admin"], "not-a-key",
            cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(node.communicate(), timeout=60)
    assert node.returncode == 0, err.decode()
    report = json.loads(out)

    assert report["first"] == report["again"] == {"me": {"__typename": "Account", "name": "M"}}
    assert report["created"]["createAccount"]["account"]["name"] == "apq"
    assert report["createdAgain"]["createAccount"]["account"]["name"] == "apq2"
    sent = [(r["method"], r["withQuery"], r["persistedQuery"] is not None, r["status"], r["codes"])
            for r in report["requests"]]
    assert sent == [
        ("GET", False, True, 200, ["PERSISTED_QUERY_NOT_FOUND"]),  # the hash alone: unknown here
        ("POST", True, True, 200, []),  # the link retries with the query once
        ("GET", False, True, 200, []),  # from then on the hash alone
        ("POST", False, True, 200, ["PERSISTED_QUERY_NOT_FOUND"]),  # a mutation: POST, never GET
        ("POST", True, True, 200, []),
        ("POST", False, True, 200, []),
        ("GET", False, True, 401, ["UNAUTHENTICATED"]),  # the bad key's request
    ]
    # A 401 reaches the application as a ServerError carrying the status and the coded body (README).
    assert report["unauthorized"] == {"serverError": True, "statusCode": 401, "codes": ["UNAUTHENTICATED"]}


def test_a_cache_of_no_bytes_says_persisted_queries_are_not_supported() -> None:
    with pytest.raises(PersistedQueryRefused) as refused:
        PersistedQueries(max_bytes=0).document(ME, persisted(ME))
    assert refused.value.code == "PERSISTED_QUERY_NOT_SUPPORTED"
    assert refused.value.message == "PersistedQueryNotSupported"
