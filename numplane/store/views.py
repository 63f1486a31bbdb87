"""Indexes as data: one definition per view, read by both stores.

Each view has a Python `emit` function (used by the SQLite store to fill its index table) and the same
map function in JavaScript (installed by the CouchDB store as a design document). The contract test suite
runs every query against both stores, so the two forms cannot drift silently. Every key is a tuple of
three strings so one ordering rule serves both backends.

Numbers, view `tree`: one row per (scope, facet) where scope is "*" (every number: admins), each
account in pvt_assigned_tree (the owner's tree: "numbers of X and its sub-accounts"), and "=" + owner
(numbers of X alone); facet is "" (any), "s:" + state, or "c:" + carrier module. The third element is the
E.164 id, so a prefix is a key range and paging is keyset on the id.

Numbers, view `clock`: (state, pvt_state_changed_at, id): due numbers for the jobs, oldest first.

Numbers, view `holds`: ("=" + holder, pvt_hold.expires_at, id) and ("*", pvt_hold.expires_at, id) for
each number with a hold record: the holds of one account that still count are the keys after "now" (the
per-account limit), and the expired records of everyone the keys before it (the hold-expiry job).

System, view `expiry`: (pvt_type, pvt_expires_at, id) for stored idempotent responses: the expired ones
are one key range (their cleaning job).

Accounts, view `tree`: ("c:" + parent, "", id) for children, ("d:" + ancestor, "", id) for descendants,
("*", "", id) for every account.

Ports, view `tree`: (scope, facet, id) for port requests, as numbers' tree: scope "*" or each account of
pvt_account_tree (the request's account and its ancestors), facet "" or "s:" + state.

Ports, view `cutover`: (state, pvt_scheduled_at, id): scheduled requests due for the cut-over job, oldest
cut-over first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from numplane.store.base import Db, Doc, Key

VIEWS_VERSION = "3"


def _number_tree(doc: Doc) -> Iterator[Key]:
    number_id = doc["_id"]
    owner = doc.get("pvt_assigned_to")
    scopes = ["*", *(doc.get("pvt_assigned_tree") or [])]
    if owner:
        scopes.append("=" + owner)
    facets = ["", "s:" + str(doc.get("pvt_state", "")), "c:" + str(doc.get("pvt_module_name", ""))]
    for scope in scopes:
        for facet in facets:
            yield (scope, facet, number_id)


def _number_clock(doc: Doc) -> Iterator[Key]:
    yield (str(doc.get("pvt_state", "")), str(doc.get("pvt_state_changed_at", "")), doc["_id"])


def _number_holds(doc: Doc) -> Iterator[Key]:
    hold = doc.get("pvt_hold")
    if isinstance(hold, dict) and hold.get("account"):
        expires = str(hold.get("expires_at", ""))
        yield ("=" + str(hold["account"]), expires, doc["_id"])
        yield ("*", expires, doc["_id"])


def _system_expiry(doc: Doc) -> Iterator[Key]:
    yield (str(doc.get("pvt_type", "")), str(doc.get("pvt_expires_at", "")), doc["_id"])


def _account_tree(doc: Doc) -> Iterator[Key]:
    tree = doc.get("pvt_tree") or []
    yield ("*", "", doc["_id"])
    if tree:
        yield ("c:" + tree[-1], "", doc["_id"])
    for ancestor in tree:
        yield ("d:" + ancestor, "", doc["_id"])


def _port_tree(doc: Doc) -> Iterator[Key]:
    facets = ["", "s:" + str(doc.get("pvt_state", ""))]
    for scope in ["*", *(doc.get("pvt_account_tree") or [])]:
        for facet in facets:
            yield (scope, facet, doc["_id"])


def _port_cutover(doc: Doc) -> Iterator[Key]:
    yield (str(doc.get("pvt_state", "")), str(doc.get("pvt_scheduled_at") or ""), doc["_id"])


_PORT_TREE_JS = """function (doc) {
  if (doc.pvt_type !== 'port_request') return;
  var scopes = ['*'].concat(doc.pvt_account_tree || []);
  var facets = ['', 's:' + (doc.pvt_state || '')];
  for (var i = 0; i < scopes.length; i++) {
    for (var j = 0; j < facets.length; j++) emit([scopes[i], facets[j], doc._id], null);
  }
}"""

_PORT_CUTOVER_JS = """function (doc) {
  if (doc.pvt_type !== 'port_request') return;
  emit([String(doc.pvt_state || ''), String(doc.pvt_scheduled_at || ''), doc._id], null);
}"""

_NUMBER_TREE_JS = """function (doc) {
  if (doc.pvt_type !== 'number') return;
  var scopes = ['*'].concat(doc.pvt_assigned_tree || []);
  if (doc.pvt_assigned_to) scopes.push('=' + doc.pvt_assigned_to);
  var facets = ['', 's:' + (doc.pvt_state || ''), 'c:' + (doc.pvt_module_name || '')];
  for (var i = 0; i < scopes.length; i++) {
    for (var j = 0; j < facets.length; j++) emit([scopes[i], facets[j], doc._id], null);
  }
}"""

_NUMBER_CLOCK_JS = """function (doc) {
  if (doc.pvt_type !== 'number') return;
  emit([String(doc.pvt_state || ''), String(doc.pvt_state_changed_at || ''), doc._id], null);
}"""

_NUMBER_HOLDS_JS = """function (doc) {
  if (doc.pvt_type !== 'number') return;
  var hold = doc.pvt_hold;
  if (!hold || typeof hold !== 'object' || !hold.account) return;
  var expires = String(hold.expires_at || '');
  emit(['=' + String(hold.account), expires, doc._id], null);
  emit(['*', expires, doc._id], null);
}"""

_SYSTEM_EXPIRY_JS = """function (doc) {
  if (doc.pvt_type !== 'idempotency') return;
  emit([String(doc.pvt_type || ''), String(doc.pvt_expires_at || ''), doc._id], null);
}"""

_ACCOUNT_TREE_JS = """function (doc) {
  if (doc.pvt_type !== 'account') return;
  var tree = doc.pvt_tree || [];
  emit(['*', '', doc._id], null);
  if (tree.length) emit(['c:' + tree[tree.length - 1], '', doc._id], null);
  for (var i = 0; i < tree.length; i++) emit(['d:' + tree[i], '', doc._id], null);
}"""


@dataclass(frozen=True, slots=True)
class View:
    db: Db
    name: str
    doc_type: str  # only documents with this pvt_type are indexed
    emit: Callable[[Doc], Iterator[Key]]
    map_js: str

    def keys(self, doc: Doc) -> list[Key]:
        if doc.get("pvt_type") != self.doc_type or doc.get("_deleted"):
            return []
        return list(self.emit(doc))


VIEWS: tuple[View, ...] = (
    View(Db.NUMBERS, "tree", "number", _number_tree, _NUMBER_TREE_JS),
    View(Db.NUMBERS, "clock", "number", _number_clock, _NUMBER_CLOCK_JS),
    View(Db.NUMBERS, "holds", "number", _number_holds, _NUMBER_HOLDS_JS),
    View(Db.ACCOUNTS, "tree", "account", _account_tree, _ACCOUNT_TREE_JS),
    View(Db.SYSTEM, "expiry", "idempotency", _system_expiry, _SYSTEM_EXPIRY_JS),
    View(Db.PORTS, "tree", "port_request", _port_tree, _PORT_TREE_JS),
    View(Db.PORTS, "cutover", "port_request", _port_cutover, _PORT_CUTOVER_JS),
)


def views_of(db: Db) -> tuple[View, ...]:
    return tuple(v for v in VIEWS if v.db is db)


def design_document(db: Db) -> dict[str, Any]:
    """The CouchDB design document `_design/numplane` holding this database's views."""
    return {
        "_id": "_design/numplane",
        "language": "javascript",
        "numplane_version": VIEWS_VERSION,
        "views": {v.name: {"map": v.map_js} for v in views_of(db)},
    }
