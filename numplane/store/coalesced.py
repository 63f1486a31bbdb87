"""A Store that merges concurrent reads and writes of one database into one call: group commit.

Sixteen requests each changing one number make sixteen `get_many` and sixteen `put_many` calls. On SQLite
each is a hand-over to the worker thread and its own transaction and WAL commit; on CouchDB each is an
HTTP request. Here a call that finds its lane (operation and database) idle goes straight through, with
no delay added; calls that arrive while it is in flight wait, and when it ends they go as ONE call. No
timer: a group is whatever arrived during the previous call, so the busier the store, the larger the
groups, and a lone call never waits.

What stays as it was with separate calls:
- Each caller gets exactly its own answer: the documents of its ids; the WriteResults of its documents,
  in its order.
- A caller never joins a call already in flight (it may have started before the caller's own previous
  write ended), only the next one.
- A document id is never written by two callers in one merged call: a caller writing an id already in
  the group waits for the next call, so the second write of a revision conflicts as it would alone
  (and pouchdb-server and CouchDB need not agree on an id twice in one `_bulk_docs`).
- A failure of the merged call reaches every caller in it.
- A caller cancelled while it waits is left out of the next call (as a pending SQLite call is not run);
  once its call is sent, it is not taken back. Merged calls run in their own task, so a cancelled caller
  never takes the others' reads or writes with it.
- A conditional read (`held`: the revisions a caller holds, whose documents may come as just id and
  revision) names an id held in the merged call only at the revision every caller asking for it holds.
- A group stops growing at MERGED_IDS ids or MERGED_DOCS documents; a bigger call goes straight through
  alone, as do calls with options this wrapper does not know (passed on unchanged).

Other calls (views, ranges, the change feed) go straight through: they are not made many at once with
the same shape (the feed has one reader per process), so there is nothing to merge.
"""

from __future__ import annotations

import asyncio
import contextvars
import copy
from abc import ABC, abstractmethod
from collections import Counter, deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import orjson

from numplane.store.base import ChangePage, Db, Doc, Key, Row, Store, StoreUnavailable, WriteResult

MERGED_IDS = 500
"""Ids per merged read: one `IN (...)` of the SQLite store, a small `_all_docs` body on CouchDB."""
MERGED_DOCS = 100
"""Documents per merged write: a number's document with its audit trail is ~24 KB, so ~2.4 MB a batch."""

Request = TypeVar("Request")
Answer = TypeVar("Answer")


@dataclass(slots=True)
class _Waiting(Generic[Request, Answer]):
    request: Request
    answer: asyncio.Future[Answer]


@dataclass(slots=True)
class _Group:
    """The merged call being formed: the ids it holds and how many ids or documents that makes."""

    ids: set[str] = field(default_factory=set)
    size: int = 0


