"""The transition table (SPEC §3.2) and who may make each move (SPEC §3.1).

The table is data you can read on one screen; `authorize` turns a row into a yes or a clear no.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from numplane.domain.accounts import Account, Relation, relation
from numplane.domain.errors import DomainError, ErrorCode
from numplane.domain.history import SYSTEM
from numplane.domain.numbers import Number
from numplane.domain.states import State

S = State


class Who(str, Enum):
    """Who may make a move, relative to the requester R, the owner O and the target T (SPEC §3.1)."""

    ADMIN_ADDITIONS = "an admin whose account may add numbers"
    ADDITIONS = "an account allowed to add numbers, for an account in its tree"
    ANYONE = "any account in good standing, for an account in its tree"
    OWNER_LINE = "the owner, its ancestors or its descendants"
    OWNER_OR_ANCESTOR = "the owner or its ancestors"
    PREVIOUS_OWNER = "the previous owner or its ancestors"
    ADMIN = "admins"
    SYSTEM = "the system"


NEW = None  # the "from" of a number that does not exist yet

# (from, to) -> who may do it. Admins pass every relation check; the state rules still apply.
# Deletions are the `to` value None ("deleted" means the document is removed).
TABLE: dict[tuple[State | None, State | None], Who] = {
    (NEW, S.AVAILABLE): Who.ADMIN_ADDITIONS,
    (NEW, S.RESERVED): Who.ADDITIONS,
    (NEW, S.IN_SERVICE): Who.ADDITIONS,
    (NEW, S.PORT_IN): Who.ANYONE,
    (NEW, S.DISCOVERY): Who.SYSTEM,
    (S.DISCOVERY, S.RESERVED): Who.ANYONE,
    (S.DISCOVERY, S.IN_SERVICE): Who.ANYONE,
    (S.DISCOVERY, None): Who.SYSTEM,  # discovery expiry
    (S.AVAILABLE, S.RESERVED): Who.ANYONE,
    (S.AVAILABLE, S.IN_SERVICE): Who.ANYONE,
    (S.RESERVED, S.RESERVED): Who.OWNER_LINE,
    (S.RESERVED, S.IN_SERVICE): Who.OWNER_LINE,
    (S.IN_SERVICE, S.RESERVED): Who.OWNER_OR_ANCESTOR,
    (S.IN_SERVICE, S.IN_SERVICE): Who.OWNER_OR_ANCESTOR,
    (S.AGING, S.RESERVED): Who.PREVIOUS_OWNER,
    (S.AGING, S.IN_SERVICE): Who.PREVIOUS_OWNER,
    (S.AGING, S.AVAILABLE): Who.ADMIN,  # early return; the aging job when the quarantine ends
    (S.RELEASED, S.AVAILABLE): Who.ADMIN,
    (S.RELEASED, S.AGING): Who.ADMIN,
    (S.PORT_IN, S.IN_SERVICE): Who.OWNER_OR_ANCESTOR,  # also the first hunt from a carrier
    (S.PORT_IN, None): Who.OWNER_OR_ANCESTOR,  # port cancelled
    (S.RESERVED, S.PORT_OUT): Who.ADMIN,
    (S.IN_SERVICE, S.PORT_OUT): Who.ADMIN,
    (S.PORT_OUT, S.IN_SERVICE): Who.ADMIN,  # port-out cancelled
    (S.PORT_OUT, None): Who.ADMIN,  # port-out completed
    (S.DELETED, None): Who.SYSTEM,  # legacy purge
    # Release (§3.3) leaves the account into one of these, or back to `reserved` for the history's head.
    (S.RESERVED, S.RELEASED): Who.OWNER_OR_ANCESTOR,
    (S.IN_SERVICE, S.RELEASED): Who.OWNER_OR_ANCESTOR,
    (S.RESERVED, S.AGING): Who.OWNER_OR_ANCESTOR,
    (S.IN_SERVICE, S.AGING): Who.OWNER_OR_ANCESTOR,
    (S.RESERVED, S.AVAILABLE): Who.OWNER_OR_ANCESTOR,
    (S.IN_SERVICE, S.AVAILABLE): Who.OWNER_OR_ANCESTOR,
    (S.RESERVED, None): Who.OWNER_OR_ANCESTOR,
    (S.IN_SERVICE, None): Who.OWNER_OR_ANCESTOR,
}
# Which release row applies is decided by numplane.domain.release; an admin's hard delete of any state by
# lifecycle.delete. Each named action is pinned to its own from-states, so sharing a row is harmless.

ACQUIRING = frozenset({(S.DISCOVERY, S.RESERVED), (S.DISCOVERY, S.IN_SERVICE), (S.AVAILABLE, S.RESERVED),
                       (S.AVAILABLE, S.IN_SERVICE), (S.AGING, S.RESERVED), (S.AGING, S.IN_SERVICE),
                       (NEW, S.PORT_IN)})
"""Moves that take a number into an account: requester and target must be in good standing."""

CARRIER_ACQUIRE = frozenset({(S.DISCOVERY, S.RESERVED), (S.DISCOVERY, S.IN_SERVICE), (S.RESERVED, S.RESERVED)})
"""Moves that ask the number's carrier module to acquire it before anything is written."""

