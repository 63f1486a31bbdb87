"""Custom scalars of the contract: DateTime (ISO 8601, UTC) and JSON (an object of public fields)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NewType

import strawberry
from strawberry.types.scalar import ScalarDefinition

from numplane.domain.clock import format_time, parse_time

JSONObject = NewType("JSONObject", dict[str, Any])
"""Public fields are always a JSON object; the contract names the scalar JSON."""


def _serialize_time(value: datetime) -> str:
    return format_time(value)


def _parse_time(value: object) -> datetime:
    if not isinstance(value, str):
        raise ValueError("DateTime must be an ISO 8601 string")
    try:
        return parse_time(value)
    except ValueError:
        # Python's own message repeats the whole input (a megabyte, if that is what came); graphql-core
        # already shows its start after "found:".
        raise ValueError("DateTime must be an ISO 8601 string, e.g. 2026-11-01T09:00:00Z") from None


def _parse_object(value: object) -> dict[str, Any]:
    # Rejected here, during variable coercion, so resolvers never see a list or a string as public fields.
    if not isinstance(value, dict):
        raise ValueError("JSON here must be an object, e.g. {\"cnam\": {\"display_name\": \"ACME\"}}")
    return value


SCALARS: dict[object, ScalarDefinition] = {
    datetime: strawberry.scalar(
        name="DateTime", description="ISO 8601, UTC", serialize=_serialize_time, parse_value=_parse_time
    ),
    JSONObject: strawberry.scalar(
        name="JSON", description="A JSON object (public fields)", serialize=lambda v: v, parse_value=_parse_object
    ),
}
