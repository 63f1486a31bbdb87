"""local, inventory and mdn: numbers that live in the store, with nothing to order upstream."""

from __future__ import annotations

import pytest

from numplane.carriers.inventory import InventoryCarrier
from numplane.carriers.local import LocalCarrier
from numplane.carriers.mdn import MdnCarrier

Stored = LocalCarrier | InventoryCarrier | MdnCarrier


@pytest.mark.parametrize("carrier", [LocalCarrier(), InventoryCarrier(), MdnCarrier()])
async def test_stored_carriers_offer_nothing_upstream_and_order_nothing(carrier: Stored) -> None:
    assert await carrier.search("+1415", 10) == []
    assert await carrier.check("+14155550123") is False
    assert await carrier.acquire("+14155550123", token="t1") == {}
    assert await carrier.disconnect("+14155550123", token="t2") is None


def test_module_names_are_the_stored_pvt_module_names() -> None:
    assert [LocalCarrier.name, InventoryCarrier.name, MdnCarrier.name] == ["local", "inventory", "mdn"]
