"""One store fault under load, run and audited: the scenarios tests/test_store_faults.py checks and
`make bench BENCH_ARGS=faults` runs for longer, spelled once for both."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.support.couch import CouchServer
from tests.support.faultload import Fault, Ledger, crash_numplane, under_load
from tests.support.server import Server
from tests.support.write_audit import Audit, audited


@dataclass(frozen=True)
class FaultRun:
    ledger: Ledger
    ended: float  # time.monotonic() when the fault ended
    audit: Audit
    served_on: bool  # the numplane process serving before the fault serves after it (false when it was killed)


async def couch_fault(
    served: Server, couch: CouchServer, numbers: list[str], fault: Fault, *, acks: int, seconds: float = 0.0,
    wait: float = 120.0,
) -> FaultRun:
    """`fault` befalls pouchdb-server while `served` (numplane on it) is under load."""
    assert served.process is not None
    pid = served.process.pid
    ledger, ended = await under_load(served.url, served.admin_key, numbers, fault, acks=acks, seconds=seconds,
                                     wait=wait)
    served_on = served.process is not None and served.process.pid == pid and served.process.poll() is None
    return FaultRun(ledger, ended, await audited(ledger, couch.url), served_on)


async def numplane_killed_on_sqlite(
    numbers: list[str], *, acks: int, seconds: float = 0.0, wait: float = 120.0
) -> FaultRun:
    """numplane on a SQLite file of its own, killed under load (SIGKILL) and started again on the file."""
    with tempfile.TemporaryDirectory(prefix="numplane-faults-") as work:
        url = f"sqlite:///{Path(work) / 'faults.db'}"
        server = Server(url)
        server.start()
        try:
            ledger, ended = await under_load(server.url, server.admin_key, numbers, crash_numplane(server),
                                             acks=acks, seconds=seconds, wait=wait)
        finally:
            server.stop()
        return FaultRun(ledger, ended, await audited(ledger, url), served_on=False)
