"""The embedded store's own work per single-number transition: `python -m benchmarks.store_writes`.

Issue 18's transitions split into the event loop's side (GraphQL, domain, change hub) and the SQLite
store's worker thread. This measures the second alone: 16 numbers, each carrying a full audit trail (100
entries, ~24 KB of JSON), cycle available <-> in_service through the three store calls a transition makes
(the bulk engine's read, the write, and the change feed's read, here every second transition as the hub
batches them), with no GraphQL and no domain. As numplane does, the caller builds each write on the
document it wrote last (the bulk engine's WrittenNumbers: the same trail entry objects) and names that
revision in its reads (`held`, on a store that takes it), whatever the store answers; the feed's read asks
instead for the store's own writes unparsed (`own`, as numplane.changes.hub does). It prints the
process CPU per transition (both threads: the worker and the loop handing it work), the SQL statements
the worker ran per transition, and the write-ahead log bytes a transition appends (what a commit writes).
CPU, not a rate: comparable across runs on a busy machine when runs alternate (`--rounds`).
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import os
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from numplane.domain.numbers import Number
from numplane.domain.states import State
from numplane.store.base import Db
from numplane.store.sqlite import SqliteStore

NUMBERS = [f"+1628555{n:04d}" for n in range(16)]
TRAIL = 100  # entries: history_length's default, reached by any number that moved for a while
ACCOUNT, RESELLER = "a" * 32, "r" * 32


def entry(index: int, before: str, after: str) -> dict[str, Any]:
    return {"at": f"2026-01-01T00:{index // 60 % 60:02d}:{index % 60:02d}Z", "action": "transition",
            "from": before, "to": after, "requester": ACCOUNT, "owner_before": ACCOUNT, "owner_after": ACCOUNT}


class Transitions:
    def __init__(self, store: SqliteStore) -> None:
        self.store = store
        self.cursor = ""
        self.written: dict[str, dict[str, Any]] = {}  # the document each number was last written as
        # A store from before conditional reads is measured too (an A/B run): it is asked without `held`.
        self.takes_held = "held" in inspect.signature(store.get_many).parameters
        self.takes_own = "own" in inspect.signature(store.changes).parameters

    async def seed(self) -> None:
        trail = tuple(entry(i, "available", "in_service") for i in range(TRAIL))
        await self.store.put_many(Db.NUMBERS, [
            Number(e164=e164, state=State.AVAILABLE, module="inventory", owner=ACCOUNT,
                   assigned_tree=(RESELLER, ACCOUNT), history_docs=trail).to_doc()
            for e164 in NUMBERS
        ])
        self.cursor = await self.store.current_cursor(Db.NUMBERS)

    async def one(self, index: int) -> None:
        e164 = NUMBERS[index % len(NUMBERS)]
        read = (await self.store.get_many(Db.NUMBERS, [e164], **self.held([e164])))[e164]
        kept = self.written.get(e164)
        doc = dict(kept) if kept is not None and kept["_rev"] == read["_rev"] else read
        after = "in_service" if doc["pvt_state"] == "available" else "available"
        doc["pvt_history"] = [*doc["pvt_history"][1:], entry(index, doc["pvt_state"], after)]
        doc["pvt_state"], doc["pvt_state_changed_at"] = after, entry(index, "", "")["at"]
        [result] = await self.store.put_many(Db.NUMBERS, [doc])
        if not result.ok:
            raise RuntimeError(f"the transition failed: {result}")
        self.written[e164] = {**doc, "_rev": result.rev}
        if index % 2:
            options = {"own": True} if self.takes_own else self.held(NUMBERS)
            self.cursor = (await self.store.changes(Db.NUMBERS, self.cursor, 100, **options)).cursor

    def held(self, ids: list[str]) -> dict[str, Any]:
        if not self.takes_held:
            return {}
        return {"held": {i: self.written[i]["_rev"] for i in ids if i in self.written}}


async def measure(transitions: int) -> tuple[float, float, float]:
    """(CPU ms, statements, WAL bytes) per transition."""
    with tempfile.TemporaryDirectory() as scratch:
        path = str(Path(scratch) / "bench.db")
        store = SqliteStore(path)
        await store.open()
        try:
            cycle = Transitions(store)
            await cycle.seed()
            for index in range(200):  # warm: every number's rows remembered, statements prepared
                await cycle.one(index)
            await in_worker(store, lambda conn: conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone())
            await in_worker(store, lambda conn: conn.execute("PRAGMA wal_autocheckpoint = 0").fetchone())
            started = time.process_time()
            for index in range(transitions):
                await cycle.one(index)
            cpu = time.process_time() - started
            wal = os.path.getsize(path + "-wal")
            # Counted apart from the timed run: the trace callback gets each statement's SQL text, bound
            # values written in, which costs more than some of the statements themselves.
            statements = 0

            def traced(_sql: str) -> None:
                nonlocal statements
                statements += 1

            await in_worker(store, lambda conn: conn.set_trace_callback(traced))
            for index in range(100):
                await cycle.one(index)
            await in_worker(store, lambda conn: conn.set_trace_callback(None))
        finally:
            await store.close()
    return 1000 * cpu / transitions, statements / 100, wal / transitions


async def in_worker(store: SqliteStore, work: Callable[[sqlite3.Connection], object]) -> None:
    """Run `work` on the store's connection in its worker thread (the only thread that may use it)."""
    await store._run(lambda: work(store._connection()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transitions", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3, help="runs; the lowest CPU is printed beside the median")
    args = parser.parse_args()
    runs = sorted(asyncio.run(measure(args.transitions)) for _ in range(args.rounds))
    cpu = [run[0] for run in runs]
    _cpu, statements, wal = runs[0]
    print(f"SQLite store, per single-number transition (read, write, feed read; {TRAIL}-entry trails):")
    print(f"  CPU {cpu[0]:.3f} ms lowest, {cpu[len(cpu) // 2]:.3f} ms median of {len(cpu)} runs;"
          f" {statements:.1f} statements; {wal / 1024:.1f} KB of write-ahead log")


if __name__ == "__main__":
    main()
