"""API throughput on real servers, measured side by side with wrk in one run: rates and ratios.

Starts `numplane serve` (uvloop, httptools, debug off) on a SQLite store in a temporary directory, seeds it
through the API (10,000 numbers held by the root, a reseller and two children with 100 each, a pool to
cycle), then measures with 16 keep-alive clients (five of them interleaved, see below):
  { __typename }                            the floor of a GraphQL request
  me { numbers(first: 100) … }              a page of a listing with the owners' names
  the same page with ten fields             carrier features publicFields modifiedAt history(last: 3) added
  account(accountId).numbers                a reseller's page, its descendants' numbers included
  activate + release of one number          single-number transitions (each client cycles its own number)
  huntNumber (GraphQL, router key)          the hunt through GraphQL
  GET /hunt/{number}                        the lean hunt route
beside a bare strawberry app (benchmarks/bare.py: the same page shape from memory, parser and validation
caches, on uvicorn) serving both pages, beside the same numplane with `--workers 2` (page and hunt), and
beside numplane on pouchdb-server (transitions, with numplane's process CPU per transition on each store).
The machine is shared and noisy: only the ratios of one run mean anything. The rows whose ratios issue 18
sets targets for ({ __typename }, the GraphQL hunt, GET /hunt, the page and the transitions) run interleaved
on the one server, in short rounds after a warm-up (`--rounds` rounds of `--round-seconds`, A B C D E A B C
D E ...), so a neighbour's burst lands on every row alike; each ratio is the median of the rounds' ratios,
with their range. A row's rate is its median round. Each run also reads the server's CPU per request (and the
bare app's), and the report gives the same ratios from those: with wrk on the same two cores the rates move
with how the cores are handed out, the CPU a request costs far less. `--only ratios` runs the interleaved
rows alone (no bare app, no second worker, no CouchDB).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from benchmarks import wrk
from benchmarks.budgets import UNLIMITED_ENV
from benchmarks.figures import Column, cpu_seconds, table
from benchmarks.seeding import gql
from tests.support.couch import CouchServer
from tests.support.server import Server, free_port

PAGE_FIELDS = "e164 state account { name }"
TEN_FIELDS = PAGE_FIELDS + " carrier features publicFields modifiedAt history(last: 3) { action at }"
PAGE_INFO = "pageInfo { hasNextPage endCursor }"
PAGE = f"{{ me {{ numbers(first: 100) {{ edges {{ node {{ {PAGE_FIELDS} }} }} {PAGE_INFO} }} }} }}"
PAGE_TEN = f"{{ me {{ numbers(first: 100) {{ edges {{ node {{ {TEN_FIELDS} }} }} {PAGE_INFO} }} }} }}"
RESELLER_PAGE = (
    "query($a: String!) { account(accountId: $a) "
    f"{{ numbers(first: 100) {{ edges {{ node {{ {PAGE_FIELDS} }} }} {PAGE_INFO} }} }} }}"
)
ACTIVATE = "mutation($n: String!) { activateNumbers(input: {numbers: [{number: $n}]}) { userErrors { code } } }"
RELEASE = "mutation($n: String!) { releaseNumbers(input: {numbers: [{number: $n}]}) { userErrors { code } } }"
RELEASE_POOL = "mutation($n: [NumberRef!]!) { releaseNumbers(input: {numbers: $n}) { numbers { e164 } } }"
HUNT = "mutation($n: String!) { huntNumber(input: {number: $n}) { result { disposition } userErrors { code } } }"
ADD = (
    "mutation($n: [NumberRef!]!, $s: NumberState!, $c: String, $a: String) "
    "{ addNumbers(input: {numbers: $n, state: $s, carrier: $c, accountId: $a}) { userErrors { code } } }"
)
CLIENTS = 16  # keep-alive connections
THREADS = 2  # wrk threads for stateless requests
HELD = 10_000
POOL = [f"+1628555{t:04d}" for t in range(CLIENTS)]
# The rows issue 18's ratios are taken between, measured in turns on one server (see `interleaved`).
INTERLEAVED = ("typename", "hunt_graphql", "hunt_get", "page", "cycle")


def body(query: str, variables: dict[str, Any] | None = None) -> str:
    return json.dumps({"query": query, "variables": variables or {}})


def admin_client(server: Server) -> httpx.Client:
    return httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {server.admin_key}"}, timeout=120)


def add(client: httpx.Client, numbers: list[str], state: str, account: str | None, carrier: str | None = None) -> None:
    for start in range(0, len(numbers), 1000):
        refs = [{"number": n} for n in numbers[start:start + 1000]]
        result = gql(client, ADD, {"n": refs, "s": state, "a": account, "c": carrier})
        if result["addNumbers"]["userErrors"]:
            raise RuntimeError(f"seeding failed: {result['addNumbers']['userErrors'][:3]}")


def create_account(client: httpx.Client, name: str, parent: str | None = None) -> str:
    created = gql(client, "mutation($n: String!, $p: String) { createAccount(input: {name: $n, parentAccountId: $p})"
                  " { account { accountId } } }", {"n": name, "p": parent})
    account_id: str = created["createAccount"]["account"]["accountId"]
    return account_id


def seed_pool(client: httpx.Client) -> None:
    add(client, POOL, "AVAILABLE", None, "inventory")
    gql(client, "mutation { updateSystemConfig(input: {shouldAge: false}) { userErrors { code } } }")


def seed(server: Server) -> tuple[str, str]:
    """Numbers held by the root, a reseller with descendants, a pool to cycle; returns (router key, reseller)."""
    with admin_client(server) as client:
        root = gql(client, "{ me { accountId } }")["me"]["accountId"]
        add(client, [f"+1415555{i:04d}" for i in range(HELD)], "IN_SERVICE", root)
        reseller = create_account(client, "reseller")
        add(client, [f"+1212555{i:04d}" for i in range(100)], "IN_SERVICE", reseller)
        for c, area in enumerate(("312", "646")):
            child = create_account(client, f"customer {c}", reseller)
            add(client, [f"+1{area}555{i:04d}" for i in range(100)], "IN_SERVICE", child)
        seed_pool(client)
        key = gql(client, 'mutation($a: String!) { createApiKey(input: {accountId: $a, role: "router"}) { key } }',
                  {"a": root})
        router: str = key["createApiKey"]["key"]
        return router, reseller


Plan = tuple[str, dict[str, str], list[list[str]] | None, str]


def plans(url: str, admin_key: str, router_key: str, reseller: str) -> dict[str, Plan]:
    graphql = url + "/graphql"
    admin = {"Authorization": f"Bearer {admin_key}", "Content-Type": "application/json"}
    router = {"Authorization": f"Bearer {router_key}", "Content-Type": "application/json"}
    return {
        "typename": (graphql, admin, [[body("{ __typename }")]], "POST"),
        "page": (graphql, admin, [[body(PAGE)]], "POST"),
        "page_ten": (graphql, admin, [[body(PAGE_TEN)]], "POST"),
        "reseller": (graphql, admin, [[body(RESELLER_PAGE, {"a": reseller})]], "POST"),
        "cycle": (graphql, admin, [[body(ACTIVATE, {"n": n}), body(RELEASE, {"n": n})] for n in POOL], "POST"),
        "hunt_graphql": (graphql, router, [[body(HUNT, {"n": "+14155550001"})]], "POST"),
        "hunt_get": (url + "/hunt/%2B14155550001", {"Authorization": f"Bearer {router_key}"}, None, "GET"),
    }


def run(plan: Plan, seconds: int) -> wrk.WrkResult:
    return _measured(plan, seconds, None)[0]


def run_with_cpu(server: Server, plan: Plan, seconds: int, warm_up: bool = True) -> tuple[wrk.WrkResult, float]:
    """The wrk result and the server's CPU milliseconds per request during it."""
    assert server.process is not None
    result, used = _measured(plan, seconds, server.process.pid, warm_up)
    return result, 1000 * used / max(1, result.requests)


