"""The plan of a validated operation, built once and reused by every request that sends it.

graphql-core's executor decides everything per object it completes: which fields a selection set holds
after fragments and `@skip`/`@include`, each field's definition, resolver and return type, and how to
complete that type. For a listing page that is the same decision a hundred times over. A plan makes those
decisions once, with graphql-core's own field collection, and stores the answers: per object type the
fields to run in order, each with how its value is read (an attribute, `__typename`, or the field's own
resolver) and a completion tree (non-null, list, leaf, object with its own fields).

What a plan does not cover is left to graphql-core (numplane.schema.compiled_executor): an operation with
a field the planner does not know (introspection), subscriptions, fragment arguments; and below an
abstract type, the subtree is completed by graphql-core's own `complete_value` within the same execution.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    VariableNode,
    is_abstract_type,
    is_leaf_type,
    visit,
)
from graphql.execution.collect_fields import FieldDetailsList, collect_fields, collect_subfields
from graphql.execution.values import VariableValues
from graphql.language import DirectiveNode, Visitor

from numplane.schema.compiled_arguments import NotPlanned, arguments_converter
from numplane.schema.compiled_coercion import coercion

STRAWBERRY_FIELD = "strawberry-definition"  # where strawberry keeps its field on graphql-core's
# A strawberry field's metadata key for `held(source)`: the field's value when its object already holds
# it, else NOT_HELD. The plan reads such a value without building the field's resolve info (a listing's
# preloaded owners: a hundred infos a page), and runs the resolver only for NOT_HELD.
HELD = "numplane-held"
NOT_HELD = object()
CONDITIONS = frozenset({"skip", "include"})
WRAPPERS = ("from_resolver.<locals>._resolver", "from_resolver.<locals>._async_resolver")  # strawberry's


class Unsupported(Exception):
    """The operation holds something only graphql-core's executor runs."""


# How a field's value is read.
TYPENAME, ATTRIBUTE, RESOLVER, DIRECT = range(4)
# What completing a value of a type takes.
NON_NULL, LIST, LEAF, OBJECT, ABSTRACT = range(5)


@dataclass(eq=False, slots=True)
class Completion:
    """How to complete a value of one output type (graphql-core's `complete_value`, decided ahead)."""

    kind: int  # NON_NULL, LIST, LEAF, OBJECT or ABSTRACT
    type: GraphQLOutputType
    inner: Completion | None = None  # the wrapped type's completion, for non-null and list
    object: ObjectPlan | None = None  # the fields of an object type
    # Whether completing this needs the field's resolve info: is_type_of takes it, and graphql-core's
    # own completion of an abstract type (or anything else left to it) reads it.
    needs_info: bool = False


@dataclass(eq=False, slots=True)
class FieldPlan:
    response_name: str
    field_name: str
    parent_type: GraphQLObjectType
    definition: GraphQLField
    details: FieldDetailsList  # graphql-core's field group: errors are located with its nodes
    nodes: list[FieldNode]
    read: int  # TYPENAME, ATTRIBUTE or RESOLVER
    has_arguments: bool
    completion: Completion
    value: Any = None  # TYPENAME: the type's name; ATTRIBUTE: the attribute's name
    getter: Callable[[Any, str], Any] | None = None  # ATTRIBUTE: strawberry's default resolver
    # DIRECT: the resolver function, given the source, the resolve info and graphql-core's coerced arguments
    call: Callable[[Any, Any, dict[str, Any]], Any] | None = None
    held: Callable[[Any], Any] | None = None  # DIRECT: the value its object holds, or NOT_HELD (see HELD)
    needs_info: bool = False
    # The arguments' coercion from the field node (numplane.schema.compiled_coercion), None when graphql-core's
    # `get_argument_values` does it.
    coerce: Callable[[VariableValues], dict[str, Any]] | None = None
    # A leaf read from an attribute: run_fields reads and coerces it inline (None when not one).
    leaf: Any = None
    leaf_non_null: bool = False
    # An enum leaf's coerced names by (type, value) of the Python value: strawberry's enum finds the
    # name by scanning its values, the same answer every time for the same value.
    leaf_names: dict[tuple[type, Any], str] | None = None


@dataclass(eq=False, slots=True)
class ObjectPlan:
    type: GraphQLObjectType
    fields: list[FieldPlan] = field(default_factory=list)


@dataclass(eq=False, slots=True)
class OperationPlan:
    root: ObjectPlan
    serially: bool  # mutations run their root fields one after another


