"""Per-API-key rate limits on /graphql and /hunt, answered HTTP 429 before any work is done.

The budgets and who spends which are domain rules (numplane.domain.fair_share); counting is the `limits`
package's sliding-window counter in this process's memory, its token-bucket equivalent: a key that has
been quiet may send `burst` requests at once, and one that keeps sending is admitted at `rate` per second,
evenly, because the previous window's count weighs less and less as the current window goes by. Its
moving window would be exact, but under constant pressure it admits each window's requests at the moments
the previous window's were admitted, so a burst comes back every window (the quiet tenant's p99 sees it);
and it keeps a timestamp per request where the counter keeps two numbers per key. The fixed window lets
twice the burst through across a window's edge. Every worker process (and replica) counts its own requests.

A request's cost here is one lookup of its key in the authentication cache (which the handler's own key
check then finds too) and one hit plus one read of the window; a key not in the cache is checked here (a
store read) and cached. A request without a valid key spends its client address's budget. A refusal is
held before it is sent (numplane.domain.fair_share.hold_seconds), a sleeping coroutine that costs no CPU.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.strategies import SlidingWindowCounterRateLimiter
from starlette.datastructures import Headers
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from numplane.domain.fair_share import Budget, Spender, hold_seconds, retry_after, spender
from numplane.resolvers.context import Requester, Services
from numplane.resolvers.keys import authenticate, cached_requester
from numplane.schema.request_errors import RATE_LIMITED
from numplane.settings import Settings
from numplane.store.base import StoreUnavailable
from numplane.web.credentials import bearer
from numplane.web.errors import error_response
from numplane.web.rate_counts import SweptMemoryStorage


@dataclass(frozen=True, slots=True)
class Quota:
    """What one hit found: whether the request may run, and the RateLimit-* figures for its response."""

    allowed: bool
    limit: int
    remaining: int
    reset: int  # seconds until the next request fits

    def headers(self) -> list[tuple[bytes, bytes]]:
        headers = [
            (b"ratelimit-limit", str(self.limit).encode()),
            (b"ratelimit-remaining", str(self.remaining).encode()),
            (b"ratelimit-reset", str(self.reset).encode()),
        ]
        if not self.allowed:
            headers.append((b"retry-after", str(retry_after(self.reset)).encode()))
        return headers


def budgets(settings: Settings) -> dict[Spender, Budget]:
    return {
        Spender.ADMIN: Budget.parse(settings.rate_limit_admin),
        Spender.USER: Budget.parse(settings.rate_limit_user),
        Spender.ROUTER: Budget.parse(settings.rate_limit_router),
        Spender.ANONYMOUS: Budget.parse(settings.rate_limit_anonymous),
    }


class RateLimits:
    """The process's request budgets, one per key (or address) and spender."""

    def __init__(self, budgets: dict[Spender, Budget]) -> None:
        self._limiter = SlidingWindowCounterRateLimiter(SweptMemoryStorage())
        # The namespace keeps a key's hunt budget apart from its other requests' even if both read alike.
        self._items: dict[Spender, RateLimitItem] = {
            who: RateLimitItemPerSecond(budget.burst, budget.window_seconds, namespace=who.value)
            for who, budget in budgets.items()
        }

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimits:
        return cls(budgets(settings))

    def hit(self, who: Spender, identity: str) -> Quota:
        """Spend one request of `identity`'s budget (its key id, or its address) if one is left."""
        item = self._items[who]
        allowed = self._limiter.hit(item, identity)
        stats = self._limiter.get_window_stats(item, identity)
        reset = max(0, round(stats.reset_time - time.time() + 0.5))  # whole seconds, rounded up
        return Quota(allowed, item.amount, max(0, stats.remaining), reset)

    def hit_requester(self, requester: Requester) -> Quota:
        """A request of an authenticated key outside HTTP (a WebSocket operation)."""
        return self.hit(spender(requester.role.value, hunt_route=False), key_identity(requester))


def key_identity(requester: Requester) -> str:
    return requester.key_id or requester.id


def limited(path: str) -> bool:
    return path == "/graphql" or path.startswith("/hunt/")


class RateLimitedRoutes:
    """ASGI middleware: /graphql and /hunt spend their requester's budget first; 429 once it is spent."""

    def __init__(self, app: ASGIApp, services: Services, limits: RateLimits) -> None:
        self.app = app
        self.services = services
        self.limits = limits
        self.longest_hold = services.settings.rate_limit_hold_seconds
        self.held: Counter[str] = Counter()  # refusals being held, by key id (or address)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not limited(scope["path"]):
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        identity, quota = await self.quota(scope)
        if not quota.allowed:
            await self.hold(identity)
            refused = self.refusal(path, quota)
            refused.raw_headers.extend(quota.headers())
            await refused(scope, receive, send)
            return
        extra = quota.headers()

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        await self.app(scope, receive, with_headers)

    async def hold(self, identity: str) -> None:
        """Wait before refusing (numplane.domain.fair_share): a client retrying at once spins no core."""
        seconds = hold_seconds(self.longest_hold, self.held[identity], random.random())
        if seconds <= 0:
            return
        self.held[identity] += 1
        try:
            await asyncio.sleep(seconds)
        finally:
            self.held[identity] -= 1
            if not self.held[identity]:
                del self.held[identity]

    async def quota(self, scope: Scope) -> tuple[str, Quota]:
        """Whose budget the request spends (key id or address), and what hitting it found."""
        hunt_route = scope["path"] != "/graphql"
        token = bearer(Headers(scope=scope).get("authorization"))
        requester = cached_requester(self.services, token) if token else None
        if requester is None and token:
            # Checked (one store read) before the address's budget is spent: a valid key is never refused
            # for what others sharing its address (a NAT, a proxy) sent without one.
            try:
                requester = await authenticate(self.services, token)
            except StoreUnavailable:
                requester = None  # the handler answers 503 itself
        if requester is None:
            address = client_address(scope)
            return address, self.limits.hit(Spender.ANONYMOUS, address)
        identity = key_identity(requester)
        return identity, self.limits.hit(spender(requester.role.value, hunt_route=hunt_route), identity)

    @staticmethod
    def refusal(path: str, quota: Quota) -> Response:
        message = f"Too many requests: the budget is {quota.limit} requests at once; retry in {quota.reset} s."
        if path != "/graphql":  # the hunt route's own error shape (numplane.web.hunt)
            return JSONResponse({"error": {"code": RATE_LIMITED, "message": message}}, status_code=429)
        return error_response(429, RATE_LIMITED, message, retryAfter=retry_after(quota.reset))


def client_address(scope: Scope) -> str:
    """The peer's address (behind a proxy: what uvicorn's --proxy-headers made of X-Forwarded-For)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"
