"""The figures the benchmarks print, computed and laid out one way: percentiles of latencies, a process's
CPU time, and the report table.

Percentiles interpolate between the closest ranks (as `statistics.quantiles(method="inclusive")`), so a
p99 is never beyond the slowest sample seen, even from a hundred samples.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path


def percentile(values: Iterable[float], p: float) -> float:
    """The `p`-th percentile (0 to 100) of at least one value."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("a percentile of no values")
    rank = (len(ordered) - 1) * p / 100
    below = int(rank)
    if below + 1 >= len(ordered):
        return ordered[-1]
    return ordered[below] + (ordered[below + 1] - ordered[below]) * (rank - below)


def p50(values: Iterable[float]) -> float:
    return percentile(values, 50)


def p99(values: Iterable[float]) -> float:
    return percentile(values, 99)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc): of a server, measured from outside."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Column:
    """One column of a report: `spec` formats its values (as in f"{value:{spec}}"), `unit` follows them."""

    title: str
    width: int
    spec: str = ""
    unit: str = ""
    left: bool = False  # the label column

    def cell(self, value: object) -> str:
        return self._aligned(value if isinstance(value, str) else f"{value:{self.spec}}{self.unit}")

    def _aligned(self, text: str) -> str:
        return f"{text:<{self.width}}" if self.left else f"{text:>{self.width}}"


def table(columns: Sequence[Column], rows: Iterable[Sequence[object]]) -> str:
    """A header line of the columns' titles, then one line per row (a string value is shown as given)."""
    lines = ["".join(column._aligned(column.title) for column in columns).rstrip()]
    for row in rows:
        if len(row) != len(columns):
            raise ValueError(f"a row of {len(row)} values for {len(columns)} columns")
        lines.append("".join(column.cell(value) for column, value in zip(columns, row, strict=True)).rstrip())
    return "\n".join(lines)
