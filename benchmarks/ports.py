"""What a port request of 1,000 numbers costs: `python -m benchmarks.ports [--couch URL] [--numbers N]`.

On each store (the embedded one, and a pouchdb-server started from node_modules unless --couch names a
server) it drafts a request of N numbers with its letter of authorization, then times and counts the store
requests of the two steps the issue asks about: submitting (the numbers created in port_in, claims already
held) and completing (port_in -> in_service, the claims freed). A second run completes through the
cut-over job after the first call completed one number, to show the job's cost on top.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Awaitable
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

from benchmarks.stores import pouchdb
from numplane.domain.port_requests import Details, DocumentKind, PortRequest, PortState
from numplane.resolvers import hunt, port_requests
from numplane.resolvers.context import Requester
from numplane.settings import Settings
from numplane.store import store_from_url
from tests.resolvers.conftest import World, make_world
from tests.support.counting import CountingStore

T = TypeVar("T")
PDF = b"%PDF-1.7\n" + bytes(200_000)


async def counted(counting: CountingStore, label: str, step: Awaitable[T]) -> T:
    counting.calls.clear()
    counting.documents_read = 0
    started = time.perf_counter()
    result = await step
    took = time.perf_counter() - started
    calls = ", ".join(f"{k} {v}" for k, v in sorted(counting.calls.items()))
    print(f"  {label:34s} {took:6.2f} s  {counting.total:3d} store requests ({calls})", flush=True)
    return result


async def drafted(world: World, who: Requester, numbers: list[str]) -> PortRequest:
    details = Details(carrier_name="Old Telco", carrier_account_number="AC-1", billing_name="B",
                      service_address="1 Main St", desired_at=world.clock.now + timedelta(days=7))
    outcome = await port_requests.create_port_request(world.services, who, details, numbers)
    assert outcome.request is not None and not outcome.errors, outcome.errors[:3]
    return await port_requests.upload_document(world.services, who, outcome.request.id,
                                               DocumentKind.LETTER_OF_AUTHORIZATION, "loa.pdf", PDF)


async def move(world: World, who: Requester | None, request: PortRequest, to: PortState) -> PortRequest:
    outcome = await port_requests.move_port_request(
        world.services, who, request.id, to, scheduled_at=world.clock.now + timedelta(hours=1)
    )
    assert outcome.request is not None and not outcome.errors, outcome.errors[:3]
    return outcome.request


async def measure(label: str, url: str, prefix: str, total: int) -> None:
    inner = store_from_url(url, db_prefix=prefix)
    await inner.open()
    counting = CountingStore(inner)
    try:
        world = await make_world(counting, Settings(scheduler=False))  # type: ignore[arg-type]
        print(f"{label}: a port request of {total:,} numbers", flush=True)
        for path, base in (("admin completes", 14_155_000_000), ("first call + job", 14_156_000_000)):
            numbers = [f"+{base + i}" for i in range(total)]
            request = await counted(counting, "create draft (claims)", drafted(world, world.child, numbers))
            request = await counted(counting, "submit (numbers -> port_in)",
                                    move(world, world.child, request, PortState.SUBMITTED))
            request = await move(world, world.admin, request, PortState.PENDING)
            request = await move(world, world.admin, request, PortState.SCHEDULED)
            if path == "admin completes":
                await counted(counting, "complete by admin (-> in_service)",
                              move(world, world.admin, request, PortState.COMPLETED))
                continue
            await hunt.hunt_number(world.services, world.admin, numbers[0], None)
            world.clock.advance(hours=2)
            # CouchDB indexes a view when it is next queried: the claims written above are indexed here
            # (a live server's listings and job runs keep the index current as it goes).
            await counted(counting, "view catch-up (a listing)",
                          port_requests.list_port_requests(world.services, world.admin, first=1))
            report = await counted(counting, "cut-over job (999 left)",
                                   port_requests.complete_due(world.services, world.clock.now))
            assert report.changed == 1, report
    finally:
        await inner.close()


async def run(args: argparse.Namespace, couch_url: str | None) -> None:
    with tempfile.TemporaryDirectory() as directory:
        await measure("sqlite", f"sqlite:///{Path(directory) / 'ports.db'}", "numplane", args.numbers)
    if couch_url is not None:
        await measure("couchdb", couch_url, f"bench{int(time.time())}", args.numbers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--couch", help="CouchDB URL (default: start a pouchdb-server from node_modules)")
    parser.add_argument("--numbers", type=int, default=1000, help="numbers in the request (at most 1,000)")
    parser.add_argument("--skip-couch", action="store_true", help="only the embedded store")
    args = parser.parse_args()
    if args.couch or args.skip_couch:
        asyncio.run(run(args, args.couch))
        return
    with pouchdb() as url:
        asyncio.run(run(args, url))


if __name__ == "__main__":
    main()
