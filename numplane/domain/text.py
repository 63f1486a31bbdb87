"""Free text from clients: how long it may be, which characters it may hold, and how much of it is echoed.

Every string argument of the API obeys `check_text` (the schema applies it to all of them, so a new
argument is covered without a line of code); names that are stored and shown to others obey the
tighter `name_of`. Public fields have their own bounds (`domain/public_bounds.py`).
"""

from __future__ import annotations

import re

from numplane.domain.errors import DomainError, ErrorCode

MAX_TEXT = 1000
"""Characters in any string argument: identifiers, numbers, cursors, prefixes and names are all far shorter,
and nothing longer can reach a store (a CouchDB URL, an SQLite key) or be stored on behalf of a client."""

MAX_NAME = 200
"""Characters in an account name or an API key name: shown in every listing of the account or key."""

ECHO = 40
"""Characters of a client's input repeated in an error message."""

# C0 and C1 control characters (Unicode category Cc), NUL and newline included: none has a place in a name,
# an identifier or a number, and NUL is the one character SQLite keys and CouchDB URLs cannot carry. Lone
# surrogates (which JSON's \ud800 escapes can produce) cannot be encoded as UTF-8 for either store.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def check_text(value: str, field: tuple[str, ...], *, limit: int = MAX_TEXT) -> None:
    """INVALID_FIELD naming `field` and the limit when `value` is too long or holds a control character."""
    where = ".".join(field)
    if len(value) > limit:
        raise DomainError(
            ErrorCode.INVALID_FIELD, f"{where}: at most {limit} characters (got {len(value)})", field=field
        )
    control = _CONTROL.search(value)
    if control:
        raise DomainError(
            ErrorCode.INVALID_FIELD,
            f"{where}: control characters and lone surrogates are not allowed (found U+{ord(control.group()):04X})",
            field=field,
        )


def has_bad_text(value: str) -> bool:
    """True when `check_text` would refuse `value` (a cheap test for the common, clean case)."""
    # isprintable() runs at C speed and is True for almost all text; only the rest needs the exact test.
    return len(value) > MAX_TEXT or (not value.isprintable() and _CONTROL.search(value) is not None)


def name_of(value: str, field: tuple[str, ...] = ("name",)) -> str:
    """A name as stored: trimmed, not empty, at most MAX_NAME characters, no control characters."""
    check_text(value, field, limit=MAX_TEXT)
    trimmed = value.strip()
    if not trimmed:
        raise DomainError(ErrorCode.INVALID_FIELD, f"{'.'.join(field)}: give a name (it is empty)", field=field)
    check_text(trimmed, field, limit=MAX_NAME)
    return trimmed


def excerpts(values: list[str], count: int = 5) -> list[str]:
    """At most `count` of `values`, each cut by `excerpt`: what a message may list of a client's input."""
    return [excerpt(value) for value in values[:count]]


def excerpt(value: str) -> str:
    """`value` as it may be echoed back: whole when short, else its first ECHO characters and an ellipsis."""
    return value if len(value) <= ECHO else value[:ECHO] + "…"
