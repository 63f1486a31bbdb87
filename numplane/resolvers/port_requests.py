"""Port request use cases (issue 13): load -> decide (numplane.domain.port_requests) -> save.

A request is one document of the `ports` database, written with a revision check. Each number it lists
is claimed by a small document `port-claim:<e164>` in the system database, created without a revision
(so of two requests racing for a number exactly one claim lands) and taken over only when the request it
names no longer holds the number; that is what keeps a number out of two active requests without a scan.
The claims stay out of the `ports` database so its views and change feed see port requests only: they
would otherwise be a thousand more documents for every view to index per request.
The numbers themselves move through the bulk engine and the lifecycle's own rules: created in port_in on
submission, deleted on rejection or cancellation, completed once on completion.

Workflow moves are not retried on a revision conflict: a move is a decision made on what its author
read, so of two concurrent moves one lands and the other answers CONFLICT. Comments and uploads add to
whatever the request has become, so those are re-read and re-applied.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from numplane.domain import port_requests as domain
from numplane.domain.accounts import Account
from numplane.domain.clock import format_time, parse_time
from numplane.domain.errors import DomainError, ErrorCode
from numplane.domain.lifecycle import Decision, DecisionContext
from numplane.domain.numbers import Number
from numplane.domain.port_requests import Details, DocumentKind, PortRequest, PortState
from numplane.domain.text import excerpt
from numplane.resolvers.accounts import get_account, load_accounts
from numplane.resolvers.bulk import BulkResult, NumberRef, Plan, actor_of, run
from numplane.resolvers.context import Requester, Services
from numplane.resolvers.maintenance import BetweenPages, JobReport
from numplane.resolvers.paging import Page, decode_cursor, encode_cursor, page_size
from numplane.resolvers.system_config import get_config
from numplane.store.base import HIGH, Db, Doc, Key

CLAIM_PREFIX = "port-claim:"
COMPLETION_PREFIX = "port-completion:"
SAVE_ROUNDS = 8
PAGE = 100  # due requests per view page of the cut-over job
NUMBERS_PER_RUN = 500  # under the engine's max_batch default; a 1,000-number request is two runs


def new_id() -> str:
    return uuid.uuid4().hex


def claim_id(number: str) -> str:
    return CLAIM_PREFIX + number


@dataclass
class Outcome:
    """A request as saved (or as it stands, when nothing could be saved) and the per-number errors."""

    request: PortRequest | None
    errors: list[DomainError] = field(default_factory=list)


# -- reading -----------------------------------------------------------------------------------------


async def load(services: Services, request_id: str) -> PortRequest | None:
    doc = (await services.store.get_many(Db.PORTS, [request_id])).get(request_id)
    return PortRequest.from_doc(doc) if doc is not None and doc.get("pvt_type") == "port_request" else None


async def get_port_request(services: Services, requester: Requester | None, request_id: str) -> PortRequest:
    """The request, or NOT_FOUND when it does not exist or the requester may not see it."""
    return domain.ensure_visible(await load(services, request_id), request_id, actor_of(requester))


async def get_many(services: Services, requester: Requester, ids: Sequence[str]) -> dict[str, PortRequest]:
    """Requests by id in one read (the PhoneNumber.portRequest loader); invisible ones are absent."""
    docs = await services.store.get_many(Db.PORTS, list(ids))
    actor = actor_of(requester)
    found = {i: PortRequest.from_doc(d) for i, d in docs.items() if d.get("pvt_type") == "port_request"}
    return {
        i: r for i, r in found.items()
        if actor.account is None or domain.can_see(r, actor.account, is_admin=actor.is_admin)
    }


async def list_port_requests(
    services: Services,
    requester: Requester,
    *,
    account_id: str | None = None,
    states: Sequence[PortState] | None = None,
    first: int = 50,
    after: str | None = None,
) -> Page[PortRequest]:
    """Requests of an account and its sub-accounts (the requester's own by default; every request for an
    admin who names no account), in id order, keyset paged."""
    size = page_size(first)
    position = decode_cursor(after)
    scope = await scope_of(services, requester, account_id)
    facets = [""] if not states else ["s:" + s.value for s in dict.fromkeys(states)]
    found: dict[str, Doc] = {}
    for facet in facets:  # one range per state, merged in id order
        rows = await services.store.query(
            Db.PORTS, "tree", start=(scope, facet, ""), end=(scope, facet, HIGH),
            after=(scope, facet, position) if position else None, limit=size + 1,
        )
        found.update({row.id: row.doc for row in rows})
    ordered = sorted(found)[: size + 1]
    items = [PortRequest.from_doc(found[i]) for i in ordered[:size]]
    return Page(items=items, cursors=[encode_cursor(r.id) for r in items], has_next=len(ordered) > size)


async def scope_of(services: Services, requester: Requester, account_id: str | None) -> str:
    if account_id is None:
        return "*" if requester.is_admin else requester.id
    account = await get_account(services, requester, account_id)
    # An account sees its own requests and its descendants', never an ancestor's (as with numbers).
    if not requester.is_admin and not requester.account.controls(account.id, account.tree):
        raise DomainError(ErrorCode.NOT_FOUND, f"No account {excerpt(account_id)} visible to you.")
    return account.id


async def document_bytes(
    services: Services, requester: Requester, request_id: str, kind: DocumentKind
) -> tuple[domain.Document, bytes]:
    request = await get_port_request(services, requester, request_id)
    document = request.document(kind)
    data = await services.store.get_attachment(Db.PORTS, request.id, kind.value) if document else None
    if document is None or data is None:
        raise DomainError(ErrorCode.NOT_FOUND, f"This port request has no {kind.value.replace('_', ' ')}.")
    return document, data


# -- drafting ----------------------------------------------------------------------------------------


async def create_port_request(
    services: Services,
    requester: Requester,
    details: Details,
    numbers: Sequence[str],
    *,
    account_id: str | None = None,
) -> Outcome:
    """A draft with the numbers that are good and free; the others come back as per-number errors."""
    requester.ensure_may_change()
    owner = await get_account(services, requester, account_id) if account_id else requester.account
    config = await get_config(services)
    good, errors = domain.normalize_numbers(numbers, config.default_region)
    request = domain.create(new_id(), owner, actor_of(requester), details, good, services.clock())
    held, refused = await _claim(services, request, good)
    request = request.with_changes(numbers=tuple(held))
    saved = await services.store.put_many(Db.PORTS, [request.to_doc()])
    if not saved[0].ok:  # a fresh uuid: only a store fault gets here
        await _release(services, request.id, held)
        raise DomainError(ErrorCode.CONFLICT, "The port request could not be saved; try again.")
    return Outcome(request.with_changes(rev=saved[0].rev), errors + refused)


async def update_port_request(
    services: Services,
    requester: Requester,
    request_id: str,
    details: Details,
    numbers: Sequence[str] | None = None,
    *,
    expected_revision: str | None = None,
) -> Outcome:
    """Edit a draft or a rejected request. A new number list replaces the old one: numbers added are
    claimed (per-number errors for those held elsewhere), numbers dropped are freed."""
    requester.ensure_may_change()
    request = await _for_change(services, requester, request_id, expected_revision)
    # Decided before any number is claimed: a request that may not be edited claims nothing.
    changed = domain.update(request, actor_of(requester), details, None, services.clock())
    errors: list[DomainError] = []
    if numbers is not None:
        good, errors = domain.normalize_numbers(numbers, (await get_config(services)).default_region)
        held, refused = await _claim(services, request, good)
        changed, errors = changed.with_changes(numbers=tuple(held)), errors + refused
    saved = await _save(services, changed)
    dropped = set(request.numbers) - set(saved.numbers)
    if dropped:
        await _release(services, request.id, sorted(dropped))
    return Outcome(saved, errors)


async def _claim(
    services: Services, request: PortRequest, numbers: Sequence[str]
) -> tuple[list[str], list[DomainError]]:
    """Claim each number for `request`: (numbers it holds now, in order; errors for the others)."""
    if not numbers:
        return [], []
    claims = await services.store.get_many(Db.SYSTEM, [claim_id(n) for n in numbers])
    holder_ids = {str(d.get("pvt_request")) for d in claims.values()} - {request.id}
    holders = {r.id: r for r in [PortRequest.from_doc(d) for d in
                                 (await services.store.get_many(Db.PORTS, sorted(holder_ids))).values()
                                 if d.get("pvt_type") == "port_request"]}
    now = services.clock()
    mine: list[str] = []
    errors: list[DomainError] = []
    writes: list[tuple[str, Doc]] = []
    for number in numbers:
        claim = claims.get(claim_id(number))
        if claim is not None and claim.get("pvt_request") == request.id:
            mine.append(number)
        elif claim is not None and domain.held_elsewhere(
            number, request.id, holders.get(claim["pvt_request"]), _claimed_at(claim), now
        ):
            errors.append(domain.in_other_request(number))
        else:
            doc: Doc = {"_id": claim_id(number), "pvt_type": "port_claim", "pvt_request": request.id,
                        "pvt_claimed": format_time(now)}
            if claim is not None:
                doc["_rev"] = claim["_rev"]  # a stale claim: taken over with a revision check
            writes.append((number, doc))
    results = await services.store.put_many(Db.SYSTEM, [doc for _n, doc in writes]) if writes else []
    won = {number for (number, _doc), result in zip(writes, results, strict=True) if result.ok}
    errors.extend(domain.in_other_request(n) for n, _doc in writes if n not in won)
    mine.extend(n for n, _doc in writes if n in won)
    order = {n: i for i, n in enumerate(numbers)}
    return sorted(mine, key=order.__getitem__), errors


def _claimed_at(claim: Doc) -> datetime | None:
    """When the claim was made; None for a claim written before claims carried their time, or unreadable
    (such a claim is judged by its request alone)."""
    try:
        return parse_time(str(claim["pvt_claimed"]))
    except (KeyError, ValueError):
        return None


async def _release(services: Services, request_id: str, numbers: Sequence[str]) -> None:
    """Free the claims `request_id` holds on `numbers` (a claim another request took over stays)."""
    if not numbers:
        return
    claims = await services.store.get_many(Db.SYSTEM, [claim_id(n) for n in numbers])
    mine = [{**d, "_deleted": True} for d in claims.values() if d.get("pvt_request") == request_id]
    if mine:
        # A lost race here leaves a claim naming a finished request, which the next claimer takes over.
        await services.store.put_many(Db.SYSTEM, mine)


# -- saving ------------------------------------------------------------------------------------------


async def _for_change(
    services: Services, requester: Requester | None, request_id: str, expected_revision: str | None
) -> PortRequest:
    request = await get_port_request(services, requester, request_id)
    if expected_revision is not None and request.rev != expected_revision:
        raise _conflict(request.id)
    return request


def _conflict(request_id: str) -> DomainError:
    return DomainError(ErrorCode.CONFLICT, f"Port request {request_id} changed since you read it; read it again.")


async def _save(
    services: Services, request: PortRequest, *, attachment: tuple[str, bytes] | None = None
) -> PortRequest:
    doc = request.to_doc()
    if attachment is not None:
        name, data = attachment
        content_type = request.document(DocumentKind(name))
        doc["_attachments"] = {
            **doc.get("_attachments", {}),
            name: {"content_type": content_type.content_type if content_type else "application/octet-stream",
                   "data": base64.b64encode(data).decode()},
        }
    [result] = await services.store.put_many(Db.PORTS, [doc])
    if not result.ok:
        raise _conflict(request.id)
    saved = request.with_changes(rev=result.rev)
    if attachment is not None:  # the stub the store now holds; the next write must name it to keep it
        fresh = await load(services, request.id)
        if fresh is not None:
            saved = saved.with_changes(attachments=fresh.attachments)
    return saved


async def _reapplied(
    services: Services, requester: Requester, request_id: str, change: Callable[[PortRequest], PortRequest],
    attachment: tuple[str, bytes] | None = None,
) -> PortRequest:
    """Read, change, save; on a conflict read again and re-apply (additions that must all land)."""
    requester.ensure_may_change()
    for _round in range(SAVE_ROUNDS):
        request = await get_port_request(services, requester, request_id)
        try:
            return await _save(services, change(request), attachment=attachment)
        except DomainError as error:
            if error.code is not ErrorCode.CONFLICT:
                raise
    raise _conflict(request_id)


async def add_comment(
    services: Services, requester: Requester, request_id: str, text: str, *, admin_only: bool = False
) -> PortRequest:
    actor = actor_of(requester)
    return await _reapplied(
        services, requester, request_id,
        lambda r: domain.comment(r, actor, text, admin_only=admin_only, now=services.clock()),
    )


async def upload_document(
    services: Services, requester: Requester, request_id: str, kind: DocumentKind, filename: str, data: bytes
) -> PortRequest:
    actor = actor_of(requester)
    now = services.clock()

    def change(request: PortRequest) -> PortRequest:
        return domain.with_document(request, domain.attach(request, actor, kind, filename, data, now), now)

    return await _reapplied(services, requester, request_id, change, attachment=(kind.value, data))


# -- the workflow ------------------------------------------------------------------------------------


async def move_port_request(
    services: Services,
    requester: Requester | None,
    request_id: str,
    to: PortState,
    *,
    comment: str | None = None,
    scheduled_at: datetime | None = None,
    rejections: Mapping[str, str] | None = None,
    expected_revision: str | None = None,
) -> Outcome:
    """One step of the workflow and its effect on the numbers. `requester` None is the cut-over job."""
    if requester is not None:
        requester.ensure_may_change()
    request = await _for_change(services, requester, request_id, expected_revision)
    moved = domain.move(request, to, actor_of(requester), services.clock(), comment=comment,
                        scheduled_at=scheduled_at, rejections=rejections)
    if to is PortState.SUBMITTED:
        return await _submit(services, requester, request, moved)
    if to is PortState.COMPLETED:
        # Before the request says completed, so a process dying between that save and its numbers
        # leaves a trace the cut-over job follows (resume_completions).
        await _begin_completion(services, request.id)
    saved = await _save(services, moved)
    if to is PortState.COMPLETED:
        return Outcome(saved, await _complete_numbers(services, requester, saved))
    if to in (PortState.REJECTED, PortState.CANCELED) and request.state in domain.WITH_NUMBERS:
        await _on_numbers(services, requester, saved, domain.withdraw_number)
    if to in domain.FINISHED:
        await _release(services, saved.id, saved.numbers)
    return Outcome(saved, [])


async def _submit(services: Services, requester: Requester | None, request: PortRequest, moved: PortRequest) -> Outcome:
    """Create the numbers in port_in, then save the move; if either fails, the numbers created are
    withdrawn and the request stays as it was."""
    owner = (await load_accounts(services, [request.account])).get(request.account)
    if owner is None:
        raise domain.not_found(request.id)
    created = await _on_numbers(services, requester, moved, _creation(owner), creates=True)
    failure: DomainError | None = None
    saved: PortRequest | None = None
    if not created.errors:
        try:
            saved = await _save(services, moved)
        except DomainError as error:
            failure = error
    if saved is None:
        # Only the numbers this attempt created: a number that was already there is someone else's.
        await _on_numbers(services, requester, request, domain.withdraw_number, only={n.e164 for n in created.numbers})
        if failure is not None:
            raise failure
        return Outcome(request, created.errors)
    return Outcome(saved, [])


# -- completion, resumable ----------------------------------------------------------------------------
#
# A completed request is saved before its numbers are completed (the save is what decides the move, with
# its revision check), so a process dying in between would leave numbers in port_in under a completed
# request. A marker `port-completion:<request id>` in the system database is written before that save and
# deleted once every number is done; the cut-over job lists the markers by id (an index read, however
# many requests exist) and finishes what a dead process left. The markers stay out of the ports database
# so its views and change feed see port requests only, as the claims do.


def completion_id(request_id: str) -> str:
    return COMPLETION_PREFIX + request_id


async def _begin_completion(services: Services, request_id: str) -> None:
    """Write the marker, or rewrite it when one is left from an earlier attempt: a new revision makes the
    job's removal of a marker it judged stale conflict instead of erasing this completion's trace."""
    marker_id = completion_id(request_id)
    found: Doc | None = None  # usually there is none: create first, read only when one is there
    for _round in range(SAVE_ROUNDS):
        doc: Doc = {"_id": marker_id, "pvt_type": "port_completion", "pvt_request": request_id,
                    "pvt_started_at": format_time(services.clock())}
        if found is not None:
            doc["_rev"] = found["_rev"]
        [result] = await services.store.put_many(Db.SYSTEM, [doc])
        if result.ok:
            return
        found = (await services.store.get_many(Db.SYSTEM, [marker_id])).get(marker_id)
    raise DomainError(ErrorCode.CONFLICT, f"Port request {request_id} is being completed elsewhere; try again.")


async def _end_completion(services: Services, marker: Doc) -> None:
    # A conflict means a newer attempt rewrote the marker: that attempt removes it when it is done.
    await services.store.put_many(Db.SYSTEM, [{**marker, "_deleted": True}])


async def _complete_numbers(services: Services, requester: Requester | None, request: PortRequest) -> list[DomainError]:
    """Complete the numbers of a completed request still in port_in (once each: those already done by a
    call or by another path are left alone), free its claims, and drop the marker when nothing failed;
    after a failure the marker stays and the cut-over job tries again."""
    errors = (await _on_numbers(services, requester, request, domain.complete_number)).errors
    await _release(services, request.id, request.numbers)
    if not errors:
        marker_id = completion_id(request.id)
        marker = (await services.store.get_many(Db.SYSTEM, [marker_id])).get(marker_id)
        if marker is not None:
            await _end_completion(services, marker)
    return errors


def _creation(owner: Account) -> Callable[[Number | None, str, str, DecisionContext], Decision]:
    def decide(number: Number | None, e164_id: str, request_id: str, ctx: DecisionContext) -> Decision:
        return domain.port_in_number(number, e164_id, request_id, owner, ctx)

    return decide


async def _on_numbers(
    services: Services,
    requester: Requester | None,
    request: PortRequest,
    move: Callable[..., Decision],
    *,
    creates: bool = False,
    only: set[str] | None = None,
) -> BulkResult:
    """Apply a per-number move to the request's numbers through the bulk engine, a run per 500 numbers.
    Numbers already gone are not errors of a withdrawal or a completion: someone got there first."""

    def decide(number: Number | None, e164_id: str, ctx: DecisionContext, _accounts: Mapping[str, Account]) -> Decision:
        if creates:
            return move(number, e164_id, request.id, ctx)
        assert number is not None
        return move(number, request.id, ctx)

    plan = Plan(decide=decide, creates=creates)
    numbers = [n for n in request.numbers if only is None or n in only]
    result = BulkResult()
    for start in range(0, len(numbers), NUMBERS_PER_RUN):
        refs = [NumberRef(n) for n in numbers[start : start + NUMBERS_PER_RUN]]
        part = await run(services, requester, refs, plan)
        result.numbers.extend(part.numbers)
        result.errors.extend(e for e in part.errors if creates or e.code is not ErrorCode.NOT_FOUND)
    return result


# -- the cut-over job --------------------------------------------------------------------------------


async def complete_due(
    services: Services, now: datetime, *, between_pages: BetweenPages | None = None
) -> JobReport:
    """The cut-over job: complete every scheduled request whose cut-over time has passed, as the system.
    What the first calls completed already is left alone (completion is once per number); a request that
    changed since the view was read is no longer due and is skipped. Then it finishes the completions a
    dead process left half done (resume_completions)."""
    report = JobReport("port-cutover")
    state = PortState.SCHEDULED.value
    after: Key | None = None
    while True:
        if between_pages is not None:
            await between_pages()
        rows = await services.store.query(
            Db.PORTS, "cutover", start=(state, "", ""), end=(state, format_time(now), HIGH), after=after, limit=PAGE,
        )
        report.examined += len(rows)
        for row in rows:
            await _cut_over(services, PortRequest.from_doc(row.doc), now, report)
        if len(rows) < PAGE:
            break
        after = rows[-1].key
    await resume_completions(services, report, between_pages=between_pages)
    return report


async def resume_completions(
    services: Services, report: JobReport, *, between_pages: BetweenPages | None = None
) -> None:
    """Finish the completions a dead process left: every marker whose request is completed gets its
    numbers completed (as the system: the move itself is already in the request's log). A marker of a
    request still scheduled may belong to a completion in flight and is left; any other is stale."""
    after: str | None = None
    while True:
        if between_pages is not None:
            await between_pages()
        markers = await services.store.id_range(
            Db.SYSTEM, start=COMPLETION_PREFIX, end=COMPLETION_PREFIX + HIGH, after=after, limit=PAGE
        )
        report.examined += len(markers)
        for marker in markers:
            await _resume(services, marker, report)
        if len(markers) < PAGE:
            return
        after = markers[-1]["_id"]


async def _resume(services: Services, marker: Doc, report: JobReport) -> None:
    request = await load(services, str(marker.get("pvt_request")))
    if request is None or request.state not in (PortState.SCHEDULED, PortState.COMPLETED):
        await _end_completion(services, marker)  # a completion that never saved: nothing to resume
        report.skipped += 1
        return
    if request.state is PortState.SCHEDULED:
        report.skipped += 1
        return
    errors = await _complete_numbers(services, None, request)
    if errors:
        report.failed_one(f"{request.id}: {errors[0].message}")
        return
    report.changed_one(request.id)


async def _cut_over(services: Services, request: PortRequest, now: datetime, report: JobReport) -> None:
    if not domain.due(request, now):
        report.skipped += 1
        return
    try:
        await move_port_request(services, None, request.id, PortState.COMPLETED, comment="cut-over time reached",
                                expected_revision=request.rev)
    except DomainError as error:
        # Moved by an admin since the view was read (CONFLICT, or no longer scheduled): not due any more.
        if error.code in (ErrorCode.CONFLICT, ErrorCode.INVALID_STATE_TRANSITION):
            report.skipped += 1
        else:
            report.failed_one(f"{request.id}: {error.message}")
        return
    report.changed_one(request.id)
