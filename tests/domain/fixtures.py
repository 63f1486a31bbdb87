"""A small account tree for domain tests: root admin A > reseller P > owner O > child D; U unrelated."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from numplane.domain.accounts import Account
from numplane.domain.config import SystemConfig
from numplane.domain.lifecycle import DecisionContext
from numplane.domain.numbers import Number
from numplane.domain.states import State
from numplane.domain.transitions import Actor

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
E164 = "+14155550123"

ADMIN = Account(id="a" * 32, name="root", allow_additions=True, is_admin=True)
RESELLER = Account(id="b" * 32, name="reseller", tree=(ADMIN.id,))
OWNER = Account(id="c" * 32, name="owner", tree=(ADMIN.id, RESELLER.id))
CHILD = Account(id="d" * 32, name="child", tree=(ADMIN.id, RESELLER.id, OWNER.id))
UNRELATED = Account(id="e" * 32, name="unrelated", tree=(ADMIN.id,))
ACCOUNTS = {a.id: a for a in (ADMIN, RESELLER, OWNER, CHILD, UNRELATED)}

REQUESTERS = {
    "admin": ADMIN,
    "same": OWNER,
    "ancestor": RESELLER,
    "descendant": CHILD,
    "unrelated": UNRELATED,
}


def actor(account: Account) -> Actor:
    return Actor(account, is_admin=account.is_admin)


def ctx(account: Account | None = None, config: SystemConfig | None = None, **config_changes: Any) -> DecisionContext:
    cfg = (config or SystemConfig()).updated(config_changes) if config_changes else (config or SystemConfig())
    return DecisionContext(actor=actor(account) if account else Actor(None, True), config=cfg, now=NOW)


def number_in(state: State, *, module: str = "inventory", **changes: Any) -> Number:
    """A number in `state`; owned states belong to OWNER, unowned ones were last owned by OWNER."""
    owned = state in (State.PORT_IN, State.RESERVED, State.IN_SERVICE, State.PORT_OUT)
    number = Number(
        e164=E164,
        state=state,
        module=module,
        owner=OWNER.id if owned else None,
        assigned_tree=OWNER.lineage if owned else (),
        previous_owner=None if owned else (OWNER.id if state in (State.AGING, State.RELEASED) else None),
        reserve_history=(OWNER.id,) if state is State.RESERVED else (),
        created=NOW,
        state_changed_at=NOW,
        rev="1-abc",
    )
    return number.with_changes(**changes)
