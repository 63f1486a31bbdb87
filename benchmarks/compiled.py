"""The compiled execution path beside graphql-core's executor, in process, and where a page's time goes.

Seeds an embedded store in a temporary directory (100 numbers held by the root, each with its clocks and
an audit trail of three entries), with the services `numplane serve` builds (the store announcing its
writes, the routing cache attached), then runs the API benchmark's operations (benchmarks/api.py: the page,
the ten-field page, the GraphQL hunt with a router key, single-number activate and release, and
`{ __typename }`) through the schema, interleaving the compiled schema and graphql-core's executor, and
prints the CPU time per operation of each, their ratio, and each operation's CPU ÷ `{ __typename }`'s on
the compiled path (issue 18: the hunt ≤ 1.15x). A transition is one activate or one release, each run on
its own number. `--profile NAME` adds a cProfile of that operation on the compiled path (the functions
with the most own time). No HTTP: this is the execution layer alone.

`python -m benchmarks.compiled [--rounds 5] [--operations 200] [--profile page|huntNumber|transition]`
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.api import ACTIVATE, HUNT, PAGE, PAGE_TEN, POOL, RELEASE
from numplane.app import collect_as_served
from numplane.domain.history import SYSTEM, ownership, record
from numplane.domain.numbers import Number
from numplane.domain.states import State
from numplane.resolvers import keys, system_config
from numplane.resolvers.context import Requester, Role, Services
from numplane.schema.context import RequestContext
from numplane.schema.schema import build_schema
from numplane.settings import Settings
from numplane.store.base import Db

TRANSITION = "transition"  # activate, then release, one number (each pair counts as two operations)
OPERATIONS = {
    "{ __typename }": [("{ __typename }", {})],
    "page": [(PAGE, {})],
    "page, ten fields": [(PAGE_TEN, {})],
    "huntNumber": [(HUNT, {"n": "+14155550001"})],
    TRANSITION: [(ACTIVATE, {"n": POOL[0]}), (RELEASE, {"n": POOL[0]})],
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
    numbers += [Number(e164=n, state=State.AVAILABLE, module="inventory").to_doc() for n in POOL]
    await services.store.put_many(Db.NUMBERS, numbers)
    # Released numbers go back to AVAILABLE at once, as in `make bench BENCH_ARGS=api`.
    await system_config.update_config(services, Requester(root, Role.ADMIN), {"should_age": False})
    return Requester(root, Role.ADMIN)


def served_gc() -> None:
    """The garbage collector as `numplane serve` sets it (numplane.app.served_app): without that, a
    collection of every long-lived object lands in whichever operation allocates at the time, and the
    figures measure the collector more than the operations."""
    collect_as_served()


def caller(label: str, requester: Requester) -> Requester:
    """Routers hunt (as in benchmarks/api.py); the root admin does the rest."""
    return Requester(requester.account, Role.ROUTER) if label == "huntNumber" else requester


def user_errors(data: dict[str, Any] | None) -> list[Any]:
    """A mutation's userErrors (a transition refused would measure nothing)."""
    return [error for payload in (data or {}).values() if isinstance(payload, dict)
            for error in payload.get("userErrors") or ()]


async def run(schema: Any, services: Services, requester: Requester, operations: list[tuple[str, dict[str, Any]]],
              count: int) -> float:
    """CPU seconds per operation over `count` rounds of `operations`, each with a fresh request context."""
    started = time.process_time()
    for _ in range(count):
        for query, variables in operations:
            result = await schema.execute(query, variable_values=variables,
                                          context_value=RequestContext.build(services, requester))
            if result.errors or user_errors(result.data):
                raise RuntimeError(result.errors or result.data)
    return (time.process_time() - started) / (count * len(operations))


async def measure(rounds: int, count: int, profile: str | None) -> str:
    compiled, executor = build_schema(), build_schema(compiled=False)
    with tempfile.TemporaryDirectory() as scratch:
        # The services `numplane serve` builds: the routing cache hears the store's writes.
        services = Services.from_settings(Settings(store=f"sqlite:///{Path(scratch) / 'bench.db'}", carriers=""))
        await services.store.open()
        try:
            requester = await seed(services)
            served_gc()
            lines = [f"CPU per operation, in process, best of {rounds} rounds of {count} (compiled ÷ executor: "
                     "lower is faster; ÷ __typename: the compiled path)"]
            floor = 0.0
            for label, operations in OPERATIONS.items():
                best = {"compiled": float("inf"), "executor": float("inf")}
                who = caller(label, requester)
                for _ in range(rounds):  # interleaved: the machine's load hits both alike
                    for name, schema in (("compiled", compiled), ("executor", executor)):
                        best[name] = min(best[name], await run(schema, services, who, operations, count))
                floor = floor or best["compiled"]
                lines.append(f"  {label:<20} compiled {best['compiled'] * 1e6:8.0f} µs  executor "
                             f"{best['executor'] * 1e6:8.0f} µs  ratio {best['compiled'] / best['executor']:.2f}"
                             f"  ÷ __typename {best['compiled'] / floor:5.2f}")
            if profile:
                lines.append(await profiled(compiled, services, caller(profile, requester), profile, count))
            return "\n".join(lines)
        finally:
            await services.store.close()


async def profiled(schema: Any, services: Services, requester: Requester, label: str, count: int) -> str:
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    await run(schema, services, requester, OPERATIONS[label], count)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
    return f"cProfile of the compiled {label} ({count} rounds), by own time:\n{out.getvalue()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--operations", type=int, default=200, help="operations per round")
    parser.add_argument("--profile", nargs="?", const="page", choices=list(OPERATIONS),
                        help="add a cProfile of one operation on the compiled path (the page if not named)")
    args = parser.parse_args()
    print(asyncio.run(measure(args.rounds, args.operations, args.profile)))


if __name__ == "__main__":
    main()
