"""CORS on /graphql and /hunt: pages on allowed origins may call the API, other origins get no CORS headers."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.api import Api, running_api, services_for, settings_for

ALLOWED = "http://console.example:5173"


@pytest.fixture
async def api(store_url: tuple[str, str]) -> AsyncIterator[Api]:
    settings = settings_for(store_url, allowed_origins=f"{ALLOWED}, https://other.example")
    async with running_api(services_for(settings)) as running:
        yield running


def preflight(origin: str) -> dict[str, str]:
    return {
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    }


async def test_preflight_from_allowed_origin_allows_post_with_authorization(api: Api) -> None:
    response = await api.client.options("/graphql", headers=preflight(ALLOWED))
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ALLOWED
    assert "POST" in response.headers["access-control-allow-methods"]
    allowed_headers = response.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed_headers and "content-type" in allowed_headers


async def test_query_from_allowed_origin_carries_the_allow_origin_header(api: Api) -> None:
    response = await api.client.post(
        "/graphql", json={"query": "{ me { name } }"},
        headers={"Origin": ALLOWED, "Authorization": f"Bearer {api.keys['admin']}"},
    )
    assert response.json()["data"]["me"]["name"] == "M"
    assert response.headers["access-control-allow-origin"] == ALLOWED


async def test_hunt_is_open_to_allowed_origins_too(api: Api) -> None:
    headers = {**preflight(ALLOWED), "Access-Control-Request-Method": "GET"}
    response = await api.client.options("/hunt/+14155550100", headers=headers)
    assert response.headers["access-control-allow-origin"] == ALLOWED


async def test_origin_not_allowed_gets_no_cors_headers(api: Api) -> None:
    response = await api.client.options("/graphql", headers=preflight("http://evil.example"))
    assert response.status_code != 200
    assert not [h for h in response.headers if h.startswith("access-control-")]
    answered = await api.client.post(
        "/graphql", json={"query": "{ me { name } }"},
        headers={"Origin": "http://evil.example", "Authorization": f"Bearer {api.keys['admin']}"},
    )
    assert "access-control-allow-origin" not in answered.headers


async def test_no_origin_is_allowed_by_default(store_url: tuple[str, str]) -> None:
    async with running_api(services_for(settings_for(store_url))) as api:
        response = await api.client.options("/graphql", headers=preflight(ALLOWED))
        assert "access-control-allow-origin" not in response.headers


async def test_other_paths_never_answer_cors(api: Api) -> None:
    response = await api.client.get("/healthz", headers={"Origin": ALLOWED})
    assert "access-control-allow-origin" not in response.headers
