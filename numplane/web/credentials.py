"""The API key a request carries: `Authorization: Bearer <key>`, read the same way by every route."""

from __future__ import annotations


def bearer(value: str | None) -> str | None:
    """The key of an Authorization header's value, or None when it is not a Bearer credential."""
    scheme, _, token = (value or "").strip().partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None
