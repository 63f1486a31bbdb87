"""Building a frozen slots dataclass from every field's value at once, without its `__init__`.

The `__init__` a frozen dataclass is given sets each field with `object.__setattr__` by name, which looks
the field's descriptor up again for each field of each object: for the 22 fields of a Number that was half
the cost of reading a listed document (numplane.domain.numbers). A builder finds the slots' descriptors
once and sets each through its own. It takes every field, in declaration order, and runs no defaults, no
factories and no `__post_init__`: it is for a reader that has every value in hand.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")


def builder(cls: type[T]) -> Callable[[Sequence[Any]], T]:
    """`build(values)`: an instance of the frozen slots dataclass `cls` holding `values`, one per field in
    declaration order (a deferrable field may be given an `Unread`, as through `__init__`)."""
    if not dataclasses.is_dataclass(cls) or "__slots__" not in cls.__dict__ or hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__} is not a slots dataclass without __post_init__")
    setters = []
    for field in dataclasses.fields(cls):
        descriptor = cls.__dict__[field.name]
        slot = getattr(descriptor, "slot", descriptor)  # a deferrable field's own slot (numplane.domain.deferred)
        setters.append(slot.__set__)
    new = object.__new__

    def build(values: Sequence[Any]) -> T:
        instance: T = new(cls)
        for set_slot, value in zip(setters, values, strict=True):
            set_slot(instance, value)
        return instance

    return build
