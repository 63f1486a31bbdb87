"""Idempotency keys (issue 11): a retried mutation gets the first response instead of running again.

The rules, decided here on a record the shell read from the store:

- A client may send `Idempotency-Key: <1-255 printable ASCII characters>` with a POST /graphql that
  selects a mutation. Queries ignore the header (they change nothing, so running them again is the
  right answer to a retry).
- Records are per (API key id, idempotency key): two keys (or two clients) never share a record.
- The first request claims the record with a create-only write (`pending`), runs, and stores its
  response (status and body) for RETENTION (24 hours). A retry with the same body within that time gets
  the stored response without running; one with a different body gets 422 IDEMPOTENCY_KEY_REUSED.
- A retry that finds the record pending waits (polling) for the response; a claim older than the stale
  limit belongs to a process that died, and the waiter takes it over (with a revision check) and runs.
- A response with status 5xx is not kept (the record is removed): nothing was decided, so a retry runs.
- An expired record counts as absent; the `idempotency-expiry` job deletes expired records.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from numplane.domain.clock import format_time, parse_time
from numplane.domain.errors import DomainError, ErrorCode

RETENTION = timedelta(hours=24)
MAX_KEY_LENGTH = 255
DOC_TYPE = "idempotency"

PENDING = "pending"
DONE = "done"


def check_key(key: str) -> None:
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not all(" " <= c <= "~" for c in key):
        raise DomainError(
            ErrorCode.INVALID_FIELD,
            f"An Idempotency-Key is 1 to {MAX_KEY_LENGTH} printable ASCII characters.",
            field=("Idempotency-Key",),
        )


def record_id(key_id: str, key: str) -> str:
    """The record's document id: the key is hashed so any allowed characters make a safe, fixed-size id."""
    return f"idem:{key_id}:{hashlib.sha256(key.encode()).hexdigest()}"


def fingerprint(body: bytes) -> str:
    """"The same body" means the same bytes."""
    return hashlib.sha256(body).hexdigest()


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status: int
    body: str
    content_type: str


@dataclass(frozen=True, slots=True)
class IdempotencyRecord:
    id: str
    fingerprint: str
    claimed_at: datetime
    expires_at: datetime
    response: StoredResponse | None = None  # None while the first request runs
    rev: str | None = None

    def to_doc(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "_id": self.id,
            "pvt_type": DOC_TYPE,
            "pvt_state": DONE if self.response else PENDING,
            "pvt_fingerprint": self.fingerprint,
            "pvt_claimed_at": format_time(self.claimed_at),
            "pvt_expires_at": format_time(self.expires_at),
        }
        if self.response is not None:
            doc["pvt_response"] = {
                "status": self.response.status, "body": self.response.body,
                "content_type": self.response.content_type,
            }
        if self.rev is not None:
            doc["_rev"] = self.rev
        return doc

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> IdempotencyRecord:
        stored = doc.get("pvt_response")
        return cls(
            id=doc["_id"],
            fingerprint=str(doc.get("pvt_fingerprint", "")),
            claimed_at=parse_time(doc["pvt_claimed_at"]),
            expires_at=parse_time(doc["pvt_expires_at"]),
            response=StoredResponse(int(stored["status"]), str(stored["body"]), str(stored["content_type"]))
            if isinstance(stored, dict) else None,
            rev=doc.get("_rev"),
        )


def claim(record_id_: str, body_fingerprint: str, now: datetime, rev: str | None = None) -> IdempotencyRecord:
    """A pending record: this request runs the mutation (`rev`: the stale or expired record it replaces)."""
    return IdempotencyRecord(record_id_, body_fingerprint, now, now + RETENTION, rev=rev)


def completed(record: IdempotencyRecord, response: StoredResponse, rev: str) -> IdempotencyRecord:
    return IdempotencyRecord(record.id, record.fingerprint, record.claimed_at, record.expires_at, response, rev)


def keeps(status: int) -> bool:
    """Which responses a retry gets again: every answer the API decided (5xx means it could not decide)."""
    return status < 500


class Next(str, Enum):
    """What a request does on finding a record for its key."""

    REPLAY = "replay"  # send the stored response
    REUSED = "reused"  # 422: same key, different body
    WAIT = "wait"  # the first request is still running
    TAKE_OVER = "take_over"  # expired, or the claim is stale: claim it again and run


def next_step(record: IdempotencyRecord, body_fingerprint: str, now: datetime, stale_after: timedelta) -> Next:
    if record.expires_at <= now:
        return Next.TAKE_OVER
    if record.fingerprint != body_fingerprint:
        return Next.REUSED
    if record.response is not None:
        return Next.REPLAY
    if record.claimed_at + stale_after <= now:
        return Next.TAKE_OVER
    return Next.WAIT


def reused() -> DomainError:
    return DomainError(
        ErrorCode.IDEMPOTENCY_KEY_REUSED,
        "This Idempotency-Key was already used with a different request body; send a new key for a new "
        "request, or the same body to get the first response again.",
        field=("Idempotency-Key",),
    )
