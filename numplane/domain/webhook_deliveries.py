"""A delivery: one event for one endpoint, written before its first attempt, so nothing is lost.

Its document is also its claim. A replica takes a delivery by rewriting it as `sending` with its name and a
short lease, conditional on the revision it read (exactly one of two replicas' writes lands, as with job
leases), sends, then records the attempt. A replica that dies mid-send leaves a lease that expires, and the
delivery is taken again: at least once, never lost.

Order per number: deliveries sort by `order` (when the feed reader wrote them, then their place in its
page), and only the earliest unfinished delivery of a number for an endpoint is sent; the next waits for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from numplane.domain.clock import format_time, parse_time
from numplane.domain.webhook_retries import Outcome, after_failure

PREFIX = "delivery:"
ATTEMPTS_KEPT = 20
def claim_seconds(timeout_seconds: float) -> float:
    """How long a sending replica holds a delivery: its attempt's timeout twice over, and some. A replica
    that dies mid-send delays that number's deliveries this long, never more."""
    return 2 * timeout_seconds + 5


class Status(str, Enum):
    PENDING = "pending"  # waiting for its next attempt (or its turn after an earlier event of its number)
    SENDING = "sending"  # claimed by a replica
    DELIVERED = "delivered"
    FAILED = "failed"  # given up after 24 hours, or its endpoint was disabled


UNFINISHED = (Status.PENDING, Status.SENDING)


@dataclass(frozen=True, slots=True)
class Attempt:
    at: datetime
    status: int | None  # the HTTP status; None when no response came
    latency_ms: int
    error: str | None = None

    def to_doc(self) -> dict[str, Any]:
        return {"at": format_time(self.at), "status": self.status, "latency_ms": self.latency_ms, "error": self.error}

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Attempt:
        return cls(parse_time(doc["at"]), doc.get("status"), int(doc.get("latency_ms") or 0), doc.get("error"))


