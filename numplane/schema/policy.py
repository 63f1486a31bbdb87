"""One schema extension for the whole operation policy of SPEC §12: token limit, depth and alias limits,
introspection off outside debug, parse and validation cached by query text, free-text arguments bounded
(`text_arguments.py`), unexpected errors masked.

Six stock extensions did these jobs (MaxTokensLimiter, ParserCache, AddValidationRules, ValidationCache,
DisableIntrospection, MaskErrors); strawberry enters every extension's hooks on every request, which cost
15-23 % of a small operation's CPU. One extension with four hooks does the same work.

Every error it lets through carries `extensions.code` (numplane.schema.request_errors): parse failures and
validation failures are coded once, when first seen, and cached with the document; execution errors are
coded as they leave, only when there are any.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import lru_cache

from graphql import DocumentNode, GraphQLError, GraphQLSchema, validate
from graphql.validation import (
    ASTValidationRule,
    KnownFragmentNamesRule,
    NoFragmentCyclesRule,
    NoSchemaIntrospectionCustomRule,
)
from strawberry.extensions import MaskErrors
from strawberry.extensions.max_aliases import create_validator as aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.schema.schema import validate_document

from numplane.schema.expansion import expanded_fields
from numplane.schema.request_errors import (
    INTERNAL_SERVER_ERROR,
    coded,
    execution_error_code,
    limit_extensions,
    parse_document,
    validation_failed,
)
from numplane.schema.text_arguments import refuse_bad_text

CACHED_OPERATIONS = 1000  # distinct query texts kept parsed and validated


class Preparation:
    """Parsed and validated documents by query text, shared by every request on one schema."""

    def __init__(
        self, *, max_tokens: int, max_document_chars: int, max_depth: int, max_aliases: int, introspection: bool
    ) -> None:
        # The limits run apart from the other rules so that their errors say which limit, and its value.
        self.limits = (
            (depth_rule(max_depth, None, None), limit_extensions("depth", max_depth)),
            (aliases_rule(max_aliases), limit_extensions("aliases", max_aliases)),
        )
        self.rules: tuple[type[ASTValidationRule], ...] = () if introspection else (NoSchemaIntrospectionCustomRule,)
        self.max_tokens = max_tokens
        self.max_document_chars = max_document_chars
        # A query over the token limit raises in `parse`, is not cached, and reaches the client as a coded
        # error. Both caches are keyed by the query text (validation also by schema and rules).
        self.parse = lru_cache(maxsize=CACHED_OPERATIONS)(self._parse)
        self.validate = lru_cache(maxsize=CACHED_OPERATIONS)(self._validate)

    def _parse(self, query: str) -> DocumentNode:
        return parse_document(query, self.max_tokens, self.max_document_chars)

    def _validate(
        self, query: str, schema: GraphQLSchema, rules: tuple[type[ASTValidationRule], ...]
    ) -> list[GraphQLError]:
        document = self.parse(query)
        if expanded_fields(document, self.max_tokens) > self.max_tokens:
            # Before the depth rule, which expands every fragment spread (exponential in a fragment bomb).
            return [GraphQLError(
                f"The document selects more than {self.max_tokens} fields once its fragments are expanded.",
                extensions=limit_extensions("tokens", self.max_tokens),
            )]
        # The depth rule follows every spread: an unknown fragment made it raise KeyError (answered as an
        # uncoded "'Missing'" with a logged traceback). Those two cheap rules run first; the limits still
        # run before the costly ones (overlapping fields is quadratic in the aliases).
        spreads = validation_failed(validate(schema, document, [KnownFragmentNamesRule, NoFragmentCyclesRule]))
        if spreads:
            return spreads
        errors = [
            coded(error, extensions)
            for rule, extensions in self.limits
            for error in validate(schema, document, [rule])
        ]
        return errors + validation_failed(validate_document(schema, document, rules))


class OperationPolicy(MaskErrors):
    def __init__(self, preparation: Preparation, *, mask: Callable[[GraphQLError], bool]) -> None:
        super().__init__(should_mask_error=mask, error_message="Unexpected error.")
        self.preparation = preparation

    def _process_result(self, result: object) -> None:
        # MaskErrors' own asks first whether the result fits a runtime-checkable Protocol of one member,
        # `errors`: a walk of the Protocol's attributes on every operation, the costliest line of a small
        # operation's policy. Having that attribute is all the Protocol asks, and an empty one needs nothing.
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = self._process_errors(errors)  # type: ignore[attr-defined]

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        # MaskErrors' own, coding what leaves without a code. Runs only for a result that has errors.
        processed: list[GraphQLError] = []
        for error in errors:
            if self.should_mask_error(error):
                processed.append(coded(self.anonymise_error(error), {"code": INTERNAL_SERVER_ERROR}))
            elif not (error.extensions and "code" in error.extensions):
                processed.append(coded(error, {"code": execution_error_code(error)}))
            else:
                processed.append(error)
        return processed

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is None and context.query:
            context.graphql_document = self.preparation.parse(context.query)
        yield

    def on_execute(self) -> Iterator[None]:
        refuse_bad_text(self.execution_context)  # SPEC §12's bounds on free text, before any resolver
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.query:  # always so over HTTP and WebSocket; otherwise strawberry validates
            rules = (*context.validation_rules, *self.preparation.rules)
            context.pre_execution_errors = self.preparation.validate(context.query, context.schema._schema, rules)
        yield
