"""A tenant world (M > R > C, M > U) whose store counts change-feed reads, with a running ChangeHub."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass

import pytest

from numplane.changes.hub import ChangeHub
from numplane.store.base import ChangePage, Db, Store, StoreUnavailable
from numplane.store.observed import ObservedStore
from tests.resolvers.conftest import World, make_world


class CountingStore(ObservedStore):
    """Counts change-feed reads by the task that made them, and can fail the next few on demand."""

    def __init__(self, inner: Store) -> None:
        super().__init__(inner)
        self.reads: Counter[tuple[Db, str]] = Counter()
        self.failures_to_come = 0

    async def changes(
        self, db: Db, since: str | None, limit: int, *, held: Mapping[str, str] | None = None, own: bool = False
    ) -> ChangePage:
        task = asyncio.current_task()
        self.reads[(db, task.get_name() if task else "?")] += 1
        if self.failures_to_come > 0:
            self.failures_to_come -= 1
            raise StoreUnavailable("simulated outage")
        return await super().changes(db, since, limit, held=held, own=own)

    def readers_of(self, db: Db) -> set[str]:
        return {task for (read_db, task), count in self.reads.items() if read_db is db and count}


@dataclass
class Feed:
    world: World
    hub: ChangeHub
    store: CountingStore


@pytest.fixture
async def feed(store: Store) -> AsyncIterator[Feed]:
    counting = CountingStore(store)
    world = await make_world(counting)
    hub = ChangeHub(counting, poll_interval=0.05, max_backoff=0.2)
    world.services.hub = hub
    await hub.start()
    try:
        yield Feed(world, hub, counting)
    finally:
        await asyncio.wait_for(hub.stop(), 10)  # a reader that does not stop is a failure, not a hang
