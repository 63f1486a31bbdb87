"""An API under test: the ASGI app in process over a real store, with the tenant tree M > R > C, M > U.

Keys: admin (root M), reseller (R), child (C), unrelated (U), router (a router key of M).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import httpx
from asgi_lifespan import LifespanManager

from numplane.app import create_app
from numplane.carriers.registry import CarrierSet
from numplane.domain.accounts import Account
from numplane.resolvers import accounts, keys
from numplane.resolvers.context import Requester, Role, Services
from numplane.settings import Settings
from numplane.store import store_from_url
from numplane.store.base import Store


@dataclass
class Api:
    client: httpx.AsyncClient
    services: Services
    keys: dict[str, str] = field(default_factory=dict)
    accounts: dict[str, Account] = field(default_factory=dict)
    key_ids: dict[str, str] = field(default_factory=dict)

    async def post(
        self, query: str, variables: dict[str, Any] | None = None, *, key: str | None = "admin"
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.keys[key]}"} if key else {}
        return await self.client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)

    async def gql(self, query: str, variables: dict[str, Any] | None = None, *, key: str = "admin") -> dict[str, Any]:
        """The JSON of a request that must be answered with HTTP 200."""
        response = await self.post(query, variables, key=key)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def data(self, query: str, variables: dict[str, Any] | None = None, *, key: str = "admin") -> dict[str, Any]:
        """The data of a request that must succeed without top-level errors."""
        body = await self.gql(query, variables, key=key)
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    def id(self, name: str) -> str:
        return self.accounts[name].id


def settings_for(store_url: tuple[str, str], **overrides: Any) -> Settings:
    url, prefix = store_url
    # The scheduler stays off unless a test asks for it: a job firing at an hour boundary mid-test would
    # make results depend on the time of day. So does the webhook dispatcher, whose polling would count
    # among the store calls that tests of other features measure.
    return Settings(
        store=url, db_prefix=prefix, carriers="simulated", **{"scheduler": False, "webhooks": False, **overrides}
    )


def services_for(settings: Settings, store: Store | None = None) -> Services:
    """The services the app builds for these settings; `store` replaces the store (e.g. a counting one)."""
    if store is None:
        return Services.from_settings(settings)
    return Services(store=store, settings=settings, carriers=CarrierSet.from_settings(settings))


async def build_tree(api: Api) -> None:
    services = api.services
    root, admin_key, _created = await keys.init_root(services, "M")
    admin = Requester(root, Role.ADMIN)
    reseller = await accounts.create_account(services, admin, "R")
    child = await accounts.create_account(services, Requester(reseller, Role.USER), "C")
    unrelated = await accounts.create_account(services, admin, "U")
    api.accounts.update(M=root, R=reseller, C=child, U=unrelated)
    api.keys["admin"] = admin_key
    for name, account in (("reseller", reseller), ("child", child), ("unrelated", unrelated)):
        api.keys[name], api.key_ids[name] = await keys.create_key(services, admin, account.id, "user")
    api.keys["router"], api.key_ids["router"] = await keys.create_key(services, admin, root.id, "router")


Wrapped = TypeVar("Wrapped")


@asynccontextmanager
async def api_over(store_url: tuple[str, str], wrap: Callable[[Store], Wrapped]) -> AsyncIterator[tuple[Api, Wrapped]]:
    """The API over the store `wrap` makes of a fresh store (one that counts, or misses a read on purpose)."""
    settings = settings_for(store_url)
    store = wrap(store_from_url(settings.store, db_prefix=settings.db_prefix))
    async with running_api(services_for(settings, cast(Store, store))) as api:
        yield api, store


@asynccontextmanager
async def running_api(services: Services) -> AsyncIterator[Api]:
    app = create_app(services=services)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            api = Api(client=client, services=services)
            await build_tree(api)
            yield api
