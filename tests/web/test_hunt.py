"""`GET /hunt/{number}`: the lean hunt for routers, with the API's Bearer keys."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette

from numplane.domain.states import State
from numplane.resolvers import keys, numbers
from numplane.resolvers.accounts import load_accounts
from numplane.resolvers.context import Role
from numplane.store.base import Store
from numplane.store.observed import ObservedStore
from numplane.web.hunt import hunt_route
from tests.resolvers.conftest import World, make_world
from tests.resolvers.test_lifecycle_scenarios import refs, stock

N = "+14155550123"


@pytest.fixture
async def world(store: Store) -> World:
    return await make_world(ObservedStore(store))


@pytest.fixture
async def client(world: World) -> AsyncIterator[httpx.AsyncClient]:
    app = Starlette(routes=[hunt_route(world.services)])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://numplane") as client:
        yield client


async def key(world: World, role: Role, account_id: str | None = None) -> dict[str, str]:
    wanted = account_id or world.reseller.id
    account = (await load_accounts(world.services, [wanted]))[wanted]
    token, _key_id = await keys.issue_key(world.services, account, role, "test")
    return {"Authorization": f"Bearer {token}"}


async def test_a_router_key_gets_the_route_as_json(world: World, client: httpx.AsyncClient) -> None:
    await stock(world, N)
    await numbers.activate_numbers(world.services, world.reseller, refs(N))
    response = await client.get(f"/hunt/{N}", headers=await key(world, Role.ROUTER))
    assert response.status_code == 200
    assert response.json() == {
        "number": N,
        "disposition": "ROUTE",
        "account": {"id": world.reseller.id, "name": "R"},
        "forceOutbound": False,
        "portCompleted": False,
    }


async def test_the_caller_parameter_decides_a_porting_number(world: World, client: httpx.AsyncClient) -> None:
    assert not (await numbers.port_in_numbers(world.services, world.reseller, refs(N))).errors
    headers = await key(world, Role.ROUTER)
    outside = await client.get("/hunt/4155550123", params={"caller": world.unrelated.id}, headers=headers)
    assert outside.json()["disposition"] == "ROUTE_UPSTREAM"
    carrier = await client.get("/hunt/%2B14155550123", headers=headers)
    assert (carrier.json()["disposition"], carrier.json()["portCompleted"]) == ("ROUTE", True)
    assert (await numbers.get_number(world.services, world.admin, N)).state is State.IN_SERVICE


async def test_an_admin_key_may_hunt(world: World, client: httpx.AsyncClient) -> None:
    response = await client.get(f"/hunt/{N}", headers=await key(world, Role.ADMIN, world.admin.id))
    assert (response.status_code, response.json()["disposition"]) == (200, "NOT_FOUND")


async def test_a_user_key_is_forbidden(world: World, client: httpx.AsyncClient) -> None:
    response = await client.get(f"/hunt/{N}", headers=await key(world, Role.USER))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "FORBIDDEN"


@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": "Bearer np_nosuchkey_secret"},
    {"Authorization": "Basic dXNlcjpwYXNz"},
    {"Authorization": "Bearer "},
])
async def test_without_a_valid_key_the_answer_is_401(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    response = await client.get(f"/hunt/{N}", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHENTICATED"


async def test_a_revoked_key_is_401(world: World, client: httpx.AsyncClient) -> None:
    account = world.reseller.account
    token, key_id = await keys.issue_key(world.services, account, Role.ROUTER, "soon revoked")
    await keys.revoke_key(world.services, world.admin, key_id)
    response = await client.get(f"/hunt/{N}", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


async def test_something_that_is_not_a_number_is_400(world: World, client: httpx.AsyncClient) -> None:
    response = await client.get("/hunt/call-me", headers=await key(world, Role.ROUTER))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "INVALID_NUMBER"
