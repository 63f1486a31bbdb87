"""A field's arguments as its resolver receives them, converted by a plan made once per schema field.

graphql-core coerces the arguments (literals and variables) into plain values: dicts for input objects,
lists, enum members, the scalars' own values. strawberry then converts those on every call of the field
(`convert_arguments`): it walks the argument's strawberry type, asking at each level what kind of type
it is (runtime protocol checks, the type's annotations resolved again), and builds the input dataclasses.
For a mutation with an input object that walk was the largest single cost of the operation.

The answers to those questions depend on the type alone, so `converter` asks them once and returns a
function that only builds the values: the same values, in the same order, with the same defaults (an
input field omitted gets its dataclass default, or None when it has none; an argument omitted is left
out, so the resolver's own default applies), lists copied as strawberry copies them. A type strawberry
converts in a way this module does not repeat (`Maybe`, `GlobalID`, input types with their own
`from_input`) raises `NotPlanned`, and the field keeps strawberry's own conversion.
tests/schema/test_compiled_arguments.py compares the two on every field of the schema.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import MISSING
from typing import Any

from strawberry.relay.types import GlobalID
from strawberry.scalars import is_scalar
from strawberry.schema.config import StrawberryConfig
from strawberry.types.arguments import StrawberryArgument
from strawberry.types.base import (
    StrawberryList,
    StrawberryMaybe,
    StrawberryOptional,
    StrawberryType,
    has_object_definition,
)
from strawberry.types.enum import StrawberryEnumDefinition, has_enum_definition
from strawberry.types.lazy_type import LazyType
from strawberry.types.unset import UNSET

Convert = Callable[[Any], Any]
# A converter of None: the value as graphql-core coerced it (a scalar's or an enum's value, None or UNSET),
# which strawberry passes on unchanged. The plan does not call a function to return its argument.
AS_IS = None
Registry = Mapping[object, Any]


class NotPlanned(Exception):
    """strawberry converts this type in a way the plan does not repeat: it keeps converting it."""


def arguments_converter(
    arguments: list[StrawberryArgument], registry: Registry, config: StrawberryConfig
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """graphql-core's coerced arguments (by GraphQL name) -> the resolver's keyword arguments, as
    strawberry's `convert_arguments` makes them."""
    plan = tuple(
        (config.name_converter.from_argument(argument), argument.python_name,
         converter(argument.type, registry, config))
        for argument in arguments
    )

    def convert(values: dict[str, Any]) -> dict[str, Any]:
        kwargs: dict[str, Any] = {}
        for name, python_name, convert_one in plan:
            if name in values:
                kwargs[python_name] = values[name] if convert_one is AS_IS else convert_one(values[name])
        return kwargs

    return convert


def converter(type_: StrawberryType | type, registry: Registry, config: StrawberryConfig) -> Convert | None:
    """One value of `type_`, converted as strawberry's `convert_argument` converts it (its branches, in
    its order, decided here once); AS_IS for a leaf."""
    if isinstance(type_, StrawberryMaybe):
        raise NotPlanned("Maybe")
    if isinstance(type_, StrawberryOptional):
        return converter(type_.of_type, registry, config)  # None and UNSET pass through below
    if type_ is GlobalID:
        raise NotPlanned("GlobalID")
    if isinstance(type_, StrawberryList):
        if is_leaf(type_.of_type, registry) or (
            isinstance(type_.of_type, StrawberryOptional) and is_leaf(type_.of_type.of_type, registry)
        ):
            # Copied: graphql-core hands every request that omits the value the same default list.
            return passing_none(list)
        item = converter(type_.of_type, registry, config)
        if item is AS_IS:
            return passing_none(list)
        return passing_none(lambda values: [item(value) for value in values])
    if is_leaf(type_, registry):
        return AS_IS
    if isinstance(type_, LazyType):
        return converter(type_.resolve_type(), registry, config)
    if has_enum_definition(type_):
        return AS_IS  # its definition is a leaf
    if has_object_definition(type_):
        return input_converter(type_, registry, config)
    raise NotPlanned(f"no conversion for {type_!r}")


def is_leaf(type_: StrawberryType | type, registry: Registry) -> bool:
    """strawberry's `_is_leaf_type` with GlobalID skipped: a scalar or an enum's definition."""
    if type_ is GlobalID:
        return False
    if is_scalar(type_, registry) or isinstance(type_, StrawberryEnumDefinition):
        return True
    return isinstance(type_, LazyType) and is_leaf(type_.resolve_type(), registry)


def passing_none(convert: Convert) -> Convert:
    """strawberry returns None and UNSET as they are before looking at the type."""

    def convert_or_none(value: Any) -> Any:
        if value is None or value is UNSET:
            return value
        return convert(value)

    return convert_or_none


def input_converter(type_: Any, registry: Registry, config: StrawberryConfig) -> Convert:
    definition = type_.__strawberry_definition__
    if definition.from_input is not None:
        raise NotPlanned("the input type builds its own value")
    # Input fields without a default start as None (graphql-core has refused a missing required one).
    start = (
        {field.python_name: None for field in definition.fields
         if field.default_value is MISSING and field.default_factory is MISSING}
        if definition.is_input else {}
    )
    fields = tuple(
        (config.name_converter.from_field(field), field.python_name,
         converter(field.resolve_type(type_definition=definition), registry, config))
        for field in definition.fields
    )

    def build(value: Mapping[str, Any]) -> Any:
        kwargs = dict(start)
        for name, python_name, convert_one in fields:
            if name in value:
                kwargs[python_name] = value[name] if convert_one is AS_IS else convert_one(value[name])
        return type_(**kwargs)

    return passing_none(build)
