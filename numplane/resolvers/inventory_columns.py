"""The CSV columns of `numplane export` and `numplane import` (SPEC §14), and how one row becomes a number.

An export row carries everything a number holds, so export followed by import is lossless: plain values
in plain cells, structured ones (features, public fields, history...) as JSON in one cell. A file with
only the plain columns (`number` plus optional `state`, `carrier`, `account_id`) is an old-style inventory
list, added through `addNumbers`; a file with any of the other export columns is a copy of numbers, written
as it is through the create-only path.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from numplane.domain import e164
from numplane.domain.clock import format_time, parse_time
from numplane.domain.errors import DomainError, ErrorCode
from numplane.domain.numbers import Number
from numplane.domain.states import State
from numplane.domain.text import excerpt

PLAIN_COLUMNS = ("number", "state", "carrier", "account_id")
COPY_COLUMNS = (
    "previous_account_id", "state_changed_at", "created", "modified", "ported_in", "reserve_history",
    "used_by", "features", "features_denied", "carrier_data", "public", "history", "private",
)
EXPORT_COLUMNS = PLAIN_COLUMNS + COPY_COLUMNS
"""The first six are the columns export always had; the rest were added to make the copy lossless."""

OWNED_STATES = frozenset({State.RESERVED, State.IN_SERVICE})
"""States whose rows must name their account (SPEC §2: a reserved or in-service number has an owner)."""


def export_row(number: Number) -> list[str]:
    def when(moment: datetime | None) -> str:
        return format_time(moment) if moment else ""

    return [
        number.e164, number.state.value, number.module, number.owner or "", number.previous_owner or "",
        when(number.state_changed_at), when(number.created), when(number.modified),
        "true" if number.ported_in else "false", _json(list(number.reserve_history)), number.used_by or "",
        _json(number.features), _json(list(number.features_denied)), _json(number.carrier_data),
        _json(number.public), _json(list(number.history_docs)), _json(number.extra_private),
    ]


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")) if value else ""


@dataclass(frozen=True, slots=True)
class CopiedRow:
    """A row of an export, read back: the number as it was, still to be attached to its account."""

    line: int
    number: Number  # owner set, assigned tree not yet (it comes from the account in this store)
    record: dict[str, str]


def state_of(record: Mapping[str, str], default: State) -> State:
    text = (record.get("state") or "").strip().lower()
    if not text:
        return default
    try:
        return State(text)
    except ValueError:
        raise DomainError(
            ErrorCode.INVALID_FIELD,
            f"unknown state {excerpt(text)!r}: use one of {', '.join(s.value for s in State)}",
            field=("state",),
        ) from None


def copied_number(record: Mapping[str, str], *, state: State, carrier: str, account_id: str | None) -> Number:
    """The number an export row describes (the options give defaults for empty plain cells); a bad cell is a
    DomainError naming its column."""
    text = (record.get("number") or "").strip()
    if not text.startswith("+"):
        raise DomainError(
            ErrorCode.INVALID_NUMBER, f"{excerpt(text)!r} is not in E.164 form (+14155550123)", number=text
        )
    number = e164.normalize(text)
    row_state = state_of(record, state)
    owner = _cell(record, "account_id") or account_id
    if row_state in OWNED_STATES and not owner:
        raise DomainError(
            ErrorCode.INVALID_FIELD, f"{row_state.value} numbers need their account_id", field=("account_id",)
        )
    return Number(
        e164=number,
        state=row_state,
        module=_cell(record, "carrier") or carrier,
        owner=owner,
        previous_owner=_cell(record, "previous_account_id"),
        reserve_history=tuple(_structured(record, "reserve_history", list)),
        ported_in=_flag(record, "ported_in"),
        used_by=_cell(record, "used_by"),
        features=_structured(record, "features", dict),
        features_denied=tuple(_structured(record, "features_denied", list)),
        carrier_data=_structured(record, "carrier_data", dict),
        public=_structured(record, "public", dict),
        created=_time(record, "created"),
        modified=_time(record, "modified"),
        state_changed_at=_time(record, "state_changed_at"),
        history_docs=tuple(_structured(record, "history", list)),
        extra_private={k: v for k, v in _structured(record, "private", dict).items() if k.startswith("pvt_")},
    )


def _cell(record: Mapping[str, str], column: str) -> str | None:
    return (record.get(column) or "").strip() or None


def _invalid(column: str, problem: str) -> DomainError:
    return DomainError(ErrorCode.INVALID_FIELD, f"column {column}: {problem}", field=(column,))


def _structured(record: Mapping[str, str], column: str, kind: type[Any]) -> Any:
    text = _cell(record, column)
    if text is None:
        return kind()
    try:
        value = json.loads(text)
    except ValueError:
        raise _invalid(column, f"not JSON: {excerpt(text)!r}") from None
    if not isinstance(value, kind):
        raise _invalid(column, f"expected a JSON {'object' if kind is dict else 'array'}")
    return value


def _flag(record: Mapping[str, str], column: str) -> bool:
    text = (_cell(record, column) or "false").lower()
    if text not in {"true", "false"}:
        raise _invalid(column, f"expected true or false, not {excerpt(text)!r}")
    return text == "true"


def _time(record: Mapping[str, str], column: str) -> datetime | None:
    text = _cell(record, column)
    if text is None:
        return None
    try:
        return parse_time(text)
    except ValueError:
        raise _invalid(column, f"not an ISO 8601 time: {excerpt(text)!r}") from None
