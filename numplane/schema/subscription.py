"""Subscription root: numberChanged over graphql-transport-ws (the change feed of SPEC §9)."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from numplane.resolvers import changes
from numplane.schema.context import Info
from numplane.schema.inputs import NumberChangeFilter
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
