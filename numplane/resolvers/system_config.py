"""System configuration (SPEC §11): stored in the system database, defaults from settings."""

from __future__ import annotations

import time
from typing import Any

from numplane.domain.config import SystemConfig, parse_config
from numplane.domain.errors import DomainError, ErrorCode
from numplane.resolvers.context import Requester, Services
from numplane.store.base import Db

CONFIG_ID = "config"
CACHE_SECONDS = 2.0
"""Every mutation needs the config; re-reading it each time would double the store requests of a
single-number transition. A change made here is seen at once; one made by another replica within this."""


def defaults(services: Services) -> SystemConfig:
    settings = services.settings
    return parse_config({"default_region": settings.default_region, "carriers": settings.carrier_list})


async def get_config(services: Services) -> SystemConfig:
    cached = services.cache.get("config")
    if cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
        config: SystemConfig = cached[1]
        return config
    return await services.flights.run("config", lambda: _load_config(services))


async def _load_config(services: Services) -> SystemConfig:
    docs = await services.store.get_many(Db.SYSTEM, [CONFIG_ID])
    stored = {k: v for k, v in docs.get(CONFIG_ID, {}).items() if not k.startswith("_") and k != "pvt_type"}
    config = defaults(services).updated(stored) if stored else defaults(services)
    services.cache["config"] = (time.monotonic(), config)
    return config


async def update_config(services: Services, requester: Requester, changes: dict[str, Any]) -> SystemConfig:
    """Apply admin changes (None values are ignored); out-of-range values are INVALID_FIELD."""
    requester.ensure_may_change()
    requester.ensure_admin("change the system configuration")
    changes = {k: v for k, v in changes.items() if v is not None}
    for _attempt in range(5):
        docs = await services.store.get_many(Db.SYSTEM, [CONFIG_ID])
        current = docs.get(CONFIG_ID)
        stored = {k: v for k, v in (current or {}).items() if not k.startswith("_") and k != "pvt_type"}
        config = defaults(services).updated({**stored, **changes})
        doc: dict[str, Any] = {"_id": CONFIG_ID, "pvt_type": "config", **config.model_dump(mode="json")}
        if current is not None:
            doc["_rev"] = current["_rev"]
        (result,) = await services.store.put_many(Db.SYSTEM, [doc])
        if result.ok:
            services.cache.pop("config", None)
            return config
    raise DomainError(ErrorCode.CONFLICT, "The configuration kept changing under this update; retry.")
