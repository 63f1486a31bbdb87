"""The legacy carrier: Kazoo carrier modules numplane has no module for (`knm_bandwidth2`, `knm_telnyx`,
`knm_vitelity`, `knm_pacwest`, `knm_other`, ...), kept by the numbers imported from Kazoo.

It records the module's name and does nothing upstream: numplane has no API to call for these carriers.
Release, move and hunt work as for any other non-local number; the number returns to the pool on release
(it was ordered from someone once, so it is not deleted like a `local` number). Giving the number back
to that carrier, if the operator wants to, happens outside numplane, as it did from Kazoo.
"""

from __future__ import annotations

from numplane.carriers.stored import StoredCarrier


class LegacyCarrier(StoredCarrier):
    is_local = False

    def __init__(self, name: str) -> None:
        self.name = name
