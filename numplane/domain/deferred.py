"""Fields of a frozen slots dataclass that are converted when first read rather than when it is built.

A listing page converts a hundred stored documents and shows a few fields of each: converting and
checking the parts it never shows (a number's audit trail, its public fields) cost more than the rest
of the page. A field made `deferrable` may be given `Unread(convert, source)` instead of its value; the
first read of the field runs `convert(source)` and keeps the result in the slot, so every later read (an
equality test, `dataclasses.replace`, a write's `to_doc`) sees a plain value. A conversion that raises
raises at that read, and again at the next: nothing is kept for a field that cannot be read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

C = TypeVar("C", bound=type)


class Unread:
    """A field's value not converted yet: `convert(source)` gives it."""

    __slots__ = ("convert", "source")

    def __init__(self, convert: Callable[[Any], Any], source: Any) -> None:
        self.convert = convert
        self.source = source


class _Deferred:
    """Stands in for a slot's descriptor: reads convert an `Unread` value once, writes go to the slot."""

    __slots__ = ("slot",)

    def __init__(self, slot: Any) -> None:
        self.slot = slot

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        if instance is None:
            return self
        value = self.slot.__get__(instance, owner)
        if type(value) is Unread:
            value = value.convert(value.source)
            self.slot.__set__(instance, value)  # frozen: the dataclass's own __setattr__ would refuse
        return value

    def __set__(self, instance: object, value: Any) -> None:
        self.slot.__set__(instance, value)

    def __delete__(self, instance: object) -> None:
        self.slot.__delete__(instance)


def deferrable(*names: str) -> Callable[[C], C]:
    """Class decorator (outside `@dataclass(slots=True)`): the named fields may hold `Unread` values."""

    def wrap(cls: C) -> C:
        for name in names:
            slot = cls.__dict__.get(name)
            if type(slot).__name__ != "member_descriptor":
                raise TypeError(f"{cls.__name__}.{name} is not a slot")
            setattr(cls, name, _Deferred(slot))
        return cls

    return wrap
