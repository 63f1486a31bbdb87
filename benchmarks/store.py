"""Listing pages on the embedded store with many numbers: `python -m benchmarks.store [--numbers N]`.

Seeds N numbers (default 200,000; try 1,000,000) owned by 1,000 accounts under 10 resellers, then
times pages of 50 read through the resolvers: a reseller's numbers with descendants, one account's
numbers filtered by state, the admin's numbers under a prefix, and the aging job's due numbers. Each
is an index range read, so a page should cost the same at any store size; the figure beside it is a
page from the first 1,000 numbers of the same store, for the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

from numplane.domain.accounts import Account
from numplane.domain.clock import format_time
from numplane.domain.numbers import Number
from numplane.domain.states import State
from numplane.resolvers.context import Requester, Role, Services
from numplane.resolvers.reading import list_numbers
from numplane.settings import Settings
from numplane.store import store_from_url
from numplane.store.base import HIGH, Db
from tests.resolvers.conftest import Clock
from tests.support.seeding import seed

ROOT = Account(id="0" * 32, name="root", is_admin=True, allow_additions=True)
RESELLERS = [Account(id=f"r{i:031d}", name=f"r{i}", tree=(ROOT.id,)) for i in range(10)]
ACCOUNTS = [Account(id=f"a{i:031d}", name=f"a{i}", tree=(ROOT.id, RESELLERS[i % 10].id)) for i in range(1000)]
STATES = (State.IN_SERVICE, State.RESERVED, State.IN_SERVICE, State.AGING)


def population(total: int, clock: Clock) -> Iterator[Number]:
    for i in range(total):
        owner = ACCOUNTS[i % len(ACCOUNTS)]
        state = STATES[(i // len(ACCOUNTS)) % len(STATES)]  # every account gets every state
        owned = state is not State.AGING
        yield Number(
            e164=f"+1415{i:07d}", state=state, module="inventory",
            owner=owner.id if owned else None, assigned_tree=owner.lineage if owned else (),
            previous_owner=None if owned else owner.id,
            created=clock.now, modified=clock.now, state_changed_at=clock.now,
        )


async def timed(read: Callable[[], Awaitable[object]], repeat: int = 50) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        await read()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


async def measure(total: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        store = store_from_url(f"sqlite:///{Path(directory) / 'store.db'}")
        await store.open()
        try:
            clock = Clock()
            started = time.perf_counter()
            await store.put_many(Db.ACCOUNTS, [a.to_doc() for a in (ROOT, *RESELLERS, *ACCOUNTS)])
            await seed(store, population(total, clock))
            print(f"sqlite: {total:,} numbers seeded in {time.perf_counter() - started:.0f} s; median of 50 pages")
            services = Services(store=store, settings=Settings(scheduler=False), clock=clock)
            admin, reseller = Requester(ROOT, Role.ADMIN), Requester(RESELLERS[3], Role.USER)
            account = Requester(ACCOUNTS[3], Role.USER)
            late = f"+1415{total - 2000:07d}"
            cases: dict[str, tuple[Callable[[], Awaitable[object]], Callable[[], Awaitable[object]]]] = {
                "reseller's numbers, with descendants": (
                    lambda: list_numbers(services, reseller, first=50),
                    lambda: list_numbers(services, reseller, first=50, after=_cursor(late)),
                ),
                "one account, state reserved": (
                    lambda: list_numbers(services, account, states=[State.RESERVED], first=50),
                    lambda: list_numbers(services, account, states=[State.RESERVED], first=50, after=_cursor(late)),
                ),
                "admin, prefix": (
                    lambda: list_numbers(services, admin, prefix="+14150000", first=50),
                    lambda: list_numbers(services, admin, prefix=late[:9], first=50),
                ),
                "aging job's due numbers (clock view)": (
                    lambda: store.query(Db.NUMBERS, "clock", start=("aging", ""), end=("aging", HIGH), limit=50),
                    lambda: store.query(
                        Db.NUMBERS, "clock", start=("aging", ""), end=("aging", HIGH),
                        after=("aging", format_time(clock.now), late), limit=50,
                    ),
                ),
            }
            for label, (first_page, late_page) in cases.items():
                early, deep = await timed(first_page), await timed(late_page)
                print(f"  {label:<40} first page {early:6.2f} ms   deep page {deep:6.2f} ms   ratio {deep / early:.2f}")
        finally:
            await store.close()


def _cursor(position: str) -> str:
    from numplane.resolvers.paging import encode_cursor

    return encode_cursor(position)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--numbers", type=int, default=200_000)
    asyncio.run(measure(parser.parse_args().numbers))


if __name__ == "__main__":
    main()
