"""System configuration (SPEC §11): admin-editable, validated here, stored by the shells."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from numplane.domain.errors import DomainError, ErrorCode
from numplane.domain.states import State
from numplane.domain.text import excerpts

FEATURE_KEYS: tuple[str, ...] = (
    "e911", "cnam", "failover", "prepend", "ringback", "force_outbound", "sms", "mms",
)


class SystemConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    released_state: State = State.AVAILABLE
    should_permanently_delete: bool = False
    should_age: bool = True
    aging_days: int = Field(default=90, ge=0)
    discovery_expiry_days: int = Field(default=1, ge=0)
    history_length: int = Field(default=100, ge=1, le=1000)
    features_allowed: tuple[str, ...] = FEATURE_KEYS
    carriers: tuple[str, ...] = ()
    default_region: str = "US"
    max_batch: int = Field(default=1000, ge=1, le=10000)
    max_hold_minutes: int = Field(default=120, ge=1, le=1440)  # a hold's total, extensions included
    max_holds_per_account: int = Field(default=100, ge=0, le=100000)

    @field_validator("released_state")
    @classmethod
    def _released_state(cls, value: State) -> State:
        # Kazoo's number_manager.released_state: the state an unowned released number parks in.
        if value not in (State.AVAILABLE, State.RELEASED):
            raise ValueError("must be AVAILABLE or RELEASED")
        return value

    @field_validator("features_allowed")
    @classmethod
    def _features(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(value) - set(FEATURE_KEYS))
        if unknown:
            raise ValueError(f"unknown features {excerpts(unknown)}; known: {list(FEATURE_KEYS)}")
        return value

    @field_validator("default_region")
    @classmethod
    def _region(cls, value: str) -> str:
        if len(value) != 2 or not value.isalpha():
            raise ValueError("must be a two-letter region code such as US or GB")
        return value.upper()

    def updated(self, changes: dict[str, Any]) -> SystemConfig:
        """A copy with `changes` applied; any invalid value is INVALID_FIELD naming the field."""
        return parse_config({**self.model_dump(), **changes})


def parse_config(data: dict[str, Any]) -> SystemConfig:
    try:
        return SystemConfig.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        path = tuple(str(p) for p in first["loc"])
        raise DomainError(
            ErrorCode.INVALID_FIELD, f"{'.'.join(path)}: {first['msg']}", field=path
        ) from None
