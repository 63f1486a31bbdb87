"""The retry schedule receivers are promised: 5 s, 30 s, 2 min, 10 min, 1 h, then every 3 h, for 24 h."""

from __future__ import annotations

from datetime import timedelta

import pytest

from numplane.domain.webhook_retries import Outcome, after_failure, outcome_of, retry_delay, should_disable
from tests.domain.fixtures import NOW


@pytest.mark.parametrize(
    ("failures", "seconds"), [(1, 5), (2, 30), (3, 120), (4, 600), (5, 3600), (6, 10800), (12, 10800)]
)
def test_the_delay_after_each_failure_follows_the_schedule(failures: int, seconds: float) -> None:
    assert retry_delay(failures, 0.5) == timedelta(seconds=seconds)


def test_jitter_spreads_each_delay_by_at_most_a_fifth() -> None:
    assert retry_delay(2, 0.0) == timedelta(seconds=24)
    assert retry_delay(2, 0.999999) < timedelta(seconds=36)
    assert retry_delay(2, 0.999999) > timedelta(seconds=35.99)


def test_a_scaled_schedule_is_the_same_schedule_shorter() -> None:
    assert retry_delay(5, 0.5, scale=0.001) == timedelta(seconds=3.6)


def test_a_delivery_is_retried_for_24_hours_last_at_the_mark_then_given_up() -> None:
    first = NOW
    assert after_failure(first, 3, NOW + timedelta(hours=1), 0.5).at == NOW + timedelta(hours=1, minutes=2)
    late = NOW + timedelta(hours=22)
    assert after_failure(first, 9, late, 0.5).at == NOW + timedelta(hours=24)  # not 3 h later: at the mark
    assert after_failure(first, 10, NOW + timedelta(hours=24), 0.5).at is None


@pytest.mark.parametrize(
    ("status", "outcome"),
    [(200, Outcome.DELIVERED), (204, Outcome.DELIVERED), (299, Outcome.DELIVERED), (301, Outcome.RETRY),
     (404, Outcome.RETRY), (410, Outcome.GONE), (500, Outcome.RETRY), (None, Outcome.RETRY)],
)
def test_any_2xx_is_success_and_410_asks_to_stop(status: int | None, outcome: Outcome) -> None:
    assert outcome_of(status) is outcome


def test_a_refused_address_is_its_own_outcome() -> None:
    assert outcome_of(None, refused=True) is Outcome.REFUSED


def test_an_endpoint_failing_for_24_hours_is_disabled() -> None:
    assert not should_disable(None, NOW)
    assert not should_disable(NOW - timedelta(hours=23, minutes=59), NOW)
    assert should_disable(NOW - timedelta(hours=24), NOW)
    assert should_disable(NOW - timedelta(seconds=87), NOW, scale=0.001)
