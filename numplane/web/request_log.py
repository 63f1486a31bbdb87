"""One structured log line per request, and the request id that ties every line of a request together.

The request shell (numplane.web.shell) takes a sane `X-Request-ID` from the client or makes one, returns it
on every answer (errors and WebSocket handshakes included) and keeps the request's record in a context
variable that the log formatter reads, so a slow store call or a retry deep down is logged with the request
it slowed. The GraphQL endpoint notes what only it knows (operation, key, account, userErrors) on the same
record; the line is written when the answer is complete. Cheap by design: no per-field work, the userErrors
are counted from the top level of the result already built, nothing is built when the level drops the line,
and a line that would only be formatted and written goes straight to the stream (numplane.logs.direct).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from typing import Any

from numplane.logs import direct
from numplane.logs.ids import RequestRecord, accepted_request_id, current_request, new_id
from numplane.resolvers.context import Requester
from numplane.web import body

log = logging.getLogger("numplane.requests")

HEADER = b"x-request-id"
MAX_LOGGED_PATH = 200  # a hostile path is cut, not written whole into every line


def request_record(sent_id: bytes | None) -> RequestRecord:
    """The record of a request whose first X-Request-ID header was `sent_id` (None: it sent none)."""
    return RequestRecord((accepted_request_id(sent_id.decode("latin-1")) if sent_id is not None else None) or new_id())


def log_unhandled(method: str, path: str) -> None:
    """An error no handler caught, with its traceback (called while handling it)."""
    log.exception("unhandled error while serving %s %s", method, _cut(path))


def write_line(method: str, path: str, status: int, seconds: float, record: RequestRecord) -> None:
    """The request's line, unless the configured level drops it (then nothing is built)."""
    if not log.isEnabledFor(logging.INFO):
        return
    path = _cut(path)
    facts: dict[str, Any] = {"method": method, "path": path, "status": status, "duration_ms": round(seconds * 1000, 3)}
    if record.operation is not None:
        facts["operation"] = record.operation
    if record.operation_type is not None:
        facts["operation_type"] = record.operation_type
    if record.key_id is not None:
        facts["key_id"] = record.key_id
    if record.account is not None:
        facts["account"] = record.account
    if record.user_errors:
        facts["user_errors"] = dict(record.user_errors)
    if record.errors:
        facts["errors"] = dict(record.errors)
    if direct.write(log, logging.INFO, f"{method} {path} {status}", facts):
        return
    # makeRecord + handle rather than log.info: no search of the stack for the caller's file and line,
    # which no line of ours prints.
    line = log.makeRecord(log.name, logging.INFO, __file__, 0, "%s %s %s", (method, path, status), None, extra=facts)
    log.handle(line)


def _cut(path: str) -> str:
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
                if isinstance(found, list) and found:
                    counted = record.user_errors = record.user_errors or Counter()
                    for error in found:
                        counted[_code(error)] += 1
    errors = result.get("errors")
    if isinstance(errors, list) and errors:
        record.errors = record.errors or Counter()
        for error in errors:
            record.errors[_code(error.get("extensions") if isinstance(error, dict) else None)] += 1


def _code(holder: object) -> str:
    """The `code` of a userError or of a GraphQL error's extensions (UNKNOWN when it was not selected)."""
    code = holder.get("code") if isinstance(holder, dict) else None
    return str(code) if code is not None else "UNKNOWN"
