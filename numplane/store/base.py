"""The Store interface every backend implements (SQLite embedded, CouchDB over HTTP).

Documents are plain JSON objects in CouchDB's shape (`_id`, `_rev`, `_deleted`). Writes are conditional
on `_rev`; indexed reads go through the *views* of `numplane.store.views` (the same definitions drive the
CouchDB design documents and the SQLite index table), always with keyset bounds, never offsets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

Doc = dict[str, Any]
Key = tuple[str, ...]

HIGH = "\ufff0"
"""Sorts after every character used in keys (CouchDB's documented upper sentinel for strings)."""


class Db(str, Enum):
    NUMBERS = "numbers"
    ACCOUNTS = "accounts"
    SYSTEM = "system"  # config, API keys, job claims, the numbers port requests claim
    PORTS = "ports"  # port requests, with their documents as attachments


@dataclass(frozen=True, slots=True)
class WriteResult:
    id: str
    ok: bool
    rev: str | None = None
    error: str | None = None  # "conflict" when the revision did not match (or the doc exists on create)


@dataclass(frozen=True, slots=True)
class Row:
    key: Key
    id: str
    doc: Doc


@dataclass(frozen=True, slots=True)
class Change:
    cursor: str  # opaque: the position just after this change
    id: str
    deleted: bool
    doc: Doc  # the document after the change; for a deletion, the tombstone (keeps state, owner, tree)


@dataclass(frozen=True, slots=True)
class ChangePage:
    changes: list[Change]
    cursor: str  # resume from here (equal to the input cursor when nothing changed)


def is_stub(doc: Doc) -> bool:
    """Whether a document read came as just its `_id` and `_rev` (a held or own revision, see `changes`):
    every document numplane stores holds more than those two keys."""
    return len(doc) == 2 and "_id" in doc and "_rev" in doc


class StoreUnavailable(Exception):
    """The backend cannot be reached or failed; resolvers turn it into STORE_UNAVAILABLE."""


class UnsupportedStoreUrl(ValueError):
    """A store URL numplane has no store for, or cannot read (sqlite:///path.db and http(s)://host:port)."""


def masked(url: str) -> str:
    """The URL with its password replaced by `***`, for messages and logs, even when it is malformed."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:  # not a URL urllib can read (a bad IPv6 host ...): it may still carry a password
        return _masked_roughly(url)
    if not password:
        return _masked_roughly(url)  # e.g. `user:pass@host` without a scheme reads as a path
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


def _masked_roughly(text: str) -> str:
    """Whatever sits between the first `:` after the scheme and the last `@` is taken for a password: in a
    malformed URL it is better to hide too much than to show a secret."""
    scheme_end = text.find("://")
    start = scheme_end + 3 if scheme_end >= 0 else 0
    at = text.rfind("@")
    colon = text.find(":", start, at) if at > start else -1
    return text if colon < 0 else f"{text[: colon + 1]}***{text[at:]}"


class InvalidCursor(ValueError):
    """A change-feed cursor that this store did not issue."""


class Store(Protocol):
    """What numplane needs from a database, and nothing more."""

    async def open(self) -> None:
        """Create databases and indexes if missing (idempotent)."""

    async def close(self) -> None: ...

    async def ping(self) -> None:
        """Raise StoreUnavailable if the backend cannot serve requests."""

    async def get_many(self, db: Db, ids: Sequence[str], *, held: Mapping[str, str] | None = None) -> dict[str, Doc]:
        """Live documents by id in one round trip; missing and deleted ids are absent from the result.

        `held` names revisions the caller already holds (id -> revision): a document still at the revision
        held for its id may come as just its `_id` and `_rev`, its body left unparsed: a revision names its
        content, so the caller's copy is that document. A store that reads whole documents anyway (CouchDB)
        answers them whole; either way the caller tells a held one by its revision."""

    async def put_many(self, db: Db, docs: Sequence[Doc]) -> list[WriteResult]:
        """Write documents in one batch, each conditional on its `_rev`, one result per doc in input order.

        A doc without `_rev` is a create: it conflicts if a live document has that id. A doc with
        `"_deleted": true` is a deletion whose body is kept as the tombstone (state, owner, tree), so the
        change feed can tell who could see it.

        Attachments follow CouchDB: `_attachments` maps a name to `{"content_type", "data": base64}` for a
        new one or to the stub read back with the document (`"stub": true`) to keep one; a name left out
        is removed. Reads return stubs only (content_type, length, digest), never the bytes.
        """

    async def get_attachment(self, db: Db, doc_id: str, name: str) -> bytes | None:
        """The bytes of one attachment of a live document, or None when either is missing."""

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
        """Rows of `view` with start <= key < end (and key > after, for keyset paging), ascending.

        Keys are tuples of strings compared element by element; a shorter tuple sorts before any longer
        one it prefixes. Documents are included; with `listing`, a document may come without the parts
        no listing shows (numplane.store.listing), every other key as stored.
        """

    async def count(self, db: Db, view: str, start: Key, end: Key) -> int:
        """How many rows of `view` have start <= key < end, counted in the index without reading documents."""

    async def id_range(self, db: Db, *, start: str, end: str, after: str | None = None, limit: int) -> list[Doc]:
        """Live documents with start <= _id < end (and _id > after), ascending by id."""

    async def changes(
        self, db: Db, since: str | None, limit: int, *, held: Mapping[str, str] | None = None, own: bool = False
    ) -> ChangePage:
        """Changes after `since` (None: from the beginning), oldest first, each document once at its
        latest change. Raises InvalidCursor for a cursor this store did not issue. `held`: as for
        `get_many`, the change of a live document at a held revision may carry just `_id` and `_rev`.
        `own`: so may the change of a live document at a revision this store object wrote itself (in this
        process), for a reader that keeps what its process writes and reads whole again what it does not
        keep (`is_stub` tells such a change apart; numplane.changes.hub)."""

    async def current_cursor(self, db: Db) -> str:
        """The cursor of "now": changes() from it returns only later changes."""
