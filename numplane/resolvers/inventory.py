"""Bulk inventory in and out (SPEC §14): the operator's CSV import and export.

An old-style inventory list (a `number` column, optional `state`, `carrier`, `account_id`) goes through the
same `addNumbers` use case as the API (same rules, same batching). A file written by export carries every
field of its numbers and is copied as it is through the create-only path, so export followed by import
loses nothing and never overwrites a number already in the store. Either way a problem with one row fails
only that row, with its line, error code and reason. Export walks the admin listing index in keyset pages,
so memory stays bounded by one page.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from numplane.domain.errors import DomainError, ErrorCode
from numplane.domain.numbers import Number
from numplane.domain.states import State
from numplane.resolvers import numbers
from numplane.resolvers.accounts import load_accounts
from numplane.resolvers.bulk import NumberRef
from numplane.resolvers.context import Requester, Services
from numplane.resolvers.create_only import Outcome, create_numbers
from numplane.resolvers.inventory_columns import (
    COPY_COLUMNS,
    EXPORT_COLUMNS,
    OWNED_STATES,
    PLAIN_COLUMNS,
    CopiedRow,
    copied_number,
    export_row,
    state_of,
)
from numplane.resolvers.system_config import get_config
from numplane.store import base
from numplane.store.base import HIGH, Db
from numplane.store.readable import readable

EXPORT_PAGE = 500
MAX_CELL = 4 * 1024 * 1024
"""The longest cell read: a history or public-fields cell may pass csv's default of 128 KiB."""
ADDABLE_STATES = frozenset({State.AVAILABLE, State.RESERVED, State.IN_SERVICE})
"""The states `addNumbers` creates numbers in (SPEC §3.1)."""
REPORT_COLUMNS = ("line", "code", "reason")
"""The failure report's own columns, before the failed row's original cells."""


@dataclass(frozen=True)
class Row:
    """A row of an old-style inventory list."""

    line: int
    number: str
    state: State
    carrier: str
    account_id: str | None
    record: dict[str, str]


@dataclass(frozen=True)
class Failure:
    line: int
    number: str
    code: str
    reason: str
    record: dict[str, str]


@dataclass
class ParsedFile:
    header: list[str]
    rows: list[Row] = field(default_factory=list)  # an old-style list
    copies: list[CopiedRow] = field(default_factory=list)  # an export
    failures: list[Failure] = field(default_factory=list)  # rows that could not be read
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.rows) + len(self.copies) + len(self.failures)


@dataclass
class ImportReport:
    added: int = 0
    unchanged: int = 0  # an exported number already present exactly as the file has it
    failures: list[Failure] = field(default_factory=list)

    def by_code(self) -> list[tuple[str, int]]:
        return Counter(f.code for f in self.failures).most_common()


