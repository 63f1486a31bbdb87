"""Idempotency tokens for carrier effects: each upstream effect happens once per change (issue 15).

A carrier call (acquire, deprovision, disconnect) is made before the write that records it. When that
write does not land - a conflict that makes the bulk engine decide again, a store that fails after the
call - the same change is decided again, and the number must not be ordered, stripped or handed back
upstream a second time. Every call therefore carries a token naming the change, and a carrier answers a
token it has already served as it did the first time, without acting again.

A change is named by where the number stands in its lifecycle when it is decided: its state, its owner
and the move that brought it there (the last history entry that changed its state or owner). What leaves it there
- an edit of public fields, a hold, a replica rewriting it - does not rename the change, so a retry carries
the same token, in the same request after a conflict or in a new request after a failed write. Once a
change lands the number stands somewhere new, and the next change gets a new token. Two requests racing
from the same position for the same effect share a token too, which is right: only one of them can land,
and the number is ordered (or handed back) upstream once.
"""

from __future__ import annotations

import hashlib
from enum import Enum

from numplane.domain.clock import format_time
from numplane.domain.numbers import Number


class Effect(str, Enum):
    ACQUIRE = "acquire"
    DEPROVISION = "deprovision"
    DISCONNECT = "disconnect"


def position(number: Number) -> str:
    """Where `number` stands: state, owner, and the move that brought it there (the whole history entry:
    when, by which action, from where). A number without a history entry that moved it (imported from
    Kazoo, or trimmed away) falls back to its state clock, its creation and last of all its revision."""
    arrived: str | None = None
    for entry in reversed(number.history_docs):
        if entry.get("from") != entry.get("to") or entry.get("owner_before") != entry.get("owner_after"):
            arrived = "|".join(str(entry.get(key)) for key in _MOVE_KEYS)
            break
    if arrived is None:
        moment = number.state_changed_at or number.created
        arrived = format_time(moment) if moment is not None else f"rev {number.rev}"
    return f"{number.state.value}|{number.owner or ''}|{arrived}"


_MOVE_KEYS = ("at", "action", "from", "to", "owner_before", "owner_after", "requester")


def effect_token(number: Number, effect: Effect) -> str:
    """The idempotency token of `effect` on `number` as decided from where it stands now."""
    text = f"{number.e164}|{position(number)}|{effect.value}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]
