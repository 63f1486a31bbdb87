"""Writing numbers that were built elsewhere, without ever overwriting one (lossless import, migrations).

The lossless CSV import and the Kazoo migration bring numbers in every state, with their owner lineage,
reserve history, carrier, public fields, features and timestamps. The API's `addNumbers` cannot carry
them (its rules admit only a few states and stamp a fresh history), so they are written as they are, in
batches, as creates: a document without `_rev` conflicts with any live document of that id, so nothing
already in the store is ever replaced. A conflicting number is read back and compared, which makes a
second run of the same input a no-op (every number is `IDENTICAL`) and a real difference a `CONFLICT`
left for the operator, never a silent overwrite.

The caller vouches for the numbers (they are already domain `Number`s, validated by whoever built them);
this module only writes them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from numplane.domain.numbers import Number
from numplane.store.base import Db, Store
from numplane.store.readable import read_or_skip

BATCH = 500
"""Numbers per `put_many` (and per read-back of the conflicting ones)."""


class Outcome(str, Enum):
    CREATED = "created"
    IDENTICAL = "identical"  # already present, exactly as given: nothing to do
    CONFLICT = "conflict"  # already present and different: reported, left as it is


@dataclass(frozen=True, slots=True)
class Written:
    """What happened to one number, in input order."""

    number: str
    outcome: Outcome
    existing: Number | None = None  # the stored number, for a conflict (None if it vanished meanwhile)


async def create_numbers(store: Store, numbers: Sequence[Number], *, batch: int = BATCH) -> list[Written]:
    """Create every number that is not in the store yet; one outcome per number, in input order."""
    written: list[Written] = []
    for start in range(0, len(numbers), batch):
        written += await _create_batch(store, numbers[start : start + batch])
    return written


async def _create_batch(store: Store, numbers: Sequence[Number]) -> list[Written]:
    docs = [number.with_changes(rev=None).to_doc() for number in numbers]
    results = await store.put_many(Db.NUMBERS, docs)
    taken = [doc["_id"] for doc, result in zip(docs, results, strict=True) if not result.ok]
    existing = await store.get_many(Db.NUMBERS, taken) if taken else {}
    outcomes = []
    for doc, result in zip(docs, results, strict=True):
        if result.ok:
            outcomes.append(Written(doc["_id"], Outcome.CREATED))
            continue
        stored = existing.get(doc["_id"])
        # An unreadable stored document is a conflict with nothing to show (logged with its id).
        current = read_or_skip(Number.from_doc, stored, "number import") if stored is not None else None
        if current is not None and _comparable(current) == comparable(doc):
            outcomes.append(Written(doc["_id"], Outcome.IDENTICAL))
        else:
            # Absent on the read-back: deleted between the create and the read. Reporting it is safer
            # than a second create racing whoever deleted it.
            outcomes.append(Written(doc["_id"], Outcome.CONFLICT, current))
    return outcomes


def comparable(doc: dict[str, Any]) -> dict[str, Any]:
    """A number's document as the domain reads it, without the revision: two documents that differ only in
    spelling the domain ignores (key order, an empty optional field present or absent) compare equal."""
    return _comparable(Number.from_doc(doc))


def _comparable(number: Number) -> dict[str, Any]:
    return number.with_changes(rev=None).to_doc()
