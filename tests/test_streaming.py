"""``Response.stream``: a body sent as its chunks arrive (what proxying uses), closed when the client leaves."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Callable

import httpx
import pytest

from _wire import connect, get_request, read_until
from mockpit import MockServer, Request, Response, get, head

SHARED_SERVER = True
TIMEOUT = 5


class Source:
    """An async generator the test thread drives: each chunk waits for the test to release it."""

    def __init__(self, chunks: list[bytes], *, fail_after: int | None = None) -> None:
        self.chunks = chunks
        self.fail_after = fail_after
        self.released = [threading.Event() for _ in chunks]
        self.closed = threading.Event()
        self.sent = 0
        self.generator: AsyncGenerator[bytes, None] | None = None

    def release(self, i: int) -> None:
        self.released[i].set()

    def release_all(self) -> None:
        for event in self.released:
            event.set()

    async def generate(self) -> AsyncGenerator[bytes, None]:
        try:
            for i, chunk in enumerate(self.chunks):
                if self.fail_after is not None and i == self.fail_after:
                    raise RuntimeError("the upstream went away")
                while not self.released[i].is_set():  # noqa: ASYNC110 - a threading.Event, set by the test thread
                    await asyncio.sleep(0.002)
                self.sent += 1
                yield chunk
        finally:
            self.closed.set()

    def handler(self, headers: dict[str, str] | None = None) -> Callable[[Request], Response]:
        def respond(request: Request) -> Response:
            self.generator = self.generate()
            return Response(200, headers=headers or {"Content-Type": "text/plain"}, stream=self.generator)

        return respond


def open_get(server: MockServer, path: str) -> socket.socket:
    """A raw connection to ``server`` with a GET of ``path`` sent on it."""
    sock = connect(server)
    sock.sendall(get_request(path))
    return sock


def test_each_chunk_goes_out_before_the_next_exists(server: MockServer) -> None:
    source = Source([b"one", b"two", b"three"])
    server.when(get("/stream")).respond_with(source.handler())
    with open_get(server, "/stream") as sock:
        head = read_until(sock, b"\r\n\r\n").lower()
        assert b"transfer-encoding: chunked" in head
        assert b"content-length" not in head  # no length was given: chunked, not a made-up one
        source.release(0)
        received = read_until(sock, b"3\r\none\r\n", head)  # there before "two" was even made
        assert source.sent == 1
        source.release(1)
        received = read_until(sock, b"3\r\ntwo\r\n", received)
        source.release(2)
        received = read_until(sock, b"0\r\n\r\n", received)
    assert received.endswith(b"3\r\none\r\n3\r\ntwo\r\n5\r\nthree\r\n0\r\n\r\n")
    assert source.closed.wait(TIMEOUT)
    assert server.count(get("/stream")) == 1
    assert server.errors == []


def test_httpx_reads_the_whole_stream(server: MockServer, client: httpx.Client) -> None:
    source = Source([b"a" * 70_000, b"", b"b" * 10])  # an empty chunk is no end of the body
    source.release_all()
    server.when(get("/stream")).respond_with(source.handler())
    response = client.get("/stream")
    assert (response.status_code, response.headers["content-type"]) == (200, "text/plain")
    assert response.content == b"a" * 70_000 + b"b" * 10


def test_a_given_content_length_is_kept(server: MockServer, client: httpx.Client) -> None:
    source = Source([b"hello ", b"world"])
    source.release_all()
    server.when(get("/stream")).respond_with(source.handler({"Content-Length": "11"}))
    response = client.get("/stream")
    assert (response.headers["content-length"], response.text) == ("11", "hello world")
    assert "transfer-encoding" not in response.headers


def test_a_client_that_leaves_while_the_source_waits_closes_it(server: MockServer, client: httpx.Client) -> None:
    source = Source([b"first", b"never sent"])
    server.when(get("/stream")).respond_with(source.handler())
    try:
        with open_get(server, "/stream") as sock:
            source.release(0)
            read_until(sock, b"5\r\nfirst\r\n")
        # the generator waits for chunk 2 that never comes: the server must notice the client went
        assert source.closed.wait(TIMEOUT)
        assert source.sent == 1
    finally:
        source.release_all()
    server.when(get("/fine")).respond(200, "fine")
    assert client.get("/fine").text == "fine"
    assert server.errors == []


def test_a_client_that_leaves_mid_stream_stops_an_endless_source(server: MockServer) -> None:
    produced = []
    closed = threading.Event()

    async def endless() -> AsyncIterator[bytes]:
        try:
            while True:
                produced.append(1)
                yield b"x" * 1000
                await asyncio.sleep(0.001)
        finally:
            closed.set()

    server.when(get("/endless")).respond_with(lambda request: Response(200, stream=endless()))
    with open_get(server, "/endless") as sock:
        read_until(sock, b"x" * 1000)
    assert closed.wait(TIMEOUT)
    count = len(produced)
    threading.Event().wait(0.05)
    assert len(produced) == count  # nothing more is pulled from the source
    assert server.errors == []


def test_a_source_that_fails_midway_truncates_the_body_and_is_recorded(server: MockServer) -> None:
    source = Source([b"partial", b"never"], fail_after=1)
    source.release_all()
    server.when(get("/stream")).respond_with(source.handler())
    with httpx.Client(base_url=server.url, timeout=TIMEOUT) as client:
        with pytest.raises(httpx.RemoteProtocolError, match="incomplete chunked read"):
            client.get("/stream")
        server.when(get("/fine")).respond(200, "fine")
        assert client.get("/fine").text == "fine"
    [error] = server.errors
    assert "streaming the response failed: RuntimeError: the upstream went away" in str(error)
    assert source.closed.is_set()
    server.reset()


def test_head_sends_the_headers_and_closes_the_source_unread(server: MockServer, client: httpx.Client) -> None:
    source = Source([b"body"])
    server.when(head("/stream")).respond_with(source.handler({"Content-Type": "text/plain", "Content-Length": "4"}))
    response = client.head("/stream")
    assert (response.status_code, response.headers["content-length"], response.content) == (200, "4", b"")
    assert source.generator is not None
    assert source.generator.ag_frame is None  # closed before it ever ran
    assert source.sent == 0
