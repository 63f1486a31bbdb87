"""Port request inputs, payload, and the query and mutation fields (mixed into the roots)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

import strawberry
from strawberry.file_uploads import Upload

from numplane.domain.errors import DomainError, ErrorCode
from numplane.domain.port_requests import Details, DocumentKind, PortState
from numplane.domain.port_requests import PortRequest as DomainPortRequest
from numplane.resolvers import port_requests
from numplane.resolvers.port_requests import Outcome
from numplane.schema.context import Info
from numplane.schema.errors import UserError, or_none_if_missing, or_query_error, or_user_errors, user_error
from numplane.schema.port_types import PortRequest, PortRequestConnection
from numplane.schema.query import ensure_reader


@strawberry.input
class LosingCarrierInput:
    name: str | None = None
    account_number: str | None = None
    pin: str | None = None  # write-only: never returned


@strawberry.input
class CreatePortRequestInput:
    numbers: list[str]
    account_id: str | None = None
    losing_carrier: LosingCarrierInput | None = None
    billing_name: str | None = None
    service_address: str | None = None
    desired_cut_over_at: datetime | None = None
    notes: str | None = None


@strawberry.input(description="draft or rejected requests only; fields left out keep their value")
class UpdatePortRequestInput:
    id: str
    expected_revision: str | None = None
    numbers: list[str] | None = None  # replaces the list
    losing_carrier: LosingCarrierInput | None = None
    billing_name: str | None = None
    service_address: str | None = None
    desired_cut_over_at: datetime | None = None
    notes: str | None = None


@strawberry.input
class PortRequestActionInput:
    id: str
    comment: str | None = None
    expected_revision: str | None = None


@strawberry.input
class PortRejectionInput:
    number: str
    reason: str


@strawberry.input(description="admins: pending, scheduled (with scheduledAt), completed, rejected, canceled")
class MovePortRequestInput:
    id: str
    to: PortState
    comment: str | None = None
    scheduled_at: datetime | None = None
    rejections: list[PortRejectionInput] | None = None
    expected_revision: str | None = None


@strawberry.input
class AddPortCommentInput:
    id: str
    text: str
    admin_only: bool = False


@strawberry.input(description="multipart request (GraphQL multipart request spec); PDF, PNG or JPEG, <= 10 MiB")
class UploadPortDocumentInput:
    id: str
    kind: DocumentKind
    file: Upload


@strawberry.type
class PortRequestPayload:
    port_request: PortRequest | None
    user_errors: list[UserError]


def _details(i: CreatePortRequestInput | UpdatePortRequestInput) -> Details:
    carrier = i.losing_carrier or LosingCarrierInput()
    return Details(
        carrier_name=carrier.name, carrier_account_number=carrier.account_number, carrier_pin=carrier.pin,
        billing_name=i.billing_name, service_address=i.service_address, desired_at=i.desired_cut_over_at,
        notes=i.notes,
    )


async def _payload(action: Callable[[], Awaitable[Outcome | DomainPortRequest]]) -> PortRequestPayload:
    result = await or_user_errors(action)
    if isinstance(result, list):
        return PortRequestPayload(port_request=None, user_errors=result)
    outcome = result if isinstance(result, Outcome) else Outcome(result)
    node = PortRequest.from_domain(outcome.request) if outcome.request is not None else None
    return PortRequestPayload(port_request=node, user_errors=[user_error(e) for e in outcome.errors])


async def _read_upload(file: Upload) -> tuple[str, bytes]:
    """(filename, bytes) of a multipart file part; anything else in the variable is refused."""
    read = getattr(file, "read", None)
    if read is None:
        raise DomainError(ErrorCode.INVALID_FIELD, "Send the file as a multipart upload.", field=("file",))
    data = await read()
    return str(getattr(file, "filename", "") or ""), bytes(data)


@strawberry.type
class PortQuery:
    @strawberry.field
    async def port_request(self, info: Info, id: str) -> PortRequest | None:
        ensure_reader(info)
        found = await or_none_if_missing(
            port_requests.get_port_request(info.context.services, info.context.requester, id)
        )
        return PortRequest.from_domain(found) if found is not None else None

    @strawberry.field
    async def port_requests(
        self, info: Info, account_id: str | None = None, states: list[PortState] | None = None,
        first: int | None = 50, after: str | None = None,
    ) -> PortRequestConnection:
        ensure_reader(info)
        page = await or_query_error(port_requests.list_port_requests(
            info.context.services, info.context.requester, account_id=account_id, states=states,
            first=50 if first is None else first, after=after,
        ))
        return PortRequestConnection.from_page(page)


@strawberry.type
class PortMutation:
    @strawberry.mutation
    async def create_port_request(self, info: Info, input: CreatePortRequestInput) -> PortRequestPayload:
        services, requester = info.context.services, info.context.requester
        return await _payload(lambda: port_requests.create_port_request(
            services, requester, _details(input), input.numbers, account_id=input.account_id,
        ))

    @strawberry.mutation
    async def update_port_request(self, info: Info, input: UpdatePortRequestInput) -> PortRequestPayload:
        services, requester = info.context.services, info.context.requester
        return await _payload(lambda: port_requests.update_port_request(
            services, requester, input.id, _details(input), input.numbers, expected_revision=input.expected_revision,
        ))

    @strawberry.mutation
    async def submit_port_request(self, info: Info, input: PortRequestActionInput) -> PortRequestPayload:
        services, requester = info.context.services, info.context.requester
        return await _payload(lambda: port_requests.move_port_request(
            services, requester, input.id, PortState.SUBMITTED, comment=input.comment,
            expected_revision=input.expected_revision,
        ))

    @strawberry.mutation
    async def move_port_request(self, info: Info, input: MovePortRequestInput) -> PortRequestPayload:
        services, requester = info.context.services, info.context.requester

        async def move() -> Outcome:
            requester.ensure_admin("move port requests (accounts submit and cancel theirs)")
            return await port_requests.move_port_request(
                services, requester, input.id, input.to, comment=input.comment, scheduled_at=input.scheduled_at,
                rejections={r.number: r.reason for r in input.rejections or []},
                expected_revision=input.expected_revision,
            )

        return await _payload(move)

    @strawberry.mutation
    async def cancel_port_request(self, info: Info, input: PortRequestActionInput) -> PortRequestPayload:
        services, requester = info.context.services, info.context.requester
        return await _payload(lambda: port_requests.move_port_request(
            services, requester, input.id, PortState.CANCELED, comment=input.comment,
            expected_revision=input.expected_revision,
        ))

    @strawberry.mutation
    async def add_port_comment(self, info: Info, input: AddPortCommentInput) -> PortRequestPayload:
        services, requester = info.context.services, info.context.requester
        return await _payload(lambda: port_requests.add_comment(
            services, requester, input.id, input.text, admin_only=input.admin_only,
        ))

    @strawberry.mutation
    async def upload_port_document(self, info: Info, input: UploadPortDocumentInput) -> PortRequestPayload:
        services, requester = info.context.services, info.context.requester

        async def upload() -> DomainPortRequest:
            filename, data = await _read_upload(input.file)
            return await port_requests.upload_document(services, requester, input.id, input.kind, filename, data)

        return await _payload(upload)
