"""How long a `numplane serve` process holds its event loop: the stretches in which no other request runs.

`python -m benchmarks.loop_watch OUTPUT -- serve ARGS...` runs `numplane serve` with a watch in its worker:
a timer due every millisecond notes how late the loop ran it and how much CPU time the loop's thread used
since the previous one (a stretch of synchronous work delays the timer by about that long), and every
garbage collection notes its CPU time. At shutdown the watch writes `{"late": [[unix time, seconds late,
CPU seconds], ...], "gc": [[unix time, CPU seconds, generation, objects collected, counts before], ...]}`
to OUTPUT (only over half a millisecond). A benchmark reads it after stopping the server and picks the
stretches of each phase by time. The CPU time of a stretch barely depends on how busy the rest of the
machine is, unlike a wall-clock p99 seen from another process (or the lateness, which includes waits for
a core).

Every request written to CouchDB is also timed (`"writes": [[unix time, seconds, CPU seconds], ...]`, only
over half a millisecond): with pouchdb-server on the same cores, the kernel may give the core to the store
the write wakes (or to another process) before the write returns, and the loop waits, using no CPU, until
it gets a core back. Wall time far above CPU
time there is the store's own work taken out of numplane's loop, which no CPU stretch above shows.

`LOOP_WATCH_ASYNCIO=1` swaps uvloop for asyncio's own loop and also notes, for each callback that used over
2 ms of CPU, what it ran (`"slow": [[unix time, seconds, description], ...]`): for finding the stretches, not for
the figures, since the asyncio loop is slower.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from benchmarks.lifespans import around_lifespan

INTERVAL = 0.001
NOTED_AFTER = 0.0005
SLOW_CALLBACK = 0.002


class Watch:
    def __init__(self) -> None:
        self.late: list[tuple[float, float, float]] = []
        self.gc: list[tuple[float, float, int, int, tuple[int, int, int]]] = []
        self._count = (0, 0, 0)
        self.slow: list[tuple[float, float, str]] = []
        self.writes: list[tuple[float, float, float]] = []
        self._gc_started = 0.0

    async def beat(self) -> None:
        loop = asyncio.get_running_loop()
        last, last_cpu = loop.time(), time.thread_time()
        while True:
            await asyncio.sleep(INTERVAL)
            now, cpu = loop.time(), time.thread_time()
            late = now - last - INTERVAL
            if late > NOTED_AFTER or cpu - last_cpu > NOTED_AFTER:
                self.late.append((time.time(), late, cpu - last_cpu))
            last, last_cpu = now, cpu

    def on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._gc_started = time.thread_time()
            self._count = gc.get_count()
        else:
            took = time.thread_time() - self._gc_started
            if took > NOTED_AFTER:
                self.gc.append((time.time(), took, int(info["generation"]), int(info["collected"]), self._count))

    def time_callbacks(self) -> None:
        """Wrap asyncio's Handle._run (the pure-Python loop only) to note each slow callback."""
        original = asyncio.events.Handle._run
        slow = self.slow

        def timed(handle: asyncio.events.Handle) -> None:
            task = getattr(handle._callback, "__self__", None)
            before = where(task) if isinstance(task, asyncio.Task) else repr(handle)[:200]
            started = time.thread_time()
            original(handle)
            took = time.thread_time() - started
            if took > SLOW_CALLBACK:
                after = where(task) if isinstance(task, asyncio.Task) else ""
                slow.append((time.time(), took, f"{before} -> {after}"))

        asyncio.events.Handle._run = timed  # type: ignore[method-assign]

    def time_store_writes(self) -> None:
        """Wrap the CouchDB client's socket write to note the slow ones (wall and CPU time)."""
        from numplane.store import couch_wire

        original = couch_wire._Connection.send
        writes = self.writes

        def timed(connection: couch_wire._Connection, data: bytes) -> Any:
            started, cpu = time.perf_counter(), time.thread_time()
            try:
                return original(connection, data)
            finally:
                took = time.perf_counter() - started
                if took > NOTED_AFTER:
                    writes.append((time.time(), took, time.thread_time() - cpu))

        couch_wire._Connection.send = timed  # type: ignore[method-assign]

    def write(self, path: Path) -> None:
        path.write_text(json.dumps({"late": self.late, "gc": self.gc, "slow": self.slow, "writes": self.writes}))


def where(task: asyncio.Task[Any]) -> str:
    """The task's name and the innermost line its coroutine chain is suspended at (or "done")."""
    if task.done():
        return f"{task.get_name()} done"
    coro: Any = task.get_coro()
    frames = []
    while coro is not None:
        frame = getattr(coro, "cr_frame", None) or getattr(coro, "ag_frame", None) or getattr(coro, "gi_frame", None)
        if frame is None:
            break
        frames.append(f"{Path(frame.f_code.co_filename).name}:{frame.f_code.co_name}:{frame.f_lineno}")
        coro = getattr(coro, "cr_await", None) or getattr(coro, "ag_await", None) or getattr(coro, "gi_yieldfrom", None)
    return " > ".join(frames[-3:]) or task.get_name()


def watched(factory: Callable[[], Any], watch: Watch, output: Path) -> Callable[[], Any]:
    @asynccontextmanager
    async def watching() -> AsyncIterator[None]:
        beat = asyncio.create_task(watch.beat())
        try:
            yield
        finally:
            beat.cancel()
            watch.write(output)

    return around_lifespan(factory, watching)


def main() -> None:
    output, separator, *serve = sys.argv[1:]
    assert separator == "--", "usage: python -m benchmarks.loop_watch OUTPUT -- serve ARGS..."
    import uvicorn

    import numplane.app
    from numplane import cli

    watch = Watch()
    gc.callbacks.append(watch.on_gc)
    watch.time_store_writes()
    numplane.app.served_app = watched(numplane.app.served_app, watch, Path(output))  # type: ignore[method-assign]
    if os.environ.get("LOOP_WATCH_ASYNCIO") == "1":
        watch.time_callbacks()
        run = uvicorn.run

        def on_asyncio(*args: Any, **kwargs: Any) -> None:
            run(*args, **{**kwargs, "loop": "asyncio"})

        uvicorn.run = on_asyncio
    sys.argv = ["numplane", *serve]
    cli.main()


if __name__ == "__main__":
    main()
