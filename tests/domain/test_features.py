"""Public fields and features (SPEC §4): validation, merge patch, edit rules, activation."""

from __future__ import annotations

from typing import Any

import pytest

from numplane.domain.config import FEATURE_KEYS, SystemConfig
from numplane.domain.errors import DomainError, ErrorCode
from numplane.domain.features import (
    active_features,
    apply_edit,
    check_editable,
    merge_patch,
    validate_public,
)
from numplane.domain.numbers import Number
from numplane.domain.states import State

E911 = {"street_address": "1 Main St", "locality": "San Francisco", "region": "CA", "postal_code": "94105"}
CONFIG = SystemConfig()


def number(state: State = State.IN_SERVICE, **changes: Any) -> Number:
    return Number(e164="+14155550123", state=state, owner="acct", assigned_tree=("root", "acct"), **changes)


def invalid_field(fields: dict[str, Any]) -> DomainError:
    with pytest.raises(DomainError) as caught:
        validate_public(fields)
    assert caught.value.code == ErrorCode.INVALID_FIELD
    return caught.value


# --- validation -------------------------------------------------------------------------------------


def test_a_complete_set_of_valid_features_passes() -> None:
    validate_public(
        {
            "e911": {
                **E911, "extended_address": "Suite 2", "plus_four": "1234", "caller_name": "Acme",
                "notification_contact_emails": ["ops@example.com"], "latitude": 37.79, "longitude": -122.39,
            },
            "cnam": {"display_name": "ACME CORP", "inbound_lookup": True},
            "failover": {"e164": "+14155550199"},
            "prepend": {"enabled": True, "name": "Sales", "number": "+1"},
            "ringback": {"early": "ring.wav", "transfer": "hold.wav"},
            "force_outbound": False,
            "sms": {"enabled": True},
            "mms": {"enabled": False},
            "nickname": "front desk",
            "anything": {"free": ["json"]},
        }
    )


@pytest.mark.parametrize("key", ["pvt_state", "_id", "_rev", "_deleted", "pvt_features"])
def test_private_keys_are_rejected_not_dropped(key: str) -> None:
    error = invalid_field({key: "x"})
    assert error.field == ("publicFields", key)
    assert "private" in error.message


def test_e911_region_must_be_two_letters() -> None:
    error = invalid_field({"e911": {**E911, "region": "Calif"}})
    assert error.field == ("publicFields", "e911", "region")
    assert "two-letter" in error.message


@pytest.mark.parametrize("missing", ["street_address", "locality", "region", "postal_code"])
def test_e911_without_a_required_part_names_it(missing: str) -> None:
    value = {k: v for k, v in E911.items() if k != missing}
    error = invalid_field({"e911": value})
    assert error.field == ("publicFields", "e911", missing)
    assert "required" in error.message


def test_a_typo_inside_a_feature_is_caught() -> None:
    error = invalid_field({"e911": {**E911, "postalcode": "94105"}})
    assert error.field == ("publicFields", "e911", "postalcode")
    assert "unknown key" in error.message


def test_e911_emails_must_look_like_emails() -> None:
    error = invalid_field({"e911": {**E911, "notification_contact_emails": ["ops@example.com", "nope"]}})
    assert error.field == ("publicFields", "e911", "notification_contact_emails")


def test_e911_latitude_must_be_on_earth() -> None:
    assert invalid_field({"e911": {**E911, "latitude": 91}}).field == ("publicFields", "e911", "latitude")


@pytest.mark.parametrize("name", ["", "SIXTEEN CHARS XX"])
def test_cnam_display_name_is_1_to_15_characters(name: str) -> None:
    assert invalid_field({"cnam": {"display_name": name}}).field == ("publicFields", "cnam", "display_name")


def test_booleans_are_not_read_from_strings() -> None:
    assert invalid_field({"force_outbound": "true"}).field == ("publicFields", "force_outbound")
    assert invalid_field({"cnam": {"inbound_lookup": "yes"}}).field == ("publicFields", "cnam", "inbound_lookup")


@pytest.mark.parametrize("target", [{"sip": "sip:alice@example.com"}, {"sip": "sips:bob@example.com:5061"}])
def test_failover_accepts_a_sip_uri(target: dict[str, str]) -> None:
    validate_public({"failover": target})


