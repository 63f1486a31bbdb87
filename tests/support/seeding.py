"""Fast set-up of many numbers: raw documents written in bulk, bypassing the lifecycle."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache
from typing import Any

from numplane.domain.locality import describe
from numplane.domain.numbers import Number
from numplane.domain.states import State
from numplane.store.base import Db, Store

CHUNK = 5000


def number(index: int, state: State, changed: datetime, *, modified: datetime | None = None) -> Number:
    return Number(
        e164=f"+1415{index:07d}",
        state=state,
        module="inventory",
        created=changed,
        modified=modified or changed,
        state_changed_at=changed,
        stored_locality=located(f"+1415{index:07d}"),
    )


def located(e164: str) -> dict[str, Any]:
    """The number's `pvt_locality` as a write computes it, geocoded once per block of 1,000 consecutive
    numbers (the block's place and kind, the number's own national number): seeding a hundred thousand
    numbers then costs the store's time, not libphonenumber's. A stored locality is carried over by
    Number.to_doc, exactly as for a number read back from the store."""
    block = _block(e164[:-3])
    return {**block, "national": e164[len(e164) - len(block["national"]) :]}


@lru_cache(maxsize=4096)
def _block(block: str) -> dict[str, Any]:
    return describe(block + "000").to_doc()


async def seed(store: Store, numbers: Iterable[Number]) -> None:
    batch: list[Number] = []
    for item in numbers:
        batch.append(item)
        if len(batch) == CHUNK:
            await _write(store, batch)
            batch = []
    if batch:
        await _write(store, batch)


async def _write(store: Store, numbers: list[Number]) -> None:
    results = await store.put_many(Db.NUMBERS, [n.to_doc() for n in numbers])
    assert all(r.ok for r in results), [r for r in results if not r.ok][:3]
