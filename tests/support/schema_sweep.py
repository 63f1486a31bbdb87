"""Every argument of every query and mutation, found by introspection, and a request that puts a chosen
value at one place inside it (an argument, or a field of an input object), every other part valid.

The list of arguments comes from the schema, so an argument added later is swept without editing a test.
Used by tests/web/test_hostile_sweep.py (text) and tests/web/test_hostile_input.py (integers).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from graphql import get_introspection_query

from numplane.schema.schema import build_schema

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
    argument_path: tuple[str | int, ...]  # where the hostile value goes inside the arguments
    hostile: Any

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

    def scalar_paths(
        self, ref: TypeRef, scalars: frozenset[str], seen: frozenset[str] = frozenset()
    ) -> Iterator[tuple[str | int, ...]]:
        """Where a value of one of the `scalars` goes inside a value of type `ref`."""
        if ref["kind"] == "NON_NULL":
            yield from self.scalar_paths(ref["ofType"], scalars, seen)
        elif ref["kind"] == "LIST":
            yield from ((0, *path) for path in self.scalar_paths(ref["ofType"], scalars, seen))
        elif ref["kind"] == "SCALAR" and ref["name"] in scalars:
            yield ()
        elif ref["kind"] == "INPUT_OBJECT" and ref["name"] not in seen:
            for field in self.types[ref["name"]]["inputFields"]:
                for path in self.scalar_paths(field["type"], scalars, seen | {ref["name"]}):
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

    def cases(self, scalars: frozenset[str], values: Iterable[Any]) -> Iterator[Case]:
        """Each of `values` at each place of each argument that takes one of the `scalars`."""
        values = tuple(values)
        for owner, field in self.fields_with_arguments():
            for argument in field["args"]:
                for path in self.scalar_paths(argument["type"], scalars):
                    for value in values:
                        yield Case(f"{owner}.{field['name']}", (argument["name"], *path), value)

    def placed(self, ref: TypeRef, value: Any, path: tuple[str | int, ...], hostile: Any) -> Any:
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

    def literal(self, ref: TypeRef, value: Any) -> str:
        """`value` written into the document as a GraphQL literal of type `ref`."""
        if value is None:
            return "null"
        if ref["kind"] == "NON_NULL":
            return self.literal(ref["ofType"], value)
        if ref["kind"] == "LIST":
            items = value if isinstance(value, list) else [value]
            return "[" + ", ".join(self.literal(ref["ofType"], item) for item in items) + "]"
        if ref["kind"] == "ENUM":
            return str(value)
        if ref["kind"] == "INPUT_OBJECT":
            fields = {f["name"]: f["type"] for f in self.types[ref["name"]]["inputFields"]}
            return "{" + ", ".join(f"{k}: {self.literal(fields[k], v)}" for k, v in value.items()) + "}"
        # A JSON string's escapes (\u0000 included) are GraphQL's too; other scalars are JSON as well.
        return json.dumps(value)

    def request(self, case: Case, *, inline: bool = False) -> tuple[str, dict[str, Any]]:
        """The document and variables that send `case`; with `inline`, every argument is a literal."""
        query, variables = self._request(case)
        if not inline:
            return query, variables
        owner, name = case.field.split(".")
        field = next(f for f in self.types[owner]["fields"] if f["name"] == name)
        types = {a["name"]: a["type"] for a in field["args"]}
        call = f"{name}({', '.join(f'{n}: {self.literal(types[n], v)}' for n, v in variables.items())})"
        call += self.selection(field["type"])
        if owner == "Account":
            call = f"me {{ {call} }}"
        return f"{'mutation' if owner == 'Mutation' else 'query'} Sweep {{ {call} }}", {}

    def _request(self, case: Case) -> tuple[str, dict[str, Any]]:
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


