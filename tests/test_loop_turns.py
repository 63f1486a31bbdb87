"""Long loops hand the event loop back in turns (numplane.loop_turns), whichever of its two forms runs them."""

from __future__ import annotations

import asyncio

from numplane.loop_turns import UNITS_PER_TURN, each_in_turns, in_turns


async def interleaving(work: str, units: int) -> str:
    """The order in which `units` of the loop ("u") and another task's ticks ("t") ran."""
    order: list[str] = []
    done = False

    async def ticker() -> None:
        while not done:
            order.append("t")
            await asyncio.sleep(0)

    other = asyncio.create_task(ticker())
    await asyncio.sleep(0)  # the ticker is running
    order.clear()
    if work == "each":
        await each_in_turns(range(units), lambda _unit: order.append("u"))
    else:
        async for _unit in in_turns(range(units)):
            order.append("u")
    done = True
    await other
    return "".join(order)


async def test_a_long_loop_lets_another_task_run_after_every_turn_of_units_in_either_form() -> None:
    for work in ("each", "async for"):
        runs = (await interleaving(work, 3 * UNITS_PER_TURN + 2)).split("t")
        assert [len(run) for run in runs if run] == [UNITS_PER_TURN] * 3 + [2], work


async def test_a_short_loop_runs_its_units_in_one_go_in_order() -> None:
    seen: list[int] = []
    await each_in_turns(range(UNITS_PER_TURN - 1), seen.append)
    assert seen == list(range(UNITS_PER_TURN - 1))
    assert await interleaving("each", UNITS_PER_TURN - 1) == "u" * (UNITS_PER_TURN - 1)
