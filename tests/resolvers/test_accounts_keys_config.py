"""Accounts, API keys and system configuration use cases (SPEC §10, §11) on both stores."""

from __future__ import annotations

import pytest

from numplane.domain.errors import DomainError, ErrorCode
from numplane.domain.states import State
from numplane.resolvers import accounts, keys, rewrite
from numplane.resolvers.context import Role
from numplane.resolvers.system_config import get_config, update_config
from numplane.store.base import Db, Store
from tests.resolvers.conftest import World, make_world
from tests.support.counting import CountingStore
from tests.support.interloper import Interloper


async def test_reseller_creates_sub_accounts_under_itself_and_its_descendants(world: World) -> None:
    grandchild = await accounts.create_account(world.services, world.reseller, "G", world.child.id)
    assert grandchild.tree == (world.admin.id, world.reseller.id, world.child.id)
    assert not grandchild.is_admin and not grandchild.allow_additions


async def test_child_cannot_create_an_account_under_its_parent_or_an_unrelated_account(world: World) -> None:
    with pytest.raises(DomainError) as caught:
        await accounts.create_account(world.services, world.child, "X", world.reseller.id)
    assert caught.value.code is ErrorCode.FORBIDDEN
    with pytest.raises(DomainError) as hidden:
        await accounts.create_account(world.services, world.child, "X", world.unrelated.id)
    assert hidden.value.code is ErrorCode.NOT_FOUND


async def test_only_admins_change_account_flags_but_owners_may_rename(world: World) -> None:
    with pytest.raises(DomainError) as caught:
        await accounts.update_account(world.services, world.reseller, world.child.id, good_standing=False)
    assert caught.value.code is ErrorCode.FORBIDDEN
    renamed = await accounts.update_account(world.services, world.reseller, world.child.id, name="Child Co")
    assert renamed.name == "Child Co"
    flagged = await accounts.update_account(world.services, world.admin, world.child.id, allow_additions=True)
    assert flagged.allow_additions


async def test_unrelated_account_is_not_found(world: World) -> None:
    with pytest.raises(DomainError) as caught:
        await accounts.get_account(world.services, world.child, world.unrelated.id)
    assert caught.value.code is ErrorCode.NOT_FOUND
    assert (await accounts.get_account(world.services, world.child, world.reseller.id)).id == world.reseller.id


async def test_children_descendants_and_ancestors_page_in_id_order(world: World) -> None:
    created = [await accounts.create_account(world.services, world.child, f"g{i}") for i in range(5)]
    page = await accounts.children(world.services, world.reseller, world.child.account, first=3)
    rest = await accounts.children(world.services, world.reseller, world.child.account, first=3, after=page.end_cursor)
    assert page.has_next and not rest.has_next
    assert [a.id for a in page.items + rest.items] == sorted(a.id for a in created)
    below = await accounts.descendants(world.services, world.reseller, world.reseller.account, first=50)
    assert {a.id for a in below.items} == {world.child.id, *(a.id for a in created)}
    assert [a.id for a in await accounts.ancestors(world.services, created[0])] == [
        world.admin.id, world.reseller.id, world.child.id,
    ]
    siblings = await accounts.children(world.services, world.child, world.reseller.account)
    assert siblings.items == []  # a child does not list its parent's other sub-accounts


async def test_api_key_is_shown_once_stored_hashed_and_authenticates_until_revoked(world: World) -> None:
    token, key_id = await keys.create_key(world.services, world.admin, world.child.id, "router")
    stored = (await world.services.store.get_many(Db.SYSTEM, ["key:" + key_id]))["key:" + key_id]
    assert token not in str(stored)
    requester = await keys.authenticate(world.services, token)
    assert requester is not None and requester.id == world.child.id and requester.role is Role.ROUTER
    assert await keys.authenticate(world.services, token + "x") is None
    assert await keys.authenticate(world.services, "np_nothing_here") is None
    await keys.revoke_key(world.services, world.admin, key_id)
    assert await keys.authenticate(world.services, token) is None


async def test_admin_keys_exist_only_for_the_root(world: World) -> None:
    with pytest.raises(DomainError) as caught:
        await keys.create_key(world.services, world.admin, world.child.id, "admin")
    assert caught.value.code is ErrorCode.FORBIDDEN
    with pytest.raises(DomainError) as unknown:
        await keys.create_key(world.services, world.admin, world.child.id, "superuser")
    assert unknown.value.code is ErrorCode.INVALID_FIELD


async def test_unrelated_account_cannot_revoke_a_key(world: World) -> None:
    _token, key_id = await keys.create_key(world.services, world.reseller, world.child.id)
    with pytest.raises(DomainError) as caught:
        await keys.revoke_key(world.services, world.unrelated, key_id)
    assert caught.value.code is ErrorCode.NOT_FOUND


