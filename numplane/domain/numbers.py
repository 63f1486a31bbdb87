"""A number and its document (SPEC §1): the Kazoo-style `pvt_` document is the storage form."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import datetime
from operator import attrgetter
from typing import Any, TypeVar

from numplane.domain.clock import format_time, read_time
from numplane.domain.deferred import Unread, deferrable
from numplane.domain.documents import Fields, UnreadableDocument
from numplane.domain.holds import Hold
from numplane.domain.locality import Locality, describe
from numplane.domain.public_bounds import readable
from numplane.domain.slot_builder import builder
from numplane.domain.states import State


@dataclass(frozen=True, slots=True)
class Transition:
    """One entry of `pvt_history`."""

    at: datetime
    action: str
    from_state: State | None
    to_state: State | None
    requester: str | None  # account id, or "system"
    owner_before: str | None
    owner_after: str | None

    def to_doc(self) -> dict[str, Any]:
        return {
            "at": format_time(self.at),
            "action": self.action,
            "from": self.from_state.value if self.from_state else None,
            "to": self.to_state.value if self.to_state else None,
            "requester": self.requester,
            "owner_before": self.owner_before,
            "owner_after": self.owner_after,
        }

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Transition:
        at = read_time(doc["at"])  # Kazoo's entries carry Gregorian seconds
        if at is None:
            raise ValueError(f"no time in {doc['at']!r}"[:80])
        return cls(
            at=at,
            action=doc.get("action", ""),
            from_state=State(doc["from"]) if doc.get("from") else None,
            to_state=State(doc["to"]) if doc.get("to") else None,
            requester=doc.get("requester"),
            owner_before=doc.get("owner_before"),
            owner_after=doc.get("owner_after"),
        )


_MODELLED = frozenset(
    {
        "_id", "_rev", "_deleted", "pvt_type", "pvt_state", "pvt_assigned_to", "pvt_previously_assigned_to",
        "pvt_assigned_tree", "pvt_reserve_history", "pvt_module_name", "pvt_ported_in", "pvt_used_by",
        "pvt_features", "pvt_features_denied", "pvt_carrier_data", "pvt_created", "pvt_modified",
        "pvt_state_changed_at", "pvt_history", "pvt_hold", "pvt_port_request", "pvt_locality",
    }
)


# A listing page converts these when first read (`Number.from_doc(doc, deferred=True)`), see from_doc.
@deferrable("public", "history_docs", "extra_private")
@dataclass(frozen=True, slots=True)
class Number:
    e164: str
    state: State
    module: str = "local"  # pvt_module_name: the carrier module
    owner: str | None = None
    previous_owner: str | None = None
    assigned_tree: tuple[str, ...] = ()  # owner's ancestors plus the owner, root first
    reserve_history: tuple[str, ...] = ()  # newest first
    ported_in: bool = False
    used_by: str | None = None
    features: dict[str, Any] = field(default_factory=dict)  # active features (pvt_features)
    features_denied: tuple[str, ...] = ()
    carrier_data: dict[str, Any] = field(default_factory=dict)
    public: dict[str, Any] = field(default_factory=dict)  # every non-private field
    created: datetime | None = None
    modified: datetime | None = None
    state_changed_at: datetime | None = None
    # pvt_history as stored, oldest first: kept raw because most reads never look at it, and parsing
    # every entry of every number of a listing page costs more than the rest of the page.
    history_docs: tuple[dict[str, Any], ...] = ()
    rev: str | None = None
    port_request: str | None = None  # pvt_port_request: the port request that brought the number in
    extra_private: dict[str, Any] = field(default_factory=dict)  # pvt_ keys of imported data we keep
    # pvt_locality as read: a function of e164 (domain/locality), carried over so a write need not geocode
    # again; not part of the number's value, hence not compared.
    stored_locality: dict[str, Any] | None = field(default=None, compare=False, repr=False)
    hold: Hold | None = None  # pvt_hold (numplane.domain.holds): kept until acquired, released or cleaned

    @property
    def owner_ancestors(self) -> tuple[str, ...]:
        """The owner's ancestors, root first (the assigned tree without the owner)."""
        return self.assigned_tree[:-1] if self.assigned_tree else ()

    @property
    def locality(self) -> Locality:
        """Where the number is and its kind (computed from the number itself, so never stale)."""
        return describe(self.e164)

    @property
    def history(self) -> tuple[Transition, ...]:
        """The audit trail, oldest first (UnreadableDocument when a stored entry cannot be read)."""
        return tuple(_transition(self.e164, t) for t in self.history_docs)

    def recent_history(self, count: int) -> tuple[Transition, ...]:
        """The last `count` audit entries, oldest first, parsing only those (a page asks for a few)."""
        return tuple(_transition(self.e164, t) for t in self.history_docs[-count:]) if count > 0 else ()

    @property
    def last_transition(self) -> Transition | None:
        """The latest audit entry, parsed alone: the change feed asks for it on every change, and parsing
        the whole trail (up to history_length entries) each time cost more than the rest of the change."""
        return _transition(self.e164, self.history_docs[-1]) if self.history_docs else None

    def with_changes(self, **changes: Any) -> Number:
        """A copy with `changes`: `dataclasses.replace` without its `__init__` (a transition copies its
        number three times, and the frozen `__init__` was most of each copy: numplane.domain.slot_builder).
        Every other field is read as `replace` reads it, so a deferred part is converted here too: all of
        them at once (one attrgetter call), then the changed ones put in place, since reading the 22 fields
        one by one cost twice the copy itself."""
        values = list(_all_fields(self))
        for name, value in changes.items():
            index = _FIELD_INDEX.get(name)
            if index is None:
                raise TypeError(f"Number has no field {', '.join(sorted(set(changes) - _FIELD_INDEX.keys()))}")
            values[index] = value
        return _build_number(values)

    def to_doc(self) -> dict[str, Any]:
        doc: dict[str, Any] = dict(self.public)
        doc.update(self.extra_private)
        doc.update(
            {
                "_id": self.e164,
                "pvt_type": "number",
                "pvt_state": self.state.value,
                "pvt_module_name": self.module,
                "pvt_reserve_history": list(self.reserve_history),
                "pvt_ported_in": self.ported_in,
                "pvt_features": self.features,
                "pvt_history": list(self.history_docs),
            }
        )
        # Kept on the document (like Kazoo's pvt_locality) for the search index: see domain/locality. A
        # number's place never changes, so the stored one is carried over (read back as stored_locality) and
        # only a new number, or one stored by an older rule or by Kazoo, is geocoded again.
        stored = self.stored_locality
        doc["pvt_locality"] = stored if Locality.from_doc(stored) is not None else self.locality.to_doc()
        optional: dict[str, Any] = {
            "pvt_assigned_to": self.owner,
            "pvt_assigned_tree": list(self.assigned_tree) if self.owner else None,
            "pvt_previously_assigned_to": self.previous_owner,
            "pvt_used_by": self.used_by,
            "pvt_features_denied": list(self.features_denied) if self.features_denied else None,
            "pvt_carrier_data": self.carrier_data or None,
            "pvt_created": format_time(self.created) if self.created else None,
            "pvt_modified": format_time(self.modified) if self.modified else None,
            "pvt_state_changed_at": format_time(self.state_changed_at) if self.state_changed_at else None,
            "pvt_hold": self.hold.to_doc() if self.hold else None,
            "pvt_port_request": self.port_request,
            "_rev": self.rev,
        }
        doc.update({k: v for k, v in optional.items() if v is not None})
        return doc

    @classmethod
    def from_doc(
        cls, doc: dict[str, Any], *, deferred: bool = False, listing_form: bool = False, trail_checked: bool = False
    ) -> Number:
        """The number a stored document holds; UnreadableDocument (naming the field) when a field has the
        wrong type or an unknown value, so one bad document fails alone instead of with its page.

        `deferred` is for a listing page, which shows a few fields of a hundred numbers: the audit trail,
        the public fields and the kept private fields are then converted, and the trail checked, when
        first read (numplane.domain.deferred); a listing that shows the trail reads it before it lists
        the number (numplane.resolvers.reading), so a bad trail still skips its row. Checking the trail
        was most of the cost of reading a document, and most pages never show it. Everything else is
        checked here either way, since every page reads it: the state, owner and trees (visibility and
        the listing's filters), the clocks and flags each row shows, and the hold. Only a listing defers:
        a document read alone, for a write or by a job is checked whole, so it is never overwritten.

        `trail_checked`: the caller knows this revision's trail to be readable (numplane.domain.checked_trails),
        so it is taken as stored; everything else is checked as ever.

        `listing_form`: the document is what a listing that does not show the trail reads of it (the
        store may leave the trail and the place out: numplane.store.listing); reading the number's trail
        raises TrailNotRead then, instead of finding none, and so does a write of the number.

        A document in the shape numplane writes is read by `_as_written` (one exact type test a field);
        any other goes on to the field-by-field reading below, which names what is wrong."""
        if type(doc) is dict:
            written = _as_written(doc, deferred, listing_form, trail_checked)
            if written is not None:
                return written
        fields = Fields(doc, number=True)
        public, extra, history = _bulky_parts(
            doc, fields.id, _history, fields, deferred=deferred, listing_form=listing_form,
            trail_checked=trail_checked,
        )

        # pvt_number_state: the key Kazoo's older documents keep the state under.
        state_key = "pvt_state" if doc.get("pvt_state") is not None else "pvt_number_state"
        locality = doc.get("pvt_locality")
        return cls(
            e164=fields.id,
            state=fields.choice(state_key, State, doc.get(state_key) or "available"),
            module=fields.text("pvt_module_name") or "local",
            owner=fields.text("pvt_assigned_to"),
            previous_owner=fields.text("pvt_previously_assigned_to"),
            assigned_tree=fields.texts("pvt_assigned_tree"),
            reserve_history=fields.texts("pvt_reserve_history"),
            ported_in=fields.flag("pvt_ported_in", False),
            used_by=fields.text("pvt_used_by"),
            features=dict(fields.mapping("pvt_features")),
            features_denied=fields.texts("pvt_features_denied"),
            carrier_data=dict(fields.mapping("pvt_carrier_data")),
            public=public,
            created=read_time(doc.get("pvt_created")),
            modified=read_time(doc.get("pvt_modified")),
            state_changed_at=read_time(doc.get("pvt_state_changed_at")),
            history_docs=history,
            rev=fields.text("_rev"),
            port_request=fields.text("pvt_port_request"),
            extra_private=extra,
            stored_locality=locality if isinstance(locality, dict) else None,
            hold=_hold(fields),
        )


