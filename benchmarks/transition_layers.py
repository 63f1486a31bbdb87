"""Where a single-number transition's CPU goes, layer by layer, in process (issue 18), on the embedded store.

Run with `make bench BENCH_ARGS=transition_layers` or `python -m benchmarks.transition_layers [--rounds N]`.
It builds the app `numplane serve` runs (benchmarks.transitions.running) and measures in interleaved rounds,
16 concurrent callers as `make bench BENCH_ARGS=api` drives them, the process CPU (every thread) per
  transition through the app            POST /graphql through the ASGI app: body, shell, GraphQL, use case
  transition through GraphQL            schema.execute with a built context: no HTTP, no shell
  transition through the resolvers      the use case alone (numbers.activate_numbers / release_numbers)
  { __typename } through the app / GraphQL
  the transition's operation, use case answered at once, through the app / GraphQL: what the mutation's
                                        HTTP and GraphQL layers cost apart from the store, beside { __typename }
and for the app rows the garbage collector's collections and CPU (its own thread's clock) per request. The
median of the rounds is printed, with the rounds, so a neighbour's burst on the shared machine shows.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import uvloop

from benchmarks.api import ACTIVATE, CLIENTS, POOL, RELEASE
from benchmarks.transitions import call, cpu_per_call, cycles, running
from numplane.resolvers import keys, numbers
from numplane.resolvers.bulk import BulkResult
from numplane.schema.context import RequestContext
from numplane.schema.schema import build_schema

Row = Callable[[int], Awaitable[None]]


class Collections:
    """The collector's collections and CPU milliseconds while it is being watched."""

    def __init__(self) -> None:
        self.counts = [0, 0, 0]
        self.ms = 0.0
        self._started = 0.0
        gc.callbacks.append(self._heard)

    def _heard(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.thread_time()
        else:
            self.counts[info["generation"]] += 1
            self.ms += 1000 * (time.thread_time() - self._started)

    def stop(self) -> None:
        gc.callbacks.remove(self._heard)

    def reset(self) -> None:
        self.counts, self.ms = [0, 0, 0], 0.0


async def measure(store_url: str, transitions: int, rounds: int) -> None:
    async with running(store_url) as (app, services, key):
        requester = await keys.authenticate(services, key)
        assert requester is not None
        settings = services.settings
        schema = build_schema(
            debug=settings.debug, max_depth=settings.max_depth, max_aliases=settings.max_aliases,
            max_tokens=settings.max_tokens, max_document_chars=settings.max_document_chars,
        )

        through_app, through_resolvers = cycles(app, services, key, requester)

        async def through_graphql(index: int) -> None:
            for query in (ACTIVATE, RELEASE):
                context = RequestContext.build(services, requester)
                result = await schema.execute(query, variable_values={"n": POOL[index]}, context_value=context)
                if result.errors or result.data is None or any(p["userErrors"] for p in result.data.values()):
                    raise RuntimeError(f"the transition failed: {result}")

        async def typename_app(_index: int) -> None:
            await call(app, key, "{ __typename }")

        async def typename_graphql(_index: int) -> None:
            await schema.execute("{ __typename }", context_value=RequestContext.build(services, requester))

        rows: dict[str, tuple[Row, int]] = {  # each row's call and the requests one call makes
            "transition through the app": (through_app, 2),
            "transition through GraphQL": (through_graphql, 2),
            "transition through the resolvers": (through_resolvers, 2),
            "{ __typename } through the app": (typename_app, 1),
            "{ __typename } through GraphQL": (typename_graphql, 1),
            "its operation, use case at once, app": (through_app, 2),
            "its operation, use case at once, GraphQL": (through_graphql, 2),
        }
        instant_rows = {name for name in rows if "at once" in name}
        figures: dict[str, list[float]] = {name: [] for name in rows}
        collected: dict[str, list[tuple[list[float], float]]] = {name: [] for name in rows if "app" in name}
        collections = Collections()
        await cpu_per_call(CLIENTS * 20, through_app)  # warm caches and connections
        real = numbers.activate_numbers, numbers.release_numbers
        try:
            for _round in range(rounds):
                for name, (row, per_call) in rows.items():
                    instant = name in instant_rows
                    if instant:
                        numbers.activate_numbers = numbers.release_numbers = _answered_at_once
                    calls = transitions // per_call
                    collections.reset()
                    figures[name].append(await cpu_per_call(calls, row) / per_call)
                    if name in collected:
                        per_request = [c / transitions for c in collections.counts]
                        collected[name].append((per_request, collections.ms / transitions))
                    if instant:
                        numbers.activate_numbers, numbers.release_numbers = real
        finally:
            numbers.activate_numbers, numbers.release_numbers = real
            collections.stop()
    print(f"numplane process CPU per request, in process, SQLite, {CLIENTS} concurrent callers,"
          f" median of {rounds} rounds")
    for name, values in figures.items():
        line = f"  {name:<42} {statistics.median(values):6.3f} ms  {[round(v, 3) for v in values]}"
        if name in collected:
            counts = [statistics.median(c[g] for c, _ms in collected[name]) for g in range(3)]
            ms = statistics.median(m for _c, m in collected[name])
            line += f"  GC per request: gen0/1/2 {counts[0]:.3f}/{counts[1]:.4f}/{counts[2]:.4f}, {ms:.3f} ms"
        print(line)


async def _answered_at_once(*_args: Any, **_kwargs: Any) -> BulkResult:
    return BulkResult()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transitions", type=int, default=1600, help="requests per row and round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        uvloop.run(measure(f"sqlite:///{Path(scratch) / 'bench.db'}", args.transitions, args.rounds))


if __name__ == "__main__":
    main()
