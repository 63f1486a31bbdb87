"""Webhook endpoints and their deliveries (issue 12): the customer's side of signed webhooks.

Endpoints live in the system database (`webhook:<id>`), deliveries beside them (`delivery:<event>:<id>`);
the dispatcher (numplane.jobs.webhooks) reads the same documents. An endpoint of another tree does not
exist for the requester.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import replace

from numplane.domain import webhook_addresses
from numplane.domain.errors import DomainError, ErrorCode
from numplane.domain.text import excerpt
from numplane.domain.webhook_deliveries import PREFIX as DELIVERY_PREFIX
from numplane.domain.webhook_deliveries import Delivery, Status, new_delivery
from numplane.domain.webhooks import (
    Endpoint,
    EventFilter,
    SigningSecret,
    check_description,
    doc_id,
    ensure_may_manage_for,
    ensure_room,
    format_secret,
    may_manage,
    test_event,
)
from numplane.resolvers.accounts import get_account
from numplane.resolvers.context import Requester, Role, Services
from numplane.resolvers.paging import Page, decode_cursor, encode_cursor, page_size
from numplane.resolvers.rewrite import rewrite
from numplane.store.base import HIGH, Db, Doc

SECRET_BYTES = 24


async def check_address(services: Services, url: str) -> None:
    """The URL is one numplane may call now: https, and every address of its host public (re-resolved)."""
    allow_private = services.settings.webhooks_allow_private
    host = webhook_addresses.check_url(url, allow_private=allow_private)
    if allow_private or webhook_addresses.literal(host) is not None:
        return
    try:
        found = await services.resolve(host)
    except OSError:
        found = []
    webhook_addresses.ensure_public(webhook_addresses.parse_addresses(found), host)


async def create_webhook(
    services: Services,
    requester: Requester,
    account_id: str,
    url: str,
    wanted: EventFilter,
    description: str = "",
) -> tuple[Endpoint, str]:
    """A new endpoint and its signing secret, which is shown only now."""
    requester.ensure_may_change()
    account = await get_account(services, requester, account_id)
    ensure_may_manage_for(
        requester.account, is_admin=requester.is_admin, account_id=account.id, account_tree=account.tree
    )
    await _check_filter(services, requester, wanted)
    check_description(description)
    await check_address(services, url)
    limit = services.settings.webhooks_max_per_account
    existing = await services.store.query(
        Db.SYSTEM, "webhooks", start=("a:" + account.id, "", ""), end=("a:" + account.id, "", HIGH), limit=limit + 1
    )
    ensure_room(len(existing), limit)
    secret = format_secret(secrets.token_bytes(SECRET_BYTES))
    endpoint = Endpoint(
        id="wh_" + secrets.token_hex(12), account_id=account.id, account_tree=account.tree, url=url,
        description=description, filter=wanted, secrets=(SigningSecret(secret),), created=services.clock(),
    )
    (result,) = await services.store.put_many(Db.SYSTEM, [endpoint.to_doc()])
    if not result.ok:
        raise DomainError(ErrorCode.CONFLICT, "Webhook id collision; retry.")
    return replace(endpoint, rev=result.rev), secret


def _ensure_not_router(requester: Requester) -> None:
    if requester.role is Role.ROUTER:
        raise DomainError(ErrorCode.FORBIDDEN, "A router key may only hunt numbers and read `me`.")


async def list_webhooks(services: Services, requester: Requester, account_id: str | None) -> list[Endpoint]:
    """The endpoints of one account (the requester's own by default)."""
    _ensure_not_router(requester)
    account = await get_account(services, requester, account_id) if account_id else requester.account
    ensure_may_manage_for(
        requester.account, is_admin=requester.is_admin, account_id=account.id, account_tree=account.tree
    )
    rows = await services.store.query(
        Db.SYSTEM, "webhooks", start=("a:" + account.id, "", ""), end=("a:" + account.id, "", HIGH),
        limit=max(services.settings.webhooks_max_per_account, 1) * 10,
    )
    return [Endpoint.from_doc(row.doc) for row in rows]


async def get_webhook(services: Services, requester: Requester, webhook_id: str) -> Endpoint:
    doc = (await services.store.get_many(Db.SYSTEM, [doc_id(webhook_id)])).get(doc_id(webhook_id))
    return _visible(doc, requester, webhook_id)


def _visible(doc: Doc | None, requester: Requester, webhook_id: str) -> Endpoint:
    """The endpoint of `doc` if the requester manages it; another tree's does not exist for it."""
    _ensure_not_router(requester)
    endpoint = Endpoint.from_doc(doc) if doc is not None and doc.get("pvt_type") == "webhook" else None
    if endpoint is None or not may_manage(requester.account, endpoint, is_admin=requester.is_admin):
        raise DomainError(ErrorCode.NOT_FOUND, f"No webhook {excerpt(webhook_id)} visible to you.")
    return endpoint


async def update_webhook(
    services: Services,
    requester: Requester,
    webhook_id: str,
    *,
    url: str | None = None,
    wanted: EventFilter | None = None,
    enabled: bool | None = None,
    description: str | None = None,
) -> Endpoint:
    """Change what is given; enabling a disabled endpoint clears its reason and its failure record."""
    requester.ensure_may_change()
    if url is not None:
        await check_address(services, url)
    if wanted is not None:
        await _check_filter(services, requester, wanted)
    if description is not None:
        check_description(description)

    def change(endpoint: Endpoint) -> Endpoint:
        changed = replace(
            endpoint,
            url=endpoint.url if url is None else url,
            filter=endpoint.filter if wanted is None else wanted,
            description=endpoint.description if description is None else description,
        )
        if enabled is True and not endpoint.enabled:
            changed = replace(changed, enabled=True, disabled_reason=None, failing_since=None)
        elif enabled is False:
            changed = replace(changed, enabled=False, disabled_reason="Disabled by a user.")
        return changed

    return await _rewrite(services, requester, webhook_id, change)


async def rotate_secret(services: Services, requester: Requester, webhook_id: str) -> tuple[Endpoint, str]:
    """A new signing secret, shown only now; the previous one keeps signing beside it for 24 hours."""
    requester.ensure_may_change()
    secret = format_secret(secrets.token_bytes(SECRET_BYTES))
    now = services.clock()
    endpoint = await _rewrite(services, requester, webhook_id, lambda e: e.rotated(secret, now))
    return endpoint, secret


async def delete_webhook(services: Services, requester: Requester, webhook_id: str) -> str:
    """The endpoint is gone, and its unfinished deliveries are marked failed."""
    requester.ensure_may_change()

    async def edit(doc: Doc | None) -> Doc:
        endpoint = _visible(doc, requester, webhook_id)
        return {**endpoint.to_doc(), "_deleted": True}

    await rewrite(services.store, Db.SYSTEM, doc_id(webhook_id), edit, what="The webhook")
    await abandon_queue(services, webhook_id)
    return webhook_id


async def abandon_queue(services: Services, webhook_id: str, limit: int = 1000) -> int:
    rows = await services.store.query(
        Db.SYSTEM, "deliveries", start=("q:" + webhook_id, "", ""), end=("q:" + webhook_id, "", HIGH), limit=limit
    )
    docs = [Delivery.from_doc(r.doc).abandoned().to_doc() for r in rows]
    await services.store.put_many(Db.SYSTEM, docs)
    return len(docs)


async def list_deliveries(
    services: Services,
    requester: Requester,
    webhook_id: str,
    *,
    first: int = 20,
    after: str | None = None,
    status: Status | None = None,
) -> Page[Delivery]:
    """The endpoint's deliveries, oldest first, optionally of one status."""
    await get_webhook(services, requester, webhook_id)
    size = page_size(first)
    facet = "s:" + status.value if status is not None else ""
    position = decode_cursor(after)
    scope = "w:" + webhook_id
    rows = await services.store.query(
        Db.SYSTEM, "deliveries", start=(scope, facet, ""), end=(scope, facet, HIGH),
        after=(scope, facet, position) if position is not None else None, limit=size + 1,
    )
    shown = rows[:size]
    return Page(
        items=[Delivery.from_doc(r.doc) for r in shown],
        cursors=[encode_cursor(r.key[2]) for r in shown],
        has_next=len(rows) > size,
    )


async def redeliver(services: Services, requester: Requester, delivery: str) -> Delivery:
    """Send a delivery again (a delivered one too: the receiver may have lost it)."""
    requester.ensure_may_change()

    async def edit(doc: Doc | None) -> Doc | None:
        found = Delivery.from_doc(doc) if doc is not None and doc.get("pvt_type") == "webhook_delivery" else None
        if found is None:
            raise DomainError(ErrorCode.NOT_FOUND, f"No delivery {excerpt(delivery)} visible to you.")
        endpoint = await get_webhook(services, requester, found.webhook_id)
        if not endpoint.enabled:
            raise DomainError(
                ErrorCode.INVALID_STATE_TRANSITION, "The webhook is disabled; enable it before redelivering."
            )
        if found.busy(services.clock()):
            return None  # being sent right now
        return found.redelivered(services.clock()).to_doc()

    doc_key = DELIVERY_PREFIX + delivery
    written = await rewrite(services.store, Db.SYSTEM, doc_key, edit, what="The delivery")
    if written is None:
        return Delivery.from_doc((await services.store.get_many(Db.SYSTEM, [doc_key]))[doc_key])
    return Delivery.from_doc(written)


async def send_test_event(services: Services, requester: Requester, webhook_id: str) -> Delivery:
    """A `webhook.test` event queued for the endpoint at once (it is not a number change)."""
    requester.ensure_may_change()
    endpoint = await get_webhook(services, requester, webhook_id)
    now = services.clock()
    event = "evt_test_" + secrets.token_hex(8)
    delivery = new_delivery(endpoint.id, test_event(endpoint, event, now), subject=event, now=now, position=0)
    (result,) = await services.store.put_many(Db.SYSTEM, [delivery.to_doc()])
    if not result.ok:
        raise DomainError(ErrorCode.CONFLICT, "Event id collision; retry.")
    return replace(delivery, rev=result.rev)


async def _check_filter(services: Services, requester: Requester, wanted: EventFilter) -> None:
    if wanted.account_id is not None:
        await get_account(services, requester, wanted.account_id)  # NOT_FOUND unless visible


async def _rewrite(
    services: Services, requester: Requester, webhook_id: str, change: Callable[[Endpoint], Endpoint]
) -> Endpoint:
    async def edit(doc: Doc | None) -> Doc:
        return change(_visible(doc, requester, webhook_id)).to_doc()

    written = await rewrite(services.store, Db.SYSTEM, doc_id(webhook_id), edit, what="The webhook")
    assert written is not None  # edit always writes or raises
    return Endpoint.from_doc(written)
