"""The routing cache: what the hunt needs to know about numbers and accounts, held in memory.

The hunt is on the path of every inbound call (SPEC §6), so it must normally cost no store request.
Entries are filled on demand from the store and kept current by applying every write we learn of:
- writes made in this process, at once, through `ObservedStore.listen` (see `attach`);
- writes made by other replicas, through the change feed: the change hub (one feed reader per
  process) calls `apply_change` for every change of the numbers and accounts databases. Until the hub
  feeds it, an entry written by another replica stays as it was read here.

Every piece of news carries the document's revision, and an entry is replaced only by one at least as
new, so news arriving out of order (a feed page read before a local write) or a store read that raced a
write can never put stale routing back. Both maps are bounded (least recently used entries go first).
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from numplane.domain.accounts import Account
from numplane.domain.numbers import Number
from numplane.domain.states import State
from numplane.store.base import Change, Db, Doc, Store
from numplane.store.observed import ObservedStore
from numplane.store.readable import read_or_skip

log = logging.getLogger(__name__)

NUMBERS_SIZE = 200_000
ACCOUNTS_SIZE = 50_000


@dataclass(frozen=True, slots=True)
class NumberRoute:
    """The routing facts of one number. `state` None: not in the store (or deleted)."""

    e164: str
    state: State | None
    owner: str | None = None
    owner_tree: tuple[str, ...] = ()  # the owner's ancestors plus the owner (pvt_assigned_tree)
    force_outbound: bool = False  # an active `force_outbound` feature


def generation(doc: Doc | None) -> int:
    """The revision's generation ("3-abc" -> 3); 0 for a document we know to be absent."""
    rev = doc.get("_rev") if doc else None
    if not isinstance(rev, str):
        return 0
    head = rev.split("-", 1)[0]
    return int(head) if head.isdigit() else 0


def number_route(e164: str, doc: Doc | None) -> NumberRoute:
    number = None if doc is None or doc.get("_deleted") else read_or_skip(Number.from_doc, doc, "routing cache")
    # An unreadable document routes as no number at all (and is logged): the hunt answers, never fails.
    if number is None or number.state is State.DELETED:
        return NumberRoute(e164, None)
    return NumberRoute(
        e164, number.state, number.owner, number.assigned_tree if number.owner else (),
        force_outbound=bool(number.features.get("force_outbound")),
    )


def account_of(doc: Doc | None) -> Account | None:
    return None if doc is None or doc.get("_deleted") else read_or_skip(Account.from_doc, doc, "routing cache")


V = TypeVar("V")


class Missing:
    """What `peek` answers for an id not held in memory (an absent number is held too, as state None)."""


MISSING = Missing()


class _Entries(Generic[V]):
    """One bounded map of id -> (generation, value), filled on demand, each id loaded once at a time."""

    def __init__(
        self, size: int, load: Callable[[str], Awaitable[Doc | None]], convert: Callable[[str, Doc | None], V]
    ) -> None:
        self._size = size
        self._load = load
        self._convert = convert
        self._entries: OrderedDict[str, tuple[int, V]] = OrderedDict()
        self._loading: dict[str, asyncio.Future[V]] = {}
        self.cached = True  # False: every lookup reads the store (writes cannot be heard)
        self.hits = self.misses = 0  # lookups answered from memory, and those that read the store (/metrics)

    def __len__(self) -> int:
        return len(self._entries)

    def peek(self, key: str) -> V | Missing:
        """The entry when memory holds it (counted as a hit, as `get` counts it); MISSING otherwise, and
        nothing is loaded: the caller decides whether to wait for the store (`get`)."""
        entry = self._entries.get(key) if self.cached else None
        if entry is None:
            return MISSING
        self.hits += 1
        self._entries.move_to_end(key)
        return entry[1]

    async def get(self, key: str) -> V:
        entry = self._entries.get(key)
        if entry is not None:
            self.hits += 1
            self._entries.move_to_end(key)
            return entry[1]
        self.misses += 1
        if not self.cached:
            return self._convert(key, await self._load(key))
        pending = self._loading.get(key)
        if pending is None:
            # Concurrent calls for one missing id share one store read.
            pending = asyncio.ensure_future(self._fill(key))
            self._loading[key] = pending
            pending.add_done_callback(lambda _done: self._loading.pop(key, None))
        return await asyncio.shield(pending)

    async def _fill(self, key: str) -> V:
        doc = await self._load(key)
        self._keep(key, generation(doc), self._convert(key, doc))
        return self._entries[key][1]

    def apply(self, key: str, doc: Doc) -> None:
        """News of a write. Ids that are neither cached nor being loaded are not worth holding."""
        if key in self._entries or key in self._loading:
            self._keep(key, generation(doc), self._convert(key, doc))

    def _keep(self, key: str, gen: int, value: V) -> None:
        current = self._entries.get(key)
        if current is not None and current[0] > gen:
            return  # we already hold newer news
        self._entries[key] = (gen, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)


