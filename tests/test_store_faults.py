"""Store faults under load, with an audit (issue 15): while 8 clients send mutations through a real
`numplane serve`, the store stalls (pouchdb-server SIGSTOP, then SIGCONT), dies and comes back on the same
data (pouchdb-server SIGKILL and restart), or the process holding the SQLite file is killed (SIGKILL) and
started again on it. Afterwards every acknowledged write is in the store in that state, every number's
state is one its history explains, nothing answered 500, and (for CouchDB) the same server process serves
again without a restart. A few seconds of load each; `make bench BENCH_ARGS=faults` runs longer."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from numplane.domain.clock import format_time
from numplane.store.base import Db, Store
from tests.support.couch import CouchServer
from tests.support.fault_runs import couch_fault, numplane_killed_on_sqlite
from tests.support.faultload import Attempt, Ledger, crash_couch, pause
from tests.support.server import Server
from tests.support.write_audit import Audit, audit

# Each scenario starts (and one restarts) real processes: ~15 s on a quiet machine, ~60 s on a loaded one.
pytestmark = pytest.mark.timeout(240)

ACKS = 24  # acknowledged writes before the fault, and again after it ended (3 per client)
NUMBERS = 48  # six per client


@pytest.fixture(scope="module")
def couch() -> Iterator[CouchServer]:
    with CouchServer(persistent=True) as server:
        yield server


@pytest.fixture(scope="module")
def couch_served(couch: CouchServer) -> Iterator[Server]:
    server = Server(couch.url)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _numbers(block: int) -> list[str]:
    return [f"+1415{block:03d}{i:04d}" for i in range(NUMBERS)]


def _check(result: Audit) -> None:
    assert result.clean, str(result)
    assert result.acknowledged >= 2 * ACKS



async def test_a_paused_couchdb_loses_no_acknowledged_write_and_the_same_process_serves_on(
    couch: CouchServer, couch_served: Server
) -> None:
    run = await couch_fault(couch_served, couch, _numbers(201), pause(couch, 3.0), acks=ACKS)
    _check(run.audit)
    assert run.served_on


async def test_a_couchdb_killed_and_restarted_on_its_data_loses_no_acknowledged_write(
    couch: CouchServer, couch_served: Server
) -> None:
    run = await couch_fault(couch_served, couch, _numbers(202), crash_couch(couch), acks=ACKS)
    _check(run.audit)
    assert run.served_on


async def test_numplane_killed_on_its_sqlite_file_and_restarted_loses_no_acknowledged_write() -> None:
    _check((await numplane_killed_on_sqlite(_numbers(203), acks=ACKS)).audit)


def _entry(at: datetime, action: str, start: str | None, end: str) -> dict[str, object]:
    return {"at": format_time(at), "action": action, "from": start, "to": end, "requester": "system",
            "owner_before": None, "owner_after": None}


async def test_the_audit_finds_a_lost_acknowledged_write_and_a_state_its_history_cannot_explain(
    store: Store,
) -> None:
    """The audit itself, on documents planted in the store: it must be able to fail."""
    t = [datetime(2026, 11, 29, 7, 0, second, tzinfo=UTC) for second in range(4)]
    lost, jumped, kept = "+14155550201", "+14155550202", "+14155550203"
    added = _entry(t[0], "add", None, "available")
    await store.put_many(Db.NUMBERS, [
        {"_id": lost, "pvt_state": "available", "pvt_history": [added]},
        {"_id": jumped, "pvt_state": "port_out", "pvt_history": [added, _entry(t[2], "jump", "available", "port_out")]},
        {"_id": kept, "pvt_state": "available", "pvt_history": [added]},
    ])
    ledger = Ledger()
    for number in (lost, jumped, kept):
        ledger.add(Attempt(number, "add", 0.0, acked=True, state="available", at=t[0], status=200))
    ledger.add(Attempt(lost, "reserve", 0.0, acked=True, state="reserved", at=t[3], status=200))  # not stored
    ledger.add(Attempt(kept, "reserve", 0.0, status=503, error="STORE_UNAVAILABLE"))  # not written: fine
    ledger.add(Attempt(jumped, "jump", 0.0, error="ReadTimeout"))  # written though unacknowledged: fine
    ledger.statuses["500"] += 1
    result = await audit(ledger, store)
    assert result.acknowledged == 4
    assert [problem.split(":")[0] for problem in result.lost] == [lost]
    assert [problem.split(":")[0] for problem in result.unexplained] == [jumped]
    assert result.server_errors == 1 and not result.clean
