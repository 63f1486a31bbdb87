"""Who may hold which API key, through HTTP (SPEC §10): router and admin keys are the platform's, so only
admins issue or revoke them; a user key hands out user keys in its own tree and nothing more."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.api import Api

CREATE = """mutation($a: String!, $r: String) { createApiKey(input: {accountId: $a, role: $r}) {
  key keyId userErrors { code message field } } }"""
REVOKE = "mutation($k: String!) { revokeApiKey(keyId: $k) { keyId userErrors { code message } } }"
HUNT = "mutation { huntNumber(input: {number: \"+14155550199\"}) { result { disposition } userErrors { code } } }"


async def create(api: Api, account: str, role: str, *, key: str) -> dict[str, Any]:
    payload: dict[str, Any] = (await api.data(CREATE, {"a": api.id(account), "r": role}, key=key))["createApiKey"]
    return payload


async def may_hunt(api: Api, token: str) -> bool:
    api.keys["probe"] = token
    payload = (await api.data(HUNT, key="probe"))["huntNumber"]
    return payload["userErrors"] == [] and payload["result"]["disposition"] == "NOT_FOUND"


@pytest.mark.parametrize("account", ["R", "C"])
async def test_user_key_cannot_create_a_router_key_for_its_account_or_a_descendant(api: Api, account: str) -> None:
    payload = await create(api, account, "router", key="reseller")
    assert payload["key"] is None and payload["keyId"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("FORBIDDEN", ["role"])]
    assert "Only admins create router keys" in payload["userErrors"][0]["message"]


@pytest.mark.parametrize("account", ["M", "R", "C"])
async def test_user_key_cannot_create_an_admin_key(api: Api, account: str) -> None:
    api.keys["root_user"] = (await create(api, "M", "user", key="admin"))["key"]
    for key in ("reseller", "root_user"):
        payload = await create(api, account, "admin", key=key)
        codes = [e["code"] for e in payload["userErrors"]]
        # The root is an ancestor of the reseller, visible but not in its tree.
        assert payload["key"] is None and codes == ["FORBIDDEN"], (key, payload)


async def test_user_key_of_the_root_account_is_still_only_a_user(api: Api) -> None:
    api.keys["root_user"] = (await create(api, "M", "user", key="admin"))["key"]
    assert not await may_hunt(api, api.keys["root_user"])
    router = await create(api, "M", "router", key="root_user")
    assert router["key"] is None and router["userErrors"][0]["code"] == "FORBIDDEN"


async def test_user_key_creates_user_keys_that_cannot_escalate(api: Api) -> None:
    made = await create(api, "C", "user", key="reseller")
    assert made["userErrors"] == [] and made["key"]
    assert not await may_hunt(api, made["key"])
    api.keys["made"] = made["key"]
    for role in ("router", "admin"):
        again = await create(api, "C", role, key="made")
        assert again["key"] is None and again["userErrors"][0]["code"] == "FORBIDDEN"


async def test_user_key_cannot_create_keys_for_its_parent_or_outside_its_tree(api: Api) -> None:
    parent = await create(api, "R", "user", key="child")
    assert [e["code"] for e in parent["userErrors"]] == ["FORBIDDEN"]
    unrelated = await create(api, "U", "user", key="child")
    assert [e["code"] for e in unrelated["userErrors"]] == ["NOT_FOUND"]


async def test_admin_creates_router_keys_that_hunt(api: Api) -> None:
    made = await create(api, "R", "router", key="admin")
    assert made["userErrors"] == []
    assert await may_hunt(api, made["key"])


async def test_only_admins_revoke_router_and_admin_keys(api: Api) -> None:
    router = await create(api, "R", "router", key="admin")
    api.keys["root_user"] = (await create(api, "M", "user", key="admin"))["key"]
    refused = (await api.data(REVOKE, {"k": router["keyId"]}, key="reseller"))["revokeApiKey"]
    assert refused["keyId"] is None and [e["code"] for e in refused["userErrors"]] == ["FORBIDDEN"]
    assert await may_hunt(api, router["key"])
    admin_key_id = api.keys["admin"][len("np_"):].partition("_")[0]
    by_root_user = (await api.data(REVOKE, {"k": admin_key_id}, key="root_user"))["revokeApiKey"]
    assert [e["code"] for e in by_root_user["userErrors"]] == ["FORBIDDEN"]
    assert (await api.data(REVOKE, {"k": router["keyId"]}, key="admin"))["revokeApiKey"]["userErrors"] == []
    api.keys["revoked"] = router["key"]
    assert (await api.post(HUNT, key="revoked")).status_code == 401


async def test_user_key_revokes_user_keys_of_its_descendants(api: Api) -> None:
    assert (await api.data(REVOKE, {"k": api.key_ids["child"]}, key="reseller"))["revokeApiKey"]["userErrors"] == []
    assert (await api.post(HUNT, key="child")).status_code == 401
