"""Rate limits out of the way of the benchmarks that measure throughput with one key (issue 15's budgets
would answer most of their requests with 429 within seconds: that is what production wants, not what they
measure). One-second windows keep the moving window's per-key list as short as a second of requests."""

from __future__ import annotations

NO_LIMIT = "10000000/10000000"
ROLES = ("admin", "user", "router", "anonymous")
UNLIMITED_SETTINGS = {f"rate_limit_{role}": NO_LIMIT for role in ROLES}
UNLIMITED_ENV = {f"NUMPLANE_RATE_LIMIT_{role.upper()}": NO_LIMIT for role in ROLES}
