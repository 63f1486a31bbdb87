"""Signed webhooks end to end (issue 12): numplane served over HTTP, a real receiver verifying every
signature with the `standardwebhooks` library, on both stores. Retries run on a shortened schedule
(`webhooks_retry_scale`), never on real minutes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
from standardwebhooks.webhooks import Webhook

from tests.support.api import Api
from tests.support.receiver import Receiver, receiving
from tests.support.served import served

FAST = {"webhooks": True, "webhooks_allow_private": True, "webhooks_retry_scale": 0.001, "webhooks_poll_seconds": 0.1}

CREATE = """mutation($input: CreateWebhookInput!) { createWebhook(input: $input) {
  secret webhook { id url enabled disabledReason } userErrors { code message field } } }"""
ADD = """mutation($n: [NumberRef!]!, $a: String) { addNumbers(input: {numbers: $n, state: IN_SERVICE, accountId: $a,
  carrier: "inventory"}) { userErrors { code message } } }"""
UPDATE = """mutation($n: String!, $p: JSON) { updateNumber(input: {number: {number: $n}, publicFields: $p}) {
  userErrors { code message } } }"""
DELIVERIES = """query($w: String!, $s: WebhookDeliveryStatus) {
  webhookDeliveries(webhookId: $w, first: 100, status: $s) {
    edges { node { id eventId status attempts { responseCode error } nextAttemptAt } } } }"""


async def create_webhook(api: Api, receiver: Receiver, account: str, *, key: str = "admin", **more: Any) -> str:
    result = (await api.data(CREATE, {"input": {"url": receiver.url, "accountId": api.id(account), **more}}, key=key))
    payload = result["createWebhook"]
    assert payload["userErrors"] == [], payload
    assert payload["secret"].startswith("whsec_")
    receiver.secrets.append(payload["secret"])
    webhook_id: str = payload["webhook"]["id"]
    return webhook_id


async def add_numbers(api: Api, numbers: list[str], account: str) -> None:
    result = await api.data(ADD, {"n": [{"number": n} for n in numbers], "a": api.id(account)})
    assert result["addNumbers"]["userErrors"] == []


async def touch(api: Api, number: str, step: int) -> None:
    result = await api.data(UPDATE, {"n": number, "p": {"step": step}})
    assert result["updateNumber"]["userErrors"] == []


def steps_by_number(receiver: Receiver) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for event in receiver.events():
        number = event["data"]["number"]
        found.setdefault(number["e164"], []).append(number.get("publicFields", {}).get("step"))
    return found


async def queued(api: Api, webhook_id: str, count: int) -> None:
    """Until the endpoint has `count` deliveries (the dispatcher read that many changes for it)."""
    async with asyncio.timeout(30):
        while True:
            page = (await api.data(DELIVERIES, {"w": webhook_id}))["webhookDeliveries"]
            if len(page["edges"]) >= count:
                return
            await asyncio.sleep(0.05)


@asynccontextmanager
async def numplane(store_url: tuple[str, str], **settings: Any) -> AsyncIterator[Api]:
    async with served(store_url, **{**FAST, **settings}) as api:
        yield api


async def test_an_endpoint_receives_every_change_it_may_see_signed_and_an_unrelated_one_nothing(
    store_url: tuple[str, str],
) -> None:
    async with numplane(store_url) as api, receiving() as mine, receiving() as theirs:
        await create_webhook(api, mine, "R", key="reseller")
        await create_webhook(api, theirs, "U", key="unrelated")
        await add_numbers(api, ["+14155550101", "+14155550102"], "C")
        await touch(api, "+14155550101", 1)
        await mine.wait_for(lambda r: len(r.accepted) == 3)
        events = mine.events()
        assert sorted(e["type"] for e in events) == ["number.changed"] * 3
        assert all(r.verified_by == mine.secrets for r in mine.received)  # every signature checks out
        assert {r.headers["webhook-id"] for r in mine.received} == {e["id"] for e in events}
        changed = [e for e in events if e["data"]["number"]["publicFields"].get("step") == 1]
        assert changed[0]["data"]["number"]["owner"] == api.id("C")
        assert changed[0]["data"]["number"]["previousState"] == "in_service"
        await asyncio.sleep(0.5)  # the unrelated endpoint's sender polls every 0.1 s: it had its chances
        assert theirs.received == []
        metrics = (await api.client.get("/metrics")).text
        assert 'numplane_webhook_deliveries_total{outcome="delivered"} 3.0' in metrics
        assert "numplane_webhook_queue_depth 0.0" in metrics


async def test_a_receiver_down_for_a_while_then_up_gets_everything_in_order_per_number(
    store_url: tuple[str, str],
) -> None:
    numbers = ["+14155550111", "+14155550112", "+14155550113"]
    async with numplane(store_url) as api, receiving() as receiver:
        receiver.status = 503
        webhook = await create_webhook(api, receiver, "R")
        await add_numbers(api, numbers, "R")
        await queued(api, webhook, 3)
        for step in range(1, 5):
            for number in numbers:
                await touch(api, number, step)
            # On CouchDB two writes of a number between two feed reads are one change: each step is read
            # before the next, or the oracle would depend on the machine's speed.
            await queued(api, webhook, 3 + 3 * step)
        await receiver.wait_for(lambda r: len(r.received) >= 8)  # several refused attempts and retries
        metrics = (await api.client.get("/metrics")).text
        assert 'numplane_webhook_deliveries_total{outcome="retry"}' in metrics
        assert "numplane_webhook_oldest_pending_seconds 0.0" not in metrics
        receiver.status = 200
        await receiver.wait_for(lambda r: len(r.accepted) == 15)
        assert steps_by_number(receiver) == {n: [None, 1, 2, 3, 4] for n in numbers}
        # Retries repeat an event id; only the refused attempts did, never an accepted one.
        accepted_ids = [r.headers["webhook-id"] for r in receiver.accepted]
        assert len(set(accepted_ids)) == 15
        assert all(r.verified_by == receiver.secrets for r in receiver.received)


async def test_a_slow_receiver_does_not_delay_a_fast_one(store_url: tuple[str, str]) -> None:
    async with numplane(store_url) as api, receiving() as slow, receiving() as fast:
        slow.held = asyncio.Event()  # it answers nothing until the fast one has everything
        await create_webhook(api, slow, "R")
        await create_webhook(api, fast, "R")
        numbers = [f"+1415555012{i}" for i in range(6)]
        await add_numbers(api, numbers, "R")
        await fast.wait_for(lambda r: len(r.accepted) == 6, timeout=20)
        assert slow.received == []  # its attempts are all still waiting for an answer
        slow.held.set()
        await slow.wait_for(lambda r: len(r.accepted) == 6, timeout=30)


async def test_after_a_rotation_both_secrets_sign_until_the_overlap_ends(store_url: tuple[str, str]) -> None:
    rotate = """mutation($w: String!) {
      rotateWebhookSecret(webhookId: $w) { secret webhook { previousSecretExpiresAt } } }"""
    async with numplane(store_url) as api, receiving() as old_side, receiving() as new_side:
        webhook = await create_webhook(api, old_side, "R")
        rotated = (await api.data(rotate, {"w": webhook}))["rotateWebhookSecret"]
        assert rotated["webhook"]["previousSecretExpiresAt"] is not None
        new_side.secrets.append(rotated["secret"])
        await add_numbers(api, ["+14155550131"], "R")
        await old_side.wait_for(lambda r: len(r.accepted) == 1)
        (received,) = old_side.received
        assert len(received.headers["webhook-signature"].split(" ")) == 2
        # A receiver still holding the old secret and one that already switched both verify it.
        assert received.verified_by == old_side.secrets
        body = orjson.dumps(received.body).decode()  # as sent: numplane encodes with orjson too
        for secret in new_side.secrets + old_side.secrets:
            Webhook(secret).verify(body, received.headers)


async def test_urls_that_reach_private_addresses_are_refused_at_creation_and_at_delivery(
    store_url: tuple[str, str],
) -> None:
    table = {"hooks.example.com": ["93.184.216.34"], "inside.example.com": ["93.184.216.34", "10.1.2.3"]}

    async def resolve(host: str) -> list[str]:
        return table.get(host, [])

    async with numplane(store_url, webhooks_allow_private=False) as api:
        api.services.resolve = resolve
        for url, reason in [
            ("http://hooks.example.com/x", "https"),
            ("https://127.0.0.1/x", "loopback"),
            ("https://169.254.169.254/latest", "metadata"),
            ("https://[::1]/x", "loopback"),
            ("https://192.168.1.10/x", "private"),
            ("https://inside.example.com/x", "private"),
            ("https://nowhere.example.com/x", "does not resolve"),
        ]:
            payload = (await api.data(CREATE, {"input": {"url": url, "accountId": api.id("R")}}))["createWebhook"]
            assert payload["webhook"] is None and payload["secret"] is None
            (error,) = payload["userErrors"]
            assert (error["code"], error["field"]) == ("INVALID_FIELD", ["url"]), url
            assert reason in error["message"], (url, error["message"])
        created = await api.data(CREATE, {"input": {"url": "https://hooks.example.com/x", "accountId": api.id("R")}})
        webhook = created["createWebhook"]["webhook"]["id"]
        table["hooks.example.com"] = ["10.0.0.7"]  # DNS now points inside: the delivery must not go there
        await add_numbers(api, ["+14155550141"], "R")
        for _ in range(100):
            nodes = [e["node"] for e in (await api.data(DELIVERIES, {"w": webhook}))["webhookDeliveries"]["edges"]]
            if nodes and nodes[0]["attempts"]:
                break
            await asyncio.sleep(0.1)
        attempt = nodes[0]["attempts"][0]
        assert attempt["responseCode"] is None
        assert "10.0.0.7, a private address" in attempt["error"]


async def test_a_410_disables_the_endpoint_with_the_reason_shown(store_url: tuple[str, str]) -> None:
    listing = "query($a: String) { webhooks(accountId: $a) { id enabled disabledReason } }"
    async with numplane(store_url) as api, receiving() as receiver:
        receiver.status = 410
        await create_webhook(api, receiver, "R")
        await add_numbers(api, ["+14155550151", "+14155550152"], "R")
        await receiver.wait_for(lambda r: len(r.received) >= 1)
        webhooks: list[dict[str, object]] = []
        for _ in range(100):
            # pouchdb-server's view has been seen to answer an empty range right after the endpoint was
            # rewritten (1 run in 2 on some days, not reproduced in isolation): read again, as for `enabled`.
            webhooks = (await api.data(listing, {"a": api.id("R")}))["webhooks"]
            if webhooks and not webhooks[0]["enabled"]:
                break
            await asyncio.sleep(0.05)
        (webhook,) = webhooks
        assert webhook["disabledReason"] == "The receiver answered 410 Gone."


async def test_test_events_and_redeliveries_reach_the_receiver_again(store_url: tuple[str, str]) -> None:
    send_test = """mutation($w: String!) {
      sendTestEvent(webhookId: $w) { delivery { id eventType } userErrors { code } } }"""
    redeliver = "mutation($d: String!) { redeliver(deliveryId: $d) { delivery { status } userErrors { code } } }"
    async with numplane(store_url) as api, receiving() as receiver:
        webhook = await create_webhook(api, receiver, "R")
        sent = (await api.data(send_test, {"w": webhook}))["sendTestEvent"]["delivery"]
        assert sent["eventType"] == "webhook.test"
        await receiver.wait_for(lambda r: len(r.accepted) == 1)
        delivered = (await api.data(DELIVERIES, {"w": webhook, "s": "DELIVERED"}))["webhookDeliveries"]["edges"]
        assert [e["node"]["id"] for e in delivered] == [sent["id"]]
        assert (await api.data(redeliver, {"d": sent["id"]}))["redeliver"]["delivery"]["status"] == "PENDING"
        await receiver.wait_for(lambda r: len(r.accepted) == 2)
        assert [r.headers["webhook-id"] for r in receiver.accepted] == [receiver.events()[0]["id"]] * 2
        # Another tenant cannot see, redeliver or test this endpoint.
        hidden = (await api.data(redeliver, {"d": sent["id"]}, key="unrelated"))["redeliver"]
        assert [e["code"] for e in hidden["userErrors"]] == ["NOT_FOUND"]


async def test_an_account_has_at_most_the_configured_number_of_webhooks(store_url: tuple[str, str]) -> None:
    async with numplane(store_url, webhooks_max_per_account=2, webhooks=False) as api, receiving() as receiver:
        for _ in range(2):
            await create_webhook(api, receiver, "C", key="reseller")
        over = await api.data(CREATE, {"input": {"url": receiver.url, "accountId": api.id("C")}}, key="child")
        assert [e["code"] for e in over["createWebhook"]["userErrors"]] == ["LIMIT_EXCEEDED"]
        # Its parent it may see but not manage; another tenant does not exist for it.
        parent = await api.data(CREATE, {"input": {"url": receiver.url, "accountId": api.id("R")}}, key="child")
        assert [e["code"] for e in parent["createWebhook"]["userErrors"]] == ["FORBIDDEN"]
        other = await api.data(CREATE, {"input": {"url": receiver.url, "accountId": api.id("U")}}, key="child")
        assert [e["code"] for e in other["createWebhook"]["userErrors"]] == ["NOT_FOUND"]


async def test_a_deletion_reaches_those_who_saw_the_number_once_without_its_details(
    store_url: tuple[str, str],
) -> None:
    delete = "mutation($n: [NumberRef!]!) { deleteNumbers(input: {numbers: $n}) { userErrors { code } } }"
    async with numplane(store_url) as api, receiving() as receiver:
        await create_webhook(api, receiver, "R", key="reseller")
        await add_numbers(api, ["+14155550161"], "R")
        assert (await api.data(delete, {"n": [{"number": "+14155550161"}]}))["deleteNumbers"]["userErrors"] == []
        await receiver.wait_for(lambda r: len(r.accepted) == 2)
        await asyncio.sleep(0.3)  # a second copy of the deletion would have come by now
        created, deleted = receiver.events()
        assert (created["type"], deleted["type"]) == ("number.changed", "number.deleted")
        assert deleted["data"]["number"] == {
            "e164": "+14155550161", "state": "deleted", "previousState": "in_service",
            "revision": deleted["data"]["number"]["revision"],
        }
        assert len(receiver.received) == 2


async def test_a_disabled_endpoint_waits_and_a_filter_narrows_what_it_hears(store_url: tuple[str, str]) -> None:
    update = """mutation($i: UpdateWebhookInput!) { updateWebhook(input: $i) {
      webhook { enabled disabledReason filter { accountId states } } userErrors { code } } }"""
    async with numplane(store_url) as api, receiving() as receiver:
        webhook = await create_webhook(api, receiver, "R", filter={"accountId": api.id("C")})
        off = (await api.data(update, {"i": {"webhookId": webhook, "enabled": False}}))["updateWebhook"]["webhook"]
        assert (off["enabled"], off["disabledReason"]) == (False, "Disabled by a user.")
        await add_numbers(api, ["+14155550171"], "R")  # not C's: the filter leaves it out
        await add_numbers(api, ["+14155550172"], "C")
        await asyncio.sleep(0.5)
        assert receiver.received == []
        on = (await api.data(update, {"i": {"webhookId": webhook, "enabled": True}}))["updateWebhook"]["webhook"]
        assert (on["enabled"], on["disabledReason"], on["filter"]["accountId"]) == (True, None, api.id("C"))
        await touch(api, "+14155550172", 1)
        await touch(api, "+14155550171", 1)
        await receiver.wait_for(lambda r: len(r.accepted) == 1)
        await asyncio.sleep(0.3)
        assert [e["data"]["number"]["e164"] for e in receiver.events()] == ["+14155550172"]


async def test_a_deleted_endpoint_is_gone_and_hears_nothing_more(store_url: tuple[str, str]) -> None:
    delete = "mutation($w: String!) { deleteWebhook(webhookId: $w) { webhookId userErrors { code } } }"
    listing = "query($a: String) { webhooks(accountId: $a) { id } }"
    async with numplane(store_url) as api, receiving() as receiver:
        webhook = await create_webhook(api, receiver, "R")
        stranger = (await api.data(delete, {"w": webhook}, key="unrelated"))["deleteWebhook"]
        assert [e["code"] for e in stranger["userErrors"]] == ["NOT_FOUND"]
        assert (await api.data(delete, {"w": webhook}, key="reseller"))["deleteWebhook"]["webhookId"] == webhook
        assert (await api.data(listing, {"a": api.id("R")}))["webhooks"] == []
        await add_numbers(api, ["+14155550181"], "R")
        await asyncio.sleep(0.5)
        assert receiver.received == []
        router = await api.gql(listing, {"a": api.id("M")}, key="router")
        assert router["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_an_endpoint_failing_for_24_hours_is_disabled_and_its_queue_given_up(store_url: tuple[str, str]) -> None:
    listing = "query($a: String) { webhooks(accountId: $a) { enabled disabledReason failingSince } }"
    # 24 hours scaled down to 1.7 s: the whole schedule runs, several retries, then the endpoint is disabled.
    async with numplane(store_url, webhooks_retry_scale=0.00002) as api, receiving() as receiver:
        receiver.status = 500
        webhook = await create_webhook(api, receiver, "R")
        await add_numbers(api, ["+14155550191"], "R")
        for _ in range(200):
            (shown,) = (await api.data(listing, {"a": api.id("R")}))["webhooks"]
            if not shown["enabled"]:
                break
            await asyncio.sleep(0.05)
        assert shown["disabledReason"] == "Every delivery failed for 24 hours (last: HTTP 500)."
        assert shown["failingSince"] is not None
        assert len(receiver.received) > 3
        (failed,) = (await api.data(DELIVERIES, {"w": webhook, "s": "FAILED"}))["webhookDeliveries"]["edges"]
        assert failed["node"]["nextAttemptAt"] is None
        assert {a["responseCode"] for a in failed["node"]["attempts"]} == {500}
