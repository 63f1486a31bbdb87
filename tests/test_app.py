"""The HTTP edge: authentication before GraphQL, abuse limits, error masking, health and metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from numplane.app import create_app
from numplane.schema import query as query_module
from numplane.settings import Settings
from numplane.store.base import StoreUnavailable
from tests.support.api import Api, running_api, services_for, settings_for


@pytest.fixture
async def api(store_url: tuple[str, str]) -> AsyncIterator[Api]:
    async with running_api(services_for(settings_for(store_url))) as running:
        yield running


def unauthenticated(response: httpx.Response) -> bool:
    body = response.json()
    return response.status_code == 401 and body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_no_key_bad_key_and_revoked_key_get_401_and_nothing_runs(api: Api) -> None:
    create = '{ me { name } }'
    assert unauthenticated(await api.post(create, key=None))
    api.keys["bogus"] = "np_0000_nothing"
    assert unauthenticated(await api.post(create, key="bogus"))
    api.keys["garbage"] = "garbage"
    assert unauthenticated(await api.post(create, key="garbage"))
    revoke = "mutation($k: String!) { revokeApiKey(keyId: $k) { userErrors { code } } }"
    await api.data(revoke, {"k": api.key_ids["child"]})
    assert unauthenticated(await api.post(create, key="child"))
    before = await api.data("{ me { descendants { edges { node { name } } } } }")
    mutation = 'mutation { createAccount(input: {name: "X"}) { account { name } } }'
    assert unauthenticated(await api.post(mutation, key=None))
    after = await api.data("{ me { descendants { edges { node { name } } } } }")
    assert after == before


async def test_deep_query_is_refused_with_a_clear_error(api: Api) -> None:
    deep = "{ me " + "{ parent " * 12 + "{ name }" + " }" * 12 + " }"
    body = await api.gql(deep)
    assert "exceeds maximum operation depth" in body["errors"][0]["message"]


async def test_many_aliases_are_refused(api: Api) -> None:
    aliases = " ".join(f"a{i}: me {{ name }}" for i in range(40))
    body = await api.gql("{ " + aliases + " }")
    assert "aliases" in body["errors"][0]["message"]


async def test_huge_document_is_refused_by_the_token_limit(api: Api) -> None:
    fields = " ".join("name" for _ in range(6000))
    body = await api.gql("{ me { " + fields + " } }")
    assert "more than 5000 tokens" in body["errors"][0]["message"]


async def test_oversized_body_is_413_with_a_json_error(api: Api) -> None:
    padding = "#" + "x" * (1024 * 1024 + 10)
    response = await api.post("{ me { name } }" + padding)
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "LIMIT_EXCEEDED"


async def test_unexpected_errors_are_masked_and_not_500(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: object) -> str:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(query_module.numbers, "classify", broken)
    body = await api.gql('{ classifyNumber(number: "+14155550100") }')
    assert body["errors"][0]["message"] == "Unexpected error."
    assert "secret" not in str(body)


async def test_introspection_is_off_outside_debug(api: Api) -> None:
    body = await api.gql("{ __schema { types { name } } }")
    assert "introspection" in body["errors"][0]["message"].lower()


async def test_graphiql_only_in_debug(store_url: tuple[str, str]) -> None:
    for debug, expected in ((False, 401), (True, 200)):
        app = create_app(services=services_for(settings_for(store_url, debug=debug)))
        async with LifespanManager(app) as manager:
            transport = httpx.ASGITransport(app=manager.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                response = await client.get("/graphql", headers={"accept": "text/html"})
                assert response.status_code == expected
                if debug:
                    assert "graphiql" in response.text.lower()


async def test_health_ready_and_metrics(api: Api) -> None:
    assert (await api.client.get("/healthz")).json() == {"status": "ok"}
    assert (await api.client.get("/readyz")).status_code == 200
    await api.data("{ me { name } }")
    metrics = (await api.client.get("/metrics")).text
    assert 'numplane_http_requests_total{method="POST",path="/graphql",status="200"}' in metrics


async def test_readyz_is_503_when_the_store_is_down(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    async def down() -> None:
        raise StoreUnavailable("connection refused")

    monkeypatch.setattr(api.services.store, "ping", down)
    response = await api.client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["errors"][0]["extensions"]["code"] == "STORE_UNAVAILABLE"


async def test_store_outage_during_a_mutation_is_a_store_unavailable_user_error(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def down(*_args: object, **_kwargs: object) -> None:
        raise StoreUnavailable("connection refused")

    await api.data("{ me { name } }")  # the key is cached, so the request gets past authentication
    monkeypatch.setattr(api.services.store, "get_many", down)
    query = 'mutation { reserveNumbers(input: {numbers: [{number: "+14155550100"}]}) { userErrors { code number } } }'
    payload = (await api.data(query))["reserveNumbers"]
    assert [e["code"] for e in payload["userErrors"]] == ["STORE_UNAVAILABLE"]


async def test_the_server_runs_the_scheduled_jobs_and_a_setting_turns_them_off(tmp_path: Path) -> None:

    for enabled in (True, False):
        app = create_app(Settings(store=f"sqlite:///{tmp_path / f'{enabled}.db'}", scheduler=enabled))
        async with LifespanManager(app):
            scheduler = app.state.scheduler.apscheduler
            assert scheduler.running is enabled
            if enabled:
                assert {job.id for job in scheduler.get_jobs()} == {
                    "discovery-expiry", "aging", "purge-deleted", "port-cutover", "hold-expiry",
                    "idempotency-expiry",
                }
