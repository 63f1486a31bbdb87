"""Public fields and features (SPEC §4): validation, merge patch, the edit rules, and activation."""

from __future__ import annotations

import copy
import re
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from numplane.domain.config import FEATURE_KEYS, SystemConfig
from numplane.domain.e164 import normalize
from numplane.domain.errors import DomainError, ErrorCode
from numplane.domain.numbers import Number
from numplane.domain.public_bounds import check_public_bounds, check_public_size
from numplane.domain.states import State
from numplane.domain.text import excerpts

_ROOT = "publicFields"
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class _Feature(BaseModel):
    # Strict so that "true" is not a boolean and 5 is not a name; forbid so that a typo
    # ("postalcode") is an error instead of a silently ignored key.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class E911(_Feature):
    street_address: str = Field(min_length=1)
    extended_address: str | None = None
    locality: str = Field(min_length=1)
    region: str
    postal_code: str = Field(min_length=1)
    plus_four: str | None = None
    caller_name: str | None = None
    notification_contact_emails: list[str] = Field(default_factory=list)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        if len(value) != 2 or not value.isascii() or not value.isalpha():
            raise ValueError("must be a two-letter state or province code such as CA")
        return value

    @field_validator("notification_contact_emails")
    @classmethod
    def _emails(cls, value: list[str]) -> list[str]:
        bad = [email for email in value if not _EMAIL.fullmatch(email)]
        if bad:
            raise ValueError(f"not email addresses: {excerpts(bad)}")
        return value


class Cnam(_Feature):
    display_name: str | None = Field(default=None, min_length=1, max_length=15)
    inbound_lookup: bool | None = None


class Failover(_Feature):
    e164: str | None = None
    sip: str | None = None

    @field_validator("e164")
    @classmethod
    def _e164(cls, value: str) -> str:
        try:
            canonical = normalize(value)
        except DomainError:
            canonical = None
        if canonical != value:
            raise ValueError("must be a number in E.164 form, e.g. +14155550123")
        return value

    @field_validator("sip")
    @classmethod
    def _sip(cls, value: str) -> str:
        scheme, _, rest = value.partition(":")
        if scheme.lower() not in ("sip", "sips") or not rest or any(c.isspace() for c in value):
            raise ValueError("must be a SIP URI such as sip:user@example.com or sips:user@example.com")
        return value

    @model_validator(mode="after")
    def _one_target(self) -> Failover:
        if self.e164 is None and self.sip is None:
            raise ValueError("give a failover target: `e164` or `sip`")
        return self


class Prepend(_Feature):
    enabled: bool | None = None
    name: str | None = None
    number: str | None = None


class Ringback(_Feature):
    early: str | None = None
    transfer: str | None = None


class Messaging(_Feature):
    """`sms` and `mms`."""

    enabled: bool | None = None


_VALIDATORS: dict[str, TypeAdapter[Any]] = {
    "e911": TypeAdapter(E911),
    "cnam": TypeAdapter(Cnam),
    "failover": TypeAdapter(Failover),
    "prepend": TypeAdapter(Prepend),
    "ringback": TypeAdapter(Ringback),
    "force_outbound": TypeAdapter(StrictBool),
    "sms": TypeAdapter(Messaging),
    "mms": TypeAdapter(Messaging),
}
assert set(_VALIDATORS) == set(FEATURE_KEYS), "every feature key needs a validator"

# Where each feature is active (SPEC §4.2): e911 and cnam follow the number from port-in on, because
# emergency calls and caller id must work as soon as calls can reach the owner; the rest only in service.
_EARLY = frozenset({State.PORT_IN, State.RESERVED, State.IN_SERVICE})
ACTIVE_IN: dict[str, frozenset[State]] = {
    key: _EARLY if key in ("e911", "cnam") else frozenset({State.IN_SERVICE}) for key in FEATURE_KEYS
}

_EDITABLE_BY_OWNER = frozenset({State.PORT_IN, State.RESERVED, State.IN_SERVICE})
_NOT_EDITABLE_WHY: dict[State, str] = {
    State.DISCOVERY: "it is in discovery (not yet acquired by anyone)",
    State.RELEASED: "it has been released",
    State.AGING: "it is aging after release",
    State.PORT_OUT: "it is being ported out",
    State.DELETED: "it has been deleted",
}


def validate_public(fields: dict[str, Any]) -> None:
    """INVALID_FIELD naming the path and the rule for a private key, an invalid feature value or a bound."""
    check_public_bounds(fields)
    check_public_size(fields)
    _reject_private(fields)
    for key, value in fields.items():
        if key in _VALIDATORS:
            _validate_feature(key, value)


