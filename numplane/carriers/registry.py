"""The carriers a process uses: the built-in modules plus the upstream ones enabled by configuration."""

from __future__ import annotations

from collections.abc import Iterable

from numplane.carriers.base import Carrier, CarrierError
from numplane.carriers.inventory import InventoryCarrier
from numplane.carriers.legacy import LegacyCarrier
from numplane.carriers.local import LocalCarrier
from numplane.carriers.mdn import MdnCarrier
from numplane.carriers.simulated import SimulatedCarrier
from numplane.carriers.stored import StoredCarrier
from numplane.domain.e164 import prefix_of
from numplane.domain.errors import DomainError, ErrorCode
from numplane.domain.kazoo import is_legacy_module
from numplane.domain.text import excerpt
from numplane.settings import Settings

UPSTREAM: tuple[str, ...] = ("simulated",)
"""Modules that can be listed in the system config `carriers`: they search and order upstream."""

LEGACY_NAMES = "knm_* (Kazoo modules, served by the legacy carrier)"
"""How the accepted carrier names spell the open-ended set of Kazoo modules: numbers imported from Kazoo
keep their historical `pvt_module_name` (knm_bandwidth2, knm_telnyx, ...) and the legacy carrier serves
every one of them (numplane.carriers.legacy)."""


class UnknownCarrier(CarrierError):
    """A module name with no carrier behind it (a typo in `carriers`, or a number imported from
    a system whose carrier module numplane does not have)."""


def parse_failures(text: str) -> tuple[str, ...]:
    """NUMPLANE_SIMULATED_CARRIER_FAILURES ("+1332555,+14155550123") as normalized E.164 prefixes."""
    entries = [entry.strip() for entry in text.split(",") if entry.strip()]
    try:
        return tuple(prefix_of(entry) for entry in entries)
    except DomainError as exc:
        raise ValueError(f"NUMPLANE_SIMULATED_CARRIER_FAILURES: {exc.message}") from None


class CarrierSet:
    """Every carrier module by name. The built-ins are always present, so a number acquired from an
    upstream carrier that was later disabled can still be disconnected on release."""

    def __init__(self, carriers: Iterable[Carrier]) -> None:
        self._by_name = {carrier.name: carrier for carrier in carriers}

    @classmethod
    def build(
        cls, enabled: Iterable[str] = (), *, simulated_failures: tuple[str, ...] = (), simulated_latency_ms: int = 0
    ) -> CarrierSet:
        """The built-ins, checking that every name in `enabled` (config `carriers`) is an upstream module."""
        carriers = cls(
            [
                LocalCarrier(),
                InventoryCarrier(),
                MdnCarrier(),
                SimulatedCarrier(failures=simulated_failures, latency_ms=simulated_latency_ms),
            ]
        )
        carriers.upstream(enabled)
        return carriers

    @classmethod
    def from_settings(cls, settings: Settings) -> CarrierSet:
        return cls.build(
            settings.carrier_list,
            simulated_failures=parse_failures(settings.simulated_carrier_failures),
            simulated_latency_ms=settings.simulated_carrier_latency_ms,
        )

    def get(self, module_name: str) -> Carrier:
        """The carrier of a number's `pvt_module_name`; UnknownCarrier if there is none."""
        carrier = self._by_name.get(module_name)
        if carrier is None and is_legacy_module(module_name):
            return LegacyCarrier(module_name)
        if carrier is None:
            raise UnknownCarrier(f"no carrier module named {excerpt(module_name)!r}; known: {list(self._by_name)}")
        return carrier

    def acts_upstream(self, module_name: str) -> bool:
        """Whether the module's acquire, disconnect and deprovision reach anything beyond numplane's store:
        a stored module's do nothing (numplane.carriers.stored). An unknown module counts as acting."""
        carrier = self._by_name.get(module_name)
        if carrier is None:
            return not is_legacy_module(module_name)  # a legacy module is stored
        return not isinstance(carrier, StoredCarrier)

    @property
    def accepted(self) -> tuple[str, ...]:
        """The carrier names a new number may be created with."""
        return (*(name for name in self._by_name if not is_legacy_module(name)), LEGACY_NAMES)

    def ensure_accepted(self, name: str) -> None:
        """INVALID_FIELD for a carrier name no module answers to: a number created with it could never be
        released (every release would be CARRIER_FAILURE)."""
        if name not in self._by_name and not is_legacy_module(name):
            raise DomainError(
                ErrorCode.INVALID_FIELD,
                f"Unknown carrier {excerpt(name)!r}: use one of {', '.join(self.accepted)}.",
                field=("carrier",),
            )

    def upstream(self, names: Iterable[str]) -> list[Carrier]:
        """The upstream carriers named (in config `carriers` order) that search and acquisition consult."""
        chosen = []
        for name in names:
            carrier = self.get(name)
            if name not in UPSTREAM:
                raise UnknownCarrier(
                    f"{excerpt(name)!r} is not an upstream carrier; upstream carriers: {list(UPSTREAM)}"
                )
            chosen.append(carrier)
        return chosen
