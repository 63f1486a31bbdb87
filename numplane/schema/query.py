"""Query root: each field checks the role, calls one use case and converts (visibility per SPEC §3.5)."""

from __future__ import annotations

from typing import Any

import strawberry

from numplane.domain.errors import DomainError, ErrorCode
from numplane.resolvers import accounts, changes, numbers, search, system_config
from numplane.resolvers.context import Role
from numplane.schema.context import Info
from numplane.schema.errors import graphql_error, or_none_if_missing, or_query_error
from numplane.schema.inputs import NumberFilter, NumberSearchFilter
from numplane.schema.node_ids import from_global_id
from numplane.schema.types import (
    Account,
    Node,
    NumberCandidate,
    NumberChange,
    NumberChangePage,
    PhoneNumber,
    PhoneNumberConnection,
    SystemConfig,
    Transition,
    number_connection,
)
from numplane.schema.webhooks import WebhookQueries


def ensure_reader(info: Info) -> None:
    """A router key exists to hunt: it may read `me` and nothing else."""
    if info.context.requester.role is Role.ROUTER:
        raise graphql_error(DomainError(ErrorCode.FORBIDDEN, "A router key may only hunt numbers and read `me`."))


@strawberry.type
class Query(WebhookQueries):
    @strawberry.field
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        ensure_reader(info)
        decoded = from_global_id(id)
        if decoded is None:
            return None
        kind, key = decoded
        if kind == "PhoneNumber":
            number = await or_query_error(info.context.number_loader.load(key))
            return PhoneNumber.from_domain(number) if number is not None else None
        if kind == "Account":
            account = await or_query_error(info.context.accounts.load(key))
            if account is None or not accounts.requester_can_see_account(info.context.requester, account):
                return None
            return Account.from_domain(account)
        return None

    @strawberry.field
    def me(self, info: Info) -> Account:
        return Account.from_domain(info.context.requester.account)

    @strawberry.field
    async def account(self, info: Info, account_id: str) -> Account | None:
        ensure_reader(info)
        found = await or_none_if_missing(
            accounts.get_account(info.context.services, info.context.requester, account_id)
        )
        return Account.from_domain(found) if found is not None else None

    @strawberry.field
    async def number(self, info: Info, number: str) -> PhoneNumber | None:
        ensure_reader(info)
        # Invisible and missing look the same (null); a malformed number is an error the caller can fix.
        found = await or_none_if_missing(numbers.get_number(info.context.services, info.context.requester, number))
        return PhoneNumber.from_domain(found) if found is not None else None

    @strawberry.field
    async def numbers(
        self, info: Info, filter: NumberFilter | None = None, first: int | None = 50, after: str | None = None
    ) -> PhoneNumberConnection:
        ensure_reader(info)
        return await number_connection(info, None, filter, 50 if first is None else first, after)

    @strawberry.field
    async def search_numbers(
        self, info: Info, prefix: str, quantity: int | None = 20, filter: NumberSearchFilter | None = None
    ) -> list[NumberCandidate]:
        ensure_reader(info)
        services = info.context.services
        wanted = await or_query_error(search.read_filter(services, filter.fields() if filter is not None else {}))
        found = await or_query_error(
            search.search_numbers(
                services, info.context.requester, prefix, 20 if quantity is None else quantity, search=wanted
            )
        )
        return [NumberCandidate.from_domain(n) for n in found]

    @strawberry.field
    async def number_changes(
        self, info: Info, after: str | None = None, first: int | None = 100, wait_seconds: int | None = 0
    ) -> NumberChangePage:
        ensure_reader(info)
        page = await or_query_error(
            changes.number_changes(
                info.context.services, info.context.requester, after=after,
                first=100 if first is None else first, wait_seconds=wait_seconds or 0,
            )
        )
        return NumberChangePage(
            changes=[change_from_domain(c) for c in page.changes], cursor=page.cursor, has_more=page.has_more
        )

    @strawberry.field
    async def classify_number(self, info: Info, number: str) -> str:
        ensure_reader(info)
        try:
            return await numbers.classify(info.context.services, number)
        except DomainError as error:
            raise graphql_error(error) from None

    @strawberry.field
    async def system_config(self, info: Info) -> SystemConfig:
        ensure_reader(info)
        return SystemConfig.from_domain(await or_query_error(system_config.get_config(info.context.services)))


def change_from_domain(change: Any) -> NumberChange:
    """A change-feed event of `numplane.resolvers.changes` (attributes named as in the contract; its
    `transition` a domain Transition, its `number` a domain Number already checked for visibility)."""
    return NumberChange(
        cursor=change.cursor,
        e164=change.e164,
        state=change.state,
        deleted=bool(change.deleted),
        transition=Transition.from_domain(change.transition) if change.transition is not None else None,
        number=PhoneNumber.from_domain(change.number) if change.number is not None else None,
    )
