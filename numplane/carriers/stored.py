"""Carriers whose numbers live only in numplane's store (local, inventory, mdn).

There is nothing upstream to search, order or hand back: the resolvers search the store themselves,
acquiring and disconnecting have no carrier side, and no carrier data is kept.
"""

from __future__ import annotations

from typing import Any

from numplane.domain.search import FIELDS, NO_FILTER, SearchFilter


class StoredCarrier:
    name = ""
    supports = FIELDS  # the store itself answers every condition for these numbers

    async def search(self, prefix: str, quantity: int, search: SearchFilter = NO_FILTER) -> list[str]:
        return []

    async def check(self, number: str) -> bool:
        # It cannot supply a number that is not already in the store.
        return False

    # Nothing happens upstream, so there is nothing a repeated call could do twice: tokens are unused.

    async def acquire(self, number: str, *, token: str) -> dict[str, Any]:
        return {}

    async def disconnect(self, number: str, *, token: str) -> None:
        return None

    async def deprovision(self, number: str, features: dict[str, Any], *, token: str) -> None:
        return None
