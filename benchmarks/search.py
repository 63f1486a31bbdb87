"""Filtered searchNumbers latency per filter kind: `python -m benchmarks.search [--numbers N] [--couch-numbers M]`.

Seeds N available numbers (default 1,000,000) on the embedded store and M (default 100,000; 0 skips it)
on CouchDB (pouchdb-server), directly through the store in batches (not through the API), as real
numbers of several countries (US, Canada, UK, Germany, France, Australia, US toll-free). Then times a
search of 20 numbers through the resolver (store only, no carrier) for each filter kind, median and p95
of repeated runs, with the index rows it read. Also reported: seeding time, the write cost the `search`
view adds (a batch of available numbers beside the same batch written as reserved, which the view skips),
and on CouchDB the time pouchdb-server takes to build the view on first query.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from benchmarks.figures import p50, percentile
from numplane.domain.accounts import Account
from numplane.domain.numbers import Number
from numplane.domain.search import parse_filter
from numplane.domain.states import State
from numplane.resolvers.context import Requester, Role, Services
from numplane.resolvers.search import search_numbers
from numplane.settings import Settings
from numplane.store import store_from_url
from numplane.store.base import HIGH, Db, Store, StoreUnavailable
from numplane.store.views import VIEWS
from tests.resolvers.conftest import Clock
from tests.support.couch import CouchServer
from tests.support.counting import CountingStore
from tests.support.seeding import located

ROOT = Account(id="0" * 32, name="root", is_admin=True, allow_additions=True)
BATCH = 5000
COUCH_BATCH = 500
_BUILD_ATTEMPTS = 100  # request timeouts waited through while pouchdb-server builds a view

# (E.164 prefix, subscriber digits after it, first subscriber digit): valid numbers, geocoded places.
AREAS = (
    ("+1415", 7, 2), ("+1212", 7, 3), ("+1650", 7, 4), ("+1800", 7, 2), ("+1416", 7, 5),
    ("+44207", 7, 1), ("+44161", 7, 2), ("+4930", 8, 1), ("+4989", 8, 2), ("+3314", 7, 2),
    ("+3361", 7, 1), ("+6129", 7, 2), ("+6141", 7, 2),
)

CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "prefix only (+1415, no filter)": ("+1415", {}),
    "contains PIZZA (worldwide)": ("+", {"contains": "PIZZA"}),
    "contains 7*9*2 (wildcards, +1)": ("+1", {"contains": "7*9*2"}),
    "startsWith 20 (+44)": ("+44", {"starts_with": "20"}),
    "endsWith 0000 (+1)": ("+1", {"ends_with": "0000"}),
    "locality London": ("+", {"locality": "London"}),
    "locality '  SAN-francisco' (folded)": ("+1", {"locality": "  SAN-francisco"}),
    "region California": ("+1", {"region": "California"}),
    "country DE": ("+", {"country": "DE"}),
    "types TOLL_FREE": ("+", {"types": ["TOLL_FREE"]}),
    "near +14155550123": ("+1", {"near": "+14155550123"}),
    "country US + contains 555 + MOBILE": ("+", {"country": "US", "contains": "555", "types": ["MOBILE"]}),
}


def population(total: int, state: State = State.AVAILABLE, offset: int = 0) -> Iterator[Number]:
    """Numbers with their locality as a write computes it; geocoded once per block of 1,000 consecutive
    numbers (the block's place and kind, the number's own national number), so a million are seeded in
    minutes: what is measured is the index and the search, not libphonenumber."""
    for i in range(offset, offset + total):
        prefix, digits, first = AREAS[i % len(AREAS)]
        serial = i // len(AREAS)
        e164 = f"{prefix}{first}{serial:0{digits - 1}d}"
        yield Number(e164=e164, state=state, module="inventory", stored_locality=located(e164))


async def seed(store: Store, numbers: Iterator[Number], batch: int) -> int:
    count, chunk = 0, []
    for number in numbers:
        chunk.append(number.to_doc())
        if len(chunk) == batch:
            count += await _write(store, chunk)
            chunk = []
    if chunk:
        count += await _write(store, chunk)
    return count


async def _write(store: Store, docs: list[dict[str, Any]]) -> int:
    results = await store.put_many(Db.NUMBERS, docs)
    assert all(r.ok for r in results), [r for r in results if not r.ok][:3]
    return len(docs)


async def write_cost(store: Store, batch: int, rounds: int, offset: int) -> tuple[float, float]:
    """ms per number written available (search rows) and reserved (none), same shape of documents."""
    per: dict[State, float] = {}
    for k, state in enumerate((State.AVAILABLE, State.RESERVED)):
        docs = [n.to_doc() for n in population(batch * rounds, state, offset + k * batch * rounds)]
        started = time.perf_counter()
        for r in range(rounds):
            await _write(store, docs[r * batch : (r + 1) * batch])
        per[state] = (time.perf_counter() - started) * 1000 / len(docs)
    return per[State.AVAILABLE], per[State.RESERVED]


async def time_searches(store: Store, repeat: int) -> None:
    counting = CountingStore(store)
    services = Services(store=counting, settings=Settings(carriers="", scheduler=False), clock=Clock())
    requester = Requester(ROOT, Role.ADMIN)
    print(f"  {'filter':<42} {'found':>5} {'median':>9} {'p95':>9} {'rows read':>9}")
    for name, (prefix, fields) in CASES.items():
        search = parse_filter(**fields)
        samples, found, rows = [], 0, 0
        for _ in range(repeat):
            counting.documents_read = 0
            started = time.perf_counter()
            found = len(await search_numbers(services, requester, prefix, 20, search=search))
            samples.append((time.perf_counter() - started) * 1000)
            rows = counting.documents_read
        print(f"  {name:<42} {found:>5} {p50(samples):>7.2f}ms {percentile(samples, 95):>7.2f}ms {rows:>9}")


def rows_per_number() -> str:
    doc = next(population(1)).to_doc()
    counts = {v.name: len(v.keys(doc)) for v in VIEWS if v.db is Db.NUMBERS}
    return ", ".join(f"{name} {count}" for name, count in counts.items())


async def on_sqlite(total: int, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        store = store_from_url(f"sqlite:///{Path(directory) / 'search.db'}")
        await store.open()
        try:
            started = time.perf_counter()
            await seed(store, population(total), BATCH)
            print(f"sqlite: {total:,} available numbers seeded in {time.perf_counter() - started:.0f} s "
                  f"(index rows per US number: {rows_per_number()})")
            available, reserved = await write_cost(store, 1000, 5, total)
            print(f"  write cost: {available:.3f} ms per available number (with search rows), "
                  f"{reserved:.3f} ms reserved (without): +{(available / reserved - 1) * 100:.0f}%")
            await time_searches(store, repeat)
        finally:
            await store.close()


async def built(store: Store, view: str, key: tuple[str, ...]) -> None:
    """Query until pouchdb-server answers: a view's first build outlasts the store's request timeout (the
    server keeps building; each retry waits on the same build)."""
    for _attempt in range(_BUILD_ATTEMPTS - 1):
        try:
            await store.query(Db.NUMBERS, view, start=key, end=(*key, HIGH), limit=1)
            return
        except StoreUnavailable:
            continue
    await store.query(Db.NUMBERS, view, start=key, end=(*key, HIGH), limit=1)


async def on_couch(total: int, repeat: int) -> None:
    server = CouchServer()
    server.start()
    try:
        store = store_from_url(server.url, db_prefix="bench")
        await store.open()
        try:
            started = time.perf_counter()
            await seed(store, population(total), COUCH_BATCH)
            print(f"couchdb (pouchdb-server): {total:,} available numbers seeded in "
                  f"{time.perf_counter() - started:.0f} s")
            for view, key in (("tree", ("*", "s:available")), ("search", ("c", "us"))):
                started = time.perf_counter()
                await built(store, view, key)
                print(f"  first query of view {view!r} (builds it): {time.perf_counter() - started:.1f} s")
            available, reserved = await write_cost(store, COUCH_BATCH, 4, total)
            await built(store, "search", ("c", "us"))  # the view catches up with the writes on this read
            print(f"  write cost (bulk write; the view is updated on the next read): {available:.3f} ms per "
                  f"available number, {reserved:.3f} ms reserved")
            await time_searches(store, repeat)
        finally:
            await store.close()
    finally:
        server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--numbers", type=int, default=1_000_000)
    parser.add_argument("--couch-numbers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    if args.numbers:
        asyncio.run(on_sqlite(args.numbers, args.repeat))
    if args.couch_numbers:
        asyncio.run(on_couch(args.couch_numbers, args.repeat))


if __name__ == "__main__":
    main()
