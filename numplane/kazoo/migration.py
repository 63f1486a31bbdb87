"""`numplane kazoo import`: accounts first, then every number database in pages, then (with --follow)
every change feed, until stopped.

Numbers new to numplane go through the create-only writing path (numplane.resolvers.create_only), so
nothing is ever overwritten by a create. A number numplane already has is replaced only when it is
untouched since its import (its last history entry is that import, numplane.domain.kazoo.plan): the
write carries the revision that was read, so a numplane write racing it makes it a conflict, reported.

Each source database has a checkpoint in numplane's system database: the last document id written and
the source's change sequence from before the database was read. An interrupted run continues after the
id; a finished one is read again from the start (every number then comes out `identical`), and
`--follow` starts each feed from the sequence, so no change made during the import is missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from numplane.domain.accounts import Account
from numplane.domain.kazoo import (
    AccountMapped,
    Mapped,
    Refused,
    Step,
    already_imported,
    complete_trees,
    map_account,
    map_number,
    plan,
    plan_account,
    updated,
)
from numplane.domain.numbers import Number
from numplane.kazoo.report import Report, Row
from numplane.kazoo.source import PAGE, ChangeBatch, Source
from numplane.resolvers.context import Services
from numplane.resolvers.create_only import Outcome, create_numbers
from numplane.resolvers.system_config import get_config
from numplane.store.base import HIGH, Db, Doc, Store

Advance = Callable[[str, int], None]
"""Progress: (database, documents done) after each page."""


@dataclass(frozen=True)
class Options:
    accounts_db: str = "accounts"
    numbers_prefix: str = "numbers/"
    carrier_map: Mapping[str, str] = field(default_factory=dict)
    dry_run: bool = False
    page: int = PAGE  # documents per source read (and per batch written)


@dataclass
class FollowStatus:
    """What `--follow` prints after each round of the feeds."""

    applied: int = 0
    pending: int = 0  # changes waiting in the source after this round (0: caught up; a lower bound when the
    # source does not count them)
    round_seconds: float = 0.0


async def all_accounts(store: Store) -> dict[str, Account]:
    found: dict[str, Account] = {}
    after: tuple[str, ...] | None = None
    while True:
        rows = await store.query(Db.ACCOUNTS, "tree", start=("*", ""), end=("*", "", HIGH), after=after, limit=1000)
        found.update((row.id, Account.from_doc(row.doc)) for row in rows)
        if len(rows) < 1000:
            return found
        after = rows[-1].key


class Migration:
    def __init__(
        self, services: Services, source: Source, options: Options, *, advance: Advance | None = None
    ) -> None:
        self.services = services
        self.store = services.store
        self.source = source
        self.options = options
        self.report = Report()
        self.accounts: dict[str, Account] = {}
        self._advance = advance or (lambda _db, _n: None)
        self._history_length = 100
        self._source_key = hashlib.sha256(source.label.encode()).hexdigest()[:12]
        self._checkpoints: dict[str, Doc | None] = {}

    # -- the initial import ------------------------------------------------------------------------

    async def run(self) -> Report:
        self._history_length = (await get_config(self.services)).history_length
        await self.import_accounts()
        for db in await self.source.databases(self.options.numbers_prefix):
            await self.import_database(db)
        return self.report

    async def import_accounts(self) -> None:
        db = self.options.accounts_db
        since = await self.source.position(db)
        docs: list[Doc] = []
        after: str | None = None
        while page := await self.source.page(db, after, self.options.page):
            docs += page
            after = str(page[-1]["_id"])
            if len(page) < self.options.page:
                break
        await self.apply_accounts(db, [(str(d.get("_id")), d) for d in docs])
        await self._save_checkpoint(db, await self._checkpoint(db), after=None, since=since, done=True)
        self._advance(db, len(docs))

    async def apply_accounts(self, db: str, changes: Sequence[tuple[str, Doc | None]]) -> None:
        now = self.services.clock()
        existing = await all_accounts(self.store)
        incoming: dict[str, Account] = {}
        gone: list[str] = []
        for account_id, doc in changes:
            mapped = map_account(doc, now=now) if doc is not None else Refused(account_id, "deleted", gone=True)
            if isinstance(mapped, AccountMapped):
                incoming[mapped.account.id] = mapped.account
                self._notes("account", db, mapped.account.id, mapped.notes)
            elif mapped.gone:
                gone.append(mapped.id)
            else:
                self.report.add(Row("account", db, mapped.id, "refused", mapped.reason))
        known = {i: a for i, a in existing.items() if i not in incoming}
        kept, orphans = complete_trees(incoming, known)
        for orphan in orphans:
            self.report.add(Row("account", db, orphan.id, "refused", orphan.reason))
        writes: list[Doc] = []
        pairs = [(i, kept[i]) for i in kept] + [(i, None) for i in gone]
        for account_id, account in pairs:
            before = existing.get(account_id)
            step = plan_account(before, account)
            if step is Step.CONFLICT:
                self.report.add(Row("account", db, account_id, "conflict", "changed in numplane since its import"))
                continue
            self.report.count("account", step.value)
            if step in (Step.CREATE, Step.UPDATE) and account is not None:
                writes.append(account.with_changes(rev=before.rev if before else None).to_doc())
            elif step is Step.DELETE and before is not None:
                writes.append({**before.to_doc(), "_deleted": True})
        if writes and not self.options.dry_run:
            for doc, result in zip(writes, await self.store.put_many(Db.ACCOUNTS, writes), strict=True):
                if not result.ok:
                    self.report.add(Row("account", db, doc["_id"], "conflict", "changed in numplane meanwhile"))
        self.accounts = {**existing, **kept} if self.options.dry_run else await all_accounts(self.store)
        for account_id in gone:
            self.accounts.pop(account_id, None)

    async def import_database(self, db: str) -> None:
        checkpoint = await self._checkpoint(db)
        if checkpoint is None or checkpoint.get("done"):
            after, since = None, await self.source.position(db)
        else:
            after, since = checkpoint.get("after"), checkpoint["since"]
        size = self.options.page
        # The next page is read while this one is written: the source and the store work side by side.
        reading = asyncio.create_task(self.source.page(db, after, size))
        try:
            while True:
                docs = await reading
                if len(docs) == size:
                    reading = asyncio.create_task(self.source.page(db, str(docs[-1]["_id"]), size))
                if docs:
                    await self.apply_numbers(db, [(str(d.get("_id")), d) for d in docs])
                    after = str(docs[-1]["_id"])
                    self._advance(db, len(docs))
                done = len(docs) < size
                await self._save_checkpoint(db, checkpoint, after=after, since=since, done=done)
                checkpoint = await self._checkpoint(db)
                if done:
                    return
        finally:
            reading.cancel()

    async def apply_numbers(self, db: str, changes: Sequence[tuple[str, Doc | None]]) -> None:
        """Map, plan and write one page of number documents (None: deleted in Kazoo)."""
        now = self.services.clock()
        stored = await self.store.get_many(Db.NUMBERS, [number_id for number_id, _doc in changes])
        incoming: dict[str, Number | None] = {}
        for number_id, doc in changes:
            if doc is not None and number_id in stored and already_imported(stored[number_id], doc):
                # Already imported from this very revision and untouched since: nothing to map or write.
                self.report.count("number", Step.IDENTICAL.value)
                continue
            mapped: Mapped | Refused = (
                map_number(doc, self.accounts, now=now, carrier_map=self.options.carrier_map)
                if doc is not None
                else Refused(number_id, "deleted", gone=True)
            )
            if isinstance(mapped, Mapped):
                incoming[mapped.number.e164] = mapped.number
                self._notes("number", db, mapped.number.e164, mapped.notes)
            elif mapped.gone:
                incoming[mapped.id] = None
                if doc is not None:
                    self.report.add(Row("number", db, mapped.id, "refused", mapped.reason))
            else:
                self.report.add(Row("number", db, mapped.id, "refused", mapped.reason))
        creates: list[Number] = []
        writes: list[Doc] = []
        for number_id, number in incoming.items():
            before = Number.from_doc(stored[number_id]) if number_id in stored else None
            step = plan(before, number)
            if step is Step.CONFLICT:
                self.report.add(Row("number", db, number_id, "conflict", "changed in numplane since its import"))
            elif step is Step.CREATE and number is not None:
                creates.append(number)
            elif step is Step.UPDATE and before is not None and number is not None:
                writes.append(updated(before, number, self._history_length).to_doc())
            elif step is Step.DELETE:
                writes.append({**stored[number_id], "_deleted": True})
            if step not in (Step.CONFLICT, Step.CREATE, Step.NOTHING):
                self.report.count("number", step.value)
        if self.options.dry_run:
            self.report.count("number", Step.CREATE.value, len(creates))
            return
        for written in await create_numbers(self.store, creates):
            if written.outcome is Outcome.CONFLICT:
                self.report.add(Row("number", db, written.number, "conflict", "created in numplane meanwhile"))
            else:
                self.report.count("number", Step.CREATE.value if written.outcome is Outcome.CREATED else "identical")
        if writes:
            for doc, result in zip(writes, await self.store.put_many(Db.NUMBERS, writes), strict=True):
                if not result.ok:
                    self.report.add(Row("number", db, doc["_id"], "conflict", "changed in numplane meanwhile"))

    # -- following ---------------------------------------------------------------------------------

    async def follow(
        self, stop: asyncio.Event, status: Callable[[FollowStatus], None] | None = None, *, pause: float = 0.2
    ) -> None:
        """Apply every change of every feed as it comes, until `stop` is set."""
        accounts_db = self.options.accounts_db
        while not stop.is_set():
            started = time.monotonic()
            round_status = FollowStatus()
            dbs = [accounts_db, *await self.source.databases(self.options.numbers_prefix)]
            checkpoints = [await self._checkpoint(db) for db in dbs]
            # Every feed is asked at once (reads only); the changes are then applied in order, accounts first,
            # so a number changed together with its new owner finds the owner.
            batches = await asyncio.gather(
                # A database that appeared after the import is followed from its beginning.
                *(self.source.changes(db, cp["since"] if cp else None, self.options.page)
                  for db, cp in zip(dbs, checkpoints, strict=True))
            )
            for db, checkpoint, batch in zip(dbs, checkpoints, batches, strict=True):
                await self._apply_batch(db, checkpoint, batch, round_status)
            round_status.round_seconds = time.monotonic() - started
            if status is not None:
                status(round_status)
            if round_status.applied == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), pause)

    async def _apply_batch(self, db: str, checkpoint: Doc | None, batch: ChangeBatch, status: FollowStatus) -> None:
        if batch.changes:
            pairs = [(c.id, c.doc) for c in batch.changes]
            if db == self.options.accounts_db:
                await self.apply_accounts(db, pairs)
            else:
                await self.apply_numbers(db, pairs)
        if batch.changes or checkpoint is None:
            await self._save_checkpoint(db, checkpoint, after=None, since=batch.since, done=True)
        status.applied += len(batch.changes)
        if batch.pending is not None:
            status.pending += batch.pending
        elif len(batch.changes) == self.options.page:
            status.pending += 1  # pouchdb-server does not say how many are left; a full batch means some are

    # -- checkpoints -------------------------------------------------------------------------------

    def _checkpoint_id(self, db: str) -> str:
        return f"kazoo-checkpoint:{self._source_key}:{db}"

    async def _checkpoint(self, db: str) -> Doc | None:
        # Read once, then kept as written: this run is the checkpoint's only writer (a second one is refused
        # on its revision), and --follow would otherwise read every database's checkpoint every round.
        if db not in self._checkpoints:
            found = await self.store.get_many(Db.SYSTEM, [self._checkpoint_id(db)])
            self._checkpoints[db] = found.get(self._checkpoint_id(db))
        return self._checkpoints[db]

    async def _save_checkpoint(
        self, db: str, current: Doc | None, *, after: str | None, since: str, done: bool
    ) -> None:
        if self.options.dry_run:
            return
        doc: dict[str, Any] = {
            "_id": self._checkpoint_id(db), "pvt_type": "kazoo_checkpoint", "source": self.source.label,
            "database": db, "after": after, "since": since, "done": done,
        }
        if current is not None:
            doc["_rev"] = current["_rev"]
        (result,) = await self.store.put_many(Db.SYSTEM, [doc])
        if not result.ok:
            raise RuntimeError(f"the checkpoint of {db} was changed by another run: run one import at a time")
        self._checkpoints[db] = {**doc, "_rev": result.rev}

    def _notes(self, kind: str, db: str, doc_id: str, notes: Sequence[str]) -> None:
        for note in notes:
            self.report.add(Row(kind, db, doc_id, "note", note))

