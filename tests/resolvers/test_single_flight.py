"""Expired key and config caches are refilled once, however many requests find them expired together."""

from __future__ import annotations

import asyncio

from numplane.resolvers import keys
from numplane.resolvers.context import Role
from numplane.resolvers.system_config import get_config
from numplane.store.base import Store
from tests.resolvers.conftest import make_world
from tests.support.counting import CountingStore


async def test_sixteen_requests_with_an_expired_key_read_it_once(store: Store) -> None:
    counting = CountingStore(store)
    world = await make_world(counting)
    token, _key_id = await keys.create_key(world.services, world.admin, world.reseller.id, "user")
    world.services.authenticated.clear()  # as after the cache window
    counting.calls.clear()
    requesters = await asyncio.gather(*(keys.authenticate(world.services, token) for _ in range(16)))
    assert {r.id if r else None for r in requesters} == {world.reseller.id}
    assert all(r is not None and r.role is Role.USER for r in requesters)
    assert counting.calls["get_many:system"] == 1 and counting.calls["get_many:accounts"] == 1, counting.calls


async def test_sixteen_requests_with_an_expired_config_read_it_once(store: Store) -> None:
    counting = CountingStore(store)
    world = await make_world(counting)
    world.services.config.clear()
    counting.calls.clear()
    configs = await asyncio.gather(*(get_config(world.services) for _ in range(16)))
    assert len({c.model_dump_json() for c in configs}) == 1
    assert counting.calls["get_many:system"] == 1, counting.calls


async def test_an_unknown_key_shared_by_concurrent_requests_is_refused_to_each(store: Store) -> None:
    world = await make_world(store)
    token, _key_id = await keys.create_key(world.services, world.admin, world.reseller.id, "user")
    forged = token[:-4] + "0000"
    assert await asyncio.gather(*(keys.authenticate(world.services, forged) for _ in range(4))) == [None] * 4
