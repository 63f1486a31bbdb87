"""Indexes as data: one definition per view, read by both stores.

Each view has a Python `emit` function (used by the SQLite store to fill its index table) and the same
map function in JavaScript (installed by the CouchDB store as a design document). The contract test suite
runs every query against both stores, so the two forms cannot drift silently. Every key is a tuple of
three strings so one ordering rule serves both backends.

Numbers, view `tree`: one row per (scope, facet) where scope is "*" (every number: admins), each
account in pvt_assigned_tree (the owner's tree: "numbers of X and its sub-accounts"), and "=" + owner
(numbers of X alone); facet is "" (any), "s:" + state, "c:" + carrier module, or "sc:" + state + ":" +
carrier (both filters at once). The third element is the E.164 id, so a prefix is a key range and paging
is keyset on the id.

Numbers, view `search`: available numbers only, by the terms of their `pvt_locality` (issue 11; see
`numplane.domain.search`): ("x", suffix, id) for every suffix of two or more digits of the national
number, so `contains` at any position is a prefix range on its longest literal run; ("n", national, id)
for `startsWith`; ("c" | "l" | "r" | "t", folded term, id) for country, locality, region and type. A
number that stops being available leaves the view, so a search reads no sold number. Write cost: a US
number emits 9 suffix rows + 1 national + 1 country + 1 locality + 2 regions + 3 types (about 17 rows)
while available, beside the 6 rows of `tree` and `clock`; the figures are in benchmarks/search.py.

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

System, view `webhooks`: ("*", "", id) for every endpoint, ("a:" + account, "", id) for an account's.

System, view `deliveries`: ("q:" + webhook, "", order|id) while a delivery is unfinished (the endpoint's
queue, in feed order), ("w:" + webhook, "", order|id) always and ("w:" + webhook, "s:" + status, order|id)
(the customer's listing, whole or by status).

Every view also has CouchDB's built-in `_count` reduce (the SQLite store counts its index table), so a
filtered listing's total is a count over a key range, read from the index without reading a document.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from numplane.domain.search import MIN_SUFFIX
from numplane.store.base import Db, Doc, Key

# 6: text-only scopes and terms; 5: holds, idempotency expiry (4: search; 3: "sc:" facet, `_count` reduces;
# 2: ports)
VIEWS_VERSION = "6"


def _texts(value: object) -> list[str]:
    """The text items of a list field: documents written by other tools (a Kazoo import, a hand edit) may
    hold anything, and indexing one must neither fail its write nor index garbage under an account."""
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _number_tree(doc: Doc) -> Iterator[Key]:
    number_id = doc["_id"]
    owner = doc.get("pvt_assigned_to")
    scopes = ["*", *_texts(doc.get("pvt_assigned_tree"))]
    if owner and isinstance(owner, str):
        scopes.append("=" + owner)
    state, carrier = str(doc.get("pvt_state", "")), str(doc.get("pvt_module_name", ""))
    facets = ["", "s:" + state, "c:" + carrier, "sc:" + state + ":" + carrier]
    for scope in scopes:
        for facet in facets:
            yield (scope, facet, number_id)


def _number_search(doc: Doc) -> Iterator[Key]:
    place = doc.get("pvt_locality")
    if doc.get("pvt_state") != "available" or not isinstance(place, dict):
        return
    number_id = doc["_id"]
    national = str(place.get("national") or "")
    for start in range(len(national) - MIN_SUFFIX + 1):
        yield ("x", national[start:], number_id)
    if national:
        yield ("n", national, number_id)
    terms = place.get("terms")
    for facet, values in sorted(terms.items()) if isinstance(terms, dict) else ():
        for term in _texts(values):
            yield (facet, term, number_id)


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
    tree = _texts(doc.get("pvt_tree"))
    yield ("*", "", doc["_id"])
    if tree:
        yield ("c:" + tree[-1], "", doc["_id"])
    for ancestor in tree:
        yield ("d:" + ancestor, "", doc["_id"])


def _port_tree(doc: Doc) -> Iterator[Key]:
    facets = ["", "s:" + str(doc.get("pvt_state", ""))]
    for scope in ["*", *_texts(doc.get("pvt_account_tree"))]:
        for facet in facets:
            yield (scope, facet, doc["_id"])


def _port_cutover(doc: Doc) -> Iterator[Key]:
    yield (str(doc.get("pvt_state", "")), str(doc.get("pvt_scheduled_at") or ""), doc["_id"])


_PORT_TREE_JS = """function (doc) {
  if (doc.pvt_type !== 'port_request') return;
  function texts(v) { return Array.isArray(v) ? v.filter(function (x) { return typeof x === 'string'; }) : []; }
  var scopes = ['*'].concat(texts(doc.pvt_account_tree));
  var facets = ['', 's:' + (doc.pvt_state || '')];
  for (var i = 0; i < scopes.length; i++) {
    for (var j = 0; j < facets.length; j++) emit([scopes[i], facets[j], doc._id], null);
  }
}"""

_PORT_CUTOVER_JS = """function (doc) {
  if (doc.pvt_type !== 'port_request') return;
  emit([String(doc.pvt_state || ''), String(doc.pvt_scheduled_at || ''), doc._id], null);
}"""

def _webhooks(doc: Doc) -> Iterator[Key]:
    yield ("*", "", doc["_id"])
    yield ("a:" + str(doc.get("account_id", "")), "", doc["_id"])


def _deliveries(doc: Doc) -> Iterator[Key]:
    webhook, status = str(doc.get("webhook_id", "")), str(doc.get("status", ""))
    place = str(doc.get("order", "")) + "|" + doc["_id"]
    if status in ("pending", "sending"):
        yield ("q:" + webhook, "", place)
    yield ("w:" + webhook, "", place)
    yield ("w:" + webhook, "s:" + status, place)


_NUMBER_TREE_JS = """function (doc) {
  if (doc.pvt_type !== 'number') return;
  function texts(v) { return Array.isArray(v) ? v.filter(function (x) { return typeof x === 'string'; }) : []; }
  var scopes = ['*'].concat(texts(doc.pvt_assigned_tree));
  if (doc.pvt_assigned_to && typeof doc.pvt_assigned_to === 'string') scopes.push('=' + doc.pvt_assigned_to);
  var state = String(doc.pvt_state || ''), carrier = String(doc.pvt_module_name || '');
  var facets = ['', 's:' + state, 'c:' + carrier, 'sc:' + state + ':' + carrier];
  for (var i = 0; i < scopes.length; i++) {
    for (var j = 0; j < facets.length; j++) emit([scopes[i], facets[j], doc._id], null);
  }
}"""

_NUMBER_CLOCK_JS = """function (doc) {
  if (doc.pvt_type !== 'number') return;
  emit([String(doc.pvt_state || ''), String(doc.pvt_state_changed_at || ''), doc._id], null);
}"""

_NUMBER_SEARCH_JS = """function (doc) {
  if (doc.pvt_type !== 'number' || doc.pvt_state !== 'available') return;
  var place = doc.pvt_locality;
  if (!place || typeof place !== 'object') return;
  var national = String(place.national || '');
  for (var i = 0; i + MIN_SUFFIX <= national.length; i++) emit(['x', national.slice(i), doc._id], null);
  if (national) emit(['n', national, doc._id], null);
  function texts(v) { return Array.isArray(v) ? v.filter(function (x) { return typeof x === 'string'; }) : []; }
  var terms = place.terms && typeof place.terms === 'object' && !Array.isArray(place.terms) ? place.terms : {};
  var facets = Object.keys(terms).sort();
  for (var f = 0; f < facets.length; f++) {
    var values = texts(terms[facets[f]]);
    for (var t = 0; t < values.length; t++) emit([facets[f], values[t], doc._id], null);
  }
}""".replace("MIN_SUFFIX", str(MIN_SUFFIX))

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
  function texts(v) { return Array.isArray(v) ? v.filter(function (x) { return typeof x === 'string'; }) : []; }
  var tree = texts(doc.pvt_tree);
  emit(['*', '', doc._id], null);
  if (tree.length) emit(['c:' + tree[tree.length - 1], '', doc._id], null);
  for (var i = 0; i < tree.length; i++) emit(['d:' + tree[i], '', doc._id], null);
}"""


