"""Fuzzing a real `numplane serve` (one process per store) with operations hypothesis-graphql generates from
the schema, sent over HTTP with an admin, a user and a router key.

Whatever is sent: never a 5xx, every error carries `extensions.code`, no message shows our internals
(a traceback, an exception's name, a path), nothing is logged as a fault, and the server answers
`{ __typename }` after every batch. `make fuzz` runs the same properties with FUZZ_EXAMPLES examples.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import STORE_KINDS, unique_prefix
from tests.support.fuzzing import EXAMPLES, ROLES, faults, operations, responsive
from tests.support.server import Server


@dataclass
class Fuzzed:
    client: httpx.Client
    keys: dict[str, str]
    known: tuple[str, ...]  # ids of the server's accounts and keys, for generated arguments to hit
    server: Server

    def __post_init__(self) -> None:
        self.operations = operations(self.known)

    def log_lines(self) -> list[str]:
        return list(self.server.stderr_lines)


@pytest.fixture(scope="module", params=STORE_KINDS)
def fuzzed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzed]:
    folder = tmp_path_factory.mktemp("fuzz")
    if request.param == "sqlite":
        url, prefix = f"sqlite:///{folder / 'fuzz.db'}", "numplane"
    else:
        url, prefix = request.getfixturevalue("couch_url"), unique_prefix()
    env = {"NUMPLANE_DB_PREFIX": prefix, "NUMPLANE_SCHEDULER": "0", "NUMPLANE_WEBHOOKS": "0",
           "NUMPLANE_CARRIERS": "simulated"}
    server = Server(url, extra_env=env, capture_stderr=True)
    server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            keys, known = keys_of_each_role(client, server.admin_key)
            yield Fuzzed(client, keys, known, server)
    finally:
        server.stop()


def keys_of_each_role(client: httpx.Client, admin: str) -> tuple[dict[str, str], tuple[str, ...]]:
    """A user key of a tenant under the root, a router key of the root, and the ids of both accounts."""
    def data(query: str) -> Any:
        response = client.post("/graphql", json={"query": query}, headers={"Authorization": f"Bearer {admin}"})
        return response.json()["data"]

    root = data("{ me { id accountId } }")["me"]
    tenant = data('mutation { createAccount(input: {name: "tenant"}) { account { id accountId } } }')
    tenant = tenant["createAccount"]["account"]
    key = "mutation {{ createApiKey(input: {{accountId: \"{}\", role: \"{}\"}}) {{ key keyId }} }}"
    user = data(key.format(tenant["accountId"], "user"))["createApiKey"]
    router = data(key.format(root["accountId"], "router"))["createApiKey"]
    keys = {"admin": admin, "user": user["key"], "router": router["key"]}
    known = (root["id"], root["accountId"], tenant["id"], tenant["accountId"], user["keyId"],
             router["keyId"])
    return keys, known


FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES, deadline=None, database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.mark.timeout(max(300, EXAMPLES * 5))  # a shared machine under load takes seconds per example
@FUZZ_SETTINGS
@given(data=st.data())
def test_generated_operations_never_fault_and_the_server_stays_responsive(fuzzed: Fuzzed, data: st.DataObject) -> None:
    batch = data.draw(st.lists(st.tuples(fuzzed.operations, st.sampled_from(ROLES)), min_size=1, max_size=3))
    logged = len(fuzzed.log_lines())
    for query, role in batch:
        response = fuzzed.client.post(
            "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {fuzzed.keys[role]}"}
        )
        assert faults(response) == [], (role, query, response.status_code, response.text[:500])
    assert [line for line in fuzzed.log_lines()[logged:] if "Traceback" in line or "ERROR" in line] == []
    assert responsive(fuzzed.client, fuzzed.keys["user"])
