"""Output types of the contract, kept apart from the domain models and built by `from_domain`.

Every field that reaches another account or number goes through the visibility rules of SPEC §3.5:
what the requester may not see is absent (null, or left out of a list), never shown.

How a type resolves its fields (new types follow this; it decides a listing page's cost):
- Values the loaded document already holds are plain attributes copied in by `from_domain`, or plain
  (`def`) resolvers when converting them costs more than an attribute read and most queries never ask
  for them: `history`, `features`, `publicFields`.
- A field that may need a load is a plain `def` returning `Loaded[T]`: the value itself when the caller
  already loaded it (a listing loads the owners of a whole page once), else the loader's coroutine.
  graphql-core awaits only what is awaitable, so a page of a hundred nodes costs no asyncio task per
  node; `async def` is for fields that always load (`children`, `numbers`). When the object may hold
  the value already (a listing's owners), `loaded_field(..., held=...)` reads it without the resolver's
  info on the compiled path.
- Whatever leaves the server about another account goes through `visible_account(s)` (or the page's
  `listed_owners`): the one place a visibility filter lives.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, TypeAlias, TypeVar

import strawberry

from numplane.domain import e164
from numplane.domain.accounts import Account as DomainAccount
from numplane.domain.config import SystemConfig as DomainConfig
from numplane.domain.numbers import Number as DomainNumber
from numplane.domain.numbers import Transition as DomainTransition
from numplane.domain.states import State
from numplane.domain.visibility import (
    history_accounts_to_look_up,
    redact_history,
    visible_hold,
    with_owner_lineage,
)
from numplane.resolvers import accounts, numbers
from numplane.resolvers.paging import Page
from numplane.resolvers.search import NumberCandidate as DomainCandidate
from numplane.schema.compiled_plan import HELD, NOT_HELD
from numplane.schema.context import Info
from numplane.schema.enums import HuntDisposition, NumberState, NumberType
from numplane.schema.errors import or_query_error
from numplane.schema.inputs import NumberFilter
from numplane.schema.node_ids import to_global_id
from numplane.schema.scalars import JSONObject
from numplane.schema.selection import selects

if TYPE_CHECKING:
    from numplane.schema.port_types import PortRequest

MAX_HISTORY = 1000

T = TypeVar("T")
# A field's value as loaded, or the coroutine that loads it (see the module docstring).
Loaded: TypeAlias = T | Awaitable[T]
Resolver = TypeVar("Resolver", bound=Callable[..., Any])


def loaded_field(graphql_type: object, held: Callable[[Any], object] | None = None) -> Callable[[Resolver], Resolver]:
    """`strawberry.field` for a resolver returning `Loaded[T]`: its GraphQL type is given here, since the
    annotation also names the awaitable. `held(self)` is the value when the object already holds it (else
    NOT_HELD): the compiled path then reads it without the resolver's info (numplane.schema.compiled_plan)."""
    decorate: Callable[[Resolver], Resolver] = strawberry.field(
        graphql_type=graphql_type, metadata={HELD: held} if held is not None else None
    )
    return decorate


@strawberry.interface
class Node:
    id: strawberry.ID


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Transition:
    at: datetime
    action: str
    from_: NumberState | None = strawberry.field(name="from")
    to: NumberState | None
    requester: str | None
    owner_before: str | None
    owner_after: str | None

    @classmethod
    def from_domain(cls, t: DomainTransition) -> Transition:
        return cls(
            at=t.at, action=t.action, from_=t.from_state, to=t.to_state,
            requester=t.requester, owner_before=t.owner_before, owner_after=t.owner_after,
        )


def visible_account(info: Info, account_id: str | None) -> Loaded[Account | None]:
    if not account_id:
        return None
    requester = info.context.requester
    if account_id == requester.id:
        return Account.from_domain(requester.account)  # one's own account needs no read
    return _load_visible_account(info, account_id)


async def _load_visible_account(info: Info, account_id: str) -> Account | None:
    account = await info.context.accounts.load(account_id)
    if account is None or not accounts.requester_can_see_account(info.context.requester, account):
        return None
    return Account.from_domain(account)


async def visible_accounts(info: Info, ids: tuple[str, ...]) -> list[Account]:
    loaded = await info.context.accounts.load_many(list(ids))
    requester = info.context.requester
    return [
        Account.from_domain(a) for a in loaded if a is not None and accounts.requester_can_see_account(requester, a)
    ]


