"""holdNumbers / extendHolds / releaseHolds (issue 11): Plans run by the bulk engine.

The rules are in numplane.domain.holds and lifecycle.hold; here only the per-account count is read
(the `holds` index: the holder's records whose end is after now) before the engine decides.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from numplane.domain import holds, lifecycle
from numplane.domain.accounts import Account
from numplane.domain.clock import format_time
from numplane.domain.lifecycle import Decision, DecisionContext
from numplane.domain.numbers import Number
from numplane.resolvers.accounts import get_account
from numplane.resolvers.bulk import BulkResult, NumberRef, Plan, run
from numplane.resolvers.context import Requester, Services
from numplane.resolvers.system_config import get_config
from numplane.store.base import HIGH, Db


async def held_by(services: Services, account_id: str, now: datetime, limit: int) -> set[str]:
    """The numbers `account_id` holds at `now` (up to `limit` of them)."""
    rows = await services.store.query(
        Db.NUMBERS, "holds", start=("=" + account_id, format_time(now)), end=("=" + account_id, HIGH), limit=limit
    )
    return {r.id for r in rows}


async def hold_numbers(
    services: Services,
    requester: Requester,
    refs: Sequence[NumberRef],
    *,
    account_id: str | None = None,
    minutes: int = holds.DEFAULT_MINUTES,
) -> BulkResult:
    requester.ensure_may_change()
    holds.check_minutes(minutes)
    holder = await get_account(services, requester, account_id) if account_id else requester.account
    config = await get_config(services)
    already = await held_by(services, holder.id, services.clock(), config.max_holds_per_account + 1)
    # Numbers this request adds to the holder's count; a set, so a conflict's re-decision counts once.
    adding: set[str] = set()

    def decide(
        number: Number | None, number_id: str, ctx: DecisionContext, _accounts: Mapping[str, Account]
    ) -> Decision:
        assert number is not None  # the engine reports missing numbers as NOT_FOUND
        if number_id not in already and number_id not in adding:
            holds.check_room(holder.id, len(already) + len(adding), 1, config.max_holds_per_account)
            adding.add(number_id)
        return lifecycle.hold(number, ctx, holder, minutes)

    return await run(services, requester, refs, Plan(decide=decide))


async def extend_holds(
    services: Services, requester: Requester, refs: Sequence[NumberRef], *, minutes: int
) -> BulkResult:
    def decide(number: Number | None, _id: str, ctx: DecisionContext, _accounts: Mapping[str, Account]) -> Decision:
        assert number is not None
        return lifecycle.extend_hold(number, ctx, minutes)

    return await run(services, requester, refs, Plan(decide=decide))


async def release_holds(services: Services, requester: Requester, refs: Sequence[NumberRef]) -> BulkResult:
    def decide(number: Number | None, _id: str, ctx: DecisionContext, _accounts: Mapping[str, Account]) -> Decision:
        assert number is not None
        return lifecycle.release_hold(number, ctx)

    return await run(services, requester, refs, Plan(decide=decide))
