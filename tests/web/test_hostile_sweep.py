"""Every string argument of every query and mutation, found by introspection, gets hostile text over real HTTP:
never a 5xx, never "Unexpected error.", never a logged error, never more than a short prefix echoed.

The list of arguments comes from the schema (tests/support/schema_sweep.py), so an argument added later is
swept without editing this file. Each case is one request; the whole sweep is about a thousand per store.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from numplane.domain.text import ECHO, MAX_TEXT
from tests.support.schema_sweep import Case, Sweep
from tests.support.served import logged_errors, served

HOSTILE = {
    "nul": "+1415\x00555",
    "a megabyte": "9" * 1_000_000,  # the body limit is 1 MiB: this still fits, with the document around it
    "longest allowed": "9" * MAX_TEXT,
    "lone surrogate": "+1415\ud800",
    "newline": "a\nb",
}
IN_THE_DOCUMENT = ("nul", "a megabyte")  # also written as literals, which take another path than variables
TEXT = frozenset({"String", "ID", "DateTime"})  # DateTime: a string the scalar parses


def cases() -> list[tuple[Case, bool]]:
    sweep = Sweep()
    as_variables = [(case, False) for case in sweep.cases(TEXT, HOSTILE.values())]
    as_literals = [(case, True) for case in sweep.cases(TEXT, (HOSTILE[name] for name in IN_THE_DOCUMENT))]
    return as_variables + as_literals


def test_the_sweep_covers_the_arguments_named_in_the_issue() -> None:
    ids = {case.id for case, _inline in cases()}
    assert {"Query.numbers(filter.carrier)", "Query.numbers(after)", "Mutation.addNumbers(input.carrier)",
            "Mutation.createAccount(input.name)", "Mutation.createApiKey(input.name)",
            "Account.numbers(after)", "Mutation.updateNumber(input.number.number)"} <= ids


async def test_hostile_text_in_every_string_argument_is_a_client_error(
    store_url: tuple[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    sweep = Sweep()
    faults: list[str] = []
    async with served(store_url) as api:
        headers = {"Authorization": f"Bearer {api.keys['admin']}", "Content-Type": "application/json"}
        for case, inline in cases():
            query, variables = sweep.request(case, inline=inline)
            # json.dumps escapes a lone surrogate as \ud800, as a hostile client would send it.
            response = await api.client.post(
                "/graphql", content=json.dumps({"query": query, "variables": variables}), headers=headers
            )
            if response.status_code >= 500 or "Unexpected error" in response.text or not is_json(response.text):
                where = "literal" if inline else "variable"
                faults.append(f"{case.id} {where} {case.hostile[:12]!r}: {response.status_code} {response.text[:200]}")
            elif "errors" in response.json() and response.status_code == 200:
                assert_coded(case, response.json())
            # graphql-core's own message for a value a scalar refuses shows up to 100 characters of it ("found:");
            # the 40-character rule is numplane's, for String and ID arguments.
            is_text = not case.id.endswith(("CutOverAt)", "scheduledAt)"))
            if case.hostile == HOSTILE["longest allowed"] and is_text and "9" * (ECHO + 1) in response.text:
                faults.append(f"{case.id} echoes more than {ECHO} characters of its input: {response.text[:300]}")
    assert faults == []
    assert logged_errors(caplog) == []


def is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def assert_coded(case: Case, body: dict[str, Any]) -> None:
    """A top-level error is a client error the API names: a code, or graphql-core's own validation text."""
    for error in body["errors"]:
        assert error.get("extensions", {}).get("code") or "locations" in error, (case.id, error)
