"""Arguments reach resolvers on the compiled path exactly as strawberry's conversion hands them over.

Two corpora of generated operations, rewritten the way clients write them (literals sent as variables,
whole or inside input objects and lists, some variables declared and never sent):
- numplane's own schema, every field with arguments of generated mutations (the fields of queries run on
  both paths in tests/schema/test_compiled.py): each field node's arguments are coerced by graphql-core's
  `get_argument_values` and by the plan's coercion (which must give up exactly where graphql-core
  refuses), then converted by strawberry's `convert_arguments` and by the plan's converter, and must be
  the same values (types, fields, defaults, lists) without running a resolver, so mutations need no store;
- a small schema made for arguments (nested input objects, lists of them, enums, scalars that refuse
  values, defaults of every kind, an input type that refuses itself), executed on the compiled path
  and on graphql-core's executor: data and errors must be identical.
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import os
import random
from datetime import datetime
from typing import Any, NewType

import graphql
import pytest
import strawberry
from graphql import FieldNode, TypeInfo, TypeInfoVisitor, Visitor, visit
from graphql.execution.values import get_argument_values, get_variable_values
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import mutations, queries
from strawberry.types.arguments import convert_arguments
from strawberry.types.unset import UNSET

from numplane.resolvers.context import Services
from numplane.schema.compiled_arguments import arguments_converter
from numplane.schema.compiled_coercion import GiveUp, coercion
from numplane.schema.compiled_executor import PLANS, CompiledExecutor
from numplane.schema.compiled_plan import DIRECT, STRAWBERRY_FIELD
from numplane.schema.context import RequestContext
from numplane.schema.request_errors import BAD_USER_INPUT, GRAPHQL_VALIDATION_FAILED
from numplane.schema.schema import build_schema
from numplane.settings import Settings
from tests.support.operations import Rewrite

EXAMPLES = int(os.environ.get("NUMPLANE_COMPILED_EXAMPLES", "40"))

# numplane's schema: every field with arguments

NUMPLANE = build_schema()
SCHEMA = NUMPLANE._schema
REGISTRY = NUMPLANE.schema_converter.scalar_registry
SCALARS = {
    "DateTime": st.sampled_from([graphql.StringValueNode(value="2026-11-01T09:00:00Z")]),
    "JSON": st.just(graphql.parse_value('{a: 1, b: {c: "d"}, e: [1, 2]}')),
    "Upload": st.just(graphql.NullValueNode()),
}
# Mutations: the fields of queries are executed on both paths by tests/schema/test_compiled.py.
NUMPLANE_OPERATIONS = mutations(SCHEMA, custom_scalars=SCALARS, allow_x00=False)


def shape(value: Any) -> Any:
    """A value down to its types: equal shapes mean the resolver could not tell the two apart."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value), {f.name: shape(getattr(value, f.name)) for f in dataclasses.fields(value)})
    if isinstance(value, list):
        return (list, [shape(item) for item in value])
    if isinstance(value, dict):
        return (dict, {key: shape(item) for key, item in value.items()})
    return (type(value), value)


def field_arguments(document: graphql.DocumentNode) -> list[tuple[Any, FieldNode]]:
    """Every field node of the operation that has arguments, with its definition."""
    found: list[tuple[Any, FieldNode]] = []
    type_info = TypeInfo(SCHEMA)

    class Fields(Visitor):
        def enter_field(self, node: FieldNode, *_args: Any) -> None:
            definition = type_info.get_field_def()
            if definition is not None and definition.args:
                found.append((definition, node))

    visit(document, TypeInfoVisitor(type_info, Fields()))
    return found


@settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(operation=NUMPLANE_OPERATIONS, rng=st.randoms(use_true_random=False))
def test_every_numplane_field_gets_the_arguments_graphql_core_and_strawberry_would_make(
    operation: str, rng: random.Random
) -> None:
    rewrite = Rewrite(SCHEMA, rng)
    document = graphql.parse(rewrite.query(operation))
    operation_node = document.definitions[0]
    assert isinstance(operation_node, graphql.OperationDefinitionNode)
    variables = get_variable_values(SCHEMA, operation_node.variable_definitions or (), rewrite.variables)
    if isinstance(variables, list):
        return  # refused before execution, on either path
    for definition, node in field_arguments(document):
        planned = coercion(definition, node)
        try:
            coerced = get_argument_values(definition, node, variables)
        except graphql.GraphQLError:
            if planned is not None:  # the plan gives up where graphql-core refuses, and lets it raise
                with pytest.raises(GiveUp):
                    planned(variables)
            continue
        if planned is not None:
            assert shape(planned(variables)) == shape(coerced), (node.name.value, coerced)
        owner = definition.extensions[STRAWBERRY_FIELD]
        expected = convert_arguments(coerced, owner.arguments, REGISTRY, NUMPLANE.config)
        converted = arguments_converter(owner.arguments, REGISTRY, NUMPLANE.config)(coerced)
        assert shape(converted) == shape(expected), (node.name.value, coerced)


def test_a_hunt_without_a_caller_and_with_a_null_one_are_converted_alike() -> None:
    definition = SCHEMA.mutation_type.fields["huntNumber"]  # type: ignore[union-attr]
    owner = definition.extensions[STRAWBERRY_FIELD]
    convert = arguments_converter(owner.arguments, REGISTRY, NUMPLANE.config)
    for values in ({"input": {"number": "+14155550001"}}, {"input": {"number": "+1", "callerAccountId": None}}):
        assert shape(convert(values)) == shape(convert_arguments(values, owner.arguments, REGISTRY, NUMPLANE.config))
    assert convert({"input": {"number": "+1"}})["input"].caller_account_id is None


async def test_a_json_value_that_is_not_an_object_is_refused_before_execution_on_both_paths() -> None:
    services = Services(store=None, settings=Settings(carriers=""))  # type: ignore[arg-type]  # never reached
    literal = (
        'mutation { addNumbers(input: {numbers: [], state: AVAILABLE, publicFields: "x"}) { userErrors { code } } }'
    )
    variable = (
        "mutation($p: JSON) { addNumbers(input: {numbers: [], state: AVAILABLE, publicFields: $p}) "
        "{ userErrors { code } } }"
    )
    for query, variables, code in ((literal, {}, GRAPHQL_VALIDATION_FAILED), (variable, {"p": [1]}, BAD_USER_INPUT)):
        answers = []
        for schema in (NUMPLANE, build_schema(compiled=False)):
            result = await schema.execute(query, variable_values=variables,
                                          context_value=RequestContext.build(services, None))
            answers.append((result.data, [e.formatted for e in result.errors or []]))
        assert answers[0] == answers[1]
        data, errors = answers[0]
        assert data is None and [e["extensions"]["code"] for e in errors] == [code]


# A schema made for arguments, executed on both paths

Tag = NewType("Tag", str)


def parse_tag(value: object) -> str:
    if not isinstance(value, str) or not value.isalpha():
        raise ValueError("a tag is letters only")
    return value.lower()


@strawberry.enum
class Colour(enum.Enum):
    RED = "red"
    GREEN = "green"


@strawberry.input
class Point:
    x: int
    y: int | None = 0
    label: str | None = None
    note: str | None  # no default: strawberry starts it as None


@strawberry.input
class Checked:
    """An input type that refuses itself when built: strawberry builds it inside the resolver call."""

    value: int

    def __post_init__(self) -> None:
        if self.value < 0:
            raise ValueError(f"negative: {self.value}")


@strawberry.input
class Shape:
    points: list[Point]
    colour: Colour = Colour.RED
    colours: list[Colour] | None = None
    tags: list[Tag] = strawberry.field(default_factory=lambda: [Tag("plain")])
    origin: Point | None = None
    nested: list[list[Point | None]] | None = None
    when: datetime | None = None
    checked: Checked | None = None


