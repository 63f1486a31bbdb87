"""The body of an HTTP GraphQL request: read within a size and time limit, decoded into one request.

Everything a client can get wrong here is answered with a JSON error and a code (`Refused`), never a 500:
a body that is too big (413) or too slow (408) is LIMIT_EXCEEDED naming the limit; one that is not UTF-8,
not JSON, nested too deep, not an object, holds several operations without `operationName`, or a
subscription (which needs the WebSocket) is BAD_REQUEST (400).
"""

from __future__ import annotations

import asyncio
import json
from functools import lru_cache
from typing import Any

import orjson
from graphql import GraphQLSyntaxError, OperationDefinitionNode, OperationType, parse
from starlette.responses import Response
from starlette.types import Receive

from numplane.schema.request_errors import BAD_REQUEST, LIMIT_EXCEEDED
from numplane.web.errors import error_response

MAX_NESTING = 64
"""Deepest JSON nesting accepted in a body: a real request (variables, input, 16 levels of public fields)
stays far below it, and refusing early keeps recursion in the decoder and in graphql-core bounded."""


class Refused(Exception):
    """The request cannot be run as sent; `response` says why."""

    def __init__(self, status: int, code: str, message: str, **extensions: object) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extensions = extensions

    def response(self) -> Response:
        return error_response(self.status, self.code, self.message, **self.extensions)


def too_large(limit: int) -> Refused:
    return Refused(
        413, LIMIT_EXCEEDED, f"Request body over the limit of {limit} bytes; split it.", limit="bodyBytes", max=limit
    )


async def read(receive: Receive, limit: int, timeout: float) -> bytes:
    """The whole body, refused as soon as it passes `limit` bytes or takes longer than `timeout` seconds."""
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(timeout):
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    break
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > limit:
                    raise too_large(limit)
                chunks.append(chunk)
                if not message.get("more_body", False):
                    break
    except TimeoutError:
        # A client that stalls mid-body would otherwise hold a connection and a task for as long as it likes.
        raise Refused(
            408, LIMIT_EXCEEDED, f"The request body did not arrive within {timeout:g} seconds; send it at once.",
            limit="bodySeconds", max=timeout,
        ) from None
    return b"".join(chunks)


def decode(raw: str | bytes) -> Any:
    """JSON from the client: UTF-8, well formed, at most MAX_NESTING deep; otherwise Refused (400)."""
    try:
        value = orjson.loads(raw)  # the common case, several times faster than json
    except orjson.JSONDecodeError:
        value = _decode_strictly(raw)  # why it failed (or what orjson cannot hold: integers beyond 64 bits)
    if brackets(raw) > MAX_NESTING and nesting(value) > MAX_NESTING:
        raise nested_too_deep()
    return value


def brackets(raw: str | bytes) -> int:
    """How many lists and objects the JSON text opens at most (brackets in strings counted too): a bound on
    its nesting that C counts, so the usual small body needs no walk of its decoded value."""
    if isinstance(raw, bytes):
        return raw.count(b"[") + raw.count(b"{")
    return raw.count("[") + raw.count("{")


def _decode_strictly(raw: str | bytes) -> Any:
    try:
        # JSON on the wire is UTF-8 (RFC 8259); json.loads would also guess UTF-16 or UTF-32 from bytes.
        return json.loads(raw.decode("utf-8") if isinstance(raw, bytes) else raw)
    except UnicodeDecodeError:
        raise invalid("The request body is not UTF-8 text; send JSON encoded as UTF-8.") from None
    except RecursionError:
        raise nested_too_deep() from None
    except ValueError:
        raise invalid("The request body is not valid JSON.") from None


def request_object(value: Any) -> Any:
    """`value` if it can be a GraphQL request body (an object, or a list for strawberry to judge)."""
    if not isinstance(value, dict | list):
        raise invalid('The request body must be a JSON object: {"query": "...", "variables": {...}}.')
    return value


def check_operation(query: object, operation_name: object, max_tokens: int, max_chars: int) -> None:
    """Refuse a document that names no operation among several, or selects a subscription."""
    if not isinstance(query, str):
        return  # strawberry answers a missing or non-string query itself
    operations = _operations(query, max_tokens, max_chars)
    if len(operations) > 1 and not operation_name:
        names = ", ".join(name or "(anonymous)" for name, _kind in operations)
        raise invalid(
            f"The document holds {len(operations)} operations ({names}); "
            "name the one to run in `operationName`.",
        )
    chosen = [kind for name, kind in operations if not operation_name or name == operation_name]
    if OperationType.SUBSCRIPTION in chosen:
        raise invalid("Subscriptions run over the WebSocket at /graphql (graphql-transport-ws), not over HTTP.")


def selects_mutation(request: Any, max_tokens: int, max_chars: int) -> bool:
    """Whether a decoded request body (one operation or a batch) would run a mutation."""
    for one in request if isinstance(request, list) else [request]:
        if not isinstance(one, dict) or not isinstance(one.get("query"), str):
            continue
        name = one.get("operationName")
        kinds = [kind for op, kind in _operations(one["query"], max_tokens, max_chars) if not name or op == name]
        if OperationType.MUTATION in kinds:
            return True
    return False


def chosen_operation(
    query: object, operation_name: object, max_tokens: int, max_chars: int
) -> tuple[str, str] | None:
    """(name or "-", type) of the operation a request runs; None when the document does not parse."""
    if not isinstance(query, str):
        return None
    for name, kind in _operations(query, max_tokens, max_chars):
        if not operation_name or name == operation_name:
            return name or "-", kind.value
    return None


@lru_cache(maxsize=1000)
def _operations(query: str, max_tokens: int, max_chars: int) -> tuple[tuple[str | None, OperationType], ...]:
    # Cached like strawberry's own parse: clients send the same few documents again and again. A document
    # that does not parse (or is over a limit) is left to strawberry, which reports it properly.
    if len(query) > max_chars:
        return ()
    try:
        document = parse(query, no_location=True, max_tokens=max_tokens)
    except (GraphQLSyntaxError, RecursionError):
        return ()
    return tuple(
        (node.name.value if node.name else None, node.operation)
        for node in document.definitions
        if isinstance(node, OperationDefinitionNode)
    )


def nesting(value: Any) -> int:
    """How deep `value` nests lists and objects, counted without recursion (the value may be hostile)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, depth + 1)
            if deepest > MAX_NESTING:
                return deepest
            stack.extend((child, depth + 1) for child in item)
    return deepest


def invalid(message: str) -> Refused:
    return Refused(400, BAD_REQUEST, message)


def nested_too_deep() -> Refused:
    return invalid(f"The request body nests deeper than {MAX_NESTING} levels.")
