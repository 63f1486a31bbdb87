"""System configuration (SPEC §11): stored in the system database, defaults from settings."""

from __future__ import annotations

from typing import Any

from numplane.domain.config import SystemConfig, parse_config
from numplane.resolvers.context import Requester, Services
from numplane.resolvers.rewrite import rewrite
from numplane.store.base import Db, Doc

CONFIG_ID = "config"


def defaults(services: Services) -> SystemConfig:
    settings = services.settings
    return parse_config({"default_region": settings.default_region, "carriers": settings.carrier_list})


async def get_config(services: Services) -> SystemConfig:
    cached = services.config.get(CONFIG_ID)
    if cached is not None:
        return cached
    return await services.flights.run("config", lambda: _load_config(services))


async def _load_config(services: Services) -> SystemConfig:
    docs = await services.store.get_many(Db.SYSTEM, [CONFIG_ID])
    stored = {k: v for k, v in docs.get(CONFIG_ID, {}).items() if not k.startswith("_") and k != "pvt_type"}
    config = defaults(services).updated(stored) if stored else defaults(services)
    services.config[CONFIG_ID] = config
    return config


async def update_config(services: Services, requester: Requester, changes: dict[str, Any]) -> SystemConfig:
    """Apply admin changes (None values are ignored); out-of-range values are INVALID_FIELD."""
    requester.ensure_may_change()
    requester.ensure_admin("change the system configuration")
    changes = {k: v for k, v in changes.items() if v is not None}
    decided: list[SystemConfig] = []

    async def change(current: Doc | None) -> Doc:
        stored = {k: v for k, v in (current or {}).items() if not k.startswith("_") and k != "pvt_type"}
        config = defaults(services).updated({**stored, **changes})
        decided.append(config)
        doc: Doc = {"_id": CONFIG_ID, "pvt_type": "config", **config.model_dump(mode="json")}
        if current is not None:
            doc["_rev"] = current["_rev"]
        return doc

    await rewrite(services.store, Db.SYSTEM, CONFIG_ID, change, what="The configuration")
    services.config.pop(CONFIG_ID, None)
    return decided[-1]
