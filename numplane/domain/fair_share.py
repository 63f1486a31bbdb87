"""Fair share (issue 15): which request budget a request spends, and what a budget allows.

Every API key has a budget of requests per role: a rate it may keep up and a burst it may spend at once.
The router's hunt has a budget of its own (every request of a router key, and `GET /hunt` with any key),
so however hard a tenant's key is driven, call routing is never refused for it. Requests without a valid
key spend the budget of their client address.

A budget "R/B" (`20/200`) is counted as B requests per window of B/R seconds, sliding: a key that was
quiet may send B at once, one that keeps sending gets R per second; the two figures of a token bucket of
rate R and capacity B. The window is whole seconds (the rate limiter counts in seconds), so B/R is rounded,
never below one second.

A refused request is held before its refusal is sent (`hold_seconds`), the way a reverse proxy delays
what is over a limit: a client that retries at once, as broken clients and scripts do, is slowed to one
try per connection per hold (a second) instead of spinning a core on refusals, which would slow every other key's
requests however cheap each refusal is. Holds are bounded per key (`MAX_HELD`): past it refusals are sent
at once, so opening more connections never makes the server keep more waiting.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

from numplane.domain.api_keys import ADMIN, ROUTER, USER


class Spender(str, Enum):
    """Whose budget a request spends (one budget per API key, or per client address without one)."""

    ADMIN = ADMIN
    USER = USER
    ROUTER = ROUTER  # the hunt: a router key's every request, and GET /hunt
    ANONYMOUS = "anonymous"  # no valid key: per client address


@dataclass(frozen=True, slots=True)
class Budget:
    rate: float  # requests per second kept up
    burst: int  # requests at once

    @classmethod
    def parse(cls, text: str) -> Budget:
        """`RATE/BURST`, e.g. `20/200`: 20 requests per second, bursts of 200."""
        rate, slash, burst = text.partition("/")
        try:
            budget = cls(float(rate), int(burst))
        except ValueError:
            budget = None
        if not slash or budget is None or not (budget.rate > 0 and budget.burst >= 1 and math.isfinite(budget.rate)):
            raise ValueError(f"a rate limit is RATE/BURST with both above zero (e.g. 20/200), not {text!r}")
        return budget

    @property
    def window_seconds(self) -> int:
        return max(1, round(self.burst / self.rate))


def spender(role: str | None, *, hunt_route: bool) -> Spender:
    """The budget a request spends: `role` of its valid key (None without one); `hunt_route` for GET /hunt."""
    if role is None:
        return Spender.ANONYMOUS
    if hunt_route or role == ROUTER:
        return Spender.ROUTER
    return Spender.ADMIN if role == ADMIN else Spender.USER


def retry_after(reset_in: float) -> int:
    """Whole seconds to wait before the next request fits (what Retry-After and RateLimit-Reset say)."""
    return max(1, math.ceil(reset_in))


MAX_HELD = 64  # refusals of one key (or address) held at a time; each is one idle coroutine


def hold_seconds(longest: float, held: int, draw: float) -> float:
    """How long to hold a refusal: between half of `longest` and all of it, by `draw` (uniform in [0, 1));
    not at all past MAX_HELD. Spread, because refusals held alike would come back together when the budget
    has refilled and be admitted as one burst of work; and not merely until the next request fits, which
    would let each connection retry `rate` times a second, spinning a core on refusals again."""
    return 0.0 if held >= MAX_HELD else max(0.0, longest) * (0.5 + draw / 2)
