"""What only the CouchDB store does: databases and design documents, Kazoo-shaped raw documents,
tombstones, cursor opacity, and surviving a server that goes away and comes back.

Behaviour shared with the SQLite store is covered by tests/store/test_contract.py.
"""

from __future__ import annotations

import base64
import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import httpx
import pytest
from aiohttp import web

from numplane.store.base import Db, InvalidCursor, StoreUnavailable
from numplane.store.couch_http import CouchHttp
from numplane.store.couchdb import CouchStore
from numplane.store.views import VIEWS_VERSION, design_document
from tests.support.couch import CouchServer, free_port

JSON = {"Accept": "application/json", "Content-Type": "application/json"}


def fresh_prefix() -> str:
    return "t" + uuid.uuid4().hex[:12]


@pytest.fixture
async def couch(couch_url: str) -> AsyncIterator[CouchStore]:
    store = CouchStore(couch_url, db_prefix=fresh_prefix())
    await store.open()
    try:
        yield store
    finally:
        await store.close()


@pytest.fixture
async def raw(couch_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A plain HTTP client, to look at what the store left in CouchDB."""
    async with httpx.AsyncClient(base_url=couch_url, headers=JSON) as client:
        yield client


def db_name(store: CouchStore, db: Db) -> str:
    return store._names[db]


def number(e164: str, **fields: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "_id": e164,
        "pvt_type": "number",
        "pvt_state": "in_service",
        "pvt_module_name": "simulated",
        "pvt_assigned_to": "a" * 32,
        "pvt_assigned_tree": ["r" * 32, "a" * 32],
        "pvt_state_changed_at": "2024-05-01T00:00:00Z",
    }
    doc.update(fields)
    return doc


# -- databases and design documents ----------------------------------------------------------------


async def test_open_creates_the_three_databases_each_with_its_design_document(
    couch: CouchStore, raw: httpx.AsyncClient
) -> None:
    for db in Db:
        name = db_name(couch, db)
        assert (await raw.get(f"/{name}")).status_code == 200
        design = (await raw.get(f"/{name}/_design/numplane")).json()
        assert design["numplane_version"] == VIEWS_VERSION
        assert design["views"] == design_document(db)["views"]


async def test_opening_again_leaves_a_current_design_document_alone(couch: CouchStore, raw: httpx.AsyncClient) -> None:
    path = f"/{db_name(couch, Db.NUMBERS)}/_design/numplane"
    before = (await raw.get(path)).json()["_rev"]

    await couch.open()

    assert (await raw.get(path)).json()["_rev"] == before


async def test_opening_replaces_a_design_document_of_another_version(couch: CouchStore, raw: httpx.AsyncClient) -> None:
    path = f"/{db_name(couch, Db.NUMBERS)}/_design/numplane"
    current = (await raw.get(path)).json()
    outdated = {"_rev": current["_rev"], "language": "javascript", "numplane_version": "0", "views": {}}
    assert (await raw.put(path, json=outdated)).status_code == 201

    await couch.open()

    installed = (await raw.get(path)).json()
    assert installed["numplane_version"] == VIEWS_VERSION
    assert set(installed["views"]) == {"tree", "clock", "search", "holds"}


# -- documents as CouchDB sees them ----------------------------------------------------------------


async def test_a_number_is_stored_kazoo_style_under_its_e164_id(couch: CouchStore, raw: httpx.AsyncClient) -> None:
    [written] = await couch.put_many(Db.NUMBERS, [number("+14155550123")])

    response = await raw.get(f"/{db_name(couch, Db.NUMBERS)}/%2B14155550123")

    stored = response.json()
    assert response.status_code == 200
    assert stored["_id"] == "+14155550123"
    assert stored["_rev"] == written.rev
    assert stored["pvt_state"] == "in_service"
    assert stored["pvt_assigned_tree"] == ["r" * 32, "a" * 32]


async def test_a_deleted_number_keeps_state_owner_and_tree_in_its_tombstone(
    couch: CouchStore, raw: httpx.AsyncClient
) -> None:
    cursor = await couch.current_cursor(Db.NUMBERS)
    [created] = await couch.put_many(Db.NUMBERS, [number("+14155550124")])
    tombstone = number("+14155550124", _rev=created.rev, _deleted=True, pvt_state="deleted")

    [deleted] = await couch.put_many(Db.NUMBERS, [tombstone])

    assert deleted.ok
    assert await couch.get_many(Db.NUMBERS, ["+14155550124"]) == {}
    page = await couch.changes(Db.NUMBERS, cursor, 10)
    [change] = page.changes
    assert change.deleted
    assert change.doc["pvt_state"] == "deleted"
    assert change.doc["pvt_assigned_to"] == "a" * 32
    assert change.doc["pvt_assigned_tree"] == ["r" * 32, "a" * 32]
    feed = (await raw.get(f"/{db_name(couch, Db.NUMBERS)}/_changes", params={"include_docs": "true"})).json()
    [row] = [r for r in feed["results"] if r["id"] == "+14155550124"]
    assert row["doc"]["pvt_assigned_to"] == "a" * 32


async def test_a_number_can_be_created_again_over_its_tombstone(couch: CouchStore) -> None:
    [created] = await couch.put_many(Db.NUMBERS, [number("+14155550125")])
    await couch.put_many(Db.NUMBERS, [number("+14155550125", _rev=created.rev, _deleted=True)])

    [again] = await couch.put_many(Db.NUMBERS, [number("+14155550125", pvt_state="discovery")])

    assert again.ok
    docs = await couch.get_many(Db.NUMBERS, ["+14155550125"])
    assert docs["+14155550125"]["pvt_state"] == "discovery"


async def test_one_conflict_in_a_batch_does_not_stop_the_others(couch: CouchStore) -> None:
    await couch.put_many(Db.NUMBERS, [number("+14155550126")])

    results = await couch.put_many(Db.NUMBERS, [number("+14155550127"), number("+14155550126")])

    assert [(r.id, r.ok, r.error) for r in results] == [
        ("+14155550127", True, None),
        ("+14155550126", False, "conflict"),
    ]


async def test_design_documents_stay_out_of_id_ranges_and_pages_are_still_full(couch: CouchStore) -> None:
    # "_design/numplane" sorts between "+..." and the hex account ids.
    accounts = [{"_id": f"{i:032x}", "pvt_type": "account", "pvt_tree": []} for i in range(3)]
    await couch.put_many(Db.ACCOUNTS, [*accounts, {"_id": "+1", "pvt_type": "probe"}])

    docs = await couch.id_range(Db.ACCOUNTS, start="", end="\ufff0", after="+1", limit=2)

    assert [d["_id"] for d in docs] == [f"{0:032x}", f"{1:032x}"]


# -- change-feed cursors ---------------------------------------------------------------------------


async def test_the_change_feed_never_shows_design_documents(couch: CouchStore) -> None:
    await couch.put_many(Db.NUMBERS, [number("+14155550128")])

    page = await couch.changes(Db.NUMBERS, None, 10)

    assert [c.id for c in page.changes] == ["+14155550128"]


async def test_an_empty_page_echoes_the_cursor_it_was_given(couch: CouchStore) -> None:
    now = await couch.current_cursor(Db.NUMBERS)

    page = await couch.changes(Db.NUMBERS, now, 10)

    assert page.changes == []
    assert page.cursor == now


async def test_a_cursor_of_another_database_is_rejected(couch: CouchStore) -> None:
    accounts_cursor = await couch.current_cursor(Db.ACCOUNTS)

    with pytest.raises(InvalidCursor):
        await couch.changes(Db.NUMBERS, accounts_cursor, 10)


async def test_a_cursor_of_another_prefix_is_rejected(couch: CouchStore, couch_url: str) -> None:
    other = CouchStore(couch_url, db_prefix=fresh_prefix())
    await other.open()
    try:
        foreign = await other.current_cursor(Db.NUMBERS)
    finally:
        await other.close()

    with pytest.raises(InvalidCursor):
        await couch.changes(Db.NUMBERS, foreign, 10)


@pytest.mark.parametrize(
    "garbage",
    ["", "0", "not base64 at all!", base64.urlsafe_b64encode(b"[1,2]").decode(), "eyJzZXEiOiAxfQ"],
)
async def test_garbage_cursors_are_rejected(couch: CouchStore, garbage: str) -> None:
    with pytest.raises(InvalidCursor):
        await couch.changes(Db.NUMBERS, garbage, 10)


async def test_a_cursor_does_not_expose_a_bare_sequence(couch: CouchStore) -> None:
    await couch.put_many(Db.NUMBERS, [number("+14155550129")])

    cursor = (await couch.changes(Db.NUMBERS, None, 10)).cursor

    assert not cursor.isdigit()
    padded = cursor + "=" * (-len(cursor) % 4)
    assert json.loads(base64.urlsafe_b64decode(padded))["couchdb"] == db_name(couch, Db.NUMBERS)


# -- credentials -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def guarded_server() -> Iterator[CouchServer]:
    server = CouchServer(admin=("numplane", "s3cret-pw"))
    server.start()
    try:
        yield server
    finally:
        server.close()


async def test_credentials_from_the_url_go_with_every_request(guarded_server: CouchServer) -> None:
    url = guarded_server.url.replace("http://", "http://numplane:s3cret-pw@")
    store = CouchStore(url, db_prefix=fresh_prefix())
    try:
        await store.open()
        [written] = await store.put_many(Db.NUMBERS, [number("+14155550130")])
        assert written.ok
        assert set(await store.get_many(Db.NUMBERS, ["+14155550130"])) == {"+14155550130"}
        await store.ping()
    finally:
        await store.close()


async def test_wrong_credentials_make_the_store_unavailable_without_showing_the_password(
    guarded_server: CouchServer,
) -> None:
    store = CouchStore(guarded_server.url.replace("http://", "http://numplane:wrong-pw@"), db_prefix=fresh_prefix())
    try:
        with pytest.raises(StoreUnavailable) as failure:
            await store.open()
    finally:
        await store.close()
    assert "401" in str(failure.value)
    assert "wrong-pw" not in str(failure.value)


# -- failures --------------------------------------------------------------------------------------


async def test_a_server_that_goes_away_makes_the_store_unavailable_until_it_is_back() -> None:
    server = CouchServer()
    server.start()
    store = CouchStore(server.url, db_prefix=fresh_prefix())
    try:
        await store.open()
        await store.put_many(Db.NUMBERS, [number("+14155550131")])

        server.stop()
        with pytest.raises(StoreUnavailable) as read_failure:
            await store.get_many(Db.NUMBERS, ["+14155550131"])
        with pytest.raises(StoreUnavailable) as write_failure:
            await store.put_many(Db.NUMBERS, [number("+14155550132")])
        with pytest.raises(StoreUnavailable) as ping_failure:
            await store.ping()
        for failure in (read_failure, write_failure, ping_failure):
            assert_translated(failure.value, server.port)

        # In-memory data is gone after the restart: the store re-creates its databases on the first 404.
        server.start()
        [written] = await store.put_many(Db.NUMBERS, [number("+14155550131")])
        assert written.ok
        assert set(await store.get_many(Db.NUMBERS, ["+14155550131"])) == {"+14155550131"}
        rows = await store.query(Db.NUMBERS, "tree", start=("*", "", ""), end=("*", "", "\ufff0"), limit=10)
        assert [r.id for r in rows] == ["+14155550131"]
    finally:
        await store.close()
        server.close()


def assert_translated(failure: StoreUnavailable, port: int) -> None:
    assert type(failure) is StoreUnavailable
    assert f"CouchDB at http://127.0.0.1:{port} is unreachable" in str(failure)
    assert not isinstance(failure.__cause__, aiohttp.ClientError)
    assert not isinstance(failure.__context__, aiohttp.ClientError)


async def test_an_unreachable_server_is_reported_without_the_credentials_of_its_url() -> None:
    port = free_port()  # nothing listens there
    store = CouchStore(f"http://numplane:topsecret@127.0.0.1:{port}", db_prefix=fresh_prefix())
    try:
        with pytest.raises(StoreUnavailable) as failure:
            await store.ping()
    finally:
        await store.close()
    assert_translated(failure.value, port)
    assert "topsecret" not in str(failure.value)


class Flaky:
    """A CouchDB that fails with 503 a given number of times, then answers: a real HTTP server on a free
    loopback port, so the client's whole path (pool, sockets, retries) is the one production runs."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0

    async def answer(self, _request: web.Request) -> web.Response:
        self.calls += 1
        if self.calls <= self.failures:
            return web.json_response({"error": "unavailable", "reason": "busy"}, status=503)
        return web.json_response({"rows": []})


@contextlib.asynccontextmanager
async def flaky_couch(flaky: Flaky) -> AsyncIterator[CouchHttp]:
    app = web.Application()
    app.router.add_route("*", "/{path:.*}", flaky.answer)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    http = CouchHttp(f"http://127.0.0.1:{port}")
    try:
        yield http
    finally:
        await http.close()
        await runner.cleanup()


async def test_a_read_is_retried_through_a_short_server_failure() -> None:
    flaky = Flaky(failures=2)
    async with flaky_couch(flaky) as http:
        reply = await http.request("POST", "/n/_all_docs", body={"keys": []}, idempotent=True)

    assert reply.status == 200
    assert flaky.calls == 3


async def test_a_read_gives_up_after_three_tries() -> None:
    flaky = Flaky(failures=5)
    async with flaky_couch(flaky) as http:
        with pytest.raises(StoreUnavailable, match="503"):
            await http.request("GET", "/n/_changes", idempotent=True)

    assert flaky.calls == 3


async def test_a_write_that_reached_the_server_is_not_blindly_repeated() -> None:
    flaky = Flaky(failures=1)
    async with flaky_couch(flaky) as http:
        with pytest.raises(StoreUnavailable):
            await http.request("POST", "/n/_bulk_docs", body={"docs": []}, idempotent=False)

    assert flaky.calls == 1


async def test_a_key_too_long_for_a_url_is_store_unavailable_not_a_client_error(couch: CouchStore) -> None:
    # The API refuses such input first (domain/text.py); the store must still never let the client's errors escape.
    long_key = ("x" * 70_000,)
    with pytest.raises(StoreUnavailable, match="cannot be sent") as raised:
        await couch.query(Db.NUMBERS, "tree", start=long_key, end=(*long_key, "\uffff"), limit=5)
    assert not isinstance(raised.value.__context__, aiohttp.ClientError | ValueError)
