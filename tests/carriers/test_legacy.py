"""The legacy carrier serves every Kazoo module numplane has no module for, doing nothing upstream."""

from __future__ import annotations

import pytest

from numplane.carriers.legacy import LegacyCarrier
from numplane.carriers.registry import CarrierSet, UnknownCarrier


async def test_kazoo_modules_are_served_by_a_legacy_carrier_that_keeps_the_name() -> None:
    carriers = CarrierSet.build()
    for name in ("knm_pacwest", "knm_bandwidth2", "knm_telnyx"):
        carrier = carriers.get(name)
        assert isinstance(carrier, LegacyCarrier) and carrier.name == name and not carrier.is_local
        assert await carrier.acquire("+14155550100", token="t1") == {}
        await carrier.disconnect("+14155550100", token="t2")  # nothing upstream to call: it must not fail
        carriers.ensure_accepted(name)


def test_other_unknown_names_are_still_refused() -> None:
    with pytest.raises(UnknownCarrier):
        CarrierSet.build().get("bandwidth")
