"""The webhooks dispatcher reads past a number document it cannot read (issue 15, item 6): the change is
left out and logged with its id, every change after it is still delivered, on both stores."""

from __future__ import annotations

import logging

import pytest

from numplane.store.base import Db
from tests.jobs.test_webhooks import add_numbers, create_webhook, numplane
from tests.support.receiver import receiving
from tests.support.unreadable import bad_number_doc, plant


async def test_the_dispatcher_delivers_the_changes_after_an_unreadable_number(
    store_url: tuple[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="numplane.unreadable")
    async with numplane(store_url) as api, receiving() as receiver:
        await create_webhook(api, receiver, "R")
        await plant(api.services.store, Db.NUMBERS,
                    bad_number_doc("+14155550100", (api.id("M"), api.id("R")), pvt_features="cnam"))
        await add_numbers(api, ["+14155550101"], "C")
        await receiver.wait_for(lambda r: len(r.accepted) == 1)
        assert [e["data"]["number"]["e164"] for e in receiver.events()] == ["+14155550101"]
        assert "+14155550100" in caplog.text
