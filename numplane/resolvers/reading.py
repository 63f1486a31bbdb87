"""Reading numbers under the visibility rules (SPEC §3.5): what a requester cannot see does not exist."""

from __future__ import annotations

import asyncio
import heapq
from collections.abc import Iterable, Sequence

from numplane.domain import e164
from numplane.domain.accounts import Account
from numplane.domain.errors import DomainError, ErrorCode
from numplane.domain.numbers import Number
from numplane.domain.states import State
from numplane.domain.visibility import can_see_number
from numplane.resolvers.accounts import load_accounts
from numplane.resolvers.context import Requester, Services
from numplane.resolvers.paging import Page, decode_cursor, encode_cursor, page_size
from numplane.resolvers.system_config import get_config
from numplane.store.base import HIGH, Db


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
    numbers = {i: Number.from_doc(d) for i, d in docs.items()}
    previous_ids = {n.previous_owner for n in numbers.values() if n.state is State.AGING and n.previous_owner}
    previous = await load_accounts(services, previous_ids) if previous_ids and not requester.is_admin else {}
    return {
        i: n for i, n in numbers.items()
        if requester_can_see_number(requester, n, previous.get(n.previous_owner) if n.previous_owner else None)
    }


async def get_number(services: Services, requester: Requester, number: str) -> Number:
    region = (await get_config(services)).default_region
    normalized = e164.normalize(number, region)
    found = (await get_numbers(services, requester, [normalized])).get(normalized)
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
) -> Page[Number]:
    """Numbers owned by an account (and, by default, its descendants), ordered by E.164, keyset-paged.

    Without `account`: the requester's own listing; for admins every number in the store.
    """
    size = page_size(first)
    position = decode_cursor(after)
    scope = _scope(requester, account, include_descendants)
    if scope is None:
        return Page([], [], has_next=False)
    low = e164.prefix_of(prefix) if prefix else "+"
    if states and carrier:
        numbers = await _carrier_in_states(services, scope, carrier, set(states), low, position, size + 1)
        items = numbers[:size]
        return Page(items, [encode_cursor(n.e164) for n in items], has_next=len(numbers) > size)
    # One index range per facet, merged by E.164: states are separate ranges, so several are merged.
    facets = ["s:" + s.value for s in dict.fromkeys(states)] if states else ["c:" + carrier] if carrier else [""]
    ranges = await asyncio.gather(
        *(
            services.store.query(
                Db.NUMBERS, "tree", start=(scope, facet, low), end=(scope, facet, low + HIGH),
                after=(scope, facet, position) if position else None, limit=size + 1,
            )
            for facet in facets
        )
    )
    merged = heapq.merge(*ranges, key=lambda row: row.id)
    numbers = [Number.from_doc(row.doc) for row in merged]
    items = numbers[:size]
    return Page(items, [encode_cursor(n.e164) for n in items], has_next=len(numbers) > size)


async def _carrier_in_states(
    services: Services, scope: str, carrier: str, states: set[State], low: str, position: str | None, wanted: int
) -> list[Number]:
    """Both filters at once (rare): walk the carrier's index range and keep the wanted states, reading
    on until `wanted` numbers are found or the range ends, so paging stays exact."""
    facet = "c:" + carrier
    found: list[Number] = []
    batch = max(wanted, 200)
    while len(found) < wanted:
        rows = await services.store.query(
            Db.NUMBERS, "tree", start=(scope, facet, low), end=(scope, facet, low + HIGH),
            after=(scope, facet, position) if position else None, limit=batch,
        )
        found += [n for n in (Number.from_doc(r.doc) for r in rows) if n.state in states]
        if len(rows) < batch:
            break
        position = rows[-1].id
    return found[:wanted]


def _scope(requester: Requester, account: Account | None, include_descendants: bool) -> str | None:
    if account is None:
        if requester.is_admin:
            return "*"
        account = requester.account
    if not (requester.is_admin or requester.account.controls(account.id, account.tree)):
        return None  # an ancestor's or unrelated account's numbers are not listed
    return account.id if include_descendants else "=" + account.id