def visible_history(
    info: Info, number: DomainNumber, transitions: tuple[DomainTransition, ...]
) -> Loaded[list[Transition]]:
    """The entries with the accounts the requester may not see left out (SPEC §3.5); loaded only when an
    entry names an account outside the requester's lineage and the number's owner line."""
    requester = info.context.requester
    trees = dict(with_owner_lineage(number, {}))
    wanted = history_accounts_to_look_up(transitions, requester.account, is_admin=requester.is_admin) - trees.keys()
    if wanted:
        return _load_visible_history(info, transitions, wanted, trees)
    return _redacted(info, transitions, trees)


async def _load_visible_history(
    info: Info, transitions: tuple[DomainTransition, ...], wanted: set[str], trees: dict[str, tuple[str, ...]]
) -> list[Transition]:
    loaded = await info.context.accounts.load_many(sorted(wanted))
    trees.update({a.id: a.tree for a in loaded if a is not None})
    return _redacted(info, transitions, trees)


def _redacted(
    info: Info, transitions: tuple[DomainTransition, ...], trees: dict[str, tuple[str, ...]]
) -> list[Transition]:
    requester = info.context.requester
    kept = redact_history(transitions, requester.account, is_admin=requester.is_admin, ancestors=trees)
    return [Transition.from_domain(t) for t in kept]


@strawberry.type
class Account(Node):
    account_id: str  # the 32-hex id used everywhere else
    name: str
    enabled: bool
    good_standing: bool
    allow_number_additions: bool
    is_admin: bool
    account: strawberry.Private[DomainAccount]

    @classmethod
    def from_domain(cls, a: DomainAccount) -> Account:
        return cls(
            id=strawberry.ID(to_global_id("Account", a.id)), account_id=a.id, name=a.name, enabled=a.enabled,
            good_standing=a.good_standing, allow_number_additions=a.allow_additions, is_admin=a.is_admin,
            account=a,
        )

    @loaded_field(Annotated["Account", strawberry.lazy("numplane.schema.types")] | None)  # itself, not yet bound
    def parent(self, info: Info) -> Loaded[Account | None]:
        return visible_account(info, self.account.parent_id)

    @strawberry.field
    async def ancestors(self, info: Info) -> list[Account]:
        return await visible_accounts(info, self.account.tree)

    @strawberry.field
    async def children(self, info: Info, first: int | None = 50, after: str | None = None) -> AccountConnection:
        page = await or_query_error(
            accounts.children(info.context.services, info.context.requester, self.account, _first(first), after)
        )
        return AccountConnection.from_page(page)

    @strawberry.field
    async def descendants(self, info: Info, first: int | None = 50, after: str | None = None) -> AccountConnection:
        page = await or_query_error(
            accounts.descendants(info.context.services, info.context.requester, self.account, _first(first), after)
        )
        return AccountConnection.from_page(page)

    @strawberry.field
    async def numbers(
        self, info: Info, filter: NumberFilter | None = None, first: int | None = 50, after: str | None = None
    ) -> PhoneNumberConnection:
        return await number_connection(info, self.account, filter, _first(first), after)


@strawberry.type(description="A hold that still counts, shown to those who may see the holding account")
class NumberHold:
    expires_at: datetime
    holder: strawberry.Private[str]

    @loaded_field(Account | None)
    def account(self, info: Info) -> Loaded[Account | None]:
        return visible_account(info, self.holder)


