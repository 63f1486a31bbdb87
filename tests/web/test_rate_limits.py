"""Per-API-key rate limits through a real uvicorn, on both stores: a key over its budget gets HTTP 429 with
Retry-After and RateLimit-* headers before anything runs, while other keys and the router's hunt go on.

Budgets here allow a few requests per window of hours: the counter's windows are aligned to the clock, and
one that ended mid-test would let a request through early (its count then weighs a little less).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest
from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage
from limits.strategies import SlidingWindowCounterRateLimiter

from numplane.domain.fair_share import MAX_HELD, Budget, Spender
from numplane.schema.request_errors import RATE_LIMITED
from numplane.web.rate_limits import RateLimitedRoutes, RateLimits
from tests.support.api import Api, services_for, settings_for
from tests.support.served import served, served_ws
from tests.support.websocket import acknowledged, receive, subscribe

# Refusals are sent at once here so the module stays fast; the hold has scenarios of its own below.
NO_HOLD = {"rate_limit_hold_seconds": 0}
ME = "{ me { name } }"
HUNT = 'mutation { huntNumber(input: {number: "+14155550199"}) { result { disposition } userErrors { code } } }'
ADD = 'mutation { addNumbers(input: {numbers: [{number: "+14155550100"}], state: AVAILABLE}) { userErrors { code } } }'


def assert_rate_limited(response: httpx.Response, *, limit: int) -> None:
    assert response.status_code == 429, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == RATE_LIMITED
    assert response.headers["ratelimit-limit"] == str(limit)
    assert response.headers["ratelimit-remaining"] == "0"
    assert int(response.headers["retry-after"]) >= 1
    assert response.json()["errors"][0]["extensions"]["retryAfter"] == int(response.headers["retry-after"])


async def spend(api: Api, key: str, count: int) -> list[httpx.Response]:
    return [await api.post(ME, key=key) for _ in range(count)]


async def test_a_key_over_its_budget_gets_429_with_rate_limit_headers_and_nothing_runs(
    store_url: tuple[str, str],
) -> None:
    async with served(store_url, **NO_HOLD, rate_limit_user="0.0001/3") as api:
        answered = await spend(api, "child", 3)
        assert [r.status_code for r in answered] == [200, 200, 200]
        assert [r.headers["ratelimit-remaining"] for r in answered] == ["2", "1", "0"]
        assert all(r.headers["ratelimit-limit"] == "3" and int(r.headers["ratelimit-reset"]) > 0
                   for r in answered)
        refused = await api.post(ADD, key="child")
        assert_rate_limited(refused, limit=3)
        # Refused before it ran: the number was not added.
        numbers = await api.data('{ number(number: "+14155550100") { state } }', key="admin")
        assert numbers["number"] is None


async def test_another_key_of_the_same_role_keeps_its_own_budget(store_url: tuple[str, str]) -> None:
    async with served(store_url, **NO_HOLD, rate_limit_user="0.0001/2") as api:
        await spend(api, "child", 2)
        assert_rate_limited(await api.post(ME, key="child"), limit=2)
        assert [r.status_code for r in await spend(api, "reseller", 2)] == [200, 200]


async def test_the_routers_hunt_is_neither_refused_nor_counted_while_a_tenant_is_limited(
    store_url: tuple[str, str],
) -> None:
    async with served(store_url, **NO_HOLD, rate_limit_user="0.0001/2", rate_limit_admin="0.0001/2") as api:
        await spend(api, "child", 2)
        assert_rate_limited(await api.post(ME, key="child"), limit=2)
        router = {"Authorization": f"Bearer {api.keys['router']}"}
        for _ in range(5):
            graphql = await api.gql(HUNT, key="router")
            assert graphql["data"]["huntNumber"]["result"]["disposition"] == "NOT_FOUND"
            lean = await api.client.get("/hunt/+14155550199", headers=router)
            assert lean.status_code == 200 and lean.headers["ratelimit-limit"] == "5000"
        # An admin's GET /hunt spends the hunt budget of its key, not its GraphQL budget.
        admin = {"Authorization": f"Bearer {api.keys['admin']}"}
        assert [(await api.client.get("/hunt/+14155550199", headers=admin)).status_code for _ in range(3)] == [200] * 3
        assert (await api.post(ME, key="admin")).status_code == 200


async def test_each_role_has_its_configured_budget(store_url: tuple[str, str]) -> None:
    async with served(store_url, **NO_HOLD, rate_limit_admin="0.0001/2", rate_limit_router="0.0001/1") as api:
        await spend(api, "admin", 2)
        assert_rate_limited(await api.post(ME, key="admin"), limit=2)
        assert (await api.post(HUNT, key="router")).status_code == 200
        assert_rate_limited(await api.post(HUNT, key="router"), limit=1)
        router = {"Authorization": f"Bearer {api.keys['router']}"}
        lean = await api.client.get("/hunt/+14155550199", headers=router)
        assert (lean.status_code, lean.json()["error"]["code"]) == (429, RATE_LIMITED)
        assert int(lean.headers["retry-after"]) >= 1
        child = await api.post(ME, key="child")  # users keep the default budget
        assert (child.status_code, child.headers["ratelimit-limit"]) == (200, "200")


async def test_requests_without_a_valid_key_spend_their_address_budget(store_url: tuple[str, str]) -> None:
    async with served(store_url, **NO_HOLD, rate_limit_anonymous="0.0001/2") as api:
        unknown = {"Authorization": "Bearer np_nosuchkey_secret"}
        first = await api.client.post("/graphql", json={"query": ME})
        second = await api.client.post("/graphql", json={"query": ME}, headers=unknown)
        assert (first.status_code, second.status_code) == (401, 401)
        assert_rate_limited(await api.client.post("/graphql", json={"query": ME}, headers=unknown), limit=2)
        # A valid key from the same address spends its own budget.
        assert (await api.post(ME, key="child")).status_code == 200


@pytest.mark.parametrize("http_first", [True, False], ids=["after-http", "websocket-only"])
async def test_websocket_operations_spend_the_keys_budget_and_get_an_error_over_it(
    store_url: tuple[str, str], http_first: bool
) -> None:
    async with served_ws(store_url, **NO_HOLD, rate_limit_user="0.0001/2") as (api, url):
        socket = await acknowledged(url, api.keys["child"])
        try:
            if http_first:
                assert (await api.post(ME, key="child")).status_code == 200
            else:
                await subscribe(socket, "first", "{ __typename }")
                assert (await receive(socket))["type"] == "next"
                assert (await receive(socket))["type"] == "complete"
            await subscribe(socket, "second", "{ __typename }")
            assert (await receive(socket))["type"] == "next"
            assert (await receive(socket))["type"] == "complete"
            await subscribe(socket, "third", "{ __typename }")
            refused = await receive(socket)
            assert (refused["id"], refused["type"]) == ("third", "error")
            assert refused["payload"][0]["extensions"]["code"] == RATE_LIMITED
            assert refused["payload"][0]["extensions"]["retryAfter"] >= 1
            # The connection stays open: another key's budget is untouched, and this one still answers.
            assert_rate_limited(await api.post(ME, key="child"), limit=2)
            await subscribe(socket, "fourth", "{ __typename }")
            assert (await receive(socket))["type"] == "error"
        finally:
            await socket.close()


async def test_a_refusal_is_held_before_it_is_sent_while_other_keys_are_answered(tmp_path: Path) -> None:
    # The hold is the web layer's, whatever the store: one store is enough.
    async with served((f"sqlite:///{tmp_path / 'held.db'}", "numplane"), rate_limit_user="0.0001/1",
                      rate_limit_hold_seconds=2) as api:
        await spend(api, "child", 1)
        started = time.monotonic()
        refused = asyncio.create_task(api.post(ME, key="child"))
        assert (await api.post(ME, key="reseller")).status_code == 200
        assert not refused.done()  # still held while another key was answered
        assert_rate_limited(await refused, limit=1)
        assert time.monotonic() - started >= 1  # at least half the longest hold


async def test_refusals_past_the_held_bound_are_sent_at_once(tmp_path: Path) -> None:
    settings = settings_for((f"sqlite:///{tmp_path / 'bound.db'}", "numplane"), rate_limit_hold_seconds=3600)
    services = services_for(settings)
    routes = RateLimitedRoutes(services, RateLimits.from_settings(settings))
    held = [asyncio.create_task(routes.hold("np_noisy")) for _ in range(MAX_HELD)]
    await asyncio.sleep(0)
    assert routes.held["np_noisy"] == MAX_HELD
    await asyncio.wait_for(routes.hold("np_noisy"), timeout=5)  # not held: the bound is reached
    for task in held:
        task.cancel()
    await asyncio.gather(*held, return_exceptions=True)
    assert not routes.held  # a cancelled hold (its client gone) is no longer counted


async def test_a_page_on_an_allowed_origin_may_read_the_rate_limit_headers(store_url: tuple[str, str]) -> None:
    origin = "https://portal.example"
    async with served(store_url, allowed_origins=origin) as api:
        headers = {"Origin": origin, "Authorization": f"Bearer {api.keys['child']}"}
        response = await api.client.post("/graphql", json={"query": ME}, headers=headers)
    exposed = {h.strip().lower() for h in response.headers["access-control-expose-headers"].split(",")}
    assert {"retry-after", "ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"} <= exposed


def test_one_read_of_the_windows_tells_what_the_limits_packages_limiter_tells() -> None:
    budget = Budget.parse("0.0001/3")
    ours = RateLimits({Spender.USER: budget})
    reference = SlidingWindowCounterRateLimiter(MemoryStorage())
    item = RateLimitItemPerSecond(budget.burst, budget.window_seconds, namespace=Spender.USER.value)
    for _ in range(5):
        quota = ours.hit(Spender.USER, "np_key")
        allowed = reference.hit(item, "np_key")
        stats = reference.get_window_stats(item, "np_key")
        assert (quota.allowed, quota.remaining) == (allowed, stats.remaining)
        assert abs(quota.reset - (stats.reset_time - time.time())) <= 1
    assert not quota.allowed and quota.reset > 0  # the last two were refused
