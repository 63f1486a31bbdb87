"""Fan-out of numberChanged to many subscribers through a real uvicorn and real WebSockets, on both stores:
every subscription receives exactly what its own key may see (the long-polled numberChanges of the same
key is the oracle), while subscriptions of one shape share one reader of the change hub."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections import defaultdict
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection

from numplane.web import fanout
from numplane.web.fanout import MESSAGES_PER_WRITE, Broadcasts, Delivery, Follower, Outbox, Pacer, Results, Shape
from numplane.web.ws_protocol import Text
from tests.support.api import Api
from tests.support.served import served_ws as served
from tests.support.websocket import acknowledged, subscribe

N = "+14155550123"
MARKER = "+14155550199"  # added last: every subscription hears of it, after everything else
FIELDS = "cursor e164 state deleted number { e164 state } transition { action from to }"
PLAIN = "subscription { numberChanged { cursor e164 state deleted } }"
FULL = f"subscription {{ numberChanged {{ {FIELDS} }} }}"
FILTERED = f"subscription($s: [NumberState!]) {{ numberChanged(filter: {{states: $s}}) {{ {FIELDS} }} }}"
KEYS = ("reseller", "child", "unrelated")
CONNECTIONS_PER_KEY = 2


async def changes_seen_by(api: Api, key: str, after: str) -> list[dict[str, Any]]:
    page = await api.data(
        f"query($a: String) {{ numberChanges(after: $a, first: 100) {{ changes {{ {FIELDS} }} }} }}", {"a": after},
        key=key,
    )
    changes: list[dict[str, Any]] = page["numberChanges"]["changes"]
    return changes


async def subscribe_all(socket: ClientConnection) -> None:
    """Two subscriptions of each of three shapes on one connection."""
    for copy in range(2):
        await subscribe(socket, f"plain-{copy}", PLAIN)
        await subscribe(socket, f"full-{copy}", FULL)
        await subscribe(socket, f"available-{copy}", FILTERED, {"s": ["AVAILABLE"]})


async def add_available(api: Api, number: str) -> None:
    await api.data(
        'mutation($n: String!) { addNumbers(input: {numbers: [{number: $n}], state: AVAILABLE}) '
        "{ userErrors { code } } }",
        {"n": number},
    )


async def collect_until_marker(socket: ClientConnection, operations: int) -> dict[str, list[dict[str, Any]]]:
    """Events by operation id up to the MARKER change, which every subscription hears last."""
    received: dict[str, list[dict[str, Any]]] = defaultdict(list)
    finished: set[str] = set()
    async with asyncio.timeout(30):
        while len(finished) < operations:
            message = json.loads(await socket.recv())
            assert message["type"] == "next", message
            event = message["payload"]["data"]["numberChanged"]
            if event["e164"] == MARKER:
                finished.add(message["id"])
            else:
                assert message["id"] not in finished, "an event after the marker"
                received[message["id"]].append(event)
    return received


async def test_many_subscribers_each_receive_exactly_the_changes_their_key_may_see(
    store_url: tuple[str, str],
) -> None:
    async with served(store_url) as (api, url):
        hub = api.services.hub
        assert hub is not None
        sockets = {key: [await acknowledged(url, api.keys[key]) for _ in range(CONNECTIONS_PER_KEY)] for key in KEYS}
        try:
            for connections in sockets.values():
                for socket in connections:
                    await subscribe_all(socket)
            # 36 subscriptions, 9 shapes (3 documents x 3 keys of different accounts): 9 readers of the hub.
            async with asyncio.timeout(30):
                while hub.subscribers < 3 * len(KEYS):
                    await asyncio.sleep(0.02)
            assert hub.subscribers == 3 * len(KEYS)
            start = (await api.data("{ numberChanges(first: 0) { cursor } }"))["numberChanges"]["cursor"]
            # Each change is read from the feed before the next is made: the feed keeps a document once at
            # its latest change, so two writes between two polls would be one event (and the oracle below
            # would depend on the machine's speed).
            await add_available(api, N)
            await hub.sync()
            for mutation in ("reserveNumbers", "activateNumbers"):
                await api.data(
                    f"mutation($n: String!) {{ {mutation}(input: {{numbers: [{{number: $n}}]}}) "
                    "{ userErrors { code } } }", {"n": N}, key="reseller",
                )
                await hub.sync()
            seen_by = {key: await changes_seen_by(api, key, start) for key in KEYS}
            await add_available(api, MARKER)
            for key, connections in sockets.items():
                seen = seen_by[key]
                # The filter keeps changes with AVAILABLE before or after: the addition and the reservation.
                available = [c for c in seen if c["state"] != "IN_SERVICE"]
                plain = [{k: c[k] for k in ("cursor", "e164", "state", "deleted")} for c in seen]
                expected = {"plain": plain, "full": seen, "available": available}
                for socket in connections:
                    received = await collect_until_marker(socket, operations=6)
                    for operation in (f"{shape}-{copy}" for shape in expected for copy in range(2)):
                        assert received[operation] == expected[operation.split("-")[0]], (key, operation)
        finally:
            for connections in sockets.values():
                for socket in connections:
                    await socket.close()
        # The oracle is not trivial: the unrelated tenant heard of the offer and of it being taken, with
        # the number only while offered; the reseller of all three changes.
        assert [c["number"] is not None for c in seen_by["unrelated"]] == [True, False]
        assert len(seen_by["reseller"]) == 3


async def test_a_peer_that_stops_reading_is_closed_once_its_outbox_is_full_and_then_costs_nothing() -> None:
    never = asyncio.Event()
    sent: list[str] = []
    closes: list[str] = []

    async def send(texts: list[Text]) -> None:
        sent.extend(b"".join(text).decode() for text in texts)
        await never.wait()  # the peer's TCP window stays full

    async def overflow() -> None:
        closes.append("too slow")

    outbox = Outbox(send, overflow, limit=3, pacer=Pacer(16))
    outbox.start()
    for index in range(10):
        outbox.put(f"m{index}")
        await asyncio.sleep(0)
    await outbox.stop()
    assert sent == ["m0"]  # the writer is stuck on the first; m1..m3 waited, m4 overflowed
    assert closes == ["too slow"]
    assert outbox.overflowed


async def test_messages_waiting_for_a_connection_go_out_together_in_order_at_most_a_write_apiece() -> None:
    writes: list[list[str]] = []
    release = asyncio.Event()

    async def send(texts: list[Text]) -> None:
        writes.append([b"".join(text).decode() for text in texts])
        await release.wait()  # the first write is slow: everything put meanwhile waits for the next

    pacer = Pacer(per_turn=4 * MESSAGES_PER_WRITE)  # enough for whole writes
    outbox = Outbox(send, overflow=asyncio.sleep, limit=1000, pacer=pacer)  # type: ignore[arg-type]
    outbox.start()
    outbox.put("first")
    await asyncio.sleep(0)
    for index in range(MESSAGES_PER_WRITE + 5):
        outbox.put_parts((b'{"id":"', str(index).encode(), b'"}'))
    release.set()
    await outbox.drain(5)
    await outbox.stop()
    following = [f'{{"id":"{index}"}}' for index in range(MESSAGES_PER_WRITE + 5)]
    assert writes == [["first"], following[:MESSAGES_PER_WRITE], following[MESSAGES_PER_WRITE:]]


async def test_a_turn_grants_messages_so_a_connection_with_many_waiting_writes_only_the_turns_budget() -> None:
    order: list[object] = []

    async def send(texts: list[Text]) -> None:
        order.append(len(texts))

    async def bystander() -> None:
        order.append("request")

    outbox = Outbox(send, overflow=asyncio.sleep, limit=1000, pacer=Pacer(per_turn=10))  # type: ignore[arg-type]
    for index in range(25):
        outbox.put(str(index))
    outbox.start()
    await asyncio.sleep(0)  # the writer takes its first turn
    await asyncio.create_task(bystander())
    await outbox.drain(5)
    await outbox.stop()
    # A write never takes more than a turn's ten messages, and other work runs between two turns.
    assert order == [10, "request", 10, 5]


async def test_broadcasts_hand_a_result_out_in_turns_shared_by_every_broadcast(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(fanout, "MEMBERS_PER_TURN", 10)
    broadcasts = Broadcasts()
    handed: list[int] = []  # followers handed a result in each turn of the loop, by every broadcast
    counting = True

    async def turns() -> None:
        while counting:
            handed.append(0)
            await asyncio.sleep(0)

    class Counted(Outbox):
        def put_parts(self, text: Text) -> None:
            handed[-1] += 1

    def one_result() -> Results:
        async def results() -> Results:
            yield Delivery(payload={"data": {"n": 1}})
        return results()

    outbox = Counted(send=None, overflow=None, limit=100, pacer=Pacer(16))  # type: ignore[arg-type]
    counter = asyncio.create_task(turns())
    await asyncio.sleep(0)
    shapes = [Shape("subscription { n }", "{}", None, account, "user") for account in ("a", "b")]
    following = [
        asyncio.create_task(broadcasts.follow(shape, one_result, Follower(str(index), outbox)))
        for shape in shapes for index in range(25)
    ]
    assert await asyncio.gather(*following) == [None] * 50
    counting = False
    await counter
    assert sum(handed) == 50
    assert max(handed) <= 10  # two broadcasts of 25 followers: never more than a turn's ten together


async def test_a_burst_of_sends_lets_other_work_run_between_turns() -> None:
    pacer = Pacer(per_turn=2)
    order: list[object] = []

    async def sender(index: int) -> None:
        await pacer.turn()
        order.append(index)

    async def bystander() -> None:
        order.append("request")

    senders = [asyncio.create_task(sender(i)) for i in range(6)]
    await asyncio.gather(*senders, asyncio.create_task(bystander()))
    # Without the pacer the request would run after all six; with it, after the first turn's two.
    assert order == [0, 1, "request", 2, 3, 4, 5]


async def test_while_a_request_is_served_each_turn_grants_one_send_so_the_request_waits_behind_one() -> None:
    pacer = Pacer(per_turn=4, per_turn_serving=1)
    order: list[object] = []

    async def sender(index: int) -> None:
        await pacer.turn()
        order.append(index)

    async def request() -> None:
        with pacer.serving():
            for step in range(3):  # a request's steps, each awaiting one turn of the loop
                order.append(f"step {step}")
                await asyncio.sleep(0)

    serving = asyncio.create_task(request())
    senders = [asyncio.create_task(sender(i)) for i in range(8)]
    await asyncio.gather(serving, *senders)
    # Without a request in flight the first turn would send four before the request's next step.
    steps = [order.index(f"step {n}") for n in range(3)]
    assert all(later - earlier <= 2 for earlier, later in itertools.pairwise(steps))
    assert sorted(i for i in order if isinstance(i, int)) == list(range(8))
