"""Where a number is and what kind it is (issue 11): kept on its document as `pvt_locality`.

Kazoo keeps a number's locality on its document (`pvt_locality`) so that nothing has to look it up again;
numplane does the same with libphonenumber's offline geocoder, computed whenever a number is written, so
search can match locality, region, country and type through an index instead of geocoding every
available number on every search.

The geocoder gives one English description per number prefix: "San Francisco, CA" (a place and its
state), "California" (a state alone, for North American numbers), "London" (a place), or the country's
own name ("France", "Australia": nothing more precise is known). That description is split into
`locality` and `region` by those shapes. North American state and province codes are matched by both
their code and their name, so `region: "California"` finds "San Francisco, CA".

Matching is case- and accent-insensitive: both sides go through `fold` ("São Paulo" and "sao paulo" are
one key). The folded forms are stored beside the readable ones (`terms`), so the CouchDB view (JavaScript,
no geocoder, no Unicode tables) emits exactly what the SQLite index emits.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import phonenumbers
from phonenumbers import NumberParseException, PhoneMetadata, PhoneNumber, PhoneNumberType, geocoder, geodata
from phonenumbers.phonenumberutil import _number_type_helper
from phonenumbers.prefix import _prefix_description_for_number

LOCALITY_VERSION = 1
"""Bumped when the rules below change: stored localities of an older version are computed again."""

ALSO_MATCHES: dict[str, tuple[str, ...]] = {"FIXED_LINE_OR_MOBILE": ("FIXED_LINE", "MOBILE")}
"""A number libphonenumber cannot tell apart (every US number) is found by a search for either kind."""

_NANP = 1  # North American numbering plan: descriptions are "Place, ST" or a state or province name

_NORTH_AMERICAN_REGIONS: dict[str, str] = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California", "CO": "Colorado",
    "CT": "Connecticut", "DE": "Delaware", "DC": "Washington D.C.", "FL": "Florida", "GA": "Georgia",
    "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois", "IN": "Indiana", "IA": "Iowa", "KS": "Kansas",
    "KY": "Kentucky", "LA": "Louisiana", "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts",
    "MI": "Michigan", "MN": "Minnesota", "MS": "Mississippi", "MO": "Missouri", "MT": "Montana",
    "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico",
    "NY": "New York", "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma",
    "OR": "Oregon", "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota",
    "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia", "WA": "Washington",
    "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming", "PR": "Puerto Rico",
    "AB": "Alberta", "BC": "British Columbia", "MB": "Manitoba", "NB": "New Brunswick",
    "NL": "Newfoundland and Labrador", "NS": "Nova Scotia", "NT": "Northwest Territories", "NU": "Nunavut",
    "ON": "Ontario", "PE": "Prince Edward Island", "QC": "Quebec", "SK": "Saskatchewan", "YT": "Yukon",
}
_CODE_OF_REGION = {name.casefold(): code for code, name in _NORTH_AMERICAN_REGIONS.items()}

_NOT_WORD = re.compile(r"[^0-9a-z]+")


def fold(text: str) -> str:
    """The matching form of a place name: accents dropped, case folded, punctuation and runs of spaces made
    one space ("Saint-Étienne" -> "saint etienne"). Index keys hold only [0-9a-z ], on which CouchDB's
    ICU collation and code-point order agree."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NOT_WORD.sub(" ", bare).strip()


def type_term(kind: str) -> str:
    """The index form of a number type name (TOLL_FREE -> "toll free")."""
    return fold(kind)


