"""CouchDB store overhead: numplane's transitions beside raw CouchDB requests on the same server.

Run with `make bench` or `python -m benchmarks.couch`. Starts its own pouchdb-server (as the tests do)
and prints, measured side by side in one run:
  raw GET+PUT pairs/s of one document      vs  numplane single-number transitions/s (activate, release)
  raw _bulk_docs docs/s (100 per request)  vs  numplane 1,000-number reserve/release numbers/s
  raw _all_docs+_bulk_docs of 1,000 docs   (the floor of a bulk transition: it must read, then write)
and the ratios numplane / raw. Transitions are driven through the resolvers (no HTTP/GraphQL layer), so
the ratio isolates what the lifecycle and the store layer add on top of the server's own cost.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid

import httpx

from numplane.domain.states import State
from numplane.resolvers import numbers
from numplane.resolvers.bulk import NumberRef
from numplane.resolvers.system_config import update_config
from numplane.settings import Settings
from numplane.store.couchdb import CouchStore
from tests.resolvers.conftest import make_world
from tests.support.couch import CouchServer

HEADERS = {"Accept": "application/json", "Content-Type": "application/json"}


async def raw_pairs(url: str, count: int) -> float:
    db = f"{url}/bench_raw_{uuid.uuid4().hex[:8]}"
    async with httpx.AsyncClient(headers=HEADERS) as client:
        await client.put(db)
        doc = {"_id": "+14155550000", "pvt_type": "number", "pvt_state": "available"}
        rev = (await client.put(f"{db}/%2B14155550000", json=doc)).json()["rev"]
        started = time.perf_counter()
        for i in range(count):
            current = (await client.get(f"{db}/%2B14155550000")).json()
            current["pvt_state"] = "in_service" if i % 2 == 0 else "available"
            rev = (await client.put(f"{db}/%2B14155550000", json=current)).json()["rev"]
        elapsed = time.perf_counter() - started
        await client.delete(db)
    assert rev
    return count / elapsed


async def raw_bulk(url: str, requests: int) -> float:
    db = f"{url}/bench_bulk_{uuid.uuid4().hex[:8]}"
    async with httpx.AsyncClient(headers=HEADERS, timeout=60) as client:
        await client.put(db)
        started = time.perf_counter()
        for r in range(requests):
            docs = [{"_id": f"+1415{r:03d}{i:04d}", "pvt_type": "number"} for i in range(100)]
            response = await client.post(f"{db}/_bulk_docs", json={"docs": docs})
            assert response.status_code == 201
        elapsed = time.perf_counter() - started
        await client.delete(db)
    return requests * 100 / elapsed


async def raw_bulk_cycles(url: str, rounds: int, size: int = 1000) -> float:
    """The raw floor of a bulk transition: read 1,000 numbers with `_all_docs` and write them back with
    `_bulk_docs`, documents of the same shape as numplane's."""
    from numplane.domain.numbers import Number

    db = f"{url}/bench_cycle_{uuid.uuid4().hex[:8]}"
    async with httpx.AsyncClient(headers=HEADERS, timeout=60) as client:
        await client.put(db)
        docs = [Number(e164=f"+1415555{i:04d}", state=State.AVAILABLE).to_doc() for i in range(size)]
        await client.post(f"{db}/_bulk_docs", json={"docs": docs})
        keys = [d["_id"] for d in docs]
        started = time.perf_counter()
        for _ in range(2 * rounds):
            rows = (await client.post(f"{db}/_all_docs?include_docs=true", json={"keys": keys})).json()["rows"]
            changed = [{**row["doc"], "pvt_state": "reserved"} for row in rows]
            assert (await client.post(f"{db}/_bulk_docs", json={"docs": changed})).status_code == 201
        elapsed = time.perf_counter() - started
        await client.delete(db)
    return 2 * rounds * size / elapsed


async def numplane_single(url: str, cycles: int) -> float:
    store = CouchStore(url, db_prefix="bench" + uuid.uuid4().hex[:8])
    await store.open()
    try:
        world = await make_world(store, Settings())
        await update_config(world.services, world.admin, {"should_age": False})
        number = [NumberRef("+14155550000")]
        await numbers.add_numbers(world.services, world.admin, number, state=State.AVAILABLE, carrier="inventory")
        started = time.perf_counter()
        for _ in range(cycles):
            assert (await numbers.activate_numbers(world.services, world.child, number)).numbers
            assert (await numbers.release_numbers(world.services, world.child, number)).numbers
        return 2 * cycles / (time.perf_counter() - started)
    finally:
        await store.close()


async def numplane_bulk(url: str, rounds: int, size: int = 1000) -> float:
    store = CouchStore(url, db_prefix="bench" + uuid.uuid4().hex[:8])
    await store.open()
    try:
        world = await make_world(store, Settings())
        await update_config(world.services, world.admin, {"should_age": False})
        refs = [NumberRef(f"+1415555{i:04d}") for i in range(size)]
        await numbers.add_numbers(world.services, world.admin, refs, state=State.AVAILABLE, carrier="inventory")
        started = time.perf_counter()
        for _ in range(rounds):
            assert len((await numbers.reserve_numbers(world.services, world.child, refs)).numbers) == size
            assert len((await numbers.release_numbers(world.services, world.child, refs)).numbers) == size
        return 2 * rounds * size / (time.perf_counter() - started)
    finally:
        await store.close()


async def measure(single: int, bulk_rounds: int) -> dict[str, float]:
    server = CouchServer()
    server.start()
    try:
        # Interleave raw and numplane runs so machine noise hits both alike.
        figures = {
            "raw_pairs": await raw_pairs(server.url, single),
            "numplane_single": await numplane_single(server.url, single // 2),
            "raw_bulk_docs": await raw_bulk(server.url, bulk_rounds * 20),
            "raw_bulk_cycle": await raw_bulk_cycles(server.url, bulk_rounds),
            "numplane_bulk": await numplane_bulk(server.url, bulk_rounds),
        }
    finally:
        server.close()
    return figures


def report(figures: dict[str, float]) -> str:
    single = figures["numplane_single"] / figures["raw_pairs"]
    bulk = figures["numplane_bulk"] / figures["raw_bulk_docs"]
    cycle = figures["numplane_bulk"] / figures["raw_bulk_cycle"]
    return "\n".join(
        [
            "CouchDB store (pouchdb-server 4.2.0, loopback)",
            f"  raw GET+PUT pairs/s                      {figures['raw_pairs']:10.0f}",
            f"  numplane single-number transitions/s     {figures['numplane_single']:10.0f}   ratio {single:.2f}",
            f"  raw _bulk_docs docs/s (100/request)       {figures['raw_bulk_docs']:10.0f}",
            f"  raw 1,000-doc _all_docs+_bulk_docs docs/s {figures['raw_bulk_cycle']:10.0f}",
            f"  numplane 1,000-number reserve/release n/s {figures['numplane_bulk']:10.0f}"
            f"   ratio {bulk:.2f} to raw _bulk_docs, {cycle:.2f} to raw read+write",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--single", type=int, default=400, help="GET+PUT pairs (and transitions) to time")
    parser.add_argument("--bulk-rounds", type=int, default=3, help="1,000-number reserve+release rounds")
    args = parser.parse_args()
    print(report(asyncio.run(measure(args.single, args.bulk_rounds))))


if __name__ == "__main__":
    main()
