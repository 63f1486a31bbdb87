"""GraphQL types of port requests (issue 13), built by `from_domain` like the types of numbers.

What a reader may not see never leaves here: the PIN is only `pinSet`, admin-only comments reach admins
only, and accounts named in the log and comments outside the request's lineage are null for non-admins.
Documents are not inlined: `downloadUrl` names the authenticated route that serves their bytes.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

import strawberry

from numplane.domain import port_requests as domain
from numplane.domain.port_requests import Change, DocumentKind, PortState
from numplane.resolvers.paging import Page
from numplane.schema.context import Info
from numplane.schema.types import Account, Loaded, PageInfo, loaded_field, visible_account

strawberry.enum(PortState, name="PortRequestState")
PortRequestState = PortState  # the domain enum is the GraphQL enum

strawberry.enum(DocumentKind, name="PortDocumentKind")
PortDocumentKind = DocumentKind

strawberry.enum(Change, name="PortRequestChangeKind")
PortRequestChangeKind = Change

DOWNLOAD_PATH = "/port-documents"


def download_url(request_id: str, kind: DocumentKind) -> str:
    """Where the document's bytes are served (numplane.web.port_documents), with the caller's API key."""
    return f"{DOWNLOAD_PATH}/{quote(request_id, safe='')}/{kind.value}"


@strawberry.type
class LosingCarrier:
    name: str | None
    account_number: str | None
    pin_set: bool  # the PIN itself is never returned


@strawberry.type
class PortTransition:
    at: datetime
    from_: PortState | None = strawberry.field(name="from")
    to: PortState
    by: str | None  # account id, "system", or null when the reader may not see that account
    comment: str | None


@strawberry.type
class PortComment:
    at: datetime
    by: str | None
    text: str
    admin_only: bool


@strawberry.type
class PortDocument:
    kind: DocumentKind
    filename: str
    content_type: str
    size: int
    uploaded_at: datetime
    download_url: str


@strawberry.type
class PortRejection:
    number: str
    reason: str


@strawberry.type
class PortRequest:
    request_id: str
    account_id: str
    state: PortState
    numbers: list[str]
    losing_carrier: LosingCarrier
    billing_name: str | None
    service_address: str | None
    desired_cut_over_at: datetime | None
    scheduled_at: datetime | None
    notes: str | None
    rejections: list[PortRejection]
    revision: str
    created_at: datetime | None
    modified_at: datetime | None
    request: strawberry.Private[domain.PortRequest]

    @classmethod
    def from_domain(cls, r: domain.PortRequest) -> PortRequest:
        d = r.details
        return cls(
            request_id=r.id, account_id=r.account, state=r.state, numbers=list(r.numbers),
            losing_carrier=LosingCarrier(name=d.carrier_name, account_number=d.carrier_account_number,
                                         pin_set=r.pin_set),
            billing_name=d.billing_name, service_address=d.service_address, desired_cut_over_at=d.desired_at,
            scheduled_at=r.scheduled_at, notes=d.notes,
            rejections=[PortRejection(number=n, reason=why) for n, why in sorted(r.rejections.items())],
            revision=r.rev or "", created_at=r.created, modified_at=r.modified, request=r,
        )

    @loaded_field(Account | None)
    def account(self, info: Info) -> Loaded[Account | None]:
        return visible_account(info, self.request.account)

    @strawberry.field
    def log(self, info: Info) -> list[PortTransition]:
        admin = info.context.requester.is_admin
        return [
            PortTransition(at=e.at, from_=e.from_state, to=e.to_state, comment=e.comment,
                           by=domain.shown_account(self.request, e.by, is_admin=admin))
            for e in self.request.log
        ]

    @strawberry.field
    def comments(self, info: Info) -> list[PortComment]:
        admin = info.context.requester.is_admin
        return [
            PortComment(at=c.at, text=c.text, admin_only=c.admin_only,
                        by=domain.shown_account(self.request, c.by, is_admin=admin))
            for c in domain.visible_comments(self.request, is_admin=admin)
        ]

    @strawberry.field
    def documents(self) -> list[PortDocument]:
        return [
            PortDocument(kind=d.kind, filename=d.filename, content_type=d.content_type, size=d.size,
                         uploaded_at=d.uploaded_at, download_url=download_url(self.request.id, d.kind))
            for d in sorted(self.request.documents, key=lambda d: d.kind.value)
        ]

    @strawberry.field
    def allowed_moves(self) -> list[PortState]:
        return domain.allowed_moves(self.request.state)


@strawberry.type
class PortRequestEdge:
    cursor: str
    node: PortRequest


@strawberry.type
class PortRequestConnection:
    edges: list[PortRequestEdge]
    page_info: PageInfo

    @classmethod
    def from_page(cls, page: Page[domain.PortRequest]) -> PortRequestConnection:
        return cls(
            edges=[PortRequestEdge(cursor=c, node=PortRequest.from_domain(r))
                   for r, c in zip(page.items, page.cursors, strict=True)],
            page_info=PageInfo(has_next_page=page.has_next, end_cursor=page.end_cursor),
        )


@strawberry.type
class PortRequestChange:
    """An event of the change feed beside number changes: what the latest write of a request did."""

    cursor: str
    change: Change
    port_request: PortRequest
