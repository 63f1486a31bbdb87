"""Delivering subscription results to many WebSockets without starving everyone else on the event loop.

Three pieces, each bounding one cost of a change that many subscribers hear of:
  Broadcasts  one execution of a subscription per distinct shape (document, variables, operation name and
              the requester's visibility: account and role), its every result encoded to JSON once and
              handed to each follower as text. A hundred identical subscriptions cost one. The broadcasts
              take turns handing results out: at most MEMBERS_PER_TURN followers per turn of the loop.
  Outbox      each WebSocket's bounded queue of text messages and the one task that writes them, several
              at a time. A client that does not read fills only its own queue, and is closed when that
              is full.
  Pacer       a process-wide budget of WebSocket messages per turn of the event loop: a burst of deliveries
              is spread over many turns, and an HTTP request waiting in between waits for a few messages,
              not for the whole burst. It counts messages, not writes: a write carries up to
              MESSAGES_PER_WRITE of them, and a turn stays as short as its budget however they are batched.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLError, GraphQLFormattedError

from numplane.web import json_body
from numplane.web.ws_protocol import Text

log = logging.getLogger(__name__)

MEMBERS_PER_TURN = 64
"""Followers handed a result per turn of the event loop, by every broadcast together: ten broadcasts each
handing out 64 in the same turn held it for ~8 ms (asyncio's loop) while another tenant's request waited."""
MESSAGES_PER_WRITE = 32  # messages one WebSocket writes in one go: bounds a turn's work and a write's size


class Pacer:
    """At most `per_turn` messages per turn of the event loop; the others wait, first come first served.

    A writer asks for the messages it has waiting (`turn(wanted)`) and is granted at least one, at most what
    is left of the turn's budget: one grant, one wake-up and one write for a connection's batch, where each
    message used to wait for a grant of its own.

    While an HTTP request is being served (`serving`), a turn grants only `per_turn_serving` messages: each
    step of the request (reading, executing, answering) waits for one turn, so with a small budget it waits
    behind a few messages rather than a whole turn's worth. Under steady HTTP traffic deliveries then crawl,
    and the shared machine showed no gain in the fan-out benchmark, so the process default keeps `per_turn`.

    A long burst also rests: after each `slice` seconds of turns it pauses so that sending takes at most
    `share` of the time. On a busy machine a process that never idles waits for the CPU behind everything
    else, and every request it serves with it; resting keeps it responsive."""

    def __init__(
        self, per_turn: int, *, share: float = 1.0, slice: float = 0.005, per_turn_serving: int | None = None
    ) -> None:
        self.per_turn = per_turn
        self.per_turn_serving = min(per_turn, per_turn_serving or per_turn)
        self.share = share
        self.slice = slice
        self.requests = 0  # HTTP requests in flight
        self._used = 0
        self._waiting: deque[tuple[asyncio.Future[int], int]] = deque()
        self._scheduled = False
        self._burst_started: float | None = None

    async def turn(self, wanted: int = 1) -> int:
        """Wait for a share of a turn: how many of `wanted` messages may go now (at least one)."""
        left = self._allowed() - self._used
        if left > 0 and not self._waiting:
            granted = min(wanted, left)
            self._used += granted
            self._schedule()
            return granted
        waiter: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._waiting.append((waiter, wanted))
        self._schedule()
        try:
            return await waiter
        except asyncio.CancelledError:
            if not waiter.cancelled():  # granted messages it will not send: hand them on
                self._used -= waiter.result()
                self._grant()
            raise

    @contextlib.contextmanager
    def serving(self) -> Iterator[None]:
        """Around an HTTP request: deliveries give way to it until it is answered."""
        self.requests += 1
        try:
            yield
        finally:
            self.requests -= 1

    def _schedule(self) -> None:
        if self._scheduled:
            return
        self._scheduled = True
        loop = asyncio.get_running_loop()
        now = loop.time()
        if self._burst_started is None:
            self._burst_started = now
        busy = now - self._burst_started
        if self.share < 1 and busy >= self.slice:
            rest = busy * (1 - self.share) / self.share
            self._burst_started = now + rest
            loop.call_later(rest, self._next_turn)
        else:
            loop.call_soon(self._next_turn)

    def _next_turn(self) -> None:
        self._scheduled = False
        self._used = 0
        self._grant()
        if self._waiting:
            self._schedule()
        else:
            self._burst_started = None

    def _allowed(self) -> int:
        return self.per_turn_serving if self.requests else self.per_turn

    def _grant(self) -> None:
        allowed = self._allowed()
        while self._waiting and self._used < allowed:
            waiter, wanted = self._waiting.popleft()
            if not waiter.done():
                granted = min(wanted, allowed - self._used)
                waiter.set_result(granted)
                self._used += granted


class Outbox:
    """One WebSocket's outgoing messages, in order, at most `limit` waiting; written by one task.

    `send` writes the text messages it is given, in order (and may wait while the peer's TCP window is
    full): whatever waits when the writer gets its turn, up to MESSAGES_PER_WRITE, goes in one call, so
    a connection that hears one change through twenty subscriptions costs one write, not twenty.
    `overflow` is called once, in a task of its own, when the peer fell `limit` messages behind: it
    should close the connection. Messages put after that are dropped."""

    def __init__(
        self,
        send: Callable[[list[Text]], Awaitable[None]],
        overflow: Callable[[], Coroutine[Any, Any, None]],
        *,
        limit: int,
        pacer: Pacer,
    ) -> None:
        self._send = send
        self._overflow = overflow
        self.limit = limit
        self._pacer = pacer
        self._queue: deque[Text] = deque()
        self._ready = asyncio.Event()
        self._empty = asyncio.Event()  # set while nothing waits and nothing is being sent
        self._empty.set()
        self._writer: asyncio.Task[None] | None = None
        self._closing: asyncio.Task[None] | None = None
        self.overflowed = False

    def start(self) -> None:
        self._writer = asyncio.create_task(self._write(), name="numplane-ws-outbox")

    def put(self, text: str) -> None:
        self.put_parts((text.encode(),))

    def put_parts(self, text: Text) -> None:
        """A message given as the parts of its UTF-8 text: a broadcast's payload is one bytes object shared
        by every queue it waits in, so a long queue costs a pointer per message, not a copy."""
        if self.overflowed:
            return
        queue = self._queue
        if len(queue) >= self.limit:
            self.overflowed = True
            queue.clear()  # memory stays bounded; the peer learns from the close why
            self._closing = asyncio.create_task(self._overflow(), name="numplane-ws-overflow")
            return
        queue.append(text)
        if len(queue) == 1:  # was empty: the writer may be waiting (while it is not, the events stay as set)
            self._empty.clear()
            self._ready.set()

    async def drain(self, timeout: float) -> None:
        """Until every message put so far has been sent, or `timeout` seconds have passed (a peer that
        stopped reading), e.g. before a close that must follow its final messages."""
        if self._writer is None or self._writer.done():
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._empty.wait()

    async def stop(self) -> None:
        # A closing task (after an overflow) is left to finish: it ends once the peer reads or goes away.
        if self._writer is not None and not self._writer.done():
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._writer

    async def _write(self) -> None:
        try:
            while True:
                await self._ready.wait()
                self._ready.clear()
                queue = self._queue
                while queue and not self.overflowed:
                    granted = await self._pacer.turn(min(len(queue), MESSAGES_PER_WRITE))
                    if queue and not self.overflowed:
                        await self._send([queue.popleft() for _ in range(min(len(queue), granted))])
                self._empty.set()
        except Exception:  # the peer went away; the connection's handler ends it
            self._queue.clear()
            self._empty.set()


@dataclass(frozen=True, slots=True)
class Shape:
    """What decides a subscription's every result: subscriptions of the same shape share one execution."""

    query: str
    variables: str  # canonical JSON
    operation_name: str | None
    account: str
    role: str


class Follower:
    """One subscription of one connection, following a broadcast."""

    def __init__(self, operation_id: str, outbox: Outbox) -> None:
        self._prefix = ('{"id":' + json.dumps(operation_id) + ',"type":"next","payload":').encode()
        self._outbox = outbox
        self._ended: asyncio.Future[list[GraphQLFormattedError] | None] = asyncio.get_running_loop().create_future()

    def next(self, payload: bytes) -> None:
        if not self._ended.done():
            self._outbox.put_parts((self._prefix, payload, b"}"))

    def end(self, errors: list[GraphQLFormattedError] | None) -> None:
        if not self._ended.done():
            self._ended.set_result(errors)

    async def ended(self) -> list[GraphQLFormattedError] | None:
        """Until the broadcast ends: None when it completed, else the errors that ended it."""
        return await self._ended


Results = AsyncIterator["Delivery"]


@dataclass(frozen=True, slots=True)
class Delivery:
    """A result of an execution: a payload for `next`, or the errors that end it."""

    payload: dict[str, Any] | None = None
    errors: list[GraphQLError] | None = None


class Broadcast:
    def __init__(
        self, shape: Shape, results: Callable[[], Results], forget: Callable[[Broadcast], None], handouts: Pacer
    ) -> None:
        self.shape = shape
        self._followers: dict[Follower, None] = {}
        self._results = results
        self._forget = forget
        self._handouts = handouts
        self._task = asyncio.create_task(self._run(), name="numplane-broadcast")

    def join(self, follower: Follower) -> None:
        self._followers[follower] = None

    def leave(self, follower: Follower) -> None:
        self._followers.pop(follower, None)
        if not self._followers:
            self._forget(self)
            self._task.cancel()

    async def _run(self) -> None:
        errors: list[GraphQLFormattedError] | None = None
        try:
            async for delivery in self._results():
                if delivery.errors is not None:
                    errors = [e.formatted for e in delivery.errors]
                    break
                payload = json_body.dumps(delivery.payload)  # once for every follower
                followers = list(self._followers)
                handed = 0
                while handed < len(followers):
                    granted = await self._handouts.turn(len(followers) - handed)
                    for follower in followers[handed:handed + granted]:
                        follower.next(payload)
                    handed += granted
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("subscription broadcast failed")
            errors = [GraphQLError("Unexpected error.").formatted]
        finally:
            self._forget(self)
        for follower in list(self._followers):
            follower.end(errors)


class Broadcasts:
    """The process's running broadcasts, by shape."""

    def __init__(self) -> None:
        self._running: dict[Shape, Broadcast] = {}
        self._handouts = Pacer(MEMBERS_PER_TURN)  # shared: the broadcasts take turns

    def __len__(self) -> int:
        return len(self._running)

    async def follow(
        self, shape: Shape, results: Callable[[], Results], follower: Follower
    ) -> list[GraphQLFormattedError] | None:
        """Follow the broadcast of `shape` (started with `results` if none runs) until it ends (None when
        it completed, else the errors that ended it) or this task is cancelled."""
        broadcast = self._running.get(shape)
        if broadcast is None:
            broadcast = self._running[shape] = Broadcast(shape, results, self._forget, self._handouts)
        broadcast.join(follower)
        try:
            return await follower.ended()
        finally:
            broadcast.leave(follower)

    def _forget(self, broadcast: Broadcast) -> None:
        if self._running.get(broadcast.shape) is broadcast:
            del self._running[broadcast.shape]
