"""Concurrent callers asking for the same thing share one load instead of each making it.

The 2-second key and config caches expire together; without this, the sixteen requests in flight at that
moment all re-read the same documents at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")


class SingleFlight:
    def __init__(self) -> None:
        self._pending: dict[str, asyncio.Future[Any]] = {}

    async def run(self, key: str, load: Callable[[], Awaitable[T]]) -> T:
        pending = self._pending.get(key)
        if pending is None:
            pending = asyncio.ensure_future(load())
            self._pending[key] = pending
            pending.add_done_callback(lambda _done: self._pending.pop(key, None))
        # A caller that gives up (a closed connection) must not cancel the load the others wait for.
        result: T = await asyncio.shield(pending)
        return result
