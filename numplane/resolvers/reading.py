"""Reading numbers under the visibility rules (SPEC §3.5): what a requester cannot see does not exist."""

from __future__ import annotations

import asyncio
import heapq
from collections.abc import Iterable, Sequence
from typing import Any

from numplane.domain import e164
from numplane.domain.accounts import Account
from numplane.domain.documents import names_account
from numplane.domain.errors import DomainError, ErrorCode
from numplane.domain.numbers import Number
from numplane.domain.states import State
from numplane.domain.visibility import can_see_number
from numplane.resolvers.accounts import load_accounts
from numplane.resolvers.context import Requester, Services
from numplane.resolvers.paging import Page, decode_cursor, encode_cursor, none_listed, page_size
from numplane.resolvers.system_config import get_config
from numplane.store.base import HIGH, Db
from numplane.store.readable import readable, readable_by_id


def requester_can_see_number(requester: Requester, number: Number, previous_owner: Account | None = None) -> bool:
    return can_see_number(
        number, requester.account, is_admin=requester.is_admin,
        previous_owner_tree=previous_owner.tree if previous_owner else None,
    )


async def get_numbers(services: Services, requester: Requester, e164s: Iterable[str]) -> dict[str, Number]:
    """The visible numbers among `e164s` (already normalized), in one store read (plus one for the
    previous owners of aging numbers, whose visibility depends on them)."""
    ids = list(dict.fromkeys(e164s))
    docs = await services.store.get_many(Db.NUMBERS, ids) if ids else {}
    return await _visible(services, requester, readable_by_id(Number.from_doc, docs, "number read"))


async def _visible(services: Services, requester: Requester, numbers: dict[str, Number]) -> dict[str, Number]:
    previous_ids = {n.previous_owner for n in numbers.values() if n.state is State.AGING and n.previous_owner}
    previous = await load_accounts(services, previous_ids) if previous_ids and not requester.is_admin else {}
    return {
        i: n for i, n in numbers.items()
        if requester_can_see_number(requester, n, previous.get(n.previous_owner) if n.previous_owner else None)
    }


async def get_number(services: Services, requester: Requester, number: str) -> Number:
    """One visible number. A stored document that cannot be read is UNREADABLE_DOCUMENT naming the field
    for admins and the accounts its raw owner fields name; anyone else learns nothing of it (NOT_FOUND)."""
    region = (await get_config(services)).default_region
    normalized = e164.normalize(number, region)
    doc = (await services.store.get_many(Db.NUMBERS, [normalized])).get(normalized)
    if doc is not None and (requester.is_admin or names_account(doc, requester.id)):
        numbers = {normalized: Number.from_doc(doc)}  # raises UnreadableDocument
    else:
        numbers = readable_by_id(Number.from_doc, {normalized: doc} if doc is not None else {}, "number read")
    found = (await _visible(services, requester, numbers)).get(normalized)
    if found is None:
        raise DomainError(ErrorCode.NOT_FOUND, f"{normalized} is not a number you can see.", number=normalized)
    return found


async def list_numbers(
    services: Services,
    requester: Requester,
    *,
    account: Account | None = None,
    states: Sequence[State] | None = None,
    prefix: str | None = None,
    carrier: str | None = None,
    include_descendants: bool = True,
    first: int = 50,
    after: str | None = None,
    shows_history: bool = True,
) -> Page[Number]:
    """Numbers owned by an account (and, by default, its descendants), ordered by E.164, keyset-paged.

    Without `account`: the requester's own listing; for admins every number in the store. The numbers
    are read deferred (Number.from_doc): a caller that will show their audit trail says so
    (`shows_history`), and the trail is checked here, so a number whose trail cannot be read is skipped
    (and logged) like any other unreadable one rather than failing the page when the trail is shown.
    Otherwise the store is asked for the documents' listing forms (numplane.store.listing), without the
    trails a page would decode only to drop.
    """
    size = page_size(first)
    position = decode_cursor(after)
    scope = _scope(requester, account, include_descendants)
    if scope is None:
        return Page([], [], has_next=False, total=none_listed)
    low = e164.prefix_of(prefix) if prefix else "+"
    # One index range per facet, merged by E.164: states are separate ranges, so several are merged.
    facets = _facets(states, carrier)
    store = services.store
    ranges = await asyncio.gather(
        *(
            store.query(
                Db.NUMBERS, "tree", start=(scope, facet, low), end=(scope, facet, low + HIGH),
                after=(scope, facet, position) if position else None, limit=size + 1, listing=not shows_history,
            )
            for facet in facets
        )
    )
    merged = ranges[0] if len(ranges) == 1 else list(heapq.merge(*ranges, key=lambda row: row.id))
    shown = merged[:size]
    items = readable(lambda row: _listed(services, row.doc, shows_history), shown, "numbers listing")

    async def total() -> int:
        # The same ranges without the cursor; a number has one state, so the facets' counts never overlap.
        counts = await asyncio.gather(
            *(store.count(Db.NUMBERS, "tree", (scope, facet, low), (scope, facet, low + HIGH)) for facet in facets)
        )
        return sum(counts)

    return Page(
        items, [encode_cursor(n.e164) for n in items], has_next=len(merged) > size, total=total,
        resume=encode_cursor(shown[-1].id) if shown else None,
    )


def _listed(services: Services, doc: dict[str, Any], shows_history: bool) -> Number:
    if not shows_history:  # the store was asked for the listing form, which may lack the trail
        return services.listed.read(doc, listing_form=True)
    number = services.listed.read(doc, listing_form=False)
    _ = number.history_docs  # converted now, so that UnreadableDocument skips the row here
    return number


def _facets(states: Sequence[State] | None, carrier: str | None) -> list[str]:
    """The index facets (numplane.store.views) whose union is the filter."""
    if states and carrier:
        return ["sc:" + s.value + ":" + carrier for s in dict.fromkeys(states)]
    if states:
        return ["s:" + s.value for s in dict.fromkeys(states)]
    return ["c:" + carrier] if carrier else [""]


def _scope(requester: Requester, account: Account | None, include_descendants: bool) -> str | None:
    if account is None:
        if requester.is_admin:
            return "*"
        account = requester.account
    if not (requester.is_admin or requester.account.controls(account.id, account.tree)):
        return None  # an ancestor's or unrelated account's numbers are not listed
    return account.id if include_descendants else "=" + account.id
