"""Mutation root: role checks, one use case per field, failures as userErrors (never top-level)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import strawberry

from numplane.domain.errors import DomainError
from numplane.domain.holds import DEFAULT_MINUTES
from numplane.resolvers import accounts, holds, hunt, keys, numbers, system_config
from numplane.resolvers.bulk import BulkResult
from numplane.resolvers.context import Requester, Services
from numplane.schema.context import Info
from numplane.schema.errors import answer, failed, or_user_errors
from numplane.schema.inputs import (
    AcquireInput,
    AddNumbersInput,
    CreateAccountInput,
    CreateApiKeyInput,
    ExtendHoldsInput,
    HoldNumbersInput,
    HuntInput,
    NumbersInput,
    PortInInput,
    ReturnNumbersInput,
    UpdateAccountInput,
    UpdateNumberInput,
    UpdateSystemConfigInput,
    refs,
)
from numplane.schema.payloads import (
    AccountPayload,
    ApiKeyPayload,
    HuntPayload,
    NumberPayload,
    NumbersPayload,
    SystemConfigPayload,
)
from numplane.schema.types import Account, HuntResult, PhoneNumber, SystemConfig
from numplane.schema.webhooks import WebhookMutations
from numplane.store.base import StoreUnavailable

Bulk = Callable[[Services, Requester], Awaitable[BulkResult]]


async def bulk(info: Info, run: Bulk, *, admin_only: str | None = None) -> NumbersPayload:
    services, requester = info.context.services, info.context.requester

    async def action() -> BulkResult:
        if admin_only:
            # The domain refuses each number too; this answers a user's request with one error.
            requester.ensure_admin(admin_only)
        return await run(services, requester)

    return NumbersPayload.from_result(await or_user_errors(action))


def _public(value: dict[str, Any] | None) -> dict[str, Any] | None:
    return dict(value) if value is not None else None


@strawberry.type
class Mutation(WebhookMutations):
    @strawberry.mutation
    async def add_numbers(self, info: Info, input: AddNumbersInput) -> NumbersPayload:
        return await bulk(info, lambda s, r: numbers.add_numbers(
            s, r, refs(input.numbers), state=input.state, account_id=input.account_id,
            carrier=input.carrier or "local", public=_public(input.public_fields),
        ))

    @strawberry.mutation
    async def reserve_numbers(self, info: Info, input: AcquireInput) -> NumbersPayload:
        return await bulk(info, lambda s, r: numbers.reserve_numbers(
            s, r, refs(input.numbers), account_id=input.account_id, public=_public(input.public_fields)
        ))

    @strawberry.mutation
    async def activate_numbers(self, info: Info, input: AcquireInput) -> NumbersPayload:
        return await bulk(info, lambda s, r: numbers.activate_numbers(
            s, r, refs(input.numbers), account_id=input.account_id, public=_public(input.public_fields)
        ))

    @strawberry.mutation
    async def release_numbers(self, info: Info, input: NumbersInput) -> NumbersPayload:
        return await bulk(info, lambda s, r: numbers.release_numbers(s, r, refs(input.numbers)))

    @strawberry.mutation
    async def hold_numbers(self, info: Info, input: HoldNumbersInput) -> NumbersPayload:
        minutes = input.minutes if input.minutes is not None else DEFAULT_MINUTES
        return await bulk(info, lambda s, r: holds.hold_numbers(
            s, r, refs(input.numbers), account_id=input.account_id, minutes=minutes
        ))

    @strawberry.mutation
    async def extend_holds(self, info: Info, input: ExtendHoldsInput) -> NumbersPayload:
        return await bulk(info, lambda s, r: holds.extend_holds(s, r, refs(input.numbers), minutes=input.minutes))

    @strawberry.mutation
    async def release_holds(self, info: Info, input: NumbersInput) -> NumbersPayload:
        return await bulk(info, lambda s, r: holds.release_holds(s, r, refs(input.numbers)))

    @strawberry.mutation
    async def port_in_numbers(self, info: Info, input: PortInInput) -> NumbersPayload:
        return await bulk(info, lambda s, r: numbers.port_in_numbers(
            s, r, refs(input.numbers), account_id=input.account_id, public=_public(input.public_fields)
        ))

    @strawberry.mutation
    async def cancel_port_in(self, info: Info, input: NumbersInput) -> NumbersPayload:
        return await bulk(info, lambda s, r: numbers.cancel_port_in(s, r, refs(input.numbers)))

    @strawberry.mutation
    async def complete_port_in(self, info: Info, input: NumbersInput) -> NumbersPayload:
        return await bulk(info, lambda s, r: numbers.complete_port_in(s, r, refs(input.numbers)))

    @strawberry.mutation
    async def port_out_numbers(self, info: Info, input: NumbersInput) -> NumbersPayload:
        return await bulk(
            info, lambda s, r: numbers.port_out_numbers(s, r, refs(input.numbers)), admin_only="port numbers out"
        )

    @strawberry.mutation
    async def complete_port_out(self, info: Info, input: NumbersInput) -> NumbersPayload:
        return await bulk(
            info, lambda s, r: numbers.complete_port_out(s, r, refs(input.numbers)), admin_only="complete port-outs"
        )

    @strawberry.mutation
    async def cancel_port_out(self, info: Info, input: NumbersInput) -> NumbersPayload:
        return await bulk(
            info, lambda s, r: numbers.cancel_port_out(s, r, refs(input.numbers)), admin_only="cancel port-outs"
        )

    @strawberry.mutation
    async def return_numbers(self, info: Info, input: ReturnNumbersInput) -> NumbersPayload:
        return await bulk(
            info, lambda s, r: numbers.return_numbers(s, r, refs(input.numbers)), admin_only="return numbers"
        )

    @strawberry.mutation
    async def delete_numbers(self, info: Info, input: NumbersInput) -> NumbersPayload:
        return await bulk(
            info, lambda s, r: numbers.delete_numbers(s, r, refs(input.numbers)), admin_only="delete numbers"
        )

    @strawberry.mutation
    async def update_number(self, info: Info, input: UpdateNumberInput) -> NumberPayload:
        services, requester = info.context.services, info.context.requester
        ref = input.number.to_domain()

        async def action() -> NumberPayload:
            try:
                updated = await numbers.update_number(
                    services, requester, ref, public=_public(input.public_fields),
                    replace=bool(input.replace), features_denied=input.features_denied,
                )
            except DomainError as error:
                raise (error if error.number else error.for_number(ref.number)) from None
            return NumberPayload(number=PhoneNumber.from_domain(updated))

        return await answer(NumberPayload, action)

    def _hunt_number(self, info: Info, input: HuntInput) -> HuntPayload | Awaitable[HuntPayload]:
        # Not a coroutine: a hunt the routing cache answers completes without one (graphql-core awaits
        # what is awaitable, and runs on synchronously otherwise). No closure and no wrapper either: this
        # is every router call's path.
        context = info.context
        services, requester = context.services, context.requester
        try:
            found = hunt.hunt_from_memory(services, requester, input.number, input.caller_account_id)
        except (DomainError, StoreUnavailable) as error:
            return HuntPayload(user_errors=failed(error))
        if found is not None:
            return HuntPayload(result=hunt_result_from_domain(found))

        async def action() -> HuntPayload:
            found = await hunt.hunt_number(services, requester, input.number, input.caller_account_id)
            return HuntPayload(result=hunt_result_from_domain(found))

        return answer(HuntPayload, action)

    hunt_number = strawberry.mutation(resolver=_hunt_number, graphql_type=HuntPayload)

    @strawberry.mutation
    async def create_account(self, info: Info, input: CreateAccountInput) -> AccountPayload:
        services, requester = info.context.services, info.context.requester

        async def action() -> AccountPayload:
            created = await accounts.create_account(services, requester, input.name, input.parent_account_id)
            return AccountPayload(account=Account.from_domain(created))

        return await answer(AccountPayload, action)

    @strawberry.mutation
    async def update_account(self, info: Info, input: UpdateAccountInput) -> AccountPayload:
        services, requester = info.context.services, info.context.requester

        async def action() -> AccountPayload:
            updated = await accounts.update_account(
                services, requester, input.account_id, name=input.name, enabled=input.enabled,
                good_standing=input.good_standing, allow_additions=input.allow_number_additions,
            )
            return AccountPayload(account=Account.from_domain(updated))

        return await answer(AccountPayload, action)

    @strawberry.mutation
    async def create_api_key(self, info: Info, input: CreateApiKeyInput) -> ApiKeyPayload:
        services, requester = info.context.services, info.context.requester

        async def action() -> ApiKeyPayload:
            key, key_id = await keys.create_key(
                services, requester, input.account_id, input.role or "user", input.name
            )
            return ApiKeyPayload(key=key, key_id=key_id)

        return await answer(ApiKeyPayload, action)

    @strawberry.mutation
    async def revoke_api_key(self, info: Info, key_id: str) -> ApiKeyPayload:
        services, requester = info.context.services, info.context.requester

        async def action() -> ApiKeyPayload:
            return ApiKeyPayload(key_id=await keys.revoke_key(services, requester, key_id))

        return await answer(ApiKeyPayload, action)

    @strawberry.mutation
    async def update_system_config(self, info: Info, input: UpdateSystemConfigInput) -> SystemConfigPayload:
        services, requester = info.context.services, info.context.requester

        async def action() -> SystemConfigPayload:
            updated = await system_config.update_config(services, requester, input.changes())
            return SystemConfigPayload(config=SystemConfig.from_domain(updated))

        return await answer(SystemConfigPayload, action)


def hunt_result_from_domain(found: Any) -> HuntResult:
    """A result of `numplane.resolvers.hunt.hunt_number`: number, disposition (the domain's, which is the
    contract's enum), account (a domain Account or None), force_outbound, port_completed."""
    return HuntResult(
        number=found.number,
        disposition=found.disposition,
        owner=found.account,
        force_outbound=bool(found.force_outbound),
        port_completed=bool(found.port_completed),
    )

