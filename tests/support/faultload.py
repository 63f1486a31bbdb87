"""A bounded mixed load of mutations through a real `numplane serve`, with a store fault in the middle of it
(issue 15); write_audit.py then checks the store against what the API acknowledged.

Each client owns its own numbers and sends one request at a time, so the order of its acknowledgements is
the order of its writes: the per-number log (`Ledger`) is then exact, and "later acknowledged changes win"
needs no guess about which of two racing requests landed last. The mix walks every number round the
lifecycle with the admin key: add (available), reserve, activate, edit public fields, release, return.

An attempt is *acknowledged* when the API answered HTTP 200 with the number in the payload and no
userError for it; the write it made is then identified in the store by its history entry (the entry's
`at` is the number's `modifiedAt` in the answer). Anything else - a STORE_UNAVAILABLE userError, a 503, a
dropped connection - is unacknowledged: it may or may not have been written, and both are fine.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from numplane.domain.states import State
from tests.support.couch import CouchServer
from tests.support.server import Server

FIELDS = "e164 state modifiedAt publicFields"
ADD = (
    "mutation($n: [NumberRef!]!) { addNumbers(input: {numbers: $n, state: AVAILABLE, carrier: \"inventory\"})"
    f" {{ numbers {{ {FIELDS} }} userErrors {{ code number }} }} }}"
)
MOVES = {
    action: f"mutation($n: [NumberRef!]!) {{ {field}(input: {{numbers: $n}})"
    f" {{ numbers {{ {FIELDS} }} userErrors {{ code number }} }} }}"
    for action, field in (("reserve", "reserveNumbers"), ("activate", "activateNumbers"),
                          ("release", "releaseNumbers"), ("return", "returnNumbers"))
}
UPDATE = (
    "mutation($n: NumberRef!, $p: JSON!) { updateNumber(input: {number: $n, publicFields: $p})"
    f" {{ number {{ {FIELDS} }} userErrors {{ code number }} }} }}"
)
READ = "query($n: String!) { number(number: $n) { state } }"

NEXT = {  # the move each client makes next from a number's state
    State.AVAILABLE: "reserve",
    State.RESERVED: "activate",
    State.IN_SERVICE: "update",  # then "release" (see Client._choose)
    State.AGING: "return",
    State.RELEASED: "return",
}


@dataclass
class Attempt:
    number: str
    action: str
    started: float  # time.monotonic()
    answered: float = 0.0
    acked: bool = False
    state: str | None = None  # what the acknowledgement reported
    at: datetime | None = None  # its modifiedAt: the `at` of the write's history entry
    public: dict[str, Any] | None = None
    status: int | None = None  # HTTP status, None when the connection failed
    error: str | None = None  # the userError code or the failure, when not acknowledged


@dataclass
class Ledger:
    """Every attempt in the order each client made it, per number."""

    by_number: dict[str, list[Attempt]] = field(default_factory=dict)
    statuses: Counter[str] = field(default_factory=Counter)

    def add(self, attempt: Attempt) -> None:
        self.by_number.setdefault(attempt.number, []).append(attempt)
        self.statuses[str(attempt.status) if attempt.status is not None else "no answer"] += 1

    @property
    def attempts(self) -> list[Attempt]:
        return [a for log in self.by_number.values() for a in log]

    @property
    def acknowledged(self) -> list[Attempt]:
        return [a for a in self.attempts if a.acked]

    async def acknowledgements(self, count: int, *, after: float = 0.0) -> None:
        """Wait until `count` writes answered after `after` were acknowledged: the load is doing work (a
        busy machine makes seconds a poor measure of that)."""
        while sum(1 for a in self.acknowledged if a.answered >= after) < count:
            await asyncio.sleep(0.05)

    def first_ack_after(self, moment: float) -> float | None:
        """How long after `moment` the first acknowledgement arrived (None: none did)."""
        later = [a.answered for a in self.acknowledged if a.answered >= moment]
        return min(later) - moment if later else None


class Client:
    """One of the load's clients: its own numbers, one request at a time."""

    def __init__(self, http: httpx.AsyncClient, numbers: list[str], ledger: Ledger) -> None:
        self.http = http
        self.numbers = numbers
        self.ledger = ledger
        self.known: dict[str, State | None] = dict.fromkeys(numbers)  # None: to be read (or added)
        self.edits = itertools.count()
        self.edited: set[str] = set()

    async def run(self, stop: asyncio.Event) -> None:
        for number in itertools.cycle(self.numbers):
            if stop.is_set():
                return
            await self.step(number)

    async def step(self, number: str) -> None:
        state = self.known[number]
        if state is None and not await self._resync(number):
            await asyncio.sleep(0.05)  # the store (or the server) is away: do not spin
            return
        action = self._choose(number)
        attempt = Attempt(number, action, time.monotonic())
        try:
            response = await self._send(number, action)
        except httpx.HTTPError as exc:
            attempt.error = type(exc).__name__
        else:
            attempt.status = response.status_code
            self._read(attempt, response)
        attempt.answered = time.monotonic()
        self.ledger.add(attempt)
        self.known[number] = State(attempt.state) if attempt.acked and attempt.state else None
        if action == "update" and attempt.acked:
            self.edited.add(number)
        elif action != "update":
            self.edited.discard(number)
        if not attempt.acked:
            await asyncio.sleep(0.05)

    def _choose(self, number: str) -> str:
        state = self.known[number]
        if state is None:
            return "add"
        if state is State.IN_SERVICE and number in self.edited:
            return "release"
        return NEXT[state]

    async def _resync(self, number: str) -> bool:
        """Learn a number's state after an answer that did not tell it; False if it cannot be read now."""
        try:
            response = await self.http.post("/graphql", json={"query": READ, "variables": {"n": number}})
            body = response.json()
        except (httpx.HTTPError, ValueError):
            return False
        self.ledger.statuses[str(response.status_code)] += 1
        if response.status_code != 200 or body.get("errors"):
            return False
        found = body["data"]["number"]
        self.known[number] = State(found["state"].lower()) if found else None  # a missing one is added next
        return True

    async def _send(self, number: str, action: str) -> httpx.Response:
        ref = {"number": number}
        if action == "add":
            return await self.http.post("/graphql", json={"query": ADD, "variables": {"n": [ref]}})
        if action == "update":
            edit = {"load": next(self.edits)}
            return await self.http.post("/graphql", json={"query": UPDATE, "variables": {"n": ref, "p": edit}})
        return await self.http.post("/graphql", json={"query": MOVES[action], "variables": {"n": [ref]}})

    def _read(self, attempt: Attempt, response: httpx.Response) -> None:
        try:
            body = response.json()
        except ValueError:
            attempt.error = "not JSON"
            return
        if response.status_code != 200 or body.get("errors") or not body.get("data"):
            attempt.error = str((body.get("errors") or [{}])[0].get("extensions", {}).get("code"))
            return
        (payload,) = body["data"].values()
        found = [payload["number"]] if "number" in payload else payload["numbers"]
        mine = [n for n in found if n and n["e164"] == attempt.number]
        refused = [e["code"] for e in payload["userErrors"] if e.get("number") in (None, attempt.number)]
        if refused or not mine:
            attempt.error = refused[0] if refused else "missing from the payload"
            return
        attempt.acked = True
        attempt.state = mine[0]["state"].lower()
        attempt.at = datetime.fromisoformat(mine[0]["modifiedAt"])
        attempt.public = mine[0]["publicFields"]


