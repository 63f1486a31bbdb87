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
- `search(prefix, quantity, filter)` supports every condition of a search filter: the candidates are
  walked under *seed* prefixes the filter implies (the geocoder's prefixes of the locality or region
  asked, the area of `startsWith`, example numbers of the types or country asked, the prefixes of `near`
  longest first), `contains` and `endsWith` are written into the national number, and only numbers
  answering the whole filter are offered: real-looking numbers of any country, geocoded like any other;
- `acquire(n)` fails for numbers equal to or starting with an entry of `failures`, and for numbers it
  does not offer;
- acquire, deprovision and disconnect are idempotent by token: a token it has served is answered as the
  first time and not performed again.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType, geodata

from numplane.carriers.base import CarrierError
from numplane.domain.e164 import prefix_of
from numplane.domain.effects import Effect
from numplane.domain.locality import Locality, describe, fold, split_description
from numplane.domain.search import FIELDS, NO_FILTER, SearchFilter, country_code_of, near_levels

_MIN_DIGITS = 4  # shortest E.164 number worth trying (country code plus a few digits)
_MAX_DIGITS = 15
_PROBES_PER_LENGTH = 40  # random fills tried to learn whether a total length can be valid at all
_ATTEMPTS_PER_NUMBER = 200  # bound on candidates walked per number asked for
_MAX_SEEDS = 24  # seed prefixes walked for one filtered search


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


def offers(prefix: str, quantity: int, search: SearchFilter = NO_FILTER) -> list[str]:
    """The first `quantity` numbers the simulated carrier offers under `prefix` ("+" and digits) that
    answer `search`."""
    if not search.used:
        found: list[str] = []
        for number in _candidates(prefix, attempts=_ATTEMPTS_PER_NUMBER * max(quantity, 0)):
            if len(found) >= quantity:
                break
            if is_offered(number):
                found.append(number)
        return found
    return _filtered_offers(prefix, quantity, search)


