"""Variables coerced by a plan (numplane.schema.compiled_variables) are what graphql-core makes of them.

Each operation below declares variables of the schema's input types, with and without defaults, required
and nullable; hypothesis sends them values of every shape (left out, null, right, wrong types, unknown
input fields, lists where one value is expected and the reverse, deep nesting). The compiled executor's
`build` and graphql-core's own must answer alike: the same errors (message, locations) or the same coerced
values and sources. Then a few whole operations run on both executors, invalid variables included.
"""

from __future__ import annotations

import os
from typing import Any

import graphql.execution.executor
import pytest
from graphql import Executor, GraphQLError, parse
from graphql.execution.values import VariableValues
from hypothesis import given, settings
from hypothesis import strategies as st

from numplane.resolvers import keys
from numplane.resolvers.context import Requester, Role, Services
from numplane.schema.compiled_executor import CompiledExecutor
from numplane.schema.compiled_variables import VARIABLE_PLANS
from numplane.schema.context import RequestContext
from numplane.schema.schema import build_schema
from numplane.settings import Settings
from numplane.store.base import Store

EXAMPLES = int(os.environ.get("NUMPLANE_COMPILED_EXAMPLES", "100"))
COMPILED, EXECUTOR = build_schema(), build_schema(compiled=False)
SCHEMA = COMPILED._schema
HUNT = (
    "mutation($n: String!, $c: String) { huntNumber(input: {number: $n, callerAccountId: $c}) { result { number } } }"
)
OPERATIONS = [
    HUNT,
    "mutation($input: HuntInput!) { huntNumber(input: $input) { result { number } } }",
    "query($f: NumberFilter = {states: [IN_SERVICE], prefix: \"+1\"}, $first: Int = 10, $after: String)"
    " { numbers(filter: $f, first: $first, after: $after) { edges { cursor } } }",
    "query($states: [NumberState!] = [AVAILABLE], $with: Boolean! = true)"
    " { numbers(filter: {states: $states}) @include(if: $with) { edges { cursor } } }",
    "mutation($n: [NumberRef!]!, $s: NumberState!, $p: JSON)"
    " { addNumbers(input: {numbers: $n, state: $s, publicFields: $p}) { userErrors { code } } }",
    "query($id: ID!, $q: Int) { node(id: $id) { id } searchNumbers(prefix: \"+1\", quantity: $q) { e164 } }",
]
NAMES = ["n", "c", "input", "f", "first", "after", "states", "with", "s", "p", "id", "q",
         "number", "callerAccountId", "prefix", "expectedRevision", "includeDescendants", "carrier", "x"]
LEAVES = (st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=False)
          | st.sampled_from(["+14155550001", "IN_SERVICE", "AVAILABLE", "nope", "", "+1", "3"]))
VALUES = st.recursive(
    LEAVES, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(NAMES), inner, max_size=4),
    max_leaves=12,
)
INPUTS = st.dictionaries(st.sampled_from(NAMES), VALUES, max_size=6)


def built(executor: type[Executor[Any]], query: str, inputs: dict[str, Any]) -> Any:
    document = parse(query)
    result = executor.build(SCHEMA, document, raw_variable_values=inputs)
    if isinstance(result, list):
        return [(error.message, error.locations) for error in result]
    return comparable(result.variable_values)


def comparable(values: VariableValues) -> Any:
    sources = {
        name: (source.signature.name, str(source.signature.type), source.signature.default is not None, source.value)
        for name, source in values.sources.items()
    }
    return sources, values.coerced


@settings(max_examples=EXAMPLES, deadline=None, database=None)
@given(operation=st.sampled_from(OPERATIONS), inputs=INPUTS)
def test_planned_variables_coerce_as_graphql_core_does(operation: str, inputs: dict[str, Any]) -> None:
    assert built(CompiledExecutor, operation, inputs) == built(Executor, operation, inputs)


@pytest.mark.parametrize("inputs", [
    {"n": "+14155550001"},  # $c left out
    {"n": "+14155550001", "c": None},
    {"n": "+14155550001", "c": "acct"},
])
def test_sent_valid_variables_are_coerced_by_the_plan(inputs: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    expected = built(Executor, HUNT, inputs)

    def not_called(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("graphql-core coerced the variables")

    monkeypatch.setattr(graphql.execution.executor, "get_variable_values", not_called)
    executor = CompiledExecutor.build(SCHEMA, parse(HUNT), raw_variable_values=inputs)
    assert isinstance(executor, CompiledExecutor)
    assert any(operation is executor.operation for operation, _plan in VARIABLE_PLANS.entries.values())
    assert comparable(executor.variable_values) == expected


@pytest.mark.parametrize(("inputs", "message"), [
    ({}, "Variable '$n' has invalid value: Expected a value of non-null type 'String!' to be provided."),
    ({"n": None}, "Variable '$n' has invalid value: Expected value of non-null type 'String!' not to be None."),
    ({"n": 7}, "Variable '$n' has invalid value: String cannot represent a non string value: 7"),
    ({"n": ["+14155550001"]}, "Variable '$n' has invalid value: String cannot represent a non string value:"),
])
def test_refused_variables_keep_graphql_cores_errors(inputs: dict[str, Any], message: str) -> None:
    errors = CompiledExecutor.build(SCHEMA, parse(HUNT), raw_variable_values=inputs)
    assert isinstance(errors, list) and all(isinstance(error, GraphQLError) for error in errors)
    assert errors[0].message.startswith(message)
    assert built(CompiledExecutor, HUNT, inputs) == built(Executor, HUNT, inputs)


def test_a_nesting_too_deep_for_coercion_is_refused_as_graphql_core_refuses_it() -> None:
    query = "mutation($n: [NumberRef!]!) { addNumbers(input: {numbers: $n, state: AVAILABLE}) { userErrors { code } } }"
    deep: Any = "+14155550001"
    for _ in range(3000):
        deep = [deep]
    inputs = {"n": deep}
    compiled = built(CompiledExecutor, query, inputs)
    assert compiled == built(Executor, query, inputs)
    assert compiled[0][0] == "Variable values are nested too deeply."


@pytest.mark.parametrize(("query", "inputs"), [
    (HUNT, {"n": "+14155550001"}),
    (HUNT, {"n": "+14155550001", "c": None}),
    (HUNT, {"n": 14155550001}),
    (HUNT, {}),
    ("mutation($i: HuntInput!) { huntNumber(input: $i) { result { number disposition } userErrors { code } } }",
     {"i": {"number": "+14155550001", "unknown": 1}}),
    ("mutation($i: HuntInput = {number: \"+14155550001\"}) { huntNumber(input: $i) { result { number } } }", {}),
    ("query($f: NumberFilter = {states: [IN_SERVICE]}, $first: Int = 2) { numbers(filter: $f, first: $first)"
     " { edges { node { e164 } } } }", {"first": None}),
    ("query($first: Int = 2) { numbers(first: $first) { edges { cursor } } }", {"first": 2**40}),
])
async def test_operations_with_variables_answer_alike_on_both_executors(
    store: Store, query: str, inputs: dict[str, Any]
) -> None:
    services = Services(store=store, settings=Settings(carriers=""))
    root, _key, _created = await keys.init_root(services, "root")
    router = Requester(root, Role.ROUTER)
    answers = []
    for schema in (COMPILED, EXECUTOR):
        result = await schema.execute(query, variable_values=inputs,
                                      context_value=RequestContext.build(services, router))
        answers.append((result.data, [error.formatted for error in result.errors or []]))
    assert answers[0] == answers[1]
