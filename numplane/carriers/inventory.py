"""`inventory`: operator pools of numbers imported in bulk (SPEC §5).

Unlike `local`, these numbers go back to the pool on release (through aging, by default): the domain's
release rule deletes only the modules in `ALWAYS_DELETED_MODULES`.
"""

from __future__ import annotations

from numplane.carriers.stored import StoredCarrier


class InventoryCarrier(StoredCarrier):
    name = "inventory"
