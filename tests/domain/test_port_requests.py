"""The port request rules on their own (no store): the table's shape, who moves what, documents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from numplane.domain import port_requests as pr
from numplane.domain.accounts import Account
from numplane.domain.errors import DomainError, ErrorCode
from numplane.domain.port_requests import MOVES, Change, DocumentKind, PortState
from numplane.domain.states import State
from numplane.domain.transitions import SYSTEM_ACTOR, Actor
from tests.domain.fixtures import ctx, number_in

NOW = datetime(2026, 11, 26, tzinfo=UTC)
ROOT = Account("r" * 32, "M", is_admin=True)
RESELLER = Account("a" * 32, "R", tree=(ROOT.id,))
CHILD = Account("b" * 32, "C", tree=(ROOT.id, RESELLER.id))
ADMIN = Actor(ROOT, is_admin=True)


def request(state: PortState = PortState.UNCONFIRMED) -> pr.PortRequest:
    made = pr.create("x" * 32, CHILD, Actor(CHILD, False), pr.Details(carrier_pin="1234"), ["+14155550100"], NOW)
    return made.with_changes(state=state)


def test_every_state_is_reachable_from_a_draft_and_only_finished_states_are_traps() -> None:
    reached, frontier = {PortState.UNCONFIRMED}, [PortState.UNCONFIRMED]
    while frontier:
        state = frontier.pop()
        for (frm, to) in MOVES:
            if frm is state and to not in reached:
                reached.add(to)
                frontier.append(to)
    assert reached == set(PortState)
    assert {s for s in PortState if not pr.allowed_moves(s)} == pr.FINISHED


@pytest.mark.parametrize(
    ("frm", "to"), [(f, t) for f in PortState for t in PortState if (f, t) not in MOVES], ids=lambda s: s.value
)
def test_every_move_outside_the_table_is_an_invalid_transition_naming_the_allowed_ones(
    frm: PortState, to: PortState
) -> None:
    with pytest.raises(DomainError) as refused:
        pr.move(request(frm), to, ADMIN, NOW, comment="x", scheduled_at=NOW)
    assert refused.value.code is ErrorCode.INVALID_STATE_TRANSITION
    allowed = ", ".join(s.value for s in pr.allowed_moves(frm)) or "none: it is finished"
    assert refused.value.message.endswith(f"allowed: {allowed}.")


def test_every_unfinished_request_can_be_canceled_by_someone() -> None:
    assert all((s, PortState.CANCELED) in MOVES for s in pr.ACTIVE)


def test_the_cut_over_job_may_only_complete_and_accounts_only_submit_and_cancel() -> None:
    scheduled = request(PortState.SCHEDULED)
    assert pr.move(scheduled, PortState.COMPLETED, SYSTEM_ACTOR, NOW).log[-1].by == "system"
    with pytest.raises(DomainError) as refused:
        pr.move(scheduled, PortState.REJECTED, SYSTEM_ACTOR, NOW, comment="x")
    assert refused.value.code is ErrorCode.FORBIDDEN
    account_moves = {to for (_frm, to), who in MOVES.items() if who is pr.Mover.ACCOUNT}
    assert account_moves == {PortState.SUBMITTED, PortState.CANCELED}


def test_the_system_never_edits_comments_or_uploads_on_anyones_behalf() -> None:
    for write in (
        lambda: pr.update(request(), SYSTEM_ACTOR, pr.Details(notes="x"), None, NOW),
        lambda: pr.comment(request(), SYSTEM_ACTOR, "x", admin_only=False, now=NOW),
        lambda: pr.attach(request(), SYSTEM_ACTOR, DocumentKind.BILL, "b.pdf", b"%PDF-1", NOW),
    ):
        with pytest.raises(DomainError) as refused:
            write()
        assert refused.value.code is ErrorCode.FORBIDDEN


def test_scheduling_needs_the_confirmed_time() -> None:
    with pytest.raises(DomainError) as refused:
        pr.move(request(PortState.PENDING), PortState.SCHEDULED, ADMIN, NOW)
    assert refused.value.field == ("scheduledAt",)


def test_documents_are_recognised_by_content_not_by_name() -> None:
    assert pr.content_type_of(b"%PDF-1.4 ...") == "application/pdf"
    assert pr.content_type_of(b"\x89PNG\r\n\x1a\n....") == "image/png"
    assert pr.content_type_of(b"\xff\xd8\xff\xdb") == "image/jpeg"
    assert pr.content_type_of(b"<html>%PDF-") is None
    with pytest.raises(DomainError) as refused:
        pr.attach(request(), ADMIN, DocumentKind.BILL, "bill.pdf", b"MZ\x90\x00", NOW)
    assert refused.value.code is ErrorCode.INVALID_FIELD


def test_descendants_and_unrelated_accounts_cannot_see_a_request() -> None:
    made = request()
    assert pr.can_see(made, CHILD, is_admin=False) and pr.can_see(made, RESELLER, is_admin=False)
    grandchild = Account("c" * 32, "G", tree=(ROOT.id, RESELLER.id, CHILD.id))
    other = Account("d" * 32, "U", tree=(ROOT.id,))
    assert not pr.can_see(made, grandchild, is_admin=False) and not pr.can_see(made, other, is_admin=False)


def test_a_claim_holds_its_number_while_its_request_lists_it_and_is_unfinished() -> None:
    holder, number, long_ago = request(), "+14155550100", NOW - timedelta(days=30)
    assert pr.held_elsewhere(number, "y" * 32, holder, long_ago, NOW)
    assert pr.held_elsewhere(number, "y" * 32, holder, None, NOW)  # a claim from before claims had a time
    for finished in (PortState.COMPLETED, PortState.CANCELED):
        assert not pr.held_elsewhere(number, "y" * 32, holder.with_changes(state=finished), NOW, NOW)
    assert not pr.held_elsewhere(number, holder.id, holder, NOW, NOW)  # one's own claim keeps nobody out


def test_a_young_claim_holds_its_number_before_its_request_is_saved_or_lists_it() -> None:
    # The claimer saves its request after claiming: a racer reading the claim in between must keep out.
    number, unlisting = "+14155550199", request()
    for holder in (None, unlisting):
        assert pr.held_elsewhere(number, "y" * 32, holder, NOW - pr.CLAIM_GRACE + timedelta(seconds=1), NOW)
        assert not pr.held_elsewhere(number, "y" * 32, holder, NOW - pr.CLAIM_GRACE, NOW)
        assert not pr.held_elsewhere(number, "y" * 32, holder, None, NOW)


def test_an_admin_only_comment_is_news_for_admins_only() -> None:
    commented = pr.comment(request(), ADMIN, "carrier is slow", admin_only=True, now=NOW)
    assert commented.last_change is Change.ADMIN_COMMENTED
    assert not pr.hears_of(commented, CHILD, is_admin=False) and pr.hears_of(commented, ROOT, is_admin=True)
    assert pr.visible_comments(commented, is_admin=False) == ()


def test_the_pin_survives_the_document_form_but_is_only_ever_reported_as_set() -> None:
    made = request()
    again = pr.PortRequest.from_doc(made.to_doc())
    assert again.details.carrier_pin == "1234" and again.pin_set
    assert again == made


@pytest.mark.parametrize("state", [State.IN_SERVICE, State.AGING, State.RESERVED])
def test_completing_a_number_again_leaves_it_alone_wherever_it_has_moved_since(state: State) -> None:
    # Resuming a completion repeats it over the whole request: numbers done before must not move again.
    number = number_in(state, port_request="req-1", ported_in=state is State.IN_SERVICE)
    decision = pr.complete_number(number, "req-1", ctx())
    assert decision.number == number and not decision.write


def test_completing_moves_the_requests_port_in_numbers_only() -> None:
    number = number_in(State.PORT_IN, port_request="req-1")
    assert not pr.complete_number(number, "req-2", ctx()).write
    completed = pr.complete_number(number, "req-1", ctx()).number
    assert (completed.state, completed.ported_in, completed.history[-1].action) == (
        State.IN_SERVICE, True, "complete_port_in")
