"""Kazoo's number and account documents read as numplane's (the Kazoo migration, issue 14).

Pure functions: a Kazoo document in, a numplane `Number`/`Account` (with notes worth reporting) or the
reason it cannot be imported out. Facts about Kazoo's shapes are in shared/reference/kazoo-documents.md;
the shells (numplane/kazoo) read the source, write through the create-only path and keep checkpoints.

What "unchanged since import" means, used by every later run and by `--follow`: the number's latest
history entry is an `import` entry. Any numplane write (a move, an edit, a job) appends another entry, and
from then on a Kazoo copy of that number is a conflict, never an overwrite.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from numplane.domain.accounts import Account
from numplane.domain.clock import format_time, from_gregorian
from numplane.domain.e164 import normalize
from numplane.domain.errors import DomainError
from numplane.domain.features import active_features, validate_public
from numplane.domain.history import SYSTEM
from numplane.domain.numbers import Number, Transition
from numplane.domain.states import State
from numplane.domain.text import excerpt

IMPORT = "import"
"""The history action of a number written from a Kazoo document."""

KAZOO_REV = "kazoo_rev"
"""The key of an import history entry that names the Kazoo revision it was made from."""

KAZOO = "pvt_kazoo"
"""The one private object that keeps Kazoo-only fields (pvt_db_name, pvt_authorizing_account, ...)."""

LEGACY_PREFIX = "knm_"
"""Kazoo carrier modules numplane has no module for keep their name (after Kazoo's own read migrations)
and are served by the legacy carrier."""

_BUILT_IN_MODULES = {
    "knm_local": "local",
    "knm_mdn": "mdn",
    "knm_inventory": "inventory",
    "knm_managed": "inventory",
}

_STATES = {state.value: state for state in State if state is not State.DELETED}
_GONE_STATES = frozenset({"deleted", "disconnected"})  # 3.x states for numbers that are no longer anyone's
_OWNED = frozenset({State.RESERVED, State.IN_SERVICE, State.PORT_IN, State.PORT_OUT})
_NEVER_DISCOVERED = frozenset({"local", "mdn", "inventory"})  # discovery is a remote carrier's search result

_FEATURE_RENAMES = {
    "dash_e911": "e911", "vitelity_e911": "e911", "telnyx_e911": "e911",
    "inbound_cnam": "cnam", "outbound_cnam": "cnam",
}
_FEATURES_DROPPED = frozenset({"local", "port"})  # Kazoo-internal markers, no numplane feature
_API_ECHOES = frozenset({"id", "state", "features", "used_by", "create_with_state"})

# Number document keys numplane models itself; every other pvt_ key goes under pvt_kazoo.
_NUMBER_KEYS = frozenset(
    {
        "pvt_type", "pvt_state", "pvt_number_state", "pvt_assigned_to", "pvt_previously_assigned_to",
        "pvt_reserve_history", "pvt_module_name", "pvt_ported_in", "pvt_used_by", "pvt_features",
        "pvt_features_denied", "pvt_carrier_data", "pvt_created", "pvt_modified", "pvt_deleted",
    }
)
_ACCOUNT_KEYS = frozenset(
    {
        "_id", "_rev", "pvt_type", "name", "pvt_tree", "pvt_enabled", "enabled", "pvt_wnm_allow_additions",
        "pvt_superduper_admin", "pvt_created", "pvt_modified", "pvt_deleted",
    }
)

_SECRETS = frozenset({"pvt_api_key"})
"""Kazoo credentials on account documents: numplane has its own keys, and a copy would be one more place
to leak them from."""


@dataclass(frozen=True, slots=True)
class Mapped:
    """A number that imports; `notes` are what the operator should know about it (listed in the report)."""

    number: Number
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Refused:
    """A document that cannot be imported, and why (it is listed in the report, never silently dropped)."""

    id: str
    reason: str
    gone: bool = False  # deleted or disconnected in Kazoo: under --follow, a deletion of the numplane copy


@dataclass(frozen=True, slots=True)
class AccountMapped:
    account: Account
    notes: tuple[str, ...] = ()


def is_account_id(value: Any) -> bool:
    """Any id CouchDB accepts for a document that is not a design or local document."""
    return isinstance(value, str) and value != "" and not value.startswith("_")


def module_name(kazoo: Any, carrier_map: Mapping[str, str] | None = None) -> str:
    """numplane's carrier module for a Kazoo `pvt_module_name`, after Kazoo's own read migrations
    (`wnm_*` -> `knm_*`, `knm_bandwidth` -> `knm_bandwidth2`, missing or "undefined" -> `knm_local`)."""
    raw = kazoo if isinstance(kazoo, str) and kazoo not in ("", "undefined") else "knm_local"
    if raw.startswith("wnm_"):
        raw = LEGACY_PREFIX + raw.removeprefix("wnm_")
    if raw == "knm_bandwidth":
        raw = "knm_bandwidth2"
    mapped = carrier_map or {}
    if raw in mapped:
        return mapped[raw]
    if kazoo in mapped:
        return mapped[kazoo]
    if raw in _BUILT_IN_MODULES:
        return _BUILT_IN_MODULES[raw]
    return raw if raw.startswith(LEGACY_PREFIX) else LEGACY_PREFIX + raw


def is_legacy_module(name: str) -> bool:
    return name.startswith(LEGACY_PREFIX)


def feature_settings(kazoo_features: Any) -> dict[str, Any]:
    """`pvt_features` (an object, or the legacy list of names) as numplane feature settings: renamed,
    Kazoo-internal markers dropped; settings of two Kazoo features that become one are merged."""
    if isinstance(kazoo_features, list):
        kazoo_features = {name: {} for name in kazoo_features if isinstance(name, str)}
    if not isinstance(kazoo_features, dict):
        return {}
    settings: dict[str, Any] = {}
    for name, value in kazoo_features.items():
        if not isinstance(name, str) or name in _FEATURES_DROPPED:
            continue
        key: str = _FEATURE_RENAMES.get(name, name)
        if isinstance(value, dict) and isinstance(settings.get(key), dict):
            settings[key] = {**settings[key], **value}
        elif key not in settings or value not in ({}, None):
            settings[key] = copy.deepcopy(value)
    return settings


def public_fields(doc: Mapping[str, Any], settings: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The public fields numplane keeps: Kazoo's verbatim minus its API echoes, `dash_e911` as `e911`,
    E911 coordinates as numbers, and a feature whose settings Kazoo kept only privately filled in."""
    notes: list[str] = []
    public = {
        key: copy.deepcopy(value)
        for key, value in doc.items()
        if not key.startswith(("pvt_", "_")) and key not in _API_ECHOES
    }
    legacy_e911 = public.pop("dash_e911", None)
    if legacy_e911 is not None:
        if "e911" not in public:
            public["e911"] = legacy_e911
        elif public["e911"] != legacy_e911:
            notes.append("dash_e911 differs from e911: e911 kept")
    for key, value in settings.items():
        if key in ("e911", "cnam") and isinstance(value, dict) and value and key not in public:
            public[key] = copy.deepcopy(value)
    e911 = public.get("e911")
    if isinstance(e911, dict):
        for axis in ("latitude", "longitude"):
            if isinstance(e911.get(axis), str):
                try:
                    e911[axis] = float(e911[axis])
                except ValueError:
                    notes.append(f"e911.{axis} {excerpt(e911[axis])!r} is not a number: kept as text")
    return public, notes


def map_number(
    doc: Mapping[str, Any],
    accounts: Mapping[str, Account],
    *,
    now: datetime,
    carrier_map: Mapping[str, str] | None = None,
) -> Mapped | Refused:
    """One document of a Kazoo number database as a numplane Number, or why it cannot be one.

    `accounts` are the imported accounts (the owner must be one of them; its tree gives the lineage).
    `now` stands in for timestamps Kazoo left missing or "undefined" (each such use is noted).
    """
    raw_id = doc.get("_id")
    doc_id = raw_id if isinstance(raw_id, str) else repr(raw_id)
    try:
        e164 = normalize(doc_id) if isinstance(raw_id, str) and raw_id.startswith("+") else None
    except DomainError:
        e164 = None
    if e164 is None or e164 != doc_id:
        return Refused(doc_id, "not a possible E.164 number")
    raw_state = doc.get("pvt_state") or doc.get("pvt_number_state")
    if doc.get("pvt_deleted") is True or raw_state in _GONE_STATES:
        return Refused(doc_id, f"{raw_state if raw_state in _GONE_STATES else 'deleted'} in Kazoo", gone=True)
    state = _STATES.get(raw_state) if isinstance(raw_state, str) else None
    if state is None:
        return Refused(doc_id, f"unknown state {excerpt(str(raw_state))!r}")
    module = module_name(doc.get("pvt_module_name"), carrier_map)
    if state is State.DISCOVERY and module in _NEVER_DISCOVERED:
        return Refused(doc_id, f"state discovery is not possible for module {module}")

    notes: list[str] = []
    owner = _text(doc.get("pvt_assigned_to"))
    previous = _text(doc.get("pvt_previously_assigned_to"))
    if state in _OWNED:
        if owner is None:
            return Refused(doc_id, f"state {state.value} without an owner")
        if owner not in accounts:
            return Refused(doc_id, f"owner {excerpt(owner)} does not exist")
    elif owner is not None:
        # Kazoo keeps pvt_assigned_to on some unowned numbers; numplane would let anyone take them.
        notes.append(f"owner {excerpt(owner)} dropped: a {state.value} number has no owner (kept as previous owner)")
        previous, owner = owner, None

    settings = feature_settings(doc.get("pvt_features"))
    public, public_notes = public_fields(doc, settings)
    notes += public_notes
    try:
        validate_public(public)
    except DomainError as error:
        notes.append(f"public fields kept as they are though numplane refuses them: {error.message}")

    created = from_gregorian(doc.get("pvt_created"))
    modified = from_gregorian(doc.get("pvt_modified"))
    missing = [key for key, value in (("pvt_created", created), ("pvt_modified", modified)) if value is None]
    if missing:
        notes.append(f"{' and '.join(missing)} missing or not a time: the import time used")
    used_by = _text(doc.get("pvt_used_by")) or _text(doc.get("used_by"))
    kazoo_only = {key: copy.deepcopy(value) for key, value in doc.items()
                  if key.startswith("pvt_") and key not in _NUMBER_KEYS}
    if doc.get("pvt_module_name") != module and doc.get("pvt_module_name") is not None:
        kazoo_only["pvt_module_name"] = doc["pvt_module_name"]
    entry = Transition(now, IMPORT, None, state, SYSTEM, None, owner).to_doc()
    entry[KAZOO_REV] = revision(doc)
    number = Number(
        e164=e164,
        state=state,
        module=module,
        owner=owner,
        previous_owner=previous,
        assigned_tree=accounts[owner].lineage if owner else (),
        reserve_history=tuple(a for a in doc.get("pvt_reserve_history") or () if isinstance(a, str) and a),
        ported_in=doc.get("pvt_ported_in") is True,
        used_by=used_by,
        features=active_features(state, public),
        features_denied=tuple(_strings(doc.get("pvt_features_denied"))),
        carrier_data=dict(doc["pvt_carrier_data"]) if isinstance(doc.get("pvt_carrier_data"), dict) else {},
        public=public,
        created=created or now,
        modified=modified or now,
        # The aging and discovery clocks run from Kazoo's last change, not from the import.
        state_changed_at=modified or now,
        history_docs=(entry,),
        extra_private={KAZOO: kazoo_only} if kazoo_only else {},
    )
    return Mapped(number, tuple(notes))


def revision(doc: Mapping[str, Any]) -> str:
    """The document's Kazoo revision; for a dump without `_rev`, a digest of its content in its place, so
    that a second run over the same dump still finds every number identical."""
    rev = doc.get("_rev")
    if isinstance(rev, str) and rev:
        return rev
    content = json.dumps(doc, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(content.encode()).hexdigest()[:32]


def map_account(doc: Mapping[str, Any], *, now: datetime) -> AccountMapped | Refused:
    """A Kazoo account document as a numplane account with the same id (its tree is checked later,
    against the other accounts, by `complete_trees`)."""
    account_id = doc.get("_id")
    if not is_account_id(account_id):
        return Refused(repr(account_id), "not an account id CouchDB accepts")
    assert isinstance(account_id, str)
    if doc.get("pvt_deleted") is True:
        return Refused(account_id, "deleted in Kazoo", gone=True)
    tree = doc.get("pvt_tree") or []
    if not isinstance(tree, list) or not all(is_account_id(a) for a in tree):
        return Refused(account_id, "pvt_tree is not a list of account ids")
    notes = []
    created, modified = from_gregorian(doc.get("pvt_created")), from_gregorian(doc.get("pvt_modified"))
    if created is None or modified is None:
        notes.append("pvt_created or pvt_modified missing or not a time: the import time used")
    name = doc.get("name")
    enabled = doc.get("pvt_enabled", doc.get("enabled", True))
    extra = {key: copy.deepcopy(value) for key, value in doc.items()
             if key not in _ACCOUNT_KEYS and key not in _SECRETS}
    # The time it was imported with: a numplane edit stamps a later `modified`, which is how a later run
    # knows the account changed here and must not be overwritten.
    extra[KAZOO] = {"rev": doc.get("_rev"), "modified": format_time(modified or now)}
    account = Account(
        id=account_id,
        name=name if isinstance(name, str) and name else account_id,
        tree=tuple(tree),
        enabled=enabled is not False,
        allow_additions=doc.get("pvt_wnm_allow_additions") is True,
        is_admin=doc.get("pvt_superduper_admin") is True,
        created=created or now,
        modified=modified or now,
        extra=extra,
    )
    return AccountMapped(account, tuple(notes))


def complete_trees(
    accounts: Mapping[str, Account], known: Mapping[str, Account] | None = None
) -> tuple[dict[str, Account], list[Refused]]:
    """The accounts whose every ancestor is imported too (or `known`: already in numplane); the others
    are refused naming the first missing ancestor, and so are their descendants. Nothing is guessed."""
    known = known or {}
    kept: dict[str, Account] = {}
    refused: list[Refused] = []
    for account in sorted(accounts.values(), key=lambda a: len(a.tree)):
        missing = next((a for a in account.tree if a not in kept and a not in known), None)
        if missing is None:
            kept[account.id] = account
        else:
            refused.append(Refused(account.id, f"ancestor {excerpt(missing)} is missing"))
    return kept, refused


class Step(str, Enum):
    """What one Kazoo document (or its deletion) does to numplane's copy."""

    CREATE = "created"
    IDENTICAL = "identical"  # already imported from this very Kazoo revision
    UPDATE = "updated"  # imported from an older revision, untouched in numplane since
    DELETE = "deleted"  # gone from Kazoo, untouched in numplane since its import
    CONFLICT = "conflict"  # changed in numplane after its import: left as it is, reported
    NOTHING = "nothing"  # a deletion of a number numplane does not have


def imported_rev(number: Number) -> str | None:
    """The Kazoo revision numplane's copy was last imported from, when nothing changed it since."""
    last = number.history_docs[-1] if number.history_docs else None
    if last is None or last.get("action") != IMPORT:
        return None
    rev = last.get(KAZOO_REV)
    return rev if isinstance(rev, str) else ""


def already_imported(stored: Mapping[str, Any], doc: Mapping[str, Any]) -> bool:
    """`plan(...) is Step.IDENTICAL`, read straight from numplane's stored document without mapping the Kazoo
    one: a second run and a replayed change feed skip the mapping of every number already imported."""
    history = stored.get("pvt_history") or []
    last = history[-1] if history and isinstance(history[-1], dict) else {}
    return bool(last.get("action") == IMPORT and last.get(KAZOO_REV) == revision(doc))


def plan(existing: Number | None, incoming: Number | None) -> Step:
    """The step for a Kazoo copy `incoming` (None: deleted in Kazoo) given numplane's `existing` copy."""
    if existing is None:
        return Step.CREATE if incoming is not None else Step.NOTHING
    rev = imported_rev(existing)
    if rev is None:
        return Step.CONFLICT
    if incoming is None:
        return Step.DELETE
    return Step.IDENTICAL if rev and rev == imported_rev(incoming) else Step.UPDATE


def updated(existing: Number, incoming: Number, history_length: int) -> Number:
    """numplane's copy replaced by a newer Kazoo revision: its history goes on (the new import entry last)."""
    history = (*existing.history_docs, *incoming.history_docs)[-history_length:]
    return incoming.with_changes(rev=existing.rev, history_docs=history)


def plan_account(existing: Account | None, incoming: Account | None) -> Step:
    """The step for a Kazoo account (None: deleted in Kazoo) given numplane's copy, by the same rule as
    numbers: an account edited in numplane since its import is a conflict."""
    if existing is None:
        return Step.CREATE if incoming is not None else Step.NOTHING
    kazoo = existing.extra.get(KAZOO)
    touched = existing.modified is None or not isinstance(kazoo, dict) or kazoo.get("modified") != format_time(
        existing.modified
    )
    if touched:
        return Step.CONFLICT
    if incoming is None:
        return Step.DELETE
    assert isinstance(kazoo, dict)
    return Step.IDENTICAL if kazoo.get("rev") == incoming.extra[KAZOO]["rev"] else Step.UPDATE


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value and value != "undefined" else None


def _strings(value: Any) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []
