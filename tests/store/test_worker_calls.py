"""Calls into a store's worker thread answer as run_in_executor did: result, exception, cancellation."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from numplane.store.worker_calls import submit
from numplane.store.worker_thread import WorkerThread


async def test_the_worker_answers_with_the_result_or_the_exception_of_the_call() -> None:
    with ThreadPoolExecutor(max_workers=1) as worker:
        here = threading.current_thread()
        assert await submit(worker, lambda a, b: (threading.current_thread() is not here, a + b), 2, 3) == (True, 5)

        def fail() -> None:
            raise ValueError("disk on fire")

        with pytest.raises(ValueError, match="disk on fire"):
            await submit(worker, fail)


async def test_a_call_cancelled_while_it_waits_its_turn_is_never_run() -> None:
    ran: list[str] = []
    release = threading.Event()
    with ThreadPoolExecutor(max_workers=1) as worker:
        busy = submit(worker, release.wait)  # holds the one worker
        waiting = submit(worker, ran.append, "write")
        waiting.cancel()
        release.set()
        await busy
        await submit(worker, ran.append, "after")
    assert ran == ["after"]
    assert waiting.cancelled()


async def test_a_shut_down_worker_refuses_the_call_at_once() -> None:
    worker = ThreadPoolExecutor(max_workers=1)
    worker.shutdown()
    with pytest.raises(RuntimeError):
        submit(worker, print)


async def test_the_store_worker_thread_answers_in_order_and_refuses_calls_after_shutdown() -> None:
    worker = WorkerThread("test-worker")
    here = threading.current_thread()
    order: list[int] = []

    def note(index: int) -> bool:
        order.append(index)
        return threading.current_thread() is not here

    answers = [submit(worker, note, i) for i in range(5)]
    assert [await answer for answer in answers] == [True] * 5
    assert order == [0, 1, 2, 3, 4]
    assert worker.submit(sum, [1, 2]).result(timeout=5) == 3  # still an Executor, for run_in_executor
    worker.shutdown()
    with pytest.raises(RuntimeError):
        submit(worker, print)


async def test_a_call_cancelled_while_it_waits_its_turn_on_the_store_worker_thread_is_never_run() -> None:
    ran: list[str] = []
    release = threading.Event()
    worker = WorkerThread("test-worker")
    busy = submit(worker, release.wait)
    waiting = submit(worker, ran.append, "write")
    waiting.cancel()
    release.set()
    await busy
    await submit(worker, ran.append, "after")
    worker.shutdown()
    assert ran == ["after"]
