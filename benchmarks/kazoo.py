"""The Kazoo migration: `python -m benchmarks.kazoo [--numbers N] [--stores sqlite,couchdb]`.

Seeds a pouchdb-server with a Kazoo deployment (100 accounts in a 3-level tree, N number documents, default
100,000, over 10 `numbers/+1NPA` databases, every state, legacy shapes mixed in), then for each numplane
store: the import rate (numbers/s, from the first read of the source to the last write), the second run
(every number identical), and the follow lag: the time from a change written to Kazoo's CouchDB to the
changed number readable in numplane (median and worst of 20 changes, made one at a time).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from numplane.kazoo.migration import Migration, Options
from numplane.kazoo.source import CouchSource
from numplane.resolvers.context import Services
from numplane.settings import Settings
from numplane.store.base import Db
from tests.support.couch import CouchServer
from tests.support.kazoo import MODIFIED, KazooSource

PREFIXES = [f"+1{npa}" for npa in (415, 628, 650, 408, 510, 212, 646, 312, 617, 206)]
STATES = ("in_service", "in_service", "reserved", "available", "aging", "port_in", "released")
MODULES = ("knm_local", "knm_bandwidth2", "knm_telnyx", "wnm_local", "knm_inventory")


def accounts() -> list[dict[str, Any]]:
    root = {"_id": "a" * 32, "pvt_type": "account", "name": "root", "pvt_tree": [], "pvt_modified": MODIFIED}
    docs = [root]
    for r in range(9):
        reseller = f"r{r:031d}"
        docs.append({"_id": reseller, "name": f"r{r}", "pvt_tree": [root["_id"]], "pvt_modified": MODIFIED})
        docs += [{"_id": f"c{r}{c:030d}", "name": f"c{r}.{c}", "pvt_tree": [root["_id"], reseller],
                  "pvt_modified": MODIFIED} for c in range(10)]
    return docs


def number(index: int, owners: list[str]) -> dict[str, Any]:
    state = STATES[index % len(STATES)]
    owned = state in ("in_service", "reserved", "port_in")
    doc: dict[str, Any] = {
        "_id": f"{PREFIXES[index % len(PREFIXES)]}{index:07d}", "pvt_type": "number",
        "pvt_module_name": MODULES[index % len(MODULES)], "pvt_created": MODIFIED - 100, "pvt_modified": MODIFIED,
    }
    # Every seventh document keeps its state under the legacy key, every eleventh its features as a list.
    doc["pvt_number_state" if index % 7 == 0 else "pvt_state"] = state
    if owned:
        doc["pvt_assigned_to"] = owners[index % len(owners)]
        doc["pvt_reserve_history"] = [doc["pvt_assigned_to"]]
    doc["pvt_features"] = ["local", "dash_e911"] if index % 11 == 0 else {"local": {}}
    if index % 5 == 0:
        doc["cnam"] = {"display_name": f"Caller {index % 1000}"}
    return doc


def seed(source: KazooSource, total: int) -> None:
    account_docs = accounts()
    source.put(source.accounts_db, account_docs)
    owners = [d["_id"] for d in account_docs]
    for prefix in PREFIXES:
        source.put(source.numbers_db(prefix), [])
    chunk: dict[str, list[dict[str, Any]]] = {}
    for index in range(total):
        doc = number(index, owners)
        chunk.setdefault(source.numbers_db(doc["_id"]), []).append(doc)
        if index % 5000 == 4999 or index == total - 1:
            for db, docs in chunk.items():
                source.put(db, docs)
            chunk = {}


async def follow_lag(migration: Migration, services: Services, source: KazooSource, changes: int) -> list[float]:
    stop = asyncio.Event()
    following = asyncio.create_task(migration.follow(stop, pause=0.05))
    lags = []
    try:
        for index in range(changes):
            number_id = f"{PREFIXES[0]}{index * len(PREFIXES):07d}"
            db = source.numbers_db(number_id)
            doc = source.get(db, number_id)
            marker = f"lag-{index}"
            started = time.perf_counter()
            source.put(db, [{**doc, "bench_marker": marker}])
            while True:
                stored = (await services.store.get_many(Db.NUMBERS, [number_id])).get(number_id, {})
                if stored.get("bench_marker") == marker:
                    break
                await asyncio.sleep(0.005)
            lags.append(time.perf_counter() - started)
    finally:
        stop.set()
        await following
    return lags


async def measure(kind: str, source: KazooSource, total: int, workdir: Path, couch_url: str) -> None:
    store = f"sqlite:///{workdir / f'{uuid.uuid4().hex[:6]}.db'}" if kind == "sqlite" else couch_url
    settings = Settings(store=store, db_prefix="np" + uuid.uuid4().hex[:8], scheduler=False)
    services = Services.from_settings(settings)
    await services.store.open()
    options = Options(accounts_db=source.accounts_db, numbers_prefix=source.numbers_prefix)
    try:
        migration = Migration(services, CouchSource(source.url), options)
        started = time.perf_counter()
        report = await migration.run()
        first = time.perf_counter() - started
        created = report.counts[("number", "created")]
        again = Migration(services, CouchSource(source.url), options)
        started = time.perf_counter()
        second = await again.run()
        repeat = time.perf_counter() - started
        lags = await follow_lag(again, services, source, 20)
        await migration.source.close()
        await again.source.close()
        print(f"{kind:8} import: {created:,} numbers in {first:.1f} s = {created / first:,.0f} numbers/s "
              f"({len(report.refused())} refused)")
        print(f"{kind:8} second run: {second.counts[('number', 'identical')]:,} identical in {repeat:.1f} s "
              f"= {total / repeat:,.0f} numbers/s")
        print(f"{kind:8} follow lag (Kazoo write -> readable in numplane, 20 changes): "
              f"median {statistics.median(lags) * 1000:.0f} ms, worst {max(lags) * 1000:.0f} ms")
    finally:
        await services.store.close()


async def main(total: int, stores: list[str]) -> None:
    source_server = CouchServer()
    target_server = CouchServer()
    source_server.start()
    target_server.start()
    try:
        source = KazooSource(source_server.url, "kz")
        started = time.perf_counter()
        seed(source, total)
        print(f"seeded {total:,} Kazoo number documents in {time.perf_counter() - started:.1f} s")
        with tempfile.TemporaryDirectory() as workdir:
            for kind in stores:
                await measure(kind, source, total, Path(workdir), target_server.url)
    finally:
        source_server.close()
        target_server.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--numbers", type=int, default=100_000)
    parser.add_argument("--stores", default="sqlite,couchdb")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.numbers, arguments.stores.split(",")))
