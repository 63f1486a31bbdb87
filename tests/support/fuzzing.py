"""What the fuzz tests send and what they judge: operations generated from numplane's schema by
hypothesis-graphql, and the properties every answer must have whatever was sent.

Shared by tests/web/test_fuzz.py (a bounded run in `make test`) and `make fuzz` (the same tests with
FUZZ_EXAMPLES examples each).
"""

from __future__ import annotations

import builtins
import os
import re
from typing import Any

import graphql
import httpx
from hypothesis import strategies as st
from hypothesis_graphql import Mode, mutations, nodes, queries

from numplane.schema.schema import build_schema

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "20"))
"""Examples per property and store: small in `make test`, set by `make fuzz FUZZ_EXAMPLES=...`."""

ROLES = ("admin", "user", "router")

# The SDL as served (numplane's own schema object, not a possibly stale schema.graphql).
SCHEMA = graphql.build_schema(str(build_schema(debug=True)))

_TEXT = st.text(max_size=40)
_JSON_LEAF: st.SearchStrategy[graphql.ValueNode] = st.one_of(
    _TEXT.map(nodes.String), st.integers().map(nodes.Int), st.booleans().map(nodes.Boolean),
    st.floats(allow_nan=False, allow_infinity=False).map(nodes.Float), st.just(graphql.NullValueNode()),
)
_JSON = st.recursive(
    _JSON_LEAF,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4).map(nodes.List),
        st.lists(st.tuples(st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True), inner), max_size=4).map(
            lambda pairs: nodes.Object(
                [graphql.ObjectFieldNode(name=graphql.NameNode(value=k), value=v) for k, v in dict(pairs).items()]
            )
        ),
    ),
    max_leaves=8,
)
_DATETIME = st.one_of(
    st.datetimes(timezones=st.none() | st.timezones()).map(lambda moment: nodes.String(moment.isoformat())),
    _TEXT.map(nodes.String),
    st.integers().map(nodes.Int),
)
CUSTOM_SCALARS: dict[str, st.SearchStrategy[graphql.ValueNode]] = {
    "JSON": _JSON,
    "DateTime": _DATETIME,
    "Upload": _TEXT.map(nodes.String),  # a file only arrives in a multipart body: any literal here is refused
}


def _printed(document: graphql.DocumentNode) -> str:
    return graphql.print_ast(graphql.visit(document, _NoLongPoll()))


class _NoLongPoll(graphql.Visitor):
    """`numberChanges(waitSeconds: n)` with n > 0 waits up to 30 s for a change that never comes: one such
    example would cost more than the whole run. Its bounds (negative, zero) stay; the wait is tested elsewhere."""

    def enter_argument(self, node: graphql.ArgumentNode, *_args: Any) -> graphql.ArgumentNode | None:
        value = node.value
        if node.name.value == "waitSeconds" and isinstance(value, graphql.IntValueNode) and int(value.value) > 0:
            return graphql.ArgumentNode(name=node.name, value=graphql.IntValueNode(value="0"))
        return None


NUMBERS = (*(f"+1415555{n:04d}" for n in range(100, 106)), "4155550106", "+1 (415) 555-0107", "911", "411")
"""A few numbers that generated mutations share, so that one example adds what a later one reserves,
activates, holds, ports or releases (random text alone is refused as INVALID_NUMBER before any of that)."""
WORDS = ("simulated", "inventory", "US", "GB", "user", "router", "admin", "+1415", "+1", "")


def operations(known: tuple[str, ...] = ()) -> st.SearchStrategy[str]:
    """Queries and mutations over every root field: valid ones (twice as often) and ones with one schema
    violation. String and ID arguments are numbers of a small pool, `known` values of the server under test
    (account and key ids, node ids), words the API knows, or random text."""
    text = st.one_of(st.sampled_from(NUMBERS), st.sampled_from((*WORDS, *known)), _TEXT)
    scalars = {**CUSTOM_SCALARS, "String": text.map(nodes.String), "ID": text.map(nodes.String)}
    return st.one_of(
        *(
            make(SCHEMA, custom_scalars=scalars, print_ast=_printed, mode=mode)
            for mode in (Mode.POSITIVE, Mode.POSITIVE, Mode.NEGATIVE)
            for make in (queries, mutations)
        )
    )


_EXCEPTION_NAMES = sorted(
    name
    for name, value in vars(builtins).items()
    if isinstance(value, type) and issubclass(value, BaseException) and name.endswith(("Error", "Exception"))
    and name != "Exception"
)
UNMASKED = re.compile(
    r"Traceback \(most recent call last\)"
    r"|File \"[^\"]+\", line \d+"  # a frame of a traceback
    r"|(?:/[\w.-]+)+\.py\b|site-packages"  # a path to our code
    r"|\b(?:" + "|".join(_EXCEPTION_NAMES) + r"|GraphQLError|DomainError|JSONDecodeError|ValidationError)\b"
    r"|<[\w.]+ object at 0x[0-9a-f]+>"  # a repr of an object
)


def faults(response: httpx.Response) -> list[str]:
    """What is wrong with an answer to any request, however hostile: a 5xx, a body that is not JSON, an
    error without `extensions.code`, a message that shows our internals."""
    found: list[str] = []
    if response.status_code >= 500:
        found.append(f"HTTP {response.status_code}")
    unmasked = UNMASKED.search(response.text)
    if unmasked:
        found.append(f"unmasked internals: {unmasked.group(0)!r}")
    try:
        body = response.json()
    except ValueError:
        return [*found, "the body is not JSON"]
    for error in body.get("errors") or () if isinstance(body, dict) else ():
        if not (error.get("extensions") or {}).get("code"):
            found.append(f"an error without extensions.code: {error.get('message')!r}")
        if error.get("message") == "Unexpected error.":
            found.append("a fault of ours, masked as 'Unexpected error.'")
    return found


def responsive(client: httpx.Client, key: str) -> bool:
    """Whether the server still answers a trivial query at once."""
    response = client.post("/graphql", json={"query": "{ __typename }"}, headers={"Authorization": f"Bearer {key}"})
    return response.status_code == 200 and response.json() == {"data": {"__typename": "Query"}}
