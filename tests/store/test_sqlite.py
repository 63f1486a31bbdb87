"""What only the embedded store promises: a file that outlives the process, cursors bound to that file,
key encoding that keeps tuple order, and SQLite failures surfacing as StoreUnavailable."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from numplane.domain.numbers import Number
from numplane.domain.states import State
from numplane.store.base import HIGH, Db, InvalidCursor, StoreUnavailable, is_stub
from numplane.store.sqlite import SqliteStore, decode_key, encode_key

NUMBER = {"_id": "+14155550100", "pvt_type": "number", "pvt_state": "available", "pvt_module_name": "local"}


@asynccontextmanager
async def two_processes(tmp_path: Path) -> AsyncIterator[tuple[SqliteStore, SqliteStore]]:
    """Two stores on one file, as two numplane processes sharing it would open it."""
    path = str(tmp_path / "numplane.db")
    one, other = SqliteStore(path), SqliteStore(path)
    await one.open()
    await other.open()
    try:
        yield one, other
    finally:
        await one.close()
        await other.close()


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


async def test_a_document_at_a_held_revision_is_answered_unparsed_by_id_and_revision() -> None:
    store = SqliteStore(":memory:")
    await store.open()
    try:
        [created] = await store.put_many(Db.NUMBERS, [NUMBER])
        assert created.rev is not None
        held = {NUMBER["_id"]: created.rev}

        found = await store.get_many(Db.NUMBERS, [NUMBER["_id"]], held=held)
        [change] = (await store.changes(Db.NUMBERS, None, 10, held=held)).changes
        [deleted] = await store.put_many(Db.NUMBERS, [{**NUMBER, "_rev": created.rev, "_deleted": True}])
        [tombstone] = (await store.changes(Db.NUMBERS, None, 10, held={NUMBER["_id"]: str(deleted.rev)})).changes
    finally:
        await store.close()

    assert found == {NUMBER["_id"]: {"_id": NUMBER["_id"], "_rev": created.rev}}
    assert change.doc == {"_id": NUMBER["_id"], "_rev": created.rev}
    assert tombstone.doc["pvt_state"] == "available"  # a tombstone is never held: it is answered whole


async def test_the_feed_answers_its_own_writes_by_id_and_revision_until_the_store_is_opened_again(
    tmp_path: Path,
) -> None:
    theirs = {**NUMBER, "_id": "+14155550101"}
    async with two_processes(tmp_path) as (one, other):
        [mine] = await one.put_many(Db.NUMBERS, [NUMBER])
        await other.put_many(Db.NUMBERS, [theirs])

        page = await one.changes(Db.NUMBERS, None, 10, own=True)
        asked_for_whole = await one.changes(Db.NUMBERS, None, 10)
        await one.close()
        await one.open()  # a new process on the file: it has written nothing yet
        reopened = await one.changes(Db.NUMBERS, None, 10, own=True)

    assert [change.doc for change in page.changes] == [{"_id": NUMBER["_id"], "_rev": mine.rev}, page.changes[1].doc]
    assert is_stub(page.changes[0].doc) and not is_stub(page.changes[1].doc)
    assert page.changes[1].doc["_id"] == theirs["_id"] and page.changes[1].doc["pvt_state"] == "available"
    assert not any(is_stub(change.doc) for change in asked_for_whole.changes + reopened.changes)
    assert reopened.changes[0].doc == {**NUMBER, "_rev": mine.rev}


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


@pytest.mark.parametrize("key", [("a\x00b",), ("*", "s:\x00"), ("", "", "\x00")])
def test_a_key_part_holding_the_separator_is_refused_rather_than_split(key: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match="contains NUL"):
        encode_key(key)


@pytest.mark.parametrize(
    "change", [{"pvt_state": "in\x00service"}, {"pvt_assigned_to": "\x00"}, {"_id": "+1415\x00", "_rev": None}]
)
async def test_a_write_whose_index_key_would_hold_the_separator_is_refused_and_changes_nothing(
    change: dict[str, str | None],
) -> None:
    store = SqliteStore(":memory:")
    await store.open()
    try:
        [created] = await store.put_many(Db.NUMBERS, [NUMBER])
        written = {key: value for key, value in {**NUMBER, "_rev": created.rev, **change}.items() if value is not None}
        with pytest.raises(ValueError, match="contains NUL"):
            await store.put_many(Db.NUMBERS, [written])
        found = await store.get_many(Db.NUMBERS, [NUMBER["_id"], "+1415\x00"])
        page = await store.changes(Db.NUMBERS, None, 10)
    finally:
        await store.close()

    assert found == {NUMBER["_id"]: {**NUMBER, "_rev": created.rev}}
    assert [(c.id, c.doc["_rev"]) for c in page.changes] == [(NUMBER["_id"], created.rev)]


def test_the_empty_key_encodes_as_empty_text() -> None:
    assert encode_key(()) == ""


async def test_a_rewrite_after_another_process_wrote_the_document_replaces_that_process_rows(tmp_path: Path) -> None:
    # The store remembers the rows of its own last write of each document: a revision written by another
    # process in between must be read, or its rows would stay behind in the index.
    async with two_processes(tmp_path) as (one, other):
        [first] = await one.put_many(Db.NUMBERS, [NUMBER])
        owned = {**NUMBER, "_rev": first.rev, "pvt_state": "in_service", "pvt_assigned_to": "acct",
                 "pvt_assigned_tree": ["acct"]}
        [second] = await other.put_many(Db.NUMBERS, [owned])
        [third] = await one.put_many(Db.NUMBERS, [{**NUMBER, "_rev": second.rev, "pvt_state": "reserved"}])
        assert third.ok

        rows = await one.query(Db.NUMBERS, "tree", start=("",), end=(HIGH,), limit=100)
        assert sorted((row.key[0], row.key[1]) for row in rows) == [
            ("*", ""), ("*", "c:local"), ("*", "s:reserved"), ("*", "sc:reserved:local")
        ]
        clock = await one.query(Db.NUMBERS, "clock", start=("",), end=(HIGH,), limit=100)
        assert [row.key[0] for row in clock] == ["reserved"]


async def test_a_batch_moving_hundreds_of_index_rows_leaves_exactly_the_new_rows(tmp_path: Path) -> None:
    # An available number has ~17 search rows beside its tree rows: twenty of them changed in one batch
    # delete and insert several statements' worth of rows.
    store = SqliteStore(str(tmp_path / "numplane.db"))
    await store.open()
    try:
        numbers = [Number(e164=f"+1415555{n:04d}", state=State.AVAILABLE).to_doc() for n in range(20)]
        written = await store.put_many(Db.NUMBERS, [{k: v for k, v in d.items() if k != "_rev"} for d in numbers])
        assert await store.count(Db.NUMBERS, "search", ("",), (HIGH,)) > 300
        sold = [{**doc, "_rev": result.rev, "pvt_state": "in_service"}
                for doc, result in zip(numbers, written, strict=True)]
        assert all(result.ok for result in await store.put_many(Db.NUMBERS, sold))

        assert await store.count(Db.NUMBERS, "search", ("",), (HIGH,)) == 0
        assert await store.count(Db.NUMBERS, "tree", ("*", "s:available"), ("*", "s:available", HIGH)) == 0
        assert await store.count(Db.NUMBERS, "tree", ("*", "s:in_service"), ("*", "s:in_service", HIGH)) == 20
        assert await store.count(Db.NUMBERS, "tree", ("",), (HIGH,)) == 20 * 4
    finally:
        await store.close()


async def test_a_write_over_a_remembered_revision_that_another_process_replaced_conflicts(tmp_path: Path) -> None:
    # The store writes over a revision it remembers with one conditional UPDATE instead of reading the row
    # first: a row another process rewrote since must still refuse the write and keep that process's rows.
    async with two_processes(tmp_path) as (one, other):
        [first] = await one.put_many(Db.NUMBERS, [NUMBER])
        [second] = await other.put_many(Db.NUMBERS, [{**NUMBER, "_rev": first.rev, "pvt_state": "reserved"}])
        [late] = await one.put_many(Db.NUMBERS, [{**NUMBER, "_rev": first.rev, "pvt_state": "in_service"}])

        assert (late.ok, late.error) == (False, "conflict")
        stored = (await one.get_many(Db.NUMBERS, [NUMBER["_id"]]))[NUMBER["_id"]]
        assert (stored["_rev"], stored["pvt_state"]) == (second.rev, "reserved")
        clock = await one.query(Db.NUMBERS, "clock", start=("",), end=(HIGH,), limit=100)
        assert [row.key[0] for row in clock] == ["reserved"]


async def test_rewrites_changing_every_indexed_field_leave_the_rows_a_fresh_index_holds(tmp_path: Path) -> None:
    # Each write replaces only the rows that changed (the replaced revision's rows are remembered): after
    # writes moving a number through owners, carriers, states, holds and clocks, available and not, every
    # view must hold exactly what indexing the final documents from scratch gives.
    store = SqliteStore(str(tmp_path / "numplane.db"))
    await store.open()
    try:
        e164s = [f"+1415555{n:04d}" for n in range(3)]
        await store.put_many(Db.NUMBERS, [_bare(Number(e164=e, state=State.AVAILABLE)) for e in e164s])
        steps = [
            {"pvt_state": "reserved", "pvt_assigned_to": "a", "pvt_assigned_tree": ["r", "a"],
             "pvt_hold": {"account": "a", "started_at": "2024-01-01T00:00:00Z", "expires_at": "2024-01-02T00:00:00Z"}},
            {"pvt_state": "in_service", "pvt_module_name": "bandwidth", "pvt_state_changed_at": "2024-02-01T00:00:00Z"},
            {"pvt_state": "in_service", "pvt_assigned_to": "b", "pvt_assigned_tree": ["r", "b"], "pvt_hold": None},
            {"pvt_state": "available", "pvt_assigned_to": None, "pvt_assigned_tree": None, "pvt_module_name": "local"},
            {"pvt_state": "aging", "pvt_state_changed_at": "2024-03-01T00:00:00Z", "pvt_previously_assigned_to": "b"},
        ]
        docs: dict[str, dict[str, object]] = {}
        for step in steps:
            current = await store.get_many(Db.NUMBERS, e164s)
            docs = {e: {k: v for k, v in {**current[e], **step}.items() if v is not None} for e in e164s}
            assert all(result.ok for result in await store.put_many(Db.NUMBERS, list(docs.values())))

        fresh = SqliteStore(str(tmp_path / "fresh.db"))
        await fresh.open()
        try:
            await fresh.put_many(Db.NUMBERS, [{k: v for k, v in doc.items() if k != "_rev"} for doc in docs.values()])
            for view in ("tree", "clock", "search", "holds"):
                rewritten = await store.query(Db.NUMBERS, view, start=("",), end=(HIGH,), limit=1000)
                indexed = await fresh.query(Db.NUMBERS, view, start=("",), end=(HIGH,), limit=1000)
                assert [(r.key, r.id) for r in rewritten] == [(r.key, r.id) for r in indexed], view
        finally:
            await fresh.close()
    finally:
        await store.close()


def _bare(number: Number) -> dict[str, object]:
    return {k: v for k, v in number.to_doc().items() if k != "_rev"}