_WEBHOOKS_JS = """function (doc) {
  if (doc.pvt_type !== 'webhook') return;
  emit(['*', '', doc._id], null);
  emit(['a:' + String(doc.account_id || ''), '', doc._id], null);
}"""

_DELIVERIES_JS = """function (doc) {
  if (doc.pvt_type !== 'webhook_delivery') return;
  var webhook = String(doc.webhook_id || ''), status = String(doc.status || '');
  var place = String(doc.order || '') + '|' + doc._id;
  if (status === 'pending' || status === 'sending') emit(['q:' + webhook, '', place], null);
  emit(['w:' + webhook, '', place], null);
  emit(['w:' + webhook, 's:' + status, place], null);
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
    View(Db.NUMBERS, "search", "number", _number_search, _NUMBER_SEARCH_JS),
    View(Db.NUMBERS, "holds", "number", _number_holds, _NUMBER_HOLDS_JS),
    View(Db.ACCOUNTS, "tree", "account", _account_tree, _ACCOUNT_TREE_JS),
    View(Db.SYSTEM, "expiry", "idempotency", _system_expiry, _SYSTEM_EXPIRY_JS),
    View(Db.PORTS, "tree", "port_request", _port_tree, _PORT_TREE_JS),
    View(Db.PORTS, "cutover", "port_request", _port_cutover, _PORT_CUTOVER_JS),
    View(Db.SYSTEM, "webhooks", "webhook", _webhooks, _WEBHOOKS_JS),
    View(Db.SYSTEM, "deliveries", "webhook_delivery", _deliveries, _DELIVERIES_JS),
)


def views_of(db: Db) -> tuple[View, ...]:
    return tuple(v for v in VIEWS if v.db is db)


def design_document(db: Db) -> dict[str, Any]:
    """The CouchDB design document `_design/numplane` holding this database's views."""
    return {
        "_id": "_design/numplane",
        "language": "javascript",
        "numplane_version": VIEWS_VERSION,
        "views": {v.name: {"map": v.map_js, "reduce": "_count"} for v in views_of(db)},
    }
