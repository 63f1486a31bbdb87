"""One structured log line per request, and the request id that ties every line of a request together.

Pure ASGI, outermost: it takes a sane `X-Request-ID` from the client or makes one, returns it on every
answer (errors and WebSocket handshakes included) and keeps it in a context variable that the log
formatter reads, so a slow store call or a retry deep down is logged with the request it slowed. The
GraphQL endpoint notes what only it knows (operation, key, account, userErrors) on the same record; the
line is written when the answer is complete. Cheap by design: no per-field work, the userErrors are
counted from the top level of the result already built.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from numplane.logs.ids import RequestRecord, accepted_request_id, current_request, new_id
from numplane.resolvers.context import Requester
from numplane.schema.request_errors import INTERNAL_SERVER_ERROR
from numplane.web import body
from numplane.web.errors import error_response

log = logging.getLogger("numplane.requests")

HEADER = b"x-request-id"
MAX_LOGGED_PATH = 200  # a hostile path is cut, not written whole into every line


class RequestLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind != "http" and kind != "websocket":
            await self.app(scope, receive, send)
            return
        record = RequestRecord(_incoming_id(scope) or new_id())
        token = current_request.set(record)
        returned = (HEADER, record.id.encode())
        started = time.perf_counter()
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            kind = message["type"]
            if kind == "http.response.start" or kind == "websocket.http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", ()), returned]}
            elif kind == "websocket.accept":
                status = 101
                message = {**message, "headers": [*message.get("headers", ()), returned]}
            elif kind == "websocket.close" and not status:
                status = 403  # refused before the handshake completed
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception("unhandled error while serving %s %s", _method(scope), _path(scope))
            if status or kind != "http":
                raise
            # Answered here, not by Starlette's outer error handler, so even this answer names its request.
            await error_response(500, INTERNAL_SERVER_ERROR, "Unexpected error.")(scope, receive, send_with_id)
        finally:
            if log.isEnabledFor(logging.INFO):
                _write_line(scope, record, status, time.perf_counter() - started)
            current_request.reset(token)


def _write_line(scope: Scope, record: RequestRecord, status: int, seconds: float) -> None:
    method, path = _method(scope), _path(scope)
    # makeRecord + handle rather than log.info: no search of the stack for the caller's file and line,
    # which no line of ours prints (a third of the cost of a line).
    line = log.makeRecord(
        log.name, logging.INFO, __file__, 0, "%s %s %s", (method, path, status), None,
        extra={
            "method": method, "path": path, "status": status, "duration_ms": round(seconds * 1000, 3),
            "operation": record.operation, "operation_type": record.operation_type,
            "key_id": record.key_id, "account": record.account,
            "user_errors": dict(record.user_errors) if record.user_errors else None,
            "errors": dict(record.errors) if record.errors else None,
        },
    )
    log.handle(line)


def _incoming_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == HEADER:
            return accepted_request_id(value.decode("latin-1"))
    return None


def _method(scope: Scope) -> str:
    return str(scope.get("method", "WS"))


def _path(scope: Scope) -> str:
    path = str(scope["path"])
    return path if len(path) <= MAX_LOGGED_PATH else path[:MAX_LOGGED_PATH] + "..."


# -- what the GraphQL endpoint notes on the request's record ----------------------------------------


def note_requester(requester: Requester | None) -> None:
    record = current_request.get()
    if record is not None and requester is not None:
        record.key_id = requester.key_id
        record.account = requester.id


def note_operation(query: object, operation_name: object, max_tokens: int, max_chars: int) -> None:
    """The operation a document runs (read from the parse cache the body checks already filled)."""
    record = current_request.get()
    if record is None:
        return
    chosen = body.chosen_operation(query, operation_name, max_tokens, max_chars)
    if chosen is None:
        return
    name, kind = chosen
    record.operation = name if record.operation is None else f"{record.operation},{name}"
    record.operation_type = kind if record.operation_type is None else record.operation_type


def note_result(result: Mapping[str, Any]) -> None:
    """Count the userErrors of the top-level payloads and the GraphQL errors, by code."""
    record = current_request.get()
    if record is None:
        return
    data = result.get("data")
    if isinstance(data, dict):
        for payload in data.values():
            if isinstance(payload, dict):
                found = payload.get("userErrors")
                if isinstance(found, list):
                    for error in found:
                        record.user_errors[_code(error)] += 1
    errors = result.get("errors")
    if isinstance(errors, list):
        for error in errors:
            record.errors[_code(error.get("extensions") if isinstance(error, dict) else None)] += 1


def _code(holder: object) -> str:
    """The `code` of a userError or of a GraphQL error's extensions (UNKNOWN when it was not selected)."""
    code = holder.get("code") if isinstance(holder, dict) else None
    return str(code) if code is not None else "UNKNOWN"
