"""searchNumbers (SPEC §5, issue 11): numbers one can acquire under a prefix, from the store and the carriers.

The store's available numbers come first (no carrier call needed to take them); the enabled upstream
carriers fill the rest, asked concurrently and each within a timeout, so one slow or broken carrier
costs the search its numbers, not the search. What a carrier offers that the store does not hold is
saved as `discovery` with create-only writes, so a number that exists is never duplicated or changed.

A filter (`numplane.domain.search`) is answered in the store by the `search` index: `plan` names the
most selective range, pages of it are read and every condition is checked on each document, within a
budget of SCAN_BUDGET index rows, so an unselective combination returns fewer numbers rather than reading
the inventory. Carriers are asked only when they support every condition set, and what they answer is
checked again (it is foreign input). With `near`, the store walks prefixes of the near number, longest
first, and the merged results are ordered by the length of the prefix they share with it.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from numplane.carriers.base import Carrier
from numplane.domain import e164, holds, lifecycle
from numplane.domain.config import SystemConfig
from numplane.domain.errors import DomainError, ErrorCode
from numplane.domain.holds import Hold
from numplane.domain.lifecycle import DecisionContext
from numplane.domain.locality import Locality, describe
from numplane.domain.numbers import Number
from numplane.domain.search import NO_FILTER, Probe, SearchFilter, near_levels, parse_filter, plan
from numplane.domain.states import State
from numplane.domain.transitions import SYSTEM_ACTOR
from numplane.domain.visibility import OFFERED
from numplane.resolvers.context import Requester, Services
from numplane.resolvers.system_config import get_config
from numplane.store.base import HIGH, Db, Doc, Key, Store
from numplane.store.readable import read_or_skip

log = logging.getLogger(__name__)

HARD_LIMIT = 100
"""Above config `max_batch`: a search saves what carriers offer, so it must stay small."""
CARRIER_TIMEOUT_SECONDS = 5.0
SCAN_BUDGET = 5000
"""Index rows one search may read in the store; a filter that keeps fewer than `quantity` numbers within
them returns what it found (the benchmark shows what each filter kind costs)."""
PAGE = 200
"""Index rows per read when conditions beyond the probe are checked on the documents."""

WORLD = "+"
"""The prefix of every number: accepted with a filter, which then does the narrowing (`locality: "London"`)."""

KeyRange = tuple[str, Key, Key]  # (view, start, end)


@dataclass(frozen=True, slots=True)
class NumberCandidate:
    e164: str
    state: State  # available or discovery
    carrier: str  # the carrier module (pvt_module_name)

    @property
    def where(self) -> Locality:
        """Its locality, region, country and type (a function of the number: see domain/locality)."""
        return describe(self.e164)


async def search_numbers(
    services: Services,
    requester: Requester,
    prefix: str,
    quantity: int,
    *,
    search: SearchFilter = NO_FILTER,
    timeout: float = CARRIER_TIMEOUT_SECONDS,
) -> list[NumberCandidate]:
    """Up to `quantity` numbers under `prefix` answering `search` that `requester` may acquire: by E.164
    within each source, or nearest first with `near`. Offered numbers are offered to every account
    (SPEC §3.5) except those another tree holds (issue 11): see `offered_to`."""
    if quantity < 1:
        raise DomainError(ErrorCode.INVALID_FIELD, "Ask for at least one number.", field=("quantity",))
    config = await get_config(services)
    wanted = min(quantity, config.max_batch, HARD_LIMIT)
    low = WORLD if prefix.strip() == WORLD and search.used else e164.prefix_of(prefix)
    now = services.clock()
    # A disabled account may only read (SPEC §3): its search answers from the store alone, since what the
    # carriers offer is only offered once saved as discovery numbers, a write it may not cause.
    upstream = (
        _ask_carriers(services, config, low, search, wanted, timeout)
        if requester.account.enabled else _nothing_upstream()
    )
    found, offered = await asyncio.gather(_from_store(services.store, requester, low, search, wanted, now), upstream)
    seen = {c.e164 for c in found}
    fresh = [(n, c) for n, c in offered if n not in seen][: wanted - len(found)]
    if fresh:
        # A number held from this requester is not offered by any source, even if a carrier offers it.
        found += await _discovered(services, requester, config, fresh)
    if search.near:
        near = search.near
        found.sort(key=lambda c: -_shared_length(c.e164, near))  # stable: each source's order within a length
    return found[:wanted]


async def read_filter(services: Services, fields: Mapping[str, Any]) -> SearchFilter:
    """A client's filter checked (INVALID_FIELD naming the field); `near` read in config `default_region`."""
    if not any(value is not None for value in fields.values()):
        return NO_FILTER
    config = await get_config(services)
    return parse_filter(**fields, default_region=config.default_region)


def offered_to(requester: Requester, candidate: NumberCandidate, now: datetime, hold: Hold | None) -> bool:
    """The one place deciding whether a number found in the store or offered upstream is offered to
    `requester`: every search result passes here. Offered numbers are offered to every account
    (SPEC §3.5) except while another tree holds them (issue 11)."""
    if candidate.state not in OFFERED:
        return False
    return hold is None or not holds.held_from(hold, requester.id, requester.account.tree, now)


def _answers(search: SearchFilter, prefix: str, number: str, doc: Doc) -> bool:
    where = Locality.from_doc(doc.get("pvt_locality")) or describe(number)
    return number.startswith(prefix) and search.matches(number, where)


