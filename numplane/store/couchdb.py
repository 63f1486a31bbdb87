"""The production store: CouchDB 3 over its HTTP API (tested against pouchdb-server 4.2.0).

Only the portable subset of the API is used (see the project's CouchDB notes): `_all_docs` with keys or
an id range, `_bulk_docs`, the views of the `_design/numplane` document (map, and the built-in `_count`
reduce for totals), and the normal `_changes` feed. Kazoo's document shape is kept: a number's `_id` is
its E.164 form, private fields are `pvt_*`.

Self-healing: when a database answers 404 (CouchDB restored from nothing, an in-memory test server
restarted, an operator dropped it) the store re-creates it with its design document and tries the request
once more, so a long-running process recovers without being re-opened.

Key collation: CouchDB 3 orders view keys with ICU (Unicode collation), pouchdb-server and the SQLite
store by code point. They agree on everything numplane puts in keys (digits, lowercase hex ids, lowercase
states and module names behind a fixed prefix), which is why the views keep keys to those.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

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
from numplane.store.couch_http import CouchHttp
from numplane.store.views import design_document

DESIGN_ID = "_design/numplane"


class CouchStore:
    """numplane's Store over one pooled keep-alive connection to a CouchDB server."""

    def __init__(self, url: str, *, db_prefix: str = "numplane") -> None:
        self._http = CouchHttp(url)
        self._names = {db: f"{db_prefix}_{db.value}" for db in Db}
        self._ensuring = {db: asyncio.Lock() for db in Db}

    # -- lifecycle ---------------------------------------------------------------------------------

    async def open(self) -> None:
        try:
            for db in Db:
                await self._ensure(db)
        except BaseException:
            # A store that did not open is not closed by its caller: its HTTP session must not outlive it.
            await self._http.close()
            raise

    async def close(self) -> None:
        await self._http.close()

    async def ping(self) -> None:
        # The system database, not `/`: it proves the credentials work and the databases exist.
        await self._call(Db.SYSTEM, "GET", "", idempotent=True)

    # -- documents ---------------------------------------------------------------------------------

    async def get_many(self, db: Db, ids: Sequence[str], *, held: Mapping[str, str] | None = None) -> dict[str, Doc]:
        # `held` costs nothing here and saves nothing: the reply is parsed whole, so held documents come whole.
        if not ids:
            return {}
        body = await self._call(
            db,
            "POST",
            "/_all_docs",
            params={"include_docs": "true"},
            body={"keys": list(dict.fromkeys(ids))},
            idempotent=True,
        )
        found: dict[str, Doc] = {}
        for row in body["rows"]:
            # Missing ids answer {"error": "not_found"}, deleted ones {"value": {"deleted": true}, "doc": null}.
            doc = row.get("doc")
            if doc is not None and not row.get("value", {}).get("deleted"):
                found[row["id"]] = doc
        return found

    async def put_many(self, db: Db, docs: Sequence[Doc]) -> list[WriteResult]:
        if not docs:
            return []
        # A deletion travels through _bulk_docs with its whole body, so the tombstone keeps state, owner
        # and tree (DELETE /db/id would leave only _id/_rev/_deleted). A create (no _rev) over a tombstone
        # succeeds on both CouchDB and pouchdb-server.
        sent = [{k: v for k, v in doc.items() if not (k == "_rev" and v is None)} for doc in docs]
        results = await self._call(db, "POST", "/_bulk_docs", body={"docs": sent}, idempotent=False)
        if not isinstance(results, list) or len(results) != len(docs):
            raise StoreUnavailable(f"CouchDB at {self._http.where} answered _bulk_docs with a malformed result")
        return [
            WriteResult(id=str(result.get("id", doc.get("_id", ""))), ok=True, rev=result.get("rev"))
            if result.get("ok")
            else WriteResult(id=str(result.get("id", doc.get("_id", ""))), ok=False, error=str(result.get("error")))
            for doc, result in zip(docs, results, strict=True)
        ]

    async def get_attachment(self, db: Db, doc_id: str, name: str) -> bytes | None:
        path = f"/{self._names[db]}/{quote(doc_id, safe='')}/{quote(name, safe='')}"
        status, content = await self._http.download(path)
        if status == 404:
            return None
        if status != 200:
            raise StoreUnavailable(f"CouchDB at {self._http.where} answered GET of an attachment with {status}")
        return content

    # -- indexed reads -----------------------------------------------------------------------------

    async def query(
        self,
        db: Db,
        view: str,
        *,
        start: Key,
        end: Key,
        after: Key | None = None,
        limit: int,
        listing: bool = False,  # answered with whole documents: the view's rows carry no listing form
    ) -> list[Row]:
        # Keyset paging: start at `after` itself and drop its row (keys are unique: they end with the id).
        lower, skip = (after, after) if after is not None and after >= start else (start, None)
        if limit <= 0 or lower >= end:
            return []
        params = {
            "startkey": _json(list(lower)),
            "endkey": _json(list(end)),
            "inclusive_end": "false",
            "include_docs": "true",
            "reduce": "false",  # the views carry a `_count` reduce, used only by `count`
            "limit": str(limit + (1 if skip is not None else 0)),
        }
        body = await self._call(db, "GET", f"/{DESIGN_ID}/_view/{quote(view, safe='')}", params=params, idempotent=True)
        rows = [
            Row(key=tuple(row["key"]), id=row["id"], doc=row["doc"])
            for row in body["rows"]
            if row.get("doc") is not None and tuple(row["key"]) != skip
        ]
        return rows[:limit]

    async def count(self, db: Db, view: str, start: Key, end: Key) -> int:
        if start >= end:
            return 0
        # The `_count` reduce over the key range, not grouped: one row holding the count, or none when empty.
        params = {"startkey": _json(list(start)), "endkey": _json(list(end)), "inclusive_end": "false"}
        body = await self._call(db, "GET", f"/{DESIGN_ID}/_view/{quote(view, safe='')}", params=params, idempotent=True)
        rows = body["rows"]
        return int(rows[0]["value"]) if rows else 0

    async def id_range(self, db: Db, *, start: str, end: str, after: str | None = None, limit: int) -> list[Doc]:
        lower, skip = (after, after) if after is not None and after >= start else (start, None)
        docs: list[Doc] = []
        # Design documents share the id space; they are skipped, and the page refilled past them.
        while len(docs) < limit and lower < end:
            want = limit - len(docs) + 1
            params = {
                "startkey": _json(lower),
                "endkey": _json(end),
                "inclusive_end": "false",
                "include_docs": "true",
                "limit": str(want),
            }
            rows = (await self._call(db, "GET", "/_all_docs", params=params, idempotent=True))["rows"]
            docs.extend(
                row["doc"]
                for row in rows
                if row["id"] != skip and not row["id"].startswith("_design/") and row.get("doc") is not None
            )
            if len(rows) < want:
                break
            lower = skip = rows[-1]["id"]
        return docs[:limit]

    # -- change feed -------------------------------------------------------------------------------

    async def changes(
        self, db: Db, since: str | None, limit: int, *, held: Mapping[str, str] | None = None, own: bool = False
    ) -> ChangePage:
        # `held`, `own`: answered whole, as get_many does.
        seq = None if since is None else self._decode(db, since)
        if limit <= 0:
            return ChangePage(changes=[], cursor=since or await self.current_cursor(db))
        found: list[Change] = []
        cursor = since
        # Design documents are skipped, and the page refilled past them.
        while len(found) < limit:
            want = limit - len(found)
            params = {"include_docs": "true", "limit": str(want)}
            if seq is not None:
                params["since"] = str(seq)
            body = await self._call(db, "GET", "/_changes", params=params, idempotent=True)
            results = body["results"]
            found.extend(self._change(db, r) for r in results if not r["id"].startswith("_design/"))
            if results:
                seq = results[-1]["seq"]
                cursor = self._encode(db, seq)
            elif cursor is None:
                cursor = self._encode(db, body["last_seq"])
            if len(results) < want:
                break
        if cursor is None:  # an empty database read from the beginning
            cursor = await self.current_cursor(db)
        return ChangePage(changes=found, cursor=cursor)

    async def current_cursor(self, db: Db) -> str:
        info = await self._call(db, "GET", "", idempotent=True)
        return self._encode(db, info["update_seq"])

    def _change(self, db: Db, result: dict[str, Any]) -> Change:
        deleted = bool(result.get("deleted"))
        doc = result.get("doc") or {"_id": result["id"], "_rev": result["changes"][0]["rev"], "_deleted": deleted}
        return Change(cursor=self._encode(db, result["seq"]), id=result["id"], deleted=deleted, doc=doc)

    # Sequences are opaque (integers on pouchdb-server, long strings on CouchDB 3) and meaningless on
    # another database, so the cursor carries the database's name beside the sequence exactly as given.
    def _encode(self, db: Db, seq: Any) -> str:
        raw = json.dumps({"couchdb": self._names[db], "seq": seq}, separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    def _decode(self, db: Db, cursor: str) -> int | str:
        try:
            padded = cursor + "=" * (-len(cursor) % 4)
            data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        except (ValueError, UnicodeError, binascii.Error):
            raise InvalidCursor("not a change-feed cursor of this store") from None
        if not isinstance(data, dict) or data.get("couchdb") != self._names[db]:
            raise InvalidCursor("the cursor belongs to another store or database")
        seq = data.get("seq")
        if isinstance(seq, bool) or not isinstance(seq, int | str):
            raise InvalidCursor("not a change-feed cursor of this store")
        return seq

    # -- plumbing ----------------------------------------------------------------------------------

    async def _call(
        self,
        db: Db,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: Any = None,
        idempotent: bool,
    ) -> Any:
        """One request under the database `db`; a missing database is re-created and the request repeated."""
        full = "/" + self._names[db] + path
        reply = await self._http.request(method, full, params=params, body=body, idempotent=idempotent)
        if reply.status == 404:
            await self._ensure(db)
            reply = await self._http.request(method, full, params=params, body=body, idempotent=idempotent)
        if not 200 <= reply.status < 300:
            raise self._http.unexpected(method, full, reply)
        return reply.body

    async def _ensure(self, db: Db) -> None:
        """Create the database if missing and install or upgrade its design document (idempotent)."""
        async with self._ensuring[db]:
            name = "/" + self._names[db]
            reply = await self._http.request("PUT", name, idempotent=False)
            if reply.status not in (201, 202, 412):  # 412: it already exists
                raise self._http.unexpected("PUT", name, reply)
            await self._install_design(db, name + "/" + DESIGN_ID)

    async def _install_design(self, db: Db, path: str) -> None:
        wanted = design_document(db)
        current = await self._http.request("GET", path, idempotent=True)
        if current.status == 200 and current.body.get("numplane_version") == wanted["numplane_version"]:
            return
        if current.status == 200:
            wanted["_rev"] = current.body["_rev"]
        elif current.status != 404:
            raise self._http.unexpected("GET", path, current)
        reply = await self._http.request("PUT", path, body=wanted, idempotent=False)
        # 409: another replica installed it at the same moment; its document is as good as ours.
        if reply.status not in (201, 202, 409):
            raise self._http.unexpected("PUT", path, reply)


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))
