"""The bulk engine (SPEC §7, §13): normalize, de-duplicate, read once, decide, write once, retry conflicts.

Every lifecycle mutation is a `Plan` run here: the plan names the accounts it needs and decides one number
with the domain; this module does the I/O around it: one batched read of the numbers and one of the
accounts per round, carrier calls, one batched conditional write, and a bounded re-read-and-re-decide of
the numbers that hit a revision conflict.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field

from numplane.domain import e164
from numplane.domain.accounts import Account
from numplane.domain.config import SystemConfig
from numplane.domain.documents import UnreadableDocument, names_account
from numplane.domain.errors import DomainError, ErrorCode
from numplane.domain.lifecycle import Decision, DecisionContext
from numplane.domain.numbers import Number
from numplane.domain.states import State
from numplane.domain.text import excerpt
from numplane.domain.transitions import SYSTEM_ACTOR, Actor, ensure_active
from numplane.domain.visibility import can_see_number
from numplane.domain.written_numbers import Held
from numplane.loop_turns import each_in_turns, in_turns
from numplane.resolvers.accounts import load_accounts
from numplane.resolvers.carrier_effects import CarrierCalls
from numplane.resolvers.context import Requester, Services
from numplane.resolvers.system_config import get_config
from numplane.store.base import Db, Doc
from numplane.store.readable import skipped

MAX_ROUNDS = 5
MERGE_ROUNDS = 32
"""Edits of public fields must all land (SPEC §7). Every lost round means another writer's edit landed
after this one's read, so each of N racing writers lands within N rounds; 32 covers the twenty racing
editors the spec is held to with room to spare, where 5 rounds lost 9-20 % of them."""
BACKOFF_BASE_SECONDS = 0.004
BACKOFF_CAP_SECONDS = 0.05
CHUNK = 250


@dataclass(frozen=True, slots=True)
class NumberRef:
    number: str
    expected_revision: str | None = None


@dataclass
class BulkResult:
    numbers: list[Number] = field(default_factory=list)  # succeeded, in input order
    errors: list[DomainError] = field(default_factory=list)  # one per failed number, in input order


Decide = Callable[[Number | None, str, DecisionContext, Mapping[str, Account]], Decision]
Needs = Callable[[Number | None], set[str]]
Supply = Callable[[str, DecisionContext], Awaitable[Number | None]]


@dataclass(frozen=True)
class Plan:
    """One lifecycle action over many numbers."""

    decide: Decide  # may raise DomainError for one number
    needs: Needs = lambda _number: set()  # accounts the decision reads (targets, history, previous owner)
    creates: bool = False  # the action makes numbers that do not exist (add, port in)
    supply: Supply | None = None  # finds a missing number upstream (acquiring from a carrier)
    rounds: int = MAX_ROUNDS  # reads and decisions a number gets before its conflicts are the caller's
    # Numbers this process wrote last are decided on as written, before any read (`_unread_round`): for
    # actions whose decisions seldom call an upstream carrier, since one that does is decided again on a read.
    held_first: bool = False


def actor_of(requester: Requester | None) -> Actor:
    return SYSTEM_ACTOR if requester is None else Actor(requester.account, requester.is_admin)


async def normalize_refs(
    refs: Sequence[NumberRef], region: str
) -> tuple[list[tuple[str, NumberRef]], dict[int, DomainError]]:
    """(e164, ref) for each distinct good number in input order, and errors by input position."""
    seen: set[str] = set()
    good: list[tuple[str, NumberRef]] = []
    errors: dict[int, DomainError] = {}

    def normalize(indexed: tuple[int, NumberRef]) -> None:
        index, ref = indexed
        try:
            number = e164.normalize(ref.number, region)
        except DomainError as error:
            errors[index] = error.for_number(excerpt(ref.number))  # a 900 KB input is not echoed
            return
        if number not in seen:
            seen.add(number)
            good.append((number, ref))

    await each_in_turns(enumerate(refs), normalize)  # parsing a number costs ~0.1 ms
    return good, errors


async def run(
    services: Services,
    requester: Requester | None,
    refs: Sequence[NumberRef],
    plan: Plan,
    *,
    known: Mapping[str, Doc] | None = None,
) -> BulkResult:
    """Apply `plan` to each number. `known` holds documents the caller has just read (a job's index page):
    the first round decides on them instead of reading again; a stale one conflicts and is re-read."""
    if requester is not None:
        requester.ensure_may_change()
    actor = actor_of(requester)
    ensure_active(actor)
    config = await get_config(services)
    if not refs:
        raise DomainError(ErrorCode.INVALID_FIELD, "Give at least one number.", field=("numbers",))
    if len(refs) > config.max_batch:
        raise DomainError(
            ErrorCode.LIMIT_EXCEEDED,
            f"{len(refs)} numbers in one request; the limit is {config.max_batch}. Split the request.",
            field=("numbers",),
        )
    good, early = await normalize_refs(refs, config.default_region)
    outcome: dict[str, Number | DomainError] = {}
    accounts: dict[str, Account] = {} if requester is None else {requester.id: requester.account}
    # Large requests go in a few concurrent chunks: deciding one chunk overlaps the store's work on the
    # next, and each chunk is still one batched read and one batched write per round.
    chunks = [dict(good[i : i + CHUNK]) for i in range(0, len(good), CHUNK)]
    settling = [_settle_chunk(services, actor, config, chunk, plan, accounts, outcome, known or {}) for chunk in chunks]
    if len(settling) == 1:
        await settling[0]  # most requests: nothing to overlap, so no task to run it in
    else:
        await asyncio.gather(*settling)
    return _in_input_order(refs, good, early, outcome)


async def _settle_chunk(
    services: Services,
    actor: Actor,
    config: SystemConfig,
    pending: dict[str, NumberRef],
    plan: Plan,
    accounts: dict[str, Account],
    outcome: dict[str, Number | DomainError],
    known: Mapping[str, Doc],
) -> None:
    carrier_calls = CarrierCalls(services)  # what was done upstream stays done across the rounds
    first = _unread_round(services, pending, plan, known)
    for attempt in range(plan.rounds):
        if not pending:
            return
        if attempt and not (first is not None and attempt == 1):  # nobody raced an unread first round
            await asyncio.sleep(backoff(attempt))
        ctx = DecisionContext(actor=actor, config=config, now=services.clock())
        if first is not None and attempt == 0:
            landed: set[str] = set()
            await _round(services, ctx, dict(pending), plan, accounts, outcome, carrier_calls, unread=first,
                         landed=landed)
            # Only a landed write proves what the round decided on: every other answer is read and decided
            # again (a refusal decided on no document is not the answer for a number that exists, and a
            # number that moved on may answer otherwise: SPEC §3.5).
            for number_id in list(pending):
                if number_id in landed:
                    del pending[number_id]
                else:
                    outcome.pop(number_id, None)
            continue
        preread = known if attempt == 0 and known and all(i in known for i in pending) else None
        pending = await _round(services, ctx, pending, plan, accounts, outcome, carrier_calls, preread)
    for number in pending:
        outcome[number] = DomainError(
            ErrorCode.CONFLICT, f"{number} kept changing while this request ran; read it again and retry.",
            number=number,
        )


def _unread_round(
    services: Services, pending: dict[str, NumberRef], plan: Plan, known: Mapping[str, Doc]
) -> Held | None:
    """What a first round may decide on without reading the numbers, if anything. It counts as one of the
    plan's rounds (a number another writer keeps changing still gets `plan.rounds` writes in all), and only
    its landed writes are kept: the rest are read and decided in the next round, with no pause.

    - A creation is decided on no document: a write without a revision conflicts with every live document of
      its id, and one that lands found none, the very case the decision reads for (a tombstone reads as
      nothing, and is written over either way). On CouchDB that read was a request per single-number
      addNumbers beside its write (issue 17 item 4). Only without expected revisions: a stale one is a
      CONFLICT on a number the requester sees, but a number it may not see answers NUMBER_EXISTS, which only
      a read can tell apart.
    - An action that decides first on what this process wrote (`Plan.held_first`) is decided on the revisions
      it wrote last (WrittenNumbers) and written on them, when it holds every number at the revision the
      request names, if it names one. A read would mostly answer those very revisions (the store need not
      even send their bodies): what it cost was the call itself, a store round trip and turns of the loop."""
    if known:
        return None
    if plan.creates:
        unread = plan.supply is None and all(ref.expected_revision is None for ref in pending.values())
        return services.written_numbers.holding(()) if unread else None
    if not plan.held_first or plan.rounds < 2:
        return None
    held = services.written_numbers.holding(pending)
    if len(held.revisions) != len(pending) or any(
        ref.expected_revision not in (None, held.revisions[number_id]) for number_id, ref in pending.items()
    ):
        return None
    return held


def backoff(attempt: int) -> float:
    """Seconds to wait before retry `attempt` (1, 2, ...): random in a window that doubles up to a cap
    ("full jitter"), so writers that just collided do not read and write again in lockstep."""
    return random.uniform(0, min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (attempt - 1)))


def _in_input_order(
    refs: Sequence[NumberRef],
    good: list[tuple[str, NumberRef]],
    early: dict[int, DomainError],
    outcome: Mapping[str, Number | DomainError],
) -> BulkResult:
    result = BulkResult()
    by_ref = {id(ref): number for number, ref in good}
    for index, ref in enumerate(refs):
        if index in early:
            result.errors.append(early[index])
            continue
        number = by_ref.get(id(ref))
        if number is None:
            continue  # a duplicate of an earlier entry
        item = outcome[number]
        if isinstance(item, DomainError):
            result.errors.append(item)
        else:
            result.numbers.append(item)
    return result


async def _round(
    services: Services,
    ctx: DecisionContext,
    pending: dict[str, NumberRef],
    plan: Plan,
    accounts: dict[str, Account],
    outcome: dict[str, Number | DomainError],
    carrier_calls: CarrierCalls,
    preread: Mapping[str, Doc] | None = None,
    *,
    unread: Held | None = None,
    landed: set[str] | None = None,
) -> dict[str, NumberRef]:
    """Decide and write every pending number once; return the ones to retry after a conflict. `unread`: the
    numbers are decided on these, unread (`_unread_round`), and a decision that calls an upstream carrier is
    left undecided: nothing is done upstream on what may have moved on. `landed` collects the numbers written."""
    docs: Mapping[str, Doc]
    if unread is not None:
        held = unread
        docs = {number_id: {"_id": number_id, "_rev": rev} for number_id, rev in held.revisions.items()}
    else:
        # This process's own last writes: taken as they are, and the store need not even parse them.
        held = services.written_numbers.holding(() if preread is not None else pending)
        docs = preread if preread is not None else await services.store.get_many(
            Db.NUMBERS, list(pending), held=held.revisions
        )
    numbers: dict[str, Number] = {}

    def read(item: tuple[str, Doc]) -> None:
        number_id, doc = item
        try:
            numbers[number_id] = held.number_of(doc)
        except UnreadableDocument as error:
            skipped(error, "bulk change")
            if number_id in pending:
                outcome[number_id] = _unreadable(error, doc, ctx, plan)

    await each_in_turns(docs.items(), read)
    wanted = set().union(*(plan.needs(numbers.get(i)) for i in pending)) if pending else set()
    # An aging number's visibility and reclaim depend on its previous owner's lineage.
    wanted |= {n.previous_owner for n in numbers.values() if n.state is State.AGING and n.previous_owner}
    missing = wanted - accounts.keys()
    if missing:
        accounts.update(await load_accounts(services, missing))
    decisions: dict[str, Decision] = {}
    decided_on: dict[str, Number] = {}  # the number each decision was made on (read, or just supplied)
    async for number_id, ref in in_turns(pending.items()):
        if number_id in docs and number_id not in numbers:
            continue  # unreadable: answered above, never overwritten
        try:
            number, decisions[number_id] = await _decide_one(
                number_id, ref, numbers.get(number_id), ctx, plan, accounts
            )
        except DomainError as error:
            outcome[number_id] = error if error.number else error.for_number(number_id)
            continue
        if number is not None:
            decided_on[number_id] = number
    if unread is not None:
        carriers = services.carriers
        for number_id, decision in list(decisions.items()):
            effects = decision.acquire or decision.disconnect or decision.deprovision
            if effects and carriers.acts_upstream(decision.number.module):
                del decisions[number_id]
    await carrier_calls.apply(decisions, decided_on, outcome)
    return await _write(services, pending, decisions, outcome, landed)


async def _decide_one(
    number_id: str,
    ref: NumberRef,
    number: Number | None,
    ctx: DecisionContext,
    plan: Plan,
    accounts: Mapping[str, Account],
) -> tuple[Number | None, Decision]:
    # Visibility comes before every other check (SPEC §3.5): a number the requester may not see must
    # answer exactly as a missing one, so neither its revision nor its existence leaks.
    if number is not None:
        if not _visible(number, ctx, accounts):
            _refuse_hidden(number, number_id, plan)
        elif ref.expected_revision is not None and number.rev != ref.expected_revision:
            raise DomainError(
                ErrorCode.CONFLICT,
                f"{number_id} is at revision {number.rev}, not {excerpt(ref.expected_revision)}; read it again.",
                number=number_id,
            )
    elif plan.supply is not None:
        number = await plan.supply(number_id, ctx)
        if number is not None and not _visible(number, ctx, accounts):
            # Another request saved the number first: what the supplier read back may be someone else's
            # number, as hidden as if it had been read at the start.
            _refuse_hidden(number, number_id, plan)
    if number is None and not plan.creates:
        raise _not_found(number_id)
    return number, plan.decide(number, number_id, ctx, accounts)


def _unreadable(error: UnreadableDocument, doc: Doc, ctx: DecisionContext, plan: Plan) -> DomainError:
    """The answer for a number whose stored document cannot be read: the error itself for those the raw
    document names (and admins and the system), else what a number they may not see answers."""
    account = ctx.actor.account
    if account is None or ctx.actor.is_admin or names_account(doc, account.id):
        return error
    if plan.creates:
        return DomainError(ErrorCode.NUMBER_EXISTS, f"{error.doc_id} already exists.", number=error.doc_id)
    return _not_found(error.doc_id)


def _refuse_hidden(number: Number, number_id: str, plan: Plan) -> None:
    """The answer for a number the requester may not see: the one for a missing number."""
    if plan.creates and number.state is not State.DELETED:
        # Creating a number that exists is the one answer that may tell (SPEC §3.5); a legacy deleted
        # document does not count as existing (SPEC §2) and is overwritten by the creation.
        raise DomainError(ErrorCode.NUMBER_EXISTS, f"{number_id} already exists.", number=number_id)
    if not plan.creates:
        raise _not_found(number_id)


def _visible(number: Number, ctx: DecisionContext, accounts: Mapping[str, Account]) -> bool:
    if ctx.actor.account is None:
        return True
    previous = accounts.get(number.previous_owner) if number.previous_owner else None
    return can_see_number(
        number, ctx.actor.account, is_admin=ctx.actor.is_admin,
        previous_owner_tree=previous.tree if previous else None,
    )


def _not_found(number_id: str) -> DomainError:
    return DomainError(ErrorCode.NOT_FOUND, f"{number_id} is not a number you can see.", number=number_id)


async def _write(
    services: Services,
    pending: dict[str, NumberRef],
    decisions: dict[str, Decision],
    outcome: dict[str, Number | DomainError],
    landed: set[str] | None = None,
) -> dict[str, NumberRef]:
    to_write = [(i, d) for i, d in decisions.items() if d.write]
    for number_id, decision in decisions.items():
        if not decision.write:
            outcome[number_id] = decision.number
    if not to_write:
        return {}
    docs: list[Doc] = []

    def stored_form(item: tuple[str, Decision]) -> None:
        doc = item[1].number.to_doc()
        if item[1].delete:
            doc["_deleted"] = True
        docs.append(doc)

    await each_in_turns(to_write, stored_form)  # a document's locality terms cost ~0.3 ms
    results = await services.store.put_many(Db.NUMBERS, docs)
    retry: dict[str, NumberRef] = {}
    for (number_id, decision), doc, result in zip(to_write, docs, results, strict=True):
        if result.ok:
            # As read back: at its revision, with the place the document now keeps (a new number's included).
            written = outcome[number_id] = decision.number.with_changes(
                rev=result.rev, stored_locality=doc["pvt_locality"]
            )
            if not decision.delete:
                services.written_numbers.wrote(written)
            if landed is not None:
                landed.add(number_id)
        elif pending[number_id].expected_revision is not None:
            outcome[number_id] = DomainError(
                ErrorCode.CONFLICT, f"{number_id} changed since revision {pending[number_id].expected_revision}.",
                number=number_id,
            )
        else:
            retry[number_id] = pending[number_id]
    return retry
