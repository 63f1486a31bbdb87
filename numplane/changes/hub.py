"""One reader of the store's change feeds per process, fanned out to every waiter, subscriber and listener.

A hundred clients following changes must not mean a hundred store polls: the hub alone polls the numbers,
accounts and port request feeds (a short sleep between empty polls, since pouchdb-server ignores longpoll timeouts),
is woken at once by this process's own writes (ObservedStore), decodes each number change once, and keeps
the recent ones in memory so long-pollers resuming from a recent cursor are served without a store read.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Generic, TypeVar

from numplane.domain.accounts import Account
from numplane.domain.numbers import Number, Transition
from numplane.domain.port_requests import PortRequest
from numplane.domain.states import State
from numplane.domain.visibility import accounts_needed_after, number_before
from numplane.domain.written_numbers import WrittenNumbers
from numplane.loop_turns import in_turns
from numplane.store.base import Change, ChangePage, Db, Doc, Store, StoreUnavailable, is_stub
from numplane.store.observed import ObservedStore
from numplane.store.readable import read_or_skip, readable_by_id

log = logging.getLogger(__name__)

Listener = Callable[[Db, Sequence[Change]], None]
"""Called by the reader with each batch of raw changes of a database (numbers or accounts), in order."""


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """A number change, decoded once for every receiver."""

    cursor: str
    e164: str
    deleted: bool
    number: Number  # after the change; for a deletion the tombstone (state deleted, last owner and tree)
    before: Number | None  # as the last audit entry tells; None when created by this change
    ancestors: dict[str, tuple[str, ...]] = field(default_factory=dict)  # of the accounts the rules need


@dataclass(frozen=True, slots=True)
class PortRequestEntry:
    """A port request change: the feed's second kind of event, beside number changes. `request` is the
    request after the change; `request.last_change` says what the change was (moved, commented, ...) and
    `request.log[-1]` the latest move. Receivers filter with `port_requests.hears_of`."""

    cursor: str
    request: PortRequest


E = TypeVar("E")  # the kind of entry a subscription carries

PortListener = Callable[[Sequence[PortRequestEntry]], None]
"""Called by the reader with each batch of port request changes, in order (webhooks subscribe here)."""


@dataclass(frozen=True, slots=True)
class PortPage:
    entries: list[PortRequestEntry]
    cursor: str
    has_more: bool


@dataclass(frozen=True, slots=True)
class FeedPage:
    entries: list[FeedEntry]
    cursor: str
    has_more: bool


class SubscriberTooSlow(Exception):
    """The subscriber fell behind by more than its queue holds and was dropped; it may reconnect."""


class Subscription(Generic[E]):
    """The entries one subscriber accepts, in a bounded queue: the hub never waits for a slow reader."""

    def __init__(self, accept: Callable[[E], bool], limit: int, on_close: Callable[[Subscription[E]], None]):
        self._accept = accept
        self._limit = limit
        self._on_close = on_close
        self._queue: deque[E] = deque()
        self._ready = asyncio.Event()
        self._ended = False
        self._dropped = False

    @property
    def pending(self) -> int:
        return len(self._queue)

    @property
    def dropped(self) -> bool:
        return self._dropped

    def offer(self, entries: Iterable[E]) -> bool:
        """Queue the entries this subscriber accepts; True when it took any (its reader wakes)."""
        if self._ended:
            return False
        took = False
        for entry in entries:
            if not self._accept(entry):
                continue
            if len(self._queue) >= self._limit:
                # Memory stays bounded: the backlog is freed and the reader learns it must reconnect.
                self._queue.clear()
                self._dropped = True
                self.close()
                return True
            self._queue.append(entry)
            took = True
        if self._queue:
            self._ready.set()
        return took

    def close(self) -> None:
        if not self._ended:
            self._ended = True
            self._ready.set()
            self._on_close(self)

    def __aiter__(self) -> Subscription[E]:
        return self

    async def __anext__(self) -> E:
        while not self._queue:
            if self._ended:
                if self._dropped:
                    raise SubscriberTooSlow("this subscriber fell too far behind the change feed")
                raise StopAsyncIteration
            self._ready.clear()
            await self._ready.wait()
        return self._queue.popleft()


class ChangeHub:
    def __init__(
        self,
        store: Store,
        *,
        poll_interval: float = 0.25,
        batch: int = 500,
        retain: int = 10_000,
        queue_limit: int = 1_000,
        max_backoff: float = 5.0,
        written_numbers: WrittenNumbers | None = None,
    ) -> None:
        self.store = store
        # This process's own writes come back through the feed: the numbers it has just written need no
        # decoding at all, and their trails no second check.
        self.written_numbers = written_numbers or WrittenNumbers()  # a hub of its own: nothing written
        self.poll_interval = poll_interval
        self.batch = batch
        self.retain = retain
        self.queue_limit = queue_limit
        self.max_backoff = max_backoff
        self._listeners: list[Listener] = []
        self._subscriptions: set[Subscription[FeedEntry]] = set()
        self._port_subscriptions: set[Subscription[PortRequestEntry]] = set()
        self._port_listeners: list[PortListener] = []
        self._ports_position: str | None = None
        self._ancestors: dict[str, tuple[str, ...]] = {}  # account trees never change: cached for good
        self._position: str | None = None
        self._accounts_position: str | None = None
        # The recent entries, and for each cursor the absolute index of the entry that follows it.
        self._log: list[FeedEntry] = []
        self._first = 0
        self._next_index: dict[str, int] = {}
        self._wake = asyncio.Event()
        self._tick: asyncio.Future[None] | None = None  # resolved when new entries arrive
        self._polled: asyncio.Future[None] | None = None  # resolved after every poll, with or without news
        self._polls_started = self._polls_done = 0
        self._caught_up_at = 0  # the first poll that sees every local write so far
        self._task: asyncio.Task[None] | None = None
        self._unlisten: Callable[[], None] | None = None
        self._stopping = False
        self._waiters = 0  # long-polls waiting in wait()
        self._current_since: float | None = None  # when the last poll that reached the feed's end began
        self._local: set[Db] = set()  # databases this process wrote to since the last poll began
        self._everything_at = float("-inf")  # when the last poll of all three feeds began

    # -- lifecycle --------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def position(self) -> str:
        """The cursor of everything the reader has read: "now" for a client that gives no cursor."""
        if self._position is None:
            raise RuntimeError("the change hub is not started")
        return self._position

    async def start(self) -> None:
        if self.running:
            return
        self._stopping = False
        self._current_since = time.monotonic()  # the cursors read next are the end of the feed
        self._position = await self.store.current_cursor(Db.NUMBERS)
        self._accounts_position = await self.store.current_cursor(Db.ACCOUNTS)
        self._ports_position = await self.store.current_cursor(Db.PORTS)
        self._log, self._first, self._next_index = [], 0, {self._position: 0}
        self._tick = asyncio.get_running_loop().create_future()
        self._polled = asyncio.get_running_loop().create_future()
        if isinstance(self.store, ObservedStore):
            self._unlisten = self.store.listen(self._written)
        self._task = asyncio.create_task(self._run(), name="numplane-change-hub")

    async def stop(self) -> None:
        self._stopping = True
        if self._unlisten is not None:
            self._unlisten()
            self._unlisten = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for subscription in list(self._subscriptions):
            subscription.close()
        for port_subscription in list(self._port_subscriptions):
            port_subscription.close()
        self._signal()
        self._announce_poll()

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """Receive every raw change the reader sees (the routing cache); returns a function that stops it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def add_port_listener(self, listener: PortListener) -> Callable[[], None]:
        """Receive every port request change the reader sees; returns a function that stops it."""
        self._port_listeners.append(listener)
        return lambda: self._port_listeners.remove(listener)

    # -- consumers --------------------------------------------------------------------------------

    def subscribe_ports(
        self, accept: Callable[[PortRequestEntry], bool], *, limit: int | None = None
    ) -> Subscription[PortRequestEntry]:
        """Port request changes read from now on that `accept` takes."""
        subscription = Subscription(accept, limit or self.queue_limit, self._port_subscriptions.discard)
        self._port_subscriptions.add(subscription)
        return subscription

    def subscribe(self, accept: Callable[[FeedEntry], bool], *, limit: int | None = None) -> Subscription[FeedEntry]:
        """Entries read from now on that `accept` takes (evaluated by the reader, so the queue holds only
        what this subscriber wants)."""
        subscription = Subscription(accept, limit or self.queue_limit, self._subscriptions.discard)
        self._subscriptions.add(subscription)
        return subscription

    @property
    def subscribers(self) -> int:
        return len(self._subscriptions)

    @property
    def waiters(self) -> int:
        """Long-polls waiting for news."""
        return self._waiters

    @property
    def lag_seconds(self) -> float:
        """How far behind the feed the reader may be: every write older than this has been read (the last
        poll that reached the end, or the start, began this long ago). 0 before the hub starts."""
        return 0.0 if self._current_since is None else time.monotonic() - self._current_since

    @property
    def port_subscribers(self) -> int:
        return len(self._port_subscriptions)

    @property
    def ports_position(self) -> str:
        """The port request feed's cursor of everything the reader has read."""
        if self._ports_position is None:
            raise RuntimeError("the change hub is not started")
        return self._ports_position

    async def read_ports(self, after: str, limit: int) -> PortPage:
        """Port request changes after `after`, oldest first, from the store: for a reader that saves its
        own cursor (webhooks) and must resume after a restart, which the listeners' push cannot give.

        A reader that has caught up with the hub is answered without a store read: the webhook dispatcher
        asks after every page of number changes, and on CouchDB that was a feed request per mutation for a
        feed that rarely moves. Whatever the hub reads later reaches the port listeners, which wake it."""
        await self.sync()
        if self.running and after == self._ports_position:
            return PortPage([], after, has_more=False)
        found = await self.store.changes(Db.PORTS, after, limit)
        return PortPage(_port_entries(found.changes), found.cursor, has_more=len(found.changes) >= limit)

    async def now(self) -> str:
        """The store's cursor of now (the reader may be a few writes behind it)."""
        return await self.store.current_cursor(Db.NUMBERS)

    async def read(self, after: str, limit: int) -> FeedPage:
        """Entries after `after`, oldest first: from memory when the cursor is recent, else from the store
        (which raises InvalidCursor for a cursor it did not issue).

        When this process wrote something the reader has not read yet, or the cursor is one the reader has
        not reached (a write of a moment ago), the reader catches up first, once for all the callers in the
        same situation, rather than each of them reading the store."""
        await self.sync()
        page = self._from_memory(after, limit)
        if page is None and self.running:
            await self._catch_up(self._polls_started + 1)
            page = self._from_memory(after, limit)
        if page is not None:
            return page
        found = await self.store.changes(Db.NUMBERS, after, limit)
        entries = await self._decode(found.changes)
        return FeedPage(entries, found.cursor, has_more=len(found.changes) >= limit)

    async def wait(self, after: str, timeout: float) -> None:
        """Until the reader has something after `after`, or `timeout` seconds have passed."""
        if after != self._position and after in self._next_index:
            return  # already behind what the reader holds
        if self._tick is None or timeout <= 0:
            return
        self._waiters += 1
        try:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await asyncio.shield(self._tick)
        finally:
            self._waiters -= 1

    async def sync(self) -> None:
        """Until the reader has read every write this process made so far (so "now" means now)."""
        if self._polls_done < self._caught_up_at and self.running:
            await self._catch_up(self._caught_up_at)

    def _written(self, db: Db, _docs: list[Doc]) -> None:
        # A poll already running may have read before this write: the next one is sure to see it.
        self._caught_up_at = self._polls_started + 1
        self._local.add(db)
        # Read at once only when someone waits for news. Otherwise the regular poll (or a reader's
        # sync()) is soon enough, and a busy writer does not pay for a feed read after every write: the
        # store's worker and this loop would contend for the GIL on each one.
        if self._subscriptions or self._port_subscriptions or self._waiters:
            self._wake.set()

    async def _catch_up(self, target: int) -> None:
        """Until poll number `target` has finished (or a short while has passed)."""
        if self._polled is None:
            return
        self._wake.set()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.poll_interval + 1.0
        while self._polls_done < target and (remaining := deadline - loop.time()) > 0:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(remaining):
                    await asyncio.shield(self._polled)

    def _from_memory(self, after: str, limit: int) -> FeedPage | None:
        index = self._next_index.get(after)
        if index is None:
            return None
        start = index - self._first
        entries = self._log[start : start + limit]
        cursor = entries[-1].cursor if entries else after
        if not entries and after != self._position:
            cursor = self.position  # the cursor ends a page whose entries were all design documents
        return FeedPage(entries, cursor, has_more=start + limit < len(self._log))

    # -- the reader -------------------------------------------------------------------------------

    async def _run(self) -> None:
        backoff = self.poll_interval
        while not self._stopping:
            self._wake.clear()  # set again by any write from here on, which this poll may miss
            self._polls_started += 1
            began = time.monotonic()
            try:
                progressed, everything = await self._poll(began)
                backoff = self.poll_interval
                if not progressed and everything:
                    self._current_since = began
            except StoreUnavailable as error:
                self._announce_poll()
                log.warning("change feed: store unavailable (%s); retrying in %.1f s", error, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff)
                continue
            except Exception:  # the reader must outlive any one bad batch; the cursor was not advanced
                self._announce_poll()
                log.exception("change feed: reading failed; retrying in %.1f s", self.max_backoff)
                await asyncio.sleep(self.max_backoff)
                continue
            self._announce_poll()
            if not progressed:
                # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow the cancel that stops us.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.poll_interval):
                        await self._wake.wait()

    async def _poll(self, began: float) -> tuple[bool, bool]:
        """One read of the numbers feed, and of the accounts and port request feeds when this process wrote
        to them or a poll interval has passed since they were read; (a full page suggests more is waiting,
        every feed was read).

        A poll woken by this process's number writes reads only the numbers feed: a busy writer paid three
        feed reads per wake-up, where other replicas' account and port request changes need only the
        interval an idle reader polls at."""
        local, self._local = self._local, set()
        everything = began - self._everything_at >= self.poll_interval
        try:
            full = await self._read_feeds(
                accounts=everything or Db.ACCOUNTS in local, ports=everything or Db.PORTS in local
            )
        except BaseException:
            self._local |= local  # not read: the next poll reads them
            raise
        if everything:
            self._everything_at = began
        return full, everything

    async def _read_feeds(self, *, accounts: bool, ports: bool) -> bool:
        """True when a full page suggests more is waiting."""
        account_changes: Sequence[Change] = ()
        if accounts:
            found = await self.store.changes(Db.ACCOUNTS, self._accounts_position, self.batch)
            if log.isEnabledFor(logging.DEBUG):
                _log_batch(Db.ACCOUNTS, found)
            account_changes = found.changes
            if account_changes:
                self._learn_accounts(account_changes)
                await self._notify(Db.ACCOUNTS, account_changes)
            self._accounts_position = found.cursor
        # This process's own writes: the store need not parse them (`own`), the feed takes them as they are.
        numbers = await self.store.changes(Db.NUMBERS, self._position, self.batch, own=True)
        if log.isEnabledFor(logging.DEBUG):
            _log_batch(Db.NUMBERS, numbers)
        port_count = await self._poll_ports() if ports else 0
        if numbers.changes:
            changes, written = await self._written_here(numbers.changes)
            entries = await self._decode(changes, written)
            # The listeners heard of this process's writes from the store when they were made
            # (ObservedStore.listen), so they are told only of the others.
            await self._notify(Db.NUMBERS, [change for change in changes if change.id not in written])
            self._remember(entries, numbers.cursor)
            for subscription in list(self._subscriptions):
                if subscription.offer(entries):
                    # Its reader runs a GraphQL execution of its own (~0.3-1 ms) when it wakes: one per turn
                    # of the loop, or a change heard by ten distinct subscriptions held it for all ten at once.
                    await asyncio.sleep(0)
            self._signal()
        elif numbers.cursor != self._position:
            self._remember([], numbers.cursor)
        return len(numbers.changes) >= self.batch or len(account_changes) >= self.batch or port_count >= self.batch

    async def _poll_ports(self) -> int:
        """Read the port request feed once; returns how many changes it held."""
        found = await self.store.changes(Db.PORTS, self._ports_position, self.batch)
        if log.isEnabledFor(logging.DEBUG):
            _log_batch(Db.PORTS, found)
        entries = _port_entries(found.changes)
        self._ports_position = found.cursor
        if entries:
            for listener in list(self._port_listeners):
                try:
                    listener(entries)
                except Exception:  # one faulty consumer must not stop the feed for the others
                    log.exception("port request listener %r failed", listener)
            for subscription in list(self._port_subscriptions):
                subscription.offer(entries)
        return len(found.changes)

    async def _notify(self, db: Db, changes: Sequence[Change]) -> None:
        # In slices, with a turn of the loop after each: a page of 500 changes is a long stretch of work
        # for the listeners (the routing cache), and each still hears every change, in order.
        for start in range(0, len(changes), LISTENER_SLICE):
            if start:
                await asyncio.sleep(0)
            part = changes[start : start + LISTENER_SLICE]
            for listener in list(self._listeners):
                try:
                    listener(db, part)
                except Exception:  # one faulty consumer must not stop the feed for the others
                    log.exception("change feed listener %r failed", listener)

    def _remember(self, entries: list[FeedEntry], cursor: str) -> None:
        for entry in entries:
            self._log.append(entry)
            self._next_index[entry.cursor] = self._first + len(self._log)
        self._next_index[cursor] = self._first + len(self._log)
        self._position = cursor
        if len(self._log) > self.retain:
            drop = len(self._log) - self.retain // 2
            self._log = self._log[drop:]
            self._first += drop
            self._next_index = {c: i for c, i in self._next_index.items() if i >= self._first}

    def _announce_poll(self) -> None:
        self._polls_done = self._polls_started
        if self._polled is not None and not self._polled.done():
            self._polled.set_result(None)
        self._polled = asyncio.get_running_loop().create_future()

    def _signal(self) -> None:
        if self._tick is not None and not self._tick.done():
            self._tick.set_result(None)
        self._tick = asyncio.get_running_loop().create_future()

    # -- decoding ---------------------------------------------------------------------------------

    def _learn_accounts(self, changes: Sequence[Change]) -> None:
        for change in changes:
            account = None if change.deleted else read_or_skip(Account.from_doc, change.doc, "change feed")
            if account is None:
                self._ancestors.pop(change.id, None)
            else:
                self._ancestors[change.id] = account.tree

    async def _written_here(self, changes: Sequence[Change]) -> tuple[Sequence[Change], dict[str, Number]]:
        """The changes to decode, and by id the numbers this process wrote at the revisions they are at.

        This process keeps the Number it wrote at each revision (WrittenNumbers, by id and revision) until
        it forgets it, and the store answers a revision it wrote itself as just its id and revision. But a
        writer keeps its Number only once the store's answer reaches it, which may be a turn or two of the
        loop after this read's answer (the coalesced store's merged call answers it through a task of its
        own): the reader gives it those turns. A change still without its body then (forgotten, or written
        by another writer than the bulk engine) is read again whole; one whose document moved on meanwhile
        is left out of this page: its latest change is further in the feed, where a read a moment later
        would find it alone."""
        written: dict[str, Number] = {}
        pending: dict[str, Change] = {}
        for change in changes:
            number = None if change.deleted else self.written_numbers.read(change.doc)
            if number is not None:
                written[change.id] = number
            elif not change.deleted:
                pending[change.id] = change
        for _turn in range(WRITER_TURNS):
            if not pending:
                break
            await asyncio.sleep(0)
            for change_id, change in list(pending.items()):
                number = self.written_numbers.read(change.doc)
                if number is not None:
                    written[change_id] = number
                    del pending[change_id]
        stubs = {change_id: change for change_id, change in pending.items() if is_stub(change.doc)}
        if not stubs:
            return changes, written
        docs = await self.store.get_many(Db.NUMBERS, list(stubs))
        whole = {
            change_id: replace(change, doc=docs[change_id])
            for change_id, change in stubs.items()
            if change_id in docs and docs[change_id].get("_rev") == change.doc["_rev"]
        }
        return [whole.get(c.id, c) for c in changes if c.id not in stubs or c.id in whole], written

    async def _decode(self, changes: Sequence[Change], written: Mapping[str, Number] | None = None) -> list[FeedEntry]:
        # A change to a document that cannot be read is left out of the feed (and logged): its readers
        # could not be told what it is, and the changes after it must still reach them.
        # With each number its latest audit entry, parsed once for both of its uses, and the accounts its
        # entry needs.
        numbers: list[tuple[Change, Number, Transition | None, set[str]]] = []
        number_of = partial(self._number, written=written or {})
        async for change in in_turns(changes):  # decoding a change costs ~0.1 ms: the loop gets turns
            number = read_or_skip(number_of, change, "change feed")
            if number is not None:
                last = number.last_transition
                numbers.append((change, number, last, accounts_needed_after(number, last)))
        needed = set().union(*(wanted for _c, _n, _l, wanted in numbers)) if numbers else set()
        missing = sorted(needed - self._ancestors.keys())
        if missing:  # one batched read per page, and only for accounts not seen before
            docs = await self.store.get_many(Db.ACCOUNTS, missing)
            if len(self._ancestors) > 100_000:
                self._ancestors.clear()
            self._ancestors.update(
                {i: a.tree for i, a in readable_by_id(Account.from_doc, docs, "change feed").items()}
            )
        entries = []
        async for change, number, last, wanted in in_turns(numbers):
            ancestors = {i: self._ancestors[i] for i in wanted if i in self._ancestors}
            before = number_before(number, last, ancestors)
            entries.append(FeedEntry(change.cursor, change.id, change.deleted, number, before, ancestors))
        return entries

    def _number(self, change: Change, written: Mapping[str, Number]) -> Number:
        if not change.deleted:
            number = written.get(change.id)
            return number if number is not None else self.written_numbers.number_of(change.doc)
        # A tombstone without a body (deleted outside numplane) tells nothing but the id: admins only hear of it.
        doc = change.doc if "pvt_state" in change.doc else {"_id": change.id}
        return Number.from_doc(doc).with_changes(state=State.DELETED)


WRITER_TURNS = 2  # turns of the loop a change this process wrote may wait for its writer to keep its Number
LISTENER_SLICE = 50  # changes handed to the listeners between two turns of the loop
LOGGED_IDS = 20  # of a batch of up to `batch` changes: enough to find a document, bounded in size


def _log_batch(db: Db, page: ChangePage) -> None:
    """A batch the reader took from a feed, named by the feed position (seq) it ends at."""
    if page.changes:
        log.debug(
            "change feed: %d %s changes up to %s", len(page.changes), db.value, page.cursor,
            extra={"db": db.value, "changes": len(page.changes), "change_seq": page.cursor,
                   "ids": [c.id for c in page.changes[:LOGGED_IDS]]},
        )


def _port_entries(changes: Sequence[Change]) -> list[PortRequestEntry]:
    return [
        PortRequestEntry(c.cursor, PortRequest.from_doc(c.doc))
        for c in changes
        if not c.deleted and c.doc.get("pvt_type") == "port_request"
    ]
