"""Port requests: the porting workflow behind `port_in` numbers (issue 13).

A request carries a port from the account's first draft to the cut-over: which numbers, from which
losing carrier, with which authorization, and every step of the way (the transition log). This module
holds every rule of it: the state machine and who may move it, what a complete request is, which numbers
it may hold, what a reader may see of it (the PIN never, admin-only comments only as an admin), and which
documents it accepts. The resolvers load, ask these functions, and save.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from numplane.domain import e164, lifecycle
from numplane.domain.accounts import Account, Relation, relation
from numplane.domain.clock import format_time, parse_time
from numplane.domain.errors import DomainError, ErrorCode
from numplane.domain.history import SYSTEM
from numplane.domain.lifecycle import Decision, DecisionContext
from numplane.domain.numbers import Number
from numplane.domain.states import State
from numplane.domain.text import excerpt
from numplane.domain.transitions import Actor, ensure_active

MAX_NUMBERS = 1000
"""Numbers in one request (Twilio's bound): a larger port is split into several requests."""

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
MAX_COMMENTS = 500
"""Comments one request holds: its document is rewritten on every change and must stay small."""


class PortState(str, Enum):
    UNCONFIRMED = "unconfirmed"  # a draft the account edits freely
    SUBMITTED = "submitted"  # numbers created in port_in; waiting for an admin
    PENDING = "pending"  # sent to the losing carrier
    SCHEDULED = "scheduled"  # the losing carrier confirmed the cut-over time
    COMPLETED = "completed"
    REJECTED = "rejected"  # the account fixes it and resubmits
    CANCELED = "canceled"


P = PortState

FINISHED = frozenset({P.COMPLETED, P.CANCELED})
ACTIVE = frozenset(PortState) - FINISHED
"""A number listed by an active request cannot enter another request."""

EDITABLE = frozenset({P.UNCONFIRMED, P.REJECTED})
WITH_NUMBERS = frozenset({P.SUBMITTED, P.PENDING, P.SCHEDULED})
"""The states in which the request's numbers exist in port_in (created on submission, deleted on rejection
or cancellation, in_service once completed)."""


class Mover(str, Enum):
    ACCOUNT = "the account, its ancestors or admins"
    ADMIN = "admins"
    CUT_OVER = "admins or the cut-over job"


# (from, to) -> who may make the move. Everything else is INVALID_STATE_TRANSITION.
MOVES: dict[tuple[PortState, PortState], Mover] = {
    (P.UNCONFIRMED, P.SUBMITTED): Mover.ACCOUNT,
    (P.REJECTED, P.SUBMITTED): Mover.ACCOUNT,
    (P.SUBMITTED, P.PENDING): Mover.ADMIN,
    (P.PENDING, P.SCHEDULED): Mover.ADMIN,
    (P.SCHEDULED, P.COMPLETED): Mover.CUT_OVER,
    (P.SUBMITTED, P.REJECTED): Mover.ADMIN,
    (P.PENDING, P.REJECTED): Mover.ADMIN,
    (P.SCHEDULED, P.REJECTED): Mover.ADMIN,
    (P.UNCONFIRMED, P.CANCELED): Mover.ACCOUNT,
    (P.SUBMITTED, P.CANCELED): Mover.ACCOUNT,
    (P.PENDING, P.CANCELED): Mover.ACCOUNT,
    (P.REJECTED, P.CANCELED): Mover.ACCOUNT,
    (P.SCHEDULED, P.CANCELED): Mover.ADMIN,  # the carrier has a date: only an admin unwinds that
}


class DocumentKind(str, Enum):
    LETTER_OF_AUTHORIZATION = "letter_of_authorization"
    BILL = "bill"


# Content types recognised by their first bytes, never by what the client claims.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)


class Change(str, Enum):
    """What the latest write of a request did: the kind of its change-feed event."""

    CREATED = "created"
    EDITED = "edited"
    MOVED = "moved"
    COMMENTED = "commented"
    ADMIN_COMMENTED = "admin_commented"  # heard of by admins only
    DOCUMENT_UPLOADED = "document_uploaded"


@dataclass(frozen=True, slots=True)
class LogEntry:
    at: datetime
    from_state: PortState | None
    to_state: PortState
    by: str  # account id, or "system"
    comment: str | None = None

    def to_doc(self) -> dict[str, Any]:
        return {"at": format_time(self.at), "from": self.from_state.value if self.from_state else None,
                "to": self.to_state.value, "by": self.by, "comment": self.comment}

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> LogEntry:
        return cls(at=parse_time(doc["at"]), from_state=PortState(doc["from"]) if doc.get("from") else None,
                   to_state=PortState(doc["to"]), by=doc.get("by") or SYSTEM, comment=doc.get("comment"))


@dataclass(frozen=True, slots=True)
class Comment:
    at: datetime
    by: str
    text: str
    admin_only: bool = False

    def to_doc(self) -> dict[str, Any]:
        return {"at": format_time(self.at), "by": self.by, "text": self.text, "admin_only": self.admin_only}

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Comment:
        return cls(at=parse_time(doc["at"]), by=doc.get("by") or SYSTEM, text=doc.get("text", ""),
                   admin_only=bool(doc.get("admin_only")))


@dataclass(frozen=True, slots=True)
class Document:
    """What is known of an uploaded document; its bytes are the store's attachment named after `kind`."""

    kind: DocumentKind
    filename: str
    content_type: str
    size: int
    uploaded_at: datetime
    uploaded_by: str

    def to_doc(self) -> dict[str, Any]:
        return {"filename": self.filename, "content_type": self.content_type, "size": self.size,
                "uploaded_at": format_time(self.uploaded_at), "uploaded_by": self.uploaded_by}

    @classmethod
    def from_doc(cls, kind: str, doc: Mapping[str, Any]) -> Document:
        return cls(kind=DocumentKind(kind), filename=doc.get("filename", ""), content_type=doc["content_type"],
                   size=int(doc.get("size", 0)), uploaded_at=parse_time(doc["uploaded_at"]),
                   uploaded_by=doc.get("uploaded_by") or SYSTEM)


@dataclass(frozen=True, slots=True)
class Details:
    """What the account fills in (every field optional in a draft; submission requires them)."""

    carrier_name: str | None = None
    carrier_account_number: str | None = None
    carrier_pin: str | None = None  # private: stored, never shown
    billing_name: str | None = None
    service_address: str | None = None
    desired_at: datetime | None = None
    notes: str | None = None


REQUIRED: tuple[tuple[str, str], ...] = (
    ("carrier_name", "losingCarrier.name"),
    ("carrier_account_number", "losingCarrier.accountNumber"),
    ("billing_name", "billingName"),
    ("service_address", "serviceAddress"),
    ("desired_at", "desiredCutOverAt"),
)


@dataclass(frozen=True, slots=True)
class PortRequest:
    id: str
    account: str
    account_tree: tuple[str, ...]  # the account's ancestors plus the account, root first
    state: PortState
    numbers: tuple[str, ...] = ()
    details: Details = field(default_factory=Details)
    scheduled_at: datetime | None = None
    log: tuple[LogEntry, ...] = ()
    comments: tuple[Comment, ...] = ()
    documents: tuple[Document, ...] = ()
    rejections: dict[str, str] = field(default_factory=dict)  # number -> reason, from the last rejection
    last_change: Change = Change.CREATED
    created: datetime | None = None
    modified: datetime | None = None
    rev: str | None = None
    attachments: dict[str, Any] = field(default_factory=dict)  # the store's attachment stubs, kept on save

    @property
    def account_ancestors(self) -> tuple[str, ...]:
        return self.account_tree[:-1]

    @property
    def pin_set(self) -> bool:
        return bool(self.details.carrier_pin)

    def document(self, kind: DocumentKind) -> Document | None:
        return next((d for d in self.documents if d.kind is kind), None)

    def with_changes(self, **changes: Any) -> PortRequest:
        return replace(self, **changes)

    def to_doc(self) -> dict[str, Any]:
        d = self.details
        doc: dict[str, Any] = {
            "_id": self.id,
            "pvt_type": "port_request",
            "pvt_account_id": self.account,
            "pvt_account_tree": list(self.account_tree),
            "pvt_state": self.state.value,
            "numbers": list(self.numbers),
            "losing_carrier": {"name": d.carrier_name, "account_number": d.carrier_account_number},
            "pvt_carrier_pin": d.carrier_pin,
            "billing_name": d.billing_name,
            "service_address": d.service_address,
            "desired_cut_over_at": format_time(d.desired_at) if d.desired_at else None,
            "notes": d.notes,
            "pvt_scheduled_at": format_time(self.scheduled_at) if self.scheduled_at else None,
            "pvt_log": [e.to_doc() for e in self.log],
            "pvt_comments": [c.to_doc() for c in self.comments],
            "pvt_documents": {doc.kind.value: doc.to_doc() for doc in self.documents},
            "pvt_rejections": dict(self.rejections),
            "pvt_last_change": self.last_change.value,
            "pvt_created": format_time(self.created) if self.created else None,
            "pvt_modified": format_time(self.modified) if self.modified else None,
        }
        if self.rev:
            doc["_rev"] = self.rev
        if self.attachments:
            doc["_attachments"] = dict(self.attachments)
        return doc

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> PortRequest:
        carrier = doc.get("losing_carrier") or {}

        def when(key: str) -> datetime | None:
            value = doc.get(key)
            return parse_time(value) if isinstance(value, str) and value else None

        return cls(
            id=doc["_id"], account=doc["pvt_account_id"], account_tree=tuple(doc.get("pvt_account_tree") or ()),
            state=PortState(doc["pvt_state"]), numbers=tuple(doc.get("numbers") or ()),
            details=Details(
                carrier_name=carrier.get("name"), carrier_account_number=carrier.get("account_number"),
                carrier_pin=doc.get("pvt_carrier_pin"), billing_name=doc.get("billing_name"),
                service_address=doc.get("service_address"), desired_at=when("desired_cut_over_at"),
                notes=doc.get("notes"),
            ),
            scheduled_at=when("pvt_scheduled_at"),
            log=tuple(LogEntry.from_doc(e) for e in doc.get("pvt_log") or ()),
            comments=tuple(Comment.from_doc(c) for c in doc.get("pvt_comments") or ()),
            documents=tuple(Document.from_doc(k, v) for k, v in (doc.get("pvt_documents") or {}).items()),
            rejections=dict(doc.get("pvt_rejections") or {}),
            last_change=Change(doc.get("pvt_last_change") or Change.EDITED.value),
            created=when("pvt_created"), modified=when("pvt_modified"), rev=doc.get("_rev"),
            attachments=dict(doc.get("_attachments") or {}),
        )


# -- reading -----------------------------------------------------------------------------------------


def can_see(request: PortRequest, viewer: Account, *, is_admin: bool) -> bool:
    """Like a number (SPEC §3.5): the account, its ancestors and admins. Others get NOT_FOUND."""
    if is_admin:
        return True
    return relation(viewer, request.account, request.account_ancestors) in (Relation.SAME, Relation.ANCESTOR)


def hears_of(request: PortRequest, viewer: Account, *, is_admin: bool) -> bool:
    """Who receives a request's change-feed event: those who can see it, except that an admin-only
    comment is news for admins only (its mere existence is not the account's to know)."""
    if request.last_change is Change.ADMIN_COMMENTED and not is_admin:
        return False
    return can_see(request, viewer, is_admin=is_admin)


def visible_comments(request: PortRequest, *, is_admin: bool) -> tuple[Comment, ...]:
    return request.comments if is_admin else tuple(c for c in request.comments if not c.admin_only)


def not_found(request_id: str) -> DomainError:
    return DomainError(ErrorCode.NOT_FOUND, f"No port request {excerpt(request_id)} that you can see.")


def ensure_visible(request: PortRequest | None, request_id: str, actor: Actor) -> PortRequest:
    if request is None or (actor.account is not None and not can_see(request, actor.account,
                                                                       is_admin=actor.is_admin)):
        raise not_found(request_id)
    return request


# -- numbers -----------------------------------------------------------------------------------------


def normalize_numbers(numbers: Sequence[str], region: str) -> tuple[list[str], list[DomainError]]:
    """The distinct good numbers in input order, and one error per bad or repeated entry."""
    if len(numbers) > MAX_NUMBERS:
        raise DomainError(
            ErrorCode.LIMIT_EXCEEDED, f"{len(numbers)} numbers in one port request; the limit is {MAX_NUMBERS}. "
            "Split the port into several requests.", field=("numbers",),
        )
    good: list[str] = []
    seen: set[str] = set()
    errors: list[DomainError] = []
    for text in numbers:
        try:
            number = e164.normalize(text, region)
        except DomainError as error:
            errors.append(error.for_number(excerpt(text)))
            continue
        if number in seen:
            errors.append(DomainError(ErrorCode.INVALID_FIELD, f"{number} is listed twice.", number=number,
                                      field=("numbers",)))
            continue
        seen.add(number)
        good.append(number)
    return good, errors


CLAIM_GRACE = timedelta(minutes=1)
"""How long a claim holds its number while the request it names does not list it: a request claims its
numbers before its document lists them (a new draft is saved, an edit's list is saved, after the claims),
so a racer that reads the claim in between must not take it over; far longer than a save takes."""


def held_elsewhere(
    number: str, request_id: str, holder: PortRequest | None, claimed_at: datetime | None, now: datetime
) -> bool:
    """True when the number's claim, naming `holder` and made at `claimed_at`, keeps `request_id` from it.

    A claim named by another active request listing the number holds it. So does a young claim whose
    request is not saved yet or does not list the number yet. A claim left by a finished request, or by a
    write that never completed (older than the grace), holds nothing."""
    if holder is not None and holder.id == request_id:
        return False
    if holder is not None and holder.state not in ACTIVE:
        return False
    if holder is not None and number in holder.numbers:
        return True
    return claimed_at is not None and now - claimed_at < CLAIM_GRACE


def in_other_request(number: str) -> DomainError:
    return DomainError(
        ErrorCode.NUMBER_EXISTS, f"{number} is already in another active port request.", number=number,
        field=("numbers",),
    )


# -- changes -----------------------------------------------------------------------------------------


def _check_text(value: str | None, where: str, limit: int = 1000) -> None:
    """`where` is the input field as the client wrote it (camelCase, dotted into nested inputs)."""
    if value is not None and len(value) > limit:
        raise DomainError(ErrorCode.INVALID_FIELD, f"{where}: at most {limit} characters.",
                          field=tuple(where.split(".")))


def ensure_account_side(request: PortRequest, actor: Actor, action: str) -> None:
    """Edits, comments and documents come from the account (or an ancestor) and admins: whoever may see the
    request is one of those. The system (the cut-over job) only completes, never writes on anyone's behalf."""
    ensure_active(actor)
    if actor.account is None:
        raise DomainError(ErrorCode.FORBIDDEN, f"Only the account or admins can {action}.")


def create(request_id: str, owner: Account, actor: Actor, details: Details, numbers: Sequence[str],
           now: datetime) -> PortRequest:
    """A new draft for `owner` (the requester or an account in its tree)."""
    ensure_active(actor)
    if not (actor.is_admin or (actor.account is not None and actor.account.controls(owner.id, owner.tree))):
        raise DomainError(ErrorCode.FORBIDDEN, "You can port numbers only into your own account or one of its "
                          "sub-accounts.", field=("accountId",))
    _check_details(details)
    by = actor.account.id if actor.account else SYSTEM
    return PortRequest(
        id=request_id, account=owner.id, account_tree=owner.lineage, state=P.UNCONFIRMED, numbers=tuple(numbers),
        details=details, log=(LogEntry(now, None, P.UNCONFIRMED, by),), created=now, modified=now,
    )


def update(request: PortRequest, actor: Actor, details: Details, numbers: Sequence[str] | None,
           now: datetime) -> PortRequest:
    """Edit a draft or a rejected request; fields left None keep their value."""
    ensure_account_side(request, actor, "edit a port request")
    if request.state not in EDITABLE:
        raise DomainError(
            ErrorCode.INVALID_STATE_TRANSITION,
            f"A port request is edited only while unconfirmed or rejected; this one is {request.state.value}.",
        )
    _check_details(details)
    merged = Details(**{
        name: getattr(details, name) if getattr(details, name) is not None else getattr(request.details, name)
        for name in Details.__dataclass_fields__
    })
    changed = request.with_changes(details=merged, modified=now, last_change=Change.EDITED)
    if numbers is not None:
        changed = changed.with_changes(numbers=tuple(numbers))
    return changed


def _check_details(details: Details) -> None:
    for name, where in (("carrier_name", "losingCarrier.name"), ("carrier_account_number",
                        "losingCarrier.accountNumber"), ("carrier_pin", "losingCarrier.pin"),
                        ("billing_name", "billingName")):
        _check_text(getattr(details, name), where, 200)
    _check_text(details.service_address, "serviceAddress")
    _check_text(details.notes, "notes")


def missing_fields(request: PortRequest) -> list[str]:
    missing = [where for name, where in REQUIRED if not getattr(request.details, name)]
    if not request.numbers:
        missing.append("numbers")
    if request.document(DocumentKind.LETTER_OF_AUTHORIZATION) is None:
        missing.append("documents.letterOfAuthorization")
    return missing


def allowed_moves(state: PortState) -> list[PortState]:
    return [to for (frm, to) in MOVES if frm is state]


def move(
    request: PortRequest,
    to: PortState,
    actor: Actor,
    now: datetime,
    *,
    comment: str | None = None,
    scheduled_at: datetime | None = None,
    rejections: Mapping[str, str] | None = None,
) -> PortRequest:
    """One step of the workflow, with its log entry; the resolver then runs the step's effect on the
    numbers (create on submission, delete on rejection or cancellation, complete on completion)."""
    ensure_active(actor)
    mover = MOVES.get((request.state, to))
    if mover is None:
        allowed = ", ".join(s.value for s in allowed_moves(request.state)) or "none: it is finished"
        raise DomainError(
            ErrorCode.INVALID_STATE_TRANSITION,
            f"A {request.state.value} port request cannot become {to.value}; allowed: {allowed}.",
        )
    if not actor.is_admin and mover is not Mover.ACCOUNT:
        raise DomainError(ErrorCode.FORBIDDEN, f"Only {mover.value} can move a port request to {to.value}.")
    if actor.account is None and mover is not Mover.CUT_OVER:
        raise DomainError(ErrorCode.FORBIDDEN, f"Only {mover.value} can move a port request to {to.value}.")
    _check_text(comment, "comment")
    changes: dict[str, Any] = {}
    if to is P.SUBMITTED:
        missing = missing_fields(request)
        if missing:
            raise DomainError(ErrorCode.INVALID_FIELD, f"The port request is incomplete: {', '.join(missing)}.",
                              field=tuple(missing[0].split(".")))
        changes["rejections"] = {}
    if to is P.SCHEDULED:
        if scheduled_at is None:
            raise DomainError(ErrorCode.INVALID_FIELD, "Scheduling needs the confirmed cut-over time.",
                              field=("scheduledAt",))
        changes["scheduled_at"] = scheduled_at
    if to is P.REJECTED:
        changes["rejections"] = _rejections(request, rejections or {}, comment)
    by = actor.account.id if actor.account else SYSTEM
    entry = LogEntry(now, request.state, to, by, comment)
    return request.with_changes(state=to, log=(*request.log, entry), modified=now, last_change=Change.MOVED,
                                **changes)


def _rejections(request: PortRequest, reasons: Mapping[str, str], comment: str | None) -> dict[str, str]:
    unknown = sorted(set(reasons) - set(request.numbers))
    if unknown:
        raise DomainError(ErrorCode.INVALID_FIELD, f"{excerpt(unknown[0])} is not in this port request.",
                          number=excerpt(unknown[0]), field=("rejections",))
    if not reasons and not comment:
        raise DomainError(ErrorCode.INVALID_FIELD, "A rejection needs a reason: a comment or one per number.",
                          field=("comment",))
    for reason in reasons.values():
        _check_text(reason, "rejections.reason")
    return dict(reasons)


def due(request: PortRequest, now: datetime) -> bool:
    """A scheduled request whose cut-over time has passed: the cut-over job completes it."""
    return request.state is P.SCHEDULED and request.scheduled_at is not None and request.scheduled_at <= now


def comment(request: PortRequest, actor: Actor, text: str, *, admin_only: bool, now: datetime) -> PortRequest:
    ensure_account_side(request, actor, "comment on a port request")
    if admin_only and not actor.is_admin:
        raise DomainError(ErrorCode.FORBIDDEN, "Only admins write admin-only comments.", field=("adminOnly",))
    if not text.strip():
        raise DomainError(ErrorCode.INVALID_FIELD, "A comment needs text.", field=("text",))
    _check_text(text, "text")
    if len(request.comments) >= MAX_COMMENTS:
        raise DomainError(ErrorCode.LIMIT_EXCEEDED, f"A port request holds at most {MAX_COMMENTS} comments.")
    by = actor.account.id if actor.account else SYSTEM
    return request.with_changes(
        comments=(*request.comments, Comment(now, by, text, admin_only)), modified=now,
        last_change=Change.ADMIN_COMMENTED if admin_only else Change.COMMENTED,
    )


# -- documents ---------------------------------------------------------------------------------------


def content_type_of(data: bytes) -> str | None:
    return next((kind for magic, kind in _MAGIC if data.startswith(magic)), None)


def attach(request: PortRequest, actor: Actor, kind: DocumentKind, filename: str, data: bytes,
           now: datetime) -> Document:
    """The record of a new document (replacing one of the same kind), once its bytes pass the checks."""
    ensure_account_side(request, actor, "upload port documents")
    if request.state in FINISHED:
        raise DomainError(ErrorCode.INVALID_STATE_TRANSITION,
                          f"A {request.state.value} port request takes no more documents.")
    if len(data) > MAX_DOCUMENT_BYTES:
        raise DomainError(ErrorCode.LIMIT_EXCEEDED,
                          f"The document is {len(data)} bytes; the limit is {MAX_DOCUMENT_BYTES} (10 MiB).",
                          field=("file",))
    content_type = content_type_of(data)
    if content_type is None:
        raise DomainError(ErrorCode.INVALID_FIELD, "Upload a PDF, PNG or JPEG file (checked by its content).",
                          field=("file",))
    _check_text(filename, "filename", 200)
    by = actor.account.id if actor.account else SYSTEM
    return Document(kind, filename or kind.value, content_type, len(data), now, by)


def with_document(request: PortRequest, document: Document, now: datetime) -> PortRequest:
    kept = tuple(d for d in request.documents if d.kind is not document.kind)
    return request.with_changes(documents=(*kept, document), modified=now, last_change=Change.DOCUMENT_UPLOADED)


# -- the request's numbers -----------------------------------------------------------------------------


def port_in_number(
    number: Number | None, e164_id: str, request_id: str, owner: Account, ctx: DecisionContext
) -> Decision:
    """Submission creates the number in port_in for the request's account, through the lifecycle's own
    rules (good standing, NUMBER_EXISTS), carrying the request's id. A resubmission finds the numbers it
    created before still in port_in and leaves them as they are."""
    if number is not None and number.state is State.PORT_IN and number.port_request == request_id:
        return Decision(number, write=False)
    if number is not None and number.state is not State.DELETED:
        raise DomainError(ErrorCode.NUMBER_EXISTS, f"{e164_id} already exists ({number.state.value}); a port "
                          "brings in only numbers the system does not hold.", number=e164_id)
    created = lifecycle.create(e164_id, State.PORT_IN, ctx, owner, module="local").number
    return Decision(created.with_changes(port_request=request_id, rev=number.rev if number else None))


def complete_number(number: Number, request_id: str, ctx: DecisionContext) -> Decision:
    """port_in -> in_service, exactly once: a number no longer in port_in was completed already (by its
    first call, or by another path that got there first, maybe since moved on) and is left as it is. That
    makes completing a request's numbers safe to repeat, which resuming a completion relies on."""
    if number.port_request != request_id or number.state is not State.PORT_IN:
        return Decision(number, write=False)
    return lifecycle.complete_port_in(number, ctx)


def withdraw_number(number: Number, request_id: str, ctx: DecisionContext) -> Decision:
    """Rejection and cancellation delete the request's port_in numbers, as cancelPortIn does."""
    if number.port_request != request_id or number.state is not State.PORT_IN:
        return Decision(number, write=False)
    return lifecycle.cancel_port_in(number, ctx)


def shown_account(request: PortRequest, account_id: str, *, is_admin: bool) -> str | None:
    """Who made a step or a comment, as a reader of the request may see it (SPEC §3.5): the request's
    account and its ancestors are in every reader's view; any other account (an admin's) only in admins'."""
    if is_admin or account_id == SYSTEM or account_id in request.account_tree:
        return account_id
    return None
