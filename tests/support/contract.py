"""Every name a GraphQL SDL declares: types, fields, arguments and enum values, as dotted paths."""

from __future__ import annotations

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    build_schema,
)


def names(sdl: str) -> set[str]:
    schema = build_schema(sdl)
    found: set[str] = set()
    for name, kind in schema.type_map.items():
        if name.startswith("__"):
            continue
        found.add(name)
        if isinstance(kind, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in kind.fields.items():
                found.add(f"{name}.{field_name}")
                found.update(f"{name}.{field_name}({arg})" for arg in field.args)
        elif isinstance(kind, GraphQLInputObjectType):
            found.update(f"{name}.{field_name}" for field_name in kind.fields)
        elif isinstance(kind, GraphQLEnumType):
            found.update(f"{name}.{value}" for value in kind.values)
    return found
