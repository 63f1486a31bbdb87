"""Accounts (tenants) and how two of them relate in the tree (SPEC §3.1, §10)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import Enum
from typing import Any

from numplane.domain.clock import format_time, read_time
from numplane.domain.documents import Fields


@dataclass(frozen=True, slots=True)
class Account:
    id: str
    name: str
    tree: tuple[str, ...] = ()  # ancestors, root first (pvt_tree)
    enabled: bool = True
    good_standing: bool = True
    allow_additions: bool = False  # pvt_wnm_allow_additions
    is_admin: bool = False  # pvt_superduper_admin
    created: datetime | None = None
    modified: datetime | None = None
    rev: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # fields we do not model, kept on save

    @property
    def parent_id(self) -> str | None:
        return self.tree[-1] if self.tree else None

    @property
    def lineage(self) -> tuple[str, ...]:
        """Ancestors plus the account itself: what a number owned by it stores as pvt_assigned_tree."""
        return (*self.tree, self.id)

    def controls(self, other_id: str, other_tree: tuple[str, ...]) -> bool:
        """True when `other` is this account or one of its descendants ("in R's tree")."""
        return other_id == self.id or self.id in other_tree

    def with_changes(self, **changes: Any) -> Account:
        return replace(self, **changes)

    def to_doc(self) -> dict[str, Any]:
        doc: dict[str, Any] = dict(self.extra)
        doc.update(
            {
                "_id": self.id,
                "pvt_type": "account",
                "name": self.name,
                "pvt_tree": list(self.tree),
                "enabled": self.enabled,
                "good_standing": self.good_standing,
                "pvt_wnm_allow_additions": self.allow_additions,
                "pvt_superduper_admin": self.is_admin,
            }
        )
        if self.created is not None:
            doc["pvt_created"] = format_time(self.created)
        if self.modified is not None:
            doc["pvt_modified"] = format_time(self.modified)
        if self.rev is not None:
            doc["_rev"] = self.rev
        return doc

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Account:
        """The account a stored document holds; UnreadableDocument (naming the field) when a field has the
        wrong type, so one bad account fails alone instead of with every listing that includes it."""
        known = {
            "_id", "_rev", "pvt_type", "name", "pvt_tree", "enabled", "good_standing",
            "pvt_wnm_allow_additions", "pvt_superduper_admin", "pvt_created", "pvt_modified",
        }
        fields = Fields(doc)
        return cls(
            id=fields.id,
            name=fields.text("name") or "",
            tree=fields.texts("pvt_tree"),
            enabled=fields.flag("enabled", True),
            good_standing=fields.flag("good_standing", True),
            allow_additions=fields.flag("pvt_wnm_allow_additions", False),
            is_admin=fields.flag("pvt_superduper_admin", False),
            # read_time: documents Kazoo wrote carry Gregorian seconds.
            created=read_time(doc.get("pvt_created")),
            modified=read_time(doc.get("pvt_modified")),
            rev=fields.text("_rev"),
            extra={k: v for k, v in doc.items() if k not in known},
        )


class Relation(str, Enum):
    """How the requester R stands to another account X (the owner, usually)."""

    SAME = "same"
    ANCESTOR = "ancestor"  # R is an ancestor of X
    DESCENDANT = "descendant"  # R is a descendant of X
    UNRELATED = "unrelated"


def relation(requester: Account, other_id: str, other_tree: tuple[str, ...]) -> Relation:
    """R's relation to X, where `other_tree` is X's ancestors (root first).

    Numbers carry their owner's lineage in pvt_assigned_tree, so this needs no account load.
    """
    if requester.id == other_id:
        return Relation.SAME
    if requester.id in other_tree:
        return Relation.ANCESTOR
    if other_id in requester.tree:
        return Relation.DESCENDANT
    return Relation.UNRELATED
