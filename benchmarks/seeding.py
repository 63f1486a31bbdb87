"""Setting up a benchmark's data through the API: one GraphQL call that must succeed."""

from __future__ import annotations

from typing import Any

import httpx


def gql(client: httpx.Client, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """The operation's data; any error stops the benchmark, whose figures would mean nothing without it."""
    response = client.post("/graphql", json={"query": query, "variables": variables or {}})
    body: dict[str, Any] = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise RuntimeError(f"seeding failed: {response.status_code} {body}")
    return body["data"]
