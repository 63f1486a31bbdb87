"""The carrier interface (SPEC §5): a few calls.

Whether a number is deleted on release (local and mdn numbers) is a lifecycle rule of the domain
(numplane.domain.transitions.ALWAYS_DELETED_MODULES), decided by the number's module name, so carriers
do not answer it a second time."""

from __future__ import annotations

from typing import Any, Protocol

from numplane.domain.search import NO_FILTER, SearchFilter


class CarrierError(Exception):
    """A carrier refused or failed; the resolvers turn it into CARRIER_FAILURE for that number."""

    def __init__(self, message: str, *, number: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.number = number


class Carrier(Protocol):
    """A source of numbers. Numbers are always E.164 strings; prefixes are "+" and digits."""

    @property
    def name(self) -> str:
        """The module name stored in a number's `pvt_module_name`."""
        ...

    @property
    def supports(self) -> frozenset[str]:
        """The search conditions it applies (`numplane.domain.search.FIELDS` names); a search using any
        other condition does not ask it."""
        ...

    async def search(self, prefix: str, quantity: int, search: SearchFilter = NO_FILTER) -> list[str]:
        """Up to `quantity` numbers starting with `prefix` and answering `search` that it can supply."""
        ...

    async def check(self, number: str) -> bool:
        """Whether this carrier can supply `number`."""
        ...

    # The calls below change things upstream. Each carries `token`, the idempotency token of the change
    # (numplane.domain.effects): a carrier sends it along as the upstream API's idempotency key, so a
    # call repeated for the same change - after a conflict or a failed write - acts once.

    async def acquire(self, number: str, *, token: str) -> dict[str, Any]:
        """Order `number`; returns the data to keep in `pvt_carrier_data`. Raises CarrierError."""
        ...

    async def disconnect(self, number: str, *, token: str) -> None:
        """Give `number` back to the carrier. Raises CarrierError."""
        ...

    async def deprovision(self, number: str, features: dict[str, Any], *, token: str) -> None:
        """Remove the number's upstream feature records (E911, CNAM, ...) on release, given the features
        as they were before the release, so the carrier can find what to delete. Raises CarrierError."""
        ...
