"""Every (from state, action, requester relation) against a matrix written out by hand from SPEC §3.2.

The expectations below are NOT generated from numplane.domain.transitions.TABLE: they were written from
the spec's prose, so a wrong table row shows up as a mismatch here.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from numplane.domain import lifecycle
from numplane.domain.accounts import Account
from numplane.domain.errors import DomainError
from numplane.domain.lifecycle import Decision, DecisionContext
from numplane.domain.numbers import Number
from numplane.domain.release import release
from numplane.domain.states import State
from numplane.domain.transitions import TABLE
from tests.domain.fixtures import ACCOUNTS, E164, REQUESTERS, ctx, number_in

RELATIONS = ("admin", "same", "ancestor", "descendant", "unrelated")
FROM_STATES = (
    State.DISCOVERY, State.PORT_IN, State.AVAILABLE, State.RESERVED, State.IN_SERVICE,
    State.RELEASED, State.AGING, State.PORT_OUT, State.DELETED,
)

# ok = allowed; FB = FORBIDDEN; IS = INVALID_STATE_TRANSITION; NC = NO_CHANGE_REQUIRED.
# Columns: admin, same (owner / previous owner), ancestor, descendant, unrelated.
EXPECTED: dict[str, dict[State, str]] = {
    "reserve": {
        State.DISCOVERY: "ok ok ok ok ok",
        State.PORT_IN: "IS IS IS IS IS",
        State.AVAILABLE: "ok ok ok ok ok",
        State.RESERVED: "ok NC ok ok FB",  # re-reserve for the requester itself; the owner already has it
        State.IN_SERVICE: "ok ok ok FB FB",  # back to reserved for the owner
        State.RELEASED: "IS IS IS IS IS",
        State.AGING: "ok ok ok FB FB",  # reclaim by the previous owner's line
        State.PORT_OUT: "IS IS IS IS IS",
        State.DELETED: "IS IS IS IS IS",
    },
    "activate": {
        State.DISCOVERY: "ok ok ok ok ok",
        State.PORT_IN: "ok ok ok FB FB",  # same as completing the port
        State.AVAILABLE: "ok ok ok ok ok",
        State.RESERVED: "ok ok ok ok FB",
        State.IN_SERVICE: "ok ok ok FB FB",  # the owner keeping it: a no-op success
        State.RELEASED: "IS IS IS IS IS",
        State.AGING: "ok ok ok FB FB",
        State.PORT_OUT: "IS IS IS IS IS",
        State.DELETED: "IS IS IS IS IS",
    },
    "release": {
        State.DISCOVERY: "IS IS IS IS IS",
        State.PORT_IN: "IS IS IS IS IS",
        State.AVAILABLE: "IS IS IS IS IS",
        State.RESERVED: "ok ok ok FB FB",
        State.IN_SERVICE: "ok ok ok FB FB",
        State.RELEASED: "IS IS IS IS IS",
        State.AGING: "IS IS IS IS IS",
        State.PORT_OUT: "IS IS IS IS IS",
        State.DELETED: "IS IS IS IS IS",
    },
    "complete_port_in": {s: "IS IS IS IS IS" for s in FROM_STATES} | {State.PORT_IN: "ok ok ok FB FB"},
    "cancel_port_in": {s: "IS IS IS IS IS" for s in FROM_STATES} | {State.PORT_IN: "ok ok ok FB FB"},
    "port_out": {s: "IS IS IS IS IS" for s in FROM_STATES}
    | {State.RESERVED: "ok FB FB FB FB", State.IN_SERVICE: "ok FB FB FB FB"},
    "complete_port_out": {s: "IS IS IS IS IS" for s in FROM_STATES} | {State.PORT_OUT: "ok FB FB FB FB"},
    "cancel_port_out": {s: "IS IS IS IS IS" for s in FROM_STATES} | {State.PORT_OUT: "ok FB FB FB FB"},
    "return": {s: "IS IS IS IS IS" for s in FROM_STATES}
    | {State.RELEASED: "ok FB FB FB FB", State.AGING: "ok FB FB FB FB"},
    "delete": {s: "ok FB FB FB FB" for s in FROM_STATES},
}

CODES = {"FB": "FORBIDDEN", "IS": "INVALID_STATE_TRANSITION", "NC": "NO_CHANGE_REQUIRED"}


def _acquire(to_state: State) -> Callable[[Number, DecisionContext, Account], Decision]:
    def run(number: Number, context: DecisionContext, requester: Account) -> Decision:
        assert context.actor.account is not None
        target_id = lifecycle.default_target(number, to_state, context.actor) or requester.id
        previous = ACCOUNTS.get(number.previous_owner or "")
        return lifecycle.acquire(number, to_state, context, ACCOUNTS[target_id], previous_owner=previous)

    return run


ACTIONS: dict[str, Callable[[Number, DecisionContext, Account], Decision]] = {
    "reserve": _acquire(State.RESERVED),
    "activate": _acquire(State.IN_SERVICE),
    "release": lambda n, c, _r: release(n, c, ACCOUNTS),
    "complete_port_in": lambda n, c, _r: lifecycle.complete_port_in(n, c),
    "cancel_port_in": lambda n, c, _r: lifecycle.cancel_port_in(n, c),
    "port_out": lambda n, c, _r: lifecycle.port_out(n, c),
    "complete_port_out": lambda n, c, _r: lifecycle.complete_port_out(n, c),
    "cancel_port_out": lambda n, c, _r: lifecycle.cancel_port_out(n, c),
    "return": lambda n, c, _r: lifecycle.return_number(n, c),
    "delete": lambda n, c, _r: lifecycle.delete(n, c),
}

CASES = [
    (action, state, relation, expected)
    for action, rows in EXPECTED.items()
    for state, row in rows.items()
    for relation, expected in zip(RELATIONS, row.split(), strict=True)
]


@pytest.mark.parametrize(("action", "state", "relation", "expected"), CASES)
def test_transition_matrix(action: str, state: State, relation: str, expected: str) -> None:
    requester = REQUESTERS[relation]
    number = number_in(state)
    try:
        ACTIONS[action](number, ctx(requester), requester)
        outcome = "ok"
    except DomainError as error:
        outcome = error.code.value
    assert outcome == ("ok" if expected == "ok" else CODES[expected])


def test_matrix_covers_every_action_and_state() -> None:
    assert set(EXPECTED) == set(ACTIONS)
    for rows in EXPECTED.values():
        assert set(rows) == set(FROM_STATES)


@pytest.mark.parametrize(
    ("relation", "state", "expected"),
    [
        ("admin", State.AVAILABLE, "ok"),
        ("same", State.AVAILABLE, "FORBIDDEN"),  # only admins with the additions flag import inventory
        ("admin", State.RESERVED, "ok"),
        ("ancestor", State.IN_SERVICE, "FORBIDDEN"),  # direct creation needs pvt_wnm_allow_additions
        ("unrelated", State.PORT_IN, "ok"),  # any account in good standing may start a port-in
        ("descendant", State.PORT_IN, "ok"),
        ("same", State.DISCOVERY, "FORBIDDEN"),  # only the system creates discovery numbers
        ("admin", State.AGING, "INVALID_STATE_TRANSITION"),
        ("admin", State.RELEASED, "INVALID_STATE_TRANSITION"),
        ("admin", State.PORT_OUT, "INVALID_STATE_TRANSITION"),
    ],
)
def test_creation_matrix(relation: str, state: State, expected: str) -> None:
    requester = REQUESTERS[relation]
    try:
        lifecycle.create(E164, state, ctx(requester), requester, module="local")
        outcome = "ok"
    except DomainError as error:
        outcome = error.code.value
    assert outcome == expected


def test_every_state_is_reachable_from_creation() -> None:
    reached: set[State | None] = {None}
    frontier: set[State | None] = {None}
    while frontier:
        frontier = {to for (frm, to) in TABLE if frm in frontier and to is not None} - reached
        reached |= frontier
    assert reached - {None} == set(State) - {State.DELETED}  # legacy deleted is only ever imported


def test_no_state_is_a_trap() -> None:
    """From every state some move leads out (at least a deletion or a state change)."""
    for state in State:
        assert any(frm is state and to is not state for (frm, to) in TABLE), state


def test_nothing_moves_into_discovery_or_port_in_except_creation() -> None:
    for (frm, to) in TABLE:
        if to in (State.DISCOVERY, State.PORT_IN):
            assert frm is None
