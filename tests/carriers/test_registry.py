"""The carrier set: built-ins always present, upstream carriers chosen by configuration."""

from __future__ import annotations

import pytest

from numplane.carriers.base import CarrierError
from numplane.carriers.registry import CarrierSet, UnknownCarrier, parse_failures
from numplane.carriers.simulated import SimulatedCarrier, offers
from numplane.domain.errors import DomainError, ErrorCode
from numplane.settings import Settings


def test_every_built_in_module_is_available_even_with_no_upstream_enabled() -> None:
    carriers = CarrierSet.build()
    assert [carriers.get(name).name for name in ("local", "inventory", "mdn", "simulated")] == [
        "local", "inventory", "mdn", "simulated"
    ]
    assert carriers.upstream([]) == []


def test_upstream_carriers_come_in_the_configured_order() -> None:
    carriers = CarrierSet.build(["simulated"])
    assert [c.name for c in carriers.upstream(["simulated"])] == ["simulated"]


def test_a_number_from_an_unknown_module_names_the_known_ones() -> None:
    with pytest.raises(UnknownCarrier) as caught:
        CarrierSet.build().get("bandwidth2")
    assert "bandwidth2" in caught.value.message
    assert "local" in caught.value.message


@pytest.mark.parametrize("name", ["local", "inventory", "mdn", "bandwidth"])
def test_only_upstream_modules_can_be_enabled_as_carriers(name: str) -> None:
    with pytest.raises(UnknownCarrier):
        CarrierSet.build([name])


@pytest.mark.parametrize(
    ("text", "entries"),
    [
        ("", ()),
        ("+1332555,+14155550123", ("+1332555", "+14155550123")),
        (" 1332555 , ,+44 ", ("+1332555", "+44")),
    ],
)
def test_failures_setting_is_a_comma_separated_list_of_prefixes(text: str, entries: tuple[str, ...]) -> None:
    assert parse_failures(text) == entries


def test_a_failures_entry_that_is_not_a_prefix_names_the_setting() -> None:
    with pytest.raises(ValueError, match="NUMPLANE_SIMULATED_CARRIER_FAILURES"):
        parse_failures("+1332555,oops")


async def test_settings_configure_the_simulated_carrier() -> None:
    failing = offers("+1332555", 1)[0]
    settings = Settings(carriers="simulated", simulated_carrier_failures="+1332555", simulated_carrier_latency_ms=0)
    carriers = CarrierSet.from_settings(settings)
    (simulated,) = carriers.upstream(settings.carrier_list)
    assert isinstance(simulated, SimulatedCarrier)
    assert simulated.failures == ("+1332555",)
    with pytest.raises(CarrierError, match="configured failure"):
        await simulated.acquire(failing, token="t1")


def test_new_numbers_may_carry_only_a_known_carrier_name() -> None:
    carriers = CarrierSet.build()
    for name in carriers.accepted:
        carriers.ensure_accepted(name)
    with pytest.raises(DomainError) as caught:
        carriers.ensure_accepted("nope")
    assert caught.value.code is ErrorCode.INVALID_FIELD and caught.value.field == ("carrier",)


def test_only_upstream_and_unknown_modules_act_beyond_the_store() -> None:
    carriers = CarrierSet.build()
    assert [carriers.acts_upstream(name) for name in ("local", "inventory", "mdn", "simulated")] == [
        False, False, False, True,
    ]
    assert carriers.acts_upstream("no-such-module")
