"""Merged store calls on and off in one process, batches taking turns (numplane.store.coalesced, issue 18).

Run with `make bench BENCH_ARGS=coalesced` or `python -m benchmarks.coalesced [--no-couch]`. For each
store it builds the app numplane serves, as benchmarks.transitions does (16 concurrent callers, each
activating and releasing its own number), and measures batches of transitions that alternate between the
store with concurrent reads and writes merged and the same store without that wrapper: both sides meet
the same machine load, which separate runs on a shared machine do not. Prints the median process CPU
per transition of each side, through the app and through the resolvers, their ratio, and how many
callers each merged store call served.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Awaitable, Callable

from benchmarks.transitions import cpu_per_call, cycles, group_report, run_sides, running
from numplane.resolvers import keys
from numplane.store.coalesced import CoalescedStore
from numplane.store.observed import ObservedStore


async def measure(store_url: str, batches: int, transitions: int) -> list[str]:
    async with running(store_url) as (app, services, key):
        requester = await keys.authenticate(services, key)
        assert requester is not None
        observed = services.store
        assert isinstance(observed, ObservedStore) and isinstance(observed.inner, CoalescedStore)
        coalesced = observed.inner

        through_app, through_resolvers = cycles(app, services, key, requester)

        paths: dict[str, Callable[[int], Awaitable[None]]] = {"app": through_app, "resolvers": through_resolvers}
        costs: dict[tuple[str, bool], list[float]] = {(path, merged): [] for path in paths for merged in (True, False)}
        before = Counter(coalesced.group_sizes)
        await cpu_per_call(transitions, through_app)  # warm caches and connections
        for batch in range(batches):
            for path, cycle in paths.items():
                # Which side goes first alternates, so neither always follows the other.
                for merged in ((True, False) if batch % 2 == 0 else (False, True)):
                    observed.inner = coalesced if merged else coalesced.inner
                    costs[path, merged].append(await cpu_per_call(transitions // 2, cycle) / 2)
        observed.inner = coalesced
        lines = []
        for path in paths:
            on, off = (statistics.median(costs[path, merged]) for merged in (True, False))
            lines.append(
                f"through the {path:<9}: {on:5.2f} ms merged, {off:5.2f} ms not (median of {batches} batches each),"
                f" merged ÷ not {on / off:4.2f}x"
            )
        lines.append("callers per store call when merged: " + group_report(coalesced.group_sizes - before))
        return lines


def main() -> None:
    run_sides(
        __doc__.splitlines()[0],
        "numplane process CPU per single-number transition, 16 concurrent callers, "
        "store calls merged or not",
        measure,
        batches=8,
    )


if __name__ == "__main__":
    main()
