"""E.164 normalization, classification and prefixes (SPEC §1)."""

from __future__ import annotations

import pytest

from numplane.domain.e164 import PHONE_NUMBER_TYPES, classify, classify_dialled, normalize, prefix_of
from numplane.domain.errors import DomainError, ErrorCode


@pytest.mark.parametrize(
    "text",
    ["4155550123", "14155550123", "+1 (415) 555-0123", "+14155550123", "415.555.0123", " +1 415 555 0123 "],
)
def test_every_us_spelling_of_a_number_gives_one_e164_string(text: str) -> None:
    assert normalize(text) == "+14155550123"


@pytest.mark.parametrize("text", ["011 44 20 7946 0958", "0044 20 7946 0958", "+44 20 7946 0958", "00442079460958"])
def test_international_forms_from_the_us_give_the_uk_number(text: str) -> None:
    assert normalize(text, "US") == "+442079460958"


def test_national_form_is_read_in_the_given_region() -> None:
    assert normalize("020 7946 0958", "GB") == "+442079460958"
    assert normalize("020 7946 0958", "gb") == "+442079460958"


def test_leading_00_is_read_as_plus_even_where_it_is_not_the_international_prefix() -> None:
    # The US prefix is 011; phonenumbers alone would read 0044… as a US national number.
    assert normalize("0033 1 42 68 53 00", "US") == "+33142685300"


def test_already_normalized_input_is_returned_unchanged_and_repeatably() -> None:
    assert normalize("+14155550123") == normalize("+14155550123") == "+14155550123"


@pytest.mark.parametrize("text", ["", "+", "abc", "123", "+1415", "911", "+1 415 555 0123 ext 5", "+999 1234567"])
def test_impossible_or_unparsable_input_is_invalid_number_naming_the_form_to_use(text: str) -> None:
    with pytest.raises(DomainError) as caught:
        normalize(text)
    assert caught.value.code == ErrorCode.INVALID_NUMBER
    assert caught.value.number == text
    assert "E.164 (+14155550123)" in caught.value.message


def test_invalid_number_error_is_raised_again_on_a_second_attempt() -> None:
    for _ in range(2):
        with pytest.raises(DomainError):
            normalize("12")


@pytest.mark.parametrize(
    ("e164", "kind"),
    [
        ("+18005550199", "TOLL_FREE"),
        ("+19005550199", "PREMIUM_RATE"),
        ("+447912345678", "MOBILE"),
        ("+442079460958", "FIXED_LINE"),
        ("+14155550123", "FIXED_LINE_OR_MOBILE"),
        ("+44999", "EMERGENCY"),
        ("+1911", "EMERGENCY"),
        ("+4411", "UNKNOWN"),
    ],
)
def test_numbers_are_classified_by_kind(e164: str, kind: str) -> None:
    assert classify(e164) == kind
    assert kind in PHONE_NUMBER_TYPES


def test_a_short_code_that_is_not_an_emergency_number_is_short_code() -> None:
    assert classify("+44118500") == "SHORT_CODE"


def test_classifying_a_non_e164_string_is_invalid_number() -> None:
    with pytest.raises(DomainError) as caught:
        classify("4155550123")
    assert caught.value.code == ErrorCode.INVALID_NUMBER


@pytest.mark.parametrize(
    ("typed", "region", "kind"),
    [
        ("911", "US", "EMERGENCY"),
        ("112", "US", "EMERGENCY"),
        ("411", "US", "SHORT_CODE"),
        ("311", "US", "SHORT_CODE"),
        ("9-1-1", "us", "EMERGENCY"),
        ("999", "GB", "EMERGENCY"),
        ("15", "FR", "EMERGENCY"),
        ("118500", "GB", "SHORT_CODE"),
        ("(415) 555-0123", "US", "FIXED_LINE_OR_MOBILE"),
    ],
)
def test_a_short_code_typed_without_plus_is_read_in_the_region(typed: str, region: str, kind: str) -> None:
    assert classify_dialled(typed, region) == kind


@pytest.mark.parametrize(("typed", "region"), [("999", "US"), ("911", "GB"), ("0911", "US"), ("12", "US"), ("", "US")])
def test_digits_that_are_no_short_code_of_the_region_stay_invalid_number(typed: str, region: str) -> None:
    with pytest.raises(DomainError) as caught:
        classify_dialled(typed, region)
    assert caught.value.code == ErrorCode.INVALID_NUMBER


@pytest.mark.parametrize(("text", "prefix"), [("+1415", "+1415"), ("1415", "+1415"), (" +44 ", "+44"), ("+1", "+1")])
def test_prefix_is_given_with_or_without_plus(text: str, prefix: str) -> None:
    assert prefix_of(text) == prefix


@pytest.mark.parametrize("text", ["", "+", "+1 415", "+1-415", "abc", "+0123", "1234567890123456", "++1"])
def test_a_prefix_that_is_not_1_to_15_digits_is_invalid_field(text: str) -> None:
    with pytest.raises(DomainError) as caught:
        prefix_of(text)
    assert caught.value.code == ErrorCode.INVALID_FIELD
    assert caught.value.field == ("prefix",)
