"""Numbers in each of the nine states carrying every field a lossless copy must keep."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from numplane.domain.numbers import Number, Transition
from numplane.domain.states import State

CREATED = datetime(2025, 3, 1, 9, 30, 15, 250000, tzinfo=UTC)

OWNED = frozenset({State.RESERVED, State.IN_SERVICE, State.PORT_IN, State.PORT_OUT})


def in_every_state(tree: tuple[str, ...], previous_owner: str, *, prefix: str = "+1415777") -> list[Number]:
    """One number per state; owned states belong to the last account of `tree` (root first), the others
    remember `previous_owner`. Each carries history, features, carrier data and public fields."""
    owner = tree[-1]
    numbers = []
    for index, state in enumerate(State):
        changed = CREATED + timedelta(days=index, microseconds=index)
        owned = state in OWNED
        numbers.append(
            Number(
                e164=f"{prefix}{index:04d}",
                state=state,
                module="inventory" if index % 2 else "simulated",
                owner=owner if owned else None,
                previous_owner=previous_owner if not owned or index % 3 == 0 else None,
                assigned_tree=tree if owned else (),
                reserve_history=(owner, previous_owner) if owned else (previous_owner,),
                ported_in=state in (State.PORT_IN, State.IN_SERVICE),
                features={"e911": {"street": f"{index} Main St, Ünterstadt", "postal": "94103"}} if owned else {},
                carrier_data={"order": f"ord-{index}", "tags": ["a", "b"]},
                public={"label": f"line {index}, \"quoted\"", "routing": {"weight": index}},
                created=CREATED,
                modified=changed + timedelta(hours=1),
                state_changed_at=changed,
                history_docs=(
                    Transition(CREATED, "add", None, State.AVAILABLE, "system", None, None).to_doc(),
                    Transition(changed, "move", State.AVAILABLE, state, tree[0], None, owner if owned else None)
                    .to_doc(),
                ),
            )
        )
    return numbers
