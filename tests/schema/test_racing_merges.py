"""Edits that race on public fields all land (SPEC §7), through HTTP on both stores: twenty concurrent
merges without `expectedRevision` give twenty successes and a number holding every merged key."""

from __future__ import annotations

import asyncio

from tests.schema.test_mutations import ACTIVATE, add, refs, run
from tests.support.api import Api

N = "+14155550141"
WRITERS = 20
RACES = 3  # each race starts from a fresh revision; a few of them make a lucky pass unlikely

UPDATE = """mutation($input: UpdateNumberInput!) { updateNumber(input: $input) {
  number { e164 } userErrors { code message } } }"""


async def test_twenty_concurrent_merges_all_land_with_every_key(api: Api) -> None:
    await add(api, N)
    assert (await run(api, ACTIVATE, {"numbers": refs(N), "publicFields": {"kept": True}}, key="child"))[
        "userErrors"] == []
    expected: dict[str, object] = {"kept": True}
    for race in range(RACES):
        keys = [f"r{race}w{writer}" for writer in range(WRITERS)]
        merges = [
            # Owner and ancestor both edit: the racing writers need not be the same account.
            run(api, UPDATE, {"number": {"number": N}, "publicFields": {key: {"by": i}}},
                key="child" if i % 2 else "reseller")
            for i, key in enumerate(keys)
        ]
        payloads = await asyncio.gather(*merges)
        conflicts = [p["userErrors"] for p in payloads if p["userErrors"]]
        assert conflicts == [], f"race {race}: {len(conflicts)} of {WRITERS} merges failed: {conflicts[:2]}"
        expected.update({key: {"by": i} for i, key in enumerate(keys)})
    stored = await api.data(f'{{ number(number: "{N}") {{ publicFields }} }}', key="child")
    assert stored["number"]["publicFields"] == expected
