"""Public fields are bounded at every write, and a stored document beyond the bounds never fails a read."""

from __future__ import annotations

from typing import Any

import pytest

from numplane.domain.public_bounds import CUT, MAX_BYTES, MAX_DEPTH, MAX_KEY, MAX_STRING
from numplane.domain.states import State
from numplane.store.base import Db
from tests.schema.test_mutations import ACTIVATE, add, refs, run
from tests.support.api import Api

N1, N2 = "+14155550101", "+14155550102"

UPDATE = """mutation($input: UpdateNumberInput!) { updateNumber(input: $input) {
  number { e164 publicFields } userErrors { code message field } } }"""
LISTING = "query { numbers(first: 10) { edges { node { e164 publicFields } } } }"


def nested(levels: int) -> dict[str, Any]:
    """A public-fields object nesting `levels` objects in all (itself included)."""
    value: dict[str, Any] = {"leaf": 1}
    for _ in range(levels - 1):
        value = {"n": value}
    return value


async def owned(api: Api, *numbers: str) -> None:
    await add(api, *numbers)
    assert (await run(api, ACTIVATE, {"numbers": refs(*numbers)}, key="reseller"))["userErrors"] == []


async def update(api: Api, fields: dict[str, Any], key: str = "reseller") -> dict[str, Any]:
    return await run(api, UPDATE, {"number": {"number": N1}, "publicFields": fields}, key=key)


async def test_public_fields_nested_to_the_limit_are_kept(api: Api) -> None:
    await owned(api, N1)
    payload = await update(api, nested(MAX_DEPTH))
    assert payload["userErrors"] == []
    assert payload["number"]["publicFields"] == nested(MAX_DEPTH)


@pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 60])
async def test_public_fields_nested_past_the_limit_are_invalid_field_naming_the_limit(api: Api, levels: int) -> None:
    await owned(api, N1)
    payload = await update(api, nested(levels))
    (error,) = payload["userErrors"]
    assert error["code"] == "INVALID_FIELD"
    assert f"at most {MAX_DEPTH} levels" in error["message"]
    assert error["field"][0] == "publicFields"


async def test_a_too_deep_activation_body_is_refused_and_the_number_stays_available(api: Api) -> None:
    await add(api, N1)
    payload = await run(api, ACTIVATE, {"numbers": refs(N1), "publicFields": nested(MAX_DEPTH + 1)}, key="reseller")
    assert [e["code"] for e in payload["userErrors"]] == ["INVALID_FIELD"]
    listing = await api.data(f'query {{ number(number: "{N1}") {{ state }} }}')
    assert listing["number"]["state"] == "AVAILABLE"


@pytest.mark.parametrize(("fields", "limit"), [
    ({"k" * (MAX_KEY + 1): 1}, f"at most {MAX_KEY} characters"),
    ({"a\x00b": 1}, "control characters"),
    ({"note": "x" * (MAX_STRING + 1)}, f"at most {MAX_STRING} characters"),
])
async def test_too_long_keys_and_strings_are_invalid_field(api: Api, fields: dict[str, Any], limit: str) -> None:
    await owned(api, N1)
    (error,) = (await update(api, fields))["userErrors"]
    assert error["code"] == "INVALID_FIELD" and limit in error["message"]


async def test_public_fields_over_64_kib_in_all_are_refused_even_when_each_edit_is_small(api: Api) -> None:
    await owned(api, N1)
    chunk = "x" * MAX_STRING
    for index in range(MAX_BYTES // MAX_STRING - 1):
        assert (await update(api, {f"note{index}": chunk}))["userErrors"] == []
    (error,) = (await update(api, {"one_too_many": chunk, "and_another": chunk}))["userErrors"]
    assert error["code"] == "INVALID_FIELD"
    assert f"at most {MAX_BYTES} bytes" in error["message"]


async def test_a_stored_over_deep_document_is_read_with_its_deep_part_cut(api: Api) -> None:
    """Written straight into the store (as a bug or an old version might have): every read still answers."""
    await owned(api, N1, N2)
    store = api.services.store
    (doc,) = (await store.get_many(Db.NUMBERS, [N1])).values()
    # Far past every bound, yet within what json encodes below a test runner's own stack (xdist's is deeper).
    doc["deep"] = nested(700)
    assert all(result.ok for result in await store.put_many(Db.NUMBERS, [doc]))

    for key in ("admin", "reseller"):
        response = await api.post(LISTING, key=key)
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body
        by_number = {edge["node"]["e164"]: edge["node"]["publicFields"] for edge in body["data"]["numbers"]["edges"]}
        assert set(by_number) == {N1, N2}
        cut = by_number[N1]["deep"]
        for _ in range(MAX_DEPTH - 1):  # publicFields is level 1, "deep" level 2
            cut = cut["n"]
        assert cut == CUT
    one = await api.data(f'query {{ number(number: "{N1}") {{ state publicFields }} }}', key="reseller")
    assert one["number"]["state"] == State.IN_SERVICE.name
