"""The free-text rule: length, control characters, lone surrogates, names, and what is echoed."""

from __future__ import annotations

import pytest

from numplane.domain.errors import DomainError, ErrorCode
from numplane.domain.text import ECHO, MAX_NAME, MAX_TEXT, check_text, excerpt, has_bad_text, name_of


@pytest.mark.parametrize("text", ["", "+14155550123", "Zoë's numbers €", "x" * MAX_TEXT])
def test_ordinary_text_up_to_the_limit_is_accepted(text: str) -> None:
    check_text(text, ("name",))
    assert not has_bad_text(text)


@pytest.mark.parametrize(("text", "rule"), [
    ("x" * (MAX_TEXT + 1), f"at most {MAX_TEXT} characters (got {MAX_TEXT + 1})"),
    ("a\x00b", "found U+0000"),
    ("tab\there", "found U+0009"),
    ("del\x7f", "found U+007F"),
    ("c1\x85", "found U+0085"),
    ("half \ud800", "found U+D800"),
])
def test_too_long_text_control_characters_and_lone_surrogates_are_invalid_field(text: str, rule: str) -> None:
    with pytest.raises(DomainError) as raised:
        check_text(text, ("filter", "carrier"))
    assert (raised.value.code, raised.value.field) == (ErrorCode.INVALID_FIELD, ("filter", "carrier"))
    assert raised.value.message.startswith("filter.carrier: ") and rule in raised.value.message
    assert has_bad_text(text)


def test_a_name_is_trimmed_and_must_not_be_blank_or_longer_than_the_name_limit() -> None:
    assert name_of("  Reseller  ") == "Reseller"
    assert name_of("n" * MAX_NAME) == "n" * MAX_NAME
    for bad in ("   ", "n" * (MAX_NAME + 1), "new\nline"):
        with pytest.raises(DomainError) as raised:
            name_of(bad)
        assert raised.value.code is ErrorCode.INVALID_FIELD


def test_only_a_short_prefix_of_long_input_is_echoed() -> None:
    assert excerpt("+14155550123") == "+14155550123"
    assert excerpt("9" * 900_000) == "9" * ECHO + "…"
