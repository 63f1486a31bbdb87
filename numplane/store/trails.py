"""The embedded store keeps a number's audit trail apart from its row: one row per entry, keyed (id, seq).

A number's trail (`pvt_history`, up to history_length entries) is most of its document's bytes (~24 KB of
~26), yet a transition changes it by one entry at its end, and drops one at its start once the trail is
full. Kept inside the document's row, every write re-encoded, re-hashed and rewrote all of it (~98 KB of
write-ahead log a transition). Kept in `<db>_trail`, a write over a revision this store wrote (and
remembers: numplane.store.written_rows) inserts the appended entries and deletes the dropped ones; any
other write rewrites the trail whole. The writer's entries are the same objects from one write to the
next (numplane.domain.numbers keeps them raw), so identity tells the kept ones apart, at no parsing cost.

A revision still names the whole content (`revision_digest`): the row's body text and, in order, one
SHA-1 per entry of its canonical text, so equal documents get equal revisions whichever way their trail
was written. Only a list is kept apart; any other value of the key stays in the body, as do the trails of
rows written before this table existed (their `trail` column is NULL) until their next write.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from operator import is_
from typing import Any

from numplane.store.base import Db, Doc

TRAILS: dict[Db, str] = {Db.NUMBERS: "pvt_history"}
"""The key of each database whose documents keep a trail apart."""

_IN_CHUNK = 500  # ids per `IN (...)`
_ENTRIES_PER_STATEMENT = 100  # rows per INSERT: 300 parameters


@dataclass(frozen=True, slots=True)
class Trail:
    """A trail as this store wrote it: the writer's entry objects, their digests and the first entry's seq."""

    entries: tuple[Any, ...]
    digests: tuple[bytes, ...]
    first: int


@dataclass(frozen=True, slots=True)
class TrailWrite:
    """What one write does to a document's trail rows: delete them all (`rewrite`) or those before
    `drop_before` (if not None), then insert `rows` (seq, text); `trail` is the trail it leaves. `moved`:
    instead, the one row dropped (at that seq) becomes the one row appended, in one statement."""

    trail: Trail
    rewrite: bool
    drop_before: int | None
    rows: list[tuple[int, str]]
    moved: int | None = None


def split(db: Db, body: Doc) -> list[Any] | None:
    """Take the trail out of a body about to be stored, when this database keeps it apart and it is a list."""
    key = TRAILS.get(db)
    trail = body.get(key) if key is not None else None
    if type(trail) is not list:
        return None
    del body[key]  # type: ignore[arg-type]
    return trail


def planned(entries: list[Any], known: Trail | None, encode: Callable[[Any], str]) -> TrailWrite:
    """The rows to write for `entries` over the trail this store wrote at the revision replaced (`known`),
    or over whatever is stored (None): the appended entries when `entries` is `known` less some of its
    oldest entries plus new ones, else the whole trail again."""
    kept = _kept_from(known, entries) if known is not None else None
    if known is None or kept is None:
        texts = [encode(entry) for entry in entries]
        digests = tuple(_digest(text) for text in texts)
        return TrailWrite(Trail(tuple(entries), digests, 0), True, None, list(enumerate(texts)))
    dropped = len(known.entries) - kept
    appended = entries[kept:]
    texts = [encode(entry) for entry in appended]
    next_seq = known.first + len(known.entries)
    digests = known.digests[dropped:] + tuple(_digest(text) for text in texts)
    trail = Trail(tuple(entries), digests, known.first + dropped)
    rows = [(next_seq + i, text) for i, text in enumerate(texts)]
    # A full trail's usual step, one entry out and one in: a statement fewer (each hands the GIL over and
    # back between the store's thread and the event loop, costing more than the row it writes).
    moved = known.first if dropped == 1 and len(rows) == 1 else None
    return TrailWrite(trail, False, trail.first if dropped else None, rows, moved)


def _kept_from(known: Trail, entries: list[Any]) -> int | None:
    """How many of `entries` are the newest entries of `known`, the same objects in the same order (the
    rest being appended), or None when `entries` is not such a continuation."""
    old = known.entries
    if not entries:
        return 0
    head = entries[0]
    start = next((i for i, entry in enumerate(old) if entry is head), len(old))
    kept = len(old) - start
    # map(is_) compares in C: a genexpr over a hundred entries cost as much as the statement it saves.
    if kept > len(entries) or not all(map(is_, entries[:kept], old[start:])):
        return None
    return kept


def _digest(text: str) -> bytes:
    return hashlib.sha1(text.encode(), usedforsecurity=False).digest()


def revision_digest(body_text: str, deleted: bool, trail: Trail | None) -> str:
    """The content part of a revision: of the body text and, when the trail is kept apart, its entries'
    digests (behind a NUL, which no JSON text holds, so no body alone can hash the same)."""
    digest = hashlib.sha1((("deleted:" if deleted else "") + body_text).encode(), usedforsecurity=False)
    if trail is not None:
        digest.update(b"\x00trail\x00")
        digest.update(b"".join(trail.digests))
    return digest.hexdigest()[:32]


def apply(conn: sqlite3.Connection, db: Db, doc_id: str, write: TrailWrite | None, *, existed: bool) -> None:
    """Write a document's trail rows (`write` None: its body holds its trail, so it has no rows)."""
    if db not in TRAILS:
        return
    table = f"{db.value}_trail"
    if write is not None and write.moved is not None:
        [(seq, text)] = write.rows
        sql = f"UPDATE {table} SET seq = ?, entry = ? WHERE id = ? AND seq = ?"
        conn.execute(sql, (seq, text, doc_id, write.moved))
        return
    if write is None or write.rewrite:
        if existed:
            conn.execute(f"DELETE FROM {table} WHERE id = ?", (doc_id,))
    elif write.drop_before is not None:
        conn.execute(f"DELETE FROM {table} WHERE id = ? AND seq < ?", (doc_id, write.drop_before))
    if write is None:
        return
    for start in range(0, len(write.rows), _ENTRIES_PER_STATEMENT):
        chunk = write.rows[start : start + _ENTRIES_PER_STATEMENT]
        values = ", ".join(["(?, ?, ?)"] * len(chunk))
        conn.execute(
            f"INSERT INTO {table} (id, seq, entry) VALUES {values}",
            [part for seq, text in chunk for part in (doc_id, seq, text)],
        )


