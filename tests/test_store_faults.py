"""Store faults under load, with an audit (issue 15): while 8 clients send mutations through a real
`numplane serve`, the store stalls (pouchdb-server SIGSTOP, then SIGCONT), dies and comes back on the same
data (pouchdb-server SIGKILL and restart), or the process holding the SQLite file is killed (SIGKILL) and
started again on it. Afterwards every acknowledged write is in the store in that state, every number's
state is one its history explains, nothing answered 500, and (for CouchDB) the same server process serves
again without a restart. A few seconds of load each; `make bench BENCH_ARGS=faults` runs longer."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.couch import CouchServer
from tests.support.faultload import Audit, audited, crash_couch, crash_numplane, pause, under_load
from tests.support.server import Server

# Each scenario starts (and one restarts) real processes: ~15 s on a quiet machine, ~60 s on a loaded one.
pytestmark = pytest.mark.timeout(240)

ACKS = 24  # acknowledged writes before the fault, and again after it ended (3 per client)
NUMBERS = 48  # six per client


@pytest.fixture(scope="module")
def couch() -> Iterator[CouchServer]:
    server = CouchServer(persistent=True)
    server.start()
    try:
        yield server
    finally:
        server.close()


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


def _same_process(server: Server, pid: int) -> bool:
    return server.process is not None and server.process.pid == pid and server.process.poll() is None


async def test_a_paused_couchdb_loses_no_acknowledged_write_and_the_same_process_serves_on(
    couch: CouchServer, couch_served: Server
) -> None:
    assert couch_served.process is not None
    pid = couch_served.process.pid
    ledger, _ended = await under_load(
        couch_served.url, couch_served.admin_key, _numbers(201), pause(couch, 3.0), acks=ACKS
    )
    _check(await audited(ledger, couch.url))
    assert _same_process(couch_served, pid)


async def test_a_couchdb_killed_and_restarted_on_its_data_loses_no_acknowledged_write(
    couch: CouchServer, couch_served: Server
) -> None:
    assert couch_served.process is not None
    pid = couch_served.process.pid
    ledger, _ended = await under_load(
        couch_served.url, couch_served.admin_key, _numbers(202), crash_couch(couch), acks=ACKS
    )
    _check(await audited(ledger, couch.url))
    assert _same_process(couch_served, pid)


async def test_numplane_killed_on_its_sqlite_file_and_restarted_loses_no_acknowledged_write() -> None:
    with tempfile.TemporaryDirectory(prefix="numplane-faults-") as work:
        url = f"sqlite:///{Path(work) / 'faults.db'}"
        server = Server(url)
        server.start()
        try:
            ledger, _ended = await under_load(server.url, server.admin_key, _numbers(203), crash_numplane(server),
                                              acks=ACKS)
        finally:
            server.stop()
        _check(await audited(ledger, url))