@strawberry.type
class PhoneNumber(Node):
    # Plain values are copied in once: a listing page resolves each of them a hundred times, and a
    # resolver method costs several times an attribute read in strawberry.
    e164: str
    state: NumberState
    carrier: str  # pvt_module_name
    ported_in: bool
    used_by: str | None
    revision: str
    created_at: datetime
    modified_at: datetime
    state_changed_at: datetime
    number: strawberry.Private[DomainNumber]
    # The owner as a listing already loaded it (visibility applied); None means "not loaded yet".
    listed_owner: strawberry.Private[tuple[Account | None] | None] = None

    @classmethod
    def from_domain(cls, n: DomainNumber, listed_owner: tuple[Account | None] | None = None) -> PhoneNumber:
        created = _required_time(n.created)
        return cls(
            id=strawberry.ID(to_global_id("PhoneNumber", n.e164)), e164=n.e164, state=n.state, carrier=n.module,
            ported_in=n.ported_in, used_by=n.used_by, revision=n.rev or "", created_at=created,
            modified_at=n.modified or created, state_changed_at=n.state_changed_at or created,
            number=n, listed_owner=listed_owner,
        )

    @loaded_field(Account | None, held=lambda n: n.listed_owner[0] if n.listed_owner is not None else NOT_HELD)
    def account(self, info: Info) -> Loaded[Account | None]:
        if self.listed_owner is not None:
            return self.listed_owner[0]
        return visible_account(info, self.number.owner)

    @loaded_field(Account | None)
    def previous_account(self, info: Info) -> Loaded[Account | None]:
        return visible_account(info, self.number.previous_owner)

    @strawberry.field
    async def reserve_history(self, info: Info) -> list[Account]:
        return await visible_accounts(info, self.number.reserve_history)

    @strawberry.field
    def public_fields(self) -> JSONObject:
        return JSONObject(dict(self.number.public))

    @strawberry.field
    def features(self) -> list[str]:
        return sorted(self.number.features)

    @strawberry.field
    def hold(self, info: Info) -> NumberHold | None:
        requester = info.context.requester
        hold = visible_hold(
            self.number, requester.account, is_admin=requester.is_admin, now=info.context.services.clock()
        )
        return NumberHold(expires_at=hold.expires_at, holder=hold.account) if hold is not None else None

    @strawberry.field
    def classification(self) -> str:
        return e164.classify(self.number.e164)  # already E.164: no region needed

    @loaded_field(Annotated["PortRequest", strawberry.lazy("numplane.schema.port_types")] | None)
    def port_request(self, info: Info) -> Loaded[Any]:
        """The port request that brought the number in (null when none, or when the reader may not see it)."""
        request_id = self.number.port_request
        return _load_port_request(info, request_id) if request_id else None

    @loaded_field(list[Transition])
    def history(self, info: Info, last: int | None = 20) -> Loaded[list[Transition]]:
        count = max(0, min(last if last is not None else 20, MAX_HISTORY))
        return visible_history(info, self.number, self.number.recent_history(count))


async def _load_port_request(info: Info, request_id: str) -> Any:
    from numplane.schema.port_types import PortRequest

    found = await or_query_error(info.context.port_request_loader.load(request_id))
    return PortRequest.from_domain(found) if found is not None else None


def _required_time(moment: datetime | None) -> datetime:
    # Imported legacy documents may lack timestamps; the epoch says "unknown" without breaking the type.
    return moment if moment is not None else datetime.fromtimestamp(0, tz=UTC)


@strawberry.type
class PhoneNumberEdge:
    cursor: str
    node: PhoneNumber


Total: TypeAlias = Callable[[], Awaitable[int]] | None


async def counted(total: Total) -> int | None:
    """A listing's totalCount: counted from the index when the client selects it, null if it cannot be."""
    return await or_query_error(total()) if total is not None else None


@strawberry.type
class PhoneNumberConnection:
    edges: list[PhoneNumberEdge]
    page_info: PageInfo
    total: strawberry.Private[Total] = None

    @strawberry.field
    async def total_count(self) -> int | None:
        """How many numbers match the filter (all pages), counted from the index."""
        return await counted(self.total)

    @classmethod
    def from_page(
        cls,
        page: Page[DomainNumber],
        requester_sees: Any = None,
        owners: dict[str, Account | None] | None = None,
    ) -> PhoneNumberConnection:
        pairs = [
            (n, c) for n, c in zip(page.items, page.cursors, strict=True) if requester_sees is None or requester_sees(n)
        ]

        def node(n: DomainNumber) -> PhoneNumber:
            listed = (owners.get(n.owner) if n.owner else None,) if owners is not None else None
            return PhoneNumber.from_domain(n, listed)

        return cls(
            edges=[PhoneNumberEdge(cursor=c, node=node(n)) for n, c in pairs],
            page_info=PageInfo(has_next_page=page.has_next, end_cursor=page.end_cursor),
            total=page.total,
        )


async def number_connection(
    info: Info, account: DomainAccount | None, filter: NumberFilter | None, first: int, after: str | None
) -> PhoneNumberConnection:
    f = filter or NumberFilter()
    requester = info.context.requester
    page = await or_query_error(
        numbers.list_numbers(
            info.context.services, requester, account=account, states=f.state_list(), prefix=f.prefix,
            carrier=f.carrier, include_descendants=f.include_descendants is not False, first=first, after=after,
            shows_history=selects(info, "edges", "node", "history"),
        )
    )
    # Listings are already scoped by the resolver; filtering again costs nothing and means a listing
    # bug can never hand out another tenant's number.
    visible = [n for n in page.items if numbers.requester_can_see_number(requester, n)]
    shown = {n.e164 for n in visible}  # decided once a number: the edges keep the same ones
    return PhoneNumberConnection.from_page(page, lambda n: n.e164 in shown, await listed_owners(info, visible))


