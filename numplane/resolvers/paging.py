"""Keyset pages with opaque cursors (never offsets)."""

from __future__ import annotations

import base64
import binascii
import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from numplane.domain.errors import DomainError, ErrorCode
from numplane.domain.text import has_bad_text

T = TypeVar("T")

MAX_PAGE = 100


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    cursors: list[str]  # one per item: where the next page starts if it ended there
    has_next: bool
    # How many items the whole listing holds (same filter, every page), counted from the index only when
    # asked: totalCount is rarely selected, and a count is a read of its own.
    total: Callable[[], Awaitable[int]] | None = None
    # Where the next page starts when the page read past its last item (rows skipped as unreadable, or a
    # read budget spent on rows the filter left out): without it a client would read those rows again.
    resume: str | None = None

    @property
    def end_cursor(self) -> str | None:
        return self.resume or (self.cursors[-1] if self.cursors else None)


async def none_listed() -> int:
    """The total of a listing the requester may not see: nothing, without a read."""
    return 0


# A pure function of its text: a listing page makes a hundred, mostly the ones the page before made.
@functools.lru_cache(maxsize=4096)
def encode_cursor(position: str) -> str:
    return base64.urlsafe_b64encode(("k:" + position).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> str | None:
    """The keyset position of a cursor from `encode_cursor`; anything else is INVALID_FIELD."""
    if cursor is None:
        return None
    try:
        if "=" in cursor:  # encode_cursor strips the padding: a cursor carrying some was not ours
            raise ValueError(cursor)
        padded = cursor + "=" * (-len(cursor) % 4)
        # validate: the lenient decoder drops characters outside the alphabet, so "azp4!" would pass as ours.
        raw = base64.b64decode(padded.encode(), altchars=b"-_", validate=True)
        tag, _, position = raw.decode().partition(":")
        if tag != "k" or not position or has_bad_text(position):
            raise ValueError(cursor)
        return position
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise DomainError(
            ErrorCode.INVALID_FIELD, "Not a cursor this API issued; pass a cursor from a previous page.",
            field=("after",),
        ) from None


def page_size(first: int) -> int:
    if first < 0:
        raise DomainError(ErrorCode.INVALID_FIELD, "first must be 0 or more.", field=("first",))
    return min(first, MAX_PAGE)
