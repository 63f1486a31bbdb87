"""`simulated`: a SIMULATION of an upstream carrier, for development and tests — not a real carrier.

It talks to nobody and orders nothing. It stands in for a real upstream carrier so the whole lifecycle
(search, acquire, release) can be tried locally, deterministically, with failures on demand (SPEC §5).

Its inventory is defined number by number: a number is *offered* when it is a valid number for its
country (libphonenumber's `is_valid_number`) and a hash of it falls in a fixed quarter of the hash
space. Hence:
- `check(n)` is true exactly for offered numbers, which is the same as `search(n, 1) == [n]`: a number
  is offered for its own full digits as the prefix;
- `search(prefix, quantity)` walks a sequence of candidates seeded by the prefix (so the same prefix
  always gives the same numbers, in the same order, and a smaller quantity gives a head of a larger
  one) and returns the first offered ones;
- `acquire(n)` fails for numbers equal to or starting with an entry of `failures`, and for numbers it
  does not offer.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import phonenumbers
from phonenumbers import NumberParseException

from numplane.carriers.base import CarrierError
from numplane.domain.e164 import prefix_of

_MIN_DIGITS = 4  # shortest E.164 number worth trying (country code plus a few digits)
_MAX_DIGITS = 15
_PROBES_PER_LENGTH = 40  # random fills tried to learn whether a total length can be valid at all
_ATTEMPTS_PER_NUMBER = 200  # bound on candidates walked per number asked for


def is_offered(number: str) -> bool:
    """Whether the simulated carrier offers `number` (an E.164 string)."""
    digest = hashlib.sha256(f"simulated:{number}".encode()).digest()
    return digest[0] % 4 == 0 and _is_valid(number)


def _is_valid(number: str) -> bool:
    """Valid, and already in canonical E.164 form (so it is its own document id)."""
    try:
        parsed = phonenumbers.parse(number, None)
    except NumberParseException:
        return False
    canonical = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return canonical == number and bool(phonenumbers.is_valid_number(parsed))


def offers(prefix: str, quantity: int) -> list[str]:
    """The first `quantity` numbers the simulated carrier offers under `prefix` ("+" and digits)."""
    found: list[str] = []
    for number in _candidates(prefix, attempts=_ATTEMPTS_PER_NUMBER * max(quantity, 0)):
        if len(found) >= quantity:
            break
        if is_offered(number):
            found.append(number)
    return found


def _candidates(prefix: str, attempts: int) -> Iterator[str]:
    digits = prefix.removeprefix("+")
    lengths = _viable_lengths(digits)
    if not lengths:  # no valid number starts with these digits (e.g. an unassigned country code)
        return
    if lengths == (len(digits),):  # the prefix is a whole number: it is its only candidate
        yield prefix
        return
    rng = random.Random(f"simulated-offers:{prefix}")  # str seeds are stable across processes
    seen: set[str] = set()
    for attempt in range(attempts):
        length = lengths[attempt % len(lengths)]
        number = "+" + digits + "".join(rng.choice("0123456789") for _ in range(length - len(digits)))
        if number not in seen:
            seen.add(number)
            yield number


@lru_cache(maxsize=4096)
def _viable_lengths(digits: str) -> tuple[int, ...]:
    """Total digit counts at which some number under `digits` is valid, found by seeded probing."""
    rng = random.Random(f"simulated-lengths:{digits}")
    viable = []
    for length in range(max(len(digits), _MIN_DIGITS), _MAX_DIGITS + 1):
        fills = 1 if length == len(digits) else _PROBES_PER_LENGTH
        for _ in range(fills):
            fill = "".join(rng.choice("0123456789") for _ in range(length - len(digits)))
            if _is_valid("+" + digits + fill):
                viable.append(length)
                break
    return tuple(viable)


class SimulatedCarrier:
    """A SIMULATED upstream carrier (development and tests only): see the module docstring.

    `failures`: E.164 numbers or prefixes whose acquire fails (NUMPLANE_SIMULATED_CARRIER_FAILURES).
    `latency_ms`: a delay added to every call, to make a slow carrier visible in development.
    """

    name = "simulated"

    def __init__(self, failures: tuple[str, ...] = (), latency_ms: int = 0) -> None:
        self.failures = tuple(prefix_of(entry) for entry in failures)
        self.latency_ms = latency_ms
        # What a real carrier would have been asked to remove upstream, for development and tests.
        self.deprovisioned: list[tuple[str, dict[str, Any]]] = []

    async def search(self, prefix: str, quantity: int) -> list[str]:
        await self._delay()
        return offers(prefix_of(prefix), quantity)

    async def check(self, number: str) -> bool:
        await self._delay()
        return is_offered(number)

    async def acquire(self, number: str) -> dict[str, Any]:
        await self._delay()
        failing = next((entry for entry in self.failures if number.startswith(entry)), None)
        if failing is not None:
            raise CarrierError(f"simulated carrier: acquire of {number} fails (configured failure {failing})",
                               number=number)
        if not is_offered(number):
            raise CarrierError(f"simulated carrier: {number} is not in its inventory", number=number)
        order = hashlib.sha256(f"simulated-order:{number}".encode()).hexdigest()[:12]
        return {"carrier": self.name, "simulated": True, "order_id": f"sim-{order}"}

    async def disconnect(self, number: str) -> None:
        await self._delay()

    async def deprovision(self, number: str, features: dict[str, Any]) -> None:
        await self._delay()
        self.deprovisioned.append((number, features))

    async def _delay(self) -> None:
        if self.latency_ms > 0:
            await asyncio.sleep(self.latency_ms / 1000)
