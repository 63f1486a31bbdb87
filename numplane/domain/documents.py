"""Reading stored documents as domain values, and the one error for a document that cannot be read.

Documents reach the store from other systems (Kazoo, scripts, an older numplane) as well as from us, so a
field may hold the wrong type, an unknown state or garbage. `Number.from_doc` and `Account.from_doc` read
every field through `Fields`, which either returns a value of the modelled type or raises
`UnreadableDocument` naming the document and the field. Readers of many documents skip such a document
(numplane.store.readable); a read of that one document answers with the error's code.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any, TypeVar

from numplane.domain.errors import DomainError, ErrorCode
from numplane.domain.text import excerpt

E = TypeVar("E", bound=Enum)


class UnreadableDocument(DomainError):
    """A stored document that is not a valid number or account; `doc_id` names it, `problem` says why."""

    def __init__(self, doc_id: str, problem: str, *, number: bool = False) -> None:
        super().__init__(
            ErrorCode.UNREADABLE_DOCUMENT,
            f"The stored document {excerpt(doc_id)} cannot be read ({problem}); an admin must repair or delete it.",
            number=doc_id if number else None,
        )
        self.doc_id = doc_id
        self.problem = problem


def names_account(doc: Mapping[str, Any], account_id: str) -> bool:
    """True when a stored document's raw owner fields name the account (as owner, or in the owner's or the
    account's tree), read without trusting their types: whether an unreadable document may be reported to
    that account as unreadable, rather than as missing, without telling anyone else it exists."""
    if doc.get("pvt_assigned_to") == account_id:
        return True
    return any(isinstance(tree, list) and account_id in tree for tree in (doc.get("pvt_assigned_tree"),
                                                                           doc.get("pvt_tree")))


class Fields:
    """Typed reads of one stored document's fields; a field of the wrong type is UnreadableDocument."""

    def __init__(self, doc: Mapping[str, Any], *, number: bool = False) -> None:
        doc_id = doc.get("_id") if isinstance(doc, Mapping) else None
        self.number = number
        if not isinstance(doc_id, str) or not doc_id:
            raise UnreadableDocument(repr(doc_id)[:40], "_id: missing or not text", number=number)
        self.doc = doc
        self.id = doc_id

    def bad(self, key: str, expected: str) -> UnreadableDocument:
        found = type(self.doc.get(key)).__name__
        return UnreadableDocument(self.id, f"{key}: expected {expected}, found {found}", number=self.number)

    def text(self, key: str) -> str | None:
        """Text, or None when absent, null or empty."""
        value = self.doc.get(key)
        if type(value) is str:  # the usual case first: a listing reads six of these per number
            return value or None
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise self.bad(key, "text")
        return value

    def texts(self, key: str) -> tuple[str, ...]:
        """A list of text (absent or null: empty)."""
        value = self.doc.get(key)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise self.bad(key, "a list of text")
        return tuple(value)

    def mapping(self, key: str) -> dict[str, Any]:
        """An object (absent or null: empty)."""
        value = self.doc.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.bad(key, "an object")
        return value

    def records(self, key: str) -> tuple[dict[str, Any], ...]:
        """A list of objects (absent or null: empty)."""
        value = self.doc.get(key)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise self.bad(key, "a list of objects")
        return tuple(value)

    def flag(self, key: str, default: bool) -> bool:
        value = self.doc.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.bad(key, "true or false")
        return value

    def choice(self, key: str, kind: type[E], value: object) -> E:
        """`value` (read from `key`) as a member of `kind`."""
        if isinstance(value, str):
            try:
                return kind(value)
            except ValueError:
                pass
        raise UnreadableDocument(
            self.id, f"{key}: {excerpt(str(value))} is not a known {kind.__name__.lower()}", number=self.number
        )
