"""Every string argument of every query and mutation, found by introspection, gets hostile text over real HTTP:
never a 5xx, never "Unexpected error.", never a logged error, never more than a short prefix echoed.

The list of arguments comes from the schema, so an argument added later is swept without editing this file.
Each case is one request; the whole sweep is a few hundred requests per store.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from graphql import get_introspection_query

from numplane.domain.text import ECHO, MAX_TEXT
from numplane.schema.schema import build_schema
from tests.support.served import logged_errors, served

HOSTILE = {
    "nul": "+1415\x00555",
    "huge": "9" * 100_000,
    "longest allowed": "9" * MAX_TEXT,
    "lone surrogate": "+1415\ud800",
    "newline": "a\nb",
}
PLACEHOLDER = "+14155550100"  # a possible number; as an id it simply names nothing

TypeRef = dict[str, Any]


def introspected() -> dict[str, dict[str, Any]]:
    result = build_schema(debug=True).execute_sync(get_introspection_query())
    assert result.errors is None and result.data is not None
    return {t["name"]: t for t in result.data["__schema"]["types"]}


def named(ref: TypeRef) -> TypeRef:
    while ref["ofType"] is not None:
        ref = ref["ofType"]
    return ref


def signature(ref: TypeRef) -> str:
    """The type as written in a variable definition, e.g. `[NumberRef!]!`."""
    if ref["kind"] == "NON_NULL":
        return signature(ref["ofType"]) + "!"
    if ref["kind"] == "LIST":
        return f"[{signature(ref['ofType'])}]"
    return str(ref["name"])


@dataclass(frozen=True)
class Case:
    field: str  # "Query.numbers" or "Account.numbers" (reached through `me`)
    argument_path: tuple[str | int, ...]  # where the hostile text goes inside the arguments
    hostile: str

    @property
    def id(self) -> str:
        return f"{self.field}({'.'.join(map(str, self.argument_path))})"


class Sweep:
    def __init__(self) -> None:
        self.types = introspected()

    def fields_with_arguments(self) -> Iterator[tuple[str, dict[str, Any]]]:
        for root in ("Query", "Mutation"):
            for field in self.types[root]["fields"]:
                yield root, field
        # Fields below the roots take string arguments too (cursors, filters): reach those of Account via `me`.
        for field in self.types["Account"]["fields"]:
            if field["args"]:
                yield "Account", field

    def string_paths(self, ref: TypeRef, seen: frozenset[str] = frozenset()) -> Iterator[tuple[str | int, ...]]:
        if ref["kind"] == "NON_NULL":
            yield from self.string_paths(ref["ofType"], seen)
        elif ref["kind"] == "LIST":
            yield from ((0, *path) for path in self.string_paths(ref["ofType"], seen))
        elif ref["kind"] == "SCALAR" and ref["name"] in ("String", "ID"):
            yield ()
        elif ref["kind"] == "INPUT_OBJECT" and ref["name"] not in seen:
            for field in self.types[ref["name"]]["inputFields"]:
                for path in self.string_paths(field["type"], seen | {ref["name"]}):
                    yield (field["name"], *path)

    def filler(self, ref: TypeRef) -> Any:
        """A value of the type that passes validation (for required arguments that are not swept)."""
        if ref["kind"] == "NON_NULL":
            return self.filler(ref["ofType"])
        if ref["kind"] == "LIST":
            return [self.filler(ref["ofType"])]
        if ref["kind"] == "ENUM":
            return self.types[ref["name"]]["enumValues"][0]["name"]
        if ref["kind"] == "INPUT_OBJECT":
            return {
                f["name"]: self.filler(f["type"])
                for f in self.types[ref["name"]]["inputFields"]
                if f["type"]["kind"] == "NON_NULL" and f["defaultValue"] is None
            }
        return {"String": PLACEHOLDER, "ID": PLACEHOLDER, "Int": 1, "Float": 1.0, "Boolean": False,
                "JSON": {}}.get(ref["name"], PLACEHOLDER)

    def selection(self, ref: TypeRef) -> str:
        kind = self.types[named(ref)["name"]]
        if kind["kind"] in ("SCALAR", "ENUM"):
            return ""
        # A payload's userErrors carry the messages, which must not echo long input either.
        if any(f["name"] == "userErrors" for f in kind.get("fields") or ()):
            return " { __typename userErrors { code message } }"
        return " { __typename }"

    def cases(self) -> Iterator[Case]:
        for owner, field in self.fields_with_arguments():
            for argument in field["args"]:
                for path in self.string_paths(argument["type"]):
                    for hostile in HOSTILE.values():
                        yield Case(f"{owner}.{field['name']}", (argument["name"], *path), hostile)

    def placed(self, ref: TypeRef, value: Any, path: tuple[str | int, ...], hostile: str) -> Any:
        """`value` (of type `ref`) with `hostile` at `path`. Objects and one-element lists made on the way are
        valid fillers, so the hostile text is the only thing wrong (a required sibling left out would be
        refused by validation instead, before the argument is even looked at)."""
        if not path:
            return hostile
        if ref["kind"] == "NON_NULL":
            ref = ref["ofType"]
        head, rest = path[0], path[1:]
        if isinstance(head, int):
            inner = ref["ofType"]
            items = value if isinstance(value, list) and value else [self.filler(inner)]
            return [self.placed(inner, items[0], rest, hostile)]
        fields = {f["name"]: f["type"] for f in self.types[ref["name"]]["inputFields"]}
        container = dict(value) if isinstance(value, dict) else self.filler(ref)
        container[head] = self.placed(fields[str(head)], container.get(head), rest, hostile)
        return container

    def request(self, case: Case) -> tuple[str, dict[str, Any]]:
        owner, name = case.field.split(".")
        field = next(f for f in self.types[owner]["fields"] if f["name"] == name)
        variables: dict[str, Any] = {}
        for argument in field["args"]:
            if argument["name"] == case.argument_path[0]:
                variables[argument["name"]] = self.placed(
                    argument["type"], self.filler(argument["type"]), case.argument_path[1:], case.hostile
                )
            elif argument["type"]["kind"] == "NON_NULL" and argument["defaultValue"] is None:
                variables[argument["name"]] = self.filler(argument["type"])
        used = [a for a in field["args"] if a["name"] in variables]
        definitions = ", ".join(f"${a['name']}: {signature(a['type'])}" for a in used)
        call = f"{name}({', '.join(f'{n}: ${n}' for n in variables)}){self.selection(field['type'])}"
        if owner == "Account":
            call = f"me {{ {call} }}"
        operation = "mutation" if owner == "Mutation" else "query"
        return f"{operation} Sweep({definitions}) {{ {call} }}", variables


def test_the_sweep_covers_the_arguments_named_in_the_issue() -> None:
    ids = {case.id for case in Sweep().cases()}
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
        for case in sweep.cases():
            query, variables = sweep.request(case)
            # json.dumps escapes a lone surrogate as \ud800, as a hostile client would send it.
            response = await api.client.post(
                "/graphql", content=json.dumps({"query": query, "variables": variables}), headers=headers
            )
            if response.status_code >= 500 or "Unexpected error" in response.text or not is_json(response.text):
                faults.append(f"{case.id} with {case.hostile[:12]!r}: {response.status_code} {response.text[:200]}")
            elif "errors" in response.json() and response.status_code == 200:
                assert_coded(case, response.json())
            if case.hostile == HOSTILE["longest allowed"] and "9" * (ECHO + 1) in response.text:
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
