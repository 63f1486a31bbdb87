"""graphql-core's coercion of a field's arguments, planned once per field node of a planned operation.

graphql-core coerces a field's argument nodes against their types on every execution, walking the
literal and asking at each level what kind of type and node it has (`coerce_input_literal`). Within one
document the nodes and types never change: only the variables' values do. `coercion` walks them once
and returns a function of the variable values that builds the same values (the same dicts, lists, enum
members, the same defaults, a variable left unsent counting as omitted).

Only what coerces is planned. Wherever graphql-core would refuse (a null or unsent variable where a
value is required, a literal a scalar refuses, a null for a non-null type) the planned function gives
up and graphql-core's `get_argument_values` runs instead, raising its own error with its own message.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any

from graphql import (
    FieldNode,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    ListValueNode,
    NullValueNode,
    ObjectValueNode,
    ValueNode,
    VariableNode,
    is_required_argument,
    is_required_input_field,
)
from graphql.execution.values import VariableValues
from graphql.pyutils import Undefined
from graphql.utilities.coerce_input_value import coerce_default_value, coerce_input_literal

Coerce = Callable[[VariableValues], Any]
Step = Callable[[dict[str, Any], VariableValues], None]
IMMUTABLE = (str, int, float, bool, Enum)  # a literal coerced to one of these is coerced once, at plan time


class GiveUp(Exception):
    """graphql-core would refuse the value here: let it run and raise its own error."""


def coercion(definition: GraphQLField, node: FieldNode) -> Callable[[VariableValues], dict[str, Any]] | None:
    """The field's coerced arguments as `get_argument_values` returns them; raises GiveUp where it would
    raise. None when the field's arguments are left to graphql-core altogether."""
    nodes = {argument.name.value: argument for argument in node.arguments or ()}
    steps: list[Step] = []
    for name, argument in definition.args.items():
        out = argument.out_name or name
        found = nodes.get(name)
        if found is None:
            if is_required_argument(argument):
                return None  # graphql-core raises: not provided
            if (step := default_step(out, argument)) is not None:
                steps.append(step)
        elif isinstance(found.value, VariableNode):
            steps.append(variable_step(out, argument, found.value))
        else:
            value = literal(found.value, argument.type)
            if value is None:
                return None
            steps.append(value_step(out, value))

    def coerce(variables: VariableValues) -> dict[str, Any]:
        coerced: dict[str, Any] = {}
        for step in steps:
            step(coerced, variables)
        return coerced

    return coerce


def default_step(out: str, definition: Any) -> Step | None:
    """The default of an omitted argument or input field; None when it has none (it stays out): a step
    that would only find that out on every request is not planned."""
    if definition.default is None and definition.default_value is Undefined:
        return None

    def use_default(coerced: dict[str, Any], _variables: VariableValues) -> None:
        try:
            value = coerce_default_value(definition)  # memoized by graphql-core on the definition
        except Exception:
            raise GiveUp from None
        if value is not Undefined:
            coerced[out] = value

    return use_default


def variable_step(out: str, argument: Any, node: VariableNode) -> Step:
    """An argument given as a variable: an unsent one counts as omitted, unless the argument is required."""
    name = node.name.value
    optional = not is_required_argument(argument)
    use_default = default_step(out, argument) if optional else None
    value = literal(node, argument.type)
    assert value is not None

    def from_variable(coerced: dict[str, Any], variables: VariableValues) -> None:
        if optional and name not in variables.coerced:
            if use_default is not None:
                use_default(coerced, variables)
            return
        coerced[out] = value(variables)

    return from_variable


def value_step(out: str, value: Coerce) -> Step:
    def from_literal(coerced: dict[str, Any], variables: VariableValues) -> None:
        coerced[out] = value(variables)

    return from_literal


def literal(node: ValueNode, type_: GraphQLInputType) -> Coerce | None:
    """`coerce_input_literal` for this node and type, decided once; None when it is not planned."""
    if isinstance(node, VariableNode):
        return variable(node.name.value, isinstance(type_, GraphQLNonNull))
    if isinstance(type_, GraphQLNonNull):
        if isinstance(node, NullValueNode):
            return refused
        return literal(node, type_.of_type)
    if isinstance(node, NullValueNode):
        return constant(None)
    if isinstance(type_, GraphQLList):
        return list_literal(node, type_.of_type)
    if isinstance(type_, GraphQLInputObjectType):
        return object_literal(node, type_)
    return leaf_literal(node, type_)