class RoutingCache:
    """number -> state, owner, owner's tree, force_outbound; account id -> the account (enabled, tree)."""

    def __init__(self, store: Store, *, numbers_size: int = NUMBERS_SIZE, accounts_size: int = ACCOUNTS_SIZE) -> None:
        self._store = store
        self.numbers: _Entries[NumberRoute] = _Entries(numbers_size, self._load_number, number_route)
        self.accounts: _Entries[Account | None] = _Entries(accounts_size, self._load_account, _account)

    @classmethod
    def attach(cls, store: Store, **sizes: int) -> RoutingCache:
        """A cache that hears this process's writes. Over a store that cannot announce them it would
        route by stale data after a local change, so it then reads the store on every lookup instead."""
        cache = cls(store, **sizes)
        if isinstance(store, ObservedStore):
            store.listen(cache.apply_docs)
        else:
            log.warning("routing cache over a store that does not announce writes: every hunt reads the store")
            cache.numbers.cached = cache.accounts.cached = False
        return cache

    async def number(self, e164: str) -> NumberRoute:
        return await self.numbers.get(e164)

    async def account(self, account_id: str) -> Account | None:
        return await self.accounts.get(account_id)

    def apply_docs(self, db: Db, docs: Iterable[Doc]) -> None:
        """Documents just written (deletions carry `_deleted`), as `ObservedStore` announces them."""
        entries = self._entries_of(db)
        if entries is None:
            return
        for doc in docs:
            entries.apply(doc["_id"], doc)

    def apply_change(self, change: Change, db: Db | None = None) -> None:
        """One change-feed entry of the numbers or accounts database (other databases are ignored)."""
        doc = {**change.doc, "_id": change.id, "_deleted": True} if change.deleted else change.doc
        self.apply_docs(db or _db_of(change.id, doc), [doc])

    def apply_changes(self, db: Db, changes: Sequence[Change]) -> None:
        """A batch of one database's changes, as the change hub hands them to its listeners."""
        for change in changes:
            self.apply_change(change, db)

    def _entries_of(self, db: Db) -> _Entries[NumberRoute] | _Entries[Account | None] | None:
        if db is Db.NUMBERS:
            return self.numbers
        if db is Db.ACCOUNTS:
            return self.accounts
        return None

    async def _load_number(self, e164: str) -> Doc | None:
        return (await self._store.get_many(Db.NUMBERS, [e164])).get(e164)

    async def _load_account(self, account_id: str) -> Doc | None:
        return (await self._store.get_many(Db.ACCOUNTS, [account_id])).get(account_id)


def _account(_id: str, doc: Doc | None) -> Account | None:
    return account_of(doc)


def _db_of(doc_id: str, doc: Doc) -> Db:
    """Which database a change came from, when the caller does not say: by document type, else by id
    (numbers are E.164 ids; a bare tombstone may have lost its type)."""
    kind = doc.get("pvt_type")
    if kind == "number" or (kind is None and doc_id.startswith("+")):
        return Db.NUMBERS
    if kind == "account":
        return Db.ACCOUNTS
    return Db.SYSTEM
