"""`numplane kazoo verify`: Kazoo's numbers against numplane's, field by field.

Each source document is mapped as the import would map it (with the accounts numplane has) and compared
with numplane's copy on what an operator checks before cutting over: state, owner, previous owner,
carrier, reserve history, features, public fields, and the history (numplane's copy must still be the
import of Kazoo's current revision; a numplane change since then is a difference too).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from numplane.domain.kazoo import Mapped, imported_rev, map_number, revision
from numplane.domain.numbers import Number
from numplane.kazoo.migration import Advance, Options, all_accounts
from numplane.kazoo.source import Source
from numplane.resolvers.context import Services
from numplane.store.base import Db

_COMPARED: dict[str, Callable[[Number], Any]] = {
    "state": lambda n: n.state.value,
    "owner": lambda n: n.owner,
    "previous_owner": lambda n: n.previous_owner,
    "carrier": lambda n: n.module,
    "reserve_history": lambda n: list(n.reserve_history),
    "features": lambda n: n.features,
    "public_fields": lambda n: n.public,
}


@dataclass(frozen=True, slots=True)
class Difference:
    number: str
    field: str
    kazoo: Any
    numplane: Any


async def verify(
    services: Services, source: Source, options: Options, *, advance: Advance | None = None
) -> tuple[int, list[Difference]]:
    """(numbers compared, the differences found)."""
    accounts = await all_accounts(services.store)
    now = services.clock()
    compared = 0
    differences: list[Difference] = []
    for db in await source.databases(options.numbers_prefix):
        after: str | None = None
        while docs := await source.page(db, after, options.page):
            after = str(docs[-1]["_id"])
            stored = await services.store.get_many(Db.NUMBERS, [str(d.get("_id")) for d in docs])
            for doc in docs:
                compared += 1
                differences += _compare(doc, stored.get(str(doc.get("_id"))), accounts, now, options)
            if advance:
                advance(db, len(docs))
            if len(docs) < options.page:
                break
    return compared, differences


def _compare(doc: dict[str, Any], stored: dict[str, Any] | None, accounts: Any, now: Any, options: Options
             ) -> list[Difference]:
    number_id = str(doc.get("_id"))
    mapped = map_number(doc, accounts, now=now, carrier_map=options.carrier_map)
    if not isinstance(mapped, Mapped):
        if stored is None:
            return []  # refused by the import, and absent: as the report said
        return [Difference(number_id, "presence", f"not importable: {mapped.reason}", "present")]
    if stored is None:
        return [Difference(number_id, "presence", "present", "missing")]
    expected, actual = mapped.number, Number.from_doc(stored)
    found = [
        Difference(number_id, name, value(expected), value(actual))
        for name, value in _COMPARED.items()
        if value(expected) != value(actual)
    ]
    rev = imported_rev(actual)
    if rev is None:
        last = actual.history_docs[-1].get("action") if actual.history_docs else None
        found.append(Difference(number_id, "history", "import", f"changed in numplane since ({last})"))
    elif rev != revision(doc):
        found.append(Difference(number_id, "history", f"revision {revision(doc)}", f"imported from {rev}"))
    return found
