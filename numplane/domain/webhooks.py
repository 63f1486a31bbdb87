"""Webhook endpoints (issue 12): who manages them, what each one hears, and the event it is sent.

An endpoint belongs to an account and hears exactly what a `numberChanged` subscriber of that account
with the same filter would: a change of a number the account could see before or after it (deletions
once, to those who could see the number before). The body tells the number as that account may see it.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from numplane.domain.accounts import Account
from numplane.domain.clock import format_time, parse_time
from numplane.domain.errors import DomainError, ErrorCode
from numplane.domain.numbers import Number
from numplane.domain.port_requests import PortRequest, hears_of
from numplane.domain.states import State
from numplane.domain.text import MAX_NAME, check_text
from numplane.domain.visibility import can_see_account, can_see_after_change, could_see_change, with_owner_lineage

SECRET_PREFIX = "whsec_"
ROTATION_OVERLAP = timedelta(hours=24)
"""After a rotation the old secret keeps signing beside the new one this long, so receivers can switch
over without losing a delivery."""


class EventType(str, Enum):
    """What happened. Receivers must ignore types they do not know: more are added (port requests)."""

    NUMBER_CHANGED = "number.changed"
    NUMBER_DELETED = "number.deleted"
    PORT_REQUEST_CHANGED = "port_request.changed"
    TEST = "webhook.test"


@dataclass(frozen=True, slots=True)
class EventFilter:
    """As `NumberChangeFilter`: numbers owned (before or after) by `account_id` (and its descendants),
    in `states` (before or after). Empty: everything the endpoint's account may hear of."""

    account_id: str | None = None
    include_descendants: bool = True
    states: tuple[State, ...] = ()

    def to_doc(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "include_descendants": self.include_descendants,
            "states": [s.value for s in self.states],
        }

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any] | None) -> EventFilter:
        doc = doc or {}
        return cls(
            account_id=doc.get("account_id") or None,
            include_descendants=bool(doc.get("include_descendants", True)),
            states=tuple(State(s) for s in doc.get("states") or ()),
        )


@dataclass(frozen=True, slots=True)
class SigningSecret:
    secret: str
    retires_at: datetime | None = None  # None: the current secret


@dataclass(frozen=True, slots=True)
class Endpoint:
    id: str
    account_id: str
    account_tree: tuple[str, ...]  # the account's ancestors, root first: who else may manage it
    url: str
    description: str = ""
    filter: EventFilter = field(default_factory=EventFilter)
    enabled: bool = True
    disabled_reason: str | None = None
    secrets: tuple[SigningSecret, ...] = ()  # the current one first
    created: datetime | None = None
    failing_since: datetime | None = None  # the first failure since the last success
    rev: str | None = None

    def signing_secrets(self, now: datetime) -> list[str]:
        return [s.secret for s in self.secrets if s.retires_at is None or s.retires_at > now]

    def rotated(self, new_secret: str, now: datetime) -> Endpoint:
        """The new secret signs from now on; the current one beside it for ROTATION_OVERLAP. Older retiring
        secrets are dropped: two rotations within a day leave only the last two secrets."""
        current = [s for s in self.secrets if s.retires_at is None]
        kept = tuple(SigningSecret(s.secret, now + ROTATION_OVERLAP) for s in current)
        return replace(self, secrets=(SigningSecret(new_secret), *kept))

    def to_doc(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "_id": doc_id(self.id),
            "pvt_type": "webhook",
            "account_id": self.account_id,
            "account_tree": list(self.account_tree),
            "url": self.url,
            "description": self.description,
            "filter": self.filter.to_doc(),
            "enabled": self.enabled,
            "disabled_reason": self.disabled_reason,
            "secrets": [
                {"secret": s.secret, "retires_at": format_time(s.retires_at) if s.retires_at else None}
                for s in self.secrets
            ],
            "created": format_time(self.created) if self.created else None,
            "failing_since": format_time(self.failing_since) if self.failing_since else None,
        }
        if self.rev is not None:
            doc["_rev"] = self.rev
        return doc

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Endpoint:
        def when(value: Any) -> datetime | None:
            return parse_time(value) if isinstance(value, str) and value else None

        return cls(
            id=str(doc["_id"]).removeprefix(DOC_PREFIX),
            account_id=doc["account_id"],
            account_tree=tuple(doc.get("account_tree") or ()),
            url=doc["url"],
            description=doc.get("description") or "",
            filter=EventFilter.from_doc(doc.get("filter")),
            enabled=bool(doc.get("enabled", True)),
            disabled_reason=doc.get("disabled_reason"),
            secrets=tuple(SigningSecret(s["secret"], when(s.get("retires_at"))) for s in doc.get("secrets") or ()),
            created=when(doc.get("created")),
            failing_since=when(doc.get("failing_since")),
            rev=doc.get("_rev"),
        )


DOC_PREFIX = "webhook:"


def doc_id(endpoint_id: str) -> str:
    return DOC_PREFIX + endpoint_id


def format_secret(raw: bytes) -> str:
    """The Standard Webhooks form of a secret: `whsec_` and the key in base64."""
    return SECRET_PREFIX + base64.b64encode(raw).decode()


# -- who manages endpoints ---------------------------------------------------------------------------


def ensure_may_manage_for(
    requester: Account, *, is_admin: bool, account_id: str, account_tree: tuple[str, ...]
) -> None:
    """Users manage their own account's and its descendants' endpoints; admins every account's."""
    if not (is_admin or requester.controls(account_id, account_tree)):
        raise DomainError(
            ErrorCode.FORBIDDEN, "You can manage webhooks only of your account or its sub-accounts.",
            field=("accountId",),
        )


