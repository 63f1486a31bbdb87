"""The id a log line belongs to: the request being served, or the job run being worked.

Set once per request (the web layer's RequestLog) or per job run (jobs.runner) in a context variable, so
a line written deep down (a slow store call, a retry) names its request without any code passing it on.
"""

from __future__ import annotations

import os
from collections import Counter
from contextvars import ContextVar
from dataclasses import dataclass, field

MAX_REQUEST_ID = 128
"""An incoming X-Request-ID longer than this is replaced: it goes into every line of the request."""


@dataclass(slots=True)
class RequestRecord:
    """What the request line tells beyond method, path and status; filled in as the request is served."""

    id: str
    operation: str | None = None  # the GraphQL operation's name (several, comma-separated, for a batch)
    operation_type: str | None = None  # query, mutation or subscription
    key_id: str | None = None  # the API key's id, never the key
    account: str | None = None
    user_errors: Counter[str] = field(default_factory=Counter)  # userErrors in the payloads, by code
    errors: Counter[str] = field(default_factory=Counter)  # top-level GraphQL errors, by code


current_request: ContextVar[RequestRecord | None] = ContextVar("numplane_request", default=None)
current_job_run: ContextVar[str | None] = ContextVar("numplane_job_run", default=None)


def new_id() -> str:
    return os.urandom(8).hex()


def accepted_request_id(value: str | None) -> str | None:
    """A client's X-Request-ID when it is fit to log as it is: bounded and printable, without spaces."""
    if not value or len(value) > MAX_REQUEST_ID or not value.isascii() or not value.isprintable() or " " in value:
        return None
    return value
