"""One thread that runs the calls given to it, in order: the SQLite store's worker.

A `ThreadPoolExecutor(max_workers=1)` did the same job at a price paid on every store call: `submit`
builds a concurrent Future (a Condition and its lock), takes the executor's shutdown lock, puts a work
item and tries the idle semaphore, and the worker then takes the Future's condition twice (running,
result) and gives the semaphore back. The store answers its callers itself (numplane.store.worker_calls),
so none of that is used: here a call is one `SimpleQueue.put` and one `get`. Measured in process, single-
number transitions through the resolvers (16 callers, 20 interleaved rounds, paired median): ~3 % of
their CPU, both threads counted.

It is still an `Executor`, so `loop.run_in_executor` (a benchmark's profiler) and `submit` work as ever.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any, TypeVar

T = TypeVar("T")

_STOP = None  # put by shutdown: the thread ends after the calls queued before it


class WorkerThread(Executor):
    def __init__(self, name: str) -> None:
        self._calls: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._closed = False
        self._closing = threading.Lock()  # a call is queued before the stop or refused, never after it
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._thread.start()

    def post(self, call: Callable[[], None]) -> None:
        """Run `call()` on the thread after the calls posted before it; it must not raise (nobody would
        hear of it). RuntimeError once the thread is shut down, as `Executor.submit` raises."""
        with self._closing:
            if self._closed:
                raise RuntimeError("cannot schedule new calls after shutdown")
            self._calls.put(call)

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()

        def run() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                result = fn(*args, **kwargs)
            except BaseException as error:  # the caller's to see, through its future
                future.set_exception(error)
            else:
                future.set_result(result)

        self.post(run)
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._closing:
            if not self._closed:
                self._closed = True
                self._calls.put(_STOP)
        if wait and self._thread is not threading.current_thread():
            self._thread.join()

    def _serve(self) -> None:
        while (call := self._calls.get()) is not _STOP:
            call()
