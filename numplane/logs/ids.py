"""The id a log line belongs to: the request being served, or the job run being worked.

Set once per request (the web layer's request shell) or per job run (jobs.runner) in a context variable, so
a line written deep down (a slow store call, a retry) names its request without any code passing it on.
"""

from __future__ import annotations

import random
from collections import Counter
from contextvars import ContextVar
from dataclasses import dataclass

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
    # Counted by code when there are any: most requests have none, and do not make the two counters.
    user_errors: Counter[str] | None = None  # userErrors in the payloads
    errors: Counter[str] | None = None  # top-level GraphQL errors


current_request: ContextVar[RequestRecord | None] = ContextVar("numplane_request", default=None)
current_job_run: ContextVar[str | None] = ContextVar("numplane_job_run", default=None)


def new_id() -> str:
    # 64 random bits tell a request from every other; they need not be secret (the id is returned and
    # logged), so the process's generator serves, without a system call per request.
    return f"{random.getrandbits(64):016x}"


def accepted_request_id(value: str | None) -> str | None:
    """A client's X-Request-ID when it is fit to log as it is: bounded and printable, without spaces."""
    if not value or len(value) > MAX_REQUEST_ID or not value.isascii() or not value.isprintable() or " " in value:
        return None
    return value
