"""One document changed in place: read it, decide the new version, write it on the revision read.

Accounts, API keys and the system configuration are single documents edited by whole-request use cases
(the numbers have the bulk engine). When another writer got in between, the write is refused, so the
edit is decided again on the fresh document, a few times, before the caller is told CONFLICT.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from numplane.domain.errors import DomainError, ErrorCode
from numplane.store.base import Db, Doc, Store

ATTEMPTS = 5


async def rewrite(
    store: Store, db: Db, doc_id: str, edit: Callable[[Doc | None], Awaitable[Doc | None]], *, what: str
) -> Doc | None:
    """The written document (with its new `_rev`), or None when `edit` found nothing to write.

    `edit` gets the current document (None if there is none) and returns the new one carrying the `_rev`
    it read; it raises DomainError to refuse. `what` names the document in the CONFLICT message."""
    for _attempt in range(ATTEMPTS):
        current = (await store.get_many(db, [doc_id])).get(doc_id)
        new = await edit(current)
        if new is None:
            return None
        (result,) = await store.put_many(db, [new])
        if result.ok:
            return {**new, "_rev": result.rev}
    raise DomainError(ErrorCode.CONFLICT, f"{what} kept changing under this update; retry.")
