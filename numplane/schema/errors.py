"""The ONE place where domain errors become GraphQL: userErrors in payloads, coded errors in queries."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

import strawberry
from graphql import GraphQLError

from numplane.domain.errors import DomainError
from numplane.domain.errors import ErrorCode as DomainErrorCode
from numplane.store.base import StoreUnavailable

strawberry.enum(DomainErrorCode, name="ErrorCode")
ErrorCode = DomainErrorCode  # one closed set: the GraphQL enum is the domain enum

STORE_DOWN = DomainError(
    DomainErrorCode.STORE_UNAVAILABLE,
    "The database cannot be reached right now; nothing was changed. Retry shortly.",
)

T = TypeVar("T")


@strawberry.type
class UserError:
    code: ErrorCode
    message: str
    number: str | None = None
    field: list[str] | None = None
    held_until: datetime | None = strawberry.field(default=None, description="NUMBER_HELD: when the hold ends")


def field_path(field: tuple[str, ...]) -> list[str]:
    """A domain field path as the client named it: the first segment is an input field, named in the
    domain as in SPEC (`max_batch`) and in GraphQL in camelCase (`maxBatch`); later segments are keys of
    the client's own JSON (`publicFields.e911.street_address`) and stay exactly as sent."""
    head, *rest = field
    first, *words = head.split("_")
    return [first + "".join(w[:1].upper() + w[1:] for w in words), *rest]


def user_error(error: DomainError) -> UserError:
    return UserError(
        code=error.code,
        message=error.message,
        number=error.number,
        field=field_path(error.field) if error.field else None,
        held_until=error.held_until,
    )


def graphql_error(error: DomainError) -> GraphQLError:
    """An expected failure of a query: a top-level error with its code, never masked."""
    extensions: dict[str, object] = {"code": error.code.value}
    if error.number:
        extensions["number"] = error.number
    if error.field:
        extensions["field"] = field_path(error.field)
    if error.held_until:
        extensions["heldUntil"] = error.held_until.isoformat()
    return GraphQLError(error.message, extensions=extensions)


async def or_user_errors(action: Callable[[], Awaitable[T]]) -> T | list[UserError]:
    """Run a mutation's use case; a whole-request failure becomes a single userError (number null)."""
    try:
        return await action()
    except DomainError as error:
        return [user_error(error)]
    except StoreUnavailable:
        return [user_error(STORE_DOWN)]


async def or_query_error(action: Awaitable[T]) -> T:
    """Run a query's use case; expected failures become coded GraphQL errors."""
    try:
        return await action
    except DomainError as error:
        raise graphql_error(error) from None
    except StoreUnavailable:
        raise graphql_error(STORE_DOWN) from None


async def or_none_if_missing(action: Awaitable[T]) -> T | None:
    """Like `or_query_error`, but NOT_FOUND (missing or invisible: the same to the caller) is null."""
    try:
        return await action
    except DomainError as error:
        if error.code is DomainErrorCode.NOT_FOUND:
            return None
        raise graphql_error(error) from None
    except StoreUnavailable:
        raise graphql_error(STORE_DOWN) from None


P = TypeVar("P")


def failed(error: DomainError | StoreUnavailable) -> list[UserError]:
    """The userErrors of a use case that failed as a whole (`or_user_errors` for one that did not wait)."""
    return [user_error(error if isinstance(error, DomainError) else STORE_DOWN)]


async def answer(payload: Callable[..., P], action: Callable[[], Awaitable[P]]) -> P:
    """The payload `action` builds, or when it fails the same kind of payload holding only its userErrors."""
    result = await or_user_errors(action)
    return payload(user_errors=result) if isinstance(result, list) else result
