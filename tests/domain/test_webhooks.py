"""Which endpoints hear a change, what they are told, and who manages them."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from numplane.domain.accounts import Account
from numplane.domain.errors import DomainError, ErrorCode
from numplane.domain.history import assign, record
from numplane.domain.numbers import Number
from numplane.domain.port_requests import Change, Details, PortRequest, PortState
from numplane.domain.states import State
from numplane.domain.visibility import number_before_change
from numplane.domain.webhooks import (
    Endpoint,
    EventFilter,
    SigningSecret,
    ensure_may_manage_for,
    ensure_room,
    may_manage,
    number_event,
    port_event,
    receives,
    receives_port,
)
from tests.domain.fixtures import ADMIN, CHILD, NOW, OWNER, RESELLER, UNRELATED, number_in

ANCESTORS = {a.id: a.tree for a in (ADMIN, RESELLER, OWNER, CHILD, UNRELATED)}


def endpoint_of(account: Account, **changes: Any) -> Endpoint:
    endpoint = Endpoint(id="wh_1", account_id=account.id, account_tree=account.tree, url="https://h.example/x")
    return replace(endpoint, **changes)


def changed(before: Number, after: Number) -> Number:
    return record(before, after, action="test", requester=ADMIN.id, now=NOW, history_length=10)


def hears(endpoint: Endpoint, viewer: Account, number: Number) -> bool:
    return receives(endpoint, viewer, number, number_before_change(number, ANCESTORS), ANCESTORS)


def test_the_owner_and_its_ancestors_hear_a_change_and_an_unrelated_account_does_not() -> None:
    number = changed(number_in(State.RESERVED), number_in(State.IN_SERVICE))
    assert hears(endpoint_of(OWNER), OWNER, number)
    assert hears(endpoint_of(RESELLER), RESELLER, number)
    assert hears(endpoint_of(ADMIN), ADMIN, number)
    assert not hears(endpoint_of(UNRELATED), UNRELATED, number)


def test_the_previous_owner_hears_a_number_leave_it_but_not_what_it_became() -> None:
    before = number_in(State.IN_SERVICE)
    after = changed(before, assign(before, UNRELATED))
    prior = number_before_change(after, ANCESTORS)
    assert hears(endpoint_of(OWNER), OWNER, after)
    body = number_event(after, prior, OWNER, ANCESTORS, deleted=False, at=NOW)
    assert body["data"]["number"] == {
        "e164": after.e164, "state": "in_service", "previousState": "in_service", "revision": after.rev,
    }


def test_a_disabled_endpoint_hears_nothing() -> None:
    number = changed(number_in(State.RESERVED), number_in(State.IN_SERVICE))
    assert not hears(endpoint_of(OWNER, enabled=False), OWNER, number)


def test_the_filter_narrows_by_state_before_or_after_and_by_owner() -> None:
    number = changed(number_in(State.RESERVED), number_in(State.IN_SERVICE))
    by_state = endpoint_of(RESELLER, filter=EventFilter(states=(State.RESERVED,)))
    assert hears(by_state, RESELLER, number)  # it was reserved before the change
    assert not hears(endpoint_of(RESELLER, filter=EventFilter(states=(State.AGING,))), RESELLER, number)
    assert hears(endpoint_of(RESELLER, filter=EventFilter(account_id=OWNER.id)), RESELLER, number)
    direct_only = EventFilter(account_id=RESELLER.id, include_descendants=False)
    assert not hears(endpoint_of(RESELLER, filter=direct_only), RESELLER, number)


def test_a_deletion_is_told_once_without_the_numbers_details() -> None:
    before = number_in(State.IN_SERVICE, public={"name": "front desk"})
    tombstone = changed(before, before.with_changes(state=State.DELETED))
    prior = number_before_change(tombstone, ANCESTORS)
    assert hears(endpoint_of(OWNER), OWNER, tombstone)
    body = number_event(tombstone, prior, OWNER, ANCESTORS, deleted=True, at=NOW)
    assert body["type"] == "number.deleted"
    assert "publicFields" not in body["data"]["number"]


def test_the_body_shows_the_number_as_the_account_may_see_it() -> None:
    number = changed(number_in(State.RESERVED), number_in(State.IN_SERVICE, public={"name": "sales"},
                                                             features={"cnam": {"x": 1}}))
    prior = number_before_change(number, ANCESTORS)
    body = number_event(number, prior, RESELLER, ANCESTORS, deleted=False, at=NOW)
    shown = body["data"]["number"]
    assert body["id"] == f"evt_{number.e164.lstrip('+')}_{number.rev}" and body["type"] == "number.changed"
    assert (shown["state"], shown["previousState"]) == ("in_service", "reserved")
    assert (shown["owner"], shown["publicFields"]) == (OWNER.id, {"name": "sales"})
    assert shown["features"] == {"cnam": {"x": 1}}
    # The owner's sub-account saw it reserved for the tree, and no longer sees it in service: no details.
    assert hears(endpoint_of(CHILD), CHILD, number)
    told = number_event(number, prior, CHILD, ANCESTORS, deleted=False, at=NOW)["data"]["number"]
    assert "publicFields" not in told and "owner" not in told


def test_users_manage_their_own_and_their_descendants_endpoints_admins_all() -> None:
    ensure_may_manage_for(RESELLER, is_admin=False, account_id=OWNER.id, account_tree=OWNER.tree)
    ensure_may_manage_for(ADMIN, is_admin=True, account_id=UNRELATED.id, account_tree=UNRELATED.tree)
    with pytest.raises(DomainError) as refused:
        ensure_may_manage_for(CHILD, is_admin=False, account_id=OWNER.id, account_tree=OWNER.tree)
    assert refused.value.code is ErrorCode.FORBIDDEN
    assert may_manage(RESELLER, endpoint_of(CHILD), is_admin=False)
    assert not may_manage(UNRELATED, endpoint_of(CHILD), is_admin=False)


def test_an_account_holds_at_most_the_limit() -> None:
    ensure_room(9, 10)
    with pytest.raises(DomainError) as refused:
        ensure_room(10, 10)
    assert refused.value.code is ErrorCode.LIMIT_EXCEEDED


def test_a_rotated_secret_signs_beside_the_new_one_for_24_hours() -> None:
    endpoint = endpoint_of(OWNER, secrets=(SigningSecret("whsec_old"),))
    rotated = endpoint.rotated("whsec_new", NOW)
    assert rotated.signing_secrets(NOW) == ["whsec_new", "whsec_old"]
    assert rotated.signing_secrets(NOW + timedelta(hours=24)) == ["whsec_new"]
    twice = rotated.rotated("whsec_newest", NOW + timedelta(hours=1))
    assert twice.signing_secrets(NOW + timedelta(hours=1)) == ["whsec_newest", "whsec_new"]
    assert Endpoint.from_doc(twice.to_doc()) == twice


# -- port request events -----------------------------------------------------------------------------


def port_request(last_change: Change = Change.MOVED) -> PortRequest:
    return PortRequest(
        id="pr_1", account=OWNER.id, account_tree=OWNER.lineage, state=PortState.SUBMITTED, numbers=("+14155550101",),
        details=Details(carrier_name="Old Telco", carrier_pin="4321"), last_change=last_change, rev="3-abc",
    )


def test_a_port_request_is_heard_by_its_account_its_ancestors_and_admins_only() -> None:
    request = port_request()
    assert receives_port(endpoint_of(OWNER), OWNER, request)
    assert receives_port(endpoint_of(RESELLER), RESELLER, request)
    assert receives_port(endpoint_of(ADMIN), ADMIN, request)
    assert not receives_port(endpoint_of(UNRELATED), UNRELATED, request)
    assert not receives_port(endpoint_of(CHILD), CHILD, request)  # a sub-account does not see its parent's


def test_an_admin_only_comment_is_heard_by_admins_only() -> None:
    request = port_request(Change.ADMIN_COMMENTED)
    assert receives_port(endpoint_of(ADMIN), ADMIN, request)
    assert not receives_port(endpoint_of(OWNER), OWNER, request)
    assert not receives_port(endpoint_of(RESELLER), RESELLER, request)


def test_a_filter_on_number_states_hears_no_port_events_and_a_filter_on_an_account_its_requests() -> None:
    request = port_request()
    assert not receives_port(endpoint_of(RESELLER, filter=EventFilter(states=(State.IN_SERVICE,))), RESELLER, request)
    assert receives_port(endpoint_of(RESELLER, filter=EventFilter(account_id=OWNER.id)), RESELLER, request)
    assert receives_port(endpoint_of(RESELLER, filter=EventFilter(account_id=RESELLER.id)), RESELLER, request)
    only_own = EventFilter(account_id=RESELLER.id, include_descendants=False)
    assert not receives_port(endpoint_of(RESELLER, filter=only_own), RESELLER, request)
    assert not receives_port(endpoint_of(RESELLER, filter=EventFilter(account_id=CHILD.id)), RESELLER, request)


def test_a_port_event_tells_the_request_without_its_pin() -> None:
    event = port_event(port_request(), NOW)
    assert event["type"] == "port_request.changed" and event["id"] == "evt_port_pr_1_3-abc"
    assert event["data"]["portRequest"] == {
        "id": "pr_1", "account": OWNER.id, "state": "submitted", "numbers": ["+14155550101"],
        "scheduledCutOverAt": None, "change": "moved", "revision": "3-abc",
    }
    assert "4321" not in str(event)
