"""totalCount on the embedded store: `python -m benchmarks.counts [--numbers N]` (default 1,000,000).

Seeds N numbers straight into a SQLite store in batches (the population of benchmarks.store: 1,000
accounts under 10 resellers, every state), then times, for several listings, one page of 50 read through
the resolvers beside the listing's totalCount (the same filter counted from the index), and reports how
many documents each read. For scale, the last line counts the numbers in service by reading every
document, which is what a count without the index would cost.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import tempfile
import time
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path

from benchmarks.store import ACCOUNTS, RESELLERS, ROOT, population, timed
from numplane.domain.numbers import Number
from numplane.domain.states import State
from numplane.resolvers.context import Requester, Role, Services
from numplane.resolvers.paging import Page
from numplane.resolvers.reading import list_numbers
from numplane.settings import Settings
from numplane.store import store_from_url
from numplane.store.base import Db
from tests.resolvers.conftest import Clock
from tests.support.counting import CountingStore
from tests.support.seeding import seed


async def total_of(listing: Callable[..., Awaitable[Page[Number]]]) -> int:
    page = await listing(first=0)
    assert page.total is not None
    return await page.total()


async def measure(total: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "store.db"
        inner = store_from_url(f"sqlite:///{path}")
        await inner.open()
        store = CountingStore(inner)
        try:
            clock = Clock()
            started = time.perf_counter()
            await inner.put_many(Db.ACCOUNTS, [a.to_doc() for a in (ROOT, *RESELLERS, *ACCOUNTS)])
            await seed(inner, population(total, clock))
            print(f"sqlite: {total:,} numbers seeded in {time.perf_counter() - started:.0f} s; median of 20 reads")
            services = Services(store=store, settings=Settings(scheduler=False), clock=clock)
            admin, reseller = Requester(ROOT, Role.ADMIN), Requester(RESELLERS[3], Role.USER)
            account = Requester(ACCOUNTS[3], Role.USER)
            listings: dict[str, Callable[..., Awaitable[Page[Number]]]] = {
                "admin, every number": lambda **kw: list_numbers(services, admin, **kw),
                "admin, in service": lambda **kw: list_numbers(services, admin, states=[State.IN_SERVICE], **kw),
                "admin, in service + carrier": lambda **kw: list_numbers(
                    services, admin, states=[State.IN_SERVICE], carrier="inventory", **kw
                ),
                "admin, prefix +141500": lambda **kw: list_numbers(services, admin, prefix="+141500", **kw),
                "reseller's tree": lambda **kw: list_numbers(services, reseller, **kw),
                "one account, reserved": lambda **kw: list_numbers(services, account, states=[State.RESERVED], **kw),
            }
            for label, listing in listings.items():
                page_ms = await timed(partial(listing, first=50), repeat=20)
                count_ms = await timed(partial(total_of, listing), repeat=20)
                store.documents_read = 0
                page = await listing(first=0)
                before = store.documents_read
                assert page.total is not None
                count = await page.total()
                read = store.documents_read - before
                print(
                    f"  {label:<30} totalCount {count:>9,}  {count_ms:8.2f} ms ({read} documents read)"
                    f"   page of 50 {page_ms:6.2f} ms"
                )
            scanned, scan_ms = await scan(path)
            print(f"  {'scan of documents, in service':<30} count      {scanned:>9,}  {scan_ms:8.2f} ms "
                  f"({total:,} documents read)")
        finally:
            await inner.close()


async def scan(path: Path) -> tuple[int, float]:
    """The count the index saves (and how long it took): every number document read for its state."""

    def count() -> int:
        with sqlite3.connect(path) as conn:
            sql = "SELECT COUNT(*) FROM numbers_docs WHERE deleted = 0 AND json_extract(body, '$.pvt_state') = ?"
            return int(conn.execute(sql, ("in_service",)).fetchone()[0])

    started = time.perf_counter()
    found = await asyncio.to_thread(count)
    return found, (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--numbers", type=int, default=1_000_000)
    asyncio.run(measure(parser.parse_args().numbers))


if __name__ == "__main__":
    main()
