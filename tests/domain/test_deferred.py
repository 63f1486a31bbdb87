"""Fields converted when first read (numplane.domain.deferred): once, and never kept when they fail."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, cast

import pytest

from numplane.domain.deferred import Unread, deferrable


@deferrable("total")
@dataclass(frozen=True, slots=True)
class Tally:
    name: str
    total: int


def test_a_deferred_field_is_converted_once_on_first_read() -> None:
    calls: list[str] = []

    def count(text: str) -> int:
        calls.append(text)
        return len(text)

    tally = Tally("a", cast(int, Unread(count, "abc")))
    assert calls == []
    assert (tally.total, tally.total) == (3, 3)
    assert calls == ["abc"]
    assert replace(tally, name="b") == Tally("b", 3)


def test_a_conversion_that_fails_fails_at_every_read() -> None:
    def refuse(source: Any) -> int:
        raise ValueError(source)

    tally = Tally("a", cast(int, Unread(refuse, "bad")))
    for _ in range(2):
        with pytest.raises(ValueError):
            _ = tally.total


def test_only_slots_can_be_deferred() -> None:
    with pytest.raises(TypeError):

        @deferrable("total")
        @dataclass(frozen=True)
        class Plain:
            total: int
