"""The strawberry Schema, with the abuse limits and error policy of SPEC §12.

The limits live in one extension (numplane/schema/policy.py); their validation rules are built once per
schema: a limiter built per request would be a new rule each time and defeat the validation cache.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import lru_cache

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from numplane.domain.errors import DomainError
from numplane.schema.compiled_executor import CompiledExecutor
from numplane.schema.mutation import Mutation
from numplane.schema.policy import OperationPolicy, Preparation
from numplane.schema.port_fields import PortMutation, PortQuery
from numplane.schema.query import Query
from numplane.schema.request_errors import is_wrong_operation
from numplane.schema.scalars import SCALARS
from numplane.schema.subscription import Subscription
from numplane.schema.types import Account, PhoneNumber

log = logging.getLogger("numplane.api")


def is_unexpected(error: GraphQLError) -> bool:
    """A fault of ours (a real exception under the GraphQL error), not a client mistake or a domain answer."""
    original = error.original_error
    if original is None or isinstance(original, GraphQLError | DomainError):
        return False
    return not is_wrong_operation(error)


class NumplaneSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        # Client errors (validation, limits, domain answers) are not server faults: log only the
        # unexpected, once, with the traceback, before MaskErrors hides it from the client.
        for error in errors:
            if is_unexpected(error):
                log.error("unexpected error at %s", error.path, exc_info=error.original_error)


def _extensions(debug: bool, max_depth: int, max_aliases: int, max_tokens: int) -> list[Callable[[], SchemaExtension]]:
    preparation = Preparation(max_tokens=max_tokens, max_depth=max_depth, max_aliases=max_aliases, introspection=debug)
    mask = (lambda _error: False) if debug else is_unexpected
    return [lambda: OperationPolicy(preparation, mask=mask)]


@lru_cache(maxsize=8)
def build_schema(
    *, debug: bool = False, max_depth: int = 10, max_aliases: int = 30, max_tokens: int = 5000, compiled: bool = True
) -> strawberry.Schema:
    """One schema per configuration, built once per process and reused by every app that asks for it.
    `compiled` runs planned operations on the compiled path (numplane.schema.compiled_executor); without
    it graphql-core's executor runs everything (the differential test compares the two)."""
    return NumplaneSchema(
        # Port requests keep their fields in their own module (issue 13); the roots are merged here.
        query=merge_types("Query", (Query, PortQuery)),
        mutation=merge_types("Mutation", (Mutation, PortMutation)),
        subscription=Subscription,
        types=[PhoneNumber, Account],
        extensions=_extensions(debug, max_depth, max_aliases, max_tokens),
        config=StrawberryConfig(scalar_map=SCALARS, disable_field_suggestions=not debug),
        execution_context_class=CompiledExecutor if compiled else None,
    )


def sdl() -> str:
    return build_schema(debug=True).as_str() + "\n"
