"""Export and lossless import rates: `python -m benchmarks.inventory [--numbers N] [--couch URL]`.

Seeds N numbers in all nine states (owned ones under a three-level account tree) into one store, exports
them to CSV, imports that CSV into a fresh store holding the same accounts (every number created through
the create-only path), then imports it again (every number found identical, nothing written). Runs on the
embedded store, and on CouchDB when --couch names a server.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import tempfile
import time
import uuid
from pathlib import Path

from numplane.domain.states import State
from numplane.resolvers import inventory
from numplane.resolvers.context import Requester, Role, Services
from numplane.resolvers.create_only import create_numbers
from numplane.settings import Settings
from numplane.store import store_from_url
from numplane.store.base import HIGH, Db
from tests.resolvers.conftest import make_world
from tests.support.inventory import in_every_state


async def measure(label: str, source_url: str, target_url: str, total: int) -> None:
    source = store_from_url(source_url, db_prefix="b" + uuid.uuid4().hex[:10])
    target = store_from_url(target_url, db_prefix="b" + uuid.uuid4().hex[:10])
    await source.open()
    await target.open()
    try:
        world = await make_world(source)
        tree = (world.admin.id, world.reseller.id, world.child.id)
        numbers = [
            n for block in range(total // len(State))
            for n in in_every_state(tree, world.unrelated.id, prefix=f"+1{201 + block // 1000:03d}{block % 1000:03d}")
        ]
        await create_numbers(source, numbers)

        started = time.perf_counter()
        text = io.StringIO()
        write = inventory.write_csv(text)
        async for number in inventory.exported(world.services, world.admin):
            write(number)
        exported = time.perf_counter() - started

        accounts = await source.id_range(Db.ACCOUNTS, start="", end=HIGH, limit=100)
        await target.put_many(Db.ACCOUNTS, [{k: v for k, v in d.items() if k != "_rev"} for d in accounts])
        services = Services(store=target, settings=Settings(), clock=world.clock)
        admin = Requester(world.admin.account, Role.ADMIN)
        rates = []
        for _run in ("first", "again"):
            started = time.perf_counter()
            parsed = inventory.read_rows(text.getvalue(), state=State.AVAILABLE, carrier="inventory", account_id=None)
            report = await inventory.import_file(services, admin, parsed)
            assert not report.failures, report.failures[:3]
            rates.append(len(numbers) / (time.perf_counter() - started))
        print(
            f"{label}: {len(numbers)} numbers, {len(text.getvalue()) / len(numbers):.0f} bytes a row; "
            f"export {len(numbers) / exported:,.0f} rows/s; import into a fresh store {rates[0]:,.0f} rows/s; "
            f"the same file again (all identical) {rates[1]:,.0f} rows/s",
            flush=True,
        )
    finally:
        await source.close()
        await target.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--numbers", type=int, default=45_000)
    parser.add_argument("--couch", help="a CouchDB URL to measure as well")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(measure("sqlite", f"sqlite:///{Path(folder) / 'a.db'}", f"sqlite:///{Path(folder) / 'b.db'}",
                            args.numbers))
    if args.couch:
        asyncio.run(measure("couchdb", args.couch, args.couch, args.numbers))


if __name__ == "__main__":
    main()