def may_manage(requester: Account, endpoint: Endpoint, *, is_admin: bool) -> bool:
    """Another tree's endpoint does not exist for the requester (NOT_FOUND, never FORBIDDEN)."""
    return is_admin or requester.controls(endpoint.account_id, endpoint.account_tree)


def ensure_room(existing: int, limit: int) -> None:
    if existing >= limit:
        raise DomainError(
            ErrorCode.LIMIT_EXCEEDED,
            f"An account may have at most {limit} webhooks; delete one or put several filters' numbers in one.",
        )


def check_description(description: str) -> str:
    if description:
        check_text(description, ("description",), limit=MAX_NAME)
    return description


# -- what an endpoint hears --------------------------------------------------------------------------


def receives(
    endpoint: Endpoint,
    viewer: Account,
    number: Number,
    before: Number | None,
    ancestors: Mapping[str, tuple[str, ...]],
) -> bool:
    """The endpoint is enabled, the change passes its filter, and its account could see the number before
    or after the change (the `numberChanged` rule). The root account's endpoints hear everything."""
    if not endpoint.enabled:
        return False
    wanted = endpoint.filter
    if wanted.states and number.state not in wanted.states and (before is None or before.state not in wanted.states):
        return False
    if wanted.account_id is not None and not (
        _owned_by(number, wanted.account_id, wanted.include_descendants)
        or _owned_by(before, wanted.account_id, wanted.include_descendants)
    ):
        return False
    return could_see_change(number, before, viewer, is_admin=viewer.is_admin, ancestors=ancestors)


def _owned_by(number: Number | None, account_id: str, include_descendants: bool) -> bool:
    if number is None or number.owner is None:
        return False
    return number.owner == account_id or (include_descendants and account_id in number.assigned_tree)


def event_id(number: Number) -> str:
    """The same on every replica (the number and its revision), so two replicas reading one change write
    one delivery per endpoint, never two."""
    return f"evt_{number.e164.lstrip('+')}_{number.rev or '0'}"


def event_type(deleted: bool) -> EventType:
    return EventType.NUMBER_DELETED if deleted else EventType.NUMBER_CHANGED


def number_event(
    number: Number,
    before: Number | None,
    viewer: Account,
    ancestors: Mapping[str, tuple[str, ...]],
    *,
    deleted: bool,
    at: datetime,
) -> dict[str, Any]:
    """The body of a number event for this viewer (a receiver that may call `receives`). The number's
    details only when the viewer may see it after the change; a deletion or a number that left the
    viewer's sight tells only the number, its state and the state before."""
    admin = viewer.is_admin
    visible = not deleted and can_see_after_change(number, viewer, is_admin=admin, ancestors=ancestors)
    shown: dict[str, Any] = {
        "e164": number.e164,
        "state": State.DELETED.value if deleted else number.state.value,
        "previousState": before.state.value if before is not None else None,
        "revision": number.rev,
    }
    if visible:
        trees = with_owner_lineage(number, ancestors)
        owner = number.owner
        shown["owner"] = owner if owner and can_see_account(viewer, owner, trees.get(owner), is_admin=admin) else None
        shown["publicFields"] = dict(number.public)
        shown["features"] = dict(number.features)
    return {
        "id": event_id(number),
        "type": event_type(deleted).value,
        "timestamp": format_time(at),
        "data": {"number": shown},
    }


# -- port request events -----------------------------------------------------------------------------


def receives_port(endpoint: Endpoint, viewer: Account, request: PortRequest) -> bool:
    """The endpoint is enabled, its account hears of the change (`portRequestChanged`'s rule: the request's
    account, its ancestors and admins; an admin-only comment admins only), and its filter allows it. A
    filter's account applies to the request's account (and its descendants when asked); a filter naming
    number states is about numbers only, so its endpoint hears no port events."""
    if not endpoint.enabled or endpoint.filter.states:
        return False
    wanted = endpoint.filter.account_id
    if wanted is not None and not (
        request.account == wanted or (endpoint.filter.include_descendants and wanted in request.account_tree)
    ):
        return False
    return hears_of(request, viewer, is_admin=viewer.is_admin)


def port_event_id(request: PortRequest) -> str:
    """The request and its revision: the same on every replica, as a number event's id."""
    return f"evt_port_{request.id}_{request.rev or '0'}"


def port_event(request: PortRequest, at: datetime) -> dict[str, Any]:
    """The body of a port request event, for a receiver that `receives_port`: what every reader of the
    request may see of it (never the PIN, nor any comment: a comment's text is read through the API,
    where admin-only ones stay hidden from the account)."""
    shown = {
        "id": request.id,
        "account": request.account,
        "state": request.state.value,
        "numbers": list(request.numbers),
        "scheduledCutOverAt": format_time(request.scheduled_at) if request.scheduled_at else None,
        "change": request.last_change.value,
        "revision": request.rev,
    }
    return {
        "id": port_event_id(request),
        "type": EventType.PORT_REQUEST_CHANGED.value,
        "timestamp": format_time(at),
        "data": {"portRequest": shown},
    }


def test_event(endpoint: Endpoint, event: str, at: datetime) -> dict[str, Any]:
    """What `sendTestEvent` sends: the same envelope, so a receiver's verification is exercised whole."""
    return {"id": event, "type": EventType.TEST.value, "timestamp": format_time(at), "data": {"webhookId": endpoint.id}}
