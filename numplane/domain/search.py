"""What a number search asks for (issue 11), whether a number answers it, and how the index is probed.

A filter narrows `searchNumbers(prefix)`:
- `contains` (2-16 characters), `startsWith`, `endsWith` (1-16): digits, letters read as the phone
  keypad's digits (PIZZA = 74992), `*` for any one digit. They look at the national significant number
  (after the country code, which `prefix` and `country` choose): `startsWith: "415"` is San Francisco's
  area code, `contains: "PIZZA"` finds +1 415 749 9201.
- `country` (ISO region code), `locality` and `region` (geocoder places, case- and accent-insensitive,
  see `numplane.domain.locality`), `types` (any of them; MOBILE and FIXED_LINE also find the numbers
  libphonenumber calls FIXED_LINE_OR_MOBILE);
- `near` (an E.164 number): ordering, not matching: numbers sharing the longest prefix with it first.

The index (view `search` of `numplane.store.views`) finds an available number by its *terms*: every
suffix of its national number of two digits or more (facet "x"), its whole national number ("n"), and its
country, locality, region and type ("c", "l", "r", "t"). A `contains` of any position is then one range
read: the numbers holding the pattern's longest literal run are those with a suffix that starts with it.
`plan` picks the one most selective probe for a filter; every other condition (and the wildcards) is
checked on the documents the probe returns by `SearchFilter.matches`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import phonenumbers

from numplane.domain import e164
from numplane.domain.errors import DomainError, ErrorCode
from numplane.domain.locality import Locality, fold, type_term
from numplane.domain.text import excerpt

KEYPAD: dict[str, str] = {
    letter: digit
    for digit, letters in {"2": "ABC", "3": "DEF", "4": "GHI", "5": "JKL", "6": "MNO", "7": "PQRS", "8": "TUV",
                           "9": "WXYZ"}.items()
    for letter in letters
}
CONTAINS_LENGTH = (2, 16)
EDGE_LENGTH = (1, 16)  # startsWith / endsWith
MAX_PLACE = 100  # characters of a locality or region asked for
MAX_EXPANDED = 2
"""Wildcards of a pattern spelled out into index ranges (10^2 = 100 ranges at most)."""
MIN_SUFFIX = 2
"""Shortest suffix the index keeps: a one-digit `contains` would match nearly everything anyway."""

_PATTERN = re.compile(r"[0-9A-Za-z*]+")
_RUNS = re.compile(r"[0-9]+")


@dataclass(frozen=True, slots=True)
class Probe:
    """One range of the search index: the rows whose facet term equals `value` (whole) or starts with it."""

    facet: str  # "x" suffix, "n" national number, "c" country, "l" locality, "r" region, "t" type, "p" E.164
    value: str
    whole: bool


@dataclass(frozen=True, slots=True)
class SearchFilter:
    """A validated filter (see the module docstring); patterns hold digits and `*` only."""

    contains: str | None = None
    starts_with: str | None = None
    ends_with: str | None = None
    country: str | None = None
    locality: str | None = None  # folded
    region: str | None = None  # folded
    types: tuple[str, ...] = ()
    near: str | None = None  # E.164
    _regexes: tuple[re.Pattern[str], ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        regexes = []
        if self.contains:
            regexes.append(re.compile(_regex(self.contains)))
        if self.starts_with:
            regexes.append(re.compile("^" + _regex(self.starts_with)))
        if self.ends_with:
            regexes.append(re.compile(_regex(self.ends_with) + "$"))
        object.__setattr__(self, "_regexes", tuple(regexes))

    @property
    def used(self) -> frozenset[str]:
        """The API names of the conditions set: a carrier is asked only if it supports all of them."""
        named = {
            "contains": self.contains, "startsWith": self.starts_with, "endsWith": self.ends_with,
            "country": self.country, "locality": self.locality, "region": self.region, "types": self.types,
            "near": self.near,
        }
        return frozenset(name for name, value in named.items() if value)

    def matches(self, number: str, where: Locality) -> bool:
        """Whether `number` (E.164) at `where` answers every condition (`near` orders, it does not match)."""
        if not all(r.search(where.national) for r in self._regexes):
            return False
        if self.country and where.country != self.country:
            return False
        if self.locality and (where.locality is None or fold(where.locality) != self.locality):
            return False
        if self.region and self.region not in where.region_names():
            return False
        return not self.types or any(t in self.types for t in where.type_names())


NO_FILTER = SearchFilter()

FIELDS: frozenset[str] = frozenset(
    {"contains", "startsWith", "endsWith", "country", "locality", "region", "types", "near"}
)
"""Every condition a filter can set (what a carrier that supports everything declares)."""


def parse_filter(
    *,
    contains: str | None = None,
    starts_with: str | None = None,
    ends_with: str | None = None,
    country: str | None = None,
    locality: str | None = None,
    region: str | None = None,
    types: Sequence[str] | None = None,
    near: str | None = None,
    default_region: str = "US",
) -> SearchFilter:
    """The filter as given by a client, checked: INVALID_FIELD naming the field and its rule if not."""
    known_types = set(e164.PHONE_NUMBER_TYPES)
    for kind in types or ():
        if kind not in known_types:
            choices = ", ".join(sorted(known_types))
            raise _invalid("types", f"unknown number type {excerpt(kind)!r}: use one of {choices}")
    return SearchFilter(
        contains=_pattern("contains", contains, CONTAINS_LENGTH),
        starts_with=_pattern("startsWith", starts_with, EDGE_LENGTH),
        ends_with=_pattern("endsWith", ends_with, EDGE_LENGTH),
        country=_country(country),
        locality=_place("locality", locality),
        region=_place("region", region),
        types=tuple(dict.fromkeys(types or ())),
        near=_near(near, default_region),
    )


def keypad_digits(pattern: str) -> str:
    """A pattern with its letters read as the phone keypad's digits (PIZZA -> 74992; `*` stays)."""
    return "".join(KEYPAD.get(c.upper(), c) for c in pattern)


