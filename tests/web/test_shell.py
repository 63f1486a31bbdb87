"""The request shell through a real uvicorn: the key a request carries is looked up once (by the rate
limits, before the route), and what it found serves the route and names the key on the request line."""

from __future__ import annotations

import pytest
from starlette.routing import Router
from starlette.types import Receive, Scope, Send

from numplane.resolvers.context import Requester, Services
from numplane.web import credentials
from tests.support.log_lines import capture_json, json_lines
from tests.support.served import served


async def looked_up_again(_services: Services, _token: str) -> Requester | None:
    raise AssertionError("the route looked the key up again")


async def test_the_routes_use_the_requester_the_rate_limits_found(
    store_url: tuple[str, str], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    capture_json(caplog)
    async with served(store_url) as api:
        monkeypatch.setattr("numplane.web.credentials.authenticate", looked_up_again)
        router = {"Authorization": f"Bearer {api.keys['router']}"}
        hunted = await api.client.get("/hunt/+14155550199", headers=router)
        assert hunted.status_code == 200, hunted.text
        assert (await api.post("{ me { name } }", key="child")).status_code == 200
        unknown = await api.client.post(
            "/graphql", json={"query": "{ me { name } }"}, headers={"Authorization": "Bearer np_nosuchkey_secret"}
        )
        assert unknown.status_code == 401
    [line] = [line for line in json_lines(caplog, "numplane.requests")
              if line["request_id"] == hunted.headers["x-request-id"]]
    assert (line["path"], line["key_id"]) == ("/hunt/+14155550199", api.key_ids["router"])


async def test_the_shell_serves_a_hunt_itself_and_leaves_anything_else_on_that_path_to_starlette(
    store_url: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    async with served(store_url) as api:
        routed: list[str] = []
        original = Router.__call__

        async def counted(self: Router, scope: Scope, receive: Receive, send: Send) -> None:
            routed.append(scope["path"])
            await original(self, scope, receive, send)

        monkeypatch.setattr(Router, "__call__", counted)
        router = {"Authorization": f"Bearer {api.keys['router']}"}
        hunted = await api.client.get("/hunt/%2B14155550199", headers=router)
        assert (hunted.status_code, hunted.json()["number"]) == (200, "+14155550199")
        assert hunted.headers["content-type"] == "application/json" and "ratelimit-remaining" in hunted.headers
        assert routed == []
        assert (await api.client.post("/hunt/+14155550199", headers=router)).status_code == 405
        assert (await api.client.get("/hunt/+1415/5550199", headers=router)).status_code == 404
        assert routed == ["/hunt/+14155550199", "/hunt/+1415/5550199"]


async def test_a_route_outside_the_rate_limits_looks_the_key_up_itself(
    store_url: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    async with served(store_url) as api:
        looked: list[str] = []
        original = credentials.authenticate

        async def counted(services: Services, token: str) -> Requester | None:
            looked.append(token)
            found: Requester | None = await original(services, token)
            return found

        monkeypatch.setattr("numplane.web.credentials.authenticate", counted)
        monkeypatch.setattr("numplane.web.shell.limited", lambda _path: False)
        assert (await api.post("{ me { name } }", key="child")).status_code == 200
        assert looked == [api.keys["child"]]
