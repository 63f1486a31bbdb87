"""searchNumbers (SPEC §5): numbers one can acquire under a prefix, from the store and the carriers.

The store's available numbers come first (no carrier call needed to take them); the enabled upstream
carriers fill the rest, asked concurrently and each within a timeout, so one slow or broken carrier
costs the search its numbers, not the search. What a carrier offers that the store does not hold is
saved as `discovery` with create-only writes, so a number that exists is never duplicated or changed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from numplane.carriers.base import Carrier
from numplane.domain import e164, holds, lifecycle
from numplane.domain.config import SystemConfig
from numplane.domain.errors import DomainError, ErrorCode
from numplane.domain.holds import Hold
from numplane.domain.lifecycle import DecisionContext
from numplane.domain.numbers import Number
from numplane.domain.states import State
from numplane.domain.transitions import SYSTEM_ACTOR
from numplane.domain.visibility import OFFERED
from numplane.resolvers.context import Requester, Services
from numplane.resolvers.system_config import get_config
from numplane.store.base import HIGH, Db, Doc, Key

log = logging.getLogger(__name__)

HARD_LIMIT = 100
"""Above config `max_batch`: a search saves what carriers offer, so it must stay small."""
CARRIER_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class NumberCandidate:
    e164: str
    state: State  # available or discovery
    carrier: str  # the carrier module (pvt_module_name)


async def search_numbers(
    services: Services,
    requester: Requester,
    prefix: str,
    quantity: int,
    *,
    timeout: float = CARRIER_TIMEOUT_SECONDS,
) -> list[NumberCandidate]:
    """Up to `quantity` numbers under `prefix` that `requester` may acquire, by E.164 within each source.

    Offered numbers are offered to every account (SPEC §3.5) except those another tree holds (issue 11)."""
    if quantity < 1:
        raise DomainError(ErrorCode.INVALID_FIELD, "Ask for at least one number.", field=("quantity",))
    config = await get_config(services)
    wanted = min(quantity, config.max_batch, HARD_LIMIT)
    low = e164.prefix_of(prefix)
    now = services.clock()
    docs, offered = await asyncio.gather(
        _available(services, requester, low, wanted, now), _ask_carriers(services, config, low, wanted, timeout)
    )
    found = [NumberCandidate(d["_id"], State.AVAILABLE, str(d.get("pvt_module_name") or "local")) for d in docs]
    # A number held from this requester is not offered by any source, even if a carrier offers it.
    seen = {c.e164 for c in found}
    fresh = [(n, c) for n, c in offered if n not in seen][: wanted - len(found)]
    if fresh:
        found += await _discovered(services, requester, config, fresh)
    return found[:wanted]


def _offered_to(doc: Doc, requester: Requester, now: datetime) -> bool:
    """The one candidate rule: a stored number is a candidate unless a hold keeps it from the requester."""
    raw = doc.get("pvt_hold")
    if not raw:
        return True
    return not holds.held_from(Hold.from_doc(raw), requester.id, requester.account.tree, now)


async def _available(services: Services, requester: Requester, low: str, wanted: int, now: datetime) -> list[Doc]:
    """The store's available numbers under the prefix, held ones skipped (paging on past them)."""
    start, end = ("*", "s:available", low), ("*", "s:available", low + HIGH)
    out: list[Doc] = []
    after: Key | None = None
    while len(out) < wanted:
        rows = await services.store.query(Db.NUMBERS, "tree", start=start, end=end, after=after, limit=wanted)
        out += [r.doc for r in rows if _offered_to(r.doc, requester, now)]
        if len(rows) < wanted:
            break
        after = rows[-1].key
    return out[:wanted]


async def _ask_carriers(
    services: Services, config: SystemConfig, prefix: str, quantity: int, timeout: float
) -> list[tuple[str, str]]:
    """(number, carrier) offered upstream, first carrier first, each number once."""
    carriers = services.carriers.upstream(config.carriers)
    answers = await asyncio.gather(*(_ask(c, prefix, quantity, timeout) for c in carriers))
    offered: dict[str, str] = {}
    for carrier, numbers in zip(carriers, answers, strict=True):
        for number in numbers:
            offered.setdefault(number, carrier.name)
    return list(offered.items())


async def _ask(carrier: Carrier, prefix: str, quantity: int, timeout: float) -> list[str]:
    try:
        numbers = await asyncio.wait_for(carrier.search(prefix, quantity), timeout)
    except TimeoutError:
        log.warning("carrier %s did not answer a search for %s within %.1fs; skipped", carrier.name, prefix, timeout)
        return []
    except Exception:  # a broken carrier module must not fail the search
        log.exception("carrier %s failed a search for %s; skipped", carrier.name, prefix)
        return []
    return [n for n in numbers if _is_number_under(n, prefix)]


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
        elif number in existing and _offered_to(existing[number], requester, ctx.now):
            current = Number.from_doc(existing[number])
            if current.state in OFFERED:
                out.append(NumberCandidate(number, current.state, current.module))
    return out