def plan(search: SearchFilter, prefix: str) -> list[Probe]:
    """The index ranges to read for a search under `prefix` ("+" and digits): the single most selective
    condition's (several ranges only for several `types`). Scores estimate selectivity in decimal
    digits: a literal run of n digits keeps about one number in 10^n."""
    digits = prefix.removeprefix("+")
    country_digits = _country_code_length(digits)
    options: list[tuple[float, list[Probe]]] = [(len(digits) - country_digits, [Probe("p", prefix, False)])]
    for text, anchor in ((search.contains, ""), (search.starts_with, "^"), (search.ends_with, "$")):
        if text:
            options.append(_pattern_probe(text, anchor))
    if search.locality:
        options.append((5, [Probe("l", search.locality, True)]))
    if search.region:
        options.append((3, [Probe("r", search.region, True)]))
    if search.country:
        options.append((1.5, [Probe("c", search.country.lower(), True)]))
    if search.types:
        options.append((1, [Probe("t", term, True) for term in dict.fromkeys(type_term(t) for t in search.types)]))
    return max(options, key=lambda option: option[0])[1]


def near_levels(near: str, prefix: str) -> list[str]:
    """The E.164 prefixes a `near` search walks, longest first: near itself, then one digit shorter each
    time, down to the search's prefix (never leaving it)."""
    if not near.startswith(prefix):
        return [prefix]
    return [near[:k] for k in range(len(near), len(prefix) - 1, -1)]


def _pattern_probe(text: str, anchor: str) -> tuple[float, list[Probe]]:
    runs = [(m.start(), m.group()) for m in _RUNS.finditer(text)]
    if anchor == "^" and runs[0][0] == 0:
        # The national number itself starts with the leading run: tighter than any suffix.
        return len(runs[0][1]) + 0.5, [Probe("n", runs[0][1], False)]
    if anchor == "$" and text.endswith(runs[-1][1]) and len(runs[-1][1]) >= MIN_SUFFIX:
        # The trailing run is a whole suffix: an exact key, not a range.
        return len(runs[-1][1]) + 0.5, [Probe("x", runs[-1][1], True)]
    # From each literal run, read on through up to MAX_EXPANDED wildcards by spelling out their digits:
    # "7*9*2" is the 100 suffix ranges 70902..79992, which keep as few rows as a 3-digit literal would.
    best: tuple[float, list[str]] = (0, [])
    for at, _run in runs:
        segment = text[at:]
        stars = [i for i, c in enumerate(segment) if c == "*"]
        if len(stars) > MAX_EXPANDED:
            segment = segment[: stars[MAX_EXPANDED]]
        segment = segment.rstrip("*")
        literal = sum(c != "*" for c in segment)
        if literal > best[0] and len(segment) >= MIN_SUFFIX:
            best = (literal, _spelled(segment))
    if not best[1]:
        return 0, [Probe("x", runs[0][1], False)]  # never better than the prefix probe
    return best[0], [Probe("x", value, False) for value in best[1]]


def _spelled(segment: str) -> list[str]:
    """Every digit string `segment` stands for ("7*9" -> 709, 719, ..., 799)."""
    spelled = [""]
    for c in segment:
        spelled = [s + d for s in spelled for d in ("0123456789" if c == "*" else c)]
    return spelled


def country_code_of(digits: str) -> str | None:
    """The country calling code `digits` start with ("1", "44", "49"), or None if they name none yet."""
    for length in (1, 2, 3):
        if len(digits) >= length and phonenumbers.region_codes_for_country_code(int(digits[:length])):
            return digits[:length]
    return None


def _country_code_length(digits: str) -> int:
    for length in (1, 2, 3):
        if len(digits) >= length and phonenumbers.region_codes_for_country_code(int(digits[:length])):
            return length
    return min(len(digits), 3)


def _regex(pattern: str) -> str:
    return "".join(r"\d" if c == "*" else c for c in pattern)


def _pattern(name: str, text: str | None, bounds: tuple[int, int]) -> str | None:
    if text is None:
        return None
    low, high = bounds
    compact = text.strip()
    if not low <= len(compact) <= high or not _PATTERN.fullmatch(compact):
        raise _invalid(
            name, f"{excerpt(text)!r} must be {low} to {high} digits, letters (read as the keypad's digits) or '*'"
        )
    digits = keypad_digits(compact)
    if not _RUNS.search(digits):
        raise _invalid(name, f"{excerpt(text)!r} needs at least one digit or letter: '*' alone matches anything")
    return digits


def _country(text: str | None) -> str | None:
    if text is None:
        return None
    code = text.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise _invalid("country", f"{excerpt(text)!r} is not an ISO 3166 region code libphonenumber knows (US, GB)")
    return code


def _place(name: str, text: str | None) -> str | None:
    if text is None:
        return None
    folded = fold(text)
    if not folded or len(text) > MAX_PLACE:
        raise _invalid(name, f"{excerpt(text)!r} must name a place in 1 to {MAX_PLACE} characters")
    return folded


def _near(text: str | None, default_region: str) -> str | None:
    if text is None:
        return None
    try:
        return e164.normalize(text, default_region)
    except DomainError as error:
        raise _invalid("near", error.message) from None


def _invalid(name: str, message: str) -> DomainError:
    return DomainError(ErrorCode.INVALID_FIELD, f"filter.{name}: {message}", field=("filter", name))