_STATES: dict[str, State] = {s.value: s for s in State}


def _as_written(
    doc: dict[str, Any], deferred: bool, listing_form: bool = False, trail_checked: bool = False
) -> Number | None:
    """`from_doc` of a document whose fields all hold the types numplane writes, read with one exact type
    test each; None as soon as one does not (a subclass, a wrong type, Kazoo's state key, a hold), and
    `from_doc` reads it field by field, checking and naming the fault. A listing converts a hundred
    documents a page: the reading through `Fields` (a method call, an isinstance and an error path a
    field) was most of that. tests/domain/test_documents.py checks both readings agree."""
    get = doc.get
    doc_id = get("_id")
    state = get("pvt_state")
    if type(doc_id) is not str or not doc_id or type(state) is not str or state not in _STATES:
        return None
    hold = get("pvt_hold")
    if hold is not None and hold != {}:  # a hold is checked by Hold.from_doc, on the careful path
        return None
    texts: list[str | None] = []
    for key in _TEXT_KEYS:
        value = get(key)
        if type(value) is str:
            texts.append(value or None)
        elif value is None:
            texts.append(None)
        else:
            return None
    lists: list[tuple[str, ...]] = []
    for key in _LIST_KEYS:
        value = get(key)
        if value is None:
            lists.append(())
        elif type(value) is list and all(type(item) is str for item in value):
            lists.append(tuple(value))
        else:
            return None
    features, carrier_data, ported_in = get("pvt_features"), get("pvt_carrier_data"), get("pvt_ported_in")
    if not (
        (features is None or type(features) is dict)
        and (carrier_data is None or type(carrier_data) is dict)
        and (ported_in is None or type(ported_in) is bool)
    ):
        return None
    public, extra, history = _bulky_parts(
        doc, doc_id, _history_of, doc, deferred=deferred, listing_form=listing_form, trail_checked=trail_checked
    )
    module, owner, previous_owner, used_by, rev, port_request = texts
    assigned_tree, reserve_history, features_denied = lists
    locality = get("pvt_locality")
    return _build_number((  # every field of Number, in its order
        doc_id, _STATES[state], module or "local", owner, previous_owner, assigned_tree, reserve_history,
        ported_in or False, used_by, dict(features) if features else {}, features_denied,
        dict(carrier_data) if carrier_data else {}, public, read_time(get("pvt_created")),
        read_time(get("pvt_modified")), read_time(get("pvt_state_changed_at")), history, rev, port_request,
        extra, locality if isinstance(locality, dict) else None, None,
    ))


