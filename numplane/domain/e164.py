"""E.164 normalization and classification (SPEC §1), on Google's libphonenumber (`phonenumbers`).

Every number enters the system through `normalize`, so a number has exactly one spelling: its E.164
form, which is also its document id.
"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumber, PhoneNumberFormat, PhoneNumberType, shortnumberinfo

from numplane.domain.errors import DomainError, ErrorCode
from numplane.domain.text import excerpt

_FORM_HINT = (
    "give it in E.164 (+14155550123), in national form of the default region, "
    "or with an international prefix (011 or 00)"
)
_SEPARATORS = re.compile(r"[\s().\-/]")
_PREFIX = re.compile(r"\+?[0-9]{1,15}")
# Short codes are 2 to 12 digits in libphonenumber's metadata; a leading 0 is a trunk or international
# prefix, never the start of one.
_SHORT_CODE = re.compile(r"[1-9][0-9]{1,11}")

PHONE_NUMBER_TYPES: tuple[str, ...] = (
    "FIXED_LINE", "MOBILE", "FIXED_LINE_OR_MOBILE", "TOLL_FREE", "PREMIUM_RATE", "SHARED_COST", "VOIP",
    "PERSONAL_NUMBER", "PAGER", "UAN", "VOICEMAIL", "UNKNOWN", "EMERGENCY", "SHORT_CODE",
)
"""Every answer `classify` can give."""


def normalize(text: str, region: str = "US") -> str:
    """The E.164 form of `text`, read as dialled from `region`; INVALID_NUMBER if it is not possible."""
    # Cached because the hunt normalizes on every call and callers almost always send the same few
    # thousand E.164 strings; errors are not cached (lru_cache does not keep raised exceptions).
    return _normalize(text, region.upper())


@lru_cache(maxsize=65536)
def _normalize(text: str, region: str) -> str:
    parsed = _parse(text, region)
    # An extension is not part of the number: accepting "… ext 5" would silently route to the main line.
    if parsed is None or parsed.extension or not phonenumbers.is_possible_number(parsed):
        raise DomainError(
            ErrorCode.INVALID_NUMBER,
            f"{excerpt(text)!r} is not a possible phone number; {_FORM_HINT}",
            number=excerpt(text),
        )
    return phonenumbers.format_number(parsed, PhoneNumberFormat.E164)


def _parse(text: str, region: str) -> PhoneNumber | None:
    compact = _SEPARATORS.sub("", text.strip())
    # `00` is the international prefix in most of the world; read it as `+` whatever the region, as
    # the spec asks (phonenumbers alone would only do so for regions whose prefix is 00).
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if not compact or compact == "+":
        return None
    try:
        return phonenumbers.parse(compact, None if compact.startswith("+") else region)
    except NumberParseException:
        return None


def classify(e164: str) -> str:
    """What kind of number `e164` is: a `PhoneNumberType` name, or EMERGENCY / SHORT_CODE."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except NumberParseException:
        raise DomainError(
            ErrorCode.INVALID_NUMBER, f"{excerpt(e164)!r} cannot be classified; {_FORM_HINT}", number=excerpt(e164)
        ) from None
    kind = phonenumbers.number_type(parsed)
    if kind == PhoneNumberType.UNKNOWN and shortnumberinfo.is_valid_short_number(parsed):
        return "EMERGENCY" if _is_emergency(parsed) else "SHORT_CODE"
    return str(PhoneNumberType.to_string(kind))


def classify_dialled(text: str, region: str = "US") -> str:
    """What kind of number `text` is as a user typed it, read in `region`.

    A short code is dialled without `+` or country code (911, 112, 411 in the US; 999 in GB): most are not
    possible numbers of the region, so `normalize` refuses them, yet people type them every day."""
    try:
        return classify(normalize(text, region))
    except DomainError:
        compact = _SEPARATORS.sub("", text.strip())
        region = region.upper()
        if not _SHORT_CODE.fullmatch(compact):
            raise
        parsed = phonenumbers.parse(compact, region)  # cannot fail on a dozen ASCII digits
        if not shortnumberinfo.is_valid_short_number_for_region(parsed, region):
            raise
        return "EMERGENCY" if shortnumberinfo.is_emergency_number(compact, region) else "SHORT_CODE"


def _is_emergency(parsed: PhoneNumber) -> bool:
    national = phonenumbers.national_significant_number(parsed)
    regions = phonenumbers.region_codes_for_country_code(parsed.country_code or 0)
    return any(shortnumberinfo.is_emergency_number(national, region) for region in regions)


def prefix_of(text: str) -> str:
    """A user-given E.164 prefix ("+1415" or "1415") in its stored form ("+1415"); INVALID_FIELD if not."""
    compact = text.strip()
    if not _PREFIX.fullmatch(compact) or compact.lstrip("+").startswith("0"):
        raise DomainError(
            ErrorCode.INVALID_FIELD,
            f"prefix {excerpt(text)!r} must be 1 to 15 digits after an optional '+', starting with a country code "
            "(no leading 0), e.g. +1415",
            field=("prefix",),
        )
    return "+" + compact.lstrip("+")
