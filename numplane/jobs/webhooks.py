"""The webhook dispatcher: the change feed into delivery records, and delivery records to receivers.

Two loops per process, both safe to run on every replica:

- the feed reader holds the lease `job:webhooks-feed` (numplane.jobs.claims); only the holder reads the
  number and port request feeds from the cursors saved in `webhooks:feed`, writes a delivery per (event,
  endpoint) that hears it, and then saves the cursors (after pages that wrote none, every few seconds). A
  crash between the two re-reads the pages and rewrites the same deliveries (their ids are the event's and
  the endpoint's), which conflict harmlessly: nothing twice, nothing lost.
- a sender per endpoint reads the endpoint's queue in feed order, claims each number's first unfinished
  delivery (a revision-checked write: one replica wins) and sends it. Each endpoint has its own task and
  at most `webhooks_concurrency_per_endpoint` attempts in flight, so a slow receiver only slows itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

import httpx

from numplane.changes.hub import ChangeHub, FeedEntry, PortRequestEntry
from numplane.domain.accounts import Account
from numplane.domain.webhook_deliveries import Delivery, Status, heads, new_delivery
from numplane.domain.webhook_retries import Outcome, should_disable
from numplane.domain.webhooks import (
    DOC_PREFIX,
    Endpoint,
    doc_id,
    number_event,
    port_event,
    receives,
    receives_port,
)
from numplane.jobs import claims
from numplane.jobs.claims import Lease, LeaseLost, Refusal
from numplane.jobs.runner import new_holder
from numplane.jobs.webhook_http import attempt, http_client
from numplane.resolvers.context import Services
from numplane.resolvers.rewrite import rewrite
from numplane.resolvers.webhooks import abandon_queue
from numplane.store.base import HIGH, Db, Doc, StoreUnavailable
from numplane.store.observed import ObservedStore
from numplane.store.readable import readable_by_id

log = logging.getLogger("numplane.webhooks")

FEED_JOB = "webhooks-feed"
CURSOR_ID = "webhooks:feed"
FEED_LEASE_SECONDS = 10
"""A replica that dies holding the feed stops new deliveries at most this long; another takes over."""
FEED_PAGE = 200
CURSOR_SAVE_SECONDS = 2.0
"""Pages that wrote no delivery move the saved cursor at most this often (and at a clean stop): on CouchDB
that write after every mutation was a third of the store's work for a writer nobody had subscribed to. After
a crash they are read again and, as before, write what they write only once."""
QUEUE_PAGE = 200
ERROR_PAUSE_SECONDS = 1.0


class Dispatcher:
    def __init__(self, services: Services, hub: ChangeHub, *, holder: str | None = None) -> None:
        self.services = services
        self.hub = hub
        self.holder = holder or new_holder("webhooks")
        self.settings = services.settings
        self._endpoints: dict[str, Endpoint] = {}
        self._viewers: dict[str, Account] = {}
        self._senders: dict[str, EndpointSender] = {}
        self._retired: set[EndpointSender] = set()  # senders of disabled endpoints finishing their attempts
        self._tasks: list[asyncio.Task[None]] = []
        self._lease: Lease | None = None
        self._client: httpx.AsyncClient | None = None
        self._port_news = asyncio.Event()  # the hub read a port request change: read the ports feed
        # While there is no endpoint (see _wait_for_endpoint): one may have come, in the list or written here.
        self._endpoint_news = asyncio.Event()
        self._endpoint_written = False  # by this process since the endpoint list was last read
        self._unlisten_writes: Callable[[], None] | None = None
        self._unlisten_ports: Callable[[], None] | None = None
        self._saved: dict[str, Any] | None = None  # the cursor document as last written (while holding the lease)
        self._read_up_to: tuple[str, str] = ("", "")  # the numbers and port request cursors read up to

    # -- lifecycle --------------------------------------------------------------------------------

    @property
    def feed_cursor(self) -> str:
        """The number feed cursor this process's feed reader has read up to ("" until it holds the lease)."""
        return self._read_up_to[0]

    def start(self) -> None:
        self._client = http_client(self.settings.webhooks_timeout_seconds)
        self._unlisten_ports = self.hub.add_port_listener(lambda _entries: self._port_news.set())
        if isinstance(self.services.store, ObservedStore):
            self._unlisten_writes = self.services.store.listen(self._wrote)
        self._tasks = [
            asyncio.create_task(self._watch_endpoints(), name="numplane-webhook-endpoints"),
            asyncio.create_task(self._read_feed(), name="numplane-webhook-feed"),
        ]

    async def stop(self) -> None:
        if self._unlisten_writes is not None:
            self._unlisten_writes()
            self._unlisten_writes = None
        if self._unlisten_ports is not None:
            self._unlisten_ports()
            self._unlisten_ports = None
        for task in self._tasks:
            task.cancel()
        senders = [*self._senders.values(), *self._retired]
        for sender in senders:
            sender.stop()
        for task in [*self._tasks, *(t for s in senders for t in s.tasks())]:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._senders.clear()
        self._retired.clear()
        if self._lease is not None:  # hand the feed over at once rather than after the lease expires
            with contextlib.suppress(Exception):
                await self._save_position()  # the next holder starts where this one stopped
            with contextlib.suppress(Exception):
                await claims.finish(self.services.store, self._lease, self.services.clock(), "stopped", {})
            self._lease = None
        if self._client is not None:
            await self._client.aclose()

    # -- endpoints --------------------------------------------------------------------------------

    async def _watch_endpoints(self) -> None:
        while True:
            try:
                await self.refresh_endpoints()
            except StoreUnavailable as error:
                log.warning("webhooks: store unavailable (%s)", error)
            except Exception:  # the dispatcher must outlive a bad document
                log.exception("webhooks: reading the endpoints failed")
            await asyncio.sleep(self.settings.webhooks_poll_seconds)

    async def refresh_endpoints(self) -> None:
        """Every endpoint, and a sender for each enabled one (stopped when it is disabled or deleted)."""
        # By id over the documents, not through a view: a view read would first index every delivery
        # written since the last one, and this runs before every page of the feed.
        found: dict[str, Endpoint] = {}
        after = None
        self._endpoint_written = False  # a write from here on may come after the read below
        while True:
            docs = await self.services.store.id_range(
                Db.SYSTEM, start=DOC_PREFIX, end=DOC_PREFIX + HIGH, after=after, limit=500
            )
            found.update((e.id, e) for e in (Endpoint.from_doc(d) for d in docs))
            if len(docs) < 500:
                break
            after = docs[-1]["_id"]
        missing = sorted({e.account_id for e in found.values()} - self._viewers.keys())
        if missing:
            accounts = await self.services.store.get_many(Db.ACCOUNTS, missing)
            self._viewers.update(readable_by_id(Account.from_doc, accounts, "webhooks dispatcher"))
        self._endpoints = found
        if found:
            self._endpoint_news.set()
        self._retired = {s for s in self._retired if any(not t.done() for t in s.tasks())}
        for endpoint_id in list(self._senders):
            current = found.get(endpoint_id)
            if current is None or not current.enabled:
                retired = self._senders.pop(endpoint_id)
                retired.retire()
                self._retired.add(retired)
            else:
                self._senders[endpoint_id].endpoint = current
        for endpoint in found.values():
            if endpoint.enabled and endpoint.id not in self._senders:
                assert self._client is not None
                sender = EndpointSender(self, endpoint, self._client)
                self._senders[endpoint.id] = sender
                sender.start()
        self._update_stats()

    def _update_stats(self) -> None:
        stats = self.services.webhook_stats
        stats.queue_depth = sum(s.depth for s in self._senders.values())
        now = self.services.clock()
        oldest = [s.oldest for s in self._senders.values() if s.oldest is not None]
        stats.oldest_pending_seconds = max(0.0, (now - min(oldest)).total_seconds()) if oldest else 0.0

    # -- the feed ---------------------------------------------------------------------------------

    async def _read_feed(self) -> None:
        store = self.services.store
        while True:
            try:
                if self._lease is None:
                    taken = await claims.claim(
                        store, FEED_JOB, holder=self.holder, now=self.services.clock(),
                        lease_seconds=FEED_LEASE_SECONDS,
                    )
                    if isinstance(taken, Refusal):
                        await asyncio.sleep(self.settings.webhooks_poll_seconds)
                        continue
                    self._lease = taken
                await self._follow_feed()
            except LeaseLost as lost:
                log.warning("webhooks: %s", lost)
                self._lease = None
            except StoreUnavailable as error:
                log.warning("webhooks: store unavailable (%s)", error)
                await asyncio.sleep(ERROR_PAUSE_SECONDS)
            except Exception:
                log.exception("webhooks: reading the change feed failed")
                await asyncio.sleep(ERROR_PAUSE_SECONDS)

    async def _follow_feed(self) -> None:
        """While this process holds the lease: page after page from the saved cursor."""
        store = self.services.store
        saved = (await store.get_many(Db.SYSTEM, [CURSOR_ID])).get(CURSOR_ID)
        if saved is None:  # the first start: webhooks hear of changes from now on
            saved = {"_id": CURSOR_ID, "pvt_type": "webhook_cursor", "cursor": self.hub.position}
        if "ports_cursor" not in saved:  # and of port requests from now on (also a cursor saved before them)
            saved = await self._save_cursor({**saved, "ports_cursor": self.hub.ports_position})
        self._saved, self._read_up_to = saved, (saved["cursor"], saved["ports_cursor"])
        loop = asyncio.get_running_loop()
        saved_at = loop.time()
        while True:
            assert self._lease is not None
            self._lease = await claims.renew(store, self._lease, self.services.clock(), FEED_LEASE_SECONDS)
            self._port_news.clear()  # before the read: a change read by the hub after it wakes the wait below
            page = await self.hub.read(self._read_up_to[0], FEED_PAGE)
            ports = await self.hub.read_ports(self._read_up_to[1], FEED_PAGE)
            delivered = 0
            if page.entries or ports.entries:
                # Read after the pages, so an endpoint created before a change surely hears of it.
                await self.refresh_endpoints()
                delivered = await self._write_deliveries(page.entries, ports.entries)
            self._read_up_to = (page.cursor, ports.cursor)
            if delivered or loop.time() - saved_at >= CURSOR_SAVE_SECONDS:
                await self._save_position()
                saved_at = loop.time()
            if not page.has_more and not ports.has_more:
                await self._wait_for_news(page.cursor, min(self.settings.webhooks_poll_seconds, FEED_LEASE_SECONDS / 4))

    async def _save_position(self) -> None:
        """Save the cursors read up to, when they moved since the last save."""
        saved = self._saved
        if saved is not None and self._read_up_to != (saved["cursor"], saved["ports_cursor"]):
            cursor, ports_cursor = self._read_up_to
            self._saved = await self._save_cursor({**saved, "cursor": cursor, "ports_cursor": ports_cursor})

    async def _wait_for_news(self, cursor: str, timeout: float) -> None:
        """Until a number change after `cursor` or a port request change is read, or `timeout` seconds;
        while there is no endpoint, until the endpoint list is read again."""
        if not self._endpoints and not self._endpoint_written:
            await self._wait_for_endpoint()
            return
        if self._port_news.is_set():
            return
        waits = [asyncio.create_task(self.hub.wait(cursor, timeout)), asyncio.create_task(self._port_news.wait())]
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiting in waits:
                waiting.cancel()

    async def _wait_for_endpoint(self) -> None:
        """Until an endpoint appears, or the endpoint list's next read is due. With no endpoint nobody waits
        for a page, and the reader woke after every mutation: on CouchDB its feed read and its read of the
        endpoint list after each page were two store requests per mutation beside the mutation's own two,
        for a writer nobody had subscribed to (issue 17 item 4). The pages are still read, and the list
        read again after each, so an endpoint created before a change hears of it. An endpoint written by
        this process ends the wait at once: from then on the reader wakes after every mutation again, and
        hears of each revision rather than only the latest of a number that changed twice meanwhile."""
        self._endpoint_news.clear()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.settings.webhooks_poll_seconds):
                await self._endpoint_news.wait()

    def _wrote(self, db: Db, docs: list[Doc]) -> None:
        if db is Db.SYSTEM and any(str(doc.get("_id", "")).startswith(DOC_PREFIX) for doc in docs):
            self._endpoint_written = True
            self._endpoint_news.set()

    async def _save_cursor(self, doc: dict[str, Any]) -> dict[str, Any]:
        (result,) = await self.services.store.put_many(Db.SYSTEM, [doc])
        if not result.ok:
            raise LeaseLost("the webhook feed cursor was moved by another replica")
        return {**doc, "_rev": result.rev}

    async def _write_deliveries(self, entries: list[FeedEntry], ports: Sequence[PortRequestEntry] = ()) -> int:
        """Write a delivery per (event, endpoint that hears it); how many."""
        now = self.services.clock()
        deliveries: list[Delivery] = []
        for position, port in enumerate(ports, start=len(entries)):
            request = port.request
            for endpoint in self._endpoints.values():
                viewer = self._viewers.get(endpoint.account_id)
                if viewer is None or not receives_port(endpoint, viewer, request):
                    continue
                # Ordered per request, as number events per number: the request's id is the subject.
                body = port_event(request, at=now)
                deliveries.append(new_delivery(endpoint.id, body, subject=request.id, now=now, position=position))
        for position, entry in enumerate(entries):
            for endpoint in self._endpoints.values():
                viewer = self._viewers.get(endpoint.account_id)
                if viewer is None or not receives(endpoint, viewer, entry.number, entry.before, entry.ancestors):
                    continue
                body = number_event(
                    entry.number, entry.before, viewer, entry.ancestors, deleted=entry.deleted, at=now
                )
                deliveries.append(new_delivery(endpoint.id, body, subject=entry.e164, now=now, position=position))
        for start in range(0, len(deliveries), 200):
            # A conflict is a delivery written before a crash or by the previous holder: already queued.
            await self.services.store.put_many(Db.SYSTEM, [d.to_doc() for d in deliveries[start : start + 200]])
        for webhook_id in {d.webhook_id for d in deliveries}:
            sender = self._senders.get(webhook_id)
            if sender is not None:
                sender.wake()
        return len(deliveries)

    # -- outcomes ---------------------------------------------------------------------------------

    async def record_outcome(self, endpoint_id: str, outcome: Outcome, reason: str | None, at: datetime) -> None:
        """Keep the endpoint's failure record: cleared by a success; a 410, or 24 hours of failures,
        disable it with the reason shown to the customer. `at` is when the attempt started, the time the
        delivery's own 24 hours are counted in too."""
        now, scale = at, self.settings.webhooks_retry_scale

        async def edit(doc: Doc | None) -> Doc | None:
            if doc is None:
                return None  # deleted meanwhile
            endpoint = Endpoint.from_doc(doc)
            if outcome is Outcome.DELIVERED:
                changed = replace(endpoint, failing_since=None)
            elif outcome is Outcome.GONE:
                changed = replace(endpoint, enabled=False, disabled_reason="The receiver answered 410 Gone.")
            else:
                failing_since = endpoint.failing_since or now
                changed = replace(endpoint, failing_since=failing_since)
                if endpoint.enabled and should_disable(failing_since, now, scale=scale):
                    changed = replace(
                        changed, enabled=False,
                        disabled_reason=f"Every delivery failed for 24 hours (last: {reason or 'no answer'}).",
                    )
            return None if changed == endpoint else changed.to_doc()

        written = await rewrite(self.services.store, Db.SYSTEM, doc_id(endpoint_id), edit, what="The webhook")
        if written is not None and not written.get("enabled", True):
            log.warning("webhooks: endpoint %s disabled: %s", endpoint_id, written.get("disabled_reason"))
            await abandon_queue(self.services, endpoint_id)
            await self.refresh_endpoints()


