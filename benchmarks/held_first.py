"""Deciding first on the number this process wrote last, on and off in one process, batches taking turns
(numplane.resolvers.bulk `_unread_round`, issue 18).

Run with `make bench BENCH_ARGS=held_first` or `python -m benchmarks.held_first [--no-couch]`. For each store
it builds the app numplane serves, as benchmarks.transitions does (16 concurrent callers, each activating
and releasing its own number of the inventory module), and measures batches of transitions that alternate
between the bulk engine as built (a number this process wrote last is decided on and written at that
revision, unread) and the same engine reading every number first: both sides meet the same machine load.
Prints the median process CPU per transition of each side through the app and through the resolvers, the
median of the batches' ratios, the numbers read per transition on each side, and `{ __typename }` beside.
"""

from __future__ import annotations

import statistics
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from benchmarks.transitions import call, cpu_per_call, cycles, run_sides, running
from numplane.resolvers import bulk, keys
from numplane.store.base import Db, Doc


def _reads_first(*_args: Any) -> None:
    return None  # `_unread_round`'s answer when it holds nothing: every number is read first


async def measure(store_url: str, batches: int, transitions: int) -> list[str]:
    async with running(store_url) as (app, services, key):
        requester = await keys.authenticate(services, key)
        assert requester is not None
        through_app, through_resolvers = cycles(app, services, key, requester)

        read = services.store.get_many
        numbers_read = {True: 0, False: 0}
        side = [True]

        async def counting(db: Db, ids: Sequence[str], **options: Any) -> dict[str, Doc]:
            numbers_read[side[0]] += len(ids) if db is Db.NUMBERS else 0
            found: dict[str, Doc] = await read(db, ids, **options)
            return found

        async def typename(_index: int) -> None:
            await call(app, key, "{ __typename }")

        services.store.get_many = counting
        paths: dict[str, Callable[[int], Awaitable[None]]] = {"app": through_app, "resolvers": through_resolvers}
        costs: dict[tuple[str, bool], list[float]] = {(path, held): [] for path in paths for held in (True, False)}
        floor: list[float] = []
        unread_round = bulk._unread_round
        await cpu_per_call(transitions, through_app)  # warm caches and connections
        try:
            for batch in range(batches):
                for path, cycle in paths.items():
                    # Which side goes first alternates, so neither always follows the other.
                    for held in ((True, False) if batch % 2 == 0 else (False, True)):
                        bulk._unread_round = unread_round if held else _reads_first  # type: ignore[assignment]
                        side[0] = held
                        costs[path, held].append(await cpu_per_call(transitions // 2, cycle) / 2)
                floor.append(await cpu_per_call(transitions // 2, typename))
        finally:
            bulk._unread_round = unread_round
            services.store.get_many = read
        lines = []
        for path in paths:
            on, off = (statistics.median(costs[path, held]) for held in (True, False))
            ratio = statistics.median(a / b for a, b in zip(costs[path, True], costs[path, False], strict=True))
            lines.append(
                f"through the {path:<9}: {on:5.2f} ms held first, {off:5.2f} ms read first (median of {batches}"
                f" batches each), held ÷ read {ratio:4.2f}x (median of the batches' ratios)"
            )
        per_side = transitions * batches * len(paths)  # `transitions` a batch on each path, on each side
        lines.append(
            f"numbers read a transition: {numbers_read[True] / per_side:.2f} held first,"
            f" {numbers_read[False] / per_side:.2f} read first; {{ __typename }} {statistics.median(floor):5.3f} ms"
        )
        return lines


def main() -> None:
    run_sides(
        __doc__.splitlines()[0],
        "numplane process CPU per single-number transition, 16 concurrent callers, "
        "held numbers decided on or read",
        measure,
        batches=12,
    )


if __name__ == "__main__":
    main()