MDN_MODULE = "mdn"
ALWAYS_DELETED_MODULES = frozenset({"local", MDN_MODULE})


@dataclass(frozen=True, slots=True)
class Actor:
    """Who asks: an account (with admin power or not), or the system (jobs, hunts) when account is None."""

    account: Account | None
    is_admin: bool = False

    @property
    def id(self) -> str:
        return self.account.id if self.account else SYSTEM


SYSTEM_ACTOR = Actor(account=None, is_admin=True)


def _state_name(state: State | None) -> str:
    return state.value if state else "deleted"


def invalid(number: str, from_state: State | None, to_state: State | None, why: str = "") -> DomainError:
    frm = from_state.value if from_state else "(new)"
    return DomainError(
        ErrorCode.INVALID_STATE_TRANSITION,
        f"{number} cannot go from {frm} to {_state_name(to_state)}{': ' + why if why else ''}.",
        number=number,
    )


def check_move(number: Number | None, e164: str, to_state: State | None) -> Who:
    """The table's row for this move, or INVALID_STATE_TRANSITION (mdn numbers have fewer moves)."""
    from_state = number.state if number else NEW
    who = TABLE.get((from_state, to_state))
    if who is None:
        raise invalid(e164, from_state, to_state)
    if number is not None and number.module == MDN_MODULE and who is not Who.SYSTEM:
        raise invalid(e164, from_state, to_state, "mdn numbers can only be released or deleted by an admin")
    return who


def ensure_active(actor: Actor) -> None:
    """A disabled requester can only read (checked before anything else)."""
    if actor.account is not None and not actor.account.enabled:
        raise DomainError(ErrorCode.ACCOUNT_DISABLED, "Your account is disabled: it can read but not change anything.")


def in_tree(actor: Actor, target: Account) -> bool:
    return actor.is_admin or (actor.account is not None and actor.account.controls(target.id, target.tree))


def owner_relation(actor: Actor, number: Number) -> Relation:
    if actor.account is None or number.owner is None:
        return Relation.UNRELATED
    return relation(actor.account, number.owner, number.owner_ancestors)


def authorize(
    who: Who,
    actor: Actor,
    number: Number | None,
    e164: str,
    target: Account | None,
    previous_owner: Account | None = None,
) -> None:
    """Raise FORBIDDEN (or NOT_FOUND where existence must not leak) unless `actor` may make the move."""
    if who is Who.SYSTEM:
        if actor.account is not None:
            raise _denied(who, e164)
        return
    if target is not None and not in_tree(actor, target):
        raise DomainError(
            ErrorCode.FORBIDDEN,
            f"You can assign {e164} only to your own account or one of its sub-accounts.",
            number=e164,
        )
    if actor.is_admin:
        return
    account = actor.account
    assert account is not None  # only the system actor has no account, and it is admin
    rel = owner_relation(actor, number) if number else Relation.UNRELATED
    allowed = {
        Who.ADMIN_ADDITIONS: False,
        Who.ADDITIONS: account.allow_additions,
        Who.ANYONE: True,
        Who.OWNER_LINE: rel in (Relation.SAME, Relation.ANCESTOR, Relation.DESCENDANT),
        Who.OWNER_OR_ANCESTOR: rel in (Relation.SAME, Relation.ANCESTOR),
        Who.PREVIOUS_OWNER: previous_owner is not None
        and (previous_owner.id == account.id or account.id in previous_owner.tree),
        Who.ADMIN: False,
    }[who]
    if not allowed:
        raise _denied(who, e164)


def _denied(who: Who, e164: str) -> DomainError:
    # Built only for a refusal: every allowed move (almost all of them) skipped making it.
    return DomainError(ErrorCode.FORBIDDEN, f"Only {who.value} can do this to {e164}.", number=e164)


def ensure_good_standing(actor: Actor, target: Account, e164: str) -> None:
    for account, whose in ((actor.account, "Your account"), (target, f"Account {target.id}")):
        if account is None:
            continue
        if not account.enabled:
            raise DomainError(ErrorCode.ACCOUNT_DISABLED, f"{whose} is disabled.", number=e164)
        if not account.good_standing:
            raise DomainError(
                ErrorCode.ACCOUNT_NOT_IN_GOOD_STANDING,
                f"{whose} is not in good standing, so it cannot acquire {e164}; settle the account first.",
                number=e164,
            )


