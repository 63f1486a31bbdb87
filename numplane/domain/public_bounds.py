"""How big a number's public fields may grow (SPEC §4), and how a stored document beyond that is read.

Public fields are shown to the owner's ancestors and to admins in every listing: one tenant storing a
document nested a thousand levels deep (or megabytes of it) would break or slow the reads of others. The
bounds are checked at every write; a document that got into the store some other way is read with its
over-deep parts cut off, so it can never take a request down.
"""

from __future__ import annotations

import json
from typing import Any

from numplane.domain.errors import DomainError, ErrorCode
from numplane.domain.text import check_text, excerpt

MAX_DEPTH = 16
"""Nesting of objects and lists, the public-fields object itself counting as level 1."""
MAX_BYTES = 64 * 1024
"""Size of a number's public fields serialized as compact UTF-8 JSON."""
MAX_KEY = 128
"""Characters in a key (control characters refused)."""
MAX_STRING = 4096
"""Characters in a string value."""

_ROOT = "publicFields"
CUT = "(cut: nested deeper than 16 levels)"
"""What a reader sees instead of the parts of a stored document beyond MAX_DEPTH."""


def check_public_bounds(fields: dict[str, Any]) -> None:
    """INVALID_FIELD naming the limit when `fields` nest too deep, or hold too long a key or string.

    Iterative, so a hostile value nested thousands of levels is refused instead of exhausting the stack.
    """
    stack: list[tuple[Any, tuple[str, ...], int]] = [(fields, (_ROOT,), 1)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, dict | list) and depth > MAX_DEPTH:
            raise DomainError(
                ErrorCode.INVALID_FIELD,
                f"{'.'.join(path)}: public fields may nest at most {MAX_DEPTH} levels",
                field=path,
            )
        if isinstance(value, dict):
            for key, child in value.items():
                check_text(key, (*path, excerpt(key)), limit=MAX_KEY)
                stack.append((child, (*path, key), depth + 1))
        elif isinstance(value, list):
            stack.extend((child, (*path, str(index)), depth + 1) for index, child in enumerate(value))
        elif isinstance(value, str) and len(value) > MAX_STRING:
            raise DomainError(
                ErrorCode.INVALID_FIELD,
                f"{'.'.join(path)}: a public field's text may be at most {MAX_STRING} characters (got {len(value)})",
                field=path,
            )


def check_public_size(fields: dict[str, Any]) -> None:
    """INVALID_FIELD when the public fields, as stored, are over MAX_BYTES (call after check_public_bounds)."""
    size = len(json.dumps(fields, separators=(",", ":"), ensure_ascii=False).encode(errors="surrogatepass"))
    if size > MAX_BYTES:
        raise DomainError(
            ErrorCode.INVALID_FIELD,
            f"{_ROOT}: a number's public fields may take at most {MAX_BYTES} bytes as JSON (these take {size})",
            field=(_ROOT,),
        )


def readable(fields: dict[str, Any]) -> dict[str, Any]:
    """`fields` as read from a stored document, with every object or list beyond MAX_DEPTH replaced by CUT.

    The same object is returned when nothing is too deep (the usual case), so reading costs one walk.
    """
    if _depth_within(fields, MAX_DEPTH):
        return fields
    return {key: _cut(value, 2) for key, value in fields.items()}


def _depth_within(fields: dict[str, Any], limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(fields, 1)]
    while stack:
        value, depth = stack.pop()
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else None
        if children is None:
            continue
        if depth > limit:
            return False
        stack.extend((child, depth + 1) for child in children)
    return True


def _cut(value: Any, depth: int) -> Any:
    # Recursion is bounded by MAX_DEPTH: nothing below it is visited.
    if not isinstance(value, dict | list):
        return value
    if depth > MAX_DEPTH:
        return CUT
    if isinstance(value, dict):
        return {key: _cut(child, depth + 1) for key, child in value.items()}
    return [_cut(child, depth + 1) for child in value]
