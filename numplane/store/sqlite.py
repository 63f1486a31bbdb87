"""The embedded store: one SQLite file (or `:memory:`) holding the three databases.

Per database there are four tables: `<db>_docs` (the latest revision of each document, tombstones
included, and its listing form when listings read less than all of it: numplane.store.listing; a number's
audit trail is kept apart in `<db>_trail`, one row per entry: numplane.store.trails),
`<db>_rows` (view rows, key encoded so that SQLite's text order is tuple order, so every query is an
index range read), `<db>_changes` (the change feed: each document once, at its latest change,
like CouchDB's `_changes`) and `<db>_blobs` (attachments; the document keeps CouchDB-shaped stubs).

sqlite3 blocks, so all work runs in one dedicated worker thread that owns the connection: calls from the
event loop are serialized there, and each `put_many` is one transaction.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import sqlite3
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from contextlib import contextmanager
from typing import Any, TypeVar

import orjson

from numplane.store import trails
from numplane.store.base import (
    Change,
    ChangePage,
    Db,
    Doc,
    InvalidCursor,
    Key,
    Row,
    StoreUnavailable,
    WriteResult,
)
from numplane.store.listing import LEFT_OUT, listing_form
from numplane.store.views import VIEWS_VERSION, views_of
from numplane.store.worker_calls import submit
from numplane.store.worker_thread import WorkerThread
from numplane.store.written_rows import ViewRow, Written, WrittenRows

T = TypeVar("T")

_SEPARATOR = "\x00"  # below every character a key may hold, so a shorter tuple sorts before its extensions
_BUSY_TIMEOUT_SECONDS = 10.0
_IN_CHUNK = 500  # ids per `IN (...)`, well under SQLite's bound-parameter limit
_REBUILD_BATCH = 1000
_ROWS_PER_STATEMENT = 100  # view rows per DELETE or INSERT: 300 parameters, one prepared statement per size
# Prepared statements kept: a statement per size of each batched one (index rows, feed rows, trail rows,
# `IN (...)` reads) made ~210 under transitions, and sqlite3 keeps 128 by default, so the costliest (a
# 100-row DELETE) were prepared again and again: ~11 % of a write's CPU in the store's thread.
_STATEMENTS_KEPT = 1024

_NOTHING = Written("", frozenset(), {})  # what a creation (or a write over a tombstone) replaces


def encode_key(key: Key) -> str:
    """Order-preserving text form of a key: tuple order equals SQLite's binary text order."""
    text = _SEPARATOR.join(key)
    # One count over the joined text instead of a test per part: a write encodes ~35 keys.
    if text.count(_SEPARATOR) != max(len(key) - 1, 0):
        part = next(part for part in key if _SEPARATOR in part)
        raise ValueError(f"key component {part!r} contains NUL, which the key encoding reserves")
    return text


def decode_key(text: str) -> Key:
    return tuple(text.split(_SEPARATOR))


def _body_text(body: Doc) -> str:
    # orjson: a number's document with its 100 audit entries encodes ~8x faster than with `json` (a third
    # of a write's CPU). Integers beyond 64 bits are left to `json`; NaN becomes null, as on CouchDB.
    try:
        return orjson.dumps(body, option=orjson.OPT_SORT_KEYS).decode()
    except TypeError:
        return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _next_rev(previous: str | None, body_text: str, deleted: bool, trail: trails.Trail | None) -> str:
    generation = int(previous.split("-", 1)[0]) + 1 if previous else 1
    # SHA-1 cut to CouchDB's 32 hex digits: it names the content as MD5 did (the memos of what this store
    # wrote rely on that: numplane.store.written_rows), at a quarter of MD5's CPU; a trail kept apart
    # counts by its entries' digests (numplane.store.trails).
    return f"{generation}-{trails.revision_digest(body_text, deleted, trail)}"


def _body(body_text: str) -> Doc:
    # orjson parses a listing page's documents several times faster; what it cannot hold (integers
    # beyond 64 bits, NaN written by `json`) is read by `json` as before.
    try:
        body: Doc = orjson.loads(body_text)
    except orjson.JSONDecodeError:
        body = json.loads(body_text)
    return body


StoredRow = tuple[str, str, int, str, int | None]  # id, rev, deleted, body, trail (entries kept apart)
_DOC_COLUMNS = "id, rev, deleted, body, trail"


