"""Export then import into a fresh store recreates every number exactly (SPEC §14, issue 16)."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import pytest

from numplane.domain.numbers import Number
from numplane.domain.states import State
from numplane.resolvers import inventory
from numplane.resolvers.context import Requester, Role, Services
from numplane.resolvers.create_only import create_numbers
from numplane.settings import Settings
from numplane.store import store_from_url
from numplane.store.base import HIGH, Db, Store
from tests.conftest import unique_prefix
from tests.resolvers.conftest import World
from tests.support.inventory import in_every_state


@pytest.fixture
async def fresh_store(store_url: tuple[str, str], tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Store]:
    """A second, empty store of the same kind as `store`."""
    url, _prefix = store_url
    if url.startswith("sqlite:"):
        url, prefix = f"sqlite:///{tmp_path_factory.mktemp('fresh') / 'fresh.db'}", "numplane"
    else:
        prefix = unique_prefix()
    opened = store_from_url(url, db_prefix=prefix)
    await opened.open()
    try:
        yield opened
    finally:
        await opened.close()


async def exported_text(services: Services, admin: Requester) -> str:
    target = io.StringIO()
    write = inventory.write_csv(target)
    async for number in inventory.exported(services, admin):
        write(number)
    return target.getvalue()


async def with_accounts_of(world: World, fresh: Store) -> Services:
    """The fresh store holding the same accounts (the numbers' owners), as after copying the accounts."""
    accounts = await world.services.store.id_range(Db.ACCOUNTS, start="", end=HIGH, limit=1000)
    await fresh.put_many(Db.ACCOUNTS, [{k: v for k, v in doc.items() if k != "_rev"} for doc in accounts])
    return Services(store=fresh, settings=Settings(carriers="simulated"), clock=world.clock)


async def numbers_in(store: Store) -> dict[str, Number]:
    docs = await store.id_range(Db.NUMBERS, start="", end=HIGH, limit=1000)
    return {doc["_id"]: Number.from_doc(doc).with_changes(rev=None) for doc in docs}


async def test_export_then_import_into_a_fresh_store_keeps_every_field_of_every_state(
    world: World, fresh_store: Store
) -> None:
    tree = (world.admin.id, world.reseller.id, world.child.id)
    originals = in_every_state(tree, world.unrelated.id)
    await create_numbers(world.services.store, originals)
    text = await exported_text(world.services, world.admin)
    target = await with_accounts_of(world, fresh_store)

    parsed = inventory.read_rows(text, state=State.AVAILABLE, carrier="inventory", account_id=None)
    report = await inventory.import_file(target, Requester(world.admin.account, Role.ADMIN), parsed)

    assert (report.added, report.failures, parsed.ignored_columns) == (len(originals), [], [])
    copied = await numbers_in(fresh_store)
    assert {n.state for n in copied.values()} == set(State)
    for original in originals:
        assert copied[original.e164] == original, original.state  # every field, the history included


async def test_importing_the_same_export_twice_changes_nothing(world: World, fresh_store: Store) -> None:
    await create_numbers(world.services.store, in_every_state((world.admin.id,), world.unrelated.id))
    text = await exported_text(world.services, world.admin)
    target = await with_accounts_of(world, fresh_store)
    admin = Requester(world.admin.account, Role.ADMIN)
    await inventory.import_file(target, admin, inventory.read_rows(text, state=State.AVAILABLE, carrier="x",
                                                                   account_id=None))
    before = await fresh_store.id_range(Db.NUMBERS, start="", end=HIGH, limit=1000)

    again = await inventory.import_file(
        target, admin, inventory.read_rows(text, state=State.AVAILABLE, carrier="x", account_id=None)
    )

    assert (again.added, again.unchanged, again.failures) == (0, len(State), [])
    assert await fresh_store.id_range(Db.NUMBERS, start="", end=HIGH, limit=1000) == before


async def test_an_exported_number_that_differs_from_the_stored_one_fails_its_row_and_is_kept(world: World) -> None:
    original = in_every_state((world.admin.id,), world.unrelated.id)[0]
    await create_numbers(world.services.store, [original])
    text = await exported_text(world.services, world.admin)
    edited = text.replace("ord-0", "ord-edited-elsewhere")
    assert edited != text

    report = await inventory.import_file(
        world.services, world.admin,
        inventory.read_rows(edited, state=State.AVAILABLE, carrier="x", account_id=None),
    )

    assert [(f.line, f.code) for f in report.failures] == [(2, "NUMBER_EXISTS")]
    assert (await numbers_in(world.services.store))[original.e164] == original


async def test_an_exported_row_whose_account_is_not_in_this_store_fails_alone(
    world: World, fresh_store: Store
) -> None:
    owned = [n for n in in_every_state((world.admin.id, world.child.id), world.unrelated.id) if n.owner]
    await create_numbers(world.services.store, owned)
    text = await exported_text(world.services, world.admin)
    target = Services(store=fresh_store, settings=Settings(carriers="simulated"), clock=world.clock)
    await fresh_store.put_many(Db.ACCOUNTS, [world.admin.account.to_doc()])  # the owner is missing

    report = await inventory.import_file(
        target, Requester(world.admin.account, Role.ADMIN),
        inventory.read_rows(text, state=State.AVAILABLE, carrier="x", account_id=None),
    )

    assert report.added == 0
    assert {f.code for f in report.failures} == {"NOT_FOUND"}
    assert len(report.failures) == len(owned)
    assert world.child.id in report.failures[0].reason
