"""Attachments, the way both stores keep port documents: inline base64 on write, stubs on read, bytes by
name; kept while a later write names them as stubs, dropped when it leaves them out (CouchDB's rule)."""

from __future__ import annotations

import base64
import os

from numplane.store.base import Db, Store

PDF = b"%PDF-1.7\n" + os.urandom(300_000)


def inline(data: bytes, content_type: str = "application/pdf") -> dict[str, str]:
    return {"content_type": content_type, "data": base64.b64encode(data).decode()}


async def test_attachment_round_trips_byte_for_byte_and_reads_back_as_a_stub(store: Store) -> None:
    [result] = await store.put_many(Db.PORTS, [{"_id": "r1", "pvt_type": "x", "_attachments": {"loa": inline(PDF)}}])
    assert result.ok
    doc = (await store.get_many(Db.PORTS, ["r1"]))["r1"]
    stub = doc["_attachments"]["loa"]
    assert stub["stub"] is True and stub["length"] == len(PDF) and stub["content_type"] == "application/pdf"
    assert "data" not in stub
    assert await store.get_attachment(Db.PORTS, "r1", "loa") == PDF


async def test_a_later_write_keeps_stubbed_attachments_and_drops_the_ones_it_leaves_out(store: Store) -> None:
    both = {"loa": inline(PDF), "bill": inline(b"\xff\xd8\xffx", "image/jpeg")}
    await store.put_many(Db.PORTS, [{"_id": "r2", "_attachments": both}])
    doc = (await store.get_many(Db.PORTS, ["r2"]))["r2"]
    doc["_attachments"] = {"loa": doc["_attachments"]["loa"]}
    doc["note"] = "bill dropped"
    [result] = await store.put_many(Db.PORTS, [doc])
    assert result.ok
    assert await store.get_attachment(Db.PORTS, "r2", "loa") == PDF
    assert await store.get_attachment(Db.PORTS, "r2", "bill") is None


async def test_missing_documents_and_names_have_no_attachment(store: Store) -> None:
    await store.put_many(Db.PORTS, [{"_id": "r3", "a": 1}])
    assert await store.get_attachment(Db.PORTS, "r3", "loa") is None
    assert await store.get_attachment(Db.PORTS, "nope", "loa") is None


async def test_a_deleted_document_takes_its_attachments_with_it(store: Store) -> None:
    [created] = await store.put_many(Db.PORTS, [{"_id": "r4", "_attachments": {"loa": inline(PDF)}}])
    [deleted] = await store.put_many(Db.PORTS, [{"_id": "r4", "_rev": created.rev, "_deleted": True}])
    assert deleted.ok
    assert await store.get_attachment(Db.PORTS, "r4", "loa") is None