async def _from_store(
    store: Store, requester: Requester, prefix: str, search: SearchFilter, wanted: int, now: datetime
) -> list[NumberCandidate]:
    """Available numbers answering `search`, read through the index ranges of `_ranges`."""
    page = wanted if not search.used else max(wanted, PAGE)
    found: dict[str, NumberCandidate] = {}
    budget = SCAN_BUDGET
    for view, start, end in _ranges(search, prefix):
        after: Key | None = None
        while len(found) < wanted and budget > 0:
            limit = min(page, budget)
            rows = await store.query(Db.NUMBERS, view, start=start, end=end, after=after, limit=limit)
            budget -= len(rows)
            for row in rows:
                if row.id in found or not _answers(search, prefix, row.id, row.doc):
                    continue
                number = read_or_skip(Number.from_doc, row.doc, "number search")
                if number is None:
                    continue
                candidate = NumberCandidate(row.id, number.state, number.module)
                if offered_to(requester, candidate, now, number.hold):
                    found[candidate.e164] = candidate
                    if len(found) == wanted:
                        break
            if len(rows) < limit:
                break
            after = rows[-1].key
        if len(found) >= wanted or budget <= 0:
            break
    if search.near:
        return list(found.values())  # already nearest first
    return sorted(found.values(), key=lambda c: c.e164)


def _ranges(search: SearchFilter, prefix: str) -> list[KeyRange]:
    """The index ranges a search reads, in order: the probes of `plan`, or the `near` walk."""
    if search.near:
        return _near_ranges(near_levels(search.near, prefix))
    return [_probe_range(probe) for probe in plan(search, prefix)]


def _probe_range(probe: Probe) -> KeyRange:
    if probe.facet == "p":  # an E.164 prefix: the `tree` view's available numbers
        return "tree", ("*", "s:available", probe.value), ("*", "s:available", probe.value + HIGH)
    if probe.whole:  # every row whose term is exactly the value (a shorter key sorts first)
        return "search", (probe.facet, probe.value), (probe.facet, probe.value, HIGH)
    return "search", (probe.facet, probe.value), (probe.facet, probe.value + HIGH)


def _near_ranges(levels: list[str]) -> list[KeyRange]:
    """Each level's numbers minus the previous (longer) level's, so no range is read twice."""
    def tree(low: str, high: str) -> KeyRange:
        return "tree", ("*", "s:available", low), ("*", "s:available", high)

    ranges = [tree(levels[0], levels[0] + HIGH)]
    for longer, shorter in itertools.pairwise(levels):
        ranges += [tree(shorter, longer), tree(longer + HIGH, shorter + HIGH)]
    return ranges


def _shared_length(number: str, near: str) -> int:
    length = 0
    for a, b in zip(number, near, strict=False):
        if a != b:
            break
        length += 1
    return length


async def _nothing_upstream() -> list[tuple[str, str]]:
    return []


async def _ask_carriers(
    services: Services, config: SystemConfig, prefix: str, search: SearchFilter, quantity: int, timeout: float
) -> list[tuple[str, str]]:
    """(number, carrier) offered upstream, first carrier first, each number once. A carrier that cannot
    apply every condition of the filter is not asked: its numbers would not answer it."""
    carriers = [c for c in services.carriers.upstream(config.carriers) if search.used <= c.supports]
    answers = await asyncio.gather(*(_ask(c, prefix, search, quantity, timeout) for c in carriers))
    offered: dict[str, str] = {}
    for carrier, numbers in zip(carriers, answers, strict=True):
        for number in numbers:
            offered.setdefault(number, carrier.name)
    return list(offered.items())


async def _ask(carrier: Carrier, prefix: str, search: SearchFilter, quantity: int, timeout: float) -> list[str]:
    try:
        numbers = await asyncio.wait_for(carrier.search(prefix, quantity, search), timeout)
    except TimeoutError:
        log.warning("carrier %s did not answer a search for %s within %.1fs; skipped", carrier.name, prefix, timeout)
        return []
    except Exception:  # a broken carrier module must not fail the search
        log.exception("carrier %s failed a search for %s; skipped", carrier.name, prefix)
        return []
    return [n for n in numbers if _is_number_under(n, prefix) and search.matches(n, describe(n))]


def _is_number_under(number: str, prefix: str) -> bool:
    # A carrier's answer is foreign input: keep only canonical E.164 numbers under the prefix asked.
    try:
        return e164.normalize(number) == number and number.startswith(prefix)
    except DomainError:
        return False


async def _discovered(
    services: Services, requester: Requester, config: SystemConfig, offered: Sequence[tuple[str, str]]
) -> list[NumberCandidate]:
    """Save what the store lacks as discovery; report what already exists only if it is offered."""
    ids = [n for n, _c in offered]
    existing = await services.store.get_many(Db.NUMBERS, ids)
    ctx = DecisionContext(actor=SYSTEM_ACTOR, config=config, now=services.clock())
    new = [
        lifecycle.create(n, State.DISCOVERY, ctx, None, module=carrier).number
        for n, carrier in offered
        if n not in existing
    ]
    # No `_rev`: a create that conflicts (someone saved the number meanwhile) changes nothing.
    results = await services.store.put_many(Db.NUMBERS, [n.to_doc() for n in new]) if new else []
    created = {n.e164 for n, r in zip(new, results, strict=True) if r.ok}
    raced = [n.e164 for n, r in zip(new, results, strict=True) if not r.ok]
    if raced:
        existing |= await services.store.get_many(Db.NUMBERS, raced)
    out: list[NumberCandidate] = []
    for number, carrier in offered:
        if number in created:
            out.append(NumberCandidate(number, State.DISCOVERY, carrier))
        elif number in existing:
            current = read_or_skip(Number.from_doc, existing[number], "number search")
            if current is None:
                continue
            candidate = NumberCandidate(number, current.state, current.module)
            if offered_to(requester, candidate, ctx.now, current.hold):
                out.append(candidate)
    return out
