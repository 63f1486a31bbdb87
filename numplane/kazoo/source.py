"""Where Kazoo's documents come from: its CouchDB over HTTP, or a folder holding a dump of it.

A folder has one sub-folder per database (`accounts/`, `numbers%2F%2B1415/`) of `*.json` documents. The
CouchDB source reads through the store's CouchHttp, so the credentials in the URL are sent as Basic auth
and never appear in a message (`label` is the URL without them).

Number databases are the ones whose name is the numbers prefix followed by `+` (Kazoo's `numbers/+1415`).
pouchdb-server strips `/` from database names (it stores `numbers%2F%2B1415` as `numbers+1415`), so a
name matching the prefix without its slashes is taken too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote, unquote

from numplane.store.base import StoreUnavailable
from numplane.store.couch_http import CouchHttp, describe

PAGE = 500
"""Documents per read (a page of `_all_docs` or `_changes`)."""


class SourceError(Exception):
    """The source cannot be read (unreachable, refused, not a Kazoo layout); the message has no credentials."""


@dataclass(frozen=True, slots=True)
class SourceChange:
    id: str
    deleted: bool
    doc: dict[str, Any] | None  # None for a deletion


@dataclass(frozen=True, slots=True)
class ChangeBatch:
    changes: list[SourceChange]
    since: str  # opaque: echo it back to continue after these changes
    pending: int | None  # changes left after this batch, when the source says


class Source(Protocol):
    label: str
    follows: bool  # whether changes() works

    async def databases(self, prefix: str) -> list[str]:
        """The number databases, sorted."""
        ...

    async def page(self, db: str, after: str | None, limit: int = PAGE) -> list[dict[str, Any]]:
        """Documents with id > after (design documents left out), ascending; fewer than `limit` at the end."""
        ...

    async def position(self, db: str) -> str:
        """The change sequence of "now" in `db`."""
        ...

    async def changes(self, db: str, since: str | None, limit: int = PAGE) -> ChangeBatch: ...

    async def close(self) -> None: ...


def is_number_database(name: str, prefix: str) -> bool:
    stripped = prefix.replace("/", "")
    for candidate, start in ((unquote(name), prefix), (name.replace("/", ""), stripped)):
        if candidate.startswith(start) and candidate[len(start):].startswith("+"):
            return True
    return False


class CouchSource:
    """A Kazoo CouchDB (or pouchdb-server) over HTTP."""

    follows = True

    def __init__(self, url: str) -> None:
        try:
            self._http = CouchHttp(url)
        except ValueError:
            raise SourceError("--source must be http://[user:pass@]host:port or a folder") from None
        self.label = self._http.where

    async def _get(self, path: str, params: dict[str, str] | None = None) -> Any:
        try:
            reply = await self._http.request("GET", path, params=params, idempotent=True)
        except StoreUnavailable as exc:
            raise SourceError(str(exc)) from None
        if reply.status != 200:
            raise SourceError(f"{self.label} answered GET {path.split('?')[0]} with {reply.status} {describe(reply)}")
        return reply.body

    async def databases(self, prefix: str) -> list[str]:
        names = await self._get("/_all_dbs")
        return sorted(name for name in names if is_number_database(name, prefix))

    async def page(self, db: str, after: str | None, limit: int = PAGE) -> list[dict[str, Any]]:
        params = {"include_docs": "true", "limit": str(limit + 1)}
        if after is not None:
            params["startkey"] = json.dumps(after)
        body = await self._get(f"/{_db(db)}/_all_docs", params)
        rows = [row for row in body["rows"] if row["id"] != after][:limit]
        # A short page means the end, whatever design documents it held.
        docs = [row["doc"] for row in rows if not row["id"].startswith("_design/") and row.get("doc")]
        if len(rows) == limit and len(docs) < limit:
            docs += await self.page(db, rows[-1]["id"], limit - len(docs))
        return docs

    async def position(self, db: str) -> str:
        body = await self._get(f"/{_db(db)}")
        return json.dumps(body["update_seq"])

    async def changes(self, db: str, since: str | None, limit: int = PAGE) -> ChangeBatch:
        params = {"include_docs": "true", "limit": str(limit)}
        if since is not None:
            params["since"] = _seq_param(since)
        body = await self._get(f"/{_db(db)}/_changes", params)
        changes = [
            SourceChange(row["id"], bool(row.get("deleted")), None if row.get("deleted") else row.get("doc"))
            for row in body["results"]
            if not row["id"].startswith("_design/")
        ]
        pending = body.get("pending")
        return ChangeBatch(changes, json.dumps(body["last_seq"]), pending if isinstance(pending, int) else None)

    async def close(self) -> None:
        await self._http.close()


class FolderSource:
    """An offline dump: one folder per database of `<id>.json` documents (ids percent-encoded or not)."""

    follows = False

    def __init__(self, root: Path) -> None:
        if not root.is_dir():
            raise SourceError(f"{root} is not a folder")
        self._root = root
        self.label = str(root)
        self._cache: dict[str, list[dict[str, Any]]] = {}

    async def databases(self, prefix: str) -> list[str]:
        return sorted(p.name for p in self._root.iterdir() if p.is_dir() and is_number_database(p.name, prefix))

    def _docs(self, db: str) -> list[dict[str, Any]]:
        if db not in self._cache:
            folder = self._root / db
            if not folder.is_dir():
                folder = self._root / quote(db, safe="")
            docs = []
            for path in sorted(folder.glob("*.json")) if folder.is_dir() else ():
                try:
                    doc = json.loads(path.read_text())
                except (OSError, ValueError) as exc:
                    raise SourceError(f"{path}: not a JSON document ({type(exc).__name__})") from None
                if isinstance(doc, dict):
                    doc.setdefault("_id", unquote(path.stem))
                    docs.append(doc)
            self._cache[db] = sorted((d for d in docs if not str(d["_id"]).startswith("_design/")),
                                     key=lambda d: str(d["_id"]))
        return self._cache[db]

    async def page(self, db: str, after: str | None, limit: int = PAGE) -> list[dict[str, Any]]:
        return [d for d in self._docs(db) if after is None or str(d["_id"]) > after][:limit]

    async def position(self, db: str) -> str:
        return "0"

    async def changes(self, db: str, since: str | None, limit: int = PAGE) -> ChangeBatch:
        raise SourceError("a folder has no change feed: --follow needs a CouchDB source")

    async def close(self) -> None:
        return None


def open_source(location: str) -> CouchSource | FolderSource:
    if location.startswith(("http://", "https://")):
        return CouchSource(location)
    return FolderSource(Path(location))


def _db(name: str) -> str:
    return quote(name, safe="")


def _seq_param(since: str) -> str:
    # Sequences are opaque: an integer on pouchdb-server, a string on CouchDB 3; echoed as they came.
    value = json.loads(since)
    return value if isinstance(value, str) else json.dumps(value)