def condition_variables(document: DocumentNode) -> tuple[str, ...]:
    """The variables that `@skip`/`@include` conditions read: a plan holds for one set of their values."""
    names: set[str] = set()

    class Conditions(Visitor):
        def enter_directive(self, node: DirectiveNode, *_args: Any) -> None:
            if node.name.value in CONDITIONS:
                names.update(a.value.name.value for a in node.arguments or () if isinstance(a.value, VariableNode))

    visit(document, Conditions())
    return tuple(sorted(names))


class Planner:
    """Builds the plan of one operation, for the variable values of its `@skip`/`@include` conditions."""

    def __init__(
        self, schema: GraphQLSchema, fragments: dict[str, Any], operation: OperationDefinitionNode,
        variables: VariableValues,
    ) -> None:
        if any(details.variable_signatures for details in fragments.values()):
            raise Unsupported("fragment arguments")
        self.schema = schema
        self.fragments = fragments
        self.operation = operation
        self.variables = variables

    def plan(self) -> OperationPlan:
        kind = self.operation.operation
        if kind is OperationType.SUBSCRIPTION:
            raise Unsupported("subscriptions stream")
        root_type = self.schema.get_root_type(kind)
        if root_type is None:
            raise Unsupported("no root type")  # graphql-core answers with its own error
        try:
            grouped, deferred, _forbidden = collect_fields(
                self.schema, self.fragments, self.variables, root_type, self.operation
            )
        except RecursionError:
            raise Unsupported("nested too deeply") from None
        if deferred:
            raise Unsupported("@defer")
        return OperationPlan(
            root=self.object_plan(root_type, grouped), serially=kind is OperationType.MUTATION
        )

    def object_plan(self, object_type: GraphQLObjectType, grouped: dict[str, FieldDetailsList]) -> ObjectPlan:
        fields = [self.field_plan(object_type, name, details) for name, details in grouped.items()]
        return ObjectPlan(object_type, fields)

    def field_plan(self, parent: GraphQLObjectType, response_name: str, details: FieldDetailsList) -> FieldPlan:
        node = details[0].node
        name = node.name.value
        if name == "__typename":
            definition = self.schema.get_field(parent, name)
            assert definition is not None
            return FieldPlan(
                response_name, name, parent, definition, details, [d.node for d in details], TYPENAME, False,
                self.completion(definition.type, details), value=parent.name,
            )
        if name.startswith("__"):
            raise Unsupported("introspection")
        definition = parent.fields.get(name)
        if definition is None:
            raise Unsupported(f"unknown field {name}")  # validation refuses it; graphql-core skips it
        completion = self.completion(definition.type, details)
        has_arguments = bool(definition.args or node.arguments)
        owner = (definition.extensions or {}).get(STRAWBERRY_FIELD)
        resolve = definition.resolve
        # strawberry's resolver for a field without one is `_get_basic_result`: the default resolver
        # (an attribute read) without info or arguments. Reading the attribute is the same call.
        basic = (
            owner is not None and resolve is not None and not has_arguments
            and resolve.__qualname__.endswith("._get_basic_result") and owner.is_basic_field
        )
        if basic:
            assert owner is not None
            leaf = completion.inner if completion.kind is NON_NULL else completion
            assert leaf is not None
            return FieldPlan(
                response_name, name, parent, definition, details, [d.node for d in details], ATTRIBUTE, False,
                completion, value=owner.python_name, getter=owner.default_resolver, needs_info=completion.needs_info,
                leaf=leaf.type if leaf.kind is LEAF else None, leaf_non_null=completion.kind is NON_NULL,
                leaf_names={} if isinstance(leaf.type, GraphQLEnumType) else None,
            )
        if resolve is None:
            raise Unsupported(f"{parent.name}.{name} has no resolver")  # graphql-core's default resolver
        call = direct_call(owner, resolve, definition, getattr(self.schema, "_strawberry_schema", None))
        if call is not None:
            assert owner is not None  # direct_call needs strawberry's field
            return FieldPlan(
                response_name, name, parent, definition, details, [d.node for d in details], DIRECT, has_arguments,
                completion, call=call, held=owner.metadata.get(HELD), needs_info=completion.needs_info,
                coerce=coercion(definition, node) if has_arguments else None,
            )
        return FieldPlan(
            response_name, name, parent, definition, details, [d.node for d in details], RESOLVER, has_arguments,
            completion, needs_info=True, coerce=coercion(definition, node) if has_arguments else None,
        )

    def completion(self, output: GraphQLOutputType, details: FieldDetailsList) -> Completion:
        if isinstance(output, GraphQLNonNull | GraphQLList):
            inner = self.completion(output.of_type, details)
            kind = NON_NULL if isinstance(output, GraphQLNonNull) else LIST
            return Completion(kind, output, inner=inner, needs_info=inner.needs_info)
        if is_leaf_type(output):
            assert isinstance(output, GraphQLLeafType)
            return Completion(LEAF, output)
        if is_abstract_type(output):
            return Completion(ABSTRACT, output, needs_info=True)  # completed by graphql-core
        assert isinstance(output, GraphQLObjectType)
        grouped, deferred, _forbidden = collect_subfields(
            self.schema, self.fragments, self.variables, self.operation, output, details
        )
        if deferred:
            raise Unsupported("@defer")
        plan = self.object_plan(output, grouped)
        reads_info = output.is_type_of is not None and not is_strawberry_own(output.is_type_of)
        return Completion(OBJECT, output, object=plan, needs_info=reads_info)


