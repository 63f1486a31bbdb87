"""The floor GET /hunt is measured against answers the authenticated GET, and only it, with 60 bytes."""

from __future__ import annotations

import httpx

from benchmarks.floor import BODY, floor_app


async def test_the_floor_answers_its_key_with_the_fixed_body_and_any_other_with_401() -> None:
    transport = httpx.ASGITransport(app=floor_app("secret"))
    async with httpx.AsyncClient(transport=transport, base_url="http://floor") as client:
        answered = await client.get("/hunt/+14155550001", headers={"Authorization": "Bearer secret"})
        refused = await client.get("/hunt/+14155550001", headers={"Authorization": "Bearer other"})
        anonymous = await client.get("/hunt/+14155550001")
    assert (answered.status_code, answered.content, len(answered.content)) == (200, BODY, 60)
    assert answered.headers["content-type"] == "application/json"
    assert (refused.status_code, anonymous.status_code) == (401, 401)
