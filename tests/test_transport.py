"""The wire: malformed and unusual HTTP over raw sockets, and that the server survives all of it."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator

import httpx
import pytest

from _wire import Connection, port_of
from mockpit import MockServer, Response, get, post, request

SHARED_SERVER = True
TIMEOUT = 5


@pytest.fixture
def port(server: MockServer) -> int:
    server.when(get("/ok")).respond(body="still serving")
    return port_of(server)


@pytest.fixture
def connect(port: int) -> Iterator[type[Connection]]:
    opened: list[Connection] = []

    class Tracked(Connection):
        def __init__(self, port_: int = port) -> None:
            super().__init__(port_)
            opened.append(self)

    yield Tracked
    for connection in opened:
        connection.close()


def assert_still_serving(http_client: httpx.Client, port: int) -> None:
    answer = http_client.get(f"http://127.0.0.1:{port}/ok", timeout=TIMEOUT)
    assert (answer.status_code, answer.text) == (200, "still serving")


# --- malformed requests ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"GARBAGE\r\n\r\n", id="no-method-or-version"),
        pytest.param(b"GET /ok HTTP/9.9 extra\r\n\r\n", id="bad-version"),
        pytest.param(b"GET /ok HTTP/1.1\r\nno colon here\r\n\r\n", id="bad-header-line"),
        pytest.param(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64, id="tls-hello"),
    ],
)
def test_a_malformed_request_gets_a_400_and_the_server_goes_on(
    raw: bytes, port: int, connect: type[Connection], server: MockServer, http_client: httpx.Client
) -> None:
    connection = connect()
    connection.send(raw)
    answer = connection.response()
    assert answer.status == 400
    assert connection.is_closed_by_server()
    assert_still_serving(http_client, port)
    assert [event.request.path for event in server.requests()] == ["/ok"]


@pytest.mark.parametrize("length", [b"abc", b"-1", b"1e3", b"10, 20"])
def test_a_bad_content_length_gets_a_400(
    length: bytes, port: int, connect: type[Connection], server: MockServer, http_client: httpx.Client
) -> None:
    server.when(post("/upload")).respond(body="accepted")
    connection = connect()
    connection.send(b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: " + length + b"\r\n\r\nabc")
    assert connection.response().status == 400
    assert connection.is_closed_by_server()
    assert_still_serving(http_client, port)
    assert server.count(post("/upload")) == 0


def test_a_body_over_max_body_size_gets_a_413_with_a_message(http_client: httpx.Client) -> None:
    with MockServer(max_body_size=1000) as server:
        server.when(post("/upload")).respond_with(lambda req: f"got {len(req.body)} bytes")
        port = port_of(server)
        at_limit = http_client.post(server.url_for("/upload"), content=b"a" * 1000, timeout=TIMEOUT)
        assert (at_limit.status_code, at_limit.text) == (200, "got 1000 bytes")

        connection = Connection(port)
        try:
            connection.send(b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1001\r\n\r\n" + b"a" * 1001)
            answer = connection.response()
            assert answer.status == 413
            assert b"1000 bytes" in answer.body
            assert b"max_body_size" in answer.body
            assert connection.is_closed_by_server()
        finally:
            connection.close()

        chunked = Connection(port)
        try:
            chunk = b"b" * 600
            chunked.send(b"POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
            chunked.send(b"%x\r\n%s\r\n" % (len(chunk), chunk) * 2 + b"0\r\n\r\n")
            assert chunked.response().status == 413
        finally:
            chunked.close()
        assert server.count(post("/upload")) == 1
        assert http_client.post(server.url_for("/upload"), content=b"small", timeout=TIMEOUT).text == "got 5 bytes"


def test_a_client_that_disconnects_mid_body_leaves_no_trace(
    port: int, connect: type[Connection], server: MockServer, http_client: httpx.Client
) -> None:
    server.when(post("/upload")).respond(body="accepted")
    connection = connect()
    connection.send(b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" + b"x" * 10)
    connection.close()
    assert_still_serving(http_client, port)
    assert [event.request.path for event in server.requests()] == ["/ok"]
    assert server.errors == []


@pytest.mark.parametrize("count", [1, 2, 5])
def test_a_client_that_half_closes_after_its_requests_gets_every_answer(
    count: int, connect: type[Connection], server: MockServer, caplog: pytest.LogCaptureFixture
) -> None:
    # as `printf ... | nc -N` does; uvicorn closed at the EOF, losing the answers (and under uvloop an
    # answer written in that moment raised, "Exception in ASGI application")
    server.when(post("/upload")).respond_with(lambda req: f"got {len(req.body)} bytes")
    connection = connect()
    connection.send(b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc" * count)
    connection.sock.shutdown(socket.SHUT_WR)
    answers = [connection.response() for _ in range(count)]
    assert [(a.status, a.body) for a in answers] == [(200, b"got 3 bytes")] * count
    assert connection.is_closed_by_server()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(b"GARBAGE\r\n\r\n", id="bad-request-line"),
        pytest.param(b"POST /ok HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", id="bad-chunk"),
    ],
)
@pytest.mark.parametrize("half_close", [False, True])
def test_a_malformed_request_pipelined_behind_valid_ones_gets_its_400_after_their_answers(
    bad: bytes, half_close: bool, connect: type[Connection], caplog: pytest.LogCaptureFixture
) -> None:
    # uvicorn sent the 400 at once, so the client read it as the answer to its first (valid) request
    connection = connect()
    connection.send(b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n" * 3 + bad)
    if half_close:
        connection.sock.shutdown(socket.SHUT_WR)
    answers = [connection.response() for _ in range(4)]
    assert [(a.status, a.body) for a in answers[:3]] == [(200, b"still serving")] * 3
    assert answers[3].status == 400
    assert connection.is_closed_by_server()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_client_that_half_closes_mid_body_is_closed_without_an_answer(
    port: int, connect: type[Connection], server: MockServer, http_client: httpx.Client
) -> None:
    server.when(post("/upload")).respond(body="accepted")
    connection = connect()
    connection.send(b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" + b"x" * 10)
    connection.sock.shutdown(socket.SHUT_WR)
    assert connection.is_closed_by_server()
    assert_still_serving(http_client, port)
    assert server.count(post("/upload")) == 0


# --- methods and versions -------------------------------------------------------------------------


def test_head_gets_the_headers_and_no_body(port: int, connect: type[Connection], server: MockServer) -> None:
    server.when(request("HEAD", "/doc")).respond(body="twelve bytes", headers={"X-Kind": "doc"})
    connection = connect()
    connection.send(b"HEAD /doc HTTP/1.1\r\nHost: x\r\n\r\nGET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
    head = connection.response(head=True)
    assert head.status == 200
    assert head.header("content-length") == "12"
    assert head.header("x-kind") == "doc"
    # no body bytes: the next thing on the connection is the second response's status line
    after = connection.response()
    assert (after.status, after.body) == (200, b"still serving")


def test_an_unknown_method_is_matched_by_an_any_stub(connect: type[Connection], server: MockServer) -> None:
    server.when(request("ANY", "/dav")).respond_with(lambda req: f"method was {req.method}")
    connection = connect()
    connection.send(b"PROPFIND /dav HTTP/1.1\r\nHost: x\r\nDepth: 1\r\nContent-Length: 0\r\n\r\n")
    answer = connection.response()
    assert (answer.status, answer.body) == (200, b"method was PROPFIND")
    assert [event.request.method for event in server.requests()] == ["PROPFIND"]


def test_an_http_1_0_request_is_answered_and_the_connection_closed(connect: type[Connection]) -> None:
    connection = connect()
    connection.send(b"GET /ok HTTP/1.0\r\n\r\n")
    answer = connection.response()
    assert (answer.status, answer.body) == (200, b"still serving")
    assert connection.is_closed_by_server()


def test_pipelined_requests_get_their_responses_in_order(connect: type[Connection], server: MockServer) -> None:
    server.when(get("/n/{n}")).respond_with(lambda req: f"answer {req.path_params['n']}")
    connection = connect()
    connection.send(b"".join(b"GET /n/%d HTTP/1.1\r\nHost: x\r\n\r\n" % n for n in range(5)))
    bodies = [connection.response().body for _ in range(5)]
    assert bodies == [b"answer %d" % n for n in range(5)]
    # still open: it answers one more (rather than waiting to see that nothing closes it)
    connection.send(b"GET /n/5 HTTP/1.1\r\nHost: x\r\n\r\n")
    assert connection.response().body == b"answer 5"


def test_the_status_message_is_the_reason_phrase(connect: type[Connection], server: MockServer) -> None:
    server.when(get("/teapot")).respond(418, "short and stout", reason="I Am A Little Teapot")
    server.add_mapping({"request": {"urlPath": "/gone"}, "response": {"status": 410, "statusMessage": "Long Gone"}})
    connection = connect()
    connection.send(b"GET /teapot HTTP/1.1\r\nHost: x\r\n\r\n")
    teapot = connection.response()
    assert (teapot.status, teapot.reason, teapot.body) == (418, "I Am A Little Teapot", b"short and stout")
    # the phrase belongs to that one response, not to the next one on the connection
    connection.send(b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\nGET /gone HTTP/1.1\r\nHost: x\r\n\r\n")
    ok = connection.response()
    assert (ok.status, ok.reason) == (200, "OK")
    gone = connection.response()
    assert (gone.status, gone.reason) == (410, "Long Gone")


def test_a_non_ascii_utf8_json_body_round_trips(connect: type[Connection], server: MockServer) -> None:
    server.when(post("/echo")).respond_with(lambda req: Response(200, json=req.json()))
    sent = {"name": "Zoë Ångström", "city": "東京", "emoji": "🦆", "quote": "«ok»"}
    body = json.dumps(sent, ensure_ascii=False).encode("utf-8")
    connection = connect()
    connection.send(
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json; charset=utf-8\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
    )
    answer = connection.response()
    assert answer.status == 200
    assert answer.header("content-type") == "application/json"
    assert json.loads(answer.body.decode("utf-8")) == sent
    assert "東京".encode() in answer.body  # sent as UTF-8, not as \\u escapes
    assert server.requests()[0].request.json() == sent


def test_percent_encoded_paths(connect: type[Connection], server: MockServer) -> None:
    server.when(get("/files/{name}")).respond_with(lambda req: {"name": req.path_params["name"], "path": req.path})
    server.when(get("/exact/a%20b")).respond(body="encoded stub")
    connection = connect()
    connection.send(b"GET /files/caf%C3%A9%20menu%2Fv2 HTTP/1.1\r\nHost: x\r\n\r\n")
    answer = json.loads(connection.response().body)
    assert answer == {"name": "café menu/v2", "path": "/files/caf%C3%A9%20menu%2Fv2"}
    connection.send(b"GET /exact/a%20b HTTP/1.1\r\nHost: x\r\n\r\n")
    assert connection.response().body == b"encoded stub"


# --- framing of mockpit's own answers -----------------------------------------------------------


def test_a_413_to_an_http_1_0_client_is_framed_by_content_length() -> None:
    with MockServer(max_body_size=10) as server:
        connection = Connection(server)
        try:
            connection.send(b"POST /upload HTTP/1.0\r\nContent-Length: 20\r\n\r\n" + b"a" * 20)
            answer = connection.response()
        finally:
            connection.close()
    assert answer.status == 413
    assert answer.header("transfer-encoding") is None
    assert answer.header("content-length") == str(len(answer.body))


def test_a_204_has_no_content_length(connect: type[Connection], server: MockServer) -> None:
    server.when(request("DELETE", "/items/1")).respond_with(lambda req: None)
    connection = connect()
    connection.send(b"DELETE /items/1 HTTP/1.1\r\nHost: x\r\n\r\n")
    answer = connection.response(head=True)
    assert answer.status == 204
    assert answer.header("content-length") is None
