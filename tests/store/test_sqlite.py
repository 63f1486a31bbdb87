"""What only the embedded store promises: a file that outlives the process, cursors bound to that file,
key encoding that keeps tuple order, and SQLite failures surfacing as StoreUnavailable."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from numplane.store.base import HIGH, Db, InvalidCursor, StoreUnavailable
from numplane.store.sqlite import SqliteStore, decode_key, encode_key

NUMBER = {"_id": "+14155550100", "pvt_type": "number", "pvt_state": "available", "pvt_module_name": "local"}


async def test_documents_views_and_feed_survive_closing_and_reopening_the_file(tmp_path: Path) -> None:
    path = str(tmp_path / "numplane.db")
    first = SqliteStore(path)
    await first.open()
    [result] = await first.put_many(Db.NUMBERS, [NUMBER])
    cursor = await first.current_cursor(Db.NUMBERS)
    await first.close()

    again = SqliteStore(path)
    await again.open()
    try:
        assert (await again.get_many(Db.NUMBERS, [NUMBER["_id"]]))[NUMBER["_id"]]["_rev"] == result.rev
        rows = await again.query(Db.NUMBERS, "tree", start=("*",), end=("*", HIGH), limit=10)
        assert [row.id for row in rows] == [NUMBER["_id"]] * 4  # facets "", c:local, s:available, sc:available:local
        assert (await again.changes(Db.NUMBERS, cursor, 10)).changes == []
    finally:
        await again.close()


async def test_cursor_from_another_store_or_another_database_is_rejected(tmp_path: Path) -> None:
    one, other = SqliteStore(str(tmp_path / "one.db")), SqliteStore(":memory:")
    await one.open()
    await other.open()
    try:
        foreign = await other.current_cursor(Db.NUMBERS)
        accounts_cursor = await one.current_cursor(Db.ACCOUNTS)
        with pytest.raises(InvalidCursor):
            await one.changes(Db.NUMBERS, foreign, 10)
        with pytest.raises(InvalidCursor):
            await one.changes(Db.NUMBERS, accounts_cursor, 10)
    finally:
        await one.close()
        await other.close()


async def test_in_memory_store_serves_reads_and_writes() -> None:
    store = SqliteStore(":memory:")
    await store.open()
    try:
        [result] = await store.put_many(Db.SYSTEM, [{"_id": "config", "region": "US"}])
        assert result.ok
        assert (await store.get_many(Db.SYSTEM, ["config"]))["config"]["region"] == "US"
    finally:
        await store.close()


async def test_views_are_rebuilt_when_the_stored_index_version_differs(tmp_path: Path) -> None:
    path = str(tmp_path / "numplane.db")
    store = SqliteStore(path)
    await store.open()
    await store.put_many(Db.NUMBERS, [NUMBER])
    await store.close()
    with sqlite3.connect(path) as raw:  # simulate a file indexed by older view definitions
        raw.execute("DELETE FROM numbers_rows")
        raw.execute("UPDATE meta SET value = 'old' WHERE name = 'views_version'")
    raw.close()

    await store.open()
    try:
        rows = await store.query(Db.NUMBERS, "clock", start=("available",), end=("available", HIGH), limit=10)
        assert [row.id for row in rows] == [NUMBER["_id"]]
    finally:
        await store.close()


async def test_a_file_from_before_listing_forms_gets_them_and_its_listings_leave_the_trail_out(
    tmp_path: Path,
) -> None:
    path = str(tmp_path / "numplane.db")
    store = SqliteStore(path)
    await store.open()
    trail = [{"at": "2026-11-26T12:00:00.000000Z", "action": "add", "to": "available"}]
    await store.put_many(Db.NUMBERS, [{**NUMBER, "pvt_history": trail, "pvt_locality": {"v": 1}}])
    await store.close()
    with sqlite3.connect(path) as raw:  # the file as an older numplane left it
        raw.execute("ALTER TABLE numbers_docs DROP COLUMN listing")
    raw.close()

    await store.open()
    try:
        [row] = await store.query(Db.NUMBERS, "clock", start=("available",), end=("available", HIGH), limit=10,
                                  listing=True)
        assert "pvt_history" not in row.doc and "pvt_locality" not in row.doc
        assert row.doc["pvt_state"] == "available" and row.doc["_rev"].startswith("1-")
        whole = (await store.get_many(Db.NUMBERS, [NUMBER["_id"]]))[NUMBER["_id"]]
        assert whole["pvt_history"] == trail  # the document itself is untouched
    finally:
        await store.close()


async def test_a_file_that_is_not_a_database_makes_the_store_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "numplane.db"
    path.write_bytes(b"this is not an SQLite database, just some bytes" * 100)

    with pytest.raises(StoreUnavailable):
        await SqliteStore(str(path)).open()


async def test_a_closed_store_is_unavailable() -> None:
    store = SqliteStore(":memory:")
    await store.open()
    await store.close()

    with pytest.raises(StoreUnavailable):
        await store.ping()
    with pytest.raises(StoreUnavailable):
        await store.get_many(Db.NUMBERS, ["+14155550100"])


@pytest.mark.parametrize(
    ("lower", "higher"),
    [
        (("a",), ("a", "")),
        (("a", "b"), ("ab",)),
        (("a", "", "z"), ("a", "b", "a")),
        (("*", "s:available", "+1415"), ("*", "s:available", "+14155550100")),
        (("*", "s:available", "+14159999999"), ("*", "s:available", "+1415" + HIGH)),
    ],
)
def test_encoded_keys_sort_like_tuples(lower: tuple[str, ...], higher: tuple[str, ...]) -> None:
    assert lower < higher
    assert encode_key(lower) < encode_key(higher)
    assert decode_key(encode_key(higher)) == higher
