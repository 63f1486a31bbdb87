"""A tenant tree on a real store: root admin M > reseller R > child C, and U unrelated (child of M)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from numplane.resolvers import accounts, keys
from numplane.resolvers.context import Requester, Role, Services
from numplane.settings import Settings
from numplane.store.base import Store


class Clock:
    """A clock the tests move by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class World:
    services: Services
    clock: Clock
    admin: Requester
    reseller: Requester
    child: Requester
    unrelated: Requester


async def make_world(store: Store, settings: Settings | None = None) -> World:
    clock = Clock()
    services = Services(store=store, settings=settings or Settings(carriers="simulated"), clock=clock)
    root, _key, _created = await keys.init_root(services, "M")
    admin = Requester(root, Role.ADMIN)
    reseller_account = await accounts.create_account(services, admin, "R")
    reseller = Requester(reseller_account, Role.USER)
    child = Requester(await accounts.create_account(services, reseller, "C"), Role.USER)
    unrelated = Requester(await accounts.create_account(services, admin, "U"), Role.USER)
    return World(services, clock, admin, reseller, child, unrelated)


@pytest.fixture
async def world(store: Store) -> World:
    return await make_world(store)
