"""The one HTTP connection to CouchDB: a pooled keep-alive client that speaks only JSON.

Its own small client (store/couch_wire.py), not httpx or aiohttp: a transition's read and write pair cost
~2.5 ms of client CPU through httpx (its connection pool rescans every connection and probes each socket per
request), ~1.7 ms through aiohttp and ~0.45 ms there, and this client's CPU was most of what a transition
costs numplane on CouchDB beyond the embedded store (issue 18).

Every client failure is translated here, once, into StoreUnavailable (no transport exception leaves the
store package). Reads are idempotent and retried briefly; writes are retried only when the request provably
never left (the connection could not be opened), because a write that reached the server may have been
applied even if its answer was lost.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urlencode, urlsplit

import orjson

from numplane.store.base import StoreUnavailable, UnsupportedStoreUrl, masked
from numplane.store.couch_wire import AnswerTimeout, Lost, NotSent, WirePool

log = logging.getLogger("numplane.store")

READ_DELAYS = (0.1, 0.3)
"""Pauses between the (at most three) tries of an idempotent request: a blip is absorbed within ~0.4 s
plus the failed tries themselves; a server that stays down is reported quickly."""

# Waiting for a pooled connection 10 s at most, opening a socket 3 s, silence while an answer is due 10 s.
POOL_TIMEOUT_SECONDS = 10.0
CONNECT_TIMEOUT_SECONDS = 3.0
READ_TIMEOUT_SECONDS = 10.0
CONNECTIONS = 20
KEEPALIVE_SECONDS = 3.0
"""Idle connections are closed by us before the server closes them (Node's default, pouchdb-server's, is
5 s): a write sent on a connection the server is closing could not be told apart from a lost write."""
MAX_URL = 65_536
"""A longer request line is refused here (as httpx did), not sent for the server to drop: e.g. a view key
of 70 KB."""

# pouchdb-server stores an empty document for any other content type; its gzip stalls streamed feeds.
_HEADERS = {"Accept": "application/json", "Accept-Encoding": "identity"}
_JSON_BODY = {"Content-Type": "application/json"}


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: Any  # the decoded JSON answer


@dataclass(frozen=True, slots=True)
class _Failure:
    message: str
    sent: bool  # False: the request provably never reached the server
    final: bool = False  # True: trying again cannot help (the request itself cannot be sent)


_NOT_JSON = object()


class CouchHttp:
    """JSON requests against one CouchDB server, Basic auth on every request when the URL carries it."""

    def __init__(self, url: str) -> None:
        try:
            parsed = urlsplit(url)
            port = parsed.port or (443 if parsed.scheme == "https" else 80)
        except ValueError:
            parsed, port = urlsplit(""), 0
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise UnsupportedStoreUrl(f"not a CouchDB URL: {masked(url)!r} (expected http://[user:pass@]host:port)")
        headers = dict(_HEADERS)
        if parsed.username:
            pair = f"{unquote(parsed.username)}:{unquote(parsed.password or '')}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        # Paths are appended to the base path as given: the callers percent-encode ids and database names.
        self._base_path = parsed.path.rstrip("/")
        # For messages and logs: never the credentials.
        self.where = f"{parsed.scheme}://{parsed.hostname}:{port}"
        self._pool = WirePool(
            parsed.hostname, port, tls=parsed.scheme == "https", headers=headers, limit=CONNECTIONS,
            keepalive=KEEPALIVE_SECONDS, connect_timeout=CONNECT_TIMEOUT_SECONDS, pool_timeout=POOL_TIMEOUT_SECONDS,
            read_timeout=READ_TIMEOUT_SECONDS,
        )

    async def close(self) -> None:
        self._pool.close()

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        idempotent: bool,
    ) -> Reply:
        """Send one request; statuses below 500 come back as a Reply, anything else raises StoreUnavailable."""
        for attempt in range(len(READ_DELAYS) + 1):
            if attempt:
                await asyncio.sleep(READ_DELAYS[attempt - 1])
            outcome = await self._send(method, path, params, body)
            if isinstance(outcome, Reply) and outcome.status < 500:
                return outcome
            if isinstance(outcome, Reply):
                failure = _Failure(self._server_error(method, path, outcome), sent=True)
            else:
                failure = outcome
            if failure.final or (failure.sent and not idempotent):
                break
            if attempt < len(READ_DELAYS):
                _log_retry(method, path, attempt + 1, failure.message)
        raise StoreUnavailable(failure.message)

    async def download(self, path: str) -> tuple[int, bytes]:
        """GET raw bytes (an attachment): (status, body). Tried like a read; failures are StoreUnavailable."""
        message = ""
        for attempt in range(len(READ_DELAYS) + 1):
            if attempt:
                await asyncio.sleep(READ_DELAYS[attempt - 1])
            outcome = await self._exchange("GET", path, None, None, {"Accept": "*/*"})
            if isinstance(outcome, _Failure):
                message = outcome.message
                if outcome.final:
                    break
            else:
                status, content = outcome
                if status < 500:
                    return status, content
                message = f"CouchDB at {self.where} failed GET {_shown(path)}: {status}"
            if attempt < len(READ_DELAYS):
                _log_retry("GET", path, attempt + 1, message)
        raise StoreUnavailable(message)

    async def _send(self, method: str, path: str, params: Mapping[str, str] | None, body: Any) -> Reply | _Failure:
        content = None if body is None else _encode(body)
        outcome = await self._exchange(method, path, params, content, None if content is None else _JSON_BODY)
        if isinstance(outcome, _Failure):
            return outcome
        status, raw = outcome
        decoded = await _decoded(raw)
        if decoded is _NOT_JSON and status < 500:
            return _Failure(
                f"CouchDB at {self.where} answered {method} {_shown(path)} with status "
                f"{status} and a body that is not JSON",
                sent=True,
            )
        return Reply(status, decoded)

    async def _exchange(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        content: bytes | None,
        headers: Mapping[str, str] | None,
    ) -> tuple[int, bytes] | _Failure:
        """(status, body bytes), or the failure. The failure is returned, not raised from inside `except`,
        so no transport exception even rides along as the __context__ of the StoreUnavailable the caller sees."""
        target = self._base_path + _shown(path)
        if params:
            target += "?" + urlencode(params, quote_via=quote, safe="")
        if len(target) + len(self.where) > MAX_URL:
            return _Failure(
                f"CouchDB request {method} {_shown(path)[:80]} cannot be sent: the URL is"
                f" {len(target) + len(self.where)} characters long; at most {MAX_URL} are sent",
                sent=False, final=True,
            )
        try:
            return await self._pool.exchange(method, target, content, headers)
        except NotSent as exc:
            return _Failure(f"CouchDB at {self.where} is unreachable: {_reason(exc)}", sent=False)
        except AnswerTimeout as exc:
            return _Failure(f"CouchDB at {self.where} did not answer {method} in time: {_reason(exc)}", sent=True)
        except Lost as exc:
            return _Failure(f"CouchDB at {self.where} failed during {method}: {_reason(exc)}", sent=True)

    def _server_error(self, method: str, path: str, reply: Reply) -> str:
        return f"CouchDB at {self.where} failed {method} {_shown(path)}: {reply.status} {describe(reply)}"

    def unexpected(self, method: str, path: str, reply: Reply) -> StoreUnavailable:
        """For a status the caller has no meaning for (401, 403, 400 ...): the store cannot serve."""
        return StoreUnavailable(
            f"CouchDB at {self.where} answered {method} {_shown(path)} with {reply.status} {describe(reply)}"
        )


async def _decoded(content: bytes) -> Any:
    if not content:
        return None
    try:
        return _decode(content)
    except RecursionError:
        # A document nested nearly as deep as Python's recursion limit (stored before public fields were
        # bounded, or by another client) overflows a deep request stack; a worker thread starts a fresh one.
        try:
            return await asyncio.to_thread(_decode, content)
        except (RecursionError, ValueError):
            return _NOT_JSON
    except ValueError:  # json's and orjson's decode errors both are
        return _NOT_JSON


def _encode(body: Any) -> bytes:
    # orjson: a bulk write of a thousand documents encodes several times faster; integers beyond 64
    # bits in public fields are left to json.
    try:
        return orjson.dumps(body)
    except TypeError:
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def _decode(content: bytes) -> Any:
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        return json.loads(content)  # what orjson cannot hold, or the same ValueError


def describe(reply: Reply) -> str:
    if isinstance(reply.body, dict):
        return f"{reply.body.get('error', '')}: {reply.body.get('reason', '')}".strip(": ")
    return ""


def _log_retry(method: str, path: str, retry: int, reason: str) -> None:
    # INFO: a retry that works is routine; one that does not ends in the StoreUnavailable its caller reports.
    call = f"{method} {_shown(path)[:80]}"
    log.info("store retry %d of %s: %s", retry, call, reason, extra={"retry": retry, "call": call, "reason": reason})


def _reason(exc: Exception) -> str:
    # The transport's own texts ("Connect call failed ...", "Connection refused") are clear; a few
    # exceptions carry none, and then the kind of failure is the best we have.
    return str(exc) or type(exc).__name__


def _shown(path: str) -> str:
    return path if path.startswith("/") else "/" + path