@dataclass(frozen=True, slots=True)
class Delivery:
    id: str
    webhook_id: str
    event_id: str
    event_type: str
    subject: str  # what orders deliveries: the E.164 number (a test event: its own id)
    order: str
    body: dict[str, Any]
    status: Status = Status.PENDING
    created: datetime | None = None
    next_attempt_at: datetime | None = None
    attempts: tuple[Attempt, ...] = ()
    failures: int = 0  # consecutive failed attempts (reset by a redelivery)
    first_attempt_at: datetime | None = None
    holder: str | None = None
    claimed_until: datetime | None = None
    rev: str | None = None

    @property
    def unfinished(self) -> bool:
        return self.status in UNFINISHED

    def due(self, now: datetime) -> bool:
        if self.status is Status.SENDING:
            return self.claimed_until is not None and self.claimed_until <= now  # its sender died
        return self.status is Status.PENDING and (self.next_attempt_at is None or self.next_attempt_at <= now)

    def busy(self, now: datetime) -> bool:
        """Another replica is sending it right now."""
        return self.status is Status.SENDING and self.claimed_until is not None and self.claimed_until > now

    def claimed(self, holder: str, now: datetime, *, timeout_seconds: float) -> Delivery:
        return replace(
            self, status=Status.SENDING, holder=holder,
            claimed_until=now + timedelta(seconds=claim_seconds(timeout_seconds)),
            first_attempt_at=self.first_attempt_at or now,
        )

    def attempted(self, attempt: Attempt, outcome: Outcome, jitter: float, *, scale: float = 1.0) -> Delivery:
        """The delivery after an attempt: delivered, or pending its retry, or failed when given up."""
        attempts = (*self.attempts, attempt)[-ATTEMPTS_KEPT:]
        done = replace(self, attempts=attempts, holder=None, claimed_until=None)
        if outcome is Outcome.DELIVERED:
            return replace(done, status=Status.DELIVERED, next_attempt_at=None)
        if outcome is Outcome.GONE:
            return replace(done, status=Status.FAILED, failures=self.failures + 1, next_attempt_at=None)
        failures = self.failures + 1
        following = after_failure(self.first_attempt_at or attempt.at, failures, attempt.at, jitter, scale=scale)
        if following.at is None:
            return replace(done, status=Status.FAILED, failures=failures, next_attempt_at=None)
        return replace(done, status=Status.PENDING, failures=failures, next_attempt_at=following.at)

    def abandoned(self) -> Delivery:
        """Its endpoint was disabled or deleted: it will not be sent."""
        return replace(self, status=Status.FAILED, next_attempt_at=None, holder=None, claimed_until=None)

    def redelivered(self, now: datetime) -> Delivery:
        """Sent again from now (the customer's `redeliver`), with a fresh 24 hours of retries."""
        return replace(
            self, status=Status.PENDING, next_attempt_at=now, failures=0, first_attempt_at=None,
            holder=None, claimed_until=None,
        )

    def to_doc(self) -> dict[str, Any]:
        def when(moment: datetime | None) -> str | None:
            return format_time(moment) if moment else None

        doc: dict[str, Any] = {
            "_id": PREFIX + self.id,
            "pvt_type": "webhook_delivery",
            "webhook_id": self.webhook_id,
            "event_id": self.event_id,
            "event_type": self.event_type,
            "subject": self.subject,
            "order": self.order,
            "body": self.body,
            "status": self.status.value,
            "created": when(self.created),
            "next_attempt_at": when(self.next_attempt_at),
            "attempts": [a.to_doc() for a in self.attempts],
            "failures": self.failures,
            "first_attempt_at": when(self.first_attempt_at),
            "holder": self.holder,
            "claimed_until": when(self.claimed_until),
        }
        if self.rev is not None:
            doc["_rev"] = self.rev
        return doc

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Delivery:
        def when(key: str) -> datetime | None:
            value = doc.get(key)
            return parse_time(value) if isinstance(value, str) and value else None

        return cls(
            id=str(doc["_id"]).removeprefix(PREFIX),
            webhook_id=doc["webhook_id"],
            event_id=doc["event_id"],
            event_type=doc["event_type"],
            subject=doc["subject"],
            order=doc["order"],
            body=dict(doc.get("body") or {}),
            status=Status(doc.get("status", Status.PENDING.value)),
            created=when("created"),
            next_attempt_at=when("next_attempt_at"),
            attempts=tuple(Attempt.from_doc(a) for a in doc.get("attempts") or ()),
            failures=int(doc.get("failures") or 0),
            first_attempt_at=when("first_attempt_at"),
            holder=doc.get("holder"),
            claimed_until=when("claimed_until"),
            rev=doc.get("_rev"),
        )


def delivery_id(event_id: str, webhook_id: str) -> str:
    """One per (event, endpoint), the same on every replica: a second write of it is a harmless conflict."""
    return f"{event_id}:{webhook_id}"


def order_key(at: datetime, position: int) -> str:
    """Sorts as the feed: by when the reader wrote the page, then by place within the page."""
    return f"{format_time(at)}.{position:06d}"


def heads(deliveries: list[Delivery]) -> list[Delivery]:
    """Of unfinished deliveries in `order`, the first of each subject: the only ones that may be sent."""
    seen: set[str] = set()
    first: list[Delivery] = []
    for delivery in deliveries:
        if delivery.subject not in seen:
            seen.add(delivery.subject)
            first.append(delivery)
    return first


@dataclass
class DeliveryStats:
    """This process's delivery figures, for /metrics: attempts by outcome, and the queues as last seen."""

    outcomes: dict[str, int] = field(default_factory=dict)
    queue_depth: int = 0  # unfinished deliveries in the endpoints' queues (each queue read up to a page)
    oldest_pending_seconds: float = 0.0  # the age of the oldest unfinished delivery seen

    def count(self, outcome: str) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1


def new_delivery(webhook_id: str, body: dict[str, Any], *, subject: str, now: datetime, position: int) -> Delivery:
    """The record of an event for an endpoint, due at once. `body` is the event envelope (id, type, ...)."""
    event = str(body["id"])
    return Delivery(
        id=delivery_id(event, webhook_id), webhook_id=webhook_id, event_id=event, event_type=str(body["type"]),
        subject=subject, order=order_key(now, position), body=body, created=now, next_attempt_at=now,
    )
