"""An operation's variables coerced with a plan made once per operation, as graphql-core coerces them.

graphql-core's `get_variable_values` starts every execution by reading each variable definition again:
the type named in the document is looked up in the schema (`type_from_ast`), a signature is built, and
per variable two error callbacks are made before the value is coerced. For the GraphQL hunt that was
the largest cost of the operation after its resolver. The definitions never change within a document,
so the plan keeps each variable's signature (graphql-core's own, so a default is coerced once and
memoized on it) and coerces a request's values with graphql-core's own functions in graphql-core's
order: the same sources, the same coerced values.

Only what coerces is planned. Whenever graphql-core would report an error (an invalid value, a required
variable left out, a value nested too deeply, a default that does not coerce), `coerced_variables`
returns None and graphql-core's `get_variable_values` runs from the start, building its own errors.
tests/schema/test_compiled_variables.py compares both on omitted, null, defaulted and invalid values.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLError, GraphQLNonNull, GraphQLSchema, GraphQLString, OperationDefinitionNode
from graphql.execution.get_variable_signature import GraphQLVariableSignature, get_variable_signature
from graphql.execution.values import (
    VariableValues,
    VariableValueSource,
    input_is_nested_too_deeply,
    maybe_use_default_value,
)
from graphql.pyutils import Undefined
from graphql.utilities.coerce_input_value import coerce_input_value

CACHED_OPERATIONS = 1000  # as many as the plans of operations (numplane.schema.compiled_executor)


class Refused(Exception):
    """graphql-core reports an error for these values: it coerces them again itself."""


@dataclass(frozen=True, slots=True)
class PlannedVariable:
    name: str
    signature: GraphQLVariableSignature
    required: bool  # non-null without a default: leaving it out is an error
    coerce: Callable[[Any], Any]  # a sent value -> its coerced value, Undefined where graphql-core refuses it


def planned_variables(schema: GraphQLSchema, operation: OperationDefinitionNode) -> tuple[PlannedVariable, ...] | None:
    """The operation's variables, planned; None when a definition names no input type (graphql-core
    reports it on every execution)."""
    planned = []
    for node in operation.variable_definitions or ():
        signature = get_variable_signature(schema, node)
        if isinstance(signature, GraphQLError):
            return None
        type_ = signature.type
        required = isinstance(type_, GraphQLNonNull) and signature.default is None
        planned.append(PlannedVariable(signature.name, signature, required, value_coercion(type_)))
    return tuple(planned)


def value_coercion(type_: Any) -> Callable[[Any], Any]:
    """`coerce_input_value` for one variable's type, behind graphql-core's check of the value's nesting."""
    if type_ is GraphQLString or (isinstance(type_, GraphQLNonNull) and type_.of_type is GraphQLString):
        # A string of a String variable is itself (graphql-core's `coerce_string`); anything else goes
        # the general way, which refuses it or lets a nullable variable be null.
        def string(value: Any) -> Any:
            return value if type(value) is str else general(value)

        general = nested_then_coerced(type_)
        return string
    return nested_then_coerced(type_)


def nested_then_coerced(type_: Any) -> Callable[[Any], Any]:
    def coerce(value: Any) -> Any:
        if input_is_nested_too_deeply(value, type_):  # graphql-core answers with its own error
            return Undefined
        return coerce_input_value(value, type_)

    return coerce


def coerced_variables(
    planned: tuple[PlannedVariable, ...], inputs: dict[str, Any], hide_suggestions: bool
) -> VariableValues | None:
    """graphql-core's `coerce_variable_values` over the plan; None wherever it would report an error."""
    sources: dict[str, VariableValueSource] = {}
    coerced: dict[str, Any] = {}
    for variable in planned:
        name = variable.name
        value = inputs.get(name, Undefined)
        if value is Undefined:
            if variable.required:
                return None
            sources[name] = VariableValueSource(variable.signature)
            if variable.signature.default is not None:
                try:
                    maybe_use_default_value(coerced, name, variable.signature, _refuse, hide_suggestions)
                except Refused:
                    return None
            continue
        sources[name] = VariableValueSource(variable.signature, value)
        found = variable.coerce(value)
        if found is Undefined:
            return None
        coerced[name] = found
    return VariableValues(sources, coerced)


def _refuse(_error: GraphQLError, _path: list[str | int]) -> None:
    raise Refused


class VariablePlans:
    """Plans by operation (its node kept alive with the entry, so its id stays its own)."""

    def __init__(self) -> None:
        self.entries: OrderedDict[tuple[int, int], tuple[OperationDefinitionNode, Any]] = OrderedDict()

    def find(self, schema: GraphQLSchema, operation: OperationDefinitionNode) -> tuple[PlannedVariable, ...] | None:
        key = (id(schema), id(operation))
        entry = self.entries.get(key)
        if entry is None:
            entry = self.entries[key] = (operation, planned_variables(schema, operation))
            if len(self.entries) > CACHED_OPERATIONS:
                self.entries.popitem(last=False)
        else:
            self.entries.move_to_end(key)
        planned: tuple[PlannedVariable, ...] | None = entry[1]
        return planned


VARIABLE_PLANS = VariablePlans()
