"""Mutation payloads: the result and its userErrors (one per failed number, in input order).

A payload is built either with its result (no userErrors) or with only its userErrors (the result
fields then default to null), so `numplane.schema.mutation.answer` can make the failed one of any kind."""

from __future__ import annotations

import strawberry

from numplane.resolvers.bulk import BulkResult
from numplane.schema.errors import UserError, user_error
from numplane.schema.types import Account, HuntResult, PhoneNumber, SystemConfig


@strawberry.type
class NumbersPayload:
    numbers: list[PhoneNumber]
    user_errors: list[UserError]

    @classmethod
    def from_result(cls, result: BulkResult | list[UserError]) -> NumbersPayload:
        if isinstance(result, list):
            return cls(numbers=[], user_errors=result)
        return cls(
            numbers=[PhoneNumber.from_domain(n) for n in result.numbers],
            user_errors=[user_error(e) for e in result.errors],
        )


@strawberry.type
class NumberPayload:
    number: PhoneNumber | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class AccountPayload:
    account: Account | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="key is shown only here")
class ApiKeyPayload:
    key: str | None = None
    key_id: str | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class HuntPayload:
    result: HuntResult | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SystemConfigPayload:
    config: SystemConfig | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)