def _docs(
    conn: sqlite3.Connection, db: Db, rows: Sequence[StoredRow], held: Mapping[str, str],
    own: WrittenRows | None = None,
) -> list[Doc]:
    """The documents of stored rows, their trails put back (one read of the trail table for all of them);
    a document at the revision the caller holds, or (`own`: this store's memo of its writes) at one this
    store wrote, is just its id and revision: parsing a number's body is most of a read's CPU, spent on
    what the caller has already (numplane.store.base)."""
    stubbed = [
        not deleted and (held.get(doc_id) == rev or (own is not None and own.of(db, doc_id, rev) is not None))
        for doc_id, rev, deleted, _body, _trail in rows
    ]
    wanted = [row[0] for row, stub in zip(rows, stubbed, strict=True) if row[4] is not None and not stub]
    texts = trails.texts_of(conn, db, wanted) if wanted else {}
    docs: list[Doc] = []
    for (doc_id, rev, deleted, body, _trail), stub in zip(rows, stubbed, strict=True):
        if stub:
            docs.append({"_id": doc_id, "_rev": rev})
            continue
        entries = texts.get(doc_id)
        docs.append(_as_doc(doc_id, rev, deleted, body if entries is None else trails.whole_text(db, body, entries)))
    return docs


def _as_doc(doc_id: str, rev: str, deleted: int, body_text: str) -> Doc:
    doc: Doc = {"_id": doc_id, "_rev": rev}
    doc.update(_body(body_text))
    if deleted:
        doc["_deleted"] = True
    return doc


def _stored_body(doc: Doc) -> Doc:
    """What the body column holds of a document written: all but its identity, revision, deletion flag
    and attachments (kept as stubs, added by the write)."""
    return {k: v for k, v in doc.items() if k not in ("_id", "_rev", "_deleted", "_attachments")}


def _listing_text(db: Db, body: Doc) -> str | None:
    form = listing_form(db, body)
    return _body_text(form) if form is not None else None


_VIEWS = {db: views_of(db) for db in Db}


def _view_rows(db: Db, doc: Doc, text: str | None = None) -> frozenset[ViewRow]:
    """The index rows of a document; `text`: its stored JSON text, when at hand. A key part is made of the
    document's strings (its id, values and names) and of literals, so without a NUL in the id and none
    escaped in the text (JSON writes it `\\u0000`) no key holds one, and keys are joined without checking
    each of them: that check was a third of this function's CPU, on every write."""
    doc_id = doc["_id"]
    if text is None or "\\u0000" in text or _SEPARATOR in doc_id:
        return frozenset((view.name, encode_key(key), doc_id) for view in _VIEWS[db] for key in view.keys(doc))
    join = _SEPARATOR.join
    return frozenset((view.name, join(key), doc_id) for view in _VIEWS[db] for key in view.keys(doc))


@contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


class _IndexWrites:
    """View-row deletions and insertions of one batch, and the documents it moves to the end of the change
    feed, applied a few statements for the whole batch."""

    def __init__(self, db: Db) -> None:
        self._table = f"{db.value}_rows"
        self._changes = f"{db.value}_changes"
        self.deletes: list[ViewRow] = []
        self.inserts: list[ViewRow] = []
        self.changed: list[str] = []  # document ids, in the order written

    def replace(self, old: AbstractSet[ViewRow], new: AbstractSet[ViewRow]) -> None:
        self.deletes.extend(old - new)
        self.inserts.extend(new - old)

    def flush(self, conn: sqlite3.Connection) -> None:
        # A few statements of many rows each, not one statement per row: every statement sqlite3 runs
        # gives up the GIL and takes it back from the event loop's thread, and a transition changes ~35
        # rows each way, so the handovers cost more CPU than the index writes themselves.
        for chunk in _chunks(self.deletes):
            terms = " OR ".join(["(view = ? AND key = ? AND doc_id = ?)"] * len(chunk))  # each a key lookup
            conn.execute(f"DELETE FROM {self._table} WHERE {terms}", [part for row in chunk for part in row])
        for chunk in _chunks(self.inserts):
            values = ", ".join(["(?, ?, ?)"] * len(chunk))
            conn.execute(
                f"INSERT OR REPLACE INTO {self._table} (view, key, doc_id) VALUES {values}",
                [part for row in chunk for part in row],
            )
        # REPLACE drops a document's previous change row: the feed holds each document once, at its latest.
        # One statement for the batch: its rows take their sequence numbers in the order of the VALUES.
        for start in range(0, len(self.changed), _ROWS_PER_STATEMENT):
            ids = self.changed[start : start + _ROWS_PER_STATEMENT]
            conn.execute(f"INSERT OR REPLACE INTO {self._changes} (id) VALUES {', '.join(['(?)'] * len(ids))}", ids)
        self.deletes, self.inserts, self.changed = [], [], []


