"""Bounds of public fields at write, and reading a stored document beyond them."""

from __future__ import annotations

from typing import Any

import pytest

from numplane.domain.errors import DomainError, ErrorCode
from numplane.domain.public_bounds import (
    CUT,
    MAX_BYTES,
    MAX_DEPTH,
    MAX_STRING,
    check_public_bounds,
    check_public_size,
    readable,
)


def nested(levels: int) -> dict[str, Any]:
    value: dict[str, Any] = {"leaf": [1]}  # the list is one more level
    for _ in range(levels - 2):
        value = {"n": value}
    return value


def test_sixteen_levels_are_accepted_and_seventeen_are_refused_naming_the_limit() -> None:
    check_public_bounds(nested(MAX_DEPTH))
    with pytest.raises(DomainError) as raised:
        check_public_bounds(nested(MAX_DEPTH + 1))
    assert raised.value.code is ErrorCode.INVALID_FIELD
    assert f"at most {MAX_DEPTH} levels" in raised.value.message


def test_a_document_nested_far_beyond_the_stack_is_refused_not_a_recursion_error() -> None:
    with pytest.raises(DomainError):
        check_public_bounds(nested(100_000))


def test_strings_are_bounded_and_the_size_counts_the_whole_document() -> None:
    check_public_bounds({"note": "x" * MAX_STRING})
    with pytest.raises(DomainError, match=f"at most {MAX_STRING} characters"):
        check_public_bounds({"a": [{"note": "x" * (MAX_STRING + 1)}]})
    check_public_size({"note": "x" * (MAX_BYTES - 20)})
    with pytest.raises(DomainError, match=f"at most {MAX_BYTES} bytes"):
        check_public_size({"a": "é" * (MAX_BYTES // 2)})  # two bytes each in UTF-8


def test_reading_cuts_only_what_is_too_deep_and_keeps_a_sound_document_as_it_is() -> None:
    sound = {"cnam": {"display_name": "ACME"}, "deep": nested(MAX_DEPTH - 1)}
    assert readable(sound) is sound
    cut = readable({"ok": 1, "deep": nested(5_000)})
    assert cut["ok"] == 1
    level = cut["deep"]
    for _ in range(MAX_DEPTH - 2):
        level = level["n"]
    assert level == {"n": CUT}
    check_public_bounds(cut)  # what a reader gets can be written back
