"""The hunt rule (SPEC §6) for every state and every kind of caller, written out by hand from the spec."""

from __future__ import annotations

import pytest

from numplane.domain.hunt import Disposition, completes_port, disposition
from numplane.domain.states import State
from tests.domain.fixtures import CHILD, OWNER, RESELLER, UNRELATED

D = Disposition

# Callers: a carrier (None), the owner, its sub-account, its parent, an unrelated account.
CALLERS: dict[str, tuple[str, ...] | None] = {
    "carrier": None,
    "owner": OWNER.lineage,
    "descendant": CHILD.lineage,
    "ancestor": RESELLER.lineage,
    "unrelated": UNRELATED.lineage,
}

# Columns in the order of CALLERS. RT = ROUTE, UP = ROUTE_UPSTREAM, UN = UNASSIGNED, NR = NOT_ROUTABLE,
# NF = NOT_FOUND. "In the owner's tree" is the owner or a descendant of it (SPEC §3.1).
EXPECTED: dict[State | None, str] = {
    None: "NF NF NF NF NF",
    State.DELETED: "NF NF NF NF NF",
    State.AVAILABLE: "UN UN UN UN UN",
    State.DISCOVERY: "NR NR NR NR NR",
    State.RESERVED: "NR NR NR NR NR",
    State.RELEASED: "NR NR NR NR NR",
    State.AGING: "NR NR NR NR NR",
    State.IN_SERVICE: "RT RT RT RT RT",
    State.PORT_IN: "RT RT RT UP UP",  # from a carrier: routes (and completes the port)
    State.PORT_OUT: "RT RT RT UP UP",
}
CODES = {"RT": D.ROUTE, "UP": D.ROUTE_UPSTREAM, "UN": D.UNASSIGNED, "NR": D.NOT_ROUTABLE, "NF": D.NOT_FOUND}
OWNED = (State.PORT_IN, State.RESERVED, State.IN_SERVICE, State.PORT_OUT)


def _cases() -> list[tuple[State | None, str, Disposition]]:
    cases = []
    for state, row in EXPECTED.items():
        for caller, code in zip(CALLERS, row.split(), strict=True):
            cases.append((state, caller, CODES[code]))
    return cases


@pytest.mark.parametrize(("state", "caller", "expected"), _cases())
def test_disposition_by_state_and_caller(state: State | None, caller: str, expected: Disposition) -> None:
    owner = OWNER.id if state in OWNED else None
    assert disposition(state, owner, True, CALLERS[caller]) is expected


@pytest.mark.parametrize("state", [State.IN_SERVICE, State.PORT_IN, State.PORT_OUT])
@pytest.mark.parametrize("caller", list(CALLERS))
def test_a_disabled_owner_stops_every_call_to_a_routable_number(state: State, caller: str) -> None:
    assert disposition(state, OWNER.id, False, CALLERS[caller]) is D.ACCOUNT_DISABLED


def test_a_reserved_number_of_a_disabled_owner_is_still_just_not_routable() -> None:
    assert disposition(State.RESERVED, OWNER.id, False, None) is D.NOT_ROUTABLE


@pytest.mark.parametrize(("state", "caller", "completes"), [
    (State.PORT_IN, "carrier", True),
    (State.PORT_IN, "owner", False),  # routed inside the tree, the port stays pending
    (State.PORT_IN, "unrelated", False),
    (State.PORT_OUT, "carrier", False),
    (State.IN_SERVICE, "carrier", False),
])
def test_only_a_carrier_call_to_a_port_in_number_completes_the_port(
    state: State, caller: str, completes: bool
) -> None:
    lineage = CALLERS[caller]
    assert completes_port(state, lineage, disposition(state, OWNER.id, True, lineage)) is completes


def test_a_carrier_call_to_a_port_in_number_of_a_disabled_owner_completes_nothing() -> None:
    result = disposition(State.PORT_IN, OWNER.id, False, None)
    assert result is D.ACCOUNT_DISABLED
    assert completes_port(State.PORT_IN, None, result) is False
