"""`local`: the operator's own numbers, created directly in the store (SPEC §5).

Always deleted on release: they were never ordered from anyone, so there is nothing to return.
"""

from __future__ import annotations

from numplane.carriers.stored import StoredCarrier


class LocalCarrier(StoredCarrier):
    name = "local"
