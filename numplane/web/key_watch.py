"""Open WebSockets follow their API key: a revoked key or a disabled account ends them (issue 15).

A WebSocket authenticates once, at connection_init, and its subscriptions may then run for hours. Every
`interval` seconds the watch authenticates each distinct key held by this process's open sockets again,
through the normal path (numplane.resolvers.keys.authenticate: the auth cache, then the store), so a key
revoked or an account disabled through any replica ends the sockets of every replica within the auth
cache's window plus one interval. The cost is one authentication per key per interval however many
sockets share the key and however many events they receive; the task runs only while sockets are open.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from numplane.domain import api_keys
from numplane.domain.errors import DomainError
from numplane.resolvers.context import Services
from numplane.resolvers.keys import authenticate
from numplane.store.base import StoreUnavailable

log = logging.getLogger(__name__)

Refused = Callable[[DomainError], Coroutine[Any, Any, None]]
"""What a socket does when its key no longer admits it: end its operations and close."""

CHECKS_AT_ONCE = 32  # keys authenticated concurrently in one round (most answer from the auth cache)


async def refusal(services: Services, token: str) -> DomainError | None:
    """Why a socket holding `token` must end now, or None (also when the store cannot tell: an outage
    must not close every socket of the process)."""
    try:
        requester = await authenticate(services, token)
    except StoreUnavailable:
        return None
    try:
        api_keys.ensure_may_stay_connected(
            key_valid=requester is not None, account_enabled=requester is not None and requester.account.enabled
        )
    except DomainError as error:
        return error
    return None


class KeyWatch:
    """The process's open sockets by key, checked again every `interval` seconds."""

    def __init__(self, services: Services, interval: float) -> None:
        self.services = services
        self.interval = interval
        self._sockets: dict[str, dict[Refused, None]] = {}
        self._task: asyncio.Task[None] | None = None
        self._ending: set[asyncio.Task[None]] = set()  # sockets being ended (held so they are not collected)

    def __len__(self) -> int:
        return sum(len(sockets) for sockets in self._sockets.values())

    def watch(self, token: str, refused: Refused) -> Callable[[], None]:
        """Call `refused` once when `token` no longer admits its socket; returns the function that stops
        watching (when the socket closes)."""
        self._sockets.setdefault(token, {})[refused] = None
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="numplane-key-watch")

        def unwatch() -> None:
            sockets = self._sockets.get(token)
            if sockets is not None:
                sockets.pop(refused, None)
                if not sockets:
                    del self._sockets[token]
            if not self._sockets and self._task is not None:
                self._task.cancel()  # nothing left to watch: no task outlives the last socket
                self._task = None

        return unwatch

    async def check(self) -> None:
        """One round: every key held by an open socket, authenticated again."""
        tokens = list(self._sockets)
        for start in range(0, len(tokens), CHECKS_AT_ONCE):
            chunk = tokens[start : start + CHECKS_AT_ONCE]
            found = await asyncio.gather(*(refusal(self.services, token) for token in chunk))
            for token, error in zip(chunk, found, strict=True):
                if error is not None:
                    self._refuse(token, error)

    def _refuse(self, token: str, error: DomainError) -> None:
        sockets = self._sockets.pop(token, {})
        # Each socket ends in a task of its own: one peer slow to take its final messages must not hold
        # up the others (its close is bounded by the socket's own drain timeout).
        for refused in sockets:
            ending = asyncio.create_task(refused(error), name="numplane-key-refused")
            self._ending.add(ending)
            ending.add_done_callback(self._ending.discard)

    async def _run(self) -> None:
        while self._sockets:
            await asyncio.sleep(self.interval)
            try:
                await self.check()
            except Exception:  # the watch must outlive one bad round; the next one checks again
                log.exception("checking the keys of open WebSockets failed")
