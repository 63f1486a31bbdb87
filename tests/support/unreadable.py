"""Stored documents numplane cannot read, as other systems or old versions leave them (issue 15, item 6).

Each is planted with a raw store write, bypassing the domain, the way such a document gets in.
"""

from __future__ import annotations

from typing import Any

from numplane.store.base import Db, Store

BAD_NUMBER_FIELDS: dict[str, dict[str, Any]] = {
    "state_a_number": {"pvt_state": 42},
    "unknown_state": {"pvt_state": "frozen"},
    "features_a_string": {"pvt_features": "cnam"},
    "tree_a_string": {"pvt_assigned_tree": "not-a-list"},
    "carrier_data_a_list": {"pvt_carrier_data": ["a"]},
    "history_entry_not_an_object": {"pvt_history": ["reserved"]},
    "history_entry_without_time": {"pvt_history": [{"action": "add", "to": "available"}]},
    "history_time_undefined": {"pvt_history": [{"at": "undefined", "action": "add", "to": "available"}]},
    "history_unknown_state": {"pvt_history": [{"at": "2026-11-26T12:00:00.000000Z", "to": "gone"}]},
    "hold_without_end": {"pvt_hold": {"account": "x", "started_at": "2026-11-26T12:00:00.000000Z"}},
    "owner_a_number": {"pvt_assigned_to": 7},
    "ported_in_text": {"pvt_ported_in": "yes"},
}

BAD_ACCOUNT_FIELDS: dict[str, dict[str, Any]] = {
    "tree_a_string": {"pvt_tree": "root"},
    "name_a_list": {"name": ["x"]},
    "enabled_text": {"enabled": "false"},
}


def bad_number_doc(e164: str, owner_tree: tuple[str, ...] = (), **fields: Any) -> dict[str, Any]:
    """A number document that is fine but for `fields` (an unknown state when they name none)."""
    doc: dict[str, Any] = {"_id": e164, "pvt_type": "number", "pvt_state": "available", "pvt_module_name": "local"}
    if owner_tree:
        doc.update(pvt_state="in_service", pvt_assigned_to=owner_tree[-1], pvt_assigned_tree=list(owner_tree))
    if not fields:
        fields = {"pvt_state": "frozen"}
    doc.update(fields)
    return doc


async def plant(store: Store, db: Db, *docs: dict[str, Any]) -> None:
    results = await store.put_many(db, list(docs))
    assert all(r.ok for r in results), results