class EndpointSender:
    """One endpoint's queue: at most `concurrency` attempts at once, one at a time per number."""

    def __init__(self, dispatcher: Dispatcher, endpoint: Endpoint, client: httpx.AsyncClient) -> None:
        self.dispatcher = dispatcher
        self.endpoint = endpoint
        self.client = client
        self.services = dispatcher.services
        self.concurrency = max(1, self.services.settings.webhooks_concurrency_per_endpoint)
        self.task: asyncio.Task[None] | None = None
        self.depth = 0
        self.oldest: datetime | None = None
        self._moved = asyncio.Event()  # something changed: new deliveries, or an attempt finished
        self._retired = False
        self._stale = True  # the queue must be read again from the store
        self._queue: dict[str, Delivery] = {}  # unfinished deliveries by id, in feed order
        self._full_page = False
        self._finished: set[str] = set()  # finished since the last read began
        self._in_flight: dict[str, asyncio.Task[None]] = {}  # by subject (number)

    def start(self) -> None:
        self.task = asyncio.create_task(self._run(), name=f"numplane-webhook-{self.endpoint.id}")

    def stop(self) -> None:
        """At shutdown: cut everything short (a claimed delivery is taken again once its claim lapses)."""
        if self.task is not None:
            self.task.cancel()
        for task in self._in_flight.values():
            task.cancel()

    def tasks(self) -> list[asyncio.Task[None]]:
        return [*([self.task] if self.task is not None else []), *self._in_flight.values()]

    def retire(self) -> None:
        """The endpoint was disabled or deleted: start nothing more, and let the attempts in flight record
        their outcome (cancelling one mid-request would leave its claim to lapse, and its result unsaved)."""
        self._retired = True
        self._moved.set()

    def wake(self) -> None:
        """New deliveries may be waiting: read the queue again."""
        self._stale = True
        self._moved.set()

    async def _run(self) -> None:
        while not self._retired:
            self._moved.clear()
            try:
                if self._stale or not self._queue:
                    await self._read_queue()
                pause = self._start_due()
            except StoreUnavailable as error:
                log.warning("webhooks: store unavailable (%s)", error)
                pause = ERROR_PAUSE_SECONDS
            except Exception:
                log.exception("webhooks: endpoint %s: reading its queue failed", self.endpoint.id)
                pause = ERROR_PAUSE_SECONDS
            try:
                async with asyncio.timeout(pause):
                    await self._moved.wait()
            except TimeoutError:
                self._stale = True  # another replica or a redelivery may have queued something

    async def _read_queue(self) -> None:
        """A page of the endpoint's unfinished deliveries in feed order. Kept in memory and worked
        through: a finished delivery only drops out of it, without a read per delivery."""
        self._stale = False
        scope = "q:" + self.endpoint.id
        rows = await self.services.store.query(
            Db.SYSTEM, "deliveries", start=(scope, "", ""), end=(scope, "", HIGH), limit=QUEUE_PAGE
        )
        self._queue = {d.id: d for d in (Delivery.from_doc(r.doc) for r in rows) if d.id not in self._finished}
        self._finished.clear()
        self._full_page = len(rows) >= QUEUE_PAGE
        self.depth = len(self._queue)
        created = [d.created for d in self._queue.values() if d.created is not None]
        self.oldest = min(created) if created else None

    def _start_due(self) -> float:
        """Start what is due; the seconds until something may be due again."""
        now = self.services.clock()
        pause = self.services.settings.webhooks_poll_seconds
        if self._retired:
            return pause
        for delivery in heads(list(self._queue.values())):
            if len(self._in_flight) >= self.concurrency:
                break
            if delivery.subject in self._in_flight or delivery.busy(now):
                continue
            if not delivery.due(now):
                if delivery.next_attempt_at is not None:
                    pause = min(pause, max(0.01, (delivery.next_attempt_at - now).total_seconds()))
                continue
            self._in_flight[delivery.subject] = asyncio.create_task(self._deliver(delivery))
        return pause

    async def _deliver(self, delivery: Delivery) -> None:
        try:
            after = await self._attempt(delivery)
        finally:
            self._in_flight.pop(delivery.subject, None)
        if after is None or not after.unfinished:
            # Done, or taken by another replica: out of this copy of the queue (and out of the next read,
            # should that read have started before this delivery's last write).
            self._queue.pop(delivery.id, None)
            self._finished.add(delivery.id)
        else:
            self._queue[delivery.id] = after
        self.depth = len(self._queue)
        if not self._queue and self._full_page:
            self._stale = True  # more waits beyond the page read
        self._moved.set()  # the number's next delivery may go now

    async def _attempt(self, delivery: Delivery) -> Delivery | None:
        """The delivery as written after its attempt; None when it was not this replica's to send."""
        store = self.services.store
        try:
            now = self.services.clock()
            claimed = delivery.claimed(
                self.dispatcher.holder, now, timeout_seconds=self.services.settings.webhooks_timeout_seconds
            )
            (taken,) = await store.put_many(Db.SYSTEM, [claimed.to_doc()])
            if not taken.ok:
                self._stale = True  # another replica claimed it, or it changed (redelivered): read again
                return None
            claimed = replace(claimed, rev=taken.rev)
            result = await attempt(self.services, self.client, self.endpoint, claimed, now)
            after = claimed.attempted(
                result.attempt, result.outcome, random.random(), scale=self.services.settings.webhooks_retry_scale
            )
            self.services.webhook_stats.count(result.outcome.value if after.status is not Status.FAILED else "failed")
            (written,) = await store.put_many(Db.SYSTEM, [after.to_doc()])
            if not written.ok:
                log.warning("webhooks: delivery %s changed while it was being sent", delivery.id)
                self._stale = True
                return None
            if result.outcome is not Outcome.DELIVERED or self.endpoint.failing_since is not None:
                status = result.attempt.status
                reason = result.attempt.error or (f"HTTP {status}" if status is not None else None)
                await self.dispatcher.record_outcome(self.endpoint.id, result.outcome, reason, result.attempt.at)
            return replace(after, rev=written.rev)
        except StoreUnavailable as error:
            log.warning("webhooks: store unavailable while delivering %s (%s)", delivery.id, error)
            self._stale = True
            return None
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("webhooks: delivering %s failed", delivery.id)
            self._stale = True
            return None
