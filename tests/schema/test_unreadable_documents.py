"""A bad stored document never takes a request down (issue 15, item 6), over HTTP on both stores.

Listings skip it and log its id; reading it alone is UNREADABLE_DOCUMENT for that one document, and only
for those whose account the raw document names (or admins): anyone else learns nothing of it.
"""

from __future__ import annotations

import logging

import pytest

from numplane.domain.numbers import Number
from numplane.domain.states import State
from numplane.store.base import Db
from tests.support.api import Api
from tests.support.seeding import seed
from tests.support.unreadable import BAD_NUMBER_FIELDS, bad_number_doc, plant

LISTING = """query($first: Int, $after: String) { numbers(first: $first, after: $after) {
  edges { node { e164 } } pageInfo { hasNextPage endCursor } } }"""
ACCOUNT_LISTING = """query($id: String!) { account(accountId: $id) {
  numbers(first: 10) { edges { node { e164 } } } descendants { edges { node { name } } } } }"""
ONE = "query($n: String!) { number(number: $n) { e164 } }"
ACCOUNT = "query($id: String!) { account(accountId: $id) { name } }"


async def owned(api: Api, *e164s: str) -> None:
    lineage = (api.id("M"), api.id("R"))
    await seed(api.services.store, [
        Number(e, State.IN_SERVICE, owner=lineage[-1], assigned_tree=lineage) for e in e164s
    ])


