"""Port request changes reach webhook endpoints as `port_request.changed` (issues 12 and 13): numplane
served over HTTP, real receivers verifying every signature, on both stores. Each step waits for its event
before the next, so the feed never folds two changes of the request into one."""

from __future__ import annotations

from typing import Any

import orjson

from tests.jobs.test_webhooks import DELIVERIES, create_webhook, numplane
from tests.schema.test_port_requests_api import COMMENT, MOVE, PDF, PIN, SUBMIT, create, upload
from tests.support.api import Api
from tests.support.receiver import Receiver, receiving


def port_events(receiver: Receiver) -> list[dict[str, Any]]:
    return [e["data"]["portRequest"] for e in receiver.events() if e["type"] == "port_request.changed"]


def heard(receiver: Receiver, change: str, state: str | None = None) -> bool:
    return any(e["change"] == change and (state is None or e["state"] == state) for e in port_events(receiver))


async def test_a_port_request_reaches_its_account_and_parent_endpoints_signed_and_no_one_else(
    store_url: tuple[str, str],
) -> None:
    async with (
        numplane(store_url) as api, receiving() as child, receiving() as parent, receiving() as admin,
        receiving() as unrelated,
    ):
        await create_webhook(api, child, "C", key="child")
        await create_webhook(api, parent, "R", key="reseller")
        await create_webhook(api, admin, "M")
        unrelated_id = await create_webhook(api, unrelated, "U", key="unrelated")
        rid = (await create(api))["requestId"]
        await child.wait_for(lambda r: heard(r, "created"))
        assert (await upload(api, rid, PDF))["userErrors"] == []
        await child.wait_for(lambda r: heard(r, "document_uploaded"))
        assert (await api.data(SUBMIT, {"i": {"id": rid}}, key="child"))["submitPortRequest"]["userErrors"] == []
        await child.wait_for(lambda r: heard(r, "moved", "submitted"))
        await move(api, rid, {"to": "PENDING"})
        await child.wait_for(lambda r: heard(r, "moved", "pending"))
        await move(api, rid, {"to": "SCHEDULED", "scheduledAt": "2030-01-02T00:00:00Z"})
        for receiver in (child, parent):
            await receiver.wait_for(lambda r: heard(r, "moved", "scheduled"))
            events = port_events(receiver)
            assert [e["change"] for e in events] == [
                "created", "document_uploaded", "moved", "moved", "moved"]
            assert [e["state"] for e in events] == ["unconfirmed", "unconfirmed", "submitted", "pending", "scheduled"]
            assert {(e["id"], e["account"]) for e in events} == {(rid, api.id("C"))}
            assert events[-1]["numbers"] == ["+14155550171", "+14155550172"]
            assert events[-1]["scheduledCutOverAt"] == "2030-01-02T00:00:00.000000Z"
            assert len({e["revision"] for e in events}) == 5
            assert all(r.verified_by == receiver.secrets for r in receiver.received)  # every signature checks
        await admin.wait_for(lambda r: heard(r, "moved", "scheduled"))
        # Delivery records are written for every endpoint before any is sent: none exist for the unrelated one.
        listed = await api.data(DELIVERIES, {"w": unrelated_id}, key="unrelated")
        assert listed["webhookDeliveries"]["edges"] == [] and unrelated.received == []
        for receiver in (child, parent, admin, unrelated):
            assert all(PIN not in orjson.dumps(r.body).decode() for r in receiver.received)


async def test_an_admin_only_comment_reaches_admins_endpoints_only(store_url: tuple[str, str]) -> None:
    async with numplane(store_url) as api, receiving() as child, receiving() as parent, receiving() as admin:
        await create_webhook(api, child, "C", key="child")
        await create_webhook(api, parent, "R", key="reseller")
        await create_webhook(api, admin, "M")
        rid = (await create(api))["requestId"]
        await child.wait_for(lambda r: heard(r, "created"))
        await comment(api, rid, "losing carrier is slow", admin_only=True)
        await admin.wait_for(lambda r: heard(r, "admin_commented"))
        await comment(api, rid, "when is the cut-over?", key="child")
        for receiver in (child, parent):
            # The later comment arrives; the admin-only one before it never does, not even as a bare event.
            await receiver.wait_for(lambda r: heard(r, "commented"))
            assert [e["change"] for e in port_events(receiver)] == ["created", "commented"]
            assert all("losing carrier is slow" not in orjson.dumps(r.body).decode() for r in receiver.received)
        await admin.wait_for(lambda r: heard(r, "commented"))
        assert [e["change"] for e in port_events(admin)] == ["created", "admin_commented", "commented"]


async def move(api: Api, rid: str, step: dict[str, str]) -> None:
    moved = (await api.data(MOVE, {"i": {"id": rid, **step}}))["movePortRequest"]
    assert moved["userErrors"] == [], moved


async def comment(api: Api, rid: str, text: str, *, admin_only: bool = False, key: str = "admin") -> None:
    result = await api.data(COMMENT, {"i": {"id": rid, "text": text, "adminOnly": admin_only}}, key=key)
    assert result["addPortComment"]["userErrors"] == [], result
