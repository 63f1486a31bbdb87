"""The scheduled jobs' work (SPEC §8): discovery expiry, release aging, legacy purge.

Each job walks the `clock` view (state, pvt_state_changed_at, id), where the due numbers of a state are one
key range, oldest first, in keyset pages of at most one bulk batch; memory is bounded by the page, and a
store of a million numbers with a thousand due reads about a thousand documents (twice: the view row and
the engine's own read). Every page runs through the bulk engine as the system actor, so each change obeys
the domain rules, retries revision conflicts and leaves a history entry (requester `system`) or a
tombstone. Due-ness is checked again on the document the engine read: a number that changed since the view
row was read is skipped, not reported as an error. Nothing here remembers progress: whatever a run leaves
undone is still due, so the next run finishes it, and a second run finds nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from numplane.domain import idempotency, lifecycle
from numplane.domain.accounts import Account
from numplane.domain.clock import format_time
from numplane.domain.config import SystemConfig
from numplane.domain.errors import DomainError, ErrorCode
from numplane.domain.lifecycle import Decision, DecisionContext
from numplane.domain.numbers import Number
from numplane.domain.states import State
from numplane.resolvers.bulk import NumberRef, Plan, run
from numplane.resolvers.context import Services
from numplane.resolvers.system_config import get_config
from numplane.store.base import HIGH, Db, Doc, Key

PAGE = 500
"""Numbers per view page and per bulk run (capped by config.max_batch, above which the engine refuses)."""

SAMPLE = 100
"""How many changed numbers a report lists by name; the counts are always complete."""

BetweenPages = Callable[[], Awaitable[None]]
"""Called before each page; the job runner renews its lease here (and may stop the run by raising)."""


@dataclass
class JobReport:
    job: str
    changed: int = 0  # numbers moved or deleted by this run
    skipped: int = 0  # read as due but no longer due (or gone) when the engine re-read them
    failed: int = 0  # refused by the domain or kept conflicting; still due, so the next run retries
    examined: int = 0  # view rows read
    sample: list[str] = field(default_factory=list)  # the first SAMPLE changed numbers
    errors: list[str] = field(default_factory=list)  # the first SAMPLE failure messages

    def changed_one(self, name: str) -> None:
        self.changed += 1
        if len(self.sample) < SAMPLE:
            self.sample.append(name)

    def failed_one(self, message: str) -> None:
        self.failed += 1
        if len(self.errors) < SAMPLE:
            self.errors.append(message)

    def to_doc(self) -> dict[str, object]:
        return {"job": self.job, "changed": self.changed, "skipped": self.skipped, "failed": self.failed,
                "examined": self.examined}


DueCheck = Callable[[Number, SystemConfig, datetime], bool]
Move = Callable[[Number, DecisionContext], Decision]


@dataclass(frozen=True)
class Sweep:
    """One job: which state it walks, up to which state-clock time, and what it does to a due number."""

    job: str
    state: State
    cutoff: Callable[[SystemConfig, datetime], datetime | None]  # None: every number of the state is due
    due: DueCheck
    move: Move


def _age_cutoff(days: Callable[[SystemConfig], int]) -> Callable[[SystemConfig, datetime], datetime | None]:
    return lambda config, now: now - timedelta(days=days(config))


DISCOVERY_EXPIRY = Sweep(
    "discovery-expiry", State.DISCOVERY, _age_cutoff(lambda c: c.discovery_expiry_days),
    lifecycle.discovery_expired, lifecycle.expire_discovery,
)
AGING = Sweep(
    "aging", State.AGING, _age_cutoff(lambda c: c.aging_days), lifecycle.quarantine_ended, lifecycle.age,
)
PURGE_DELETED = Sweep(
    "purge-deleted", State.DELETED, lambda _config, _now: None, lambda _n, _c, _t: True, lifecycle.purge_deleted,
)


async def expire_discovery(
    services: Services, now: datetime, *, between_pages: BetweenPages | None = None
) -> JobReport:
    """Delete discovery numbers whose state clock is at least `discovery_expiry_days` old."""
    return await sweep(services, DISCOVERY_EXPIRY, now, between_pages)


async def age_numbers(
    services: Services, now: datetime, *, between_pages: BetweenPages | None = None
) -> JobReport:
    """Move aging numbers whose quarantine (`aging_days` since they entered aging) ended to available."""
    return await sweep(services, AGING, now, between_pages)


async def purge_deleted(
    services: Services, now: datetime, *, between_pages: BetweenPages | None = None
) -> JobReport:
    """Hard-delete legacy documents whose state is `deleted` (numplane never writes one live)."""
    return await sweep(services, PURGE_DELETED, now, between_pages)


async def expire_holds(
    services: Services, now: datetime, *, between_pages: BetweenPages | None = None
) -> JobReport:
    """Remove hold records that ended (issue 11). Expiry itself is decided on read, so this job only
    keeps documents and the `holds` index tidy: a run that is late or skipped changes no outcome."""
    config = await get_config(services)
    page_size = min(PAGE, config.max_batch)
    start: Key = ("*",)
    end: Key = ("*", format_time(now), HIGH)  # a hold ending exactly now has ended
    report = JobReport("hold-expiry")
    after: Key | None = None
    while True:
        if between_pages is not None:
            await between_pages()
        rows = await services.store.query(Db.NUMBERS, "holds", start=start, end=end, after=after, limit=page_size)
        if not rows:
            break
        report.examined += len(rows)
        docs = {row.id: row.doc for row in rows}
        ended = lambda n: lifecycle.hold_expired(n, now)  # noqa: E731
        await _apply_move(services, docs, report, ended, lifecycle.clear_expired_hold)
        if len(rows) < page_size:
            break
        after = rows[-1].key
    return report


async def expire_idempotency(
    services: Services, now: datetime, *, between_pages: BetweenPages | None = None
) -> JobReport:
    """Delete stored idempotent responses past their 24 hours (already ignored on read once expired).
    Each deletion is conditional on the revision read, so a record a retry just renewed stays."""
    start: Key = (idempotency.DOC_TYPE,)
    end: Key = (idempotency.DOC_TYPE, format_time(now), HIGH)
    report = JobReport("idempotency-expiry")
    after: Key | None = None
    while True:
        if between_pages is not None:
            await between_pages()
        rows = await services.store.query(Db.SYSTEM, "expiry", start=start, end=end, after=after, limit=PAGE)
        if not rows:
            break
        report.examined += len(rows)
        results = await services.store.put_many(Db.SYSTEM, [{**row.doc, "_deleted": True} for row in rows])
        for result in results:
            if result.ok:
                report.changed += 1
            else:
                report.skipped += 1
        if len(rows) < PAGE:
            break
        after = rows[-1].key
    return report


def due_range(sweep_: Sweep, config: SystemConfig, now: datetime) -> tuple[Key, Key]:
    """The clock-view keys of the due numbers. A number whose state clock equals the cutoff is due (the
    domain's test is `changed + days <= now`), so the end bound includes every id at that instant. A
    document without a state clock keys on "" and so falls in the range; the domain then falls back to
    its creation time."""
    cutoff = sweep_.cutoff(config, now)
    end: Key = (sweep_.state.value, format_time(cutoff), HIGH) if cutoff else (sweep_.state.value, HIGH)
    return (sweep_.state.value,), end


async def sweep(services: Services, sweep_: Sweep, now: datetime, between_pages: BetweenPages | None) -> JobReport:
    config = await get_config(services)
    page_size = min(PAGE, config.max_batch)
    start, end = due_range(sweep_, config, now)
    report = JobReport(sweep_.job)
    after: Key | None = None
    while True:
        if between_pages is not None:
            await between_pages()
        rows = await services.store.query(Db.NUMBERS, "clock", start=start, end=end, after=after, limit=page_size)
        if not rows:
            break
        report.examined += len(rows)
        await _apply(services, sweep_, config, now, {row.id: row.doc for row in rows}, report)
        if len(rows) < page_size:
            break
        after = rows[-1].key
    return report


async def _apply(
    services: Services, sweep_: Sweep, config: SystemConfig, now: datetime, docs: dict[str, Doc], report: JobReport
) -> None:
    def due(number: Number) -> bool:
        return number.state is sweep_.state and sweep_.due(number, config, now)

    await _apply_move(services, docs, report, due, sweep_.move)


async def _apply_move(
    services: Services, docs: dict[str, Doc], report: JobReport, due: Callable[[Number], bool], move: Move
) -> None:
    changing: set[str] = set()  # decided to write on the latest read; the engine may re-decide after a conflict

    def decide(
        number: Number | None, number_id: str, ctx: DecisionContext, _accounts: Mapping[str, Account]
    ) -> Decision:
        assert number is not None  # the engine reports missing numbers as NOT_FOUND
        if not due(number):
            changing.discard(number_id)
            return Decision(number, write=False)
        changing.add(number_id)
        return move(number, ctx)

    # The index page's documents are the first read: the engine re-reads only those that changed since.
    result = await run(services, None, [NumberRef(i) for i in docs], Plan(decide=decide), known=docs)
    for number in result.numbers:
        if number.e164 in changing:
            report.changed_one(number.e164)
        else:
            report.skipped += 1
    for error in result.errors:
        # NOT_FOUND: deleted since the view row was read, nothing left to do. UNREADABLE_DOCUMENT: a document
        # another system wrote badly, left as it is (the engine logged its id) so the run goes on.
        if error.code in (ErrorCode.NOT_FOUND, ErrorCode.UNREADABLE_DOCUMENT):
            report.skipped += 1
            continue
        report.failed_one(_describe(error))


def _describe(error: DomainError) -> str:
    return f"{error.code.value}: {error.message}"