@pytest.mark.parametrize(
    ("target", "path"),
    [
        ({}, ("publicFields", "failover")),
        ({"e164": "4155550199"}, ("publicFields", "failover", "e164")),
        ({"e164": "+1415"}, ("publicFields", "failover", "e164")),
        ({"sip": "http://example.com"}, ("publicFields", "failover", "sip")),
        ({"sip": "sip:"}, ("publicFields", "failover", "sip")),
    ],
)
def test_failover_needs_an_e164_number_or_a_sip_uri(target: dict[str, str], path: tuple[str, ...]) -> None:
    assert invalid_field({"failover": target}).field == path


def test_a_feature_that_is_not_an_object_is_invalid() -> None:
    assert invalid_field({"sms": True}).field == ("publicFields", "sms")


# --- merge patch (RFC 7386 appendix A examples) ----------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "patch", "result"),
    [
        ({"a": "b"}, {"a": "c"}, {"a": "c"}),
        ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
        ({"a": "b"}, {"a": None}, {}),
        ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
        ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
        ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
        ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
        ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
        ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
        ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
        ({"a": "foo"}, {"a": {"b": "c"}}, {"a": {"b": "c"}}),
    ],
)
def test_merge_patch_follows_rfc_7386(target: dict[str, Any], patch: dict[str, Any], result: dict[str, Any]) -> None:
    assert merge_patch(target, patch) == result


def test_merge_patch_changes_neither_input() -> None:
    target = {"e911": {"region": "CA"}}
    patch = {"e911": {"region": "NY"}, "cnam": {"display_name": "X"}}
    merged = merge_patch(target, patch)
    merged["cnam"]["display_name"] = "Y"
    assert target == {"e911": {"region": "CA"}}
    assert patch == {"e911": {"region": "NY"}, "cnam": {"display_name": "X"}}


# --- editing ------------------------------------------------------------------------------------------


def edit(num: Number, patch: dict[str, Any], *, replace: bool = False, admin: bool = False,
         config: SystemConfig = CONFIG) -> dict[str, Any]:
    return apply_edit(num, patch, replace=replace, editor_is_admin=admin, config=config)


def test_merge_edit_changes_one_e911_part_and_keeps_the_rest() -> None:
    num = number(public={"e911": E911, "nickname": "desk"})
    edited = edit(num, {"e911": {"postal_code": "94107"}})
    assert edited == {"e911": {**E911, "postal_code": "94107"}, "nickname": "desk"}


def test_replace_edit_drops_fields_not_given_and_never_stores_nulls() -> None:
    num = number(public={"e911": E911, "nickname": "desk"})
    assert edit(num, {"nickname": "lobby", "cnam": None}, replace=True) == {"nickname": "lobby"}


def test_null_removes_a_feature() -> None:
    num = number(public={"e911": E911, "cnam": {"display_name": "ACME"}})
    assert edit(num, {"cnam": None}) == {"e911": E911}


def test_a_merge_that_leaves_e911_incomplete_is_invalid_field() -> None:
    num = number(public={"e911": E911})
    with pytest.raises(DomainError) as caught:
        edit(num, {"e911": {"locality": None}})
    assert caught.value.code == ErrorCode.INVALID_FIELD
    assert caught.value.field == ("publicFields", "e911", "locality")


def test_an_edit_cannot_write_a_private_key() -> None:
    with pytest.raises(DomainError) as caught:
        edit(number(), {"pvt_assigned_to": "me"})
    assert caught.value.field == ("publicFields", "pvt_assigned_to")


def test_reserved_number_features_are_locked_but_other_fields_can_change() -> None:
    num = number(State.RESERVED, public={"e911": E911})
    assert edit(num, {"nickname": "desk"}) == {"e911": E911, "nickname": "desk"}
    with pytest.raises(DomainError) as caught:
        edit(num, {"e911": {"postal_code": "94107"}})
    assert caught.value.code == ErrorCode.FEATURE_LOCKED
    assert caught.value.number == "+14155550123"


def test_replacing_a_reserved_number_without_its_features_is_locked() -> None:
    num = number(State.RESERVED, public={"e911": E911})
    with pytest.raises(DomainError) as caught:
        edit(num, {"nickname": "desk"}, replace=True)
    assert caught.value.code == ErrorCode.FEATURE_LOCKED


def test_rewriting_the_same_feature_value_on_a_reserved_number_is_not_a_change() -> None:
    num = number(State.RESERVED, public={"e911": E911})
    assert edit(num, {"e911": dict(E911), "nickname": "desk"}) == {"e911": E911, "nickname": "desk"}


