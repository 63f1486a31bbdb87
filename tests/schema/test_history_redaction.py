"""A number's history names only accounts the reader may see (SPEC §3.5), wherever it leaves the server:
the `history` field, the change feed's latest transition, and subscription payloads (HTTP, WebSocket)."""

from __future__ import annotations

import asyncio
from typing import Any

from gql import Client, gql
from gql.transport.websockets import WebsocketsTransport

from tests.schema.test_mutations import ACTIVATE, RELEASE, RETURN, add, refs, run
from tests.support.api import Api
from tests.support.served import served_ws as served

N = "+14155550151"
ENTRY = "requester ownerBefore ownerAfter"
HISTORY = f'{{ number(number: "{N}") {{ state history(last: 100) {{ {ENTRY} }} }} }}'
CHANGES = (
    "query($after: String) { numberChanges(after: $after) { cursor changes { "
    f"transition {{ {ENTRY} }} number {{ history(last: 1) {{ {ENTRY} }} }} }} }} }}"
)


def named(entries: list[dict[str, Any] | None]) -> set[str]:
    return {v for e in entries if e for v in e.values() if v is not None}


async def history(api: Api, key: str) -> list[dict[str, Any]]:
    number = (await api.data(HISTORY, key=key))["number"]
    assert number is not None, f"{key} cannot see {N}"
    entries: list[dict[str, Any]] = number["history"]
    return entries


async def test_earlier_owners_of_an_available_number_are_left_out_for_other_tenants(api: Api) -> None:
    await add(api, N, carrier="inventory")
    assert (await run(api, ACTIVATE, {"numbers": refs(N)}, key="child"))["userErrors"] == []
    assert [n["state"] for n in (await run(api, RELEASE, {"numbers": refs(N)}, key="child"))["numbers"]] == ["AGING"]
    assert (await run(api, RETURN, {"numbers": refs(N)}))["userErrors"] == []  # quarantine ended by an admin
    seen_by_unrelated = await history(api, "unrelated")
    assert len(seen_by_unrelated) == 4  # add, activate, release, return: entries stay, names go
    assert named(seen_by_unrelated) == {api.id("M")}  # the admin root is U's ancestor; C is nobody to U
    assert api.id("C") in named(await history(api, "reseller"))  # C is R's sub-account
    assert named(await history(api, "admin")) == {api.id("M"), api.id("C")}


async def test_the_change_feed_leaves_out_the_owner_a_receiver_cannot_see(api: Api) -> None:
    await add(api, N, state="IN_SERVICE", account=api.id("C"))
    cursors = {key: (await api.data(CHANGES, key=key))["numberChanges"]["cursor"] for key in ("unrelated", "admin")}
    moved = await run(api, ACTIVATE, {"numbers": refs(N), "accountId": api.id("U")})  # the admin moves it to U
    assert moved["userErrors"] == []
    (event,) = (await api.data(CHANGES, {"after": cursors["unrelated"]}, key="unrelated"))["numberChanges"]["changes"]
    expected = {"requester": api.id("M"), "ownerBefore": None, "ownerAfter": api.id("U")}
    assert event["transition"] == expected
    assert event["number"]["history"] == [expected]
    (seen_by_admin,) = (await api.data(CHANGES, {"after": cursors["admin"]}))["numberChanges"]["changes"]
    assert seen_by_admin["transition"]["ownerBefore"] == api.id("C")


async def test_a_subscriber_is_not_told_the_owner_it_cannot_see(store_url: tuple[str, str]) -> None:
    subscription = gql(
        f"subscription {{ numberChanged {{ transition {{ {ENTRY} }} number {{ history(last: 1) {{ {ENTRY} }} }} }} }}"
    )
    async with served(store_url) as (api, url):
        await add(api, N, state="IN_SERVICE", account=api.id("C"))
        transport = WebsocketsTransport(
            url=url, init_payload={"authorization": f"Bearer {api.keys['unrelated']}"},
            subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL], close_timeout=1,
        )
        async with Client(transport=transport) as session:
            events = session.subscribe(subscription)
            receiving = asyncio.create_task(asyncio.wait_for(anext(events), 20))
            hub = api.services.hub
            assert hub is not None
            while hub.subscribers < 1 and not receiving.done():
                await asyncio.sleep(0.02)
            assert (await run(api, ACTIVATE, {"numbers": refs(N), "accountId": api.id("U")}))["userErrors"] == []
            event = (await receiving)["numberChanged"]
        expected = {"requester": api.id("M"), "ownerBefore": None, "ownerAfter": api.id("U")}
        assert event["transition"] == expected
        assert event["number"]["history"] == [expected]
