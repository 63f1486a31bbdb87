"""The closed set of errors (SPEC §12): one table, one exception type."""

from __future__ import annotations

from datetime import datetime
from enum import Enum


class ErrorCode(str, Enum):
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    INVALID_NUMBER = "INVALID_NUMBER"
    NUMBER_EXISTS = "NUMBER_EXISTS"
    INVALID_STATE_TRANSITION = "INVALID_STATE_TRANSITION"
    NO_CHANGE_REQUIRED = "NO_CHANGE_REQUIRED"
    ACCOUNT_NOT_IN_GOOD_STANDING = "ACCOUNT_NOT_IN_GOOD_STANDING"
    ACCOUNT_DISABLED = "ACCOUNT_DISABLED"
    FEATURE_LOCKED = "FEATURE_LOCKED"
    FEATURE_NOT_ALLOWED = "FEATURE_NOT_ALLOWED"
    INVALID_FIELD = "INVALID_FIELD"
    CONFLICT = "CONFLICT"
    CARRIER_FAILURE = "CARRIER_FAILURE"
    LIMIT_EXCEEDED = "LIMIT_EXCEEDED"
    STORE_UNAVAILABLE = "STORE_UNAVAILABLE"
    NUMBER_HELD = "NUMBER_HELD"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    UNREADABLE_DOCUMENT = "UNREADABLE_DOCUMENT"


# What each code means for the person who gets it, and what to do next. The README table is
# checked against this dict by a test.
ERROR_HELP: dict[ErrorCode, str] = {
    ErrorCode.UNAUTHENTICATED: "No valid API key: send `Authorization: Bearer <key>` with a key that is not revoked.",
    ErrorCode.FORBIDDEN: "The key's account or role may not do this; ask the owner of the number or an admin.",
    ErrorCode.NOT_FOUND: (
        "No number, account or port request by that id visible to you; check it or the account you act for."
    ),
    ErrorCode.INVALID_NUMBER: "Not a possible phone number; give it in E.164 (+14155550123) or national form.",
    ErrorCode.NUMBER_EXISTS: "The number exists already (or is in another active port request); reserve it instead.",
    ErrorCode.INVALID_STATE_TRANSITION: (
        "The state of the number or port request does not allow this; read its state first."
    ),
    ErrorCode.NO_CHANGE_REQUIRED: "The number is already where you asked it to be; nothing was changed.",
    ErrorCode.ACCOUNT_NOT_IN_GOOD_STANDING: "The account is not in good standing; settle it before acquiring numbers.",
    ErrorCode.ACCOUNT_DISABLED: "The account is disabled and may only read; ask an admin to enable it.",
    ErrorCode.FEATURE_LOCKED: "Features cannot be edited while the number is reserved; activate it first.",
    ErrorCode.FEATURE_NOT_ALLOWED: "This feature is denied on this number or system; ask an admin.",
    ErrorCode.INVALID_FIELD: "An input field is invalid; the error names the field and the rule it broke.",
    ErrorCode.CONFLICT: "The number or port request changed since you read it; read it again, retry with its revision.",
    ErrorCode.CARRIER_FAILURE: "The upstream carrier refused or failed; try again later or pick another number.",
    ErrorCode.LIMIT_EXCEEDED: "The request is over a configured limit; split it into smaller ones.",
    ErrorCode.STORE_UNAVAILABLE: "The database cannot be reached right now; nothing was lost, retry shortly.",
    ErrorCode.NUMBER_HELD: "Another account holds the number; `heldUntil` says when the hold ends.",
    ErrorCode.IDEMPOTENCY_KEY_REUSED: "The Idempotency-Key was used with a different request body; use a new key.",
    ErrorCode.UNREADABLE_DOCUMENT: (
        "The stored document (written by another system or an old version) cannot be read; an admin must repair it."
    ),
}


class DomainError(Exception):
    """An expected failure: it becomes a `userError` in the API, never a 500."""

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        *,
        number: str | None = None,
        field: tuple[str, ...] | None = None,
        held_until: datetime | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.number = number
        self.field = field
        self.held_until = held_until  # NUMBER_HELD: when the hold ends

    def for_number(self, number: str) -> DomainError:
        """The same error attributed to one number of a bulk request."""
        return DomainError(self.code, self.message, number=number, field=self.field, held_until=self.held_until)

    def __repr__(self) -> str:
        return f"DomainError({self.code.value}, {self.message!r}, number={self.number!r})"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, DomainError)
            and (self.code, self.message, self.number, self.field)
            == (other.code, other.message, other.number, other.field)
        )

    def __hash__(self) -> int:
        return hash((self.code, self.message, self.number, self.field))
