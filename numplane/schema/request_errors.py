"""Codes for top-level GraphQL errors that are not domain answers, so a client can branch on
`extensions.code` for every error it gets (the domain's own codes, numplane.schema.errors, are unchanged).

The names are Apollo Server's where it has one, since frontend clients are written against those. Every
function here runs only when a request has already failed: the success path never pays for a code.
"""

from __future__ import annotations

from collections.abc import Iterable

from graphql import DocumentNode, GraphQLError, GraphQLSyntaxError, parse
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError

from numplane.domain.errors import ErrorCode

GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"  # the document is not GraphQL
GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"  # it is, but not valid against the schema
BAD_USER_INPUT = "BAD_USER_INPUT"  # a variable's value does not fit its declared type
BAD_REQUEST = "BAD_REQUEST"  # the HTTP request or WebSocket message around the operation is malformed
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"  # a fault of ours, masked outside debug mode
PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"  # the hash is not known here: send the query with it
PERSISTED_QUERY_NOT_SUPPORTED = "PERSISTED_QUERY_NOT_SUPPORTED"  # persisted queries are turned off here
RATE_LIMITED = "RATE_LIMITED"  # the API key (or address) spent its request budget: HTTP 429, retry after Retry-After
LIMIT_EXCEEDED = ErrorCode.LIMIT_EXCEEDED.value  # a configured limit; `limit` names it, `max` is its value
REQUEST_ERROR_CODES = (
    GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED, LIMIT_EXCEEDED, BAD_USER_INPUT, BAD_REQUEST,
    PERSISTED_QUERY_NOT_FOUND, PERSISTED_QUERY_NOT_SUPPORTED, RATE_LIMITED, INTERNAL_SERVER_ERROR,
)


def limit_extensions(limit: str, maximum: int | float) -> dict[str, object]:
    return {"code": LIMIT_EXCEEDED, "limit": limit, "max": maximum}


def coded(error: GraphQLError, extensions: dict[str, object]) -> GraphQLError:
    """`error` carrying `extensions` (a code it already has is kept)."""
    error.extensions = {**extensions, **(error.extensions or {})}
    return error


def parse_document(query: str, max_tokens: int, max_chars: int) -> DocumentNode:
    """The parsed document; a GraphQLError coded as a parse failure or as a limit otherwise."""
    if len(query) > max_chars:
        # The token limit does not bound the text: one string literal, name or comment is one token (or
        # none), and graphql-core's lexer takes seconds over a megabyte of it, on the event loop.
        raise GraphQLError(
            f"The document is {len(query)} characters, over the limit of {max_chars}; "
            "send large values as variables.",
            extensions=limit_extensions("documentChars", max_chars),
        )
    try:
        return parse(query, max_tokens=max_tokens)
    except GraphQLSyntaxError as error:
        # graphql-core reports its token limit as a syntax error; only its wording tells them apart.
        if error.message.endswith(f"more than {max_tokens} tokens. Parsing aborted."):
            raise coded(error, limit_extensions("tokens", max_tokens)) from None
        raise coded(error, {"code": GRAPHQL_PARSE_FAILED}) from None
    except RecursionError:  # nesting deep enough to exhaust the parser's stack before the token limit
        raise GraphQLError(
            "Syntax Error: the document nests too deeply.", extensions={"code": GRAPHQL_PARSE_FAILED}
        ) from None


def validation_failed(errors: Iterable[GraphQLError]) -> list[GraphQLError]:
    return [coded(_judged(error), {"code": GRAPHQL_VALIDATION_FAILED}) for error in errors]


def _judged(error: GraphQLError) -> GraphQLError:
    # A scalar refusing a literal (`publicFields: 3`, `desiredCutOverAt: "junk"`) raises ValueError, which
    # graphql-core keeps as the original error of the validation error; the masking would then take the
    # client's mistake for a fault of ours ("Unexpected error.", a logged traceback). The message already
    # says what is wrong with the literal.
    error.original_error = None
    return error


def is_wrong_operation(error: GraphQLError) -> bool:
    """The request names an operation the document lacks, or one this transport does not run: strawberry
    raises these over HTTP (answered BAD_REQUEST) but wraps them as errors over the WebSocket."""
    return isinstance(error.original_error, CannotGetOperationTypeError | InvalidOperationTypeError)


def execution_error_code(error: GraphQLError) -> str:
    """The code of an error raised while executing that carries none: the operation asked for cannot be
    run, a variable graphql-core could not coerce (it has no path) or, under a field, a fault of ours."""
    if is_wrong_operation(error):
        return BAD_REQUEST
    return BAD_USER_INPUT if error.path is None else INTERNAL_SERVER_ERROR