def _chunks(rows: list[ViewRow]) -> Iterator[list[ViewRow]]:
    for start in range(0, len(rows), _ROWS_PER_STATEMENT):
        yield rows[start : start + _ROWS_PER_STATEMENT]


class SqliteStore:
    """The `Store` on SQLite; cursors carry this file's identity, so another store's cursor is refused."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._executor: WorkerThread | None = None
        self._conn: sqlite3.Connection | None = None
        self._instance = ""
        self._written = WrittenRows()

    # -- lifecycle ---------------------------------------------------------------------------------

    async def open(self) -> None:
        if self._executor is not None:
            return
        self._executor = WorkerThread("numplane-sqlite")
        try:
            self._instance = await self._run(self._open)
        except BaseException:
            self._executor.shutdown(wait=False)
            self._executor = None
            raise

    async def close(self) -> None:
        executor = self._executor
        if executor is None:
            return
        try:
            await self._run(self._close)
        finally:
            self._executor = None
            executor.shutdown(wait=False)

    async def ping(self) -> None:
        await self._run(lambda: self._connection().execute("SELECT 1").fetchone())

    # -- documents -------------------------------------------------------------------------------

    async def get_many(self, db: Db, ids: Sequence[str], *, held: Mapping[str, str] | None = None) -> dict[str, Doc]:
        return await self._run(self._get_many, db, list(dict.fromkeys(ids)), dict(held or {}))

    async def put_many(self, db: Db, docs: Sequence[Doc]) -> list[WriteResult]:
        return await self._run(self._put_many, db, [dict(doc) for doc in docs])

    async def get_attachment(self, db: Db, doc_id: str, name: str) -> bytes | None:
        return await self._run(self._get_attachment, db, doc_id, name)

    async def id_range(self, db: Db, *, start: str, end: str, after: str | None = None, limit: int) -> list[Doc]:
        if limit <= 0:
            return []
        return await self._run(self._id_range, db, start, end, after, limit)

    async def query(
        self,
        db: Db,
        view: str,
        *,
        start: Key,
        end: Key,
        after: Key | None = None,
        limit: int,
        listing: bool = False,
    ) -> list[Row]:
        self._check_view(db, view)
        if limit <= 0:
            return []
        return await self._run(self._query, db, view, start, end, after, limit, listing)

    async def count(self, db: Db, view: str, start: Key, end: Key) -> int:
        self._check_view(db, view)
        if start >= end:
            return 0
        return await self._run(self._count, db, view, start, end)

    @staticmethod
    def _check_view(db: Db, view: str) -> None:
        if view not in {v.name for v in views_of(db)}:
            raise ValueError(f"database {db.value} has no view {view!r}")

    # -- change feed -----------------------------------------------------------------------------

    async def changes(
        self, db: Db, since: str | None, limit: int, *, held: Mapping[str, str] | None = None, own: bool = False
    ) -> ChangePage:
        seq = 0 if since is None else self._parse_cursor(db, since)
        return await self._run(self._changes, db, seq, since, limit, dict(held or {}), own)

    async def current_cursor(self, db: Db) -> str:
        seq = await self._run(self._last_seq, db)
        return self._cursor(db, seq)

    # -- worker-thread side ----------------------------------------------------------------------

    async def _run(self, work: Callable[..., T], *args: Any) -> T:
        if self._executor is None:
            raise StoreUnavailable("the SQLite store is not open")
        try:
            future = submit(self._executor, work, *args)
        except RuntimeError as exc:  # the executor was shut down by a concurrent close()
            raise StoreUnavailable(f"the SQLite store is closed: {exc}") from exc
        try:
            return await future
        except sqlite3.Error as exc:  # disk I/O, locked beyond the busy timeout, corrupt file, ...
            raise StoreUnavailable(f"SQLite failed: {exc}") from exc

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreUnavailable("the SQLite store is not open")
        return self._conn

    def _open(self) -> str:
        folder = os.path.dirname(os.path.abspath(self._path))
        if self._path != ":memory:" and not os.path.isdir(folder):
            # sqlite3 says only "unable to open database file"; the usual cause is a folder not made yet.
            raise StoreUnavailable(f"the folder {folder} of the SQLite store does not exist (create it first)")
        conn = sqlite3.connect(
            self._path, timeout=_BUSY_TIMEOUT_SECONDS, isolation_level=None, cached_statements=_STATEMENTS_KEPT
        )
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            with _transaction(conn):
                instance = self._create_schema(conn)
        except BaseException:
            conn.close()
            raise
        self._conn = conn
        return instance

    def _close(self) -> None:
        self._written.forget()
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _create_schema(self, conn: sqlite3.Connection) -> str:
        conn.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
        conn.execute("INSERT OR IGNORE INTO meta (name, value) VALUES ('instance', ?)", (uuid.uuid4().hex[:16],))
        for db in Db:
            conn.execute(
                f"CREATE TABLE IF NOT EXISTS {db.value}_docs ("
                " id TEXT PRIMARY KEY, rev TEXT NOT NULL, deleted INTEGER NOT NULL, body TEXT NOT NULL)"
            )
            self._add_listing_column(conn, db)
            trails.create_table(conn, db)
            conn.execute(
                f"CREATE TABLE IF NOT EXISTS {db.value}_rows ("
                " view TEXT NOT NULL, key TEXT NOT NULL, doc_id TEXT NOT NULL,"
                " PRIMARY KEY (view, key, doc_id)) WITHOUT ROWID"
            )
            conn.execute(
                f"CREATE TABLE IF NOT EXISTS {db.value}_blobs ("
                " doc_id TEXT NOT NULL, name TEXT NOT NULL, data BLOB NOT NULL, PRIMARY KEY (doc_id, name))"
            )
            conn.execute(
                f"CREATE TABLE IF NOT EXISTS {db.value}_changes ("
                " seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE)"
            )
        version = conn.execute("SELECT value FROM meta WHERE name = 'views_version'").fetchone()
        if version is None or version[0] != VIEWS_VERSION:
            self._rebuild_views(conn)
            conn.execute("INSERT OR REPLACE INTO meta (name, value) VALUES ('views_version', ?)", (VIEWS_VERSION,))
        return str(conn.execute("SELECT value FROM meta WHERE name = 'instance'").fetchone()[0])

    @staticmethod
    def _add_listing_column(conn: sqlite3.Connection, db: Db) -> None:
        """Give a file written before listing forms existed its `listing` column, filled in for every
        live document (documents written from now on get theirs with the write)."""
        if any(column[1] == "listing" for column in conn.execute(f"PRAGMA table_info({db.value}_docs)")):
            return
        conn.execute(f"ALTER TABLE {db.value}_docs ADD COLUMN listing TEXT")
        if db not in LEFT_OUT:
            return
        cursor = conn.execute(f"SELECT id, body FROM {db.value}_docs WHERE deleted = 0")
        while batch := cursor.fetchmany(_REBUILD_BATCH):
            forms = [(_listing_text(db, _body(body)), doc_id) for doc_id, body in batch]
            conn.executemany(f"UPDATE {db.value}_docs SET listing = ? WHERE id = ?", forms)

    def _rebuild_views(self, conn: sqlite3.Connection) -> None:
        # View definitions changed (or the tables are new): re-emit every live document. No view reads a
        # trail (writes index the body without it too), so the trail rows are not read.
        for db in Db:
            conn.execute(f"DELETE FROM {db.value}_rows")
            writes = _IndexWrites(db)
            cursor = conn.execute(f"SELECT id, rev, deleted, body FROM {db.value}_docs WHERE deleted = 0")
            while batch := cursor.fetchmany(_REBUILD_BATCH):
                for row in batch:
                    writes.replace(frozenset(), _view_rows(db, _as_doc(*row), row[3]))
                writes.flush(conn)

    def _get_many(self, db: Db, ids: list[str], held: dict[str, str]) -> dict[str, Doc]:
        conn = self._connection()
        found: dict[str, Doc] = {}
        for i in range(0, len(ids), _IN_CHUNK):
            chunk = ids[i : i + _IN_CHUNK]
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT {_DOC_COLUMNS} FROM {db.value}_docs WHERE deleted = 0 AND id IN ({marks})"
            for doc in _docs(conn, db, conn.execute(sql, chunk).fetchall(), held):
                found[doc["_id"]] = doc
        return {doc_id: found[doc_id] for doc_id in ids if doc_id in found}

    def _put_many(self, db: Db, docs: list[Doc]) -> list[WriteResult]:
        conn = self._connection()
        results: list[WriteResult] = []
        writes = _IndexWrites(db)
        seen: set[str] = set()
        with _transaction(conn):
            for doc in docs:
                doc_id = str(doc["_id"])
                if doc_id in seen:
                    writes.flush(conn)  # the same id twice in one batch: index the first write before the second
                seen.add(doc_id)
                results.append(self._put_one(conn, db, doc_id, doc, writes))
            writes.flush(conn)
        return results

    def _put_one(self, conn: sqlite3.Connection, db: Db, doc_id: str, doc: Doc, writes: _IndexWrites) -> WriteResult:
        expected = doc.get("_rev")
        known = self._written.of(db, doc_id, expected) if isinstance(expected, str) else None
        if known is not None and not known.attachments and not doc.get("_attachments"):
            return self._put_over_known(conn, db, doc_id, doc, known, writes)
        # Without the body: the revision replaced is usually one whose rows this store remembers.
        current = conn.execute(f"SELECT rev, deleted FROM {db.value}_docs WHERE id = ?", (doc_id,)).fetchone()
        if expected is None:
            if current is not None and not current[1]:
                return WriteResult(doc_id, ok=False, error="conflict")  # create over a live document
        elif current is None or current[0] != expected:
            return WriteResult(doc_id, ok=False, error="conflict")
        deleted = bool(doc.get("_deleted"))
        body = _stored_body(doc)
        entries = trails.split(db, body)
        replaced = self._replaced(conn, db, doc_id, current)
        stubs = self._attachments(conn, db, doc_id, doc.get("_attachments"), replaced.attachments, deleted)
        if stubs is None:
            return WriteResult(doc_id, ok=False, error="bad_request")
        if stubs:
            body["_attachments"] = stubs
        text = _body_text(body)
        rev, trail = self._revision(db, doc_id, current[0] if current else None, text, entries, deleted)
        conn.execute(
            f"INSERT OR REPLACE INTO {db.value}_docs (id, rev, deleted, body, listing, trail)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (doc_id, rev, int(deleted), text, None if deleted else _listing_text(db, body),
             len(entries) if entries is not None else None),
        )
        self._store_trail(conn, db, doc_id, rev, trail, existed=current is not None)
        return self._indexed(db, doc_id, body, text, rev, deleted, replaced, writes)

    def _put_over_known(
        self, conn: sqlite3.Connection, db: Db, doc_id: str, doc: Doc, known: Written, writes: _IndexWrites
    ) -> WriteResult:
        """A write over a revision this store wrote (and remembers), with no attachment on either side: the
        usual write of a number. One conditional UPDATE stands for reading the row, comparing revisions
        and replacing the row: it changes nothing unless the row still holds that revision, which then is
        live and holds the remembered rows (a revision names its content), so no other row is a conflict."""
        deleted = bool(doc.get("_deleted"))
        body = _stored_body(doc)
        entries = trails.split(db, body)
        text = _body_text(body)
        rev, trail = self._revision(db, doc_id, known.rev, text, entries, deleted)
        updated = conn.execute(
            f"UPDATE {db.value}_docs SET rev = ?, deleted = ?, body = ?, listing = ?, trail = ?"
            " WHERE id = ? AND rev = ?",
            (rev, int(deleted), text, None if deleted else _listing_text(db, body),
             len(entries) if entries is not None else None, doc_id, known.rev),
        )
        if updated.rowcount != 1:
            return WriteResult(doc_id, ok=False, error="conflict")
        self._store_trail(conn, db, doc_id, rev, trail, existed=True)
        return self._indexed(db, doc_id, body, text, rev, deleted, known, writes)

    def _revision(
        self, db: Db, doc_id: str, previous: str | None, text: str, entries: list[Any] | None, deleted: bool
    ) -> tuple[str, trails.TrailWrite | None]:
        """A write's new revision over `previous`, and what it does to the trail kept apart (None: no trail
        list, so the body holds whatever it has): the appended entries when this store remembers the trail
        it wrote at `previous`, else the whole trail."""
        known = self._written.trail_of(db, doc_id, previous) if previous else None
        trail = trails.planned(entries, known, _body_text) if entries is not None else None
        return _next_rev(previous, text, deleted, trail.trail if trail else None), trail

    def _store_trail(
        self, conn: sqlite3.Connection, db: Db, doc_id: str, rev: str, trail: trails.TrailWrite | None, *,
        existed: bool,
    ) -> None:
        """Write the trail rows of revision `rev` (its row just stored) and remember the trail written."""
        trails.apply(conn, db, doc_id, trail, existed=existed)
        self._written.wrote_trail(db, doc_id, rev, trail.trail if trail else None)

    def _indexed(
        self, db: Db, doc_id: str, body: Doc, text: str, rev: str, deleted: bool, replaced: Written,
        writes: _IndexWrites,
    ) -> WriteResult:
        """The rest of a write once its row is stored (`text`: its body's): its view rows (those of the
        replaced revision that changed), the memo of what was written, and its place at the end of the
        change feed."""
        new_rows = frozenset() if deleted else _view_rows(db, {**body, "_id": doc_id}, text)
        writes.replace(replaced.rows, new_rows)
        self._written.wrote(db, doc_id, None if deleted else Written(rev, new_rows, body.get("_attachments") or {}))
        writes.changed.append(doc_id)
        return WriteResult(doc_id, ok=True, rev=rev)

    def _replaced(self, conn: sqlite3.Connection, db: Db, doc_id: str, current: tuple[str, int] | None) -> Written:
        """The view rows and attachments of the live revision a write replaces: remembered from this
        store's own write of it (numplane.store.written_rows), else found by reading and parsing its body."""
        if current is None or current[1]:
            return _NOTHING
        remembered = self._written.of(db, doc_id, current[0])
        if remembered is not None:
            return remembered
        text = conn.execute(f"SELECT body FROM {db.value}_docs WHERE id = ?", (doc_id,)).fetchone()[0]
        previous = {**_body(text), "_id": doc_id}
        return Written(current[0], _view_rows(db, previous, text), previous.get("_attachments") or {})

    def _attachments(
        self, conn: sqlite3.Connection, db: Db, doc_id: str, wanted: Any, kept: dict[str, Any], deleted: bool
    ) -> dict[str, Any] | None:
        """Store new attachments, keep stubbed ones (`kept`: those of the revision replaced), drop the
        others (as CouchDB does); the stubs to keep in the body, or None when the request names a stub the
        document does not have or is malformed."""
        wanted = {} if deleted or not isinstance(wanted, dict) else wanted
        stubs: dict[str, Any] = {}
        new: list[tuple[str, str, bytes]] = []  # written only once every entry proved good
        for name, attachment in wanted.items():
            if not isinstance(attachment, dict):
                return None
            if attachment.get("stub"):
                if name not in kept:
                    return None
                stubs[name] = kept[name]
                continue
            try:
                data = base64.b64decode(str(attachment.get("data", "")), validate=True)
            except (binascii.Error, ValueError):
                return None
            digest = base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()
            stubs[name] = {"content_type": str(attachment.get("content_type") or "application/octet-stream"),
                           "length": len(data), "digest": "md5-" + digest, "stub": True}
            new.append((doc_id, name, data))
        if new:  # skipped when empty: even an empty executemany hands the GIL over and back
            conn.executemany(f"INSERT OR REPLACE INTO {db.value}_blobs (doc_id, name, data) VALUES (?, ?, ?)", new)
        for name in kept.keys() - stubs.keys():
            conn.execute(f"DELETE FROM {db.value}_blobs WHERE doc_id = ? AND name = ?", (doc_id, name))
        return stubs

    def _get_attachment(self, db: Db, doc_id: str, name: str) -> bytes | None:
        row = self._connection().execute(
            f"SELECT b.data FROM {db.value}_blobs AS b JOIN {db.value}_docs AS d ON d.id = b.doc_id"
            " WHERE b.doc_id = ? AND b.name = ? AND d.deleted = 0",
            (doc_id, name),
        ).fetchone()
        return bytes(row[0]) if row else None

    def _id_range(self, db: Db, start: str, end: str, after: str | None, limit: int) -> list[Doc]:
        # One lower bound only, so SQLite seeks straight to it instead of filtering from `start`.
        lower, op = (after, ">") if after is not None and after >= start else (start, ">=")
        sql = (
            f"SELECT {_DOC_COLUMNS} FROM {db.value}_docs"
            f" WHERE id {op} ? AND id < ? AND deleted = 0 ORDER BY id LIMIT ?"
        )
        conn = self._connection()
        return _docs(conn, db, conn.execute(sql, (lower, end, limit)).fetchall(), {})

    def _query(
        self, db: Db, view: str, start: Key, end: Key, after: Key | None, limit: int, listing: bool
    ) -> list[Row]:
        lower, op = encode_key(start), ">="
        if after is not None and encode_key(after) >= lower:
            lower, op = encode_key(after), ">"
        # NULL: the whole document is its form. A listing form leaves the trail out, so its rows read none.
        body, trail = ("COALESCE(d.listing, d.body)", "NULL") if listing else ("d.body", "d.trail")
        sql = (
            f"SELECT r.key, d.id, d.rev, d.deleted, {body}, {trail} FROM {db.value}_rows AS r"
            f" JOIN {db.value}_docs AS d ON d.id = r.doc_id"
            f" WHERE r.view = ? AND r.key {op} ? AND r.key < ? ORDER BY r.key, r.doc_id LIMIT ?"
        )
        conn = self._connection()
        rows = conn.execute(sql, (view, lower, encode_key(end), limit)).fetchall()
        docs = _docs(conn, db, [row[1:] for row in rows], {})
        return [Row(key=decode_key(row[0]), id=row[1], doc=doc) for row, doc in zip(rows, docs, strict=True)]

    def _count(self, db: Db, view: str, start: Key, end: Key) -> int:
        # A range of the index table's primary key: SQLite counts it without touching the documents.
        sql = f"SELECT COUNT(*) FROM {db.value}_rows WHERE view = ? AND key >= ? AND key < ?"
        row = self._connection().execute(sql, (view, encode_key(start), encode_key(end))).fetchone()
        return int(row[0])

    def _changes(
        self, db: Db, seq: int, since: str | None, limit: int, held: dict[str, str], own: bool
    ) -> ChangePage:
        if limit <= 0:
            return ChangePage(changes=[], cursor=since if since is not None else self._cursor(db, seq))
        sql = (
            f"SELECT c.seq, d.id, d.rev, d.deleted, d.body, d.trail FROM {db.value}_changes AS c"
            f" JOIN {db.value}_docs AS d ON d.id = c.id WHERE c.seq > ? ORDER BY c.seq LIMIT ?"
        )
        conn = self._connection()
        rows = conn.execute(sql, (seq, limit)).fetchall()
        changes = [
            Change(cursor=self._cursor(db, row[0]), id=row[1], deleted=bool(row[3]), doc=doc)
            # `own`: the memo knows what this thread wrote up to this very read, where the reader's `held`
            # was taken before its read waited its turn behind the writes queued here (numplane.changes.hub).
            for row, doc in zip(
                rows, _docs(conn, db, [row[1:] for row in rows], held, self._written if own else None), strict=True
            )
        ]
        if changes:
            return ChangePage(changes=changes, cursor=changes[-1].cursor)
        return ChangePage(changes=[], cursor=since if since is not None else self._cursor(db, seq))

    def _last_seq(self, db: Db) -> int:
        row = self._connection().execute(f"SELECT MAX(seq) FROM {db.value}_changes").fetchone()
        return int(row[0] or 0)

    # -- cursors ---------------------------------------------------------------------------------

    def _cursor(self, db: Db, seq: int) -> str:
        return f"{self._instance}:{db.value}:{seq}"

    def _parse_cursor(self, db: Db, cursor: str) -> int:
        parts = cursor.split(":")
        if (
            len(parts) != 3
            or parts[0] != self._instance
            or parts[1] != db.value
            or not (parts[2].isascii() and parts[2].isdigit())
        ):
            raise InvalidCursor(f"cursor {cursor!r} was not issued by this store for {db.value}")
        return int(parts[2])
