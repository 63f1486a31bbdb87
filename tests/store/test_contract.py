"""The Store contract: every scenario runs against every backend (the `store` fixture is parametrized).

Backend-neutral on purpose: revisions are only assumed to look like `N-...`, cursors are echoed and never
parsed, and ids are chosen so that ICU (CouchDB) and code-point (SQLite) collation agree.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

import pytest

from numplane.domain.accounts import Account
from numplane.domain.clock import format_time
from numplane.domain.numbers import Number
from numplane.domain.states import State
from numplane.store import store_from_url
from numplane.store.base import HIGH, Db, Doc, InvalidCursor, Key, Store

ROOT = "1" * 32
RESELLER = "2" * 32
CUSTOMER = "3" * 32
OTHER = "4" * 32
T0 = datetime(2024, 1, 1, tzinfo=UTC)
REV = re.compile(r"^(\d+)-.+$")


def number(
    e164: str,
    state: State = State.AVAILABLE,
    *,
    owner_lineage: tuple[str, ...] = (),
    module: str = "local",
    changed_at: datetime | None = None,
) -> Doc:
    return Number(
        e164,
        state,
        module=module,
        owner=owner_lineage[-1] if owner_lineage else None,
        assigned_tree=owner_lineage,
        state_changed_at=changed_at,
    ).to_doc()


def account(account_id: str, *ancestors: str) -> Doc:
    return Account(account_id, name="acct " + account_id[:4], tree=ancestors).to_doc()


def generation(rev: str | None) -> int:
    assert rev is not None
    match = REV.match(rev)
    assert match, rev
    return int(match.group(1))


async def put_ok(store: Store, db: Db, *docs: Doc) -> list[str]:
    results = await store.put_many(db, docs)
    assert [r.ok for r in results] == [True] * len(docs), results
    return [r.rev for r in results if r.rev is not None]


async def query_ids(store: Store, db: Db, view: str, start: Key, end: Key, limit: int = 100) -> list[str]:
    return [row.id for row in await store.query(db, view, start=start, end=end, limit=limit)]


# -- documents and revisions -------------------------------------------------------------------------


async def test_created_document_reads_back_with_its_id_and_a_first_revision(store: Store) -> None:
    [rev] = await put_ok(store, Db.NUMBERS, number("+14155550100"))

    doc = (await store.get_many(Db.NUMBERS, ["+14155550100"]))["+14155550100"]

    assert generation(rev) == 1
    assert doc["_id"] == "+14155550100"
    assert doc["_rev"] == rev
    assert doc["pvt_state"] == "available"
    assert "_deleted" not in doc


async def test_update_with_the_current_revision_gets_a_newer_revision(store: Store) -> None:
    [rev1] = await put_ok(store, Db.NUMBERS, number("+14155550100"))
    updated = {**number("+14155550100", State.RESERVED, owner_lineage=(ROOT,)), "_rev": rev1}

    [rev2] = await put_ok(store, Db.NUMBERS, updated)

    doc = (await store.get_many(Db.NUMBERS, ["+14155550100"]))["+14155550100"]
    assert generation(rev2) == 2
    assert rev2 != rev1
    assert doc["_rev"] == rev2
    assert doc["pvt_state"] == "reserved"
    assert doc["pvt_assigned_to"] == ROOT


async def test_update_with_a_stale_revision_conflicts_and_keeps_the_stored_document(store: Store) -> None:
    [rev1] = await put_ok(store, Db.NUMBERS, number("+14155550100"))
    [rev2] = await put_ok(store, Db.NUMBERS, {**number("+14155550100", State.RELEASED), "_rev": rev1})

    [result] = await store.put_many(Db.NUMBERS, [{**number("+14155550100", State.AGING), "_rev": rev1}])

    assert (result.id, result.ok, result.error) == ("+14155550100", False, "conflict")
    doc = (await store.get_many(Db.NUMBERS, ["+14155550100"]))["+14155550100"]
    assert (doc["_rev"], doc["pvt_state"]) == (rev2, "released")


async def test_create_over_an_existing_live_document_conflicts(store: Store) -> None:
    [rev] = await put_ok(store, Db.NUMBERS, number("+14155550100"))

    [result] = await store.put_many(Db.NUMBERS, [number("+14155550100", State.DISCOVERY)])

    assert (result.ok, result.error) == (False, "conflict")
    doc = (await store.get_many(Db.NUMBERS, ["+14155550100"]))["+14155550100"]
    assert (doc["_rev"], doc["pvt_state"]) == (rev, "available")


async def test_update_of_a_missing_document_conflicts_and_creates_nothing(store: Store) -> None:
    [rev] = await put_ok(store, Db.NUMBERS, number("+14155550100"))

    [result] = await store.put_many(Db.NUMBERS, [{**number("+14155550199"), "_rev": rev}])

    assert (result.id, result.ok, result.error) == ("+14155550199", False, "conflict")
    assert await store.get_many(Db.NUMBERS, ["+14155550199"]) == {}


async def test_batch_reports_each_document_in_input_order_with_mixed_outcomes(store: Store) -> None:
    [rev_a, rev_b] = await put_ok(store, Db.NUMBERS, number("+14155550101"), number("+14155550102"))

    results = await store.put_many(
        Db.NUMBERS,
        [
            {**number("+14155550102", State.RESERVED, owner_lineage=(ROOT,)), "_rev": rev_b},  # ok
            number("+14155550103"),  # ok: new
            number("+14155550101"),  # conflict: exists
            {**number("+14155550104"), "_rev": rev_a},  # conflict: missing
            {**number("+14155550101", State.RESERVED, owner_lineage=(ROOT,)), "_rev": rev_a},  # ok
        ],
    )

    assert [(r.id, r.ok) for r in results] == [
        ("+14155550102", True),
        ("+14155550103", True),
        ("+14155550101", False),
        ("+14155550104", False),
        ("+14155550101", True),
    ]
    assert [r.error for r in results if not r.ok] == ["conflict", "conflict"]
    assert all(r.rev is not None and generation(r.rev) >= 1 for r in results if r.ok)
    docs = await store.get_many(Db.NUMBERS, ["+14155550101", "+14155550102", "+14155550103", "+14155550104"])
    assert sorted(docs) == ["+14155550101", "+14155550102", "+14155550103"]
    assert docs["+14155550101"]["_rev"] == results[4].rev
    assert docs["+14155550101"]["pvt_state"] == "reserved"


async def test_get_many_returns_only_the_ids_that_exist(store: Store) -> None:
    await put_ok(store, Db.NUMBERS, number("+14155550101"), number("+14155550103"))

    docs = await store.get_many(Db.NUMBERS, ["+14155550103", "+14155550102", "+14155550101"])

    assert sorted(docs) == ["+14155550101", "+14155550103"]
    assert all(doc["_id"] == doc_id for doc_id, doc in docs.items())
    assert await store.get_many(Db.NUMBERS, []) == {}


async def test_concurrent_creates_of_one_id_let_exactly_one_win(store: Store) -> None:
    attempts = [store.put_many(Db.SYSTEM, [{"_id": "lease", "holder": str(i)}]) for i in range(5)]

    outcomes = [results[0] for results in await asyncio.gather(*attempts)]

    assert sum(r.ok for r in outcomes) == 1
    assert {r.error for r in outcomes if not r.ok} == {"conflict"}


# -- deletion and tombstones ----------------------------------------------------------------------


async def test_deleted_document_is_hidden_from_reads_but_its_tombstone_reaches_the_feed(store: Store) -> None:
    lineage = (ROOT, RESELLER)
    [rev] = await put_ok(store, Db.NUMBERS, number("+14155550100", State.IN_SERVICE, owner_lineage=lineage))
    cursor = await store.current_cursor(Db.NUMBERS)
    tombstone = {**number("+14155550100", State.DELETED, owner_lineage=lineage), "_rev": rev, "_deleted": True}

    [deleted_rev] = await put_ok(store, Db.NUMBERS, tombstone)

    assert generation(deleted_rev) == generation(rev) + 1
    assert await store.get_many(Db.NUMBERS, ["+14155550100"]) == {}
    assert await store.id_range(Db.NUMBERS, start="+1415", end="+1415" + HIGH, limit=10) == []
    page = await store.changes(Db.NUMBERS, cursor, 10)
    [change] = page.changes
    assert (change.id, change.deleted) == ("+14155550100", True)
    assert change.doc["_rev"] == deleted_rev
    assert change.doc["pvt_state"] == "deleted"
    assert change.doc["pvt_assigned_to"] == RESELLER
    assert change.doc["pvt_assigned_tree"] == [ROOT, RESELLER]


async def test_delete_with_a_stale_revision_conflicts_and_keeps_the_document(store: Store) -> None:
    [rev1] = await put_ok(store, Db.NUMBERS, number("+14155550100"))
    await put_ok(store, Db.NUMBERS, {**number("+14155550100", State.RELEASED), "_rev": rev1})

    [result] = await store.put_many(Db.NUMBERS, [{**number("+14155550100"), "_rev": rev1, "_deleted": True}])

    assert (result.ok, result.error) == (False, "conflict")
    assert list(await store.get_many(Db.NUMBERS, ["+14155550100"])) == ["+14155550100"]


async def test_document_can_be_created_again_after_deletion(store: Store) -> None:
    [rev] = await put_ok(store, Db.NUMBERS, number("+14155550100", State.IN_SERVICE, owner_lineage=(ROOT,)))
    await put_ok(store, Db.NUMBERS, {**number("+14155550100"), "_rev": rev, "_deleted": True})

    [recreated] = await put_ok(store, Db.NUMBERS, number("+14155550100", State.DISCOVERY))

    doc = (await store.get_many(Db.NUMBERS, ["+14155550100"]))["+14155550100"]
    assert (doc["_rev"], doc["pvt_state"]) == (recreated, "discovery")
    assert "_deleted" not in doc
    assert await query_ids(store, Db.NUMBERS, "tree", ("*", "s:discovery"), ("*", "s:discovery", HIGH)) == [
        "+14155550100"
    ]
    [change] = (await store.changes(Db.NUMBERS, None, 10)).changes
    assert (change.id, change.deleted, change.doc["_rev"]) == ("+14155550100", False, recreated)


async def test_deleted_number_leaves_every_view(store: Store) -> None:
    doc = number("+14155550100", State.AGING, owner_lineage=(ROOT,), changed_at=T0)
    [rev] = await put_ok(store, Db.NUMBERS, doc)

    await put_ok(store, Db.NUMBERS, {**doc, "_rev": rev, "_deleted": True})

    assert await query_ids(store, Db.NUMBERS, "tree", ("",), (HIGH,)) == []
    assert await query_ids(store, Db.NUMBERS, "clock", ("",), (HIGH,)) == []


# -- views ----------------------------------------------------------------------------------------


async def seed_numbers(store: Store) -> None:
    await put_ok(
        store,
        Db.NUMBERS,
        number("+14155550104", State.IN_SERVICE, owner_lineage=(ROOT, RESELLER, CUSTOMER)),
        number("+14155550101", State.RESERVED, owner_lineage=(ROOT, RESELLER, CUSTOMER)),
        number("+14155550103", State.IN_SERVICE, owner_lineage=(ROOT, RESELLER), module="simulated"),
        number("+14155550102", State.AVAILABLE),
        number("+16505550100", State.IN_SERVICE, owner_lineage=(ROOT, OTHER)),
        number("+14155550105", State.AVAILABLE, module="simulated"),
    )


async def test_number_tree_lists_every_number_for_admins_in_id_order(store: Store) -> None:
    await seed_numbers(store)

    ids = await query_ids(store, Db.NUMBERS, "tree", ("*", "", ""), ("*", "", HIGH))

    assert ids == ["+14155550101", "+14155550102", "+14155550103", "+14155550104", "+14155550105", "+16505550100"]


async def test_number_tree_lists_an_accounts_tree_its_own_numbers_and_a_state(store: Store) -> None:
    await seed_numbers(store)

    reseller_tree = await query_ids(store, Db.NUMBERS, "tree", (RESELLER, "", ""), (RESELLER, "", HIGH))
    reseller_own = await query_ids(store, Db.NUMBERS, "tree", ("=" + RESELLER, "", ""), ("=" + RESELLER, "", HIGH))
    in_service = await query_ids(
        store, Db.NUMBERS, "tree", (RESELLER, "s:in_service", ""), (RESELLER, "s:in_service", HIGH)
    )
    simulated = await query_ids(store, Db.NUMBERS, "tree", ("*", "c:simulated", ""), ("*", "c:simulated", HIGH))

    assert reseller_tree == ["+14155550101", "+14155550103", "+14155550104"]
    assert reseller_own == ["+14155550103"]
    assert in_service == ["+14155550103", "+14155550104"]
    assert simulated == ["+14155550103", "+14155550105"]


async def test_number_tree_rows_carry_their_key_and_document(store: Store) -> None:
    await seed_numbers(store)

    rows = await store.query(
        Db.NUMBERS, "tree", start=("=" + CUSTOMER, "s:reserved", ""), end=("=" + CUSTOMER, "s:reserved", HIGH), limit=5
    )

    [row] = rows
    assert row.key == ("=" + CUSTOMER, "s:reserved", "+14155550101")
    assert row.id == "+14155550101"
    assert row.doc["_id"] == "+14155550101"
    assert row.doc["pvt_assigned_to"] == CUSTOMER
    assert REV.match(row.doc["_rev"])


async def test_a_listing_reads_every_key_of_a_number_but_its_trail_and_place_and_follows_its_writes(
    store: Store,
) -> None:
    doc = {**number("+14155550100", State.IN_SERVICE, owner_lineage=(ROOT,)), "label": {"a": [1]},
           "pvt_history": [{"at": format_time(T0), "action": "add", "to": "in_service"}]}
    [rev] = await put_ok(store, Db.NUMBERS, doc)
    [rev] = await put_ok(store, Db.NUMBERS, {**doc, "_rev": rev, "label": "changed"})
    await put_ok(store, Db.NUMBERS, number("+14155550101"))
    await put_ok(store, Db.NUMBERS, {**number("+14155550101"), "_rev": (await store.get_many(
        Db.NUMBERS, ["+14155550101"]))["+14155550101"]["_rev"], "_deleted": True})

    [row] = await store.query(Db.NUMBERS, "tree", start=("*", "", "+"), end=("*", "", HIGH), limit=5, listing=True)

    whole = (await store.get_many(Db.NUMBERS, [row.id]))[row.id]
    def listed_part(doc: Doc) -> Doc:
        return {k: v for k, v in doc.items() if k not in ("pvt_history", "pvt_locality")}

    assert listed_part(row.doc) == listed_part(whole)
    assert row.doc["_rev"] == rev and row.doc["label"] == "changed"
    # Without `listing`, the whole document, as ever.
    [row] = await store.query(Db.NUMBERS, "tree", start=("*", "", "+"), end=("*", "", HIGH), limit=5)
    assert row.doc == whole


async def test_number_tree_prefix_range_selects_numbers_starting_with_those_digits(store: Store) -> None:
    await seed_numbers(store)
    await put_ok(store, Db.NUMBERS, number("+1415", State.AVAILABLE), number("+1414", State.AVAILABLE))

    available_1415 = await query_ids(
        store, Db.NUMBERS, "tree", ("*", "s:available", "+1415"), ("*", "s:available", "+1415" + HIGH)
    )
    everything_1650 = await query_ids(store, Db.NUMBERS, "tree", ("*", "", "+1650"), ("*", "", "+1650" + HIGH))

    assert available_1415 == ["+1415", "+14155550102", "+14155550105"]
    assert everything_1650 == ["+16505550100"]


async def test_number_tree_keyset_paging_visits_every_row_once_in_order(store: Store) -> None:
    ids = [f"+1415555{n:04d}" for n in range(23)]
    await put_ok(store, Db.NUMBERS, *(number(e164) for e164 in reversed(ids)))
    start, end = ("*", "s:available", "+1415"), ("*", "s:available", "+1415" + HIGH)

    seen: list[str] = []
    after: Key | None = None
    while True:
        page = await store.query(Db.NUMBERS, "tree", start=start, end=end, after=after, limit=5)
        seen += [row.id for row in page]
        if len(page) < 5:
            break
        after = page[-1].key

    assert seen == ids


async def test_number_tree_follows_a_change_of_owner_and_state(store: Store) -> None:
    [rev] = await put_ok(store, Db.NUMBERS, number("+14155550100", State.RESERVED, owner_lineage=(ROOT, RESELLER)))

    moved = number("+14155550100", State.IN_SERVICE, owner_lineage=(ROOT, OTHER))
    await put_ok(store, Db.NUMBERS, {**moved, "_rev": rev})

    assert await query_ids(store, Db.NUMBERS, "tree", (RESELLER,), (RESELLER, HIGH)) == []
    assert await query_ids(store, Db.NUMBERS, "tree", ("*", "s:reserved"), ("*", "s:reserved", HIGH)) == []
    assert await query_ids(store, Db.NUMBERS, "tree", (OTHER, "s:in_service"), (OTHER, "s:in_service", HIGH)) == [
        "+14155550100"
    ]
    assert await query_ids(store, Db.NUMBERS, "tree", (ROOT, ""), (ROOT, "", HIGH)) == ["+14155550100"]


async def test_number_tree_indexes_state_and_carrier_together(store: Store) -> None:
    await seed_numbers(store)

    simulated_in_service = await query_ids(
        store, Db.NUMBERS, "tree", ("*", "sc:in_service:simulated", ""), ("*", "sc:in_service:simulated", HIGH)
    )

    assert simulated_in_service == ["+14155550103"]


async def test_count_of_a_key_range_equals_the_rows_a_query_of_it_returns(store: Store) -> None:
    await seed_numbers(store)
    await put_ok(store, Db.ACCOUNTS, account(ROOT), account(RESELLER, ROOT), account(CUSTOMER, ROOT, RESELLER))
    ranges: list[tuple[Db, str, Key, Key]] = [
        (Db.NUMBERS, "tree", ("*", "", ""), ("*", "", HIGH)),
        (Db.NUMBERS, "tree", (RESELLER, "", ""), (RESELLER, "", HIGH)),
        (Db.NUMBERS, "tree", ("*", "s:available", "+1415"), ("*", "s:available", "+1415" + HIGH)),
        (Db.NUMBERS, "tree", ("*", "c:simulated", ""), ("*", "c:simulated", HIGH)),
        (Db.NUMBERS, "tree", ("*", "s:port_in", ""), ("*", "s:port_in", HIGH)),
        (Db.NUMBERS, "clock", ("in_service",), ("in_service", HIGH)),
        (Db.ACCOUNTS, "tree", ("d:" + ROOT, ""), ("d:" + ROOT, "", HIGH)),
        (Db.ACCOUNTS, "tree", ("c:" + ROOT, ""), ("c:" + ROOT, "", HIGH)),
    ]

    counted = [await store.count(db, view, start, end) for db, view, start, end in ranges]

    listed = [len(await query_ids(store, db, view, start, end)) for db, view, start, end in ranges]
    assert counted == listed == [6, 3, 2, 2, 0, 3, 2, 1]


async def test_count_of_an_empty_or_inverted_range_is_zero(store: Store) -> None:
    await seed_numbers(store)

    assert await store.count(Db.NUMBERS, "tree", ("*", "", "+1999"), ("*", "", "+1999" + HIGH)) == 0
    assert await store.count(Db.NUMBERS, "tree", ("*", "", HIGH), ("*", "", "")) == 0


async def test_count_follows_deletions_and_changes_of_state(store: Store) -> None:
    await seed_numbers(store)
    reserved = (await store.get_many(Db.NUMBERS, ["+14155550101"]))["+14155550101"]
    available = (await store.get_many(Db.NUMBERS, ["+14155550102"]))["+14155550102"]

    await put_ok(
        store, Db.NUMBERS, {**reserved, "pvt_state": "in_service"}, {**available, "_deleted": True}
    )

    in_service = await store.count(Db.NUMBERS, "tree", ("*", "s:in_service", ""), ("*", "s:in_service", HIGH))
    assert in_service == 4
    assert await store.count(Db.NUMBERS, "tree", ("*", "", ""), ("*", "", HIGH)) == 5


async def test_clock_view_lists_numbers_of_a_state_due_before_a_time_oldest_first(store: Store) -> None:
    await put_ok(
        store,
        Db.NUMBERS,
        number("+14155550101", State.AGING, changed_at=T0 + timedelta(days=3)),
        number("+14155550102", State.AGING, changed_at=T0 + timedelta(days=1)),
        number("+14155550103", State.AGING, changed_at=T0 + timedelta(days=30)),
        number("+14155550104", State.DISCOVERY, changed_at=T0),
        number("+14155550105", State.AGING, changed_at=T0 + timedelta(days=1)),
    )
    cutoff = format_time(T0 + timedelta(days=10))

    due = await store.query(Db.NUMBERS, "clock", start=("aging",), end=("aging", cutoff), limit=10)
    first = await store.query(Db.NUMBERS, "clock", start=("aging",), end=("aging", cutoff), limit=2)
    rest = await store.query(Db.NUMBERS, "clock", start=("aging",), end=("aging", cutoff), after=first[-1].key, limit=2)

    assert [row.id for row in due] == ["+14155550102", "+14155550105", "+14155550101"]
    assert due[0].key == ("aging", format_time(T0 + timedelta(days=1)), "+14155550102")
    assert [row.id for row in first + rest] == [row.id for row in due]


async def test_account_tree_lists_children_descendants_and_every_account(store: Store) -> None:
    await put_ok(
        store,
        Db.ACCOUNTS,
        account(ROOT),
        account(CUSTOMER, ROOT, RESELLER),
        account(RESELLER, ROOT),
        account(OTHER, ROOT),
    )

    children = await query_ids(store, Db.ACCOUNTS, "tree", ("c:" + ROOT, "", ""), ("c:" + ROOT, "", HIGH))
    descendants = await query_ids(store, Db.ACCOUNTS, "tree", ("d:" + ROOT, "", ""), ("d:" + ROOT, "", HIGH))
    under_reseller = await query_ids(store, Db.ACCOUNTS, "tree", ("d:" + RESELLER,), ("d:" + RESELLER, HIGH))
    everyone = await query_ids(store, Db.ACCOUNTS, "tree", ("*", "", ""), ("*", "", HIGH))

    assert children == [RESELLER, OTHER]
    assert descendants == [RESELLER, CUSTOMER, OTHER]
    assert under_reseller == [CUSTOMER]
    assert everyone == [ROOT, RESELLER, CUSTOMER, OTHER]


async def test_shorter_key_sorts_before_the_keys_it_prefixes(store: Store) -> None:
    await put_ok(store, Db.ACCOUNTS, account(RESELLER, ROOT), account(CUSTOMER, ROOT, RESELLER))

    from_prefix = await query_ids(store, Db.ACCOUNTS, "tree", ("c:" + ROOT,), ("c:" + ROOT, HIGH))
    up_to_prefix = await query_ids(store, Db.ACCOUNTS, "tree", ("c:",), ("c:" + ROOT,))
    after_prefix = await store.query(
        Db.ACCOUNTS, "tree", start=("c:",), end=("c:" + HIGH,), after=("c:" + ROOT,), limit=10
    )

    assert from_prefix == [RESELLER]
    assert up_to_prefix == []
    assert [row.id for row in after_prefix] == [RESELLER, CUSTOMER]


# -- id ranges ------------------------------------------------------------------------------------


async def test_id_range_selects_a_prefix_and_pages_by_id(store: Store) -> None:
    await put_ok(
        store,
        Db.SYSTEM,
        *({"_id": f"apikey{n:02d}", "account": ROOT} for n in (5, 1, 4, 2, 3)),
        {"_id": "config", "region": "US"},
        {"_id": "apikex99"},
    )

    first = await store.id_range(Db.SYSTEM, start="apikey", end="apikey" + HIGH, limit=2)
    second = await store.id_range(Db.SYSTEM, start="apikey", end="apikey" + HIGH, after=first[-1]["_id"], limit=2)
    third = await store.id_range(Db.SYSTEM, start="apikey", end="apikey" + HIGH, after=second[-1]["_id"], limit=2)

    assert [d["_id"] for d in first + second + third] == ["apikey01", "apikey02", "apikey03", "apikey04", "apikey05"]
    assert first[0]["account"] == ROOT
    assert REV.match(first[0]["_rev"])


async def test_id_range_end_is_exclusive_and_skips_deleted_documents(store: Store) -> None:
    revs = await put_ok(store, Db.SYSTEM, *({"_id": f"job{n}"} for n in range(1, 5)))
    await put_ok(store, Db.SYSTEM, {"_id": "job2", "_rev": revs[1], "_deleted": True})

    docs = await store.id_range(Db.SYSTEM, start="job1", end="job4", limit=10)

    assert [d["_id"] for d in docs] == ["job1", "job3"]


# -- change feed ----------------------------------------------------------------------------------


async def test_change_feed_from_the_beginning_lists_each_document_once_at_its_latest_change(store: Store) -> None:
    [rev_a] = await put_ok(store, Db.NUMBERS, number("+14155550101"))
    await put_ok(store, Db.NUMBERS, number("+14155550102"))
    [rev_a2] = await put_ok(store, Db.NUMBERS, {**number("+14155550101", State.DISCOVERY), "_rev": rev_a})

    page = await store.changes(Db.NUMBERS, None, 10)

    assert [(c.id, c.deleted) for c in page.changes] == [("+14155550102", False), ("+14155550101", False)]
    assert page.changes[1].doc["_rev"] == rev_a2
    assert page.changes[1].doc["pvt_state"] == "discovery"
    assert page.cursor == page.changes[-1].cursor


async def test_a_read_naming_held_revisions_answers_each_document_at_its_current_revision(store: Store) -> None:
    kept, moved, other = "+14155550101", "+14155550102", "+14155550103"
    [rev_kept, rev_moved, _rev_other] = await put_ok(store, Db.NUMBERS, number(kept), number(moved), number(other))
    [rev_moved2] = await put_ok(store, Db.NUMBERS, {**number(moved, State.DISCOVERY), "_rev": rev_moved})
    held = {kept: rev_kept, moved: rev_moved, "+14155550199": "1-abc"}  # moved since; never written

    found = await store.get_many(Db.NUMBERS, [kept, moved, other], held=held)
    page = await store.changes(Db.NUMBERS, None, 10, held=held)

    # A held revision may come as its id and revision alone (the caller has it), any other comes whole.
    for doc in (found[kept], next(c.doc for c in page.changes if c.id == kept)):
        assert doc["_rev"] == rev_kept and doc.items() >= {"_id": kept}.items()
    for doc in (found[moved], next(c.doc for c in page.changes if c.id == moved)):
        assert doc["_rev"] == rev_moved2 and doc["pvt_state"] == "discovery"
    assert found[other]["pvt_state"] == "available"
    assert [c.id for c in page.changes] == [kept, other, moved]


async def test_a_feed_read_asking_for_its_own_writes_answers_whole_every_change_another_process_made(
    store: Store, store_url: tuple[str, str]
) -> None:
    mine, overwritten, theirs, deleted = "+14155550101", "+14155550102", "+14155550103", "+14155550104"
    other = store_from_url(store_url[0], db_prefix=store_url[1])  # another process on the same database
    await other.open()
    try:
        [rev_mine, rev_over, rev_deleted] = await put_ok(
            store, Db.NUMBERS, number(mine), number(overwritten), number(deleted)
        )
        [rev_over2] = await put_ok(other, Db.NUMBERS, {**number(overwritten, State.DISCOVERY), "_rev": rev_over})
        await put_ok(other, Db.NUMBERS, number(theirs, State.DISCOVERY))
        await put_ok(store, Db.NUMBERS, {**number(deleted), "_rev": rev_deleted, "_deleted": True})

        page = await store.changes(Db.NUMBERS, None, 10, own=True)
    finally:
        await other.close()

    docs = {change.id: change.doc for change in page.changes}
    assert list(docs) == [mine, overwritten, theirs, deleted]
    # Its own revision may come as its id and revision alone (the reader keeps what it wrote) ...
    assert docs[mine]["_rev"] == rev_mine and docs[mine].items() >= {"_id": mine}.items()
    # ... what another process wrote comes whole, even over a revision this one wrote, and so do tombstones.
    assert docs[overwritten]["_rev"] == rev_over2 and docs[overwritten]["pvt_state"] == "discovery"
    assert docs[theirs]["pvt_state"] == "discovery"
    assert docs[deleted]["_deleted"] is True and docs[deleted]["pvt_state"] == "available"


async def test_change_feed_of_an_empty_database_is_empty_and_resumable(store: Store) -> None:
    page = await store.changes(Db.NUMBERS, None, 10)
    await put_ok(store, Db.NUMBERS, number("+14155550101"))

    later = await store.changes(Db.NUMBERS, page.cursor, 10)

    assert page.changes == []
    assert [c.id for c in later.changes] == ["+14155550101"]


async def test_change_feed_from_the_current_cursor_returns_only_later_changes(store: Store) -> None:
    [rev] = await put_ok(store, Db.NUMBERS, number("+14155550101"))
    await put_ok(store, Db.NUMBERS, number("+14155550102"))
    now = await store.current_cursor(Db.NUMBERS)

    quiet = await store.changes(Db.NUMBERS, now, 10)
    await put_ok(store, Db.NUMBERS, {**number("+14155550101", State.RESERVED, owner_lineage=(ROOT,)), "_rev": rev})
    later = await store.changes(Db.NUMBERS, now, 10)

    assert quiet.changes == []
    assert quiet.cursor == now
    assert [c.id for c in later.changes] == ["+14155550101"]
    assert later.changes[0].doc["pvt_state"] == "reserved"
    assert (await store.changes(Db.NUMBERS, later.cursor, 10)).changes == []


async def test_change_feed_pages_with_limit_and_resumes_from_each_page_cursor(store: Store) -> None:
    ids = [f"+1415555{n:04d}" for n in range(7)]
    for e164 in ids:  # one write each, so the feed order is the write order
        await put_ok(store, Db.NUMBERS, number(e164))

    seen: list[str] = []
    cursor: str | None = None
    for _ in range(10):
        page = await store.changes(Db.NUMBERS, cursor, 3)
        assert len(page.changes) <= 3
        if not page.changes:
            assert page.cursor == cursor
            break
        seen += [c.id for c in page.changes]
        cursor = page.cursor

    assert seen == ids


async def test_change_cursor_of_each_change_resumes_right_after_it(store: Store) -> None:
    await put_ok(store, Db.NUMBERS, number("+14155550101"), number("+14155550102"), number("+14155550103"))
    changes = (await store.changes(Db.NUMBERS, None, 10)).changes

    after_first = await store.changes(Db.NUMBERS, changes[0].cursor, 10)

    assert [c.id for c in after_first.changes] == [c.id for c in changes[1:]]


@pytest.mark.parametrize("cursor", ["garbage", "", "-1", "{}"])
async def test_a_cursor_this_store_did_not_issue_is_rejected(store: Store, cursor: str) -> None:
    await put_ok(store, Db.NUMBERS, number("+14155550101"))

    with pytest.raises(InvalidCursor):
        await store.changes(Db.NUMBERS, cursor, 10)


# -- databases ------------------------------------------------------------------------------------


async def test_the_three_databases_are_independent(store: Store) -> None:
    [number_rev] = await put_ok(store, Db.NUMBERS, {"_id": "shared", "kind": "number-db"})
    accounts_cursor = await store.current_cursor(Db.ACCOUNTS)

    [account_rev] = await put_ok(store, Db.ACCOUNTS, {"_id": "shared", "kind": "accounts-db"})
    [stale] = await store.put_many(Db.SYSTEM, [{"_id": "shared", "_rev": number_rev}])

    assert (stale.ok, stale.error) == (False, "conflict")
    assert (await store.get_many(Db.NUMBERS, ["shared"]))["shared"]["kind"] == "number-db"
    assert (await store.get_many(Db.ACCOUNTS, ["shared"]))["shared"]["_rev"] == account_rev
    assert await store.get_many(Db.SYSTEM, ["shared"]) == {}
    assert [c.id for c in (await store.changes(Db.ACCOUNTS, accounts_cursor, 10)).changes] == ["shared"]
    assert [c.doc["kind"] for c in (await store.changes(Db.NUMBERS, None, 10)).changes] == ["number-db"]
    assert (await store.changes(Db.SYSTEM, None, 10)).changes == []


async def test_accounts_are_not_indexed_by_the_number_views(store: Store) -> None:
    await put_ok(store, Db.ACCOUNTS, account(ROOT))
    await put_ok(store, Db.NUMBERS, {"_id": "not-a-number", "pvt_type": "config", "pvt_state": "available"})

    assert await query_ids(store, Db.NUMBERS, "tree", ("",), (HIGH,)) == []
    assert await query_ids(store, Db.ACCOUNTS, "tree", ("",), (HIGH,)) == [ROOT]


async def test_documents_with_foreign_field_types_are_stored_and_indexed_by_their_text_parts(store: Store) -> None:
    # What a hand edit or another tool can leave: the write must land and index only what is text.
    odd = {**number("+14155550190", owner_lineage=(ROOT, RESELLER)), "pvt_assigned_to": 5,
           "pvt_assigned_tree": [ROOT, {"id": RESELLER}, 7],
           "pvt_locality": {"national": "4155550190", "terms": {"city": ["springfield", 3], "state": "CA"}}}
    stray = {**number("+14155550191"), "pvt_assigned_to": {"id": RESELLER}, "pvt_assigned_tree": RESELLER,
             "pvt_locality": {"terms": ["city"]}}
    await put_ok(store, Db.NUMBERS, odd, stray)
    await put_ok(store, Db.ACCOUNTS, {**account(CUSTOMER, ROOT), "pvt_tree": [ROOT, None]})
    everyone = await query_ids(store, Db.NUMBERS, "tree", ("*",), ("*", HIGH))
    assert {"+14155550190", "+14155550191"} <= set(everyone)
    assert "+14155550190" in await query_ids(store, Db.NUMBERS, "tree", (ROOT,), (ROOT, HIGH))
    for nobody in (RESELLER, "=" + RESELLER, "=5"):
        assert await query_ids(store, Db.NUMBERS, "tree", (nobody,), (nobody, HIGH)) == []
    assert await query_ids(store, Db.NUMBERS, "search", ("city",), ("city", HIGH)) == ["+14155550190"]
    assert await query_ids(store, Db.ACCOUNTS, "tree", ("d:" + ROOT,), ("d:" + ROOT, HIGH)) == [CUSTOMER]


# -- lifecycle ------------------------------------------------------------------------------------


async def test_open_store_answers_ping_and_a_second_open_changes_nothing(store: Store) -> None:
    [rev] = await put_ok(store, Db.ACCOUNTS, account(ROOT))

    await store.ping()
    await store.open()

    assert (await store.get_many(Db.ACCOUNTS, [ROOT]))[ROOT]["_rev"] == rev
    assert await query_ids(store, Db.ACCOUNTS, "tree", ("*",), ("*", HIGH)) == [ROOT]
