"""graphql-core's executor with a compiled path: a planned operation runs as plain Python over its plan.

strawberry hands graphql-core an executor class; this one looks up the operation's plan
(numplane.schema.compiled_plan) and, when there is one, runs it: the same resolvers called with the same
resolve info and arguments, the same completion rules, errors located and propagated exactly as
graphql-core does (`handle_field_error`, `collected_errors`), awaitables gathered at the same points.
What changes is only that nothing is decided per object any more: a page of a hundred numbers reads
plain attributes with one call each instead of a resolve info, an argument check and a type dispatch.

Anything the plan does not cover runs on graphql-core's own code, in the same execution: a whole
operation without a plan (introspection, subscriptions, middleware, an abort signal), and below an
abstract type or an async iterable the subtree, through `complete_value`. tests/schema/test_compiled.py
checks, on a generated corpus of operations, that both paths answer alike.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable
from typing import Any

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLResolveInfo,
    GraphQLSchema,
    MiddlewareManager,
    OperationDefinitionNode,
    assert_valid_schema,
)
from graphql.execution.collect_fields import FragmentDetails
from graphql.execution.executor import (
    Executor,
    collect_iterator_awaitables,
    default_field_resolver,
    default_type_resolver,
    invalid_return_type_error,
)
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path, Undefined, gather_with_cancel, is_iterable
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from numplane.schema.compiled_coercion import GiveUp
from numplane.schema.compiled_plan import (
    ATTRIBUTE,
    DIRECT,
    LEAF,
    LIST,
    NON_NULL,
    NOT_HELD,
    OBJECT,
    TYPENAME,
    Completion,
    FieldPlan,
    ObjectPlan,
    OperationPlan,
    Planner,
    Unsupported,
    condition_variables,
)
from numplane.schema.compiled_variables import VARIABLE_PLANS, coerced_variables

Info = GraphQLResolveInfo[Any]
CACHED_OPERATIONS = 1000  # as many as the parse and validation caches keep (numplane.schema.policy)
VARIANTS_PER_OPERATION = 16  # plans of one operation for distinct `@skip`/`@include` values


class Plans:
    """Plans by operation (its node, kept alive with the entry, so its id stays its own) and by the values
    of its condition variables; None for an operation graphql-core runs."""

    def __init__(self) -> None:
        self.entries: OrderedDict[tuple[int, int], tuple[Any, tuple[str, ...], dict[tuple[Any, ...], Any]]] = (
            OrderedDict()
        )

    def find(self, executor: CompiledExecutor) -> OperationPlan | None:
        key = (id(executor.schema), id(executor.operation))
        entry = self.entries.get(key)
        if entry is None:
            names = condition_variables_of(executor)
            entry = (executor.operation, names, {})
            self.entries[key] = entry
            if len(self.entries) > CACHED_OPERATIONS:
                self.entries.popitem(last=False)
        else:
            self.entries.move_to_end(key)
        _operation, names, variants = entry
        coerced = executor.variable_values.coerced
        values = tuple(coerced.get(n) for n in names)
        if values in variants:
            plan: OperationPlan | None = variants[values]
            return plan
        try:
            plan = Planner(executor.schema, executor.fragments, executor.operation, executor.variable_values).plan()
        except Unsupported:
            plan = None
        if len(variants) < VARIANTS_PER_OPERATION:
            variants[values] = plan
        return plan


def condition_variables_of(executor: CompiledExecutor) -> tuple[str, ...]:
    return condition_variables(DocumentNode(definitions=(executor.operation, *executor.fragment_definitions.values())))


PLANS = Plans()


class CompiledExecutor(StrawberryGraphQLCoreExecutionContext):
    @classmethod
    def build(  # type: ignore[override]  # graphql-core's keyword options are passed on as they come
        cls,
        schema: GraphQLSchema,
        document: DocumentNode,
        root_value: Any = None,
        context_value: Any = None,
        raw_variable_values: dict[str, Any] | None = None,
        operation_name: str | None = None,
        field_resolver: Any = None,
        type_resolver: Any = None,
        subscribe_field_resolver: Any = None,
        max_coercion_errors: int = 50,
        enable_early_execution: bool = False,
        middleware: Any = None,
        is_awaitable: Any = None,
        is_async_iterable: Any = None,
        **options: Any,
    ) -> list[GraphQLError] | Executor[Any]:
        """graphql-core's `build` with the operation's variables coerced by its plan
        (numplane.schema.compiled_variables). Whatever graphql-core would answer with errors (no such
        operation, fragment variables, variables it refuses) is built by graphql-core itself."""
        arguments = (
            schema, document, root_value, context_value, raw_variable_values, operation_name, field_resolver,
            type_resolver, subscribe_field_resolver, max_coercion_errors, enable_early_execution, middleware,
            is_awaitable, is_async_iterable,
        )
        if not (middleware is None or isinstance(middleware, MiddlewareManager)):
            return super().build(*arguments, **options)
        assert_valid_schema(schema)
        operation: OperationDefinitionNode | None = None
        fragment_definitions: dict[str, FragmentDefinitionNode] = {}
        fragments: dict[str, FragmentDetails] = {}
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                if operation_name is None:
                    if operation is not None:
                        return super().build(*arguments, **options)  # several: graphql-core's error
                    operation = definition
                elif definition.name and definition.name.value == operation_name:
                    operation = definition
            elif isinstance(definition, FragmentDefinitionNode):
                if definition.variable_definitions:
                    return super().build(*arguments, **options)
                fragment_definitions[definition.name.value] = definition
                fragments[definition.name.value] = FragmentDetails(definition, None)
        planned = VARIABLE_PLANS.find(schema, operation) if operation is not None else None
        variables = (
            coerced_variables(planned, raw_variable_values or {}, bool(options.get("hide_suggestions")))
            if planned is not None else None
        )
        if operation is None or variables is None:
            return super().build(*arguments, **options)
        return cls(
            schema, fragment_definitions, fragments, root_value, context_value, operation, variables,
            field_resolver or default_field_resolver, type_resolver or default_type_resolver,
            subscribe_field_resolver or default_field_resolver, enable_early_execution, middleware,
            is_awaitable, is_async_iterable, **options,
        )

    def compiled_plan(self) -> OperationPlan | None:
        if self.abort_signal is not None or self.hooks is not None or not self.error_propagation:
            return None
        if self.middleware_manager is not None and self.middleware_manager.middlewares:
            return None
        return PLANS.find(self)

    def execute_operation(self, serially: bool | None = None) -> Any:
        plan = self.compiled_plan()
        if plan is None:
            return super().execute_operation(serially)
        self.arguments: dict[FieldPlan, Any] = {}
        root = plan.root
        try:
            if plan.serially if serially is None else serially:
                result = self.run_serially(root, self.root_value)
            else:
                result = self.run_fields(root, self.root_value, None)
            if self.is_awaitable(result):
                return self.await_operation(result)
            data = result
        except GraphQLError as error:
            self.collected_errors.add(error, None)
            return self.finish(self.build_response(None))
        return self.finish(self.build_response(data))

    async def await_operation(self, result: Awaitable[dict[str, Any]]) -> Any:
        try:
            data = await result
        except GraphQLError as error:
            self.collected_errors.add(error, None)
            return self.build_response(None)
        except Exception:
            await self.cancel_incremental_work()
            self.run_async_work_finished_hook()
            raise
        return self.build_response(data)

    # Fields (graphql-core's execute_fields, execute_fields_serially, execute_field)

    def run_fields(self, plan: ObjectPlan, source: Any, path: Path | None) -> Any:
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        awaitable_fields: list[str] = []
        typename = plan.type.name
        try:
            for field in plan.fields:
                name = field.response_name
                leaf = field.leaf
                if leaf is not None:  # an attribute holding a leaf: read and coerced here when all is well
                    try:
                        value = field.getter(source, field.value)  # type: ignore[misc]
                        if value is None:
                            if not field.leaf_non_null:
                                results[name] = None
                                continue
                        elif not isinstance(value, Exception):
                            names = field.leaf_names
                            if names is None:
                                coerced = leaf.coerce_output_value(value)
                            else:
                                key = (type(value), value)
                                coerced = names.get(key)
                                if coerced is None:
                                    coerced = leaf.coerce_output_value(value)
                                    if coerced is not None and coerced is not Undefined:
                                        names[key] = coerced
                            if coerced is not None and coerced is not Undefined:
                                results[name] = coerced
                                continue
                    except Exception:
                        pass
                    # Anything else takes the full path, which reads it again and fails as graphql-core does.
                result = self.run_field(field, source, Path(path, name, typename))
                results[name] = result
                if is_awaitable(result):
                    awaitable_fields.append(name)
        except Exception:
            if awaitable_fields:
                self.settle_in_background([results[f] for f in awaitable_fields])
            raise
        if not awaitable_fields:
            return results
        return self.gather_fields(results, awaitable_fields)

    async def gather_fields(self, results: dict[str, Any], awaitable_fields: list[str]) -> dict[str, Any]:
        if len(awaitable_fields) == 1:
            field = awaitable_fields[0]
            results[field] = await results[field]
        else:
            awaited = await gather_with_cancel(*(results[field] for field in awaitable_fields))
            results.update(zip(awaitable_fields, awaited, strict=True))
        return results

    def run_serially(self, plan: ObjectPlan, source: Any) -> Any:
        results: dict[str, Any] = {}
        remaining = iter(plan.fields)
        for field in remaining:
            result = self.run_field(field, source, Path(None, field.response_name, plan.type.name))
            if self.is_awaitable(result):
                return self.finish_serially(plan, source, results, field, result, remaining)
            results[field.response_name] = result
        return results

    async def finish_serially(
        self, plan: ObjectPlan, source: Any, results: dict[str, Any], field: FieldPlan, pending: Any, remaining: Any
    ) -> dict[str, Any]:
        results[field.response_name] = await pending
        for field in remaining:
            result = self.run_field(field, source, Path(None, field.response_name, plan.type.name))
            results[field.response_name] = await result if self.is_awaitable(result) else result
        return results

    def run_field(self, field: FieldPlan, source: Any, path: Path) -> Any:
        info: Info | None = None
        try:
            read = field.read
            if read is ATTRIBUTE:
                assert field.getter is not None
                result = field.getter(source, field.value)
            elif read is TYPENAME:
                result = field.value
            elif read is DIRECT:
                assert field.call is not None
                result = field.held(source) if field.held is not None else NOT_HELD
                if result is NOT_HELD:
                    info = self.build_resolve_info(field.definition, field.nodes, field.parent_type, path)
                    result = field.call(source, info, self.argument_values(field))
                    if self.is_awaitable(result):
                        return self.complete_awaitable(field, info, path, result)
            else:
                info = self.build_resolve_info(field.definition, field.nodes, field.parent_type, path)
                result = field.definition.resolve(source, info, **self.argument_values(field))  # type: ignore[misc]
                if self.is_awaitable(result):
                    return self.complete_awaitable(field, info, path, result)
            if info is None and field.needs_info:
                info = self.build_resolve_info(field.definition, field.nodes, field.parent_type, path)
            completed = self.complete(field, field.completion, info, path, result)
            if self.is_awaitable(completed):
                return self.await_completed(field, path, completed)
        except Exception as raw_error:
            self.handle_field_error(raw_error, field.definition.type, field.details, path)
            return None
        return completed

    def argument_values(self, field: FieldPlan) -> dict[str, Any]:
        """A field's arguments, coerced once per execution (the variables are the same for every object)."""
        if not field.has_arguments:
            return {}
        found = self.arguments.get(field)
        if found is None and field.coerce is not None:
            try:
                found = field.coerce(self.variable_values)
            except GiveUp:  # graphql-core refuses the value: it raises its own error below
                found = None
            else:
                self.arguments[field] = found
        if found is None:
            try:
                found = get_argument_values(
                    field.definition, field.nodes[0], self.variable_values, field.details[0].fragment_variable_values,
                    self.hide_suggestions,
                )
            except Exception as error:  # raised again for every object the field is run on, as graphql-core does
                found = error
            self.arguments[field] = found
        if isinstance(found, Exception):
            raise found
        return found

    async def complete_awaitable(self, field: FieldPlan, info: Info, path: Path, result: Any) -> Any:
        try:
            resolved = await result
            completed = self.complete(field, field.completion, info, path, resolved)
            if self.is_awaitable(completed):
                completed = await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, field.definition.type, field.details, path)
            completed = None
        return completed

    async def await_completed(self, field: FieldPlan, path: Path, completed: Awaitable[Any]) -> Any:
        try:
            return await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, field.definition.type, field.details, path)
            return None

    # Values (graphql-core's complete_value and the completions it dispatches to)

    def complete(
        self, field: FieldPlan, completion: Completion, info: Info | None, path: Path, result: Any
    ) -> Any:
        if isinstance(result, Exception):
            raise result
        kind = completion.kind
        if kind is NON_NULL:
            assert completion.inner is not None
            completed = self.complete(field, completion.inner, info, path, result)
            if completed is None:
                raise TypeError(f"Cannot return null for non-nullable field {field.parent_type}.{field.field_name}.")
            return completed
        if result is None or result is Undefined:
            return None
        if kind is LEAF:
            coerced = completion.type.coerce_output_value(result)  # type: ignore[union-attr]
            if coerced is Undefined or coerced is None:
                return self.complete_leaf_value(completion.type, result)  # type: ignore[arg-type]  # raises
            return coerced
        if kind is OBJECT:
            plan = completion.object
            assert plan is not None
            is_type_of = plan.type.is_type_of
            if is_type_of is not None:
                matches = is_type_of(result, info)  # type: ignore[arg-type]  # None only for strawberry's own
                if self.is_awaitable(matches):  # graphql-core awaits it and completes the object itself
                    info = info or self.build_resolve_info(field.definition, field.nodes, field.parent_type, path)
                    return self.complete_value(plan.type, field.details, info, path, result, None)
                if not matches:
                    raise invalid_return_type_error(plan.type, result, field.details)
            return self.run_fields(plan, result, path)
        if kind is LIST:
            assert completion.inner is not None
            return self.complete_list(field, completion, info, path, result)
        # An abstract type: graphql-core resolves the runtime type and completes the value.
        assert info is not None
        return self.complete_value(completion.type, field.details, info, path, result, None)

    def complete_list(
        self, field: FieldPlan, completion: Completion, info: Info | None, path: Path, result: Any
    ) -> Any:
        # graphql-core streams an async iterable and refuses what is not iterable; a list is neither (the
        # common case: no protocol checks for it).
        if type(result) is not list and (self.is_async_iterable(result) or not is_iterable(result)):
            info = info or self.build_resolve_info(field.definition, field.nodes, field.parent_type, path)
            return self.complete_list_value(completion.type, field.details, info, path, result, None)  # type: ignore[arg-type]
        item = completion.inner
        assert item is not None
        is_awaitable = self.is_awaitable
        completed_results: list[Any] = []
        awaitable_indices: list[int] = []
        items = iter(result)
        try:
            for index, value in enumerate(items):
                item_path = Path(path, index, None)
                if is_awaitable(value):
                    completed_results.append(self.complete_awaitable_item(field, item, info, item_path, value))
                    awaitable_indices.append(index)
                    continue
                try:
                    completed = self.complete(field, item, info, item_path, value)
                    if is_awaitable(completed):
                        completed_results.append(self.await_item(field, item, item_path, completed))
                        awaitable_indices.append(index)
                    else:
                        completed_results.append(completed)
                except Exception as raw_error:
                    self.handle_field_error(raw_error, item.type, field.details, item_path)
                    completed_results.append(None)
        except Exception:
            # A non-null item failed: what the other items started still settles, as graphql-core lets it.
            pending = [completed_results[index] for index in awaitable_indices]
            pending.extend(collect_iterator_awaitables(items, is_awaitable))
            if pending:
                self.settle_in_background(pending)
            raise
        if not awaitable_indices:
            return completed_results
        return self.gather_items(completed_results, awaitable_indices)

    async def gather_items(self, completed_results: list[Any], awaitable_indices: list[int]) -> list[Any]:
        if len(awaitable_indices) == 1:
            index = awaitable_indices[0]
            completed_results[index] = await completed_results[index]
        else:
            awaited = await gather_with_cancel(*(completed_results[index] for index in awaitable_indices))
            for index, value in zip(awaitable_indices, awaited, strict=True):
                completed_results[index] = value
        return completed_results

    async def await_item(self, field: FieldPlan, item: Completion, item_path: Path, completed: Any) -> Any:
        try:
            return await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, item.type, field.details, item_path)
            return None

    async def complete_awaitable_item(
        self, field: FieldPlan, item: Completion, info: Info | None, item_path: Path, value: Any
    ) -> Any:
        try:
            resolved = await value
            completed = self.complete(field, item, info, item_path, resolved)
            if self.is_awaitable(completed):
                completed = await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, item.type, field.details, item_path)
            return None
        return completed

