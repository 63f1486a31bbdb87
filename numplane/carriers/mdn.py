"""`mdn`: mobile directory numbers, provisioned by a mobile operator outside numplane (SPEC §5).

numplane only records them: they are never searched for or ordered here, and a release does not
delete them (`is_local` is false) because the mobile line outlives the number's use on the platform.
"""

from __future__ import annotations

from typing import Any


class MdnCarrier:
    name = "mdn"
    is_local = False

    async def search(self, prefix: str, quantity: int) -> list[str]:
        # Mobile numbers are assigned by the mobile operator, not picked from a search.
        return []

    async def check(self, number: str) -> bool:
        return False

    async def acquire(self, number: str) -> dict[str, Any]:
        return {}

    async def disconnect(self, number: str) -> None:
        return None
