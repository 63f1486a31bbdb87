"""Long synchronous work in short turns, so that one request's batch does not stall everyone else's.

The process serves every request on one event loop: while a bulk mutation decides 1,000 numbers, or the
change hub decodes a page of 1,000 changes, nothing else runs. Deciding one number costs 0.1-0.5 ms of
CPU (parsing it, building its locality and history), so a 250-number chunk held the loop for tens of ms
and a 1,000-number request for hundreds. Going through such loops `in_turns` hands the loop back after
every few units: other requests run in between, and the work itself is unchanged (the same units in the
same order; whatever the caller writes, it still writes once, after the loop).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable
from typing import TypeVar

T = TypeVar("T")

UNITS_PER_TURN = 10
"""About 1-5 ms of work per turn for the units above: one yield (a few µs) per ten units costs nothing
measurable, and a waiting request waits for one turn, not for the whole loop."""


async def in_turns(items: Iterable[T], per_turn: int = UNITS_PER_TURN) -> AsyncIterator[T]:
    """`items`, one by one, with a turn of the event loop after every `per_turn` of them."""
    for index, item in enumerate(items, 1):
        yield item
        if index % per_turn == 0:
            await asyncio.sleep(0)


async def each_in_turns(items: Iterable[T], step: Callable[[T], None], per_turn: int = UNITS_PER_TURN) -> None:
    """`step(item)` for each of `items`, with a turn of the event loop after every `per_turn` of them:
    `in_turns` for a loop whose body never waits. It is one coroutine where `async for` drives an async
    generator (hooked into the loop when it starts, awaited once per item): for the one number most
    requests carry, going through such a loop cost more than the work inside it."""
    for index, item in enumerate(items, 1):
        step(item)
        if index % per_turn == 0:
            await asyncio.sleep(0)