async def test_init_creates_the_root_once_and_issues_a_new_key_each_time(world: World) -> None:
    root, token, created = await keys.init_root(world.services, "again")
    assert (root.id, created) == (world.admin.id, False)
    requester = await keys.authenticate(world.services, token)
    assert requester is not None and requester.is_admin


async def test_config_defaults_come_from_settings_and_admins_change_them(world: World) -> None:
    config = await get_config(world.services)
    assert (config.aging_days, config.max_batch, config.released_state) == (90, 1000, State.AVAILABLE)
    assert config.carriers == ("simulated",)
    changed = await update_config(world.services, world.admin, {"aging_days": 30, "default_region": "gb"})
    assert (changed.aging_days, changed.default_region) == (30, "GB")
    assert (await get_config(world.services)).aging_days == 30


@pytest.mark.parametrize(
    ("field", "value"),
    [("aging_days", -1), ("history_length", 0), ("history_length", 1001), ("max_batch", 10001),
     ("features_allowed", ["teleport"]), ("released_state", State.IN_SERVICE), ("default_region", "USA")],
)
async def test_out_of_range_config_is_invalid_field(world: World, field: str, value: object) -> None:
    with pytest.raises(DomainError) as caught:
        await update_config(world.services, world.admin, {field: value})
    assert caught.value.code is ErrorCode.INVALID_FIELD
    assert caught.value.field is not None and caught.value.field[0] == field


async def test_users_cannot_change_the_config(world: World) -> None:
    with pytest.raises(DomainError) as caught:
        await update_config(world.services, world.reseller, {"aging_days": 1})
    assert caught.value.code is ErrorCode.FORBIDDEN


async def test_numbers_typed_in_national_form_are_read_in_the_configured_region(world: World) -> None:
    from numplane.resolvers import numbers
    from numplane.resolvers.bulk import NumberRef

    await update_config(world.services, world.admin, {"default_region": "GB"})
    added = await numbers.add_numbers(
        world.services, world.admin, [NumberRef("07400 123456")], state=State.AVAILABLE, carrier="inventory"
    )
    assert added.numbers[0].e164 == "+447400123456"
    assert (await numbers.get_number(world.services, world.child, "07400123456")).e164 == "+447400123456"
    assert await numbers.classify(world.services, "07400 123456") == "MOBILE"


async def test_a_key_or_account_change_keeps_the_cached_config(store: Store) -> None:
    counting = CountingStore(store)
    world = await make_world(counting)
    _token, key_id = await keys.create_key(world.services, world.admin, world.child.id)
    await get_config(world.services)
    counting.calls.clear()
    await keys.revoke_key(world.services, world.admin, key_id)
    await accounts.update_account(world.services, world.admin, world.child.id, enabled=False)
    reads = counting.calls["get_many:system"]
    await get_config(world.services)
    assert counting.calls["get_many:system"] == reads  # served from its own cache, untouched by the key's


async def test_a_config_change_keeps_the_cached_authentications(store: Store) -> None:
    counting = CountingStore(store)
    world = await make_world(counting)
    token, _key_id = await keys.create_key(world.services, world.admin, world.child.id)
    assert await keys.authenticate(world.services, token) is not None
    await update_config(world.services, world.admin, {"aging_days": 3})
    counting.calls.clear()
    assert await keys.authenticate(world.services, token) is not None
    assert counting.total == 0


@pytest.mark.parametrize("document", ["account", "key", "config"])
async def test_an_edit_that_keeps_conflicting_gives_up_with_conflict_and_writes_nothing(
    store: Store, document: str
) -> None:
    interloper = Interloper(store, Db.ACCOUNTS if document == "account" else Db.SYSTEM)
    world = await make_world(interloper)
    _token, key_id = await keys.create_key(world.services, world.admin, world.child.id)
    await update_config(world.services, world.admin, {"aging_days": 3})
    edits = {
        "account": lambda: accounts.update_account(world.services, world.admin, world.child.id, name="renamed"),
        "key": lambda: keys.revoke_key(world.services, world.admin, key_id),
        "config": lambda: update_config(world.services, world.admin, {"aging_days": 4}),
    }
    interloper.active = True
    with pytest.raises(DomainError) as caught:
        await edits[document]()
    assert caught.value.code is ErrorCode.CONFLICT and "retry" in caught.value.message
    assert interloper.interruptions == rewrite.ATTEMPTS
    interloper.active = False
    assert (await accounts.get_account(world.services, world.admin, world.child.id)).name == "C"
    assert not (await store.get_many(Db.SYSTEM, ["key:" + key_id]))["key:" + key_id]["revoked"]
    assert (await store.get_many(Db.SYSTEM, ["config"]))["config"]["aging_days"] == 3