def describe(value: Any) -> str:
    """The resolver's view of its arguments, every type and default spelled out."""
    if value is UNSET:
        return "UNSET"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        inner = ", ".join(f"{f.name}={describe(getattr(value, f.name))}" for f in dataclasses.fields(value))
        return f"{type(value).__name__}({inner})"
    if isinstance(value, list):
        return "[" + ", ".join(describe(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {describe(item)}" for key, item in value.items()) + "}"
    if isinstance(value, enum.Enum):
        return f"{type(value).__name__}.{value.name}"
    if isinstance(value, datetime):
        return value.isoformat()
    return f"{type(value).__name__}:{value!r}"


@strawberry.type
class Echo:
    seen: str

    @strawberry.field
    def again(self, point: Point | None = None, times: int = 1, tags: list[Tag] | None = None) -> str:
        if tags is not None:
            tags.append(Tag("mutated"))  # a shared list would show it on the next call
        return describe([point, times, tags])

    @strawberry.field
    async def checked(self, checked: Checked, colour: Colour | None = UNSET) -> str:  # type: ignore[assignment]
        return describe([checked, colour])


TAGS = [Tag("plain")]


@strawberry.type
class Query:
    @strawberry.field
    def shape(self, shape: Shape, scale: float = 1.5) -> Echo:
        return Echo(seen=describe([shape, scale]))

    @strawberry.field
    def echoes(self, count: int = 2) -> list[Echo]:
        return [Echo(seen=str(i)) for i in range(abs(count) % 4)]

    @strawberry.field
    def tags(self, tags: list[Tag | None] = TAGS) -> str:
        tags.append(None)  # graphql-core hands every call the same default: strawberry copies it first
        return describe(tags)


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def draw(self, shape: Shape, points: list[Point] | None = None, colour: Colour = Colour.GREEN) -> Echo:
        await asyncio.sleep(0)
        return Echo(seen=describe([shape, points, colour]))

    @strawberry.mutation
    def check(self, checked: Checked, also: Checked | None = None) -> str:
        return describe([checked, also])


class QuietSchema(strawberry.Schema):
    def process_errors(self, errors: list[graphql.GraphQLError], execution_context: Any = None) -> None:
        pass  # most generated operations fail on purpose: logging each traceback was most of the test's time


def echo_schema(**kwargs: Any) -> strawberry.Schema:
    return QuietSchema(
        query=Query, mutation=Mutation,
        scalar_overrides={Tag: strawberry.scalar(name="Tag", serialize=str, parse_value=parse_tag)}, **kwargs,
    )


ECHO_COMPILED = echo_schema(execution_context_class=CompiledExecutor)
ECHO_EXECUTOR = echo_schema()
ECHO_SCALARS = {  # valid values and refused ones
    "Tag": st.sampled_from(["ab", "Cd", "no tag", "7"]).map(lambda text: graphql.StringValueNode(value=text)),
    "DateTime": st.sampled_from(["2026-11-01T09:00:00+00:00", "yesterday"]).map(
        lambda text: graphql.StringValueNode(value=text)
    ),
}
ECHO_OPERATIONS = queries(ECHO_COMPILED._schema, custom_scalars=ECHO_SCALARS, allow_x00=False) | mutations(
    ECHO_COMPILED._schema, custom_scalars=ECHO_SCALARS, allow_x00=False
)


async def answer(schema: strawberry.Schema, query: str, variables: dict[str, Any]) -> Any:
    result = await schema.execute(query, variable_values=variables)
    return result.data, [error.formatted for error in result.errors or []]


@settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(operation=ECHO_OPERATIONS, rng=st.randoms(use_true_random=False))
async def test_arguments_of_every_kind_reach_resolvers_as_graphql_core_and_strawberry_hand_them_over(
    operation: str, rng: random.Random
) -> None:
    rewrite = Rewrite(ECHO_COMPILED._schema, rng)
    query = rewrite.query(operation)
    compiled = await answer(ECHO_COMPILED, query, rewrite.variables)
    assert compiled == await answer(ECHO_EXECUTOR, query, rewrite.variables), query


@pytest.mark.parametrize(("query", "variables", "refused"), [
    ("{ shape(shape: {points: [{x: 1}]}) { seen } }", {}, False),  # defaults of every kind
    ("{ a: tags b: tags }", {}, False),
    ("{ shape(shape: {points: [{x: 1, y: null, label: null}], origin: null, colours: null}) { seen } }", {}, False),
    ("query($y: Int) { shape(shape: {points: [{x: 1, y: $y}]}) { seen } }", {}, False),  # unsent: as omitted
    ("query($y: Int) { shape(shape: {points: [{x: 1, y: $y}]}) { seen } }", {"y": None}, False),  # null: as null
    ("query($t: [Tag!]) { shape(shape: {points: [], tags: $t}) { again(tags: $t) } echoes { again(tags: $t) } }",
     {"t": ["Ab", "c"]}, False),  # one variable's list, converted for each call: each gets its own copy
    ('{ shape(shape: {points: [], tags: ["no tag"]}) { seen } }', {}, True),  # a scalar refusing a literal
    ("query($t: [Tag!]) { shape(shape: {points: [], tags: $t}) { seen } }", {"t": ["1"]}, True),  # and a variable
    ("mutation { a: check(checked: {value: 1}) b: check(checked: {value: -1}) c: check(checked: {value: 2}) }", {},
     True),  # an input type refusing itself fails its field only
    ("{ shape(shape: {points: []}) { x: checked(checked: {value: -1}) y: again z: checked(checked: {value: 3}) } }",
     {}, True),
])
async def test_chosen_arguments_reach_resolvers_as_graphql_core_and_strawberry_hand_them_over(
    query: str, variables: dict[str, Any], refused: bool
) -> None:
    compiled = await answer(ECHO_COMPILED, query, variables)
    assert compiled == await answer(ECHO_EXECUTOR, query, variables)
    data, errors = compiled
    assert bool(errors) is refused, errors
    if not errors:
        assert "UNSET" not in str(data) or "checked" in query


async def test_fields_with_arguments_call_their_resolvers_directly() -> None:
    query = "mutation { draw(shape: {points: [{x: 1}]}) { seen again(times: 2) } }"
    await answer(ECHO_COMPILED, query, {})
    plans = [plan for operation, _names, variants in PLANS.entries.values() if operation.loc.source.body == query
             for plan in variants.values()]
    assert plans and plans[0] is not None
    draw = plans[0].root.fields[0]
    assert draw.read == DIRECT
    assert draw.completion.inner.object.fields[1].read == DIRECT  # type: ignore[union-attr]



@pytest.mark.parametrize(("variables", "expected"), [({}, ["ab", None]), ({"t": "Cd"}, ["ab", "cd"])])
def test_an_unsent_variable_among_nullable_items_is_planned_as_a_null(
    variables: dict[str, Any], expected: list[Any]
) -> None:
    schema = ECHO_COMPILED._schema
    document = graphql.parse('query($t: Tag) { tags(tags: ["ab", $t]) }')
    operation = document.definitions[0]
    assert isinstance(operation, graphql.OperationDefinitionNode)
    coerced = get_variable_values(schema, operation.variable_definitions, variables)
    assert not isinstance(coerced, list)
    node = operation.selection_set.selections[0]
    assert isinstance(node, FieldNode)
    definition = schema.query_type.fields["tags"]  # type: ignore[union-attr]
    planned = coercion(definition, node)
    assert planned is not None
    assert planned(coerced) == get_argument_values(definition, node, coerced) == {"tags": expected}