class _Lane(ABC, Generic[Request, Answer]):
    """The calls of one operation on one database: one in flight, those arriving meanwhile waiting for the next."""

    operation = ""

    def __init__(self, inner: Store, db: Db, store: CoalescedStore) -> None:
        self.inner = inner
        self.db = db
        self._store = store
        self._busy = False
        self._waiting: deque[_Waiting[Request, Answer]] = deque()

    async def call(self, request: Request) -> Answer:
        if not self._busy:
            self._busy = True
            try:
                self._store.group_sizes[self.operation, 1] += 1
                return await self._alone(request)
            finally:
                self._next()
        answer: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self._waiting.append(_Waiting(request, answer))
        return await answer

    def _next(self) -> None:
        """Send what waited during the call that just ended, in a task of its own, or leave the lane idle."""
        group = self._take()
        if not group:
            self._busy = False
            return
        # In a context of its own: the call serves several requests, so its log lines (a CouchDB retry) must
        # not carry the request id of the one whose call happened to end before it.
        task = asyncio.get_running_loop().create_task(self._send(group), context=contextvars.Context())
        self._store.running.add(task)
        task.add_done_callback(self._store.running.discard)

    def _take(self) -> list[_Waiting[Request, Answer]]:
        """The waiting calls, oldest first, up to the first that cannot join; those cancelled are dropped."""
        group: list[_Waiting[Request, Answer]] = []
        formed = _Group()
        while self._waiting:
            waiting = self._waiting[0]
            if waiting.answer.cancelled():
                self._waiting.popleft()
                continue
            if group and not self._joins(formed, waiting.request):
                break
            self._waiting.popleft()
            group.append(waiting)
            self._add(formed, waiting.request)
        return group

    async def _send(self, group: list[_Waiting[Request, Answer]]) -> None:
        self._store.group_sizes[self.operation, len(group)] += 1
        try:
            if len(group) == 1:
                _settle(group[0].answer, await self._alone(group[0].request))
            else:
                await self._together(group)
        except asyncio.CancelledError:  # the loop is shutting down: nobody is left to answer
            for waiting in group:
                waiting.answer.cancel()
            raise
        except BaseException as error:  # every caller in the call sees its failure
            for waiting in group:
                if not waiting.answer.done():
                    waiting.answer.set_exception(error)
            if not isinstance(error, Exception):  # KeyboardInterrupt, SystemExit: the process's too
                raise
        finally:
            self._next()

    @abstractmethod
    async def _alone(self, request: Request) -> Answer:
        """One caller's call, made as it is."""

    @abstractmethod
    async def _together(self, group: list[_Waiting[Request, Answer]]) -> None:
        """One call for the whole group, each caller's answer settled with its own part."""

    @abstractmethod
    def _joins(self, formed: _Group, request: Request) -> bool:
        """Whether `request` may join the call being formed (the first one always does)."""

    @abstractmethod
    def _add(self, formed: _Group, request: Request) -> None:
        """Count `request` into the call being formed."""


@dataclass(frozen=True, slots=True)
class _Read:
    ids: list[str]
    held: Mapping[str, str]  # the revisions the caller holds (Store.get_many's conditional read), or none


class _Reads(_Lane[_Read, dict[str, Doc]]):
    operation = "get_many"

    async def _alone(self, request: _Read) -> dict[str, Doc]:
        return await self.inner.get_many(self.db, request.ids, **_held(request.held))

    async def _together(self, group: list[_Waiting[_Read, dict[str, Doc]]]) -> None:
        # A document may come as just its id and revision when the call names that revision as held: so an
        # id is named held only at the revision every caller asking for it holds, else it comes whole.
        held: dict[str, str | None] = {}
        for waiting in group:
            for doc_id in waiting.request.ids:
                revision = waiting.request.held.get(doc_id)
                if doc_id not in held:
                    held[doc_id] = revision
                elif held[doc_id] != revision:
                    held[doc_id] = None
        merged = {doc_id: revision for doc_id, revision in held.items() if revision is not None}
        found = await self.inner.get_many(self.db, list(held), **_held(merged))
        given: set[str] = set()
        for waiting in group:
            mine: dict[str, Doc] = {}
            for doc_id in waiting.request.ids:
                doc = found.get(doc_id)
                if doc is None or doc_id in mine:
                    continue
                # Callers may change the documents they read: a second caller of an id gets its own copy.
                mine[doc_id] = _copy(doc) if doc_id in given else doc
                given.add(doc_id)
            _settle(waiting.answer, mine)

    def _joins(self, formed: _Group, request: _Read) -> bool:
        return formed.size + len(request.ids) <= MERGED_IDS

    def _add(self, formed: _Group, request: _Read) -> None:
        formed.size += len(request.ids)


def _held(held: Mapping[str, str]) -> dict[str, Any]:
    """The conditional read's option, named only when it holds something (a store without it is asked as before)."""
    return {"held": held} if held else {}


