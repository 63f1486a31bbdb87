"""The figures every benchmark prints (benchmarks/figures.py)."""

from __future__ import annotations

import statistics

import pytest

from benchmarks.figures import Column, p50, p99, percentile, table


def test_percentiles_interpolate_between_ranks_as_the_inclusive_quantiles_do() -> None:
    samples = [float(x) for x in (7, 1, 30, 4, 12, 9, 2, 18, 25, 3, 11)]
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    assert percentile(samples, 90) == pytest.approx(cuts[89])
    assert p99(samples) == pytest.approx(cuts[98])
    assert p50(samples) == statistics.median(samples)


def test_a_p99_of_a_few_samples_is_never_beyond_the_slowest_seen() -> None:
    assert p99([1.0, 2.0, 100.0]) <= 100.0
    assert percentile([5.0], 99) == 5.0
    assert percentile([1.0, 3.0], 100) == 3.0


def test_no_samples_have_no_percentile() -> None:
    with pytest.raises(ValueError):
        p50([])


def test_a_table_aligns_labels_left_and_figures_right_with_their_units() -> None:
    columns = (Column("store", 8, left=True), Column("p99", 10, ".1f", " ms"), Column("ratio", 7, ".2f"))
    assert table(columns, [("sqlite", 12.345, 1.5), ("couchdb", 3.0, "n/a")]).splitlines() == [
        "store          p99  ratio",
        "sqlite     12.3 ms   1.50",
        "couchdb     3.0 ms    n/a",
    ]


def test_a_row_that_does_not_fit_the_columns_is_refused() -> None:
    with pytest.raises(ValueError):
        table((Column("a", 3),), [(1, 2)])
