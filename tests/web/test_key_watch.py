"""The key watch of open WebSockets, on both stores: one authentication per key per round however many
sockets share it, every socket of a revoked key told once, and an unreachable store closes nothing."""

from __future__ import annotations

import asyncio
from typing import cast

from numplane.domain.errors import DomainError, ErrorCode
from numplane.resolvers import keys
from numplane.resolvers.context import Requester, Role, Services
from numplane.settings import Settings
from numplane.store.base import Db, Doc, Store, StoreUnavailable
from numplane.web.key_watch import KeyWatch
from tests.support.counting import CountingStore

NEVER = 3600.0  # the rounds below are run by hand, not by the watch's own timer


class Told:
    """What one socket was told: the errors its `refused` callback received."""

    def __init__(self) -> None:
        self.errors: list[DomainError] = []

    async def refused(self, error: DomainError) -> None:
        self.errors.append(error)


async def keyed(store: Store) -> tuple[Services, str, str]:
    """Services over `store`, and a user key (token, key id) of a fresh account."""
    services = Services(store=store, settings=Settings())
    root, _admin_key, _created = await keys.init_root(services, "M")
    token, key_id = await keys.create_key(services, Requester(root, Role.ADMIN), root.id, "user")
    return services, token, key_id


async def settle() -> None:
    """Let the tasks the watch started for refused sockets run."""
    for _turn in range(3):
        await asyncio.sleep(0)


async def test_sockets_sharing_a_key_cost_one_authentication_per_round_and_are_all_ended_by_its_revocation(
    store: Store,
) -> None:
    counting = CountingStore(store)
    services, token, key_id = await keyed(cast(Store, counting))
    watch = KeyWatch(services, NEVER)
    sockets = [Told() for _ in range(5)]
    unwatch = [watch.watch(token, socket.refused) for socket in sockets]
    try:
        services.authenticated.clear()  # as when the cache's window has passed
        counting.calls.clear()
        await watch.check()
        assert counting.calls["get_many:system"] == 1  # the key document, once for five sockets
        await watch.check()
        assert counting.calls["get_many:system"] == 1  # within the window: from the auth cache
        await settle()
        assert [s.errors for s in sockets] == [[]] * 5

        root = await keys.root_account(services)
        assert root is not None
        await keys.revoke_key(services, Requester(root, Role.ADMIN), key_id)
        await watch.check()
        await watch.check()  # a key already ended is not checked or told again
        await settle()
        assert [[e.code for e in s.errors] for s in sockets] == [[ErrorCode.UNAUTHENTICATED]] * 5
        assert len(watch) == 0
    finally:
        for stop in unwatch:
            stop()


class Unreachable(CountingStore):
    async def get_many(self, db: Db, ids: list[str], *, held: object = None) -> dict[str, Doc]:  # type: ignore[override]
        raise StoreUnavailable("down")


async def test_an_unreachable_store_ends_no_socket(store: Store) -> None:
    services, token, _key_id = await keyed(store)
    services.store = Unreachable(store)  # type: ignore[assignment]
    services.authenticated.clear()
    watch = KeyWatch(services, NEVER)
    socket = Told()
    stop = watch.watch(token, socket.refused)
    try:
        await watch.check()
        await settle()
        assert socket.errors == []
        assert len(watch) == 1
    finally:
        stop()