class _Writes(_Lane[list[Doc], list[WriteResult]]):
    operation = "put_many"

    async def _alone(self, request: list[Doc]) -> list[WriteResult]:
        return await self.inner.put_many(self.db, request)

    async def _together(self, group: list[_Waiting[list[Doc], list[WriteResult]]]) -> None:
        docs = [doc for waiting in group for doc in waiting.request]
        results = await self.inner.put_many(self.db, docs)
        if len(results) != len(docs):
            raise StoreUnavailable(f"the store answered {len(docs)} writes with {len(results)} results")
        start = 0
        for waiting in group:
            end = start + len(waiting.request)
            _settle(waiting.answer, results[start:end])
            start = end

    def _joins(self, formed: _Group, request: list[Doc]) -> bool:
        return formed.size + len(request) <= MERGED_DOCS and formed.ids.isdisjoint(_ids(request))

    def _add(self, formed: _Group, request: list[Doc]) -> None:
        formed.size += len(request)
        formed.ids.update(_ids(request))


def _ids(docs: list[Doc]) -> set[str]:
    return {str(doc.get("_id")) for doc in docs}


def _settle(answer: asyncio.Future[Answer], result: Answer) -> None:
    if not answer.done():  # a caller cancelled after its call was sent
        answer.set_result(result)


def _copy(doc: Doc) -> Doc:
    try:
        copied: Doc = orjson.loads(orjson.dumps(doc))  # several times faster than deepcopy on a 24 KB number
    except TypeError:  # what orjson cannot hold (integers beyond 64 bits)
        copied = copy.deepcopy(doc)
    return copied


class CoalescedStore:
    """The `Store` `inner` with concurrent `get_many` and `put_many` calls merged per database."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self._reads = {db: _Reads(inner, db, self) for db in Db}
        self._writes = {db: _Writes(inner, db, self) for db in Db}
        # Calls made to `inner` by (operation, callers merged into it): what a benchmark reports.
        self.group_sizes: Counter[tuple[str, int]] = Counter()
        self.running: set[asyncio.Task[None]] = set()  # merged calls in flight (a task needs a reference)

    async def open(self) -> None:
        await self.inner.open()

    async def close(self) -> None:
        await self.inner.close()

    async def ping(self) -> None:
        await self.inner.ping()

    async def get_many(
        self, db: Db, ids: Sequence[str], *, held: Mapping[str, str] | None = None, **options: Any
    ) -> dict[str, Doc]:
        wanted = list(ids)
        if options or not wanted or len(wanted) > MERGED_IDS:
            return await self.inner.get_many(db, wanted, **_held(held or {}), **options)
        return await self._reads[db].call(_Read(wanted, held or {}))

    async def put_many(self, db: Db, docs: Sequence[Doc], **options: Any) -> list[WriteResult]:
        batch = list(docs)
        if options or not batch or len(batch) > MERGED_DOCS:
            return await self.inner.put_many(db, batch, **options)
        return await self._writes[db].call(batch)

    async def get_attachment(self, db: Db, doc_id: str, name: str) -> bytes | None:
        return await self.inner.get_attachment(db, doc_id, name)

    async def query(
        self, db: Db, view: str, *, start: Key, end: Key, after: Key | None = None, limit: int, listing: bool = False
    ) -> list[Row]:
        return await self.inner.query(db, view, start=start, end=end, after=after, limit=limit, listing=listing)

    async def count(self, db: Db, view: str, start: Key, end: Key) -> int:
        return await self.inner.count(db, view, start, end)

    async def id_range(self, db: Db, *, start: str, end: str, after: str | None = None, limit: int) -> list[Doc]:
        return await self.inner.id_range(db, start=start, end=end, after=after, limit=limit)

    async def changes(self, db: Db, since: str | None, limit: int, **options: Any) -> ChangePage:
        return await self.inner.changes(db, since, limit, **options)

    async def current_cursor(self, db: Db) -> str:
        return await self.inner.current_cursor(db)
