"""`inventory`: operator pools of numbers imported in bulk (SPEC §5).

Unlike `local`, these numbers go back to the pool on release (through aging, by default), which is why
`is_local` is false.
"""

from __future__ import annotations

from numplane.carriers.stored import StoredCarrier


class InventoryCarrier(StoredCarrier):
    name = "inventory"
    is_local = False