async def run_load(
    url: str, key: str, numbers: list[str], stop: asyncio.Event, ledger: Ledger, *, clients: int = 8
) -> Ledger:
    """Drive `clients` clients over `numbers` (dealt out among them) until `stop` is set."""
    headers = {"Authorization": f"Bearer {key}"}
    # Long enough to outlast a paused store: an answer that comes late is still an answer.
    timeout = httpx.Timeout(60.0, connect=5.0)
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=timeout) as http:
        workers = [Client(http, numbers[i::clients], ledger) for i in range(clients)]
        await asyncio.gather(*(w.run(stop) for w in workers))
    return ledger


Fault = Callable[[], Awaitable[None]]


async def under_load(
    url: str, key: str, numbers: list[str], fault: Fault, *, acks: int, seconds: float = 0.0, wait: float = 120.0
) -> tuple[Ledger, float]:
    """Load, `fault` in the middle of it, load again; (the ledger, when the fault ended). Each side of the
    fault lasts until `acks` writes were acknowledged and `seconds` passed (`wait` at most: then it fails)."""
    stop, ledger = asyncio.Event(), Ledger()
    load = asyncio.create_task(run_load(url, key, numbers, stop, ledger))
    try:
        started = time.monotonic()
        await asyncio.wait_for(ledger.acknowledgements(acks), wait)
        await asyncio.sleep(max(0.0, started + seconds - time.monotonic()))
        await fault()
        ended = time.monotonic()
        # Recovered, and loaded again: writes made after the fault are audited too.
        await asyncio.wait_for(ledger.acknowledgements(acks, after=ended), wait)
        await asyncio.sleep(max(0.0, ended + seconds - time.monotonic()))
    finally:
        stop.set()
        await load
    return ledger, ended


def pause(couch: CouchServer, seconds: float) -> Fault:
    """pouchdb-server stalls (SIGSTOP) for `seconds`, then runs on (SIGCONT)."""

    async def fault() -> None:
        couch.pause()
        try:
            await asyncio.sleep(seconds)
        finally:
            couch.resume()

    return fault


def crash_couch(couch: CouchServer, down: float = 0.5) -> Fault:
    """pouchdb-server killed (SIGKILL) mid-load, and started again on its data after `down` seconds."""

    async def fault() -> None:
        couch.kill()
        await asyncio.sleep(down)
        await asyncio.to_thread(couch.start)

    return fault


def crash_numplane(server: Server) -> Fault:
    """The numplane process (holding the SQLite file) killed with SIGKILL, and started again on it."""

    async def fault() -> None:
        assert server.process is not None
        server.process.kill()
        server.process.wait()
        server.process = None
        await asyncio.to_thread(server.start)

    return fault
