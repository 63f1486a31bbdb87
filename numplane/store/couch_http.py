"""The one HTTP connection to CouchDB: a pooled keep-alive client that speaks only JSON.

Every httpx failure is translated here, once, into StoreUnavailable (no httpx exception leaves the store
package). Reads are idempotent and retried briefly; writes are retried only when the request provably
never left (the connection could not be opened), because a write that reached the server may have been
applied even if its answer was lost.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from numplane.store.base import StoreUnavailable, UnsupportedStoreUrl, masked

log = logging.getLogger("numplane.store")

READ_DELAYS = (0.1, 0.3)
"""Pauses between the (at most three) tries of an idempotent request: a blip is absorbed within ~0.4 s
plus the failed tries themselves; a server that stays down is reported quickly."""

TIMEOUT = httpx.Timeout(10.0, connect=3.0)

# Nothing was sent when these happen, so even a write can be tried again safely.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)

# pouchdb-server stores an empty document for any other content type; its gzip stalls streamed feeds.
_HEADERS = {"Accept": "application/json", "Accept-Encoding": "identity"}


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

    def __init__(self, url: str, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        try:
            parsed = httpx.URL(url)
        except httpx.InvalidURL as exc:  # its message is safe (a port, a host), the URL is shown masked
            raise UnsupportedStoreUrl(f"not a CouchDB URL: {masked(url)!r} ({exc})") from None
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise UnsupportedStoreUrl(f"not a CouchDB URL: {masked(url)!r} (expected http://[user:pass@]host:port)")
        self._auth = httpx.BasicAuth(parsed.username, parsed.password) if parsed.username else None
        self._base = parsed.copy_with(userinfo=b"")
        # For messages and logs: never the credentials.
        self.where = f"{parsed.scheme}://{parsed.host}:{parsed.port or (443 if parsed.scheme == 'https' else 80)}"
        self._transport = transport  # None: real sockets; tests may pass an httpx.MockTransport
        self._client: httpx.AsyncClient | None = None

    def _connection(self) -> httpx.AsyncClient:
        if self._client is None or self._client.is_closed:
            self._client = httpx.AsyncClient(
                base_url=self._base,
                auth=self._auth,
                headers=_HEADERS,
                timeout=TIMEOUT,
                limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
                transport=self._transport,
            )
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

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
            try:
                response = await self._connection().get(path, headers={"Accept": "*/*"})
            except httpx.HTTPError as exc:
                message = f"CouchDB at {self.where} failed during GET: {_reason(exc)}"
            else:
                if response.status_code < 500:
                    return response.status_code, response.content
                message = f"CouchDB at {self.where} failed GET {_shown(path)}: {response.status_code}"
            if attempt < len(READ_DELAYS):
                _log_retry("GET", path, attempt + 1, message)
        raise StoreUnavailable(message)

    async def _send(self, method: str, path: str, params: Mapping[str, str] | None, body: Any) -> Reply | _Failure:
        content = None if body is None else _encode(body)
        headers = {"Content-Type": "application/json"} if content is not None else None
        # The failure is returned, not raised from inside `except`, so no httpx exception even rides along
        # as the __context__ of the StoreUnavailable the caller sees.
        try:
            response = await self._connection().request(method, path, params=params, content=content, headers=headers)
        except _NOT_SENT as exc:
            return _Failure(f"CouchDB at {self.where} is unreachable: {_reason(exc)}", sent=False)
        except httpx.TimeoutException as exc:
            return _Failure(f"CouchDB at {self.where} did not answer {method} in time: {_reason(exc)}", sent=True)
        except httpx.HTTPError as exc:
            return _Failure(f"CouchDB at {self.where} failed during {method}: {_reason(exc)}", sent=True)
        except (httpx.InvalidURL, httpx.CookieConflict, httpx.StreamError) as exc:
            # Not httpx.HTTPError, yet httpx's all the same: e.g. a view key of 70 KB makes the URL too long.
            return _Failure(
                f"CouchDB request {method} {_shown(path)[:80]} cannot be sent: {_reason(exc)}", sent=False, final=True
            )
        decoded = await _decoded(response.content)
        if decoded is _NOT_JSON and response.status_code < 500:
            return _Failure(
                f"CouchDB at {self.where} answered {method} {_shown(path)} with status "
                f"{response.status_code} and a body that is not JSON",
                sent=True,
            )
        return Reply(response.status_code, decoded)

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
    # httpx's own texts ("[Errno 111] Connection refused", "All connection attempts failed") are clear;
    # a few exceptions carry none, and then the kind of failure is the best we have.
    return str(exc) or type(exc).__name__


def _shown(path: str) -> str:
    return path if path.startswith("/") else "/" + path
