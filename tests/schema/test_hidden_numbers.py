"""A number the requester may not see answers every mutation exactly as a missing number does, with or
without `expectedRevision` (SPEC §3.5: visibility comes before every other check), through HTTP.

The child C acts on numbers of the unrelated tenant U in every state it cannot see, on its ancestor R's
number in service, and on a number that does not exist; the answers must be identical but for the number.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import pytest

from numplane.carriers.simulated import is_offered
from numplane.store.base import Db, Doc, Store
from tests.schema.test_mutations import (
    ACTIVATE,
    ADD,
    CANCEL_PORT_IN,
    CANCEL_PORT_OUT,
    COMPLETE_PORT_IN,
    COMPLETE_PORT_OUT,
    DELETE,
    PORT_IN,
    PORT_OUT,
    RELEASE,
    RESERVE,
    RETURN,
    add,
    refs,
    run,
)
from tests.support.api import Api, api_over
from tests.support.counting import CountingStore

UPDATE = """mutation($input: UpdateNumberInput!) { updateNumber(input: $input) {
  number { e164 revision } userErrors { code number message field } } }"""

# Hidden from C: U's numbers in each state that only U's tree sees, and R's number in service
# (a descendant sees its ancestor's number only while it is reserved).
IN_SERVICE, RESERVED, PORTING_IN, AGING, PORTING_OUT, ANCESTORS = (
    "+14155550121", "+14155550122", "+14155550123", "+14155550124", "+14155550125", "+14155550126",
)
HIDDEN = (IN_SERVICE, RESERVED, PORTING_IN, AGING, PORTING_OUT, ANCESTORS)
MISSING = next(f"+1415555{i:04d}" for i in range(200, 300) if not is_offered(f"+1415555{i:04d}"))

# Every mutation that takes existing numbers, as (query, input without the numbers).
ON_EXISTING: dict[str, tuple[str, dict[str, Any]]] = {
    "reserveNumbers": (RESERVE, {}),
    "reserveNumbers(accountId)": (RESERVE, {"accountId": "C"}),
    "activateNumbers": (ACTIVATE, {"publicFields": {"a": 1}}),
    "releaseNumbers": (RELEASE, {}),
    "cancelPortIn": (CANCEL_PORT_IN, {}),
    "completePortIn": (COMPLETE_PORT_IN, {}),
    "portOutNumbers": (PORT_OUT, {}),
    "completePortOut": (COMPLETE_PORT_OUT, {}),
    "cancelPortOut": (CANCEL_PORT_OUT, {}),
    "returnNumbers": (RETURN, {}),
    "deleteNumbers": (DELETE, {}),
}
UPDATES: dict[str, dict[str, Any]] = {
    "merge": {"publicFields": {"a": 1}},
    "replace": {"publicFields": {"a": 1}, "replace": True},
    "featuresDenied": {"featuresDenied": ["cnam"]},
    "feature": {"publicFields": {"cnam": {"display_name": "x"}}},
}


async def hide_numbers(api: Api) -> None:
    await add(api, IN_SERVICE, RESERVED, AGING, PORTING_OUT, ANCESTORS, carrier="inventory")
    assert (await run(api, ACTIVATE, {"numbers": refs(IN_SERVICE, AGING, PORTING_OUT)}, key="unrelated"))[
        "userErrors"] == []
    assert (await run(api, RESERVE, {"numbers": refs(RESERVED)}, key="unrelated"))["userErrors"] == []
    assert (await run(api, PORT_IN, {"numbers": refs(PORTING_IN)}, key="unrelated"))["userErrors"] == []
    released = await run(api, RELEASE, {"numbers": refs(AGING)}, key="unrelated")
    assert [n["state"] for n in released["numbers"]] == ["AGING"]
    assert (await run(api, PORT_OUT, {"numbers": refs(PORTING_OUT)}))["userErrors"] == []
    assert (await run(api, ACTIVATE, {"numbers": refs(ANCESTORS)}, key="reseller"))["userErrors"] == []


def ref(number: str, with_revision: bool) -> dict[str, Any]:
    return {"number": number, "expectedRevision": "1-x"} if with_revision else {"number": number}


def anonymous(payload: dict[str, Any], number: str) -> str:
    """The payload with the number itself blanked out: what must not differ."""
    return re.sub(re.escape(number), "<number>", repr(payload))


def with_accounts(api: Api, fields: dict[str, Any]) -> dict[str, Any]:
    return {k: api.id(v) if k == "accountId" else v for k, v in fields.items()}


async def answer(api: Api, name: str, number: str, with_revision: bool) -> str:
    if name.startswith("updateNumber"):
        fields = UPDATES[name.partition(":")[2]]
        payload = await run(api, UPDATE, {"number": ref(number, with_revision), **fields}, key="child")
    else:
        query, fields = ON_EXISTING[name]
        payload = await run(api, query, {"numbers": [ref(number, with_revision)], **with_accounts(api, fields)},
                            key="child")
    return anonymous(payload, number)


MUTATIONS = [*ON_EXISTING, *(f"updateNumber:{mode}" for mode in UPDATES)]


@pytest.mark.parametrize("name", MUTATIONS)
async def test_hidden_number_answers_as_a_missing_one_with_and_without_expected_revision(
    api: Api, name: str
) -> None:
    await hide_numbers(api)
    missing = await answer(api, name, MISSING, False)
    assert "NOT_FOUND" in missing or "FORBIDDEN" in missing, missing
    for with_revision in (False, True):
        assert await answer(api, name, MISSING, with_revision) == missing
        for number in HIDDEN:
            assert await answer(api, name, number, with_revision) == missing, (number, with_revision)


@pytest.mark.parametrize("query", [ADD, PORT_IN], ids=["addNumbers", "portInNumbers"])
async def test_creating_a_hidden_number_says_only_that_it_exists(api: Api, query: str) -> None:
    await hide_numbers(api)
    fields = {"state": "RESERVED"} if query == ADD else {}
    for number in HIDDEN:
        plain = await run(api, query, {"numbers": [ref(number, False)], **fields}, key="child")
        revised = await run(api, query, {"numbers": [ref(number, True)], **fields}, key="child")
        assert anonymous(revised, number) == anonymous(plain, number)
        assert [e["code"] for e in plain["userErrors"]] == ["NUMBER_EXISTS"]
        assert "revision" not in plain["userErrors"][0]["message"]


async def test_a_visible_number_with_a_stale_revision_is_still_a_conflict(api: Api) -> None:
    await hide_numbers(api)
    payload = await run(api, UPDATE, {"number": ref(IN_SERVICE, True), "publicFields": {"a": 1}}, key="unrelated")
    assert [e["code"] for e in payload["userErrors"]] == ["CONFLICT"]


class FirstReadMisses(CountingStore):
    """A store whose next read of one number misses it, as a read made just before a rival saved it:
    the request then asks the carrier, finds the number taken when saving it, and reads it back."""

    def __init__(self, inner: Store) -> None:
        super().__init__(inner)
        self.hide: str | None = None

    async def get_many(self, db: Db, ids: Sequence[str], *, held: Mapping[str, str] | None = None) -> dict[str, Doc]:
        found = await super().get_many(db, ids, held=held)
        if db is Db.NUMBERS and self.hide in found:
            del found[self.hide]
            self.hide = None
        return found


@pytest.fixture
async def racing(store_url: tuple[str, str]) -> AsyncIterator[tuple[Api, FirstReadMisses]]:
    async with api_over(store_url, FirstReadMisses) as pair:
        yield pair


async def test_losing_the_race_to_acquire_from_a_carrier_is_not_found_not_forbidden(
    racing: tuple[Api, FirstReadMisses],
) -> None:
    api, store = racing
    upstream = next(f"+1415555{i:04d}" for i in range(300, 400) if is_offered(f"+1415555{i:04d}"))
    won = await run(api, RESERVE, {"numbers": refs(upstream)}, key="unrelated")
    assert [n["state"] for n in won["numbers"]] == ["RESERVED"]
    missing = anonymous(await run(api, RESERVE, {"numbers": refs(MISSING)}, key="child"), MISSING)
    store.hide = upstream
    lost = await run(api, RESERVE, {"numbers": refs(upstream)}, key="child")
    assert store.hide is None  # the path ran: the first read missed the number
    assert anonymous(lost, upstream) == missing
    assert [e["code"] for e in lost["userErrors"]] == ["NOT_FOUND"]