def _reject_private(fields: dict[str, Any]) -> None:
    # Rejected rather than dropped: a client writing pvt_state believes it changed something.
    for key in fields:
        if key.startswith(("pvt_", "_")):
            raise DomainError(
                ErrorCode.INVALID_FIELD,
                f"{_ROOT}.{key}: keys starting with 'pvt_' or '_' are private and cannot be written",
                field=(_ROOT, key),
            )


def _validate_feature(key: str, value: Any) -> None:
    try:
        _VALIDATORS[key].validate_python(value)
    except ValidationError as exc:
        error = exc.errors()[0]
        path = (_ROOT, key, *(str(part) for part in error["loc"]))
        raise DomainError(ErrorCode.INVALID_FIELD, f"{'.'.join(path)}: {_rule(error)}", field=path) from None


def _rule(error: ErrorDetails) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown key (check the spelling)"
    if error["type"] == "missing":
        return "is required"
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


def merge_patch(target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """RFC 7386 JSON merge patch of `target` by `patch`, as a new dict (neither input is changed)."""
    merged = _merge(target, patch)
    assert isinstance(merged, dict)
    return merged


def _merge(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = _merge(result.get(key), value)
    return result


def check_editable(number: Number, relation_allows: bool, is_admin: bool) -> None:
    """FORBIDDEN unless the editor may change this number's public fields in its state (SPEC §4.1).

    `relation_allows` is whether the editor is the owner or one of its ancestors.
    """
    _check_state_allows(number, is_admin)
    if not (is_admin or relation_allows):
        raise DomainError(
            ErrorCode.FORBIDDEN,
            "only the owner of the number, its ancestor accounts or an admin may edit it",
            number=number.e164,
        )


def _check_state_allows(number: Number, is_admin: bool) -> None:
    if number.state in _EDITABLE_BY_OWNER:
        return
    if number.state == State.AVAILABLE:
        if is_admin:
            return
        why = "it is available (unowned): only admins may edit it; reserve it first"
    else:
        why = _NOT_EDITABLE_WHY.get(number.state, f"it is {number.state.value}")
    raise DomainError(ErrorCode.FORBIDDEN, f"the number cannot be edited because {why}", number=number.e164)


def apply_edit(
    number: Number, patch: dict[str, Any], *, replace: bool, editor_is_admin: bool, config: SystemConfig
) -> dict[str, Any]:
    """The number's public fields after `patch` (merged, or replacing them), or the rule it breaks.

    The caller has checked who the editor is (`check_editable`); the state rule is checked again here
    so this function can never produce an edit that the number's state forbids.
    """
    _check_state_allows(number, editor_is_admin)
    check_public_bounds(patch)  # before merging: the merge recurses, and the patch may nest a thousand deep
    _reject_private(patch)  # features are judged after merging: a merge patch may hold half an e911
    # Replace is a merge onto nothing: the same null handling, so `{"cnam": null}` never stores a null.
    updated = merge_patch({} if replace else number.public, patch)
    check_public_size(updated)
    changed = [key for key in FEATURE_KEYS if number.public.get(key) != updated.get(key)]
    if changed and number.state == State.RESERVED:
        raise DomainError(
            ErrorCode.FEATURE_LOCKED,
            f"features {changed} cannot be edited while the number is reserved; activate it first "
            "(other public fields can be edited)",
            number=number.e164,
            field=(_ROOT, changed[0]),
        )
    for key in changed:
        if key in updated:
            _check_allowed(number, key, config)
            # Only changed features are judged: legacy values that were never edited stay readable.
            _validate_feature(key, updated[key])
    return updated


def _check_allowed(number: Number, key: str, config: SystemConfig) -> None:
    if key in number.features_denied:
        why = "is denied on this number by an admin"
    elif key not in config.features_allowed:
        why = "is not allowed on this system"
    else:
        return
    raise DomainError(
        ErrorCode.FEATURE_NOT_ALLOWED, f"feature {key!r} {why}", number=number.e164, field=(_ROOT, key)
    )


def active_features(state: State, public: dict[str, Any]) -> dict[str, Any]:
    """`pvt_features` of a number in `state` with these public fields: the features that apply there."""
    return {
        key: copy.deepcopy(public[key])
        for key in FEATURE_KEYS
        if public.get(key) is not None and state in ACTIVE_IN[key]
    }
