"""Job time for 1,000 due numbers among many: `python -m benchmarks.jobs [--skip-million] [--couch URL]`.

Seeds raw number documents in bulk (1,000 due for discovery expiry and 1,000 due for aging, the rest young
discovery/aging numbers and available ones), then times each job and counts the documents it read.
Without --couch it starts a pouchdb-server from node_modules (as the tests do). The views are brought up to
date after every seeded chunk, as a live server keeps them current as it goes (pouchdb-server cannot build
the index of 100,000 fresh documents within one request's timeout); that indexing time is reported apart
from the job time.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

from benchmarks.stores import pouchdb
from numplane.domain.numbers import Number
from numplane.domain.states import State
from numplane.resolvers import maintenance
from numplane.resolvers.context import Services
from numplane.settings import Settings
from numplane.store import store_from_url
from numplane.store.base import Db, Store
from tests.resolvers.conftest import Clock
from tests.support.counting import CountingStore
from tests.support.seeding import number, seed

DUE = 1000
CHUNK = 5000


def population(total: int, now: datetime) -> Iterator[Number]:
    stride = total // DUE
    old, young = now - timedelta(days=120), now - timedelta(hours=1)
    for i in range(total):
        kind = i % stride
        if kind == 0:
            yield number(i, State.DISCOVERY, old)
        elif kind == 1:
            yield number(i, State.AGING, old)
        else:
            yield number(i, *((State.DISCOVERY, young), (State.AGING, young), (State.AVAILABLE, old))[kind % 3])


async def measure(label: str, url: str, prefix: str, total: int) -> None:
    store: Store = store_from_url(url, db_prefix=prefix)
    await store.open()
    try:
        clock = Clock()
        seeded = indexed = 0.0
        numbers = population(total, clock.now)
        while chunk := list(itertools.islice(numbers, CHUNK)):
            started = time.perf_counter()
            await seed(store, chunk)
            seeded += time.perf_counter() - started
            started = time.perf_counter()
            await store.query(Db.NUMBERS, "clock", start=("aging",), end=("aging", "~"), limit=1)
            indexed += time.perf_counter() - started
        counting = CountingStore(store)
        services = Services(store=counting, settings=Settings(scheduler=False), clock=clock)
        print(f"{label}: {total:,} numbers seeded in {seeded:.1f} s, views indexed in {indexed:.1f} s")
        for job in (maintenance.expire_discovery, maintenance.age_numbers):
            counting.documents_read = 0
            started = time.perf_counter()
            report = await job(services, clock.now)
            took = time.perf_counter() - started
            print(f"  {report.job:17s} {report.changed:,} changed in {took:.2f} s, "
                  f"{counting.documents_read:,} documents read")
    finally:
        await store.close()


async def run(args: argparse.Namespace, couch_url: str | None) -> None:
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory() as directory:
            await measure("sqlite", f"sqlite:///{Path(directory) / 'a.db'}", "numplane", 100_000)
            if not args.skip_million:
                await measure("sqlite", f"sqlite:///{Path(directory) / 'b.db'}", "numplane", 1_000_000)
    if couch_url is not None:
        await measure("couchdb", couch_url, f"bench{int(time.time())}", args.couch_total)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skip-million", action="store_true", help="skip the 1,000,000-number embedded case")
    parser.add_argument("--couch", help="CouchDB URL (default: start a pouchdb-server from node_modules)")
    parser.add_argument("--couch-total", type=int, default=100_000, help="numbers in the CouchDB case")
    parser.add_argument("--skip-sqlite", action="store_true", help="only the CouchDB case")
    parser.add_argument("--skip-couch", action="store_true", help="only the embedded cases")
    args = parser.parse_args()
    if args.couch or args.skip_couch:
        asyncio.run(run(args, args.couch))
        return
    with pouchdb() as url:
        asyncio.run(run(args, url))


if __name__ == "__main__":
    main()
