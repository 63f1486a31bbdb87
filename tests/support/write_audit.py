"""The audit after a store fault (issue 15): the store against the ledger of a load (faultload.py).

Every acknowledged write must be in its number's history, in the state it reported and in the client's
order; what follows the last one must come from attempts made after it that were not acknowledged; and
every history must replay through the domain's transition table to the stored state and owner.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from numplane.domain.config import SystemConfig
from numplane.domain.numbers import Number
from numplane.domain.states import State
from numplane.domain.transitions import TABLE
from numplane.store import store_from_url
from numplane.store.base import Db, Store
from tests.support.faultload import Attempt, Ledger


async def audited(ledger: Ledger, store_url: str) -> Audit:
    """The audit of `ledger` against the store at `store_url`, read directly (not through the API)."""
    store = store_from_url(store_url)
    await store.open()
    try:
        return await audit(ledger, store)
    finally:
        await store.close()


@dataclass
class Audit:
    acknowledged: int = 0  # acknowledged writes checked
    lost: list[str] = field(default_factory=list)  # acknowledged, but not in the store in that state
    unexplained: list[str] = field(default_factory=list)  # a state its history cannot explain
    server_errors: int = 0  # answers with a 5xx other than 503 (STORE_UNAVAILABLE is 503)

    @property
    def clean(self) -> bool:
        return not self.lost and not self.unexplained and self.server_errors == 0

    def __str__(self) -> str:
        return (f"{self.acknowledged} acknowledged writes audited, {len(self.lost)} lost, "
                f"{len(self.unexplained)} unexplained, {self.server_errors} server errors"
                + "".join(f"\n  lost: {x}" for x in self.lost[:10])
                + "".join(f"\n  unexplained: {x}" for x in self.unexplained[:10]))


async def audit(ledger: Ledger, store: Store) -> Audit:
    """Check the store against the ledger (see the module docstring)."""
    result = Audit(server_errors=sum(n for s, n in ledger.statuses.items() if s.startswith("5") and s != "503"))
    docs = await store.get_many(Db.NUMBERS, list(ledger.by_number))
    for e164, attempts in ledger.by_number.items():
        acked = [a for a in attempts if a.acked]
        result.acknowledged += len(acked)
        doc = docs.get(e164)
        if doc is None:
            if acked:
                result.lost.append(f"{e164}: acknowledged {len(acked)} times, not in the store")
            continue
        number = Number.from_doc(doc)
        entries = list(number.history_docs)
        problem = replay(number)
        if problem:
            result.unexplained.append(f"{e164}: {problem}")
        result.lost.extend(_lost(e164, number, entries, attempts))
    return result


def _lost(e164: str, number: Number, entries: list[dict[str, Any]], attempts: list[Attempt]) -> list[str]:
    """Every acknowledged write is in the history with the state it reported, in the client's order; what
    follows the last one was written by attempts made after it that were not acknowledged."""
    found: list[str] = []
    at_index = {_when(e.get("at")): i for i, e in enumerate(entries)}
    last_index = -1
    last_acked: Attempt | None = None
    for attempt in attempts:
        if not attempt.acked:
            continue
        index = at_index.get(attempt.at)
        if index is None or entries[index].get("to") != attempt.state or index < last_index:
            found.append(f"{e164}: acknowledged {attempt.action} -> {attempt.state} at {attempt.at} is not in history")
            continue
        last_index, last_acked = index, attempt
    if last_acked is None:
        return found
    after = attempts[attempts.index(last_acked) + 1 :]
    later_writes = entries[last_index + 1 :]
    unacked_actions = Counter(a.action for a in after if not a.acked)
    written = Counter(str(e.get("action")) for e in later_writes)
    if written - unacked_actions:
        found.append(f"{e164}: writes after the last acknowledgement that no attempt explains: {dict(written)}")
    if not later_writes:
        if number.state.value != last_acked.state:
            found.append(f"{e164}: stored {number.state.value}, last acknowledged {last_acked.state}")
        elif last_acked.public is not None and number.public != last_acked.public:
            found.append(f"{e164}: stored public fields {number.public}, acknowledged {last_acked.public}")
    return found


def replay(number: Number) -> str | None:
    """Why the number's history cannot bring it where it is (None: it can): from the first entry (a
    creation, unless the history was trimmed), each entry starts where the previous one ended, every move
    is one the domain's transition table allows, and the last one ends in the stored state and owner."""
    entries = number.history_docs
    if not entries:
        return "no history"
    state: str | None = None
    owner: str | None = None
    previous_at: datetime | None = None
    for index, entry in enumerate(entries):
        start, end = entry.get("from"), entry.get("to")
        at = _when(entry.get("at"))
        if index == 0 and start is not None and len(entries) < SystemConfig().history_length:
            return f"the first entry {entry.get('action')} starts from {start}, not from nothing"
        if index and (start != state or entry.get("owner_before") != owner):
            return f"entry {index} ({entry.get('action')}) starts from {start}/{entry.get('owner_before')}, " \
                   f"the previous ended in {state}/{owner}"
        if start != end and (_state(start), _state(end)) not in TABLE:
            return f"entry {index} ({entry.get('action')}) moves {start} -> {end}: not a transition"
        if previous_at is not None and at is not None and at < previous_at:
            return f"entry {index} is older than the one before it"
        state, owner, previous_at = end, entry.get("owner_after"), at
    if state != number.state.value or owner != number.owner:
        return f"history ends in {state}/{owner}, the number is {number.state.value}/{number.owner}"
    return None


def _state(value: object) -> State | None:
    if value is None or value == State.DELETED.value:
        return None
    return State(str(value))


def _when(value: object) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None
