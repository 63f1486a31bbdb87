"""The CouchDB store's own HTTP/1.1 client, against a scripted server on a loopback port: what aiohttp
did for the store and must not be lost (reused connections, chunked answers, silence timeouts, a request
cut short never leaving its answer to the next one)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from numplane.store.couch_wire import AnswerTimeout, Lost, NotSent, WirePool
from tests.support.couch import free_port

Answer = Callable[[bytes, asyncio.StreamWriter], Awaitable[None]]
"""Given a request's head, write (or withhold) its answer."""


class Scripted:
    """A server that answers every request on a connection with `answer`, counting connections."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.connections = 0
        self.heads: list[bytes] = []

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                body = await reader.readexactly(length)
                self.heads.append(head + body)
                await self.answer(head, writer)
        writer.close()


@contextlib.asynccontextmanager
async def scripted(
    answer: Answer, *, read_timeout: float = 5.0, pool_timeout: float = 1.0
) -> AsyncIterator[tuple[Scripted, WirePool]]:
    server = Scripted(answer)
    port = free_port()
    listening = await asyncio.start_server(server.serve, "127.0.0.1", port)
    pool = WirePool("127.0.0.1", port, tls=False, headers={"Accept": "application/json"}, limit=4, keepalive=3.0,
                    connect_timeout=1.0, pool_timeout=pool_timeout, read_timeout=read_timeout)
    try:
        yield server, pool
    finally:
        pool.close()
        listening.close()


def plain(body: bytes, *extra: bytes) -> Answer:
    async def answer(_head: bytes, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%b\r\n%b" % (len(body), b"".join(extra), body))
    return answer


async def test_requests_one_after_another_share_one_connection() -> None:
    async with scripted(plain(b'{"ok":true}')) as (server, pool):
        for _ in range(3):
            assert await pool.exchange("GET", "/db", None) == (200, b'{"ok":true}')

    assert server.connections == 1


async def test_a_request_carries_the_common_headers_its_own_and_its_body() -> None:
    async with scripted(plain(b"{}")) as (server, pool):
        await pool.exchange("POST", "/db/_bulk_docs?x=1", b'{"docs":[]}', {"Content-Type": "application/json"})

    sent = server.heads[0]
    assert sent.startswith(b"POST /db/_bulk_docs?x=1 HTTP/1.1\r\n")
    assert b"Accept: application/json\r\n" in sent and b"Content-Type: application/json\r\n" in sent
    assert sent.endswith(b"Content-Length: 11\r\n\r\n{\"docs\":[]}")


async def test_a_chunked_answer_arrives_whole() -> None:
    async def chunked(_head: bytes, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        for part in (b'{"results":[', b'{"seq":1}', b"]}"):
            writer.write(b"%x\r\n%b\r\n" % (len(part), part))
            await writer.drain()
            await asyncio.sleep(0.01)
        writer.write(b"0\r\n\r\n")

    async with scripted(chunked) as (_server, pool):
        assert await pool.exchange("GET", "/db/_changes", None) == (200, b'{"results":[{"seq":1}]}')
        assert await pool.exchange("GET", "/db/_changes", None) == (200, b'{"results":[{"seq":1}]}')


async def test_a_server_that_closes_after_answering_gets_a_new_connection_next_time() -> None:
    async with scripted(plain(b"{}", b"Connection: close\r\n")) as (server, pool):
        await pool.exchange("GET", "/db", None)
        await asyncio.sleep(0.05)
        assert await pool.exchange("GET", "/db", None) == (200, b"{}")

    assert server.connections == 2


async def test_a_silent_server_times_out_and_its_connection_is_not_reused() -> None:
    calls = 0

    async def silent_once(head: bytes, writer: asyncio.StreamWriter) -> None:
        nonlocal calls
        calls += 1
        if calls > 1:
            await plain(b'{"late":false}')(head, writer)

    async with scripted(silent_once, read_timeout=0.2) as (server, pool):
        with pytest.raises(AnswerTimeout):
            await pool.exchange("GET", "/db", None)
        assert await pool.exchange("GET", "/db", None) == (200, b'{"late":false}')

    assert server.connections == 2


async def test_a_slow_answer_that_keeps_arriving_is_not_cut_by_the_silence_timeout() -> None:
    async def trickle(_head: bytes, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n")
        for byte in b"abcdef":
            await asyncio.sleep(0.08)  # 0.48 s in all, never 0.2 s of silence
            writer.write(bytes([byte]))

    async with scripted(trickle, read_timeout=0.2) as (_server, pool):
        assert await pool.exchange("GET", "/db", None) == (200, b"abcdef")


async def test_a_request_cut_short_leaves_no_answer_for_the_next_request() -> None:
    count = 0

    async def numbered(head: bytes, writer: asyncio.StreamWriter) -> None:
        nonlocal count
        count += 1
        if count == 1:
            await asyncio.sleep(0.3)  # answered after its caller gave up
        await plain(b'{"n":%d}' % count)(head, writer)

    async with scripted(numbered) as (_server, pool):
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.1):
                await pool.exchange("GET", "/first", None)
        assert await pool.exchange("GET", "/second", None) == (200, b'{"n":2}')


async def test_a_connection_dropped_mid_answer_is_lost_not_unsent() -> None:
    async def hang_up(_head: bytes, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{")
        await writer.drain()
        writer.transport.abort()

    async with scripted(hang_up) as (_server, pool):
        with pytest.raises(Lost):
            await pool.exchange("POST", "/db/_bulk_docs", b"{}")


async def test_nothing_listening_is_not_sent() -> None:
    pool = WirePool("127.0.0.1", free_port(), tls=False, headers={}, limit=1, keepalive=3.0, connect_timeout=1.0,
                    pool_timeout=1.0, read_timeout=1.0)
    with pytest.raises(NotSent):
        await pool.exchange("POST", "/db/_bulk_docs", b"{}")


async def test_a_request_waiting_for_a_free_connection_too_long_is_not_sent() -> None:
    async def slow(head: bytes, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(0.5)
        await plain(b"{}")(head, writer)

    async with scripted(slow, pool_timeout=0.1) as (_server, pool):
        waiting = [asyncio.create_task(pool.exchange("GET", f"/{i}", None)) for i in range(5)]  # the limit is 4
        outcomes = await asyncio.gather(*waiting, return_exceptions=True)

    assert sum(isinstance(o, NotSent) for o in outcomes) == 1
    assert sum(o == (200, b"{}") for o in outcomes) == 4
