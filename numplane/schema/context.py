"""The typed request context: services, the authenticated requester, and per-request DataLoaders."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from strawberry.dataloader import DataLoader
from strawberry.types import Info as StrawberryInfo

from numplane.domain.accounts import Account
from numplane.domain.errors import DomainError, ErrorCode
from numplane.domain.numbers import Number
from numplane.domain.port_requests import PortRequest
from numplane.resolvers import numbers, port_requests
from numplane.resolvers.accounts import load_accounts
from numplane.resolvers.context import Requester, Services


def account_loader(services: Services) -> DataLoader[str, Account | None]:
    """Every account a request touches, fetched in one store call per resolver tick."""

    async def load(ids: Sequence[str]) -> Sequence[Account | None]:
        found = await load_accounts(services, ids)
        return [found.get(i) for i in ids]

    return DataLoader(load_fn=load)


def number_loader(services: Services, requester: Requester) -> DataLoader[str, Number | None]:
    """Numbers by E.164, visibility already applied (an invisible number loads as None)."""

    async def load(e164s: Sequence[str]) -> Sequence[Number | None]:
        found = await numbers.get_numbers(services, requester, list(e164s))
        return [found.get(e) for e in e164s]

    return DataLoader(load_fn=load)


def port_request_loader(services: Services, requester: Requester) -> DataLoader[str, PortRequest | None]:
    """Port requests by id (PhoneNumber.portRequest), visibility applied, one read per resolver tick."""

    async def load(ids: Sequence[str]) -> Sequence[PortRequest | None]:
        found = await port_requests.get_many(services, requester, list(ids))
        return [found.get(i) for i in ids]

    return DataLoader(load_fn=load)


@dataclass
class RequestContext:
    """One GraphQL request's (or WebSocket connection's) context: services, requester, its loaders."""

    services: Services
    authenticated: Requester | None
    accounts: DataLoader[str, Account | None]
    numbers: DataLoader[str, Number | None] | None = None
    port_requests: DataLoader[str, PortRequest | None] | None = None
    connection_params: dict[str, Any] | None = field(default=None)  # graphql-transport-ws connection_init
    token: str | None = None  # a WebSocket's API key, checked again while it stays open (numplane.web.key_watch)

    @classmethod
    def build(cls, services: Services, requester: Requester | None) -> RequestContext:
        context = cls(services=services, authenticated=None, accounts=account_loader(services))
        if requester is not None:
            context.authenticate(requester)
        return context

    def authenticate(self, requester: Requester) -> None:
        self.authenticated = requester
        self.numbers = number_loader(self.services, requester)
        self.port_requests = port_request_loader(self.services, requester)

    @property
    def requester(self) -> Requester:
        if self.authenticated is None:
            # HTTP requests are authenticated before GraphQL runs; only a WebSocket that skipped
            # connection_init authentication could get here.
            raise DomainError(ErrorCode.UNAUTHENTICATED, "Send an API key: Authorization: Bearer <key>.")
        return self.authenticated

    @property
    def number_loader(self) -> DataLoader[str, Number | None]:
        if self.numbers is None:
            raise DomainError(ErrorCode.UNAUTHENTICATED, "Send an API key: Authorization: Bearer <key>.")
        return self.numbers

    @property
    def port_request_loader(self) -> DataLoader[str, PortRequest | None]:
        if self.port_requests is None:
            raise DomainError(ErrorCode.UNAUTHENTICATED, "Send an API key: Authorization: Bearer <key>.")
        return self.port_requests


Info = StrawberryInfo[RequestContext, None]
