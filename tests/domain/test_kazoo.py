"""Kazoo documents read as numplane's: every legacy shape the migration meets, and every refusal."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from numplane.domain.accounts import Account
from numplane.domain.clock import GREGORIAN_OFFSET, from_gregorian, read_time
from numplane.domain.kazoo import (
    IMPORT,
    KAZOO,
    KAZOO_REV,
    AccountMapped,
    Mapped,
    Refused,
    Step,
    already_imported,
    complete_trees,
    feature_settings,
    imported_rev,
    map_account,
    map_number,
    module_name,
    plan,
    plan_account,
    updated,
)
from numplane.domain.numbers import Number
from numplane.domain.states import State

NOW = datetime(2026, 11, 29, 4, 0, tzinfo=UTC)
MODIFIED = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
ROOT = Account("account0000000000000000000000001", "root")
RESELLER = Account("account0000000000000000000000002", "reseller", tree=(ROOT.id,))
CHILD = Account("4fe1d2c3b4a5968778695a4b3c2d1e0f", "child", tree=(ROOT.id, RESELLER.id))
ACCOUNTS = {a.id: a for a in (ROOT, RESELLER, CHILD)}


def greg(moment: datetime) -> int:
    return int(moment.timestamp()) + GREGORIAN_OFFSET


def kazoo(**fields: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "_id": "+14155550100", "_rev": "3-abc", "pvt_type": "number", "pvt_db_name": "numbers%2F%2B1415",
        "pvt_state": "in_service", "pvt_assigned_to": CHILD.id, "pvt_module_name": "knm_local",
        "pvt_created": greg(MODIFIED) - 86400, "pvt_modified": greg(MODIFIED),
    }
    doc.update(fields)
    return {k: v for k, v in doc.items() if v is not None}


def mapped(doc: dict[str, Any], **kwargs: Any) -> Mapped:
    result = map_number(doc, ACCOUNTS, now=NOW, **kwargs)
    assert isinstance(result, Mapped), result
    return result


def refused(doc: dict[str, Any]) -> Refused:
    result = map_number(doc, ACCOUNTS, now=NOW)
    assert isinstance(result, Refused), result
    return result


def test_gregorian_seconds_are_read_as_utc_times() -> None:
    assert from_gregorian(63606025000) == datetime(2015, 8, 5, 20, 16, 40, tzinfo=UTC)  # Unix 1438805800
    assert from_gregorian("63606025000") == from_gregorian(63606025000)
    assert from_gregorian("undefined") is None and from_gregorian(None) is None and from_gregorian(True) is None
    assert read_time("2025-06-01T12:00:00.000000Z") == MODIFIED and read_time(greg(MODIFIED)) == MODIFIED


def test_in_service_number_keeps_owner_lineage_times_and_kazoo_only_fields() -> None:
    result = mapped(kazoo(pvt_authorizing_account="system", pvt_locality={"city": "SF"}, pvt_ported_in=True))
    number = result.number
    assert (number.state, number.owner, number.assigned_tree) == (State.IN_SERVICE, CHILD.id, CHILD.lineage)
    assert number.module == "local" and number.ported_in
    assert number.modified == MODIFIED and number.state_changed_at == MODIFIED
    assert number.created == datetime(2025, 5, 31, 12, 0, tzinfo=UTC)
    assert number.extra_private == {KAZOO: {
        "pvt_db_name": "numbers%2F%2B1415", "pvt_authorizing_account": "system", "pvt_locality": {"city": "SF"},
        "pvt_module_name": "knm_local",
    }}
    assert result.notes == ()


def test_history_is_one_import_entry_naming_the_kazoo_revision() -> None:
    number = mapped(kazoo()).number
    (entry,) = number.history_docs
    assert entry["action"] == IMPORT and entry[KAZOO_REV] == "3-abc" and entry["to"] == "in_service"
    assert entry["owner_after"] == CHILD.id and imported_rev(number) == "3-abc"
    assert Number.from_doc(number.to_doc()).history[0].action == IMPORT


def test_a_dump_without_revisions_gets_a_stable_digest_in_their_place() -> None:
    first = imported_rev(mapped(kazoo(_rev=None)).number)
    assert first is not None and first.startswith("sha256:")
    assert imported_rev(mapped(kazoo(_rev=None)).number) == first
    assert imported_rev(mapped(kazoo(_rev=None, pvt_used_by="callflow")).number) != first


def test_legacy_state_key_is_read() -> None:
    number = mapped(kazoo(pvt_state=None, pvt_number_state="in_service")).number
    assert number.state is State.IN_SERVICE and number.owner == CHILD.id


@pytest.mark.parametrize("state", ["disconnected", "deleted"])
def test_gone_states_are_refused_as_gone(state: str) -> None:
    result = refused(kazoo(pvt_state=state))
    assert result.gone and state in result.reason


def test_soft_deleted_document_is_refused_as_gone() -> None:
    assert refused(kazoo(pvt_deleted=True)).gone


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        (kazoo(_id="+1"), "not a possible E.164 number"),
        (kazoo(_id="4155550100"), "not a possible E.164 number"),
        (kazoo(_id="+1 415 555 0100"), "not a possible E.164 number"),
        (kazoo(pvt_state="lost"), "unknown state 'lost'"),
        (kazoo(pvt_state=None), "unknown state 'None'"),
        (kazoo(pvt_assigned_to="nobody"), "owner nobody does not exist"),
        (kazoo(pvt_assigned_to=None), "state in_service without an owner"),
        (kazoo(pvt_state="reserved", pvt_assigned_to=""), "state reserved without an owner"),
        (kazoo(pvt_state="discovery", pvt_assigned_to=None), "state discovery is not possible for module local"),
        (kazoo(pvt_state="discovery", pvt_assigned_to=None, pvt_module_name="knm_managed"),
         "state discovery is not possible for module inventory"),
    ],
)
def test_documents_that_cannot_be_numbers_are_refused_with_the_reason(doc: dict[str, Any], reason: str) -> None:
    result = refused(doc)
    assert result.reason == reason and not result.gone


@pytest.mark.parametrize(
    ("kazoo_module", "module"),
    [
        ("knm_local", "local"), ("wnm_local", "local"), (None, "local"), ("undefined", "local"), ("", "local"),
        ("knm_mdn", "mdn"), ("knm_inventory", "inventory"), ("knm_managed", "inventory"),
        ("knm_bandwidth2", "knm_bandwidth2"), ("knm_bandwidth", "knm_bandwidth2"), ("wnm_bandwidth", "knm_bandwidth2"),
        ("knm_telnyx", "knm_telnyx"), ("knm_vitelity", "knm_vitelity"), ("wnm_pacwest", "knm_pacwest"),
        ("knm_other", "knm_other"), ("other", "knm_other"),
    ],
)
def test_module_names(kazoo_module: str | None, module: str) -> None:
    assert module_name(kazoo_module) == module


def test_carrier_map_sends_a_kazoo_module_to_a_configured_carrier() -> None:
    assert module_name("knm_telnyx", {"knm_telnyx": "simulated"}) == "simulated"
    assert module_name("wnm_bandwidth", {"knm_bandwidth2": "simulated"}) == "simulated"
    assert mapped(kazoo(pvt_module_name="knm_vitelity"), carrier_map={"knm_vitelity": "simulated"}).number.module == (
        "simulated"
    )


def test_legacy_feature_list_becomes_settings_with_renames_and_markers_dropped() -> None:
    assert feature_settings(["local", "dash_e911", "inbound_cnam", "port", "failover"]) == {
        "e911": {}, "cnam": {}, "failover": {}
    }


def test_inbound_and_outbound_cnam_settings_merge_into_cnam() -> None:
    settings = feature_settings(
        {"inbound_cnam": {"inbound_lookup": True}, "local": {}, "outbound_cnam": {"display_name": "Bruce Wayne"}}
    )
    assert settings == {"cnam": {"inbound_lookup": True, "display_name": "Bruce Wayne"}}
    number = mapped(kazoo(pvt_features={"inbound_cnam": {"inbound_lookup": True},
                                        "outbound_cnam": {"display_name": "Bruce Wayne"}})).number
    assert number.public == {"cnam": {"inbound_lookup": True, "display_name": "Bruce Wayne"}}
    assert number.features == {"cnam": {"inbound_lookup": True, "display_name": "Bruce Wayne"}}


E911 = {"street_address": "23 N MAIN ST", "locality": "PLEASANT SIDE", "region": "CA", "postal_code": "55359",
        "latitude": "40.05424", "longitude": "-87.34416"}


def test_public_dash_e911_becomes_e911_with_numeric_coordinates() -> None:
    number = mapped(kazoo(dash_e911=dict(E911))).number
    assert number.public["e911"] == {**E911, "latitude": 40.05424, "longitude": -87.34416}
    assert "dash_e911" not in number.public
    assert number.features == {"e911": number.public["e911"]}


def test_api_echoes_are_dropped_and_free_user_keys_kept() -> None:
    number = mapped(kazoo(id="+14155550100", state="in_service", features=["local"], used_by="callflow",
                          ui_metadata={"ui": "kazoo-ui"}, my_key=[1, 2])).number
    assert number.public == {"ui_metadata": {"ui": "kazoo-ui"}, "my_key": [1, 2]}
    assert number.used_by == "callflow"  # the legacy public used_by, as pvt_used_by is absent


def test_private_used_by_wins_over_the_legacy_public_one() -> None:
    assert mapped(kazoo(pvt_used_by="trunkstore", used_by="callflow")).number.used_by == "trunkstore"
    assert mapped(kazoo(used_by="")).number.used_by is None


def test_features_are_active_only_where_numplane_activates_them() -> None:
    reserved = mapped(kazoo(pvt_state="reserved", e911=dict(E911), failover={"e164": "+14155550199"})).number
    assert set(reserved.features) == {"e911"}  # failover is active in service only
    available = mapped(kazoo(pvt_state="available", pvt_assigned_to=None, e911=dict(E911))).number
    assert available.features == {}


def test_public_fields_numplane_would_refuse_are_kept_and_noted() -> None:
    result = mapped(kazoo(e911={**E911, "region": "KZZ", "legacy_data": {"house_number": "23"}}))
    assert result.number.public["e911"]["region"] == "KZZ"
    assert any("numplane refuses them" in note for note in result.notes)


def test_missing_or_undefined_timestamps_become_the_import_time_and_are_noted() -> None:
    result = mapped(kazoo(pvt_created="undefined", pvt_modified=None))
    assert result.number.created == NOW and result.number.modified == NOW and result.number.state_changed_at == NOW
    assert result.notes == ("pvt_created and pvt_modified missing or not a time: the import time used",)


def test_owner_on_an_unowned_state_becomes_the_previous_owner_and_is_noted() -> None:
    result = mapped(kazoo(pvt_state="available"))
    assert result.number.owner is None and result.number.previous_owner == CHILD.id
    assert result.notes and "dropped" in result.notes[0]


def test_reserve_history_previous_owner_denied_features_and_carrier_data_are_kept() -> None:
    number = mapped(kazoo(pvt_reserve_history=[CHILD.id, RESELLER.id], pvt_previously_assigned_to=RESELLER.id,
                          pvt_features_denied=["failover"], pvt_carrier_data={"number_id": "bw-1"},
                          pvt_module_name="knm_bandwidth2")).number
    assert number.reserve_history == (CHILD.id, RESELLER.id) and number.previous_owner == RESELLER.id
    assert number.features_denied == ("failover",) and number.carrier_data == {"number_id": "bw-1"}
    assert number.module == "knm_bandwidth2"


@pytest.mark.parametrize("state", ["port_in", "port_out", "aging", "released", "available"])
def test_every_numplane_state_imports(state: str) -> None:
    owned = state in ("port_in", "port_out")
    number = mapped(kazoo(pvt_state=state, pvt_assigned_to=CHILD.id if owned else None)).number
    assert number.state.value == state and (number.owner == CHILD.id) is owned


def test_discovery_imports_for_a_remote_carrier() -> None:
    number = mapped(kazoo(pvt_state="discovery", pvt_assigned_to=None, pvt_module_name="knm_telnyx")).number
    assert number.state is State.DISCOVERY and number.module == "knm_telnyx"


def test_numplane_reads_kazoo_documents_it_could_not_read_before() -> None:
    number = Number.from_doc({"_id": "+14155550100", "pvt_number_state": "in_service", "pvt_created": "undefined",
                              "pvt_modified": greg(MODIFIED)})
    assert number.state is State.IN_SERVICE and number.created is None and number.modified == MODIFIED
    account = Account.from_doc({"_id": "account-1", "pvt_created": greg(MODIFIED), "pvt_modified": greg(MODIFIED)})
    assert account.created == MODIFIED


def test_account_fields_come_from_the_kazoo_keys() -> None:
    result = map_account(
        {"_id": "test-account-7", "_rev": "5-x", "name": "Acme", "realm": "acme.example", "pvt_tree": [ROOT.id],
         "pvt_enabled": False, "pvt_superduper_admin": True, "pvt_wnm_allow_additions": True,
         "pvt_created": greg(MODIFIED), "pvt_modified": greg(MODIFIED), "pvt_api_key": "kazoo-secret"},
        now=NOW,
    )
    assert isinstance(result, AccountMapped)
    assert "pvt_api_key" not in result.account.to_doc()  # Kazoo's credential is not copied
    account = result.account
    assert (account.id, account.name, account.tree, account.enabled) == ("test-account-7", "Acme", (ROOT.id,), False)
    assert account.is_admin and account.allow_additions and account.created == MODIFIED
    assert account.extra["realm"] == "acme.example" and account.extra[KAZOO]["rev"] == "5-x"


@pytest.mark.parametrize("account_id", ["_design/accounts", "", 7])
def test_account_ids_couchdb_would_not_accept_are_refused(account_id: Any) -> None:
    assert isinstance(map_account({"_id": account_id}, now=NOW), Refused)


def test_trees_with_a_missing_ancestor_are_refused_with_their_descendants() -> None:
    orphan = Account("orphan", "o", tree=("ghost",))
    grandchild = Account("grand", "g", tree=("ghost", "orphan"))
    kept, refusals = complete_trees({a.id: a for a in (ROOT, RESELLER, CHILD, orphan, grandchild)})
    assert set(kept) == {ROOT.id, RESELLER.id, CHILD.id}
    assert {(r.id, r.reason) for r in refusals} == {
        ("orphan", "ancestor ghost is missing"), ("grand", "ancestor ghost is missing")
    }
    kept, refusals = complete_trees({CHILD.id: CHILD}, known={ROOT.id: ROOT, RESELLER.id: RESELLER})
    assert set(kept) == {CHILD.id} and not refusals


def test_plan_creates_then_finds_identical_then_updates_from_a_newer_revision() -> None:
    first = mapped(kazoo()).number
    assert plan(None, first) is Step.CREATE
    assert plan(first, mapped(kazoo()).number) is Step.IDENTICAL
    newer = mapped(kazoo(_rev="4-def", pvt_used_by="callflow")).number
    assert plan(first, newer) is Step.UPDATE
    after = updated(first.with_changes(rev="1-n"), newer, history_length=100)
    assert after.rev == "1-n" and len(after.history_docs) == 2 and imported_rev(after) == "4-def"


def test_already_imported_agrees_with_plan_without_mapping() -> None:
    doc = kazoo()
    stored = mapped(doc).number.to_doc()
    assert already_imported(stored, doc)
    assert not already_imported(stored, kazoo(_rev="4-def"))
    edited = {**stored, "pvt_history": [*stored["pvt_history"], {"action": "update"}]}
    assert not already_imported(edited, doc)


def test_plan_leaves_a_number_changed_in_numplane_as_a_conflict() -> None:
    first = mapped(kazoo()).number
    edited = first.with_changes(history_docs=(*first.history_docs, {"action": "update", "at": "x"}))
    assert plan(edited, mapped(kazoo(_rev="4-def")).number) is Step.CONFLICT
    assert plan(edited, None) is Step.CONFLICT
    assert plan(first, None) is Step.DELETE
    assert plan(None, None) is Step.NOTHING


def test_plan_account_follows_the_same_rule() -> None:
    doc = {"_id": "acc", "_rev": "1-a", "pvt_tree": [], "pvt_modified": greg(MODIFIED)}
    first = map_account(doc, now=NOW)
    assert isinstance(first, AccountMapped)
    again = map_account(doc, now=NOW)
    newer = map_account({**doc, "_rev": "2-b"}, now=NOW)
    assert isinstance(again, AccountMapped) and isinstance(newer, AccountMapped)
    assert plan_account(first.account, again.account) is Step.IDENTICAL
    assert plan_account(first.account, newer.account) is Step.UPDATE
    edited = first.account.with_changes(modified=NOW)
    assert plan_account(edited, newer.account) is Step.CONFLICT
