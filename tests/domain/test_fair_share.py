"""Which budget a request spends, and what a RATE/BURST budget allows."""

from __future__ import annotations

import pytest

from numplane.domain.fair_share import MAX_HELD, Budget, Spender, hold_seconds, retry_after, spender


def test_a_budget_reads_rate_and_burst_and_allows_the_burst_in_burst_over_rate_seconds() -> None:
    budget = Budget.parse("100/1000")
    assert (budget.rate, budget.burst, budget.window_seconds) == (100.0, 1000, 10)


def test_a_budget_window_is_whole_seconds_and_never_below_one() -> None:
    assert Budget.parse("0.1/3").window_seconds == 30
    assert Budget.parse("50/10").window_seconds == 1
    assert Budget.parse("2/5").window_seconds == 2


@pytest.mark.parametrize("text", ["100", "0/10", "10/0", "-1/5", "a/b", "10/2.5", "inf/10", ""])
def test_a_malformed_budget_is_refused_with_the_expected_form(text: str) -> None:
    with pytest.raises(ValueError, match="RATE/BURST"):
        Budget.parse(text)


def test_router_keys_and_the_hunt_route_spend_the_hunt_budget() -> None:
    assert spender("router", hunt_route=False) is Spender.ROUTER
    assert spender("admin", hunt_route=True) is Spender.ROUTER
    assert spender("user", hunt_route=True) is Spender.ROUTER


def test_other_requests_spend_their_roles_budget_or_the_address_budget_without_a_key() -> None:
    assert spender("admin", hunt_route=False) is Spender.ADMIN
    assert spender("user", hunt_route=False) is Spender.USER
    assert spender(None, hunt_route=True) is Spender.ANONYMOUS


def test_retry_after_is_whole_seconds_and_at_least_one() -> None:
    assert [retry_after(s) for s in (0, 0.2, 1.0, 1.01)] == [1, 1, 1, 2]


def test_a_refusal_is_held_between_half_the_longest_hold_and_all_of_it() -> None:
    assert hold_seconds(1.0, held=0, draw=0.0) == 0.5
    assert hold_seconds(1.0, held=0, draw=0.5) == 0.75
    assert 0.99 < hold_seconds(1.0, held=0, draw=0.999) < 1.0
    assert hold_seconds(0.0, held=0, draw=0.5) == 0.0  # holding turned off


def test_past_the_held_bound_a_refusal_is_sent_at_once() -> None:
    assert hold_seconds(1.0, held=MAX_HELD - 1, draw=0.0) == 0.5
    assert hold_seconds(1.0, held=MAX_HELD, draw=0.0) == 0.0
