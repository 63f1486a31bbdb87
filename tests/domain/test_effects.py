"""Idempotency tokens of carrier effects: a retry of a change carries its token, a new change a new one."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from numplane.domain import lifecycle
from numplane.domain.accounts import Account
from numplane.domain.effects import Effect, effect_token
from numplane.domain.lifecycle import DecisionContext
from numplane.domain.release import release
from numplane.domain.states import State
from tests.domain.fixtures import ACCOUNTS, ADMIN, CHILD, NOW, OWNER, ctx, number_in


def test_a_decision_made_again_on_a_rewritten_number_carries_the_same_token() -> None:
    number = number_in(State.IN_SERVICE, module="simulated")
    edited = lifecycle.update_public(number, ctx(OWNER), {"cnam": {"display_name": "ACME"}}, replace=False).number
    rewritten = edited.with_changes(rev="3-zzz")  # a replica wrote it again, unchanged
    tokens = {effect_token(n, Effect.DISCONNECT) for n in (number, edited, rewritten)}
    assert len(tokens) == 1


def test_each_effect_of_one_change_has_its_own_token() -> None:
    number = number_in(State.IN_SERVICE, module="simulated")
    assert len({effect_token(number, effect) for effect in Effect}) == len(Effect)


def test_the_next_change_after_a_landed_one_gets_a_new_token() -> None:
    number = number_in(State.IN_SERVICE, module="simulated")
    first = effect_token(number, Effect.DISCONNECT)
    released = release(number, ctx(OWNER), ACCOUNTS).number
    back = lifecycle.acquire(released, State.IN_SERVICE, _at(ADMIN, minutes=1), OWNER).number
    assert back.state is State.IN_SERVICE and back.owner == OWNER.id
    assert effect_token(back, Effect.DISCONNECT) != first


def test_moving_a_reserved_number_between_accounts_and_back_never_repeats_a_token() -> None:
    """reserved -> reserved for another account keeps the state clock, yet each move is a change."""
    number = number_in(State.RESERVED, module="simulated")
    seen = [effect_token(number, Effect.ACQUIRE)]
    for minute, target in enumerate((CHILD, OWNER, CHILD), start=1):
        number = lifecycle.acquire(number, State.RESERVED, _at(ADMIN, minutes=minute), target).number
        seen.append(effect_token(number, Effect.ACQUIRE))
    assert len(set(seen)) == 4


def test_an_imported_number_without_history_is_named_by_its_state_clock() -> None:
    number = number_in(State.IN_SERVICE, module="knm_telnyx", history_docs=())
    later = number.with_changes(state_changed_at=NOW + timedelta(days=1))
    assert effect_token(number, Effect.DISCONNECT) != effect_token(later, Effect.DISCONNECT)
    assert effect_token(number, Effect.DISCONNECT) == effect_token(number.with_changes(rev="9-x"), Effect.DISCONNECT)


def _at(account: Account, *, minutes: int) -> DecisionContext:
    return replace(ctx(account), now=NOW + timedelta(minutes=minutes))
