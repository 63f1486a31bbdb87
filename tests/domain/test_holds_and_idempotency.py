"""The pure rules of holds and idempotency keys (issue 11), without a store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from numplane.domain import holds, idempotency
from numplane.domain.accounts import Account
from numplane.domain.errors import DomainError, ErrorCode
from numplane.domain.idempotency import Next, StoredResponse

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
E = "+14155550123"
ROOT = Account("m", "M")
RESELLER = Account("r", "R", tree=("m",))
CHILD = Account("c", "C", tree=("m", "r"))
UNRELATED = Account("u", "U", tree=("m",))


def test_a_hold_lets_the_holder_and_its_sub_accounts_take_the_number_and_nobody_else() -> None:
    hold = holds.place(None, E, RESELLER, 30, NOW, 120)
    assert not holds.held_from(hold, RESELLER.id, RESELLER.tree, NOW)
    assert not holds.held_from(hold, CHILD.id, CHILD.tree, NOW)
    assert holds.held_from(hold, UNRELATED.id, UNRELATED.tree, NOW)
    assert holds.held_from(hold, ROOT.id, ROOT.tree, NOW)  # an ancestor acquires for itself: not its hold
    with pytest.raises(DomainError) as refused:
        holds.ensure_not_held_from(hold, E, UNRELATED, NOW)
    assert (refused.value.code, refused.value.held_until) == (ErrorCode.NUMBER_HELD, NOW + timedelta(minutes=30))


def test_a_hold_counts_until_the_instant_it_ends() -> None:
    hold = holds.place(None, E, RESELLER, 1, NOW, 120)
    assert holds.active_hold(hold, NOW + timedelta(seconds=59)) is hold
    assert holds.active_hold(hold, NOW + timedelta(minutes=1)) is None
    assert not holds.held_from(hold, UNRELATED.id, UNRELATED.tree, NOW + timedelta(minutes=1))


def test_extensions_count_from_the_first_hold_and_stop_at_the_maximum() -> None:
    hold = holds.place(None, E, RESELLER, 60, NOW, 100)
    longer = holds.extend(hold, E, CHILD, 40, NOW + timedelta(minutes=10), 100)
    assert longer.expires_at - longer.started_at == timedelta(minutes=100)
    with pytest.raises(DomainError) as refused:
        holds.extend(longer, E, RESELLER, 1, NOW + timedelta(minutes=20), 100)
    assert refused.value.code is ErrorCode.LIMIT_EXCEEDED
    with pytest.raises(DomainError) as outsider:
        holds.extend(hold, E, UNRELATED, 5, NOW, 100)
    assert outsider.value.code is ErrorCode.NUMBER_HELD
    assert holds.extend(hold, E, None, 5, NOW, 100).expires_at == NOW + timedelta(minutes=65)  # an admin


def test_idempotency_records_replay_refuse_wait_or_are_taken_over() -> None:
    stale = timedelta(seconds=300)
    body = idempotency.fingerprint(b'{"query": "mutation { a }"}')
    other = idempotency.fingerprint(b'{"query": "mutation { b }"}')
    pending = idempotency.claim("idem:k:x", body, NOW)
    done = idempotency.completed(pending, StoredResponse(200, "{}", "application/json"), "1-a")
    assert idempotency.next_step(pending, body, NOW + timedelta(seconds=299), stale) is Next.WAIT
    assert idempotency.next_step(pending, body, NOW + stale, stale) is Next.TAKE_OVER
    assert idempotency.next_step(pending, other, NOW, stale) is Next.REUSED
    assert idempotency.next_step(done, body, NOW + timedelta(hours=23), stale) is Next.REPLAY
    assert idempotency.next_step(done, other, NOW, stale) is Next.REUSED
    assert idempotency.next_step(done, other, NOW + idempotency.RETENTION, stale) is Next.TAKE_OVER
    assert idempotency.IdempotencyRecord.from_doc(done.to_doc()) == done


def test_idempotency_keys_are_1_to_255_printable_ascii_characters_and_scoped_by_api_key() -> None:
    idempotency.check_key("a")
    idempotency.check_key("~" * 255)
    for bad in ("", "x" * 256, "tab\there", "caf\u00e9"):
        with pytest.raises(DomainError):
            idempotency.check_key(bad)
    assert idempotency.record_id("key1", "k") != idempotency.record_id("key2", "k")
