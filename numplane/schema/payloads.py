"""Mutation payloads: the result and its userErrors (one per failed number, in input order)."""

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
    number: PhoneNumber | None
    user_errors: list[UserError]


@strawberry.type
class AccountPayload:
    account: Account | None
    user_errors: list[UserError]


@strawberry.type(description="key is shown only here")
class ApiKeyPayload:
    key: str | None
    key_id: str | None
    user_errors: list[UserError]


@strawberry.type
class HuntPayload:
    result: HuntResult | None
    user_errors: list[UserError]


@strawberry.type
class SystemConfigPayload:
    config: SystemConfig | None
    user_errors: list[UserError]