_build_number = builder(Number)
_FIELD_NAMES = tuple(f.name for f in fields(Number))  # in declaration order, as the builder takes them
_FIELD_INDEX = {name: index for index, name in enumerate(_FIELD_NAMES)}
_all_fields = attrgetter(*_FIELD_NAMES)

# The text fields and the lists of text `_as_written` reads, in the order it unpacks them.
_TEXT_KEYS = ("pvt_module_name", "pvt_assigned_to", "pvt_previously_assigned_to", "pvt_used_by", "_rev",
              "pvt_port_request")
_LIST_KEYS = ("pvt_assigned_tree", "pvt_reserve_history", "pvt_features_denied")


class TrailNotRead(LookupError):
    """A number read from a listing form was asked for its audit trail, which the listing did not read:
    a reader's mistake (it should have asked the store for whole documents), never a client's."""


_Source = TypeVar("_Source")  # what a trail reader reads: the document, or its Fields


def _bulky_parts(
    doc: dict[str, Any], number_id: str, read_history: Callable[[_Source], tuple[dict[str, Any], ...]],
    source: _Source, *, deferred: bool, listing_form: bool, trail_checked: bool,
) -> tuple[Any, Any, Any]:
    """Public fields, other private fields and the audit trail: their values, or Unread (typing.cast would
    cost a call each). `read_history(source)` reads and checks the trail (both readings of from_doc)."""
    public: Any
    extra: Any
    history: Any
    if deferred:
        public, extra = Unread(_public, doc), Unread(_extra_private, doc)
    else:
        public, extra = _public_and_extra(doc)
    if listing_form:
        history = Unread(_trail_not_read, number_id)
    elif deferred:
        history = Unread(read_history, source)
    else:
        history = tuple(doc.get("pvt_history") or ()) if trail_checked else read_history(source)
    return public, extra, history


