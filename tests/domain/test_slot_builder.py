"""A builder makes the same object as the dataclass's own __init__, deferred fields included."""

from __future__ import annotations

from dataclasses import dataclass, fields

import pytest

from numplane.domain.deferred import Unread, deferrable
from numplane.domain.slot_builder import builder


@deferrable("later")
@dataclass(frozen=True, slots=True)
class Pair:
    first: str
    later: int = 0


def test_a_built_object_equals_the_one_init_makes_and_converts_its_deferred_field_when_read() -> None:
    built = builder(Pair)(("a", Unread(int, "7")))
    assert built == Pair("a", 7) and [f.name for f in fields(built)] == ["first", "later"]


def test_every_field_must_be_given() -> None:
    with pytest.raises(ValueError):
        builder(Pair)(("a",))


def test_only_slots_dataclasses_without_post_init_have_builders() -> None:
    @dataclass(frozen=True)
    class Plain:
        first: str

    @dataclass(frozen=True, slots=True)
    class Checked:
        first: str

        def __post_init__(self) -> None:
            assert self.first

    for cls in (Plain, Checked):
        with pytest.raises(TypeError):
            builder(cls)
