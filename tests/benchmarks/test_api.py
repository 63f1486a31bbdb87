"""The api benchmark's interleaved ratios (benchmarks/api.py): taken within each round, reported as their
median and range, so one disturbed round moves neither the figure nor hides behind it."""

from __future__ import annotations

import pytest

from benchmarks.api import Run, cpu_spread, median_run, rate_spread
from benchmarks.wrk import WrkResult


def run(rate: float, cpu_ms: float) -> Run:
    return WrkResult(rate, 1.0, 2.0, 0, int(rate * 2)), cpu_ms


# Three rounds; in the second a neighbour's burst halved both rows' rates and doubled their CPU.
ROUNDS = {
    "typename": [run(1000, 0.80), run(500, 1.60), run(1100, 0.75)],
    "hunt_graphql": [run(900, 0.90), run(450, 1.80), run(950, 0.85)],
}


def test_a_rate_ratio_is_the_median_of_the_rounds_ratios_with_their_range() -> None:
    spread = rate_spread(ROUNDS, "hunt_graphql", "typename")
    assert spread.median == 0.9
    assert (spread.low, spread.high) == (950 / 1100, 0.9)
    assert str(spread) == "0.86-0.90"


def test_a_burst_that_slows_every_row_of_a_round_alike_leaves_the_cpu_ratio_alone() -> None:
    spread = cpu_spread(ROUNDS, "hunt_graphql", "typename")
    assert spread.median == pytest.approx(0.80 / 0.90)  # the denominator's CPU over the row's: a rate ratio
    assert (spread.low, spread.high) == pytest.approx((0.75 / 0.85, 0.80 / 0.90))
    assert spread.fastest == pytest.approx(0.75 / 0.85)  # both rows' least disturbed rounds


def test_a_rows_figure_is_its_median_round_by_rate_and_its_median_cpu() -> None:
    result, cpu = median_run(ROUNDS["typename"])
    assert result.requests_per_second == 1000
    assert cpu == 0.80
