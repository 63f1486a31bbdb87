"""`local`: the operator's own numbers, created directly in the store (SPEC §5).

Nothing upstream is ordered or returned, so acquiring and disconnecting have no carrier side and no
carrier data; such numbers are found by searching the store, never the carrier, and are always
deleted on release.
"""

from __future__ import annotations

from typing import Any


class LocalCarrier:
    name = "local"
    is_local = True

    async def search(self, prefix: str, quantity: int) -> list[str]:
        # Local numbers exist only in the store, which the resolvers search themselves.
        return []

    async def check(self, number: str) -> bool:
        # It cannot supply a number that is not already in the store.
        return False

    async def acquire(self, number: str) -> dict[str, Any]:
        return {}

    async def disconnect(self, number: str) -> None:
        return None
