"""Port request workflow scenarios through the resolvers on a real store (both stores)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta

import pytest

from numplane.domain import port_requests as domain_port_requests
from numplane.domain.clock import format_time
from numplane.domain.errors import DomainError, ErrorCode
from numplane.domain.numbers import Number
from numplane.domain.port_requests import Details, DocumentKind, PortRequest, PortState
from numplane.domain.states import State
from numplane.resolvers import hunt, numbers, port_requests
from numplane.resolvers.bulk import NumberRef
from numplane.resolvers.context import Requester
from numplane.store.base import HIGH, Db, Doc, Store, WriteResult
from numplane.store.observed import ObservedStore
from tests.resolvers.conftest import World

A, B, C = "+14155550101", "+14155550102", "+14155550103"
PDF = b"%PDF-1.4\nletter of authorization\n"
P = PortState


def details(world: World) -> Details:
    return Details(carrier_name="Old Telco", carrier_account_number="AC-1", carrier_pin="4321",
                   billing_name="Child Inc", service_address="1 Main St, Springfield",
                   desired_at=world.clock.now + timedelta(days=10))


async def draft(world: World, who: Requester, *items: str, complete: bool = True) -> PortRequest:
    outcome = await port_requests.create_port_request(
        world.services, who, details(world) if complete else Details(), list(items)
    )
    assert not outcome.errors, outcome.errors
    assert outcome.request is not None
    request = outcome.request
    if complete:
        request = await port_requests.upload_document(
            world.services, who, request.id, DocumentKind.LETTER_OF_AUTHORIZATION, "loa.pdf", PDF
        )
    return request


async def move(world: World, who: Requester | None, request: PortRequest, to: PortState, **kw: object) -> PortRequest:
    outcome = await port_requests.move_port_request(world.services, who, request.id, to, **kw)  # type: ignore[arg-type]
    assert not outcome.errors, outcome.errors
    assert outcome.request is not None
    return outcome.request


async def stored(world: World, *items: str) -> dict[str, Number]:
    docs = await world.services.store.get_many(Db.NUMBERS, list(items))
    return {i: Number.from_doc(d) for i, d in docs.items()}


async def scheduled(world: World, *items: str) -> PortRequest:
    request = await move(world, world.child, await draft(world, world.child, *items), P.SUBMITTED)
    request = await move(world, world.admin, request, P.PENDING)
    return await move(world, world.admin, request, P.SCHEDULED, scheduled_at=world.clock.now + timedelta(days=1))


async def refused(code: ErrorCode, action: object) -> DomainError:
    with pytest.raises(DomainError) as caught:
        await action  # type: ignore[misc]
    assert caught.value.code is code, caught.value
    return caught.value


async def test_whole_port_takes_numbers_from_port_in_to_in_service_with_the_request_on_each(world: World) -> None:
    request = await draft(world, world.child, A, B)
    assert request.state is P.UNCONFIRMED and await stored(world, A, B) == {}
    request = await move(world, world.child, request, P.SUBMITTED)
    created = await stored(world, A, B)
    assert {n.state for n in created.values()} == {State.PORT_IN}
    assert {(n.owner, n.port_request) for n in created.values()} == {(world.child.id, request.id)}
    request = await move(world, world.admin, request, P.PENDING, comment="sent to Old Telco")
    request = await move(world, world.admin, request, P.SCHEDULED, scheduled_at=world.clock.now + timedelta(days=1))
    request = await move(world, world.admin, request, P.COMPLETED)
    done = await stored(world, A, B)
    assert {(n.state, n.ported_in) for n in done.values()} == {(State.IN_SERVICE, True)}
    assert [(e.from_state, e.to_state) for e in request.log] == [
        (None, P.UNCONFIRMED), (P.UNCONFIRMED, P.SUBMITTED), (P.SUBMITTED, P.PENDING), (P.PENDING, P.SCHEDULED),
        (P.SCHEDULED, P.COMPLETED),
    ]
    assert request.log[2].comment == "sent to Old Telco" and request.log[2].by == world.admin.id


@pytest.mark.parametrize(
    ("path", "to"),
    [
        ((), P.PENDING), ((), P.SCHEDULED), ((), P.COMPLETED), ((), P.REJECTED),
        ((P.SUBMITTED,), P.SCHEDULED), ((P.SUBMITTED,), P.COMPLETED), ((P.SUBMITTED,), P.UNCONFIRMED),
        ((P.SUBMITTED, P.PENDING), P.SUBMITTED), ((P.SUBMITTED, P.PENDING), P.COMPLETED),
        ((P.SUBMITTED, P.PENDING, P.SCHEDULED), P.PENDING), ((P.SUBMITTED, P.PENDING, P.SCHEDULED), P.SUBMITTED),
        ((P.CANCELED,), P.SUBMITTED), ((P.CANCELED,), P.CANCELED),
        ((P.SUBMITTED, P.PENDING, P.SCHEDULED, P.COMPLETED), P.CANCELED),
        ((P.SUBMITTED, P.PENDING, P.SCHEDULED, P.COMPLETED), P.REJECTED),
        ((P.SUBMITTED, P.REJECTED), P.PENDING), ((P.SUBMITTED, P.REJECTED), P.COMPLETED),
    ],
)
async def test_every_illegal_move_is_refused_naming_the_allowed_ones(
    world: World, path: tuple[PortState, ...], to: PortState
) -> None:
    request = await draft(world, world.child, A)
    for step in path:
        extra: dict[str, object] = {"scheduled_at": world.clock.now} if step is P.SCHEDULED else {}
        extra |= {"comment": "bad LOA"} if step is P.REJECTED else {}
        who = world.child if step in (P.SUBMITTED, P.CANCELED) else world.admin
        request = await move(world, who, request, step, **extra)
    error = await refused(ErrorCode.INVALID_STATE_TRANSITION, port_requests.move_port_request(
        world.services, world.admin, request.id, to, comment="x", scheduled_at=world.clock.now,
    ))
    assert f"cannot become {to.value}; allowed:" in error.message


async def test_accounts_cannot_make_admin_moves_and_submission_needs_a_complete_request(world: World) -> None:
    incomplete = await draft(world, world.child, A, complete=False)
    error = await refused(ErrorCode.INVALID_FIELD, port_requests.move_port_request(
        world.services, world.child, incomplete.id, P.SUBMITTED))
    assert "losingCarrier.name" in error.message and "documents.letterOfAuthorization" in error.message
    request = await move(world, world.child, await draft(world, world.child, B), P.SUBMITTED)
    await refused(ErrorCode.FORBIDDEN, port_requests.move_port_request(world.services, world.child, request.id,
                                                                       P.PENDING))
    await refused(ErrorCode.INVALID_FIELD, port_requests.move_port_request(
        world.services, world.admin, request.id, P.REJECTED))  # a rejection needs a reason


async def test_rejected_request_is_fixed_and_resubmitted_and_its_numbers_come_back(world: World) -> None:
    request = await move(world, world.child, await draft(world, world.child, A, B), P.SUBMITTED)
    request = await move(world, world.admin, request, P.REJECTED, rejections={B: "not on the losing account"})
    assert request.rejections == {B: "not on the losing account"}
    assert await stored(world, A, B) == {}  # the port_in numbers go while the account fixes the request
    outcome = await port_requests.update_port_request(world.services, world.child, request.id, Details(), [A, C])
    assert outcome.request is not None and outcome.request.numbers == (A, C)
    request = await move(world, world.child, outcome.request, P.SUBMITTED)
    assert request.rejections == {}
    assert set(await stored(world, A, B, C)) == {A, C}
    # B is free again: another request may take it.
    assert (await draft(world, world.reseller, B)).numbers == (B,)


async def test_drafts_only_are_edited(world: World) -> None:
    request = await move(world, world.child, await draft(world, world.child, A), P.SUBMITTED)
    await refused(ErrorCode.INVALID_STATE_TRANSITION, port_requests.update_port_request(
        world.services, world.child, request.id, Details(notes="late"), None))


async def test_account_cancels_before_scheduling_and_its_port_in_numbers_are_deleted(world: World) -> None:
    request = await move(world, world.child, await draft(world, world.child, A), P.SUBMITTED)
    request = await move(world, world.admin, request, P.PENDING)
    request = await move(world, world.child, request, P.CANCELED, comment="changed our mind")
    assert request.state is P.CANCELED and await stored(world, A) == {}
    assert (await draft(world, world.child, A)).numbers == (A,)  # a finished request frees its numbers


async def test_only_admins_cancel_a_scheduled_request(world: World) -> None:
    request = await scheduled(world, A)
    await refused(ErrorCode.FORBIDDEN, port_requests.move_port_request(world.services, world.child, request.id,
                                                                       P.CANCELED))
    assert (await stored(world, A))[A].state is State.PORT_IN
    request = await move(world, world.admin, request, P.CANCELED)
    assert await stored(world, A) == {}


async def test_first_call_completes_one_number_and_the_job_completes_the_rest_once(world: World) -> None:
    request = await scheduled(world, A, B, C)
    routed = await hunt.hunt_number(world.services, world.admin, A, None)
    assert routed.port_completed
    world.clock.advance(days=2)
    report = await port_requests.complete_due(world.services, world.clock.now)
    assert (report.changed, report.failed) == (1, 0)
    done = await stored(world, A, B, C)
    assert {(n.state, n.ported_in) for n in done.values()} == {(State.IN_SERVICE, True)}
    # Exactly once per number: A was completed by its call, B and C by the job; nobody did it twice.
    completions = {e: [t.action for t in n.history if t.to_state is State.IN_SERVICE] for e, n in done.items()}
    assert completions == {A: ["hunt"], B: ["complete_port_in"], C: ["complete_port_in"]}
    assert (await port_requests.get_port_request(world.services, world.child, request.id)).state is P.COMPLETED
    again = await port_requests.complete_due(world.services, world.clock.now)
    assert (again.changed, again.examined) == (0, 0)


class ProcessDied(Exception):
    pass


class DiesCompleting(ObservedStore):
    """The store as seen by a process that dies while completing a request: right after saving it as
    completed (none of the number writes that follow land), or `before_save`, just before that save."""

    def __init__(self, inner: Store, *, before_save: bool = False) -> None:
        super().__init__(inner)
        self.before_save = before_save
        self.dead = False

    async def put_many(self, db: Db, docs: Sequence[Doc]) -> list[WriteResult]:
        completing = db is Db.PORTS and any(d.get("pvt_state") == P.COMPLETED.value for d in docs)
        if self.dead or (completing and self.before_save):
            raise ProcessDied
        results = await super().put_many(db, docs)
        self.dead = completing
        return results


async def complete_and_die(world: World, who: Requester | None, request: PortRequest, *,
                           before_save: bool = False) -> None:
    dying = replace(world.services, store=DiesCompleting(world.services.store, before_save=before_save))
    with pytest.raises(ProcessDied):
        await port_requests.move_port_request(dying, who, request.id, P.COMPLETED, expected_revision=request.rev)
    state = (await port_requests.get_port_request(world.services, world.admin, request.id)).state
    assert state is (P.SCHEDULED if before_save else P.COMPLETED)
    assert {n.state for n in (await stored(world, *request.numbers)).values()} == {State.PORT_IN}


async def markers(world: World) -> list[Doc]:
    prefix = port_requests.COMPLETION_PREFIX
    return await world.services.store.id_range(Db.SYSTEM, start=prefix, end=prefix + HIGH, limit=10)


def completions(found: dict[str, Number]) -> dict[str, list[tuple[str, str | None]]]:
    """Per number, every move into in_service: (action, who)."""
    return {e: [(t.action, t.requester) for t in n.history if t.to_state is State.IN_SERVICE]
            for e, n in found.items()}


async def test_admin_completion_cut_short_by_a_dying_process_is_finished_by_the_job_once(world: World) -> None:
    request = await scheduled(world, A, B, C)
    await complete_and_die(world, world.admin, request)
    # A carrier call reaches A before the job runs: it completes A, and the job must not do it again.
    assert (await hunt.hunt_number(world.services, world.admin, A, None)).port_completed
    report = await port_requests.complete_due(world.services, world.clock.now)
    assert (report.changed, report.failed, report.sample) == (1, 0, [request.id])
    done = await stored(world, A, B, C)
    assert {(n.state, n.ported_in, n.port_request) for n in done.values()} == {(State.IN_SERVICE, True, request.id)}
    assert completions(done) == {A: [("hunt", "system")], B: [("complete_port_in", "system")],
                                 C: [("complete_port_in", "system")]}
    # The request's log tells who completed it; the numbers' history who completed each and when.
    completed = await port_requests.get_port_request(world.services, world.admin, request.id)
    assert [(e.to_state, e.by) for e in completed.log][-1] == (P.COMPLETED, world.admin.account.id)
    assert await world.services.store.id_range(Db.SYSTEM, start=port_requests.COMPLETION_PREFIX,
                                               end=port_requests.COMPLETION_PREFIX + "\uffff", limit=10) == []
    assert await world.services.store.get_many(Db.SYSTEM, [port_requests.claim_id(n) for n in (A, B, C)]) == {}
    again = await port_requests.complete_due(world.services, world.clock.now)
    assert (again.changed, again.examined) == (0, 0)
    assert completions(await stored(world, A, B, C)) == completions(done)


async def test_the_jobs_own_cut_over_cut_short_is_finished_by_its_next_run(world: World) -> None:
    request = await scheduled(world, A, B)
    world.clock.advance(days=2)
    await complete_and_die(world, None, request)
    report = await port_requests.complete_due(world.services, world.clock.now)
    # The request is no longer scheduled, so only the resumption finds it.
    assert (report.changed, report.examined, report.failed) == (1, 1, 0)
    done = await stored(world, A, B)
    assert completions(done) == {A: [("complete_port_in", "system")], B: [("complete_port_in", "system")]}
    assert {(n.state, n.ported_in) for n in done.values()} == {(State.IN_SERVICE, True)}


async def test_a_completion_that_died_before_its_save_leaves_nothing_for_the_job_to_finish(world: World) -> None:
    request = await scheduled(world, A)
    await complete_and_die(world, world.admin, request, before_save=True)
    assert len(await markers(world)) == 1
    # Still scheduled: the marker may be a completion in flight, so it stays and nothing is completed.
    report = await port_requests.complete_due(world.services, world.clock.now)
    assert (report.changed, report.skipped) == (0, 1)
    assert (await stored(world, A))[A].state is State.PORT_IN
    await move(world, world.admin, await port_requests.get_port_request(world.services, world.admin, request.id),
               P.CANCELED)
    # Canceled: nothing can complete it any more, so the job drops the marker.
    assert (await port_requests.complete_due(world.services, world.clock.now)).skipped == 1
    assert await markers(world) == []
    assert await stored(world, A) == {}


async def test_the_job_leaves_requests_whose_cut_over_time_has_not_come(world: World) -> None:
    await scheduled(world, A)
    report = await port_requests.complete_due(world.services, world.clock.now)
    assert report.changed == 0 and (await stored(world, A))[A].state is State.PORT_IN


async def test_concurrent_admin_moves_one_wins_and_the_other_conflicts(world: World) -> None:
    request = await move(world, world.child, await draft(world, world.child, A), P.SUBMITTED)
    request = await move(world, world.admin, request, P.PENDING)
    results = await asyncio.gather(
        port_requests.move_port_request(world.services, world.admin, request.id, P.SCHEDULED,
                                        scheduled_at=world.clock.now, expected_revision=request.rev),
        port_requests.move_port_request(world.services, world.admin, request.id, P.REJECTED, comment="no",
                                        expected_revision=request.rev),
        return_exceptions=True,
    )
    won = [r for r in results if isinstance(r, port_requests.Outcome)]
    lost = [r for r in results if isinstance(r, DomainError)]
    assert len(won) == 1 and [e.code for e in lost] == [ErrorCode.CONFLICT]
    final = await port_requests.get_port_request(world.services, world.admin, request.id)
    assert won[0].request is not None and final.state is won[0].request.state
    assert len(final.log) == 4  # created, submitted, pending, and the one move that won


async def test_a_number_in_an_active_request_cannot_enter_another(world: World) -> None:
    await draft(world, world.child, A)
    outcome = await port_requests.create_port_request(world.services, world.reseller, details(world), [B, A, "12"])
    assert outcome.request is not None and outcome.request.numbers == (B,)
    assert {(e.code, e.number) for e in outcome.errors} == {
        (ErrorCode.NUMBER_EXISTS, A), (ErrorCode.INVALID_NUMBER, "12"),
    }


async def test_requests_racing_for_one_number_let_exactly_one_hold_it(world: World) -> None:
    outcomes = await asyncio.gather(*(
        port_requests.create_port_request(world.services, who, Details(), [A])
        for who in (world.child, world.reseller, world.unrelated)
    ))
    holders = [o for o in outcomes if o.request is not None and o.request.numbers == (A,)]
    assert len(holders) == 1
    assert sorted(e.code.value for o in outcomes for e in o.errors) == ["NUMBER_EXISTS"] * 2


async def test_a_claim_whose_request_is_not_saved_yet_keeps_racers_out_until_it_is_clearly_abandoned(
    world: World,
) -> None:
    # What a racer reads between another request's claim and its save (or after a process died there).
    claim = {"_id": port_requests.claim_id(A), "pvt_type": "port_claim", "pvt_request": "f" * 32,
             "pvt_claimed": format_time(world.clock.now)}
    [written] = await world.services.store.put_many(Db.SYSTEM, [claim])
    assert written.ok
    kept_out = await port_requests.create_port_request(world.services, world.child, Details(), [A])
    assert kept_out.request is not None and kept_out.request.numbers == ()
    assert [(e.code, e.number) for e in kept_out.errors] == [(ErrorCode.NUMBER_EXISTS, A)]
    world.clock.advance(seconds=domain_port_requests.CLAIM_GRACE.total_seconds())
    taken = await port_requests.create_port_request(world.services, world.child, Details(), [A])
    assert taken.request is not None and taken.request.numbers == (A,) and not taken.errors


async def test_numbers_are_normalized_deduplicated_and_bounded(world: World) -> None:
    outcome = await port_requests.create_port_request(
        world.services, world.child, Details(), ["(415) 555-0101", A, "+1 415 555 0102"]
    )
    assert outcome.request is not None and outcome.request.numbers == (A, B)
    assert [(e.code, e.number) for e in outcome.errors] == [(ErrorCode.INVALID_FIELD, A)]
    await refused(ErrorCode.LIMIT_EXCEEDED, port_requests.create_port_request(
        world.services, world.child, Details(), [f"+1415555{i:04d}" for i in range(1001)]))


async def test_unrelated_accounts_and_descendants_get_not_found(world: World) -> None:
    request = await draft(world, world.reseller, A)
    for outsider in (world.unrelated, world.child):
        await refused(ErrorCode.NOT_FOUND, port_requests.get_port_request(world.services, outsider, request.id))
        await refused(ErrorCode.NOT_FOUND, port_requests.move_port_request(
            world.services, outsider, request.id, P.CANCELED))
        await refused(ErrorCode.NOT_FOUND, port_requests.add_comment(world.services, outsider, request.id, "hi"))
    assert (await port_requests.get_port_request(world.services, world.admin, request.id)).id == request.id


async def test_listing_follows_the_account_tree_and_filters_by_state(world: World) -> None:
    mine = await draft(world, world.child, A)
    theirs = await move(world, world.reseller, await draft(world, world.reseller, B), P.SUBMITTED)
    await draft(world, world.unrelated, C)
    listed = await port_requests.list_port_requests(world.services, world.reseller)
    assert {r.id for r in listed.items} == {mine.id, theirs.id}
    submitted = await port_requests.list_port_requests(world.services, world.reseller, states=[P.SUBMITTED])
    assert [r.id for r in submitted.items] == [theirs.id]
    assert [r.id for r in (await port_requests.list_port_requests(world.services, world.child)).items] == [mine.id]
    await refused(ErrorCode.NOT_FOUND, port_requests.list_port_requests(
        world.services, world.child, account_id=world.reseller.id))
    assert len((await port_requests.list_port_requests(world.services, world.admin)).items) == 3


async def test_cancelling_a_port_in_number_directly_leaves_the_rest_of_the_request(world: World) -> None:
    request = await scheduled(world, A, B)
    await numbers.cancel_port_in(world.services, world.child, [NumberRef(A)])
    completed = await move(world, world.admin, request, P.COMPLETED)
    assert completed.state is P.COMPLETED
    assert set(await stored(world, A, B)) == {B}
