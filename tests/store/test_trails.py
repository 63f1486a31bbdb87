"""The embedded store keeps a number's audit trail apart (numplane.store.trails): a write over its own last
revision adds only the new entries, any other rewrites the trail, and every read returns the documents
as written, with revisions that name their content either way."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from numplane.store.base import HIGH, Db, Doc
from numplane.store.sqlite import SqliteStore

E164 = "+14155550100"
NUMBER: Doc = {"_id": E164, "pvt_type": "number", "pvt_state": "available", "pvt_module_name": "local"}


def entry(i: int) -> dict[str, Any]:
    return {"at": f"2026-11-26T12:00:{i:02d}.000000Z", "action": "edit", "to": "available", "n": i}


@asynccontextmanager
async def opened(path: Path) -> AsyncIterator[SqliteStore]:
    store = SqliteStore(str(path))
    await store.open()
    try:
        yield store
    finally:
        await store.close()


async def write(store: SqliteStore, doc: Doc) -> str:
    [result] = await store.put_many(Db.NUMBERS, [doc])
    assert result.ok and result.rev is not None, result
    return result.rev


def stored_seqs(path: Path) -> list[int]:
    with sqlite3.connect(path) as raw:
        seqs = [seq for (seq,) in raw.execute("SELECT seq FROM numbers_trail WHERE id = ? ORDER BY seq", (E164,))]
    raw.close()
    return seqs


async def test_a_write_over_its_own_revision_appends_the_new_entries_and_another_process_rewrites_them(
    tmp_path: Path,
) -> None:
    path = tmp_path / "numplane.db"
    trail = [entry(i) for i in range(5)]
    async with opened(path) as store:
        first = await write(store, {**NUMBER, "pvt_history": trail})
        assert stored_seqs(path) == [0, 1, 2, 3, 4]
        # The same entry objects, the oldest dropped and one appended: only those two rows change.
        appended = [*trail[1:], entry(5)]
        second = await write(store, {**NUMBER, "pvt_history": appended, "_rev": first})
        assert stored_seqs(path) == [1, 2, 3, 4, 5]
        assert (await store.get_many(Db.NUMBERS, [E164]))[E164] == {**NUMBER, "pvt_history": appended, "_rev": second}
        grown = [*appended, entry(6), entry(7)]  # a trail not yet full: only the new entries are added
        second = await write(store, {**NUMBER, "pvt_history": grown, "_rev": second})
        assert stored_seqs(path) == [1, 2, 3, 4, 5, 6, 7]
        appended = grown[2:]
        second = await write(store, {**NUMBER, "pvt_history": appended, "_rev": second})
        assert stored_seqs(path) == [3, 4, 5, 6, 7]
        async with opened(path) as other:  # another process remembers nothing it did not write
            rewritten = [*appended[1:], entry(8)]
            third = await write(other, {**NUMBER, "pvt_history": rewritten, "_rev": second})
            assert stored_seqs(path) == [0, 1, 2, 3, 4]
            read = (await other.get_many(Db.NUMBERS, [E164]))[E164]
            assert read == {**NUMBER, "pvt_history": rewritten, "_rev": third}
        # Entries that are new objects with the same content are written again whole, and read the same.
        copied = [dict(e) for e in rewritten]
        fourth = await write(store, {**NUMBER, "pvt_history": copied, "_rev": third})
        assert (await store.get_many(Db.NUMBERS, [E164]))[E164] == {**NUMBER, "pvt_history": copied, "_rev": fourth}


async def test_equal_documents_get_equal_revisions_whether_their_trail_was_appended_or_rewritten(
    tmp_path: Path,
) -> None:
    trail = [entry(i) for i in range(3)]
    appended = [*trail[1:], entry(3)]
    async with opened(tmp_path / "one.db") as one, opened(tmp_path / "two.db") as two:
        first_one = await write(one, {**NUMBER, "pvt_history": trail})
        first_two = await write(two, {**NUMBER, "pvt_history": trail})
        async with opened(tmp_path / "two.db") as other:
            by_append = await write(one, {**NUMBER, "pvt_history": appended, "_rev": first_one})
            by_rewrite = await write(other, {**NUMBER, "pvt_history": appended, "_rev": first_two})
    assert first_one == first_two
    assert by_append == by_rewrite and by_append.startswith("2-")


async def test_every_read_returns_the_documents_as_written_trails_tombstones_and_odd_trails_included(
    tmp_path: Path,
) -> None:
    path = tmp_path / "numplane.db"
    trail = [entry(i) for i in range(4)]
    others = {
        "+14155550101": {**NUMBER, "_id": "+14155550101", "pvt_history": "not a list"},  # kept in the body
        "+14155550102": {**NUMBER, "_id": "+14155550102", "pvt_history": []},
        "+14155550103": {**NUMBER, "_id": "+14155550103"},
    }
    async with opened(path) as store:
        rev = await write(store, {**NUMBER, "pvt_history": trail})
        rev = await write(store, {**NUMBER, "pvt_history": [*trail, entry(4)], "_rev": rev})
        for doc in others.values():
            await write(store, doc)
        gone = {**NUMBER, "_id": "+14155550104", "pvt_history": trail}
        gone_rev = await write(store, gone)
        gone_rev = await write(store, {**gone, "_rev": gone_rev, "_deleted": True})
        expected = {E164: {**NUMBER, "pvt_history": [*trail, entry(4)], "_rev": rev}}
        for doc_id, doc in others.items():
            expected[doc_id] = {**doc, "_rev": (await store.get_many(Db.NUMBERS, [doc_id]))[doc_id]["_rev"]}
    tombstone = {**gone, "_rev": gone_rev, "_deleted": True}

    async with opened(path) as store:  # read back by a process that wrote none of it
        ids = sorted(expected)
        assert await store.get_many(Db.NUMBERS, ids) == expected
        assert await store.id_range(Db.NUMBERS, start="+", end="+" + HIGH, limit=10) == [expected[i] for i in ids]
        rows = await store.query(Db.NUMBERS, "tree", start=("*", ""), end=("*", "", HIGH), limit=10)
        assert [row.doc for row in rows] == [expected[i] for i in ids]
        changes = (await store.changes(Db.NUMBERS, None, 10)).changes
        assert {c.id: c.doc for c in changes} == {**expected, gone["_id"]: tombstone}


async def test_a_file_whose_bodies_hold_their_trails_opens_reads_and_moves_each_trail_out_on_its_next_write(
    tmp_path: Path,
) -> None:
    path = tmp_path / "numplane.db"
    trail = [entry(i) for i in range(3)]
    async with opened(path) as store:
        rev = await write(store, {**NUMBER, "pvt_history": trail})
    with sqlite3.connect(path) as raw:  # the file as the previous numplane left it: the trail in the body
        body = {**json.loads(raw.execute("SELECT body FROM numbers_docs").fetchone()[0]), "pvt_history": trail}
        raw.execute("UPDATE numbers_docs SET body = ?", (json.dumps(body, sort_keys=True, separators=(",", ":")),))
        raw.execute("ALTER TABLE numbers_docs DROP COLUMN trail")
        raw.execute("DROP TABLE numbers_trail")
    raw.close()

    async with opened(path) as store:
        assert (await store.get_many(Db.NUMBERS, [E164]))[E164] == {**NUMBER, "pvt_history": trail, "_rev": rev}
        assert stored_seqs(path) == []
        appended = [*trail, entry(3)]
        rev = await write(store, {**NUMBER, "pvt_history": appended, "_rev": rev})
        assert stored_seqs(path) == [0, 1, 2, 3]
        assert (await store.get_many(Db.NUMBERS, [E164]))[E164] == {**NUMBER, "pvt_history": appended, "_rev": rev}
        [change] = (await store.changes(Db.NUMBERS, None, 10)).changes
        assert change.doc == {**NUMBER, "pvt_history": appended, "_rev": rev}
