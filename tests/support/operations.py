"""Generated operations rewritten the way clients write them, for the differential tests of the compiled
execution path (tests/schema/test_compiled*.py).

hypothesis-graphql writes each operation plainly: literal arguments, no aliases but where fields clash,
inline fragments only on abstract types, no directives. `Rewrite` turns one into what real documents
hold, at random: aliases, a field asked twice (merged into one), named fragments (spread with
conditions too), `@skip`/`@include` on variables and on literals, literal arguments sent as variables
(whole, or fields and items of input objects and lists, some of them declared and never sent),
and string arguments that name things pointed at values the caller chooses (seeded data).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import graphql
from graphql import (
    ArgumentNode,
    BooleanValueNode,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLSchema,
    InlineFragmentNode,
    ListValueNode,
    NamedTypeNode,
    NameNode,
    ObjectFieldNode,
    ObjectValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    VariableDefinitionNode,
    VariableNode,
    parse_type,
    value_from_ast_untyped,
)

# An argument's name and the generated string -> the string to send instead (or None to keep it).
Names = Callable[[str, random.Random], str | None]


def no_names(_argument: str, _rng: random.Random) -> str | None:
    return None


class Rewrite:
    def __init__(self, schema: GraphQLSchema, rng: random.Random, names: Names = no_names) -> None:
        self.schema = schema
        self.rng = rng
        self.names = names
        self.variables: dict[str, Any] = {}
        self.definitions: list[VariableDefinitionNode] = []
        self.fragments: list[FragmentDefinitionNode] = []

    def query(self, operation_text: str) -> str:
        return graphql.print_ast(self.document(graphql.parse(operation_text)))

    def document(self, document: DocumentNode) -> DocumentNode:
        operation = document.definitions[0]
        assert isinstance(operation, OperationDefinitionNode)
        root = self.schema.get_root_type(operation.operation)
        assert root is not None
        selections = self.selection_set(operation.selection_set, root)
        rewritten = OperationDefinitionNode(
            operation=operation.operation, name=operation.name, directives=(),
            variable_definitions=tuple(self.definitions), selection_set=selections,
        )
        return DocumentNode(definitions=(rewritten, *self.fragments))

    def selection_set(self, selection_set: SelectionSetNode, parent: Any) -> SelectionSetNode:
        out: list[Any] = []
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                out.extend(self.fields(selection, parent))
            else:
                assert isinstance(selection, InlineFragmentNode)
                condition = selection.type_condition
                on = self.schema.get_type(condition.name.value) if condition else parent
                out.append(InlineFragmentNode(
                    type_condition=condition, directives=self.conditions(),
                    selection_set=self.selection_set(selection.selection_set, on),
                ))
        if self.rng.random() < 0.15:  # some of them into a named fragment
            name = f"F{len(self.fragments)}"
            self.fragments.append(FragmentDefinitionNode(
                name=NameNode(value=name), type_condition=NamedTypeNode(name=NameNode(value=parent.name)),
                directives=(), selection_set=SelectionSetNode(selections=tuple(out)),
            ))
            out = [FragmentSpreadNode(name=NameNode(value=name), directives=self.conditions())]
        return SelectionSetNode(selections=tuple(out))

    def fields(self, node: FieldNode, parent: Any) -> list[FieldNode]:
        if node.name.value == "__typename":
            return [node]
        definition = parent.fields[node.name.value]
        child_type = graphql.get_named_type(definition.type)
        selections = self.selection_set(node.selection_set, child_type) if node.selection_set else None
        arguments = tuple(self.argument(a, definition.args[a.name.value]) for a in node.arguments or ())
        alias = node.alias
        if alias is None and self.rng.random() < 0.2:
            alias = NameNode(value=f"a{self.rng.randrange(1000)}_{node.name.value}")
        field = FieldNode(name=node.name, alias=alias, arguments=arguments, directives=self.conditions(),
                          selection_set=selections)
        return [field, field] if self.rng.random() < 0.1 else [field]

    def conditions(self) -> tuple[DirectiveNode, ...]:
        if self.rng.random() > 0.15:
            return ()
        directive = self.rng.choice(("include", "skip"))
        if self.rng.random() < 0.8:
            value: Any = VariableNode(name=NameNode(value=self.variable("Boolean!", self.rng.random() < 0.6)))
        else:
            value = BooleanValueNode(value=self.rng.random() < 0.5)
        argument = ArgumentNode(name=NameNode(value="if"), value=value)
        return (DirectiveNode(name=NameNode(value=directive), arguments=(argument,)),)

    def argument(self, node: ArgumentNode, definition: Any) -> ArgumentNode:
        value = node.value
        if isinstance(value, StringValueNode) and self.rng.random() < 0.8:
            named = self.names(node.name.value, self.rng)
            if named is not None:
                value = StringValueNode(value=named)
        if self.rng.random() < 0.3:  # sent as a variable instead of a literal
            variable = self.variable(str(definition.type), value_from_ast_untyped(value))
            value = VariableNode(name=NameNode(value=variable))
        else:
            value = self.value(value, definition.type)
        return ArgumentNode(name=node.name, value=value)

    def value(self, node: Any, type_: Any) -> Any:
        """Within a literal input object or list: some fields and items sent as variables (`{number: $n}`),
        some of those variables left unsent (the field then counts as omitted)."""
        named = graphql.get_nullable_type(type_)
        if isinstance(node, ObjectValueNode) and isinstance(named, GraphQLInputObjectType):
            return ObjectValueNode(fields=tuple(
                ObjectFieldNode(name=f.name, value=self.part(f.value, named.fields[f.name.value].type))
                for f in node.fields
            ))
        if isinstance(node, ListValueNode) and isinstance(named, GraphQLList):
            return ListValueNode(values=tuple(self.part(item, named.of_type) for item in node.values))
        return node

    def part(self, node: Any, type_: Any) -> Any:
        if self.rng.random() >= 0.25:
            return self.value(node, type_)
        variable = self.variable(str(type_), value_from_ast_untyped(node))
        if self.rng.random() < 0.1:
            del self.variables[variable]  # declared, never sent
        return VariableNode(name=NameNode(value=variable))

    def variable(self, type_text: str, value: Any) -> str:
        name = f"v{len(self.definitions)}"
        self.definitions.append(VariableDefinitionNode(
            variable=VariableNode(name=NameNode(value=name)), type=parse_type(type_text), directives=(),
        ))
        self.variables[name] = value
        return name
