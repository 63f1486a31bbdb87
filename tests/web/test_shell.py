"""The request shell through a real uvicorn: the key a request carries is looked up once (by the rate
limits, before the route), and what it found serves the route and names the key on the request line."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.routing import Route, Router
from starlette.types import Receive, Scope, Send

from numplane.resolvers.context import Requester, Services
from numplane.web import credentials
from numplane.web.metrics import Metrics
from numplane.web.rate_limits import RateLimits
from numplane.web.shell import RequestShell
from tests.support.api import services_for, settings_for
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

        layered: list[str] = []
        outer_layer = ServerErrorMiddleware.__call__

        async def outer(self: ServerErrorMiddleware, scope: Scope, receive: Receive, send: Send) -> None:
            layered.append(scope["path"])
            await outer_layer(self, scope, receive, send)

        monkeypatch.setattr(Router, "__call__", counted)
        monkeypatch.setattr(ServerErrorMiddleware, "__call__", outer)
        router = {"Authorization": f"Bearer {api.keys['router']}"}
        hunted = await api.client.get("/hunt/%2B14155550199", headers=router)
        assert (hunted.status_code, hunted.json()["number"]) == (200, "+14155550199")
        assert hunted.headers["content-type"] == "application/json" and "ratelimit-remaining" in hunted.headers
        assert "x-request-id" in hunted.headers
        assert routed == [] and layered == []  # the shell took it at Starlette's door
        assert (await api.client.post("/hunt/+14155550199", headers=router)).status_code == 405
        assert (await api.client.get("/hunt/+1415/5550199", headers=router)).status_code == 404
        assert (await api.client.get("/hunt/", headers=router)).status_code == 404
        headed = await api.client.head("/hunt/+14155550199", headers=router)
        assert (headed.status_code, headed.content) == (200, b"")
        assert routed == ["/hunt/+14155550199", "/hunt/+1415/5550199", "/hunt/", "/hunt/+14155550199"]
        assert layered == routed


def test_a_direct_route_is_a_prefix_and_one_parameter_without_a_slash(tmp_path: Path) -> None:
    async def endpoint(_scope: Scope, _receive: Receive, _send: Send) -> None:
        pass

    services = services_for(settings_for((f"sqlite:///{tmp_path}/shell.db", "")))
    shell = functools.partial(RequestShell, Router(), services, Metrics(), RateLimits({}))
    assert shell(direct=Route("/hunt/{number}", endpoint)).direct_prefix == "/hunt/"
    for path in ("/hunt/{number:path}", "/hunt/{number}/calls", "/hunt/{a}-{b}"):
        with pytest.raises(ValueError, match="a prefix and one str parameter"):
            shell(direct=Route(path, endpoint))


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


async def test_a_hunt_that_fails_unexpectedly_is_a_json_500_naming_its_request(
    store_url: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object) -> None:
        raise RuntimeError("secret internals")

    async with served(store_url) as api:
        monkeypatch.setattr("numplane.web.hunt.hunt_from_memory", broken)
        hunted = await api.client.get("/hunt/%2B14155550199", headers={"Authorization": f"Bearer {api.keys['router']}"})
        assert (await api.client.get("/healthz")).status_code == 200  # the server serves on
    assert hunted.status_code == 500 and hunted.headers["x-request-id"]
    assert hunted.json()["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert "secret" not in hunted.text