def _filtered_offers(prefix: str, quantity: int, search: SearchFilter) -> list[str]:
    seeds = _seeds(prefix, search)
    if quantity <= 0 or not seeds:
        return []
    rng = random.Random(f"simulated-filter:{prefix}:{search!r}")
    per_seed = max(50, _ATTEMPTS_PER_NUMBER * quantity // len(seeds))
    found: dict[str, None] = {}
    for seed in seeds:
        for walked in _candidates(seed, attempts=per_seed, salt=repr(search)):
            number = _shaped(walked, len(seed) - 1, search, rng)
            if number in found or not number.startswith(prefix) or not is_offered(number):
                continue
            if search.matches(number, describe(number)):
                found[number] = None
                if len(found) == quantity:
                    return list(found)
    return list(found)


def _seeds(prefix: str, search: SearchFilter) -> list[str]:
    """The prefixes to walk for a filtered search, each under `prefix` (or `prefix` itself)."""
    if search.near:
        return near_levels(search.near, prefix)
    digits = prefix.removeprefix("+")
    code = country_code_of(digits)
    if search.country:
        country_code = str(phonenumbers.country_code_for_region(search.country))
        if code is not None and code != country_code:
            return []
        code = country_code
    if search.locality or search.region:
        seeds = ["+" + key for key in _place_prefixes(search.locality, search.region, code or digits[:1])]
    elif search.starts_with and code is not None:
        lead = search.starts_with.split("*", 1)[0]
        seeds = ["+" + code + lead]
    elif search.types or search.country:
        seeds = _example_prefixes(code, search)
    else:
        seeds = [prefix]
    fitting = [s if s.startswith(prefix) else prefix for s in seeds if s.startswith(prefix) or prefix.startswith(s)]
    return list(dict.fromkeys(fitting))[:_MAX_SEEDS]


@lru_cache(maxsize=256)
def _place_prefixes(locality: str | None, region: str | None, code: str) -> tuple[str, ...]:
    """Geocoder prefixes (country code included) under `code` whose place is `locality` / `region`."""
    found = []
    for key, names in geodata.GEOCODE_DATA.items():
        description = names.get("en")
        if not description or not key.startswith(code):
            continue
        place, region_name = split_description(description, "", 1 if key.startswith("1") else 0)
        where = Locality(country="", locality=place, region=region_name, type="", national="")
        if locality and (place is None or fold(place) != locality):
            continue
        if region and region not in where.region_names():
            continue
        found.append(key)
    return tuple(sorted(found, key=lambda k: (len(k), k)))


def _example_prefixes(code: str | None, search: SearchFilter) -> list[str]:
    """Prefixes of libphonenumber's example numbers of the types (or the country) asked."""
    regions = [search.country] if search.country else (
        list(phonenumbers.region_codes_for_country_code(int(code))) if code else []
    )
    kinds = search.types or ("FIXED_LINE", "MOBILE")
    seeds = []
    for region in regions[:_MAX_SEEDS]:
        for kind in kinds:
            number_type = getattr(PhoneNumberType, kind, None)
            example = phonenumbers.example_number_for_type(region, number_type) if number_type is not None else None
            if example is not None:
                national = phonenumbers.national_significant_number(example)
                seeds.append(f"+{example.country_code}{national[:3]}")
    return seeds


def _shaped(number: str, kept: int, search: SearchFilter, rng: random.Random) -> str:
    """`number` with `contains` and `endsWith` written into its national number (wildcards keep the digit
    there), leaving the first `kept` digits (the seed) alone where there is room."""
    if not (search.contains or search.ends_with):
        return number
    digits = list(number.removeprefix("+"))
    national_start = len(digits) - len(describe(number).national)
    if search.ends_with and len(search.ends_with) <= len(digits) - national_start:
        _write(digits, len(digits) - len(search.ends_with), search.ends_with)
    if search.contains:
        free_end = len(digits) - len(search.contains) - (len(search.ends_with or ""))
        low = max(national_start, kept)
        if free_end < low:
            low, free_end = national_start, len(digits) - len(search.contains)
        if free_end >= low:
            _write(digits, rng.randint(low, free_end), search.contains)
    return "+" + "".join(digits)


def _write(digits: list[str], at: int, pattern: str) -> None:
    for offset, char in enumerate(pattern):
        if char != "*":
            digits[at + offset] = char


def _candidates(prefix: str, attempts: int, salt: str = "") -> Iterator[str]:
    digits = prefix.removeprefix("+")
    lengths = _viable_lengths(digits)
    if not lengths:  # no valid number starts with these digits (e.g. an unassigned country code)
        return
    if lengths == (len(digits),):  # the prefix is a whole number: it is its only candidate
        yield prefix
        return
    rng = random.Random(f"simulated-offers:{prefix}{salt}")  # str seeds are stable across processes
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


IDEMPOTENCY_WINDOW = 10_000
"""Tokens the simulated carrier remembers, oldest forgotten first. A real carrier keeps idempotency keys
for a while (a day is common); a bound keeps a long-running development server from growing."""


@dataclass(slots=True)
class _Served:
    """One effect the simulated carrier performed, and how often its token came back."""

    effect: Effect
    number: str
    answer: dict[str, Any]
    repeats: int = 0


class SimulatedCarrier:
    """A SIMULATED upstream carrier (development and tests only): see the module docstring.

    `failures`: E.164 numbers or prefixes whose acquire fails (NUMPLANE_SIMULATED_CARRIER_FAILURES).
    `latency_ms`: a delay added to every call, to make a slow carrier visible in development.

    Acquire, deprovision and disconnect are idempotent by token, as a real carrier's API is by its
    idempotency key: a token already served is answered as the first time (the same order data) and not
    performed again; `performed` and `repeated` count both, per effect and number, for tests.
    """

    name = "simulated"
    supports = FIELDS

    def __init__(self, failures: tuple[str, ...] = (), latency_ms: int = 0) -> None:
        self.failures = tuple(prefix_of(entry) for entry in failures)
        self.latency_ms = latency_ms
        # What a real carrier would have been asked to remove upstream, for development and tests.
        self.deprovisioned: list[tuple[str, dict[str, Any]]] = []
        self._served: OrderedDict[str, _Served] = OrderedDict()

    async def search(self, prefix: str, quantity: int, search: SearchFilter = NO_FILTER) -> list[str]:
        await self._delay()
        return offers(prefix if prefix == "+" else prefix_of(prefix), quantity, search)

    async def check(self, number: str) -> bool:
        await self._delay()
        return is_offered(number)

    async def acquire(self, number: str, *, token: str) -> dict[str, Any]:
        await self._delay()
        served = self._repeat(Effect.ACQUIRE, number, token)
        if served is not None:
            return dict(served)
        failing = next((entry for entry in self.failures if number.startswith(entry)), None)
        if failing is not None:
            raise CarrierError(f"simulated carrier: acquire of {number} fails (configured failure {failing})",
                               number=number)
        if not is_offered(number):
            raise CarrierError(f"simulated carrier: {number} is not in its inventory", number=number)
        order = hashlib.sha256(f"simulated-order:{number}".encode()).hexdigest()[:12]
        data = {"carrier": self.name, "simulated": True, "order_id": f"sim-{order}"}
        self._remember(Effect.ACQUIRE, number, token, data)
        return dict(data)

    async def disconnect(self, number: str, *, token: str) -> None:
        await self._delay()
        if self._repeat(Effect.DISCONNECT, number, token) is None:
            self._remember(Effect.DISCONNECT, number, token, {})

    async def deprovision(self, number: str, features: dict[str, Any], *, token: str) -> None:
        await self._delay()
        if self._repeat(Effect.DEPROVISION, number, token) is None:
            self.deprovisioned.append((number, features))
            self._remember(Effect.DEPROVISION, number, token, {})

    def performed(self, effect: Effect, number: str) -> int:
        """How many times `effect` was carried out on `number` (distinct tokens, within the window)."""
        return sum(1 for s in self._served.values() if s.effect is effect and s.number == number)

    def repeated(self, effect: Effect, number: str) -> int:
        """How many calls of `effect` on `number` came with a token already served (and were not performed)."""
        return sum(s.repeats for s in self._served.values() if s.effect is effect and s.number == number)

    def _repeat(self, effect: Effect, number: str, token: str) -> dict[str, Any] | None:
        """The first answer to `token` if it was served already (counting this call), else None."""
        served = self._served.get(token)
        if served is None:
            return None
        if served.effect is not effect or served.number != number:
            raise CarrierError(f"simulated carrier: token {token} was used for another call", number=number)
        served.repeats += 1
        self._served.move_to_end(token)
        return served.answer

    def _remember(self, effect: Effect, number: str, token: str, answer: dict[str, Any]) -> None:
        self._served[token] = _Served(effect, number, answer)
        while len(self._served) > IDEMPOTENCY_WINDOW:
            self._served.popitem(last=False)

    async def _delay(self) -> None:
        if self.latency_ms > 0:
            await asyncio.sleep(self.latency_ms / 1000)
