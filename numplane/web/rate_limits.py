"""Per-API-key rate limits on /graphql and /hunt, answered HTTP 429 before any work is done.

The budgets and who spends which are domain rules (numplane.domain.fair_share); counting is the `limits`
package's sliding-window counter in this process's memory, its token-bucket equivalent: a key that has
been quiet may send `burst` requests at once, and one that keeps sending is admitted at `rate` per second,
evenly, because the previous window's count weighs less and less as the current window goes by. Its
moving window would be exact, but under constant pressure it admits each window's requests at the moments
the previous window's were admitted, so a burst comes back every window (the quiet tenant's p99 sees it);
and it keeps a timestamp per request where the counter keeps two numbers per key. The fixed window lets
twice the burst through across a window's edge. Every worker process (and replica) counts its own requests.

A request's cost here is one lookup of its key in the authentication cache (the requester found is left
in the request's scope, numplane.web.credentials, so the route does not look again), one read of the
counter's two windows and, when admitted, one increment; a key not in the cache is checked here (a store
read) and cached. A request without a valid key spends its client address's budget. A refusal is held
before it is sent (numplane.domain.fair_share.hold_seconds), a sleeping coroutine that costs no CPU.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass
from math import floor, inf

from limits import RateLimitItem, RateLimitItemPerSecond
from starlette.responses import JSONResponse, Response
from starlette.types import Scope

from numplane.domain.fair_share import Budget, Spender, hold_seconds, retry_after, spender
from numplane.resolvers.context import Requester, Services
from numplane.resolvers.keys import authenticate, cached_requester
from numplane.schema.request_errors import RATE_LIMITED
from numplane.settings import Settings
from numplane.store.base import StoreUnavailable
from numplane.web.credentials import bearer
from numplane.web.errors import error_response
from numplane.web.rate_counts import SlidingWindows


# Quota and Admission are made for every API request and never changed after; not frozen, because a frozen
# dataclass sets each field through object.__setattr__ (four times the cost of making a plain one).
@dataclass(slots=True)
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


MAX_KEPT_KEYS = 10_000


class RateLimits:
    """The process's request budgets, one per key (or address) and spender."""

    def __init__(self, budgets: dict[Spender, Budget]) -> None:
        self._counter = SlidingWindows()
        # The namespace keeps a key's hunt budget apart from its other requests' even if both read alike.
        self._items: dict[Spender, RateLimitItem] = {
            who: RateLimitItemPerSecond(budget.burst, budget.window_seconds, namespace=who.value)
            for who, budget in budgets.items()
        }
        self._keys: dict[tuple[Spender, str], str] = {}  # limits' key of a budget, made once (bounded below)

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimits:
        return cls(budgets(settings))

    def hit(self, who: Spender, identity: str) -> Quota:
        """Spend one request of `identity`'s budget (its key id, or its address) if one is left.

        What `limits`' SlidingWindowCounterRateLimiter does in `hit` and then `get_window_stats`, with one
        read of the windows where those read them three times (its figures are the RateLimit-* headers)."""
        item = self._items[who]
        expiry = item.get_expiry()
        key = self._keys.get((who, identity))
        if key is None:
            if len(self._keys) >= MAX_KEPT_KEYS:
                self._keys.clear()  # addresses come and go; the keys of the busy ones are made again at once
            key = self._keys[(who, identity)] = item.key_for(identity)
        now = time.time()
        previous, previous_ttl, current, current_ttl = self._counter.read(key, expiry, now)
        allowed = floor(previous * previous_ttl / expiry + current) + 1 <= item.amount
        if allowed:
            current = self._counter.add(key, expiry, now)
        remaining = max(0, item.amount - floor(previous * previous_ttl / expiry + current))
        return Quota(allowed, item.amount, remaining, _reset(expiry, previous, previous_ttl, current, current_ttl))

    def hit_requester(self, requester: Requester) -> Quota:
        """A request of an authenticated key outside HTTP (a WebSocket operation)."""
        return self.hit(spender(requester.role.value, hunt_route=False), key_identity(requester))


def _reset(expiry: int, previous: int, previous_ttl: float, current: int, current_ttl: float) -> int:
    """Whole seconds (rounded up) until the next request fits: when the previous window's weight has lost
    one request or the current window ends, as limits' get_window_stats tells it."""
    if not (previous or current):
        return 0
    previous_reset_in = previous_ttl % (expiry / previous) if previous else inf
    current_reset_in = current_ttl % expiry if current else inf
    return max(0, round(min(previous_reset_in, current_reset_in) + 0.5))


def key_identity(requester: Requester) -> str:
    return requester.key_id or requester.id


def limited(path: str) -> bool:
    return path == "/graphql" or path.startswith("/hunt/")


@dataclass(slots=True)
class Admission:
    """What the rate limits found of a request: whose budget it spent and how that went, and its requester."""

    identity: str  # the key id, or the client address without a valid key
    quota: Quota
    requester: Requester | None
    checked: bool  # False when the store could not be reached to check the key: the route answers that


class RateLimitedRoutes:
    """/graphql and /hunt spend their requester's budget first; 429 once it is spent. The request shell
    (numplane.web.shell) asks `admit` before the route runs, and answers a refusal with `refusal` after `hold`."""

    def __init__(self, services: Services, limits: RateLimits) -> None:
        self.services = services
        self.limits = limits
        self.longest_hold = services.settings.rate_limit_hold_seconds
        self.held: Counter[str] = Counter()  # refusals being held, by key id (or address)

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

    def admit_known(self, path: str, authorization: bytes | None) -> Admission | None:
        """`admit` without waiting, for a key the authentication cache holds (nearly every request of a
        busy key): None when the key must be checked first, and nothing is spent then."""
        token = bearer(authorization.decode("latin-1")) if authorization is not None else None
        requester = cached_requester(self.services, token) if token else None
        return self._spent(path, requester, True) if requester is not None else None

    async def admit(self, path: str, authorization: bytes | None, scope: Scope) -> Admission:
        """Spend one request of the budget of the key in `authorization` (the header's value), or of the
        client's address without a valid one."""
        token = bearer(authorization.decode("latin-1")) if authorization is not None else None
        requester = cached_requester(self.services, token) if token else None
        checked = True
        if requester is None and token:
            # Checked (one store read) before the address's budget is spent: a valid key is never refused
            # for what others sharing its address (a NAT, a proxy) sent without one.
            try:
                requester = await authenticate(self.services, token)
            except StoreUnavailable:
                checked = False  # the route answers 503 itself
        if requester is None:
            address = client_address(scope)
            return Admission(address, self.limits.hit(Spender.ANONYMOUS, address), None, checked)
        return self._spent(path, requester, checked)

    def _spent(self, path: str, requester: Requester, checked: bool) -> Admission:
        identity = key_identity(requester)
        quota = self.limits.hit(spender(requester.role.value, hunt_route=path != "/graphql"), identity)
        return Admission(identity, quota, requester, checked)

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
