"""Bulk inventory in and out (SPEC §14): the operator's CSV import and export.

Import rows go through the same `addNumbers` use case as the API (same rules, same batching); export
walks the admin listing index in keyset pages, so memory stays bounded by one page.
"""

from __future__ import annotations

import csv
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from typing import TextIO

from numplane.domain.errors import DomainError, ErrorCode
from numplane.domain.numbers import Number
from numplane.domain.states import State
from numplane.resolvers import numbers
from numplane.resolvers.bulk import NumberRef
from numplane.resolvers.context import Requester, Services
from numplane.resolvers.system_config import get_config
from numplane.store.base import HIGH, Db

COLUMNS = ("number", "state", "carrier", "account_id")
EXPORT_COLUMNS = ("number", "state", "carrier", "account_id", "previous_account_id", "state_changed_at")
EXPORT_PAGE = 500


@dataclass(frozen=True)
class Row:
    line: int
    number: str
    state: State
    carrier: str
    account_id: str | None


@dataclass
class ImportReport:
    added: int = 0
    errors: list[str] = field(default_factory=list)  # "line N: +1…: CODE: message"


def read_rows(source: TextIO, *, state: State, carrier: str, account_id: str | None) -> list[Row]:
    """CSV rows with a `number` column and optional `state`, `carrier`, `account_id` columns (the options
    give the defaults). A bad header or state is INVALID_FIELD naming the line."""
    reader = csv.DictReader(source)
    if reader.fieldnames is None or "number" not in reader.fieldnames:
        raise DomainError(ErrorCode.INVALID_FIELD, f"The CSV needs a header with a `number` column ({COLUMNS}).")
    rows = []
    for line, record in enumerate(reader, start=2):
        try:
            row_state = State(record["state"].strip().lower()) if record.get("state") else state
        except ValueError:
            raise DomainError(
                ErrorCode.INVALID_FIELD, f"line {line}: unknown state {record['state']!r}.", field=("state",)
            ) from None
        rows.append(
            Row(line, record["number"].strip(), row_state, (record.get("carrier") or carrier).strip(),
                (record.get("account_id") or account_id or "").strip() or None)
        )
    return rows


async def import_rows(
    services: Services, requester: Requester, rows: list[Row], progress: Callable[[int], None] = lambda _n: None
) -> ImportReport:
    """Add the rows in batches of `max_batch`, grouped by (state, carrier, account)."""
    batch = (await get_config(services)).max_batch
    report = ImportReport()
    groups: dict[tuple[State, str, str | None], list[Row]] = {}
    for row in rows:
        groups.setdefault((row.state, row.carrier, row.account_id), []).append(row)
    for (state, carrier, account_id), members in groups.items():
        for start in range(0, len(members), batch):
            chunk = members[start : start + batch]
            try:
                result = await numbers.add_numbers(
                    services, requester, [NumberRef(r.number) for r in chunk], state=state,
                    account_id=account_id, carrier=carrier,
                )
            except DomainError as error:  # the whole chunk (e.g. an unknown account)
                report.errors += [f"line {r.line}: {r.number}: {error.code.value}: {error.message}" for r in chunk]
            else:
                report.added += len(result.numbers)
                lines = _lines_by_number(chunk)
                report.errors += [
                    f"line {lines.get(e.number or '', '?')}: {e.number}: {e.code.value}: {e.message}"
                    for e in result.errors
                ]
            progress(len(chunk))
    return report


def _lines_by_number(rows: Iterable[Row]) -> dict[str, str]:
    return {row.number: str(row.line) for row in rows}


async def exported(
    services: Services, requester: Requester, states: list[State] | None = None
) -> AsyncIterator[Number]:
    """Every number (admins only), by state when states are given, then by E.164, one index page at a
    time."""
    if not requester.is_admin:
        raise DomainError(ErrorCode.FORBIDDEN, "Only admins export the inventory.")
    facets = ["s:" + s.value for s in states] if states else [""]
    for facet in facets:
        after = None
        while True:
            rows = await services.store.query(
                Db.NUMBERS, "tree", start=("*", facet, "+"), end=("*", facet, "+" + HIGH), after=after,
                limit=EXPORT_PAGE,
            )
            for row in rows:
                yield Number.from_doc(row.doc)
            if len(rows) < EXPORT_PAGE:
                break
            after = rows[-1].key


def write_csv(target: TextIO) -> Callable[[Number], None]:
    writer = csv.writer(target)
    writer.writerow(EXPORT_COLUMNS)

    def write(number: Number) -> None:
        changed = number.state_changed_at.isoformat() if number.state_changed_at else ""
        writer.writerow(
            [number.e164, number.state.value, number.module, number.owner or "", number.previous_owner or "",
             changed]
        )

    return write
