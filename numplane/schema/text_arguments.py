"""Every String and ID argument of every operation obeys the domain's free-text rule (`domain/text.py`).

Applied once per operation, before any resolver runs, to the document's string literals and to the
variables, by their declared GraphQL types: a new argument is covered without a line of code, and JSON
arguments (public fields, with their own bounds) are left to the domain. A refusal is a coded GraphQL
error (INVALID_FIELD naming the argument), never a store fault surfacing as "Unexpected error.".
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from graphql import (
    BREAK,
    ArgumentNode,
    DocumentNode,
    GraphQLInputType,
    GraphQLSchema,
    ObjectFieldNode,
    OperationDefinitionNode,
    StringValueNode,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    get_named_type,
    get_nullable_type,
    is_input_object_type,
    is_list_type,
    type_from_ast,
    visit,
)
from strawberry.types import ExecutionContext

from numplane.domain.errors import DomainError
from numplane.domain.text import MAX_TEXT, check_text, has_bad_text
from numplane.schema.errors import graphql_error

_TEXT_TYPES = frozenset({"String", "ID"})
# Characters that let a GraphQL string literal hold a control character or run long: escapes, a raw tab,
# block strings. A short document without them cannot hold a bad literal, so most requests skip the walk.
_LITERAL_HINTS = ("\\", "\t", '"""')


def refuse_bad_text(context: ExecutionContext) -> None:
    """Raise the coded error for the first String or ID argument of the operation that breaks the rule.

    Called by the operation policy just before execution: strawberry then answers with this error alone and
    runs no resolver (for queries and mutations over HTTP and for subscriptions over the WebSocket alike)."""
    document = context.graphql_document
    if document is not None:
        schema = context.schema._schema
        error = bad_literal(schema, context.query or "", document) or bad_variable(
            schema, document, context.variables or {}
        )
        if error is not None:
            raise graphql_error(error)


def bad_literal(schema: GraphQLSchema, query: str, document: DocumentNode) -> DomainError | None:
    if len(query) <= MAX_TEXT and not any(hint in query for hint in _LITERAL_HINTS):
        return None
    return _bad_literal(schema, query, document)


@lru_cache(maxsize=1000)
def _bad_literal(schema: GraphQLSchema, query: str, document: DocumentNode) -> DomainError | None:
    # Keyed by the query text (the document is the one strawberry's parser cache keeps for it).
    finder = _LiteralFinder(TypeInfo(schema))
    visit(document, TypeInfoVisitor(finder.type_info, finder))
    return finder.found


class _LiteralFinder(Visitor):
    def __init__(self, type_info: TypeInfo) -> None:
        super().__init__()
        self.type_info = type_info
        self.path: list[str] = []
        self.found: DomainError | None = None

    def enter_argument(self, node: ArgumentNode, *_args: Any) -> None:
        self.path.append(node.name.value)

    def leave_argument(self, node: ArgumentNode, *_args: Any) -> None:
        self.path.pop()

    def enter_object_field(self, node: ObjectFieldNode, *_args: Any) -> None:
        self.path.append(node.name.value)

    def leave_object_field(self, node: ObjectFieldNode, *_args: Any) -> None:
        self.path.pop()

    def enter_string_value(self, node: StringValueNode, *_args: Any) -> object:
        named = get_named_type(self.type_info.get_input_type())
        if named is None or named.name not in _TEXT_TYPES:
            return None  # a JSON or enum literal, or a directive's: not a text argument
        try:
            check_text(node.value, tuple(self.path))
        except DomainError as error:
            self.found = error
            return BREAK
        return None


def bad_variable(schema: GraphQLSchema, document: DocumentNode, variables: Mapping[str, Any]) -> DomainError | None:
    if not _holds_bad_text(variables):
        return None  # the usual case: one cheap pass over the values, no types needed
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode):
            continue
        for variable in definition.variable_definitions or ():
            declared = type_from_ast(schema, variable.type)
            name = variable.variable.name.value
            if declared is not None and name in variables:
                error = _bad_value(variables[name], declared, (name,))  # type: ignore[arg-type]
                if error is not None:
                    return error
    return None


def _bad_value(value: Any, declared: GraphQLInputType, path: tuple[str, ...]) -> DomainError | None:
    pending: list[tuple[Any, GraphQLInputType, tuple[str, ...]]] = [(value, declared, path)]
    while pending:
        value, kind, where = pending.pop()
        if value is None:
            continue
        kind = get_nullable_type(kind)  # type: ignore[assignment]
        if is_list_type(kind):
            item = kind.of_type
            values = value if isinstance(value, list) else [value]  # a single value stands for a list of one
            pending.extend((v, item, (*where, str(i))) for i, v in enumerate(values))
        elif is_input_object_type(kind):
            if isinstance(value, dict):
                fields = kind.fields
                pending.extend((value[n], f.type, (*where, n)) for n, f in fields.items() if n in value)
        elif isinstance(value, str) and getattr(kind, "name", None) in _TEXT_TYPES:
            try:
                check_text(value, where)
            except DomainError as error:
                return error
    return None


def _holds_bad_text(value: Any) -> bool:
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if has_bad_text(item):
                return True
        elif isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False
