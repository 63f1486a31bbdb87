"""Following port requests live (`portRequestChanged`): the hub's port request events, filtered per
receiver by the domain's rule (`port_requests.hears_of`), optionally for one account's tree."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from numplane.changes.hub import PortRequestEntry, SubscriberTooSlow
from numplane.domain import port_requests as domain
from numplane.domain.errors import DomainError, ErrorCode
from numplane.resolvers.changes import hub_of
from numplane.resolvers.context import Requester, Services
from numplane.resolvers.port_requests import scope_of


async def subscribe(
    services: Services, requester: Requester, *, account_id: str | None = None
) -> AsyncGenerator[PortRequestEntry, None]:
    """Port request changes from now on that the requester may hear of (of `account_id` and its
    sub-accounts when given). Ends with LIMIT_EXCEEDED when the subscriber falls too far behind."""
    hub = hub_of(services)
    scope = await scope_of(services, requester, account_id)
    viewer, admin = requester.account, requester.is_admin

    def accept(entry: PortRequestEntry) -> bool:
        request = entry.request
        return (scope == "*" or scope in request.account_tree) and domain.hears_of(request, viewer, is_admin=admin)

    await hub.sync()
    subscription = hub.subscribe_ports(accept)
    try:
        async for entry in subscription:
            yield entry
    except SubscriberTooSlow:
        raise DomainError(
            ErrorCode.LIMIT_EXCEEDED,
            "This subscription fell too far behind and was closed; resubscribe and read portRequests.",
        ) from None
    finally:
        subscription.close()