def test_feature_denied_on_the_number_is_not_allowed_even_for_admins() -> None:
    num = number(features_denied=("cnam",))
    with pytest.raises(DomainError) as caught:
        edit(num, {"cnam": {"display_name": "ACME"}}, admin=True)
    assert caught.value.code == ErrorCode.FEATURE_NOT_ALLOWED
    assert caught.value.field == ("publicFields", "cnam")


def test_feature_missing_from_system_allowed_list_is_not_allowed() -> None:
    config = SystemConfig(features_allowed=("e911",))
    with pytest.raises(DomainError) as caught:
        edit(number(), {"sms": {"enabled": True}}, config=config)
    assert caught.value.code == ErrorCode.FEATURE_NOT_ALLOWED
    assert "not allowed on this system" in caught.value.message


def test_a_denied_feature_can_still_be_removed_and_unrelated_fields_edited() -> None:
    num = number(public={"cnam": {"display_name": "ACME"}}, features_denied=("cnam",))
    assert edit(num, {"nickname": "desk"}) == {"cnam": {"display_name": "ACME"}, "nickname": "desk"}
    assert edit(num, {"cnam": None}) == {}


def test_a_legacy_feature_value_that_is_not_edited_is_not_judged() -> None:
    num = number(public={"e911": {"street_address": "1 Main St"}})
    assert edit(num, {"nickname": "desk"}) == {"e911": {"street_address": "1 Main St"}, "nickname": "desk"}


@pytest.mark.parametrize("state", [State.DISCOVERY, State.RELEASED, State.AGING, State.PORT_OUT])
def test_nobody_edits_a_number_in_discovery_released_aging_or_port_out(state: State) -> None:
    with pytest.raises(DomainError) as caught:
        edit(number(state), {"nickname": "desk"}, admin=True)
    assert caught.value.code == ErrorCode.FORBIDDEN
    assert "because it" in caught.value.message
    with pytest.raises(DomainError):
        check_editable(number(state), relation_allows=True, is_admin=True)


def test_only_admins_edit_an_available_number() -> None:
    num = Number(e164="+14155550123", state=State.AVAILABLE)
    assert edit(num, {"nickname": "pool"}, admin=True) == {"nickname": "pool"}
    check_editable(num, relation_allows=False, is_admin=True)
    with pytest.raises(DomainError) as caught:
        check_editable(num, relation_allows=True, is_admin=False)
    assert caught.value.code == ErrorCode.FORBIDDEN
    assert "only admins" in caught.value.message


@pytest.mark.parametrize("state", [State.PORT_IN, State.RESERVED, State.IN_SERVICE])
def test_owner_and_ancestors_edit_in_port_in_reserved_and_in_service(state: State) -> None:
    check_editable(number(state), relation_allows=True, is_admin=False)
    check_editable(number(state), relation_allows=False, is_admin=True)


def test_unrelated_account_cannot_edit_an_owned_number() -> None:
    with pytest.raises(DomainError) as caught:
        check_editable(number(), relation_allows=False, is_admin=False)
    assert caught.value.code == ErrorCode.FORBIDDEN
    assert "owner" in caught.value.message


# --- activation ---------------------------------------------------------------------------------------

EVERYTHING: dict[str, Any] = {
    "e911": E911, "cnam": {"display_name": "ACME"}, "failover": {"sip": "sip:a@b.c"}, "prepend": {"enabled": True},
    "ringback": {"early": "r.wav"}, "force_outbound": True, "sms": {"enabled": True}, "mms": {"enabled": True},
    "nickname": "desk",
}


def test_in_service_activates_every_feature_set_and_nothing_else() -> None:
    assert active_features(State.IN_SERVICE, EVERYTHING) == {k: EVERYTHING[k] for k in FEATURE_KEYS}


@pytest.mark.parametrize("state", [State.PORT_IN, State.RESERVED])
def test_e911_and_cnam_are_active_before_service(state: State) -> None:
    assert active_features(state, EVERYTHING) == {"e911": E911, "cnam": {"display_name": "ACME"}}


@pytest.mark.parametrize("state", [State.AVAILABLE, State.DISCOVERY, State.RELEASED, State.AGING, State.PORT_OUT])
def test_no_feature_is_active_outside_port_in_reserved_and_in_service(state: State) -> None:
    assert active_features(state, EVERYTHING) == {}


def test_only_features_present_in_public_fields_are_active() -> None:
    assert active_features(State.IN_SERVICE, {"cnam": {"display_name": "ACME"}, "sms": None}) == {
        "cnam": {"display_name": "ACME"}
    }
