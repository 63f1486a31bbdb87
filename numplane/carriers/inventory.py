"""`inventory`: operator pools of numbers imported in bulk (SPEC §5).

Unlike `local`, these numbers are not the operator's own creation: on release they go back to the
pool (the configured released state) instead of being deleted, which is why `is_local` is false. The
pool lives in the store, so there is nothing to order, search or hand back upstream.
"""

from __future__ import annotations

from typing import Any


class InventoryCarrier:
    name = "inventory"
    is_local = False

    async def search(self, prefix: str, quantity: int) -> list[str]:
        # Pool numbers are `available` documents in the store; the resolvers search those.
        return []

    async def check(self, number: str) -> bool:
        return False

    async def acquire(self, number: str) -> dict[str, Any]:
        return {}

    async def disconnect(self, number: str) -> None:
        return None
