"""Concurrent reads and writes of one database become one store call, each caller answered as if alone.

In every scenario one call goes first and finds the store idle: it is made at once, alone. The calls
started while it is in flight wait for it and then go together as one call to the store underneath.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping, Sequence
from typing import TypeVar

import pytest

from numplane.logs.ids import current_job_run
from numplane.store.base import Db, Doc, Store, StoreUnavailable, WriteResult
from numplane.store.coalesced import MERGED_DOCS, CoalescedStore
from tests.support.counting import CountingStore
from tests.support.faulty import FaultyStore

T = TypeVar("T")


def doc(doc_id: str, rev: str | None = None, **fields: str) -> Doc:
    body: Doc = {"_id": doc_id, "pvt_type": "note", **fields}
    if rev is not None:
        body["_rev"] = rev
    return body


async def started(*calls: Awaitable[T]) -> list[asyncio.Task[T]]:
    """The calls as tasks, in order, each run up to its first wait (the first one in the store, the others
    waiting behind it)."""
    tasks = [asyncio.ensure_future(call) for call in calls]
    await asyncio.sleep(0)
    return tasks


async def written(store: Store, *docs: Doc) -> list[WriteResult]:
    results = await store.put_many(Db.SYSTEM, list(docs))
    assert all(r.ok for r in results), results
    return results


async def test_reads_arriving_during_a_read_go_together_and_each_caller_gets_only_its_ids(store: Store) -> None:
    await written(store, doc("a"), doc("b"), doc("c"), doc("d"))
    counted = CountingStore(store)
    coalesced = CoalescedStore(counted)

    first, second, third = await asyncio.gather(
        coalesced.get_many(Db.SYSTEM, ["a"]),
        coalesced.get_many(Db.SYSTEM, ["b", "missing", "c"]),
        coalesced.get_many(Db.SYSTEM, ["d", "b"]),
    )

    assert list(first) == ["a"]
    assert list(second) == ["b", "c"]
    assert list(third) == ["d", "b"]
    assert counted.calls["get_many:system"] == 2  # the first alone, then the two that waited for it
    assert coalesced.group_sizes == {("get_many", 1): 1, ("get_many", 2): 1}


async def test_two_callers_of_one_document_in_a_merged_read_each_get_their_own_copy(store: Store) -> None:
    await written(store, doc("a", note="as stored"))
    coalesced = CoalescedStore(store)

    _, mine, theirs = await asyncio.gather(*(coalesced.get_many(Db.SYSTEM, ["a"]) for _ in range(3)))
    mine["a"]["note"] = "changed by its reader"

    assert theirs["a"]["note"] == "as stored"
    assert coalesced.group_sizes[("get_many", 2)] == 1


async def test_a_lone_call_goes_straight_to_the_store(store: Store) -> None:
    coalesced = CoalescedStore(store)
    await written(coalesced, doc("a"))
    assert list(await coalesced.get_many(Db.SYSTEM, ["a"])) == ["a"]
    assert coalesced.group_sizes == {("put_many", 1): 1, ("get_many", 1): 1}
    assert not coalesced.running  # no task was started for them


async def test_merged_writes_answer_each_caller_its_own_results_in_order_with_a_stale_one_conflicting(
    store: Store,
) -> None:
    a, b = await written(store, doc("a"), doc("b"))
    counted = CountingStore(store)
    coalesced = CoalescedStore(counted)

    alone, (new_c, new_a), (stale_b, new_d) = await asyncio.gather(
        coalesced.put_many(Db.SYSTEM, [doc("x")]),
        coalesced.put_many(Db.SYSTEM, [doc("c"), doc("a", a.rev, note="v2")]),
        coalesced.put_many(Db.SYSTEM, [doc("b", "1-0123456789abcdef0123456789abcdef"), doc("d")]),
    )

    assert alone[0].ok
    assert (new_c.id, new_c.ok, new_a.id, new_a.ok) == ("c", True, "a", True)
    assert (stale_b.id, stale_b.ok, stale_b.error) == ("b", False, "conflict")
    assert (new_d.id, new_d.ok) == ("d", True)
    assert counted.calls["put_many:system"] == 2
    stored = await store.get_many(Db.SYSTEM, ["a", "b", "c", "d", "x"])
    assert stored["a"]["note"] == "v2" and stored["a"]["_rev"] == new_a.rev
    assert stored["b"]["_rev"] == b.rev
    assert stored.keys() == {"a", "b", "c", "d", "x"}


async def test_two_callers_writing_one_revision_are_never_merged_so_the_later_conflicts(store: Store) -> None:
    (a,) = await written(store, doc("a"))
    counted = CountingStore(store)
    coalesced = CoalescedStore(counted)

    _, (earlier,), (later,) = await asyncio.gather(
        coalesced.put_many(Db.SYSTEM, [doc("x")]),
        coalesced.put_many(Db.SYSTEM, [doc("a", a.rev, note="earlier")]),
        coalesced.put_many(Db.SYSTEM, [doc("a", a.rev, note="later")]),
    )

    assert earlier.ok
    assert (later.ok, later.error) == (False, "conflict")
    assert counted.calls["put_many:system"] == 3  # the second write of `a` waited for the next call
    assert (await store.get_many(Db.SYSTEM, ["a"]))["a"]["note"] == "earlier"


async def test_a_failure_of_the_merged_call_reaches_every_caller_in_it_and_only_them(store: Store) -> None:
    faulty = FaultyStore(store, Db.SYSTEM)
    coalesced = CoalescedStore(faulty)

    first, second, third = await started(
        coalesced.put_many(Db.SYSTEM, [doc("a")]),
        coalesced.put_many(Db.SYSTEM, [doc("b")]),
        coalesced.put_many(Db.SYSTEM, [doc("c")]),
    )
    faulty.failures = 1  # the store goes down after the first call reached it
    assert (await first)[0].ok
    for merged in (second, third):
        with pytest.raises(StoreUnavailable):
            await merged
    assert coalesced.group_sizes[("put_many", 2)] == 1
    assert list(await store.get_many(Db.SYSTEM, ["a", "b", "c"])) == ["a"]
    assert (await coalesced.put_many(Db.SYSTEM, [doc("b")]))[0].ok  # the next call is made as usual


async def test_a_caller_cancelled_while_waiting_is_left_out_and_the_others_are_written(store: Store) -> None:
    coalesced = CoalescedStore(store)

    first, second, given_up, fourth = await started(*(coalesced.put_many(Db.SYSTEM, [doc(i)]) for i in "abcd"))
    given_up.cancel()
    await asyncio.gather(first, second, fourth)

    assert list(await store.get_many(Db.SYSTEM, ["a", "b", "c", "d"])) == ["a", "b", "d"]
    assert coalesced.group_sizes == {("put_many", 1): 1, ("put_many", 2): 1}


async def test_a_caller_cancelled_once_its_merged_write_is_sent_loses_no_write(store: Store) -> None:
    coalesced = CoalescedStore(store)

    first, given_up, third = await started(*(coalesced.put_many(Db.SYSTEM, [doc(i)]) for i in "abc"))
    await first
    await asyncio.sleep(0)  # the merged call of b and c is now in the store
    assert coalesced.running
    given_up.cancel()

    (c,) = await third
    assert c.ok
    assert list(await store.get_many(Db.SYSTEM, ["a", "b", "c"])) == ["a", "b", "c"]


async def test_writes_beyond_the_merged_size_wait_for_the_next_call(store: Store) -> None:
    coalesced = CoalescedStore(store)
    batches = [[doc(f"{i}-{j}") for j in range(MERGED_DOCS // 2 + 1)] for i in range(3)]

    answers = await asyncio.gather(coalesced.put_many(Db.SYSTEM, [doc("x")]),
                                   *(coalesced.put_many(Db.SYSTEM, batch) for batch in batches))

    assert [[r.id for r in answer] for answer in answers[1:]] == [[d["_id"] for d in b] for b in batches]
    assert all(r.ok for answer in answers for r in answer)
    assert coalesced.group_sizes == {("put_many", 1): 4}  # two halves and more never fit one call


async def test_a_merged_call_runs_outside_the_context_of_the_call_before_it(store: Store) -> None:
    seen: list[str | None] = []

    class Recording(CountingStore):
        async def get_many(self, db: Db, ids: Sequence[str]) -> dict[str, Doc]:
            seen.append(current_job_run.get())
            return await super().get_many(db, ids)

    coalesced = CoalescedStore(Recording(store))

    async def in_a_job_run(run: str) -> dict[str, Doc]:
        current_job_run.set(run)
        return await coalesced.get_many(Db.SYSTEM, [run])

    await asyncio.gather(*(in_a_job_run(run) for run in ("first", "second", "third")))

    # The merged call serves `second` and `third`: its log lines must name neither, nor `first`.
    assert seen == ["first", None]


async def test_a_merged_conditional_read_names_an_id_held_only_where_every_caller_of_it_holds_that_revision(
    store: Store,
) -> None:
    a, b, c = await written(store, doc("a"), doc("b"), doc("c"))
    asked: list[Mapping[str, str] | None] = []

    class Conditional(CountingStore):
        """Records the revisions each read names as held (the store underneath answers whole documents)."""

        async def get_many(
            self, db: Db, ids: Sequence[str], *, held: Mapping[str, str] | None = None
        ) -> dict[str, Doc]:
            asked.append(held)
            return await super().get_many(db, ids)

    coalesced = CoalescedStore(Conditional(store))
    assert a.rev and b.rev and c.rev
    answers = await asyncio.gather(
        coalesced.get_many(Db.SYSTEM, ["x"]),
        coalesced.get_many(Db.SYSTEM, ["a", "b"], held={"a": a.rev}),
        coalesced.get_many(Db.SYSTEM, ["a", "c"], held={"a": a.rev, "c": c.rev}),
        coalesced.get_many(Db.SYSTEM, ["b"], held={"b": b.rev}),
    )

    # `b` is held by one caller but not by the other asking for it: it must come whole to that one.
    assert asked == [None, {"a": a.rev, "c": c.rev}]
    assert [list(answer) for answer in answers] == [[], ["a", "b"], ["a", "c"], ["b"]]
