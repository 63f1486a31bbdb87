"""Keep-alive HTTP/1.1 connections to one CouchDB server: asyncio transports and httptools' parser.

A transition's read and write cost ~1.7 ms of client CPU through aiohttp on the 2-core machines (session,
timer and stream objects, header multidicts, URL objects for every request) and ~0.45 ms here, where a
request is one bytes write and a response one parser feed: that client was most of what CouchDB cost
numplane beyond the embedded store (issue 18). CouchDB speaks plain HTTP/1.1 with JSON bodies, so the
subset needed is small: no redirects, cookies, proxies, compression or streaming uploads.

Failures are exceptions of two kinds, because a write may be repeated only if it provably never left:
NotSent (no connection could be opened, or none became free in time) and Lost (sent, then the connection
failed or the answer did not come in time).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Mapping
from typing import cast

import httptools


class NotSent(Exception):
    """The request never reached the server: trying again is safe even for a write."""


class Lost(Exception):
    """The request was sent (it may have been applied) but no complete answer came."""


class AnswerTimeout(Lost):
    """Nothing arrived from the server for `read_timeout` seconds while an answer was due."""


class _Connection(asyncio.Protocol):
    """One socket; at most one request at a time (no pipelining)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._parser = httptools.HttpResponseParser(self)
        self._transport: asyncio.Transport | None = None
        self._body: list[bytes] = []
        self._answer: asyncio.Future[tuple[int, bytes]] | None = None
        self.closed = False
        self.reusable = True
        self.last_activity = loop.time()  # when bytes last arrived, or the connection went back to the pool

    # -- asyncio.Protocol --------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.last_activity = self._loop.time()
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as error:
            self._fail(Lost(f"malformed HTTP answer ({error})"))
            self.close()

    def eof_received(self) -> bool | None:
        self.reusable = False
        return None  # close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.reusable = False
        self._fail(Lost(str(exc) if exc else "the server closed the connection"))

    # -- httptools callbacks -----------------------------------------------------------------------

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        status = self._parser.get_status_code()
        if not self._parser.should_keep_alive():
            self.reusable = False
        body, self._body = b"".join(self._body), []
        if self._answer is not None and not self._answer.done():
            self._answer.set_result((status, body))

    # -- use ---------------------------------------------------------------------------------------

    def send(self, data: bytes) -> asyncio.Future[tuple[int, bytes]]:
        assert self._transport is not None
        self._answer = self._loop.create_future()
        self._transport.write(data)
        return self._answer

    def close(self) -> None:
        self.reusable = False
        if self._transport is not None:
            self._transport.close()

    def _fail(self, error: Exception) -> None:
        if self._answer is not None and not self._answer.done():
            self._answer.set_exception(error)


class WirePool:
    """At most `limit` connections to host:port, idle ones reused for `keepalive` seconds."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        tls: bool,
        headers: Mapping[str, str],
        limit: int,
        keepalive: float,
        connect_timeout: float,
        pool_timeout: float,
        read_timeout: float,
    ) -> None:
        self._host = host
        self._port = port
        self._tls = ssl.create_default_context() if tls else None
        shown_host = f"[{host}]" if ":" in host else host
        self._headers = {"Host": f"{shown_host}:{port}", **headers}
        self._common = _lines(self._headers)  # sent with every request: joined once
        self._limit = limit
        self._keepalive = keepalive
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._read_timeout = read_timeout
        self._idle: list[_Connection] = []
        self._slots: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None  # connections serve only the loop they were made in

    async def exchange(
        self, method: str, target: str, body: bytes | None, headers: Mapping[str, str] | None = None
    ) -> tuple[int, bytes]:
        """Send one request (`target`: the encoded path and query); the answer's status and body."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._forget_idle()
            self._loop, self._slots = loop, asyncio.Semaphore(self._limit)
        slots = self._slots
        assert slots is not None
        if slots.locked():
            try:
                async with asyncio.timeout(self._pool_timeout):
                    await slots.acquire()
            except TimeoutError:
                raise NotSent(f"no connection became free within {self._pool_timeout:g} s") from None
        else:
            await slots.acquire()
        try:
            connection = await self._connection(loop)
            return await self._send(loop, connection, self._request(method, target, body, headers))
        finally:
            slots.release()

    def close(self) -> None:
        self._forget_idle()

    def _request(self, method: str, target: str, body: bytes | None, headers: Mapping[str, str] | None) -> bytes:
        lines = _lines({**self._headers, **headers}) if headers else self._common  # a request's own win
        if body is None and method in ("GET", "DELETE"):
            return f"{method} {target} HTTP/1.1\r\n{lines}\r\n".encode("latin-1")
        length = 0 if body is None else len(body)
        head = f"{method} {target} HTTP/1.1\r\n{lines}Content-Length: {length}\r\n\r\n"
        return head.encode("latin-1") + (body or b"")

    async def _connection(self, loop: asyncio.AbstractEventLoop) -> _Connection:
        now = loop.time()
        while self._idle:
            connection = self._idle.pop()
            # Closed by us before the server's own idle timeout (5 s on Node): a write sent on a connection
            # the server is closing could not be told apart from a lost write.
            if connection.reusable and not connection.closed and now - connection.last_activity < self._keepalive:
                return connection
            connection.close()
        try:
            async with asyncio.timeout(self._connect_timeout):
                transport, connection = await loop.create_connection(
                    lambda: _Connection(loop), self._host, self._port, ssl=self._tls,
                    server_hostname=self._host if self._tls else None,
                )
        except TimeoutError:
            raise NotSent(f"connecting timed out after {self._connect_timeout:g} s") from None
        except OSError as error:  # refused, unreachable, name not resolved, TLS handshake refused
            raise NotSent(str(error) or type(error).__name__) from None
        # uvloop may return before it has called connection_made.
        connection.connection_made(transport)
        return connection

    async def _send(
        self, loop: asyncio.AbstractEventLoop, connection: _Connection, request: bytes
    ) -> tuple[int, bytes]:
        connection.last_activity = loop.time()
        answer = connection.send(request)
        # The timeout is of silence, not of the whole answer: a long answer that keeps arriving is waited
        # for. One timer per request, looked at when it fires rather than moved at every chunk.
        timer: list[asyncio.TimerHandle] = []

        def look() -> None:
            if answer.done():
                return
            silence = self._read_timeout - (loop.time() - connection.last_activity)
            if silence <= 0:
                answer.set_exception(AnswerTimeout(f"no answer for {self._read_timeout:g} s"))
            else:
                timer[:] = [loop.call_later(silence, look)]

        timer.append(loop.call_later(self._read_timeout, look))
        answered = False
        try:
            result = await answer
            answered = True
            return result
        finally:
            timer[0].cancel()
            if answered and connection.reusable:
                connection.last_activity = loop.time()
                self._idle.append(connection)
            else:
                # Cancelled, failed or timed out mid-answer: the rest of that answer must not be read as
                # the next request's.
                connection.close()

    def _forget_idle(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            with contextlib.suppress(RuntimeError):  # its event loop is already closed
                connection.close()


def _lines(headers: Mapping[str, str]) -> str:
    return "".join(f"{name}: {value}\r\n" for name, value in headers.items())