async def listed_owners(info: Info, listed: list[DomainNumber]) -> dict[str, Account | None]:
    """The owners of a page of numbers, loaded once and shared by every node (visibility applied), so
    `account` on a hundred nodes does not mean a hundred loader round trips."""
    requester = info.context.requester
    # The requester's own numbers are the common page: its account is at hand, not to be read again.
    ids = sorted({n.owner for n in listed if n.owner and n.owner != requester.id})
    loaded = await info.context.accounts.load_many(ids) if ids else []
    owners = {
        i: Account.from_domain(a) if a is not None and accounts.requester_can_see_account(requester, a) else None
        for i, a in zip(ids, loaded, strict=True)
    }
    if any(n.owner == requester.id for n in listed):
        owners[requester.id] = Account.from_domain(requester.account)
    return owners


def _first(first: int | None) -> int:
    return 50 if first is None else first


@strawberry.type
class AccountEdge:
    cursor: str
    node: Account


@strawberry.type
class AccountConnection:
    edges: list[AccountEdge]
    page_info: PageInfo
    total: strawberry.Private[Total] = None

    @strawberry.field
    async def total_count(self) -> int | None:
        """How many accounts the listing holds (all pages), counted from the index."""
        return await counted(self.total)

    @classmethod
    def from_page(cls, page: Page[DomainAccount]) -> AccountConnection:
        return cls(
            edges=[
                AccountEdge(cursor=c, node=Account.from_domain(a))
                for a, c in zip(page.items, page.cursors, strict=True)
            ],
            page_info=PageInfo(has_next_page=page.has_next, end_cursor=page.end_cursor),
            total=page.total,
        )


@strawberry.type
class NumberCandidate:
    e164: str
    state: NumberState
    carrier: str
    locality: str | None = strawberry.field(description="The place libphonenumber's geocoder gives it")
    region: str | None = strawberry.field(description="Its state or province, when the geocoder names one")
    country: str | None = strawberry.field(description="ISO 3166 region code")
    type: NumberType

    @classmethod
    def from_domain(cls, found: DomainCandidate) -> NumberCandidate:
        where = found.where
        return cls(
            e164=found.e164, state=found.state, carrier=found.carrier, locality=where.locality,
            region=where.region, country=where.country or None, type=NumberType(where.type),
        )


def _owner_account(root: Any) -> Account | None:
    # Routers seldom ask a hunt for the account: built only when asked.
    return Account.from_domain(root.owner) if root.owner is not None else None


@strawberry.type
class HuntResult:
    number: str
    disposition: HuntDisposition
    account: Account | None = strawberry.field(resolver=_owner_account)
    force_outbound: bool
    port_completed: bool
    owner: strawberry.Private[DomainAccount | None]


@strawberry.type
class NumberChange:
    cursor: str
    e164: str
    state: NumberState
    deleted: bool
    transition: Transition | None
    number: PhoneNumber | None  # null if deleted or no longer visible to the requester


@strawberry.type
class NumberChangePage:
    changes: list[NumberChange]
    cursor: str
    has_more: bool


@strawberry.type
class SystemConfig:
    released_state: NumberState
    should_permanently_delete: bool
    should_age: bool
    aging_days: int
    discovery_expiry_days: int
    history_length: int
    features_allowed: list[str]
    carriers: list[str]
    default_region: str
    max_batch: int
    max_hold_minutes: int
    max_holds_per_account: int

    @classmethod
    def from_domain(cls, c: DomainConfig) -> SystemConfig:
        return cls(
            released_state=State(c.released_state), should_permanently_delete=c.should_permanently_delete,
            should_age=c.should_age, aging_days=c.aging_days, discovery_expiry_days=c.discovery_expiry_days,
            history_length=c.history_length, features_allowed=list(c.features_allowed), carriers=list(c.carriers),
            default_region=c.default_region, max_batch=c.max_batch, max_hold_minutes=c.max_hold_minutes,
            max_holds_per_account=c.max_holds_per_account,
        )
