"""Requests asking to upgrade to a protocol mockpit does not speak (h2c: Java's HttpClient on http://) are
answered in HTTP/1.1 with their whole body (RFC 9110 7.8 lets a server ignore Upgrade), over raw sockets."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from _wire import Connection
from mockpit import MockServer

H2C = (
    b"POST /echo HTTP/1.1\r\nHost: mock\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
    b"HTTP2-Settings: AAMAAABkAAQBAAAAAAIAAAAA\r\n"
)


@pytest.fixture
def server() -> Iterator[MockServer]:
    with MockServer() as server:
        server.add_mapping(
            {
                "request": {"method": "POST", "urlPath": "/echo"},
                "response": {"body": "got {{request.body}}", "transformers": ["response-template"]},
            }
        )
        server.add_mapping({"request": {"method": "GET", "urlPath": "/next"}, "response": {"body": "next"}})
        yield server


def test_an_h2c_upgrade_is_answered_in_http_1_1_with_the_whole_body(server: MockServer) -> None:
    with Connection(server) as connection:
        connection.send(H2C + b"Content-Length: 11\r\n\r\nhello")
        time.sleep(0.05)  # the body's rest comes in a later packet
        connection.send(b" world" + b"GET /next HTTP/1.1\r\nHost: mock\r\n\r\n")  # and a request after it
        first = connection.response()
        assert (first.version, first.status, first.body) == ("HTTP/1.1", 200, b"got hello world")
        assert connection.response().body == b"next"  # the connection goes on in HTTP/1.1
    (event, _) = server.requests()
    assert event.request.body == b"hello world"
    assert event.request.headers["Upgrade"] == "h2c"  # journaled as sent


def test_an_h2c_upgrade_without_a_body(server: MockServer) -> None:
    with Connection(server) as connection:
        connection.send(H2C.replace(b"POST /echo", b"GET /next") + b"\r\n" + b"GET /next HTTP/1.1\r\nHost: m\r\n\r\n")
        assert connection.response().body == b"next"
        assert connection.response().body == b"next"


def test_an_upgrade_with_a_chunked_body_is_refused_clearly(server: MockServer) -> None:
    with Connection(server) as connection:
        connection.send(H2C + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
        answer = connection.response()
        assert answer.status == 400
        assert b"a request asking to upgrade (to h2c ...) needs a Content-Length" in answer.body
