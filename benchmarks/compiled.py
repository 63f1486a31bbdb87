"""The compiled execution path beside graphql-core's executor, in process, and where a page's time goes.

Seeds an embedded store in a temporary directory (100 numbers held by the root, each with its clocks and
an audit trail of three entries), then runs the API
benchmark's operations (benchmarks/api.py: the page, the ten-field page, the GraphQL hunt, and
`{ __typename }`) through the schema, interleaving the compiled schema and graphql-core's executor, and
prints the CPU time per operation of each and their ratio. `--profile` adds a cProfile of the compiled
page (the functions with the most own time). No HTTP: this is the execution layer alone.

`python -m benchmarks.compiled [--rounds 5] [--operations 300] [--profile]`
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import io
import pstats
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.api import HUNT, PAGE, PAGE_TEN
from numplane.app import GC_GEN0_THRESHOLD
from numplane.domain.history import SYSTEM, ownership, record
from numplane.domain.numbers import Number
from numplane.domain.states import State
from numplane.resolvers import keys
from numplane.resolvers.context import Requester, Role, Services
from numplane.schema.context import RequestContext
from numplane.schema.schema import build_schema
from numplane.settings import Settings
from numplane.store import store_from_url
from numplane.store.base import Db

OPERATIONS = {
    "{ __typename }": ("{ __typename }", {}),
    "page": (PAGE, {}),
    "page, ten fields": (PAGE_TEN, {}),
    "huntNumber": (HUNT, {"n": "+14155550001"}),
}


async def seed(services: Services) -> Requester:
    root, _key, _created = await keys.init_root(services, "root")
    now = datetime(2026, 1, 1, tzinfo=UTC)

    def held(e164: str) -> Number:
        # Stored as the API leaves them: clocks set and an audit trail (added, reserved, activated).
        number = record(None, Number(e164=e164, state=State.AVAILABLE, module="inventory"), action="add",
                        requester=SYSTEM, now=now, history_length=100)
        for action, state in (("reserve", State.RESERVED), ("activate", State.IN_SERVICE)):
            number = record(number, number, action=action, requester=root.id, now=now, history_length=100,
                            changes={"state": state, **ownership(number, root)})
        return number

    numbers = [held(f"+1415555{i:04d}").to_doc() for i in range(100)]
    await services.store.put_many(Db.NUMBERS, numbers)
    return Requester(root, Role.ADMIN)


def served_gc() -> None:
    """The garbage collector as `numplane serve` sets it (numplane.app.served_app): without that, a
    collection of every long-lived object lands in whichever operation allocates at the time, and the
    figures measure the collector more than the operations."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_GEN0_THRESHOLD, *gc.get_threshold()[1:])


async def run(schema: Any, services: Services, requester: Requester, query: str, variables: dict[str, Any],
              count: int) -> float:
    """CPU seconds per operation over `count` operations, each with a fresh request context."""
    started = time.process_time()
    for _ in range(count):
        result = await schema.execute(query, variable_values=variables,
                                      context_value=RequestContext.build(services, requester))
        if result.errors:
            raise RuntimeError(result.errors)
    return (time.process_time() - started) / count


async def measure(rounds: int, count: int, profile: bool) -> str:
    compiled, executor = build_schema(), build_schema(compiled=False)
    with tempfile.TemporaryDirectory() as scratch:
        store = store_from_url(f"sqlite:///{Path(scratch) / 'bench.db'}")
        await store.open()
        try:
            services = Services(store=store, settings=Settings(carriers=""))
            requester = await seed(services)
            served_gc()
            lines = [f"CPU per operation, in process, best of {rounds} rounds of {count} (compiled ÷ executor: "
                     "lower is faster)"]
            for label, (query, variables) in OPERATIONS.items():
                best = {"compiled": float("inf"), "executor": float("inf")}
                for _ in range(rounds):  # interleaved: the machine's load hits both alike
                    for name, schema in (("compiled", compiled), ("executor", executor)):
                        best[name] = min(best[name], await run(schema, services, requester, query, variables, count))
                lines.append(f"  {label:<20} compiled {best['compiled'] * 1e6:8.0f} µs  executor "
                             f"{best['executor'] * 1e6:8.0f} µs  ratio {best['compiled'] / best['executor']:.2f}")
            if profile:
                lines.append(await profiled(compiled, services, requester, count))
            return "\n".join(lines)
        finally:
            await store.close()


async def profiled(schema: Any, services: Services, requester: Requester, count: int) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    await run(schema, services, requester, PAGE, {}, count)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
    return f"cProfile of the compiled page ({count} operations), by own time:\n{out.getvalue()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--operations", type=int, default=200, help="operations per round")
    parser.add_argument("--profile", action="store_true", help="add a cProfile of the compiled page")
    args = parser.parse_args()
    print(asyncio.run(measure(args.rounds, args.operations, args.profile)))


if __name__ == "__main__":
    main()
