"""API throughput on one real server, measured side by side with wrk: rates and ratios to `{ __typename }`.

Starts `numplane serve` (one uvicorn worker, uvloop, httptools, debug off) on a SQLite store in a
temporary directory, seeds it through the API, then measures, one after another on the same server:
  { __typename }                      the floor of a GraphQL request
  numbers(first: 100) + account names a full page of a listing
  activate + release of one number    single-number transitions (each wrk thread cycles its own number)
  huntNumber (GraphQL, router key)    the hunt through GraphQL
  GET /hunt/{number}                  the lean hunt route
and prints requests/s, p50/p99 latency and each ratio to `{ __typename }` (and GET /hunt ÷ GraphQL hunt).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

import httpx

from benchmarks import wrk
from tests.support.server import Server

LIST_100 = "{ numbers(first: 100) { edges { node { e164 state account { name } } } } }"
ACTIVATE = "mutation($n: String!) { activateNumbers(input: {numbers: [{number: $n}]}) { userErrors { code } } }"
RELEASE = "mutation($n: String!) { releaseNumbers(input: {numbers: [{number: $n}]}) { userErrors { code } } }"
HUNT = "mutation($n: String!) { huntNumber(input: {number: $n}) { result { disposition } userErrors { code } } }"
ADD = (
    "mutation($n: [NumberRef!]!, $s: NumberState!, $c: String, $a: String) "
    "{ addNumbers(input: {numbers: $n, state: $s, carrier: $c, accountId: $a}) { userErrors { code } } }"
)
THREADS = 2


def body(query: str, variables: dict[str, Any] | None = None) -> str:
    return json.dumps({"query": query, "variables": variables or {}})


def gql(client: httpx.Client, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    response = client.post("/graphql", content=body(query, variables), headers={"content-type": "application/json"})
    data: dict[str, Any] = response.json()
    if response.status_code != 200 or data.get("errors"):
        raise RuntimeError(f"seeding failed: {response.status_code} {data}")
    return data["data"]


def seed(server: Server) -> str:
    """Owned numbers to list and hunt, a pool to cycle; returns a router key."""
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {server.admin_key}"}) as client:
        tenant = gql(client, 'mutation { createAccount(input: {name: "tenant"}) { account { accountId } } }')
        tenant_id = tenant["createAccount"]["account"]["accountId"]
        owned = [{"number": f"+1415555{i:04d}"} for i in range(100)]
        gql(client, ADD, {"n": owned, "s": "IN_SERVICE", "a": tenant_id})
        pool = [{"number": f"+1628555{i:04d}"} for i in range(THREADS)]
        gql(client, ADD, {"n": pool, "s": "AVAILABLE", "c": "inventory"})
        gql(client, "mutation { updateSystemConfig(input: {shouldAge: false}) { userErrors { code } } }")
        key = gql(client, 'mutation($a: String!) { createApiKey(input: {accountId: $a, role: "router"}) { key } }',
                  {"a": server_root(client)})
        router: str = key["createApiKey"]["key"]
        return router


def server_root(client: httpx.Client) -> str:
    root: str = gql(client, "{ me { accountId } }")["me"]["accountId"]
    return root


def measure(server: Server, router_key: str, seconds: int) -> dict[str, wrk.WrkResult]:
    graphql = server.url + "/graphql"
    admin = {"Authorization": f"Bearer {server.admin_key}", "Content-Type": "application/json"}
    router = {"Authorization": f"Bearer {router_key}", "Content-Type": "application/json"}
    cycles = [
        [body(ACTIVATE, {"n": f"+1628555{t:04d}"}), body(RELEASE, {"n": f"+1628555{t:04d}"})] for t in range(THREADS)
    ]
    plan: dict[str, tuple[str, dict[str, str], list[list[str]] | None, str]] = {
        "typename": (graphql, admin, [[body("{ __typename }")]], "POST"),
        "list100": (graphql, admin, [[body(LIST_100)]], "POST"),
        "cycle": (graphql, admin, cycles, "POST"),
        "hunt_graphql": (graphql, router, [[body(HUNT, {"n": "+14155550001"})]], "POST"),
        "hunt_get": (server.url + "/hunt/%2B14155550001", {"Authorization": f"Bearer {router_key}"}, None, "GET"),
    }
    results: dict[str, wrk.WrkResult] = {}
    for name, (url, headers, bodies, method) in plan.items():
        wrk.run(url, headers=headers, bodies_per_thread=bodies, method=method, seconds=1, threads=THREADS,
                connections=THREADS)  # warm caches and connections
        results[name] = wrk.run(url, headers=headers, bodies_per_thread=bodies, method=method, seconds=seconds,
                                threads=THREADS, connections=THREADS)
    return results


LABELS = {
    "typename": "{ __typename }",
    "list100": "numbers(first: 100) with account names",
    "cycle": "activate / release, one number per request",
    "hunt_graphql": "huntNumber through GraphQL",
    "hunt_get": "GET /hunt/{number}",
}


def report(results: dict[str, wrk.WrkResult]) -> str:
    base = results["typename"].requests_per_second
    lines = [f"API on one server: 1 uvicorn worker (uvloop, httptools), SQLite store, wrk -t{THREADS} -c{THREADS}"]
    for key, label in LABELS.items():
        r = results[key]
        lines.append(
            f"  {label:<44} {r.requests_per_second:8.0f} req/s  p50 {r.p50_ms:6.2f} ms  p99 {r.p99_ms:6.2f} ms"
            f"  ratio to __typename {r.requests_per_second / base:.2f}"
            + (f"  non-2xx {r.non_2xx}" if r.non_2xx else "")
        )
    lean = results["hunt_get"].requests_per_second / results["hunt_graphql"].requests_per_second
    lines.append(f"  GET /hunt ÷ GraphQL hunt: {lean:.2f}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5, help="duration of each measurement")
    args = parser.parse_args()
    if not wrk.available():
        raise SystemExit("benchmarks need wrk: apt-get install wrk")
    with tempfile.TemporaryDirectory() as scratch:
        server = Server(f"sqlite:///{Path(scratch) / 'bench.db'}", extra_env={"NUMPLANE_DEBUG": "0"})
        server.start()
        try:
            results = measure(server, seed(server), args.seconds)
        finally:
            server.stop()
    print(report(results))


if __name__ == "__main__":
    main()
