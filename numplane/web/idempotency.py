"""The Idempotency-Key shell around one POST /graphql mutation (rules: numplane.domain.idempotency).

Only requests that send the header come here, so a request without it pays one header lookup. The
record lives in the store's system database, so the guarantee holds across replicas and restarts: the
claim is a create-only write (of two processes, exactly one creates it), and a process that finds a
pending record polls it until the response is stored or the claim is stale.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timedelta

from starlette.responses import Response

from numplane.domain import idempotency
from numplane.domain.idempotency import IdempotencyRecord, Next, StoredResponse
from numplane.store.base import Db, Store
from numplane.web.errors import error_response

POLL_SECONDS = 0.02
REPLAYED_HEADER = "Idempotent-Replayed"


async def respond(
    store: Store,
    clock: Callable[[], datetime],
    *,
    key_id: str,
    key: str,
    body: bytes,
    stale_after: timedelta,
    execute: Callable[[], Awaitable[Response]],
) -> Response:
    """The response for this request: the stored one, a 422, or the one `execute` makes (then stored)."""
    record_id = idempotency.record_id(key_id, key)
    mine = idempotency.fingerprint(body)
    replacing: str | None = None  # the revision of an expired or stale record this request replaces
    while True:
        claim = idempotency.claim(record_id, mine, clock(), rev=replacing)
        [written] = await store.put_many(Db.SYSTEM, [claim.to_doc()])
        if written.ok:
            assert written.rev is not None
            return await _run(store, replace(claim, rev=written.rev), execute)
        # Another request holds (or held) the key: its answer, or the revision to take over.
        found = await _wait(store, clock, record_id, mine, stale_after)
        if isinstance(found, Response):
            return found
        replacing = found


async def _wait(
    store: Store, clock: Callable[[], datetime], record_id: str, mine: str, stale_after: timedelta
) -> str | Response | None:
    """Poll the record: the stored response, a 422, or what to claim again (None: it is gone; else the
    revision of the expired or stale record to replace)."""
    while True:
        found = (await store.get_many(Db.SYSTEM, [record_id])).get(record_id)
        if found is None:
            return None
        record = IdempotencyRecord.from_doc(found)
        step = idempotency.next_step(record, mine, clock(), stale_after)
        if step is Next.REPLAY:
            assert record.response is not None
            return _replay(record.response)
        if step is Next.REUSED:
            error = idempotency.reused()
            return error_response(422, error.code, error.message)
        if step is Next.TAKE_OVER:
            return record.rev
        await asyncio.sleep(POLL_SECONDS)


async def _run(store: Store, claim: IdempotencyRecord, execute: Callable[[], Awaitable[Response]]) -> Response:
    assert claim.rev is not None
    try:
        response = await execute()
    except BaseException:
        await _drop(store, claim)  # nothing answered: a retry must run
        raise
    if not idempotency.keeps(response.status_code):
        await _drop(store, claim)
        return response
    stored = StoredResponse(
        response.status_code, bytes(response.body).decode("utf-8"), response.headers.get("content-type", "")
    )
    done = idempotency.completed(claim, stored, claim.rev)
    await store.put_many(Db.SYSTEM, [done.to_doc()])
    # If that write failed (the claim went stale and another process took it over), this response is
    # still the true answer to this request; the other process's run stores its own.
    return response


async def _drop(store: Store, claim: IdempotencyRecord) -> None:
    doc = claim.to_doc()
    doc["_deleted"] = True
    await store.put_many(Db.SYSTEM, [doc])


def _replay(stored: StoredResponse) -> Response:
    response = Response(stored.body.encode("utf-8"), status_code=stored.status)
    response.headers["content-type"] = stored.content_type or "application/json"
    response.headers[REPLAYED_HEADER] = "true"
    return response
