"""Holds over HTTP (both stores): NUMBER_HELD with heldUntil, the `hold` field's visibility, the feed."""

from __future__ import annotations

from tests.schema.test_mutations import ADD, RESERVE, refs, run
from tests.support.api import Api

N = "+14155550123"
HOLD = (
    "mutation($input: HoldNumbersInput!) { holdNumbers(input: $input) {"
    " numbers { e164 hold { expiresAt account { name } } } userErrors { code number heldUntil } } }"
)
READ = "query($n: String!) { number(number: $n) { e164 hold { expiresAt account { name } } } }"


async def test_a_held_number_is_refused_to_others_with_when_the_hold_ends(api: Api) -> None:
    await run(api, ADD, {"numbers": refs(N), "state": "AVAILABLE", "carrier": "inventory"})
    held = await run(api, HOLD, {"numbers": refs(N), "minutes": 15}, key="reseller")
    assert held["userErrors"] == []
    (number,) = held["numbers"]
    assert number["hold"]["account"] == {"name": "R"}

    refused = await run(api, RESERVE, {"numbers": refs(N)}, key="unrelated")
    assert [e["code"] for e in refused["userErrors"]] == ["NUMBER_HELD"]
    taken = await run(api, RESERVE, {"numbers": refs(N)}, key="child")
    assert taken["userErrors"] == [] and taken["numbers"][0]["state"] == "RESERVED"


async def test_the_hold_is_shown_to_the_holders_line_only(api: Api) -> None:
    await run(api, ADD, {"numbers": refs(N), "state": "AVAILABLE", "carrier": "inventory"})
    await run(api, HOLD, {"numbers": refs(N)}, key="child")
    seen = {who: (await api.data(READ, {"n": N}, key=who))["number"]["hold"] for who in ("reseller", "unrelated")}
    assert seen["reseller"] is not None and seen["reseller"]["account"] == {"name": "C"}
    assert seen["unrelated"] is None  # the number is offered to everyone; who holds it is not


async def test_number_held_userError_carries_held_until(api: Api) -> None:
    await run(api, ADD, {"numbers": refs(N), "state": "AVAILABLE", "carrier": "inventory"})
    held = await run(api, HOLD, {"numbers": refs(N), "minutes": 15}, key="child")
    expires = held["numbers"][0]["hold"]["expiresAt"]
    other = await run(api, HOLD, {"numbers": refs(N)}, key="unrelated")
    assert other["userErrors"] == [{"code": "NUMBER_HELD", "number": N, "heldUntil": expires}]


async def test_holds_appear_in_the_change_feed(api: Api) -> None:
    await run(api, ADD, {"numbers": refs(N), "state": "AVAILABLE", "carrier": "inventory"})
    start = (await api.data("{ numberChanges(first: 1000) { cursor } }", key="child"))["numberChanges"]["cursor"]
    await run(api, HOLD, {"numbers": refs(N)}, key="child")
    feed = await api.data(
        "query($after: String) { numberChanges(after: $after) { changes { e164 transition { action }"
        " number { hold { account { name } } } } } }",
        {"after": start}, key="child",
    )
    assert feed["numberChanges"]["changes"] == [
        {"e164": N, "transition": {"action": "hold"}, "number": {"hold": {"account": {"name": "C"}}}}
    ]