@dataclass(frozen=True, slots=True)
class Locality:
    """A number's place and kind, as the geocoder and libphonenumber's classifier see it."""

    country: str  # ISO 3166 region code ("US", "GB"), "" when libphonenumber knows none
    locality: str | None  # a place: "San Francisco", "London"
    region: str | None  # a state or province: "CA", "Ontario"
    type: str  # a PhoneNumberType name, as classifyNumber gives it
    national: str  # the national significant number: what contains / startsWith / endsWith look at

    def region_names(self) -> tuple[str, ...]:
        """The region by every name it is matched by (a North American code and its name), folded."""
        if self.region is None:
            return ()
        names = [self.region]
        if self.region in _NORTH_AMERICAN_REGIONS:
            names.append(_NORTH_AMERICAN_REGIONS[self.region])
        elif self.region.casefold() in _CODE_OF_REGION:
            names.append(_CODE_OF_REGION[self.region.casefold()])
        return tuple(dict.fromkeys(fold(n) for n in names))

    def type_names(self) -> tuple[str, ...]:
        return (self.type, *ALSO_MATCHES.get(self.type, ()))

    def terms(self) -> dict[str, list[str]]:
        """What the search index finds this number by, per facet, folded (see the module docstring)."""
        return {
            "c": [self.country.lower()] if self.country else [],
            "l": [fold(self.locality)] if self.locality else [],
            "r": list(self.region_names()),
            "t": [type_term(t) for t in self.type_names()],
        }

    def to_doc(self) -> dict[str, Any]:
        return {
            "v": LOCALITY_VERSION,
            "country": self.country,
            "locality": self.locality,
            "region": self.region,
            "type": self.type,
            "national": self.national,
            "terms": self.terms(),
        }

    @classmethod
    def from_doc(cls, doc: Any) -> Locality | None:
        """The stored locality, or None when it is missing or of an older version (compute it again)."""
        if not isinstance(doc, dict) or doc.get("v") != LOCALITY_VERSION:
            return None
        return cls(
            country=str(doc.get("country") or ""),
            locality=doc.get("locality") or None,
            region=doc.get("region") or None,
            type=str(doc.get("type") or "UNKNOWN"),
            national=str(doc.get("national") or ""),
        )


@lru_cache(maxsize=65536)
def describe(e164: str) -> Locality:
    """The locality of an E.164 number (cached: a number's place never changes, and search asks again)."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except NumberParseException:
        return Locality(country="", locality=None, region=None, type="UNKNOWN", national=e164.lstrip("+"))
    # Every write computes this, so each costly step runs once: the public number_type() and
    # description_for_number() each work out the number's region again (a walk over every region of a
    # shared country code such as +1), which made describing a number three times slower than this.
    country = phonenumbers.region_code_for_number(parsed) or ""
    national = phonenumbers.national_significant_number(parsed)
    code = parsed.country_code or 0
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(code, country)
    kind = _number_type_helper(national, metadata) if metadata is not None else PhoneNumberType.UNKNOWN
    if country == "001":  # non-geographic entities (satellite, UIFN) have no ISO code
        country = ""
    place, region = split_description(_description(parsed, kind, national), _country_name(country), code)
    return Locality(
        country=country, locality=place, region=region, type=str(PhoneNumberType.to_string(kind)), national=national
    )


def _description(parsed: PhoneNumber, kind: int, national: str) -> str:
    """geocoder.description_for_number, given what describe() already knows: the place of a geographic
    number's prefix, else "" (the country alone says nothing search does not know from `country`)."""
    code = parsed.country_code or 0
    if kind == PhoneNumberType.UNKNOWN or not phonenumbers.is_number_type_geographical(kind, code):
        return ""
    token = phonenumbers.country_mobile_token(code)
    if token and national.startswith(token):
        return ""
    return str(_prefix_description_for_number(
        geodata.GEOCODE_DATA, geodata.GEOCODE_LONGEST_PREFIX, parsed, "en", None, None
    ))


@lru_cache(maxsize=512)
def _country_name(country: str) -> str:
    return str(geocoder._region_display_name(country, "en", None, None)) if country else ""


def split_description(description: str, country_name: str, country_code: int) -> tuple[str | None, str | None]:
    """(locality, region) from a geocoder description (see the module docstring for its shapes)."""
    description = description.strip()
    if not description or fold(description) == fold(country_name):
        return None, None
    if ", " in description:
        place, _sep, region = description.rpartition(", ")
        return place, region
    if country_code == _NANP:
        return None, description
    return description, None