def decoded(data: bytes) -> str:
    """The text of a CSV file in UTF-8, with or without the byte-order mark Excel writes ("CSV UTF-8")."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DomainError(
            ErrorCode.INVALID_FIELD, "the file is UTF-16; save it as UTF-8 (in Excel: \"CSV UTF-8\") and retry"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise DomainError(
            ErrorCode.INVALID_FIELD,
            f"the file is not UTF-8 (byte 0x{data[error.start]:02x} on line {line}; Latin-1 or another "
            "encoding?); save it as UTF-8 (in Excel: \"CSV UTF-8\") and retry",
        ) from None


def read_rows(text: str, *, state: State, carrier: str, account_id: str | None) -> ParsedFile:
    """The rows of a CSV with a `number` column. The options give the defaults of empty cells. A file
    without a `number` column is refused whole; any other problem fails only its row."""
    csv.field_size_limit(max(csv.field_size_limit(), MAX_CELL))
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip() for name in reader.fieldnames or ()]
    reader.fieldnames = header
    if "number" not in header:
        raise DomainError(
            ErrorCode.INVALID_FIELD,
            f"the CSV needs a header row with a `number` column (found: {', '.join(header) or 'nothing'}); "
            f"the columns are {', '.join(PLAIN_COLUMNS)} (old-style list) or those export writes",
        )
    parsed = ParsedFile(header, ignored_columns=[c for c in header if c not in EXPORT_COLUMNS])
    is_copy = any(column in COPY_COLUMNS for column in header)
    try:
        for line, record in enumerate(reader, start=2):
            _read_row(parsed, line, record, is_copy, state, carrier, account_id)
    except csv.Error as error:  # the file is not CSV past this point: nothing after it can be trusted
        raise DomainError(ErrorCode.INVALID_FIELD, f"the CSV is malformed on line {reader.line_num}: {error}") from None
    return parsed


def _read_row(
    parsed: ParsedFile, line: int, record: dict[str | None, Any], is_copy: bool, state: State, carrier: str,
    account_id: str | None,
) -> None:
    cells = {k: v or "" for k, v in record.items() if isinstance(k, str)}
    try:
        if is_copy:
            number = copied_number(cells, state=state, carrier=carrier, account_id=account_id)
            parsed.copies.append(CopiedRow(line, number, cells))
        else:
            parsed.rows.append(_plain_row(line, cells, state, carrier, account_id))
    except DomainError as error:
        parsed.failures.append(_failure(line, cells, error))


def _plain_row(line: int, cells: dict[str, str], state: State, carrier: str, account_id: str | None) -> Row:
    row_state = state_of(cells, state)
    if row_state not in ADDABLE_STATES:
        raise DomainError(
            ErrorCode.INVALID_STATE_TRANSITION,
            f"an inventory list adds numbers as available, reserved or in_service, not {row_state.value}; "
            "numbers in other states come in with the columns `numplane export` writes",
            field=("state",),
        )
    owner = (cells.get("account_id") or account_id or "").strip() or None
    if row_state in OWNED_STATES and owner is None:
        raise DomainError(
            ErrorCode.INVALID_FIELD,
            f"{row_state.value} numbers need their account (an account_id column or --account)",
            field=("account_id",),
        )
    return Row(line, cells["number"].strip(), row_state, (cells.get("carrier") or carrier).strip(), owner, cells)


def _failure(line: int, cells: dict[str, str], error: DomainError) -> Failure:
    return Failure(line, (cells.get("number") or "").strip(), error.code.value, error.message, cells)


async def import_file(
    services: Services, requester: Requester, parsed: ParsedFile, progress: Callable[[int], None] = lambda _n: None
) -> ImportReport:
    report = ImportReport(failures=list(parsed.failures))
    progress(len(parsed.failures))
    if parsed.copies:
        await _import_copies(services, requester, parsed.copies, report, progress)
    if parsed.rows:
        await _import_rows(services, requester, parsed.rows, report, progress)
    report.failures.sort(key=lambda f: f.line)
    return report


async def _import_rows(
    services: Services, requester: Requester, rows: list[Row], report: ImportReport, progress: Callable[[int], None]
) -> None:
    """Add the rows in batches of `max_batch`, grouped by (state, carrier, account)."""
    batch = (await get_config(services)).max_batch
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
                report.failures += [_failure(r.line, r.record, error) for r in chunk]
            else:
                report.added += len(result.numbers)
                by_number = _rows_by_number(chunk)
                for refused in result.errors:
                    source = by_number.get(refused.number or "")
                    line, record = (source.line, source.record) if source else (0, {"number": refused.number or ""})
                    report.failures.append(_failure(line, record, refused))
            progress(len(chunk))


def _rows_by_number(rows: Iterable[Row]) -> dict[str, Row]:
    found: dict[str, Row] = {}
    for row in rows:
        found.setdefault(row.number, row)
    return found


async def _import_copies(
    services: Services,
    requester: Requester,
    rows: Sequence[CopiedRow],
    report: ImportReport,
    progress: Callable[[int], None],
) -> None:
    """Write exported numbers as they are, each attached to its account in this store (its assigned tree
    comes from the account); an unknown account fails its row."""
    requester.ensure_admin("import numbers with their whole state (an export)")
    batch = (await get_config(services)).max_batch
    for start in range(0, len(rows), batch):
        chunk = rows[start : start + batch]
        accounts = await load_accounts(services, (r.number.owner or "" for r in chunk))
        ready: list[CopiedRow] = []
        for row in chunk:
            owner = row.number.owner
            if owner is None:
                ready.append(row)
            elif owner in accounts:
                tree = (*accounts[owner].tree, owner)
                ready.append(CopiedRow(row.line, row.number.with_changes(assigned_tree=tree), row.record))
            else:
                report.failures.append(
                    Failure(row.line, row.number.e164, ErrorCode.NOT_FOUND.value,
                            f"account {owner} does not exist in this store", row.record)
                )
        written = await create_numbers(services.store, [r.number for r in ready], batch=batch)
        for row, outcome in zip(ready, written, strict=True):
            if outcome.outcome is Outcome.CREATED:
                report.added += 1
            elif outcome.outcome is Outcome.IDENTICAL:
                report.unchanged += 1
            else:
                report.failures.append(
                    Failure(row.line, row.number.e164, ErrorCode.NUMBER_EXISTS.value,
                            "already in the store with different data; left as it is", row.record)
                )
        progress(len(chunk))


def write_failures(target: TextIO, header: Sequence[str], failures: Iterable[Failure]) -> None:
    """The failed rows with their line, code and reason, then their original cells (fix and re-import)."""
    writer = csv.writer(target)
    writer.writerow([*REPORT_COLUMNS, *header])
    for failure in failures:
        writer.writerow([failure.line, failure.code, failure.reason, *(failure.record.get(c, "") for c in header)])


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
            for number in readable(_number_of, rows, "export"):
                yield number
            if len(rows) < EXPORT_PAGE:
                break
            after = rows[-1].key


def _number_of(row: base.Row) -> Number:
    return Number.from_doc(row.doc)


def write_csv(target: TextIO) -> Callable[[Number], None]:
    writer = csv.writer(target)
    writer.writerow(EXPORT_COLUMNS)

    def write(number: Number) -> None:
        writer.writerow(export_row(number))

    return write
