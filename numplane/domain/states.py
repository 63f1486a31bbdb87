"""Number states (SPEC §2)."""

from __future__ import annotations

from enum import Enum


class State(str, Enum):
    DISCOVERY = "discovery"
    PORT_IN = "port_in"
    AVAILABLE = "available"
    RESERVED = "reserved"
    IN_SERVICE = "in_service"
    RELEASED = "released"
    AGING = "aging"
    PORT_OUT = "port_out"
    DELETED = "deleted"  # legacy soft-delete marker: read, never written

