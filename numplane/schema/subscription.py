"""Subscription root over graphql-transport-ws: numberChanged (the change feed of SPEC §9) and
portRequestChanged (its port request events, issue 13)."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from numplane.domain.errors import DomainError
from numplane.resolvers import changes, port_changes
from numplane.schema.context import Info
from numplane.schema.errors import graphql_error
from numplane.schema.inputs import NumberChangeFilter
from numplane.schema.port_types import PortRequest, PortRequestChange
from numplane.schema.query import change_from_domain, ensure_reader
from numplane.schema.types import NumberChange


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def number_changed(
        self, info: Info, filter: NumberChangeFilter | None = None
    ) -> AsyncGenerator[NumberChange, None]:
        ensure_reader(info)
        f = filter or NumberChangeFilter()
        events = changes.subscribe(
            info.context.services, info.context.requester, account_id=f.account_id,
            include_descendants=f.include_descendants is not False, states=list(f.states) if f.states else None,
        )
        async for change in events:
            yield change_from_domain(change)

    @strawberry.subscription
    async def port_request_changed(
        self, info: Info, account_id: str | None = None
    ) -> AsyncGenerator[PortRequestChange, None]:
        ensure_reader(info)
        events = port_changes.subscribe(info.context.services, info.context.requester, account_id=account_id)
        try:
            async for entry in events:
                yield PortRequestChange(cursor=entry.cursor, change=entry.request.last_change,
                                        port_request=PortRequest.from_domain(entry.request))
        except DomainError as error:
            raise graphql_error(error) from None
