"""Webhooks in the API (issue 12): endpoints, their deliveries, and the mutations that manage them."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from numplane.domain.webhook_deliveries import Delivery as DomainDelivery
from numplane.domain.webhook_deliveries import Status
from numplane.domain.webhooks import Endpoint, EventFilter
from numplane.resolvers import webhooks
from numplane.resolvers.paging import Page
from numplane.schema.context import Info
from numplane.schema.enums import NumberState
from numplane.schema.errors import UserError, answer, or_query_error
from numplane.schema.inputs import NumberChangeFilter
from numplane.schema.scalars import JSONObject
from numplane.schema.types import PageInfo


@strawberry.enum
class WebhookDeliveryStatus(Enum):
    PENDING = "pending"
    SENDING = "sending"
    DELIVERED = "delivered"
    FAILED = "failed"


@strawberry.type
class WebhookFilter:
    account_id: str | None
    include_descendants: bool
    states: list[NumberState]


@strawberry.type
class Webhook:
    id: strawberry.ID
    account_id: str
    url: str
    description: str
    filter: WebhookFilter
    enabled: bool
    disabled_reason: str | None
    created_at: datetime | None
    failing_since: datetime | None = strawberry.field(description="first failure since the last success")
    previous_secret_expires_at: datetime | None = strawberry.field(
        description="while a rotated-out secret still signs beside the new one"
    )

    @classmethod
    def from_domain(cls, e: Endpoint) -> Webhook:
        retiring = [s.retires_at for s in e.secrets if s.retires_at is not None]
        return cls(
            id=strawberry.ID(e.id), account_id=e.account_id, url=e.url, description=e.description,
            filter=WebhookFilter(
                account_id=e.filter.account_id, include_descendants=e.filter.include_descendants,
                states=list(e.filter.states),
            ),
            enabled=e.enabled, disabled_reason=e.disabled_reason, created_at=e.created,
            failing_since=e.failing_since, previous_secret_expires_at=max(retiring) if retiring else None,
        )


@strawberry.type
class WebhookAttempt:
    at: datetime
    response_code: int | None
    latency_ms: int
    error: str | None


@strawberry.type
class WebhookDelivery:
    id: strawberry.ID
    webhook_id: str
    event_id: str
    event_type: str
    status: WebhookDeliveryStatus
    created_at: datetime | None
    next_attempt_at: datetime | None
    attempts: list[WebhookAttempt]
    payload: JSONObject

    @classmethod
    def from_domain(cls, d: DomainDelivery) -> WebhookDelivery:
        return cls(
            id=strawberry.ID(d.id), webhook_id=d.webhook_id, event_id=d.event_id, event_type=d.event_type,
            status=WebhookDeliveryStatus(d.status.value), created_at=d.created,
            next_attempt_at=d.next_attempt_at if d.unfinished else None,
            attempts=[WebhookAttempt(at=a.at, response_code=a.status, latency_ms=a.latency_ms, error=a.error)
                      for a in d.attempts],
            payload=JSONObject(d.body),
        )


@strawberry.type
class WebhookDeliveryEdge:
    cursor: str
    node: WebhookDelivery


@strawberry.type
class WebhookDeliveryConnection:
    edges: list[WebhookDeliveryEdge]
    page_info: PageInfo

    @classmethod
    def from_page(cls, page: Page[DomainDelivery]) -> WebhookDeliveryConnection:
        return cls(
            edges=[WebhookDeliveryEdge(cursor=c, node=WebhookDelivery.from_domain(d))
                   for d, c in zip(page.items, page.cursors, strict=True)],
            page_info=PageInfo(has_next_page=page.has_next, end_cursor=page.end_cursor),
        )


@strawberry.input
class CreateWebhookInput:
    url: str
    account_id: str
    filter: NumberChangeFilter | None = None
    description: str | None = None


@strawberry.input
class UpdateWebhookInput:
    webhook_id: str
    url: str | None = None
    filter: NumberChangeFilter | None = None
    enabled: bool | None = None
    description: str | None = None


@strawberry.type(description="secret (whsec_...) is shown only by createWebhook and rotateWebhookSecret")
class WebhookPayload:
    webhook: Webhook | None = None
    secret: str | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteWebhookPayload:
    webhook_id: str | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class WebhookDeliveryPayload:
    delivery: WebhookDelivery | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def event_filter(given: NumberChangeFilter | None) -> EventFilter:
    if given is None:
        return EventFilter()
    return EventFilter(
        account_id=given.account_id,
        include_descendants=given.include_descendants is not False,
        states=tuple(given.states or ()),
    )


@strawberry.type
class WebhookQueries:
    @strawberry.field
    async def webhooks(self, info: Info, account_id: str | None = None) -> list[Webhook]:
        found = await or_query_error(webhooks.list_webhooks(info.context.services, info.context.requester, account_id))
        return [Webhook.from_domain(e) for e in found]

    @strawberry.field
    async def webhook_deliveries(
        self, info: Info, webhook_id: str, first: int | None = 20, after: str | None = None,
        status: WebhookDeliveryStatus | None = None,
    ) -> WebhookDeliveryConnection:
        page = await or_query_error(webhooks.list_deliveries(
            info.context.services, info.context.requester, webhook_id, first=20 if first is None else first,
            after=after, status=Status(status.value) if status is not None else None,
        ))
        return WebhookDeliveryConnection.from_page(page)


@strawberry.type
class WebhookMutations:
    @strawberry.mutation
    async def create_webhook(self, info: Info, input: CreateWebhookInput) -> WebhookPayload:
        services, requester = info.context.services, info.context.requester

        async def action() -> WebhookPayload:
            endpoint, secret = await webhooks.create_webhook(
                services, requester, input.account_id, input.url, event_filter(input.filter), input.description or ""
            )
            return WebhookPayload(webhook=Webhook.from_domain(endpoint), secret=secret)

        return await answer(WebhookPayload, action)

    @strawberry.mutation
    async def update_webhook(self, info: Info, input: UpdateWebhookInput) -> WebhookPayload:
        services, requester = info.context.services, info.context.requester

        async def action() -> WebhookPayload:
            updated = await webhooks.update_webhook(
                services, requester, input.webhook_id, url=input.url,
                wanted=event_filter(input.filter) if input.filter is not None else None,
                enabled=input.enabled, description=input.description,
            )
            return WebhookPayload(webhook=Webhook.from_domain(updated))

        return await answer(WebhookPayload, action)

    @strawberry.mutation
    async def rotate_webhook_secret(self, info: Info, webhook_id: str) -> WebhookPayload:
        services, requester = info.context.services, info.context.requester

        async def action() -> WebhookPayload:
            endpoint, secret = await webhooks.rotate_secret(services, requester, webhook_id)
            return WebhookPayload(webhook=Webhook.from_domain(endpoint), secret=secret)

        return await answer(WebhookPayload, action)

    @strawberry.mutation
    async def delete_webhook(self, info: Info, webhook_id: str) -> DeleteWebhookPayload:
        services, requester = info.context.services, info.context.requester

        async def action() -> DeleteWebhookPayload:
            return DeleteWebhookPayload(webhook_id=await webhooks.delete_webhook(services, requester, webhook_id))

        return await answer(DeleteWebhookPayload, action)

    @strawberry.mutation
    async def redeliver(self, info: Info, delivery_id: str) -> WebhookDeliveryPayload:
        services, requester = info.context.services, info.context.requester

        async def action() -> WebhookDeliveryPayload:
            again = await webhooks.redeliver(services, requester, delivery_id)
            return WebhookDeliveryPayload(delivery=WebhookDelivery.from_domain(again))

        return await answer(WebhookDeliveryPayload, action)

    @strawberry.mutation
    async def send_test_event(self, info: Info, webhook_id: str) -> WebhookDeliveryPayload:
        services, requester = info.context.services, info.context.requester

        async def action() -> WebhookDeliveryPayload:
            sent = await webhooks.send_test_event(services, requester, webhook_id)
            return WebhookDeliveryPayload(delivery=WebhookDelivery.from_domain(sent))

        return await answer(WebhookDeliveryPayload, action)
