"""Every GraphQL example of the README runs as pasted, in order, against a real `numplane serve`."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.server import Server

README = Path(__file__).resolve().parents[1] / "README.md"


def graphql_examples() -> list[str]:
    """The documents the README gives: each ```graphql block, and the query of each curl command (split
    into arguments as the shell would)."""
    text = README.read_text()
    documents = []
    for language, body in re.findall(r"```(\w*)\n(.*?)```", text, flags=re.DOTALL):
        if language == "graphql":
            documents.append(body)
        elif language == "sh":
            for command in body.replace("\\\n", " ").splitlines():
                words = shlex.split(command, comments=True)
                if words[:1] == ["curl"] and "/graphql" in command and "-d" in words:
                    documents.append(_json_query(words[words.index("-d") + 1]))
    return documents


def _json_query(body: str) -> str:
    query: str = json.loads(body)["query"]
    return query


@pytest.fixture
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    # As `make serve` runs it: debug on (GraphiQL), the simulated carrier enabled.
    served = Server(f"sqlite:///{tmp_path_factory.mktemp('readme') / 'readme.db'}",
                    extra_env={"NUMPLANE_DEBUG": "1", "NUMPLANE_CARRIERS": "simulated"})
    served.start()
    try:
        yield served
    finally:
        served.stop()


def user_errors(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [*value.get("userErrors", []), *(e for v in value.values() for e in user_errors(v))]
    if isinstance(value, list):
        return [e for v in value for e in user_errors(v)]
    return []


def test_the_readme_has_its_examples() -> None:
    examples = graphql_examples()
    assert len(examples) >= 3
    assert any(e.lstrip().startswith("mutation { addNumbers") for e in examples)  # the curl example


def test_every_readme_graphql_example_runs_as_pasted(server: Server) -> None:
    headers = {"Authorization": f"Bearer {server.admin_key}"}
    listing: dict[str, Any] = {}
    for document in graphql_examples():
        # The whole block as the body, no operationName: as GraphiQL's run button and curl send it.
        answer = httpx.post(f"{server.url}/graphql", json={"query": document}, headers=headers, timeout=30).json()
        assert "errors" not in answer, (document, answer)
        assert user_errors(answer["data"]) == [], (document, answer)
        if document.lstrip().startswith("query FirstNumbers"):
            listing = answer
    # The first session's listing shows what the examples before it did: the number added, then activated.
    (edge,) = listing["data"]["numbers"]["edges"]
    assert edge["node"]["e164"] == "+14155550123" and edge["node"]["state"] == "IN_SERVICE"
    assert [h["action"] for h in edge["node"]["history"]][:2] == ["add", "activate"]
