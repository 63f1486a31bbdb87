"""What every use case receives: the process-wide services and the authenticated requester."""

from __future__ import annotations

import asyncio
import socket
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum

from cachetools import TTLCache

from numplane.carriers.registry import CarrierSet
from numplane.changes.hub import ChangeHub
from numplane.domain.accounts import Account
from numplane.domain.config import SystemConfig
from numplane.domain.errors import DomainError, ErrorCode
from numplane.domain.webhook_deliveries import DeliveryStats
from numplane.domain.written_numbers import WrittenNumbers
from numplane.resolvers.expiring import Expiring
from numplane.resolvers.listed_numbers import ListedNumbers
from numplane.resolvers.single_flight import SingleFlight
from numplane.routing.cache import RoutingCache
from numplane.settings import Settings
from numplane.store.base import Store
from numplane.store.coalesced import CoalescedStore
from numplane.store.observed import ObservedStore


class Role(str, Enum):
    USER = "user"
    ROUTER = "router"  # the call router: may hunt
    ADMIN = "admin"  # keys of the root (super-admin) account


@dataclass(frozen=True, slots=True)
class Requester:
    account: Account
    role: Role
    key_id: str | None = None

    @property
    def is_admin(self) -> bool:
        # Admin power comes from the account (pvt_superduper_admin), as in Kazoo; a router key of the
        # root account is still only a router.
        return self.account.is_admin and self.role is Role.ADMIN

    @property
    def id(self) -> str:
        return self.account.id

    def ensure_may_change(self) -> None:
        """Every mutation but the hunt: a router key exists only to hunt, a disabled account only reads."""
        if self.role is Role.ROUTER:
            raise DomainError(ErrorCode.FORBIDDEN, "A router key may only hunt numbers; use a user or admin key.")
        if not self.account.enabled:
            raise DomainError(
                ErrorCode.ACCOUNT_DISABLED, "Your account is disabled: it can read but not change anything."
            )

    def ensure_admin(self, action: str) -> None:
        if not self.is_admin:
            raise DomainError(ErrorCode.FORBIDDEN, f"Only admins can {action}.")


AUTH_CACHE_SECONDS = 2.0
"""Authenticating costs two store reads; a router sending many hunts per second should not pay them on
every call. Revocation in this process takes effect at once, on other replicas within this window."""
AUTH_CACHE_SIZE = 10_000
"""Keys in use at once; beyond this the longest cached are checked again (bounded memory)."""
CONFIG_CACHE_SECONDS = 2.0
"""Every mutation needs the config; re-reading it each time would double the store requests of a
single-number transition. A change made here is seen at once; one made by another replica within this."""


def system_clock() -> datetime:
    return datetime.now(UTC)


Resolve = Callable[[str], Awaitable[list[str]]]
"""A host name to its addresses, as text (webhook URLs are checked against them)."""


async def system_resolve(host: str) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


@dataclass
class Services:
    """Built once by the composition root (app.py / cli.py) and shared by every request."""

    store: Store
    settings: Settings = field(default_factory=Settings)
    clock: Callable[[], datetime] = system_clock
    carriers: CarrierSet = field(default_factory=CarrierSet.build)
    # Small process-local caches, one per concern, so that changing one never empties the other.
    authenticated: Expiring[str, Requester] = field(
        default_factory=lambda: Expiring(AUTH_CACHE_SIZE, AUTH_CACHE_SECONDS)
    )
    config: TTLCache[str, SystemConfig] = field(default_factory=lambda: TTLCache(1, CONFIG_CACHE_SECONDS))
    # Their refills: one store read per entry however many requests find it expired at once.
    flights: SingleFlight = field(default_factory=SingleFlight)
    # The numbers this process just wrote, by revision: read back by the feed or the next change as they
    # are, and the trails of its latest writes not checked again.
    written_numbers: WrittenNumbers = field(default_factory=WrittenNumbers)
    # The process's one reader of the change feed (started and stopped by the app's lifespan).
    hub: ChangeHub | None = None
    # The hunt's in-memory view of numbers and accounts; built on first use over `store` (see
    # numplane.resolvers.hunt.routing_of), or by the composition root so the change hub can feed it.
    routing: RoutingCache | None = None
    # Webhooks: how host names are resolved (tests give a fixed table), and the dispatcher's figures.
    resolve: Resolve = system_resolve
    webhook_stats: DeliveryStats = field(default_factory=DeliveryStats)
    # Job runs in this process by (job, outcome): done, refused, lost or failed (for /metrics).
    job_runs: Counter[tuple[str, str]] = field(default_factory=Counter)
    # Numbers read from listed documents, by revision (numplane.resolvers.listed_numbers).
    listed: ListedNumbers = field(default_factory=ListedNumbers)

    @classmethod
    def from_settings(cls, settings: Settings) -> Services:
        """The process's services: the configured store, with concurrent reads and writes merged into
        one call per database (numplane.store.coalesced) and wrapped so this process's writes are announced
        at once to the routing cache (and the change hub), and the configured carriers."""
        from numplane.store import store_from_url

        store = ObservedStore(
            CoalescedStore(store_from_url(settings.store, db_prefix=settings.db_prefix)),
            slow_after=settings.slow_store_ms / 1000,
        )
        return cls(
            store=store,
            settings=settings,
            carriers=CarrierSet.from_settings(settings),
            routing=RoutingCache.attach(store),
        )
