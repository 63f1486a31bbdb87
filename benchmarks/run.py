"""`make bench`: every benchmark, one after another, each in its own process.

`python -m benchmarks.run [NAME ...]` runs a subset (the names of SUITES below). The jobs benchmark runs
here without its 1,000,000-number case (about three minutes of seeding); run `python -m benchmarks.jobs` for it.
"""

from __future__ import annotations

import subprocess
import sys

SUITES: dict[str, list[str]] = {
    "api": [],  # one server: __typename, listing, transitions, GraphQL hunt, GET /hunt (needs wrk)
    "couch": [],  # CouchDB store overhead beside raw requests on the same server
    "feed": [],  # mutation-to-subscriber latency and store load with 100 subscribers
    "merges": [],  # CONFLICTs among 20 concurrent updateNumber merges, on a real server per store
    "fairness": [],  # another key's p99 while one key hammers the API, with the production budgets and without
    "fanout": [],  # a trivial query's p99 idle and while 100 WebSockets x 20 subscriptions hear changes
    "couch_requests": [],  # store requests, pouchdb-server's and numplane's CPU per single-number addNumbers on CouchDB
    "stretches": [],  # the longest the event loop is held by a 1,000-number addNumbers, the hub reading it, rate limits
    "jobs": ["--skip-million"],  # job time for 1,000 due numbers among 100,000
    "idempotency": [],  # an updateNumber with an Idempotency-Key beside the same without, per store
    "inventory": [],  # export, lossless import into a fresh store, and the same import again (45,000 numbers)
    "kazoo": [],  # Kazoo import rate (100,000 documents from pouchdb-server) per store, second run, follow lag
    "ports": [],  # a port request of 1,000 numbers: submit and complete, seconds and store requests
    # filtered searchNumbers per filter kind; the sizes (1,000,000 embedded, 100,000 on CouchDB, hours of
    # seeding and view building on pouchdb-server) run with `python -m benchmarks.search`
    "search": ["--numbers", "200000", "--couch-numbers", "10000"],
    "replicas": [],  # three serve processes on one pouchdb-server: a move through A until B and C hunt it (p99)
    "store": [],  # listing pages on the embedded store with 200,000 numbers (try --numbers 1000000)
    "webhooks": [],  # mutation-to-receiver latency, events/s to one fast receiver, store requests per event
    "faults": [],  # store paused, CouchDB killed, numplane on SQLite killed, under load: acknowledged writes lost
    "request_log": [],  # the request line's cost per request, in process, with and without the middleware
    "counts": [],  # totalCount over 1,000,000 numbers on the embedded store beside a page and a document scan
    "compiled": ["--profile"],  # compiled execution beside graphql-core's executor, in process, with a cProfile
    "transitions": [],  # numplane CPU per single-number transition in-process, per store (add --profile by hand)
    "coalesced": [],  # the same with concurrent store calls merged and not, batches taking turns in one process
    "held_first": [],  # the same with numbers just written decided on unread and read first, batches taking turns
    "transition_layers": [],  # a transition's CPU through the app, GraphQL alone, the resolvers; GC per request
    "store_writes": [],  # the SQLite store's CPU, statements and log bytes per single-number transition, alone
    "shell": [],  # CPU per request of the middleware shell (GET /hunt, { __typename }, a 429) beside bare Starlette
    "hunt_floor": [],  # server CPU per GET /hunt over HTTP beside bare uvicorn answering the same GET (the floor)
}


def main() -> None:
    chosen = sys.argv[1:] or list(SUITES)
    unknown = sorted(set(chosen) - set(SUITES))
    if unknown:
        raise SystemExit(f"unknown benchmarks {unknown}; choose from {list(SUITES)}")
    for name in chosen:
        print(f"== {name}", flush=True)
        subprocess.run([sys.executable, "-m", f"benchmarks.{name}", *SUITES[name]], check=True)


if __name__ == "__main__":
    main()
