"""When a webhook delivery is tried again, when it is given up, and when its endpoint is switched off.

The schedule is the one receivers are told about (README): 5 s, 30 s, 2 min, 10 min, 1 h, then every 3 h,
for 24 hours. Each delay carries up to ±20 % jitter, so the many deliveries a receiver outage piles up do
not all come back in the same second. `scale` shortens the whole schedule (tests, by configuration).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

DELAYS_SECONDS: tuple[float, ...] = (5, 30, 120, 600, 3600)
THEN_EVERY_SECONDS = 3 * 3600.0
RETRY_FOR = timedelta(hours=24)
JITTER = 0.2
DISABLE_AFTER_FAILING = timedelta(hours=24)


class Outcome(str, Enum):
    DELIVERED = "delivered"  # any 2xx
    RETRY = "retry"  # the receiver failed, timed out or could not be reached: try again later
    GONE = "gone"  # 410: the receiver asks never to be called again, so its endpoint is disabled
    REFUSED = "refused"  # the address is no longer one numplane may call: retried, it may change back


def outcome_of(status: int | None, *, refused: bool = False) -> Outcome:
    """`status` is the HTTP status, None when no response came (timeout, connection refused)."""
    if refused:
        return Outcome.REFUSED
    if status is not None and 200 <= status < 300:
        return Outcome.DELIVERED
    if status == 410:
        return Outcome.GONE
    return Outcome.RETRY


def retry_delay(failures: int, jitter: float, *, scale: float = 1.0) -> timedelta:
    """The wait after the `failures`-th failed attempt (1 for the first); `jitter` is a number in [0, 1)
    the caller draws, so this rule stays deterministic."""
    base = DELAYS_SECONDS[failures - 1] if failures <= len(DELAYS_SECONDS) else THEN_EVERY_SECONDS
    spread = 1 + JITTER * (2 * jitter - 1)
    return timedelta(seconds=base * spread * scale)


@dataclass(frozen=True, slots=True)
class Next:
    """What follows a failed attempt: `at` the next one, or None when the delivery is given up."""

    at: datetime | None


def after_failure(first_attempt: datetime, failures: int, now: datetime, jitter: float, *, scale: float = 1.0) -> Next:
    """A delivery is retried for 24 hours (scaled) from its first attempt: a retry that would fall later
    is made at the 24-hour mark instead, and a failure then gives it up. So a receiver down for a day is
    tried at its end too, and its endpoint has then been failing for the full 24 hours (and is disabled)."""
    deadline = first_attempt + RETRY_FOR * scale
    if now >= deadline:
        return Next(None)
    return Next(min(now + retry_delay(failures, jitter, scale=scale), deadline))


def should_disable(failing_since: datetime | None, now: datetime, *, scale: float = 1.0) -> bool:
    """An endpoint whose deliveries have all failed for 24 hours (scaled) is disabled: its receiver is gone
    for good or broken, and the customer is shown why."""
    return failing_since is not None and now - failing_since >= DISABLE_AFTER_FAILING * scale