def texts_of(conn: sqlite3.Connection, db: Db, ids: list[str]) -> dict[str, list[str]]:
    """The stored entry texts of each document's trail, oldest first."""
    found: dict[str, list[str]] = {doc_id: [] for doc_id in ids}
    for chunk in _chunks(ids):
        marks = ",".join("?" * len(chunk))
        sql = f"SELECT id, entry FROM {db.value}_trail WHERE id IN ({marks}) ORDER BY id, seq"
        for doc_id, text in conn.execute(sql, chunk):
            found[doc_id].append(text)
    return found


def whole_text(db: Db, body_text: str, texts: list[str]) -> str:
    """The document's text with its trail put back (as the body's last key), parsed once by the reader."""
    trail = f'"{TRAILS[db]}":[{",".join(texts)}]'
    return "{" + trail + "}" if body_text == "{}" else body_text[:-1] + "," + trail + "}"


def create_table(conn: sqlite3.Connection, db: Db) -> None:
    """The docs table's `trail` column (the entry count; NULL: the body holds whatever trail there is) and
    the trail table, added to a file written before trails were kept apart: its rows keep their trails in
    their bodies (column NULL) and are read as before until their next write moves the trail out."""
    if not any(column[1] == "trail" for column in conn.execute(f"PRAGMA table_info({db.value}_docs)")):
        conn.execute(f"ALTER TABLE {db.value}_docs ADD COLUMN trail INTEGER")
    if db not in TRAILS:
        return
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS {db.value}_trail ("
        " id TEXT NOT NULL, seq INTEGER NOT NULL, entry TEXT NOT NULL, PRIMARY KEY (id, seq)) WITHOUT ROWID"
    )


def _chunks(ids: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(ids), _IN_CHUNK):
        yield ids[start : start + _IN_CHUNK]
