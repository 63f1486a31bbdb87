"""The Kazoo migration end to end: a Kazoo-shaped pouchdb-server imported into each numplane store and read
back through the API, re-run, resumed, followed and verified."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from numplane.kazoo.migration import FollowStatus, Migration, Options
from numplane.kazoo.report import Report
from numplane.kazoo.source import CouchSource, FolderSource, Source, SourceError
from numplane.kazoo.verify import verify
from numplane.resolvers import keys
from numplane.resolvers.accounts import load_accounts
from numplane.resolvers.context import Role
from numplane.store.base import Db
from tests.support.api import Api, running_api, services_for, settings_for
from tests.support.kazoo import (
    CHILD,
    IMPORTED_NUMBERS,
    ORPHAN,
    REFUSED_NUMBERS,
    RESELLER,
    ROOT,
    KazooSource,
    dump_folder,
    seed_kazoo,
)

NUMBER = """query ($n: String!) { number(number: $n) {
  state carrier portedIn usedBy account { accountId } previousAccount { accountId }
  reserveHistory { accountId } publicFields features history(last: 5) { action to ownerAfter } } }"""


@pytest.fixture
async def api(store_url: tuple[str, str]) -> AsyncIterator[Api]:
    async with running_api(services_for(settings_for(store_url))) as running:
        yield running


@pytest.fixture
def kazoo(couch_url: str) -> KazooSource:
    return seed_kazoo(couch_url)


def options(kazoo: KazooSource, **changes: Any) -> Options:
    return Options(accounts_db=kazoo.accounts_db, numbers_prefix=kazoo.numbers_prefix, **changes)


async def run_import(api: Api, source: Source, opts: Options) -> Report:
    try:
        return await Migration(api.services, source, opts).run()
    finally:
        await source.close()


async def key_of(api: Api, account_id: str) -> str:
    account = (await load_accounts(api.services, [account_id]))[account_id]
    api.keys[account_id], _key_id = await keys.issue_key(api.services, account, Role.USER, "kazoo test")
    return account_id


async def read(api: Api, number: str, key: str = "admin") -> dict[str, Any] | None:
    found: dict[str, Any] | None = (await api.data(NUMBER, {"n": number}, key=key))["number"]
    return found


async def test_import_makes_every_mapped_number_readable_with_owner_visibility_features_and_history(
    api: Api, kazoo: KazooSource
) -> None:
    report = await run_import(api, CouchSource(kazoo.url), options(kazoo))

    assert {r.id for r in report.refused("number")} == REFUSED_NUMBERS
    assert {r.id for r in report.refused("account")} == {ORPHAN}
    assert report.counts[("number", "created")] == len(IMPORTED_NUMBERS)
    for number in IMPORTED_NUMBERS:
        found = await read(api, number)
        assert found is not None, number
        assert found["history"][0]["action"] == "import"
    served = await read(api, "+14155550101")
    assert served is not None
    assert (served["state"], served["carrier"], served["usedBy"]) == ("IN_SERVICE", "local", "callflow")
    assert served["account"] == {"accountId": CHILD}
    assert served["publicFields"]["e911"]["latitude"] == 37.7866 and "dash_e911" not in served["publicFields"]
    assert served["features"] == ["e911"]
    reserved = await read(api, "+14155550102")
    assert reserved is not None and reserved["carrier"] == "knm_bandwidth2"
    assert [a["accountId"] for a in reserved["reserveHistory"]] == [CHILD, RESELLER]
    legacy = await read(api, "+14155550103")
    assert legacy is not None and (legacy["state"], legacy["account"]) == ("AVAILABLE", None)
    assert (await read(api, "+442071234567") or {})["carrier"] == "knm_bandwidth2"
    # Visibility follows the imported tree: the reseller sees its child's number, the child not its parent's.
    child, reseller = await key_of(api, CHILD), await key_of(api, RESELLER)
    assert await read(api, "+14155550101", reseller) is not None
    assert await read(api, "+14155550104", child) is None
    assert await read(api, "+14155550101", "unrelated") is None
    tree = await api.data("query { account(accountId: \"test-child\") { ancestors { accountId } } }", key=child)
    assert [a["accountId"] for a in tree["account"]["ancestors"]] == [ROOT, RESELLER]


async def test_a_second_run_changes_nothing(api: Api, kazoo: KazooSource) -> None:
    await run_import(api, CouchSource(kazoo.url), options(kazoo))
    before = await api.services.store.get_many(Db.NUMBERS, sorted(IMPORTED_NUMBERS))

    again = await run_import(api, CouchSource(kazoo.url), options(kazoo))

    assert again.counts[("number", "identical")] == len(IMPORTED_NUMBERS)
    assert again.counts[("number", "created")] == 0 and not again.conflicts()
    assert again.counts[("account", "identical")] == 3
    after = await api.services.store.get_many(Db.NUMBERS, sorted(IMPORTED_NUMBERS))
    assert {i: d["_rev"] for i, d in after.items()} == {i: d["_rev"] for i, d in before.items()}


class Interrupted(SourceError):
    pass


class FailingAfter:
    """A source that breaks after a number of pages, as a lost connection would."""

    def __init__(self, inner: Source, pages: int) -> None:
        self.inner, self.pages = inner, pages
        self.label, self.follows = inner.label, inner.follows

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def page(self, db: str, after: str | None, limit: int = 500) -> list[dict[str, Any]]:
        if "numbers" in db:
            if self.pages == 0:
                raise Interrupted("connection lost")
            self.pages -= 1
        return await self.inner.page(db, after, limit)


async def test_an_interrupted_run_resumes_where_it_stopped(api: Api, kazoo: KazooSource) -> None:
    with pytest.raises(Interrupted):
        await run_import(api, FailingAfter(CouchSource(kazoo.url), pages=2), options(kazoo, page=4))  # type: ignore[arg-type]

    resumed = await run_import(api, CouchSource(kazoo.url), options(kazoo, page=4))

    assert resumed.counts[("number", "identical")] == 0  # nothing read twice
    first_pages = 8 - len({"+14155", "+14155550101", "+14155550102", "+14155550103"} & REFUSED_NUMBERS)
    assert resumed.counts[("number", "created")] == len(IMPORTED_NUMBERS) - first_pages
    stored = await api.services.store.get_many(Db.NUMBERS, sorted(IMPORTED_NUMBERS))
    assert set(stored) == IMPORTED_NUMBERS


async def until(condition: Callable[[], Any], seconds: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not await condition():
        assert asyncio.get_running_loop().time() < deadline, "the change was not applied"
        await asyncio.sleep(0.05)


async def test_follow_applies_a_change_and_a_deletion_made_in_kazoo(api: Api, kazoo: KazooSource) -> None:
    migration = Migration(api.services, CouchSource(kazoo.url), options(kazoo))
    await migration.run()
    stop = asyncio.Event()
    rounds: list[FollowStatus] = []
    following = asyncio.create_task(migration.follow(stop, rounds.append, pause=0.05))
    try:
        db = kazoo.numbers_db("+1415")
        changed = {**kazoo.get(db, "+14155550105"), "pvt_state": "in_service", "pvt_modified": 63_900_000_100}
        kazoo.put(db, [changed])
        kazoo.delete(db, "+14155550107")
        # A number database that appears after the import is followed too.
        kazoo.put(kazoo.numbers_db("+1650"), [{"_id": "+16505550100", "pvt_state": "available"}])

        async def applied() -> bool:
            docs = await api.services.store.get_many(Db.NUMBERS, ["+14155550105", "+14155550107", "+16505550100"])
            return (docs.get("+14155550105", {}).get("pvt_state") == "in_service" and "+14155550107" not in docs
                    and "+16505550100" in docs)

        await until(applied)
    finally:
        stop.set()
        await following
        await migration.source.close()
    followed = await read(api, "+14155550105")
    assert followed is not None and followed["state"] == "IN_SERVICE"
    assert [h["action"] for h in followed["history"]] == ["import", "import"]
    assert rounds[-1].pending == 0


async def test_follow_reports_a_kazoo_change_to_a_number_changed_in_numplane_as_a_conflict(
    api: Api, kazoo: KazooSource
) -> None:
    migration = Migration(api.services, CouchSource(kazoo.url), options(kazoo))
    await migration.run()
    await api.data('mutation { updateNumber(input: {number: {number: "+14155550101"}, publicFields: {note: "x"}}) '
                   "{ userErrors { message } } }")
    db = kazoo.numbers_db("+1415")
    kazoo.put(db, [{**kazoo.get(db, "+14155550101"), "pvt_used_by": "mobile"}])
    stop = asyncio.Event()
    following = asyncio.create_task(migration.follow(stop, pause=0.05))
    try:
        await until(lambda: asyncio.sleep(0, bool(migration.report.conflicts())))
    finally:
        stop.set()
        await following
        await migration.source.close()
    assert [r.id for r in migration.report.conflicts()] == ["+14155550101"]
    kept = await read(api, "+14155550101")
    assert kept is not None and kept["publicFields"]["note"] == "x" and kept["usedBy"] == "callflow"


async def test_verify_finds_a_planted_difference(api: Api, kazoo: KazooSource) -> None:
    await run_import(api, CouchSource(kazoo.url), options(kazoo))
    source = CouchSource(kazoo.url)
    compared, clean = await verify(api.services, source, options(kazoo))
    assert compared == len(IMPORTED_NUMBERS) + len(REFUSED_NUMBERS) and clean == []

    await api.data('mutation { updateNumber(input: {number: {number: "+14155550104"}, publicFields: {cnam: null}})'
                   " { userErrors { message } } }")
    _compared, differences = await verify(api.services, source, options(kazoo))
    await source.close()

    assert {(d.number, d.field) for d in differences} == {
        ("+14155550104", "public_fields"), ("+14155550104", "features"), ("+14155550104", "history")
    }


async def test_a_released_imported_number_goes_back_to_the_account_in_its_reserve_history(
    api: Api, kazoo: KazooSource
) -> None:
    await run_import(api, CouchSource(kazoo.url), options(kazoo))

    released = await api.data('mutation { releaseNumbers(input: {numbers: [{number: "+14155550102"}]}) '
                              "{ numbers { state account { accountId } } userErrors { code message } } }")

    assert released["releaseNumbers"]["userErrors"] == []
    assert released["releaseNumbers"]["numbers"] == [{"state": "RESERVED", "account": {"accountId": RESELLER}}]


async def test_a_released_imported_number_of_a_legacy_carrier_leaves_the_account(api: Api, kazoo: KazooSource) -> None:
    await run_import(api, CouchSource(kazoo.url), options(kazoo))

    released = await api.data('mutation { releaseNumbers(input: {numbers: [{number: "+442071234567"}]}) '
                              "{ numbers { state account { accountId } } userErrors { code message } } }")

    assert released["releaseNumbers"]["userErrors"] == []
    assert released["releaseNumbers"]["numbers"][0]["account"] is None


async def test_the_hunt_routes_an_imported_in_service_number(api: Api, kazoo: KazooSource) -> None:
    await run_import(api, CouchSource(kazoo.url), options(kazoo))

    routed = await api.client.get("/hunt/+14155550101", headers={"Authorization": f"Bearer {api.keys['router']}"})

    assert routed.status_code == 200
    assert routed.json()["disposition"] == "ROUTE" and routed.json()["account"]["id"] == CHILD


async def test_a_folder_dump_imports_like_the_database(api: Api, tmp_path: Path) -> None:
    report = await run_import(api, FolderSource(dump_folder(tmp_path)), Options())

    assert {r.id for r in report.refused("number")} == REFUSED_NUMBERS
    assert report.counts[("number", "created")] == len(IMPORTED_NUMBERS)
    again = await run_import(api, FolderSource(tmp_path), Options())
    assert again.counts[("number", "identical")] == len(IMPORTED_NUMBERS)


async def test_a_dry_run_writes_nothing(api: Api, kazoo: KazooSource) -> None:
    report = await run_import(api, CouchSource(kazoo.url), options(kazoo, dry_run=True))

    assert report.counts[("number", "created")] == len(IMPORTED_NUMBERS)
    assert await api.services.store.get_many(Db.NUMBERS, sorted(IMPORTED_NUMBERS)) == {}


async def test_account_ids_that_are_not_32_hex_characters_work_everywhere_an_account_id_is_read(
    api: Api, kazoo: KazooSource
) -> None:
    await run_import(api, CouchSource(kazoo.url), options(kazoo))

    reserved = await api.data(
        'mutation { reserveNumbers(input: {numbers: [{number: "+14155550103"}], accountId: "test-child"}) '
        "{ numbers { account { accountId } } userErrors { message } } }"
    )
    key = await api.data('mutation { createApiKey(input: {accountId: "test-child"}) { userErrors { message } } }')
    hunted = await api.client.get("/hunt/+14155550101", params={"caller": CHILD},
                                  headers={"Authorization": f"Bearer {api.keys['router']}"})

    assert reserved["reserveNumbers"] == {"numbers": [{"account": {"accountId": CHILD}}], "userErrors": []}
    assert key["createApiKey"]["userErrors"] == []
    assert hunted.json()["disposition"] == "ROUTE"
