"""addNumbers refuses a carrier no module answers to (through HTTP): such a number could never be released."""

from __future__ import annotations

import pytest

from tests.schema.test_mutations import ADD, RELEASE, refs, run
from tests.support.api import Api

N = "+14155550131"


@pytest.mark.parametrize("state", ["AVAILABLE", "IN_SERVICE"])
async def test_unknown_carrier_is_invalid_field_naming_the_known_ones_and_nothing_is_created(
    api: Api, state: str
) -> None:
    payload = await run(api, ADD, {"numbers": refs(N), "state": state, "carrier": "nope", "accountId": api.id("R")})
    assert payload["numbers"] == []
    (error,) = payload["userErrors"]
    assert (error["code"], error["field"]) == ("INVALID_FIELD", ["carrier"])
    assert "'nope'" in error["message"]
    assert all(name in error["message"] for name in ("local", "inventory", "mdn", "simulated"))
    assert (await api.data(f'{{ number(number: "{N}") {{ e164 }} }}'))["number"] is None


async def test_a_long_unknown_carrier_name_is_not_echoed_whole(api: Api) -> None:
    # Within the 1,000 characters every string argument may have, so the carrier rule is the one that answers.
    payload = await run(api, ADD, {"numbers": refs(N), "state": "AVAILABLE", "carrier": "x" * 900})
    (error,) = payload["userErrors"]
    assert error["code"] == "INVALID_FIELD" and len(error["message"]) < 200


@pytest.mark.parametrize("carrier", ["local", "inventory", "simulated"])
async def test_a_number_of_a_known_carrier_is_added_and_released(api: Api, carrier: str) -> None:
    owned = {"state": "IN_SERVICE", "carrier": carrier, "accountId": api.id("R")}
    added = await run(api, ADD, {"numbers": refs(N), **owned})
    assert added["userErrors"] == []
    released = await run(api, RELEASE, {"numbers": refs(N)}, key="reseller")
    assert released["userErrors"] == []
