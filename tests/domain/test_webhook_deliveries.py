"""A delivery's life: claimed, attempted, retried or given up; and only a number's first goes out."""

from __future__ import annotations

from datetime import timedelta

from numplane.domain.webhook_deliveries import Attempt, Delivery, Status, heads, new_delivery
from numplane.domain.webhook_retries import Outcome
from tests.domain.fixtures import NOW


def delivery(subject: str = "+14155550123", position: int = 0, event: str = "evt_1") -> Delivery:
    body = {"id": event, "type": "number.changed", "timestamp": "t", "data": {}}
    return new_delivery("wh_1", body, subject=subject, now=NOW, position=position)


def test_a_new_delivery_is_due_at_once_and_named_by_its_event_and_endpoint() -> None:
    fresh = delivery()
    assert (fresh.id, fresh.status, fresh.due(NOW)) == ("evt_1:wh_1", Status.PENDING, True)


def test_a_claimed_delivery_is_busy_until_its_claim_lapses_then_due_again() -> None:
    claimed = delivery().claimed("replica-a", NOW, timeout_seconds=5)
    assert claimed.busy(NOW + timedelta(seconds=14)) and not claimed.due(NOW + timedelta(seconds=14))
    assert claimed.due(NOW + timedelta(seconds=15)) and not claimed.busy(NOW + timedelta(seconds=15))


def test_a_failed_attempt_waits_for_the_schedule_and_a_success_ends_it() -> None:
    claimed = delivery().claimed("a", NOW, timeout_seconds=5)
    failed = claimed.attempted(Attempt(NOW, 503, 12), Outcome.RETRY, 0.5)
    assert (failed.status, failed.failures, failed.next_attempt_at) == (Status.PENDING, 1, NOW + timedelta(seconds=5))
    assert not failed.due(NOW + timedelta(seconds=4)) and failed.due(NOW + timedelta(seconds=5))
    later = NOW + timedelta(seconds=5)
    done = failed.claimed("a", later, timeout_seconds=5).attempted(Attempt(later, 200, 8), Outcome.DELIVERED, 0.5)
    assert (done.status, [a.status for a in done.attempts], done.holder) == (Status.DELIVERED, [503, 200], None)


def test_a_gone_receiver_fails_the_delivery_at_once() -> None:
    gone = delivery().claimed("a", NOW, timeout_seconds=5).attempted(Attempt(NOW, 410, 3), Outcome.GONE, 0.5)
    assert gone.status is Status.FAILED and not gone.unfinished


def test_a_delivery_failing_for_24_hours_is_given_up() -> None:
    started = delivery().claimed("a", NOW, timeout_seconds=5)
    still = started.attempted(Attempt(NOW + timedelta(hours=23, minutes=59, seconds=58), 500, 5), Outcome.RETRY, 0.5)
    assert (still.status, still.next_attempt_at) == (Status.PENDING, NOW + timedelta(hours=24))
    given_up = started.attempted(Attempt(NOW + timedelta(hours=24), 500, 5), Outcome.RETRY, 0.5)
    assert (given_up.status, given_up.next_attempt_at) == (Status.FAILED, None)


def test_a_redelivery_starts_afresh_and_keeps_the_attempts() -> None:
    failed = delivery().claimed("a", NOW, timeout_seconds=5).attempted(Attempt(NOW, 410, 3), Outcome.GONE, 0.5)
    again = failed.redelivered(NOW + timedelta(hours=1))
    assert (again.status, again.failures, len(again.attempts)) == (Status.PENDING, 0, 1)
    assert Delivery.from_doc(again.to_doc()) == again


def test_only_the_first_unfinished_delivery_of_each_number_may_go() -> None:
    queue = [delivery("+1A", 0, "e1"), delivery("+1B", 1, "e2"), delivery("+1A", 2, "e3"), delivery("+1C", 3, "e4")]
    assert [d.event_id for d in heads(queue)] == ["e1", "e2", "e4"]
