"""Store faults under a longer load, audited (issue 15): the run behind tests/test_store_faults.py.

Run with `make bench BENCH_ARGS=faults` or `python -m benchmarks.faults [--seconds 15] [--pause 5]`. Eight
clients send mutations through a real `numplane serve` (tests/support/faultload.py) for `--seconds` before
and after each fault:
  pause    pouchdb-server stopped (SIGSTOP) for `--pause` seconds, then continued (SIGCONT);
  crash    pouchdb-server killed (SIGKILL) and started again on its data directory;
  sqlite   the numplane process holding the SQLite file killed (SIGKILL) and started again on it.
For each it prints the acknowledged writes audited, lost (the only passing figure is 0), states their
history cannot explain (0), 5xx answers other than 503 (0), unacknowledged attempts (fine: they may or may
not have been written), and the time to recover: from the end of the fault (SIGCONT sent, the store or
numplane answering again) to the first acknowledged write. It exits non-zero if any write was lost.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter

from tests.support.couch import CouchServer
from tests.support.fault_runs import FaultRun, couch_fault, numplane_killed_on_sqlite
from tests.support.faultload import Fault, crash_couch, pause
from tests.support.server import Server

ACKS = 24
NUMBERS = 200  # 25 per client: each number goes round its lifecycle a few times


def _numbers(block: int) -> list[str]:
    return [f"+1628{block:03d}{i:04d}" for i in range(NUMBERS)]


def report(name: str, run: FaultRun, seconds: float) -> bool:
    attempts, result = run.ledger.attempts, run.audit
    recovered = run.ledger.first_ack_after(run.ended)
    unacknowledged = sum(1 for a in attempts if not a.acked)
    why = Counter(f"{a.status or 'no answer'} {a.error}" for a in attempts if not a.acked)
    print(
        f"{name:7} {result.acknowledged:6d} acknowledged writes audited, {len(result.lost)} lost, "
        f"{len(result.unexplained)} unexplained, {result.server_errors} 5xx (not 503); "
        f"{unacknowledged} unacknowledged of {len(attempts)} attempts; "
        f"recovered in {'never' if recovered is None else f'{recovered:.2f} s'}; "
        f"{result.acknowledged / (2 * seconds):.0f} acknowledged writes/s",
        flush=True,
    )
    if why:
        print(f"{'':7} unacknowledged: {dict(why)}")
    for problem in (*result.lost, *result.unexplained)[:10]:
        print("   ", problem)
    return result.clean


async def couch_faults(seconds: float, paused: float) -> bool:
    couch = CouchServer(persistent=True)
    couch.start()
    server = Server(couch.url)
    try:
        server.start()
        faults: list[tuple[str, Fault]] = [("pause", pause(couch, paused)), ("crash", crash_couch(couch))]
        clean = True
        for block, (name, fault) in enumerate(faults, start=1):
            run = await couch_fault(server, couch, _numbers(block), fault, acks=ACKS, seconds=seconds,
                                    wait=seconds + 120)
            clean &= report(name, run, seconds)
            print(f"{'':7} the same numplane process serves on: {run.served_on}", flush=True)
            clean &= run.served_on
        return clean
    finally:
        server.stop()
        couch.close()


async def sqlite_fault(seconds: float) -> bool:
    run = await numplane_killed_on_sqlite(_numbers(9), acks=ACKS, seconds=seconds, wait=seconds + 120)
    return report("sqlite", run, seconds)


async def main(seconds: float, paused: float) -> None:
    clean = await couch_faults(seconds, paused)
    clean &= await sqlite_fault(seconds)
    if not clean:
        raise SystemExit("acknowledged writes were lost, or states are unexplained, or the API answered 5xx")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="load before and after each fault")
    parser.add_argument("--pause", type=float, default=5.0, help="how long pouchdb-server stays stopped")
    args = parser.parse_args()
    asyncio.run(main(args.seconds, args.pause))