def _trail_not_read(e164: str) -> tuple[dict[str, Any], ...]:
    raise TrailNotRead(f"{e164} was listed without its audit trail")


def _history_of(doc: dict[str, Any]) -> tuple[dict[str, Any], ...]:
    return _history(Fields(doc, number=True))


def _public_and_extra(doc: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The public fields (over-deep parts cut) and the pvt_ keys numplane does not model, in one pass."""
    public: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in doc.items():
        if key.startswith("pvt_"):
            if key not in _MODELLED:
                extra[key] = value
        elif not key.startswith("_"):
            public[key] = value
    return readable(public), extra


def _public(doc: dict[str, Any]) -> dict[str, Any]:
    return readable({k: v for k, v in doc.items() if not k.startswith(("pvt_", "_"))})


def _extra_private(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k.startswith("pvt_") and k not in _MODELLED}


_KNOWN_STATES = frozenset({*(s.value for s in State), None, ""})  # an entry's from/to: a state or none


def _time_like(value: object) -> bool:
    """ISO text or Kazoo's Gregorian seconds (as a number or its text), by shape: parsing every entry's time
    costs too much for a listing, and this already refuses Kazoo's "undefined" and other words."""
    return (type(value) is str and value[:4].isdigit()) or type(value) is int or type(value) is float


def _history(fields: Fields) -> tuple[dict[str, Any], ...]:
    """pvt_history, checked for shape only: each entry an object with a time and known states. Entries are
    parsed when read (Number.history), since parsing every entry of every number of a page costs more than
    the rest of the page; an older entry whose time is well shaped but no date is found then
    (Transition.from_doc)."""
    entries = fields.doc.get("pvt_history")
    if entries is None:
        return ()
    try:
        # One pass of exact type tests: a listing checks up to history_length entries per number.
        sound = type(entries) is list and all(
            type(e) is dict and _time_like(e.get("at")) and e.get("from") in _KNOWN_STATES
            and e.get("to") in _KNOWN_STATES
            for e in entries
        )
    except TypeError:  # a state that is a list or an object
        sound = False
    if not sound:
        raise UnreadableDocument(
            fields.id, "pvt_history: not a list of entries, each with a time and known states", number=True
        )
    if entries:
        _transition(fields.id, entries[-1])  # the change feed reads the latest entry of every change
    return tuple(entries)


def _transition(e164: str, entry: dict[str, Any]) -> Transition:
    try:
        return Transition.from_doc(entry)
    except (KeyError, TypeError, ValueError) as error:
        raise UnreadableDocument(e164, f"pvt_history: an entry is not readable ({error})", number=True) from None


def _hold(fields: Fields) -> Hold | None:
    record = fields.mapping("pvt_hold")
    if not record:
        return None
    try:
        return Hold.from_doc(record)
    except (KeyError, TypeError, ValueError):
        raise fields.bad("pvt_hold", "an object with account, started_at and expires_at") from None
