"""Racing edits of public fields (SPEC §7): how many of 20 concurrent `updateNumber` merges without
`expectedRevision` end in CONFLICT, on a real `numplane serve` over each store.

Run with `make bench` or `python -m benchmarks.merges [--races 20]`. For each store it starts the server
(and a pouchdb-server for CouchDB), activates one number, then runs `--races` times: 20 merges sent at once
over HTTP, each adding its own key. It prints the conflicts, the merges that answered OK but whose key is
missing afterwards (a lost update), and the wall time per race. The expected figure is 0 and 0.
"""

from __future__ import annotations

import argparse
import asyncio
import time

import httpx

from benchmarks.budgets import UNLIMITED_ENV
from benchmarks.stores import each_store
from tests.support.server import Server

N = "+14155550141"
WRITERS = 20
ADD = (
    'mutation($n: String!) { addNumbers(input: {numbers: [{number: $n}], state: IN_SERVICE, carrier: "inventory"})'
    " { userErrors { code } } }"
)
UPDATE = (
    "mutation($n: String!, $k: JSON!) { updateNumber(input: {number: {number: $n}, publicFields: $k}) "
    "{ userErrors { code } } }"
)
READ = "query($n: String!) { number(number: $n) { publicFields } }"


async def race(server: Server, races: int) -> tuple[int, int, float]:
    """(conflicts, lost keys, seconds per race) over `races` races of WRITERS merges."""
    headers = {"Authorization": f"Bearer {server.admin_key}"}
    limits = httpx.Limits(max_connections=WRITERS)
    async with httpx.AsyncClient(base_url=server.url, headers=headers, limits=limits, timeout=60) as client:
        added = (await client.post("/graphql", json={"query": ADD, "variables": {"n": N}})).json()
        assert added["data"]["addNumbers"]["userErrors"] == [], added
        conflicts = lost = 0
        started = time.monotonic()
        for r in range(races):
            keys = [f"r{r}w{w}" for w in range(WRITERS)]
            answers = await asyncio.gather(*(
                client.post("/graphql", json={"query": UPDATE, "variables": {"n": N, "k": {key: w}}})
                for w, key in enumerate(keys)
            ))
            landed = [key for key, a in zip(keys, answers, strict=True)
                      if a.json()["data"]["updateNumber"]["userErrors"] == []]
            conflicts += WRITERS - len(landed)
            read = await client.post("/graphql", json={"query": READ, "variables": {"n": N}})
            fields = read.json()["data"]["number"]["publicFields"]
            lost += sum(1 for key in landed if key not in fields)
        return conflicts, lost, (time.monotonic() - started) / races


def measure(label: str, store_url: str, races: int) -> None:
    server = Server(store_url, extra_env={"NUMPLANE_DB_PREFIX": "merges", **UNLIMITED_ENV})
    server.start()
    try:
        conflicts, lost, per_race = asyncio.run(race(server, races))
    finally:
        server.stop()
    total = races * WRITERS
    print(f"{label:7} {conflicts:4d} conflicts / {total} merges ({100 * conflicts / total:.1f} %), "
          f"{lost} lost, {per_race * 1000:.0f} ms per race of {WRITERS}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--races", type=int, default=20, help="races of 20 concurrent merges per store")
    args = parser.parse_args()
    for label, url in each_store():
        measure(label, url, args.races)


if __name__ == "__main__":
    main()