def variable(name: str, non_null: bool) -> Coerce:
    def read(variables: VariableValues) -> Any:
        value = variables.coerced.get(name, Undefined)
        if non_null and (value is None or value is Undefined):
            raise GiveUp
        return value  # Undefined when unsent: the list or object holding it decides

    return read


def refused(_variables: VariableValues) -> Any:
    raise GiveUp


def constant(value: Any) -> Coerce:
    return lambda _variables: value


def list_literal(node: ValueNode, item_type: GraphQLInputType) -> Coerce | None:
    if not isinstance(node, ListValueNode):  # a single value stands for a list of one
        one = literal(node, item_type)
        if one is None:
            return None

        def single(variables: VariableValues) -> list[Any]:
            value = one(variables)
            if value is Undefined:
                raise GiveUp
            return [value]

        return single
    items = [literal(item, item_type) for item in node.values]
    if any(item is None for item in items):
        return None
    planned: list[Coerce] = items  # type: ignore[assignment]
    # An unsent variable as an item of a nullable item type is a null; anything else unsent is refused.
    nullable_variables = [isinstance(item, VariableNode) and not isinstance(item_type, GraphQLNonNull)
                          for item in node.values]

    def many(variables: VariableValues) -> list[Any]:
        values = []
        for item, may_be_null in zip(planned, nullable_variables, strict=True):
            value = item(variables)
            if value is Undefined:
                if not may_be_null:
                    raise GiveUp
                value = None
            values.append(value)
        return values

    return many


def object_literal(node: ValueNode, type_: GraphQLInputObjectType) -> Coerce | None:
    if type_.is_one_of:
        return None
    if not isinstance(node, ObjectValueNode):
        return refused
    nodes = {field.name.value: field for field in node.fields}
    if any(name not in type_.fields for name in nodes):
        return refused
    steps: list[Step] = []
    for name, field in type_.fields.items():
        out = field.out_name or name
        found = nodes.get(name)
        if found is None:
            if is_required_input_field(field):
                return refused
            if (step := default_step(out, field)) is not None:
                steps.append(step)
        elif isinstance(found.value, VariableNode):
            steps.append(field_variable_step(out, field, found.value))
        else:
            value = literal(found.value, field.type)
            if value is None:
                return None
            steps.append(field_value_step(out, value))
    out_type = type_.out_type

    def build(variables: VariableValues) -> Any:
        coerced: dict[str, Any] = {}
        for step in steps:
            step(coerced, variables)
        return out_type(coerced)

    return build


def field_variable_step(out: str, field: Any, node: VariableNode) -> Step:
    """An input field given as a variable: an unsent one counts as omitted (its default, if any)."""
    name = node.name.value
    required = is_required_input_field(field)
    use_default = None if required else default_step(out, field)
    value = literal(node, field.type)
    assert value is not None

    def from_variable(coerced: dict[str, Any], variables: VariableValues) -> None:
        if name not in variables.coerced:
            if required:
                raise GiveUp
            if use_default is not None:
                use_default(coerced, variables)
            return
        found = value(variables)
        if found is Undefined:
            raise GiveUp
        coerced[out] = found

    return from_variable


def field_value_step(out: str, value: Coerce) -> Step:
    def from_literal(coerced: dict[str, Any], variables: VariableValues) -> None:
        found = value(variables)
        if found is Undefined:
            raise GiveUp
        coerced[out] = found

    return from_literal


def leaf_literal(node: ValueNode, type_: GraphQLInputType) -> Coerce:
    if isinstance(node, ListValueNode | ObjectValueNode):  # a custom scalar's literal may hold variables

        def parsed(variables: VariableValues) -> Any:
            value = coerce_input_literal(node, type_, variables)
            if value is Undefined:
                raise GiveUp
            return value

        return parsed
    value = coerce_input_literal(node, type_)
    if value is Undefined:
        return refused
    if isinstance(value, IMMUTABLE):
        return constant(value)
    return lambda _variables: coerce_input_literal(node, type_)  # a fresh value per request, as graphql-core