def is_strawberry_own(is_type_of: Callable[..., Any]) -> bool:
    """strawberry's is_type_of for a type with interfaces looks at the object alone (its `_info` unused):
    the compiled path passes no resolve info to it, and builds none for it."""
    return is_type_of.__module__.startswith("strawberry.") and is_type_of.__qualname__.endswith(
        "._get_is_type_of.<locals>.is_type_of"
    )


def direct_call(
    owner: Any, resolve: Callable[..., Any], definition: GraphQLField, strawberry_schema: Any
) -> Callable[[Any, Any, dict[str, Any]], Any] | None:
    """The resolver function itself, for a strawberry field without extensions or exception handlers:
    what strawberry's wrapper would do (convert the arguments, pass the source as `self`, `root` or
    `parent` and its Info as the info parameter) without its layers, given the source, the resolve info
    and graphql-core's coerced arguments. None for any other field."""
    if owner is None or owner.base_resolver is None or owner.extensions:
        return None
    if not resolve.__qualname__.endswith(WRAPPERS):
        return None
    closure = inspect.getclosurevars(resolve).nonlocals
    make_info = closure.get("_strawberry_info_from_graphql")
    if make_info is None or closure.get("field_exception_handlers"):
        return None
    resolver = owner.base_resolver
    function = resolver.wrapped_func
    if not callable(function):
        return None
    convert = arguments_of(owner, definition, strawberry_schema)
    if convert is NOT_PLANNED:
        return None
    sources = tuple(p.name for p in (resolver.parent_parameter, resolver.root_parameter) if p is not None)
    info_name = resolver.info_parameter.name if resolver.info_parameter is not None else None
    passes_self = resolver.self_parameter is not None
    if convert is None and passes_self and not sources and info_name is not None:  # the common shape: (self, info)

        def call_with_info(source: Any, info: Any, _arguments: dict[str, Any]) -> Any:
            return function(source, **{info_name: make_info(info)})

        return call_with_info
    deferred = owner.is_async  # strawberry's async wrapper converts when awaited: a failure surfaces then

    def call(source: Any, info: Any, arguments: dict[str, Any]) -> Any:
        strawberry_info = make_info(info)
        if convert is None:
            kwargs = {}
        elif deferred:
            try:
                kwargs = convert(arguments)
            except Exception as error:
                return raise_later(error)
        else:
            kwargs = convert(arguments)
        for name in sources:
            kwargs[name] = source
        if info_name is not None:
            kwargs[info_name] = strawberry_info
        return function(source, **kwargs) if passes_self else function(**kwargs)

    return call


NOT_PLANNED: Any = object()


def arguments_of(owner: Any, definition: GraphQLField, strawberry_schema: Any) -> Any:
    """The field's argument conversion (numplane.schema.compiled_arguments), None when it takes no
    arguments, NOT_PLANNED when strawberry must convert them."""
    if not owner.arguments:
        return None
    if strawberry_schema is None or any(argument.out_name for argument in definition.args.values()):
        return NOT_PLANNED
    try:
        return arguments_converter(
            owner.arguments, strawberry_schema.schema_converter.scalar_registry, strawberry_schema.config
        )
    except NotPlanned:
        return NOT_PLANNED


async def raise_later(error: Exception) -> Any:
    raise error
