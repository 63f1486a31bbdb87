"""What a migration run did: counts per outcome, and one CSV row for every document worth a look.

Rows are written for what was not imported (`refused`), what was left as it is (`conflict`) and what was
imported with something the operator should know (`note`). Nothing is silently dropped.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

COLUMNS = ("kind", "database", "id", "outcome", "reason")


@dataclass(frozen=True, slots=True)
class Row:
    kind: str  # "account" or "number"
    database: str
    id: str
    outcome: str  # "refused", "conflict" or "note"
    reason: str


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)  # (kind, outcome) -> documents

    def count(self, kind: str, outcome: str, amount: int = 1) -> None:
        self.counts[(kind, outcome)] += amount

    def add(self, row: Row) -> None:
        self.rows.append(row)
        if row.outcome != "note":
            self.count(row.kind, row.outcome)

    def refused(self, kind: str | None = None) -> list[Row]:
        return [r for r in self.rows if r.outcome == "refused" and (kind is None or r.kind == kind)]

    def conflicts(self) -> list[Row]:
        return [r for r in self.rows if r.outcome == "conflict"]

    def write_csv(self, path: Path) -> None:
        with path.open("w", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(COLUMNS)
            writer.writerows((r.kind, r.database, r.id, r.outcome, r.reason) for r in self.rows)

    def summary(self) -> list[tuple[str, str, int]]:
        """(kind, outcome, documents), accounts first."""
        return sorted(((k, o, n) for (k, o), n in self.counts.items()), key=lambda t: (t[0] != "account", t[1]))
