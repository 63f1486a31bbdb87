"""Relay global ids: opaque to clients, "<Type>:<key>" inside."""

from __future__ import annotations

import base64
import binascii
import functools


# A pure function of its text: a listing page makes a hundred, mostly the ones the page before made.
@functools.lru_cache(maxsize=4096)
def to_global_id(type_name: str, key: str) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{key}".encode()).decode().rstrip("=")


def from_global_id(global_id: str) -> tuple[str, str] | None:
    """(type name, key), or None for anything this API did not issue."""
    try:
        raw = base64.urlsafe_b64decode(global_id + "=" * (-len(global_id) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    type_name, sep, key = raw.partition(":")
    return (type_name, key) if sep and key else None