async def test_listings_skip_an_unreadable_number_and_log_its_id(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    await owned(api, "+14155550101", "+14155550103")
    await plant(api.services.store, Db.NUMBERS, bad_number_doc("+14155550102", (api.id("M"), api.id("R")),
                                                               pvt_state=42))
    with caplog.at_level(logging.WARNING, logger="numplane.unreadable"):
        admin = await api.data(LISTING, {"first": 10})
        reseller = await api.data(ACCOUNT_LISTING, {"id": api.id("R")}, key="reseller")
    assert [e["node"]["e164"] for e in admin["numbers"]["edges"]] == ["+14155550101", "+14155550103"]
    assert [e["node"]["e164"] for e in reseller["account"]["numbers"]["edges"]] == ["+14155550101", "+14155550103"]
    assert "+14155550102" in caplog.text and "pvt_state" in caplog.text


async def test_a_page_ending_on_an_unreadable_number_resumes_after_it(api: Api) -> None:
    await owned(api, "+14155550101", "+14155550103")
    await plant(api.services.store, Db.NUMBERS, bad_number_doc("+14155550102", pvt_features="cnam"))
    first = (await api.data(LISTING, {"first": 2}))["numbers"]
    assert [e["node"]["e164"] for e in first["edges"]] == ["+14155550101"]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = (await api.data(LISTING, {"first": 2, "after": first["pageInfo"]["endCursor"]}))["numbers"]
    assert [e["node"]["e164"] for e in rest["edges"]] == ["+14155550103"]


async def test_reading_an_unreadable_number_alone_is_a_coded_error_naming_it(api: Api) -> None:
    await plant(api.services.store, Db.NUMBERS,
                bad_number_doc("+14155550102", (api.id("M"), api.id("R")), pvt_history=[{"at": "undefined"}]))
    for key in ("admin", "reseller"):
        body = await api.gql(ONE, {"n": "+14155550102"}, key=key)
        (error,) = body["errors"]
        assert error["extensions"]["code"] == "UNREADABLE_DOCUMENT", body
        assert "+14155550102" in error["message"] and "pvt_history" in error["message"]


async def test_an_unreadable_number_of_another_tree_stays_invisible(api: Api) -> None:
    await plant(api.services.store, Db.NUMBERS, bad_number_doc("+14155550102", (api.id("M"), api.id("R"))))
    assert await api.gql(ONE, {"n": "+14155550102"}, key="unrelated") == {"data": {"number": None}}


async def test_an_unreadable_account_is_skipped_by_listings_and_an_error_alone(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    store = api.services.store
    await plant(store, Db.ACCOUNTS, {"_id": "bad0account", "pvt_type": "account", "name": "Bad",
                                     "pvt_tree": [api.id("M"), api.id("R")], "enabled": "no"})
    with caplog.at_level(logging.WARNING, logger="numplane.unreadable"):
        listed = await api.data(ACCOUNT_LISTING, {"id": api.id("R")}, key="reseller")
    assert [e["node"]["name"] for e in listed["account"]["descendants"]["edges"]] == ["C"]
    assert "bad0account" in caplog.text
    alone = await api.gql(ACCOUNT, {"id": "bad0account"}, key="reseller")
    assert alone["errors"][0]["extensions"]["code"] == "UNREADABLE_DOCUMENT", alone
    assert await api.gql(ACCOUNT, {"id": "bad0account"}, key="unrelated") == {"data": {"account": None}}


HUNT = "mutation($n: String!) { huntNumber(input: {number: $n}) { result { disposition } userErrors { code } } }"


async def test_the_hunt_over_graphql_and_get_hunt_answers_not_found_for_an_unreadable_number(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    await plant(api.services.store, Db.NUMBERS,
                bad_number_doc("+14155550102", (api.id("M"), api.id("R")), pvt_features=["cnam"]))
    with caplog.at_level(logging.WARNING, logger="numplane.unreadable"):
        hunted = await api.data(HUNT, {"n": "+14155550102"}, key="router")
        lean = await api.client.get("/hunt/+14155550102", headers={"Authorization": f"Bearer {api.keys['router']}"})
    assert hunted["huntNumber"] == {"result": {"disposition": "NOT_FOUND"}, "userErrors": []}
    assert lean.status_code == 200 and lean.json()["disposition"] == "NOT_FOUND"
    assert "+14155550102" in caplog.text


async def test_a_listing_asking_for_history_skips_a_number_with_an_older_entry_without_a_date(api: Api) -> None:
    await owned(api, "+14155550101")
    entries = [{"at": "undefined", "action": "add"}, {"at": "2026-11-26T12:00:00.000000Z", "to": "in_service"}]
    await plant(api.services.store, Db.NUMBERS,
                bad_number_doc("+14155550102", (api.id("M"), api.id("R")), pvt_history=entries))
    listed = await api.data("{ numbers(first: 10) { edges { node { e164 history { action } } } } }")
    assert [e["node"]["e164"] for e in listed["numbers"]["edges"]] == ["+14155550101"]


EVERY_FIELD = """{ numbers(first: 50) { edges { cursor node { id e164 state carrier portedIn usedBy revision
  createdAt modifiedAt stateChangedAt account { name } previousAccount { name } reserveHistory { name }
  publicFields features hold { expiresAt } classification portRequest { requestId } history { at action } } } } }"""


async def test_a_listing_of_every_field_skips_each_kind_of_unreadable_number_and_fails_no_row(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    await owned(api, "+14155550100")
    tree = (api.id("M"), api.id("R"))
    # An owner that is a number cannot even be indexed by the embedded store: left to the domain tests.
    kinds = [fields for kind, fields in sorted(BAD_NUMBER_FIELDS.items()) if kind != "owner_a_number"]
    bad = {f"+1415555{i:04d}": fields for i, fields in enumerate(kinds, start=200)}
    await plant(api.services.store, Db.NUMBERS, *(bad_number_doc(e, tree, **fields) for e, fields in bad.items()))
    with caplog.at_level(logging.WARNING, logger="numplane.unreadable"):
        listed = await api.data(EVERY_FIELD)
    assert [e["node"]["e164"] for e in listed["numbers"]["edges"]] == ["+14155550100"]
    assert all(e164 in caplog.text for e164 in bad)


async def test_a_listing_that_shows_no_history_lists_a_number_whose_history_is_unreadable(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    # A page converts only what it shows: the trail is read (and found unreadable) when a row shows it,
    # through a fragment as well, and then the row is skipped rather than the page failed.
    await owned(api, "+14155550101")
    await plant(api.services.store, Db.NUMBERS,
                bad_number_doc("+14155550102", (api.id("M"), api.id("R")), pvt_history=["reserved"]))
    plain = await api.data("{ numbers(first: 10) { edges { node { e164 state account { name } } } } }")
    assert [e["node"]["e164"] for e in plain["numbers"]["edges"]] == ["+14155550101", "+14155550102"]
    with caplog.at_level(logging.WARNING, logger="numplane.unreadable"):
        shown = await api.data("""{ numbers(first: 10) { edges { ...row } } }
          fragment row on PhoneNumberEdge { node { e164 ... on PhoneNumber { history { action } } } }""")
    assert [e["node"]["e164"] for e in shown["numbers"]["edges"]] == ["+14155550101"]
    assert "+14155550102" in caplog.text and "pvt_history" in caplog.text
