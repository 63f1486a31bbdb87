"""Following changes (SPEC §9): long-polled pages (`numberChanges`) and a live stream (`numberChanged`).

Both read through the process's ChangeHub, never the store's feed directly per client. A receiver hears
of a change if it could see the number before or after it, and an event never carries what it may not
see now: the number (and the transition naming the new owner) only when visible after the change.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from numplane.changes.hub import ChangeHub, FeedEntry, SubscriberTooSlow
from numplane.domain.accounts import Account
from numplane.domain.errors import DomainError, ErrorCode
from numplane.domain.numbers import Number, Transition
from numplane.domain.states import State
from numplane.domain.visibility import (
    can_see_after_change,
    could_see_change,
    redact_transition,
    with_owner_lineage,
)
from numplane.resolvers.accounts import get_account
from numplane.resolvers.context import Requester, Services
from numplane.store.base import InvalidCursor

MAX_FIRST = 1000
MAX_WAIT_SECONDS = 30
_READ = 200  # entries read per step; most are not visible to a given receiver
_SCAN_LIMIT = 20 * MAX_FIRST  # entries one request may skip before answering "more later"


@dataclass(frozen=True, slots=True)
class NumberChangeEvent:
    cursor: str
    e164: str
    state: State  # after the change (`deleted` for a deletion)
    deleted: bool
    transition: Transition | None
    number: Number | None  # null when deleted or not visible to the receiver after the change


@dataclass(frozen=True, slots=True)
class NumberChangePage:
    changes: list[NumberChangeEvent]
    cursor: str
    has_more: bool


def event_for(entry: FeedEntry, requester: Requester) -> NumberChangeEvent | None:
    """The event this requester receives for an entry, or None when it could see the number neither
    before nor after the change."""
    viewer, admin = requester.account, requester.is_admin
    if not could_see_change(entry.number, entry.before, viewer, is_admin=admin, ancestors=entry.ancestors):
        return None
    visible = can_see_after_change(entry.number, viewer, is_admin=admin, ancestors=entry.ancestors)
    last = entry.number.last_transition
    # A receiver that lost sight of the number must not learn who has it now (owner_after, requester);
    # a deletion's entry names only the last owner, which the receiver could see. Within what it may
    # see, accounts it may not see are left out (SPEC §3.5), as on the number's own history.
    transition = last if visible or entry.deleted else None
    if transition is not None and not admin:
        trees = with_owner_lineage(entry.number, entry.ancestors)
        transition = redact_transition(transition, viewer, is_admin=admin, ancestors=trees)
    return NumberChangeEvent(
        cursor=entry.cursor, e164=entry.e164, state=entry.number.state, deleted=entry.deleted,
        transition=transition, number=entry.number if visible else None,
    )


async def number_changes(
    services: Services,
    requester: Requester,
    *,
    after: str | None = None,
    first: int = 100,
    wait_seconds: int = 0,
) -> NumberChangePage:
    """The changes visible to the requester since `after`, oldest first, at most `first`; waits up to
    `wait_seconds` for one when there is none yet. Without `after`, from now."""
    hub = hub_of(services)
    if first < 0:
        raise DomainError(ErrorCode.INVALID_FIELD, "first must be 0 or more.", field=("first",))
    if wait_seconds < 0:
        raise DomainError(ErrorCode.INVALID_FIELD, "waitSeconds must be 0 or more.", field=("waitSeconds",))
    first, wait = min(first, MAX_FIRST), min(wait_seconds, MAX_WAIT_SECONDS)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    cursor = after if after is not None else await hub.now()
    events: list[NumberChangeEvent] = []
    scanned = 0
    while True:
        try:
            page = await hub.read(cursor, _READ)
        except InvalidCursor:
            raise DomainError(
                ErrorCode.INVALID_FIELD,
                "Not a change cursor of this store; start again without `after` and keep the cursor it returns.",
                field=("after",),
            ) from None
        for entry in page.entries:
            event = event_for(entry, requester)
            if event is not None:
                if len(events) >= first:
                    return NumberChangePage(events, cursor, has_more=True)
                events.append(event)
            cursor = entry.cursor
        cursor = page.cursor
        scanned += len(page.entries)
        if page.has_more and scanned < _SCAN_LIMIT:
            continue
        remaining = deadline - loop.time()
        if events or page.has_more or remaining <= 0:
            return NumberChangePage(events, cursor, has_more=page.has_more)
        await hub.wait(cursor, remaining)


async def subscribe(
    services: Services,
    requester: Requester,
    *,
    account_id: str | None = None,
    include_descendants: bool = True,
    states: Sequence[State] | None = None,
) -> AsyncIterator[NumberChangeEvent]:
    """Live events from now on, for numbers owned (before or after the change) by `account_id` (and its
    descendants) and in `states` (before or after), among those the requester may hear of.

    Ends with LIMIT_EXCEEDED when the subscriber falls too far behind: it should reconnect and catch up
    with `numberChanges`.
    """
    hub = hub_of(services)
    scope = await get_account(services, requester, account_id) if account_id else None
    wanted = frozenset(states) if states else None

    def accept(entry: FeedEntry) -> bool:
        if wanted is not None and not _in_states(entry, wanted):
            return False
        if scope is not None and not _concerns(entry, scope, include_descendants):
            return False
        return event_for(entry, requester) is not None

    await hub.sync()  # "from now" includes what this process wrote just before subscribing
    subscription = hub.subscribe(accept)
    try:
        async for entry in subscription:
            event = event_for(entry, requester)
            if event is not None:
                yield event
    except SubscriberTooSlow:
        raise DomainError(
            ErrorCode.LIMIT_EXCEEDED,
            "This subscription fell too far behind the changes and was closed; resubscribe and catch up "
            "with numberChanges.",
        ) from None
    finally:
        subscription.close()


def _in_states(entry: FeedEntry, wanted: frozenset[State]) -> bool:
    return entry.number.state in wanted or (entry.before is not None and entry.before.state in wanted)


def _concerns(entry: FeedEntry, scope: Account, include_descendants: bool) -> bool:
    def owned(number: Number | None) -> bool:
        if number is None or number.owner is None:
            return False
        return number.owner == scope.id or (include_descendants and scope.id in number.assigned_tree)

    return owned(entry.number) or owned(entry.before)


def hub_of(services: Services) -> ChangeHub:
    if services.hub is None or not services.hub.running:
        raise RuntimeError("the change hub is not running: the app's lifespan starts it (Services.hub)")
    return services.hub
