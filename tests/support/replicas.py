"""Several `numplane serve` processes on one CouchDB-compatible server, as replicas behind a load balancer
(issue 15): the three-replica tests and `make bench BENCH_ARGS=replicas` start them here."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import httpx

from tests.support.server import Server


@contextmanager
def running_replicas(
    couch_url: str, prefix: str, env: Mapping[str, str], *, count: int = 3
) -> Iterator[list[Server]]:
    """`count` servers on the databases `prefix` of `couch_url`, each with the settings `env`, started
    together as a deployment would: they race to create the databases, views and root account, and the
    store's conditional writes let one win each (`root_key` finds a key of the one root)."""
    settings = {"NUMPLANE_DB_PREFIX": prefix, **env}
    servers = [Server(couch_url, extra_env=settings) for _ in range(count)]
    try:
        with ThreadPoolExecutor(count) as pool:
            list(pool.map(Server.start, servers))
        yield servers
    finally:
        with ThreadPoolExecutor(count) as pool:
            list(pool.map(Server.stop, servers))


def root_key(servers: list[Server]) -> str:
    """A key of the root admin, from a server that created the root or raced to (a server that found it
    already made prints no key)."""
    keys = [server.admin_key for server in servers if server.admin_key.startswith("np_")]
    assert keys, [server.first_line for server in servers]
    return keys[0]


async def gql(
    client: httpx.AsyncClient, server: Server, query: str, variables: dict[str, Any] | None = None, *, key: str
) -> dict[str, Any]:
    """The data of an operation that must succeed through `server`."""
    response = await client.post(
        server.url + "/graphql", json={"query": query, "variables": variables or {}},
        headers={"Authorization": f"Bearer {key}"},
    )
    body: dict[str, Any] = response.json()
    assert response.status_code == 200 and "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data
