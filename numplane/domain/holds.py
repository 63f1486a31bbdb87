"""Holds (issue 11): an account keeps an offered number for itself for a while, without acquiring it.

A hold is a value on the number (`pvt_hold`), so the one read that decides an acquisition also sees the
hold, and the rule "who may acquire a held number" lives in `lifecycle.acquire` beside the other
acquisition rules, through `ensure_not_held_from` below. The rules:

- Only offered numbers (available, discovery) are held, for 1 to 60 minutes (30 by default), by an
  account in the requester's tree, in good standing.
- While a hold counts, only the holder's tree (the holder and its sub-accounts) may reserve or activate
  the number; anyone else gets NUMBER_HELD with the time the hold ends. The acquisition by the holder's
  tree consumes the hold. Searches by others skip held numbers.
- A hold counts until `expires_at`: expiry is decided when the number is read (with the caller's
  `now`), so it is exact without a job; the `hold-expiry` job only removes the expired records.
- `extendHolds` moves the end later, never past `max_hold_minutes` after the hold started;
  `releaseHolds` ends a hold at once. Both are for the holder's tree and its ancestors (and admins).
- An account holds at most `max_holds_per_account` numbers at once (counted by the resolver from the
  `holds` index; a hold of a number the account already holds does not count twice).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from numplane.domain.accounts import Account
from numplane.domain.clock import format_time, parse_time
from numplane.domain.errors import DomainError, ErrorCode

MIN_MINUTES = 1
MAX_MINUTES = 60
DEFAULT_MINUTES = 30


@dataclass(frozen=True, slots=True)
class Hold:
    account: str  # the holder
    tree: tuple[str, ...]  # the holder's ancestors, root first
    started_at: datetime  # when this account first held the number: the maximum total counts from here
    expires_at: datetime

    def active(self, now: datetime) -> bool:
        return now < self.expires_at

    def allows(self, account_id: str, account_tree: tuple[str, ...]) -> bool:
        """True when `account` is the holder or one of its sub-accounts (the holder's tree)."""
        return account_id == self.account or self.account in account_tree

    def managed_by(self, account: Account) -> bool:
        """The holder, its ancestors and its descendants may extend or release the hold."""
        return (
            account.id == self.account or account.id in self.tree or self.account in account.tree
        )

    def to_doc(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "tree": list(self.tree),
            "started_at": format_time(self.started_at),
            "expires_at": format_time(self.expires_at),
        }

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Hold:
        return cls(
            account=str(doc["account"]),
            tree=tuple(doc.get("tree") or ()),
            started_at=parse_time(doc["started_at"]),
            expires_at=parse_time(doc["expires_at"]),
        )


def active_hold(hold: Hold | None, now: datetime) -> Hold | None:
    """The hold if it still counts at `now`; an expired record counts as no hold at all."""
    return hold if hold is not None and hold.active(now) else None


def held_from(hold: Hold | None, account_id: str | None, account_tree: tuple[str, ...], now: datetime) -> bool:
    """True when a hold that counts keeps the number from `account` (None: nobody in particular, e.g. the
    system, which holds nothing back)."""
    current = active_hold(hold, now)
    if current is None or account_id is None:
        return False
    return not current.allows(account_id, account_tree)


def ensure_not_held_from(hold: Hold | None, e164: str, target: Account, now: datetime) -> None:
    """Acquisition rule: only the holder's tree may take a held number."""
    if held_from(hold, target.id, target.tree, now):
        assert hold is not None
        raise number_held(e164, hold)


def number_held(e164: str, hold: Hold) -> DomainError:
    return DomainError(
        ErrorCode.NUMBER_HELD,
        f"{e164} is held by another account until {format_time(hold.expires_at)}; try again after that "
        "or pick another number.",
        number=e164,
        held_until=hold.expires_at,
    )


def check_minutes(minutes: int) -> None:
    if not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise DomainError(
            ErrorCode.INVALID_FIELD,
            f"A hold lasts {MIN_MINUTES} to {MAX_MINUTES} minutes, not {minutes}.",
            field=("minutes",),
        )


def place(
    current: Hold | None, e164: str, holder: Account, minutes: int, now: datetime, max_total_minutes: int
) -> Hold:
    """The hold after `holder` asks to hold the number for `minutes` from now.

    Holding again what one already holds renews it from now, within the maximum total of the first hold.
    """
    check_minutes(minutes)
    existing = active_hold(current, now)
    if existing is not None and existing.account != holder.id:
        raise number_held(e164, existing)
    started = existing.started_at if existing is not None else now
    return _within_maximum(
        Hold(holder.id, holder.tree, started, now + timedelta(minutes=minutes)), e164, max_total_minutes
    )


def extend(
    current: Hold | None, e164: str, by: Account | None, minutes: int, now: datetime, max_total_minutes: int
) -> Hold:
    """The hold `minutes` later than it now ends. `by` None: an admin, who manages every hold."""
    check_minutes(minutes)
    existing = _managed(current, e164, by, now)
    later = existing.expires_at + timedelta(minutes=minutes)
    longer = Hold(existing.account, existing.tree, existing.started_at, later)
    return _within_maximum(longer, e164, max_total_minutes)


def release(current: Hold | None, e164: str, by: Account | None, now: datetime) -> None:
    """Check that `by` may end the hold (the caller then clears it)."""
    _managed(current, e164, by, now)


def _managed(current: Hold | None, e164: str, by: Account | None, now: datetime) -> Hold:
    existing = active_hold(current, now)
    if existing is None:
        raise DomainError(ErrorCode.NOT_FOUND, f"{e164} is not held (or its hold has ended).", number=e164)
    if by is not None and not existing.managed_by(by):
        # Another tree's hold: as far as this requester is concerned the number is simply held.
        raise number_held(e164, existing)
    return existing


def _within_maximum(hold: Hold, e164: str, max_total_minutes: int) -> Hold:
    total = hold.expires_at - hold.started_at
    if total > timedelta(minutes=max_total_minutes):
        raise DomainError(
            ErrorCode.LIMIT_EXCEEDED,
            f"{e164} would be held for {int(total.total_seconds() // 60)} minutes in all; the maximum is "
            f"{max_total_minutes} (system config max_hold_minutes).",
            number=e164,
            field=("minutes",),
        )
    return hold


def check_room(account_id: str, held_now: int, adding: int, limit: int) -> None:
    """The per-account limit (system config max_holds_per_account)."""
    if held_now + adding > limit:
        raise DomainError(
            ErrorCode.LIMIT_EXCEEDED,
            f"Account {account_id} holds {held_now} numbers; the limit is {limit} (system config "
            "max_holds_per_account). Release or acquire some first.",
            field=("numbers",),
        )