Run = tuple[wrk.WrkResult, float]  # a wrk result and the server's CPU milliseconds per request during it


def interleaved(server: Server, named: dict[str, Plan], rounds: int, seconds: int) -> dict[str, list[Run]]:
    """Each plan warmed up once, then `rounds` rounds of `seconds` in which the plans take turns (A B C A B C
    ...): per plan, its run of each round. Whatever the shared machine does during a round, every plan of
    that round met about the same, so the ratios within a round hold where whole runs one after another
    (seconds apart) swung past the differences being measured."""
    for plan in named.values():
        _measured(plan, 1, None, warm_up=False)
    runs: dict[str, list[Run]] = {name: [] for name in named}
    for _round in range(rounds):
        for name, plan in named.items():
            runs[name].append(run_with_cpu(server, plan, seconds, warm_up=False))
    return runs


def median_run(runs: list[Run]) -> Run:
    """The run of median rate (the lower of the two middle ones), and the median CPU per request."""
    by_rate = sorted(runs, key=lambda run: run[0].requests_per_second)
    return by_rate[(len(by_rate) - 1) // 2][0], statistics.median(cpu for _result, cpu in runs)


@dataclass(frozen=True)
class Spread:
    """A ratio taken within each round: its median and its range over the rounds; `fastest`, for a ratio of
    CPU, the ratio of the two rows' lowest CPU per request (the rounds least disturbed by the neighbours:
    their noise only ever adds CPU)."""

    median: float
    low: float
    high: float
    fastest: float | None = None

    @classmethod
    def of(cls, ratios: list[float], fastest: float | None = None) -> Spread:
        return cls(statistics.median(ratios), min(ratios), max(ratios), fastest)

    def __str__(self) -> str:
        return f"{self.low:.2f}-{self.high:.2f}"


def rate_spread(rounds: dict[str, list[Run]], name: str, to: str) -> Spread:
    """`name`'s rate ÷ `to`'s, round by round."""
    return Spread.of([a[0].requests_per_second / b[0].requests_per_second
                      for a, b in zip(rounds[name], rounds[to], strict=True)])


def cpu_spread(rounds: dict[str, list[Run]], name: str, to: str) -> Spread:
    """The same ratio from the server's CPU per request: `to`'s CPU ÷ `name`'s, round by round."""
    return Spread.of([b[1] / a[1] for a, b in zip(rounds[name], rounds[to], strict=True)],
                     min(cpu for _r, cpu in rounds[to]) / min(cpu for _r, cpu in rounds[name]))


def _measured(plan: Plan, seconds: int, pid: int | None, warm_up: bool = True) -> tuple[wrk.WrkResult, float]:
    """A second of warm-up (caches, connections) unless told otherwise, then the measured run; with `pid`,
    that process's CPU seconds during the measured run alone."""
    url, headers, bodies, method = plan
    # Each client cycles its own number, so a transition never meets another client's on the same number.
    cycling = bodies is not None and len(bodies) > 1
    threads = CLIENTS if cycling else THREADS
    result, used = None, 0.0
    for duration, measured in ((1, False), (seconds, True))[0 if warm_up else 1:]:
        if cycling:
            settle_pool(plan)
        before = cpu_seconds(pid) if measured and pid is not None else 0.0
        result = wrk.run(url, headers=headers, bodies_per_thread=bodies, method=method, seconds=duration,
                         threads=threads, connections=CLIENTS)
        if measured and pid is not None:
            used = cpu_seconds(pid) - before
    assert result is not None
    return result, used


def settle_pool(plan: Plan) -> None:
    """Every pool number available again before a run: wrk stops its clients mid-cycle, and a client whose
    number was left active would start the next run with activates that fail (cheap userErrors that
    were counted as transitions)."""
    url, headers, _bodies, _method = plan
    refs = [{"number": n} for n in POOL]
    with httpx.Client(headers=headers, timeout=120) as client:
        while True:
            time.sleep(0.2)  # requests still in flight when wrk stopped land first
            answer = client.post(url, content=body(RELEASE_POOL, {"n": refs})).json()
            if not answer["data"]["releaseNumbers"]["numbers"]:
                return


@contextmanager
def serving(store: str, **kwargs: Any) -> Iterator[Server]:
    server = Server(store, extra_env={"NUMPLANE_DEBUG": "0", **UNLIMITED_ENV}, **kwargs)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def benchmark_process(module: str, *args: str, ready: Callable[[str], object]) -> Iterator[tuple[str, int]]:
    """`python -m module --port P *args` started beside numplane (the bare app, the hunt's floor): its URL and
    process id once `ready(url)` answers over HTTP."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", module, "--port", str(port), *args],
                               cwd=Path(__file__).resolve().parents[1])
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                ready(url)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield url, process.pid
    finally:
        process.terminate()
        process.wait(timeout=10)


def bare_app() -> AbstractContextManager[tuple[str, int]]:
    """The bare app's URL and process id."""
    return benchmark_process(
        "benchmarks.bare", ready=lambda url: httpx.post(url + "/graphql", json={"query": "{ __typename }"}, timeout=1)
    )


def measure(seconds: int, rounds: int, round_seconds: int, only_ratios: bool = False, workers: bool = True,
            couch: bool = True) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as scratch:
        store = f"sqlite:///{Path(scratch) / 'bench.db'}"
        with serving(store) as server:
            router, reseller = seed(server)
            admin_key = server.admin_key
            named = plans(server.url, admin_key, router, reseller)
            results["rounds"] = interleaved(server, {name: named[name] for name in INTERLEAVED}, rounds, round_seconds)
            for name, runs in results["rounds"].items():
                results[name], results[f"{name}_cpu_ms"] = median_run(runs)
            if only_ratios:
                return results
            for name in ("page_ten", "reseller"):
                results[name], results[f"{name}_cpu_ms"] = run_with_cpu(server, named[name], seconds)
        with bare_app() as (url, pid):
            bare = plans(url, "", "", "")
            for name in ("page", "page_ten"):
                results[f"bare_{name}"], cpu = _measured(bare[name], seconds, pid)
                results[f"bare_{name}_cpu_ms"] = cpu * 1000 / max(1, results[f"bare_{name}"].requests)
        if workers:
            with serving(store, args=("--workers", "2")) as server:
                two = plans(server.url, admin_key, router, reseller)
                for name in ("typename", "page", "hunt_graphql"):
                    results[f"workers2_{name}"] = run(two[name], seconds)
    if couch:
        couch_server = CouchServer()
        couch_server.start()
        try:
            with serving(couch_server.url) as server:
                with admin_client(server) as client:
                    seed_pool(client)
                on_couch = plans(server.url, server.admin_key, "", "")
                results["couch_typename"] = run(on_couch["typename"], seconds)
                results["couch_cycle"], results["couch_cycle_cpu_ms"] = run_with_cpu(server, on_couch["cycle"],
                                                                                      seconds)
        finally:
            couch_server.close()
    return results


def measure_transitions(seconds: int, rounds: int) -> dict[str, list[tuple[wrk.WrkResult, float]]]:
    """Only the transitions, on both stores at once, the runs alternating between them so the shared
    machine's noise hits both alike: per store, (wrk result, numplane CPU ms per transition) of each round."""
    figures: dict[str, list[tuple[wrk.WrkResult, float]]] = {"SQLite": [], "CouchDB": []}
    with tempfile.TemporaryDirectory() as scratch, CouchServer() as couch_server, \
            serving(f"sqlite:///{Path(scratch) / 'bench.db'}") as embedded, serving(couch_server.url) as on_couch:
        cycles = []
        for name, server in (("SQLite", embedded), ("CouchDB", on_couch)):
            with admin_client(server) as client:
                seed_pool(client)
            cycles.append((name, server, plans(server.url, server.admin_key, "", "")["cycle"]))
        for _ in range(rounds):
            for name, server, plan in cycles:
                figures[name].append(run_with_cpu(server, plan, seconds))
    return figures


def transitions_report(figures: dict[str, list[tuple[wrk.WrkResult, float]]]) -> str:
    rounds = len(figures["SQLite"])
    columns = [Column("CPU per transition", 20, left=True),
               *(Column(f"round {i + 1}", 18) for i in range(rounds)), Column("median", 10, ".2f", " ms")]
    medians = {name: statistics.median(cpu for _result, cpu in runs) for name, runs in figures.items()}
    rows: list[list[object]] = [
        [name, *(f"{cpu:.2f} ms ({result.requests_per_second:.0f}/s)" for result, cpu in runs), medians[name]]
        for name, runs in figures.items()
    ]
    ratios = [couch / embedded for (_r, embedded), (_c, couch) in zip(figures["SQLite"], figures["CouchDB"],
                                                                       strict=True)]
    rows.append(["CouchDB ÷ SQLite", *(f"{ratio:.2f}x" for ratio in ratios),
                 f"{medians['CouchDB'] / medians['SQLite']:.2f}x"])
    return "\n".join([
        f"numplane CPU per single-number transition over HTTP ({CLIENTS} clients, activate then release)",
        table(columns, rows), "issue 18: CouchDB at most 1.3x the SQLite store's",
    ])


RATES = (Column("", 52, left=True), Column("req/s", 9, ".0f"), Column("p50", 11, ".2f", " ms"),
         Column("p99", 12, ".2f", " ms"), Column("non-2xx", 9), Column("ratio", 7, ".2f"), Column("rounds", 11),
         Column("", 20, left=True))


def rates(rows: list[tuple[str, wrk.WrkResult, float | Spread, str]]) -> str:
    """(label, result, ratio, what the ratio is to) per line; a ratio taken round by round shows its range."""
    return table(RATES, [(label, r.requests_per_second, r.p50_ms, r.p99_ms, r.non_2xx or "", _median(ratio),
                          _range(ratio), f"  {to}") for label, r, ratio, to in rows])


def _median(ratio: float | Spread) -> float:
    return ratio.median if isinstance(ratio, Spread) else ratio


def _range(ratio: float | Spread) -> str:
    return str(ratio) if isinstance(ratio, Spread) else ""


def _fastest(ratio: float | Spread) -> str:
    return f"{ratio.fastest:.2f}" if isinstance(ratio, Spread) and ratio.fastest is not None else ""


CPU = (Column("", 52, left=True), Column("CPU/request", 13, ".0f", " µs"), Column("ratio", 8, ".2f"),
       Column("rounds", 11), Column("fastest", 9), Column("", 30, left=True))


def by_cpu(results: dict[str, Any]) -> str:
    """The same ratios from the server's CPU per request (the rate ratio if the server alone had a core):
    steadier than the rates, which move with how the shared cores are handed between wrk and the server.
    A row's CPU is its median round's; `fastest` is the ratio of the rows' fastest rounds."""
    rounds: dict[str, list[Run]] = results["rounds"]

    def cpu(key: str) -> float:
        value: float = results[f"{key}_cpu_ms"] * 1000
        return value

    rows: list[tuple[str, float, float | Spread, str]] = [
        ("{ __typename }", cpu("typename"), 1.0, "__typename ÷ it"),
        ("me.numbers(first: 100) with account names", cpu("page"), cpu_spread(rounds, "page", "typename"),
         "__typename ÷ it"),
        ("huntNumber through GraphQL", cpu("hunt_graphql"), cpu_spread(rounds, "hunt_graphql", "typename"),
         "__typename ÷ it"),
        ("GET /hunt/{number}", cpu("hunt_get"), cpu_spread(rounds, "hunt_get", "hunt_graphql"), "GraphQL hunt ÷ it"),
        ("activate / release, one number per request", cpu("cycle"), cpu_spread(rounds, "cycle", "typename"),
         "__typename ÷ it"),
    ]
    if "bare_page" in results:
        rows[2:2] = [
            ("me.numbers(first: 100), bare app", cpu("bare_page"), cpu("bare_page") / cpu("page"), "bare ÷ numplane"),
            ("the same page, ten fields", cpu("page_ten"), cpu("bare_page_ten") / cpu("page_ten"), "bare ÷ numplane"),
        ]
    return "By the server's CPU per request (same runs)\n" + table(
        CPU, [(label, us, _median(ratio), _range(ratio), _fastest(ratio), f"  {to}") for label, us, ratio, to in rows])


def report(results: dict[str, Any]) -> str:
    rounds: dict[str, list[Run]] = results["rounds"]
    base = results["typename"].requests_per_second

    def rate(key: str) -> float:
        value: float = results[key].requests_per_second
        return value

    lines = [f"API, one numplane worker (uvloop, httptools), SQLite store, {HELD:,} numbers held, {CLIENTS} clients; "
             f"{', '.join(INTERLEAVED)} interleaved in {len(rounds['typename'])} rounds (ratios: median of the "
             f"rounds', their range beside)"]
    labels = {
        "typename": "{ __typename }",
        "page": "me.numbers(first: 100) with account names",
        "page_ten": "the same page, ten fields",
        "reseller": "account(reseller).numbers(first: 100), descendants",
        "cycle": "activate / release, one number per request",
        "hunt_graphql": "huntNumber through GraphQL",
        "hunt_get": "GET /hunt/{number}",
    }
    lines.append(rates([
        (label, results[key], rate_spread(rounds, key, "typename") if key in rounds and key != "typename"
         else rate(key) / base,
         "÷ __typename")
        for key, label in labels.items() if key in results
    ]))
    hunt_lead = rate_spread(rounds, "hunt_get", "hunt_graphql")
    lines.append(f"  GET /hunt ÷ GraphQL hunt: {hunt_lead.median:.2f} (rounds {hunt_lead})")
    if "bare_page" not in results:
        lines.append(by_cpu(results))
        return "\n".join(lines)
    lines.append("Beside a bare strawberry app (same page shape, 100 objects from memory, parser + validation caches)")
    lines.append(rates([
        ("bare page", results["bare_page"], rate("page") / rate("bare_page"), "numplane ÷ bare"),
        ("bare page, ten fields", results["bare_page_ten"], rate("page_ten") / rate("bare_page_ten"),
         "numplane ÷ bare"),
    ]))
    if "workers2_page" in results:
        lines.append("numplane serve --workers 2 on the same store")
        lines.append(rates([(f"{labels[name]}, 2 workers", results[f"workers2_{name}"],
                             rate(f"workers2_{name}") / rate(name), "÷ 1 worker")
                            for name in ("typename", "page", "hunt_graphql")]))
    lines.append(f"  numplane CPU per transition, SQLite: {results['cycle_cpu_ms']:.2f} ms")
    lines.append(by_cpu(results))
    if "couch_cycle" in results:
        lines.append("numplane on pouchdb-server (same machine)")
        lines.append(rates([("activate / release on CouchDB", results["couch_cycle"],
                             rate("couch_cycle") / rate("couch_typename"), "÷ __typename")]))
        lines.append(f"  numplane CPU per transition, CouchDB: {results['couch_cycle_cpu_ms']:.2f} ms"
                     f" ({results['couch_cycle_cpu_ms'] / results['cycle_cpu_ms']:.2f}x the SQLite store's)")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5, help="duration of each measurement not interleaved")
    parser.add_argument("--rounds", type=int,
                        help="rounds of the interleaved rows, default 4 (with --only transitions: runs per store, 3)")
    parser.add_argument("--round-seconds", type=int, default=2, help="duration of each interleaved run")
    parser.add_argument("--no-workers", action="store_true", help="skip the --workers 2 comparison")
    parser.add_argument("--no-couch", action="store_true", help="skip the transitions on pouchdb-server")
    parser.add_argument("--only", choices=["ratios", "transitions"],
                        help="ratios: the interleaved rows alone; transitions: numplane's CPU per transition on "
                             "each store, runs alternating")
    args = parser.parse_args()
    if not wrk.available():
        raise SystemExit("benchmarks need wrk: apt-get install wrk")
    if args.only == "transitions":
        print(transitions_report(measure_transitions(args.seconds, args.rounds or 3)))
        return
    print(report(measure(args.seconds, args.rounds or 4, args.round_seconds, only_ratios=args.only == "ratios",
                         workers=not args.no_workers, couch=not args.no_couch)))


if __name__ == "__main__":
    main()
