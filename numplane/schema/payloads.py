"""Mutation payloads: the result and its userErrors (one per failed number, in input order).

A payload is built either with its result (no userErrors) or with only its userErrors (the result
fields then default to null), so `numplane.schema.mutation.answer` can make the failed one of any kind."""

from __future__ import annotations

import strawberry

from numplane.domain.numbers import Number
from numplane.resolvers.bulk import BulkResult
from numplane.schema.errors import UserError, user_error
from numplane.schema.types import Account, HuntResult, PhoneNumber, SystemConfig


def _numbers(root: NumbersPayload) -> list[PhoneNumber]:
    # Converted when selected: a client changing one number often asks only for its userErrors.
    return [PhoneNumber.from_domain(n) for n in root.changed]


@strawberry.type
class NumbersPayload:
    numbers: list[PhoneNumber] = strawberry.field(resolver=_numbers)
    user_errors: list[UserError]
    changed: strawberry.Private[list[Number]]

    @classmethod
    def from_result(cls, result: BulkResult | list[UserError]) -> NumbersPayload:
        if isinstance(result, list):
            return cls(user_errors=result, changed=[])
        return cls(user_errors=[user_error(e) for e in result.errors], changed=result.numbers)


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
