"""The carriers a process uses: the built-in modules plus the upstream ones enabled by configuration."""

from __future__ import annotations

from collections.abc import Iterable

from numplane.carriers.base import Carrier, CarrierError
from numplane.carriers.inventory import InventoryCarrier
from numplane.carriers.local import LocalCarrier
from numplane.carriers.mdn import MdnCarrier
from numplane.carriers.simulated import SimulatedCarrier
from numplane.domain.e164 import prefix_of
from numplane.domain.errors import DomainError, ErrorCode
from numplane.domain.text import excerpt
from numplane.settings import Settings

UPSTREAM: tuple[str, ...] = ("simulated",)
"""Modules that can be listed in the system config `carriers`: they search and order upstream."""

ACCEPTED_WITHOUT_MODULE: frozenset[str] = frozenset()
"""Carrier names new numbers may carry though no module is behind them: the one deliberate exception is
the Kazoo migration's legacy carrier (not built yet), whose imported numbers keep their historical
`pvt_module_name`; it goes here, with its own release path."""


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
        if carrier is None:
            raise UnknownCarrier(f"no carrier module named {excerpt(module_name)!r}; known: {list(self._by_name)}")
        return carrier

    @property
    def accepted(self) -> tuple[str, ...]:
        """The carrier names a new number may be created with."""
        return (*self._by_name, *sorted(ACCEPTED_WITHOUT_MODULE))

    def ensure_accepted(self, name: str) -> None:
        """INVALID_FIELD for a carrier name no module answers to: a number created with it could never be
        released (every release would be CARRIER_FAILURE)."""
        if name not in self._by_name and name not in ACCEPTED_WITHOUT_MODULE:
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
