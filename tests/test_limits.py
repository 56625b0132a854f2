"""Connection limits: slow and silent clients are cut off, a cap turns connections away fast, and a body
over the limit is refused so that every real client reads the 413 (no reset), over real sockets.

The servers under test get short timeouts (half a second), so that each test takes a second or two;
the bounds asserted are generous, for a loaded machine.
"""

from __future__ import annotations

import http.client
import logging
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import pytest
import requests

from _waiting import wait_until
from _wire import Connection, RawResponse, connect, read_to_end
from mockpit import ConnectionLimits, MockServer, get, post

SHORT = ConnectionLimits(head_timeout=0.5, body_timeout=0.5, idle_timeout=0.5)
#: a timeout of half a second is noticed within 0.5 + 2 * check_interval; the rest is for a loaded machine
CUT_BY = 3.0
HUNDRED_MIB = 100 * 1024 * 1024


@pytest.fixture
def short() -> Iterator[MockServer]:
    """A server whose clients have half a second for each part of a request."""
    with MockServer(limits=SHORT, max_body_size=10_000) as server:
        server.when(get("/ok")).respond(body="still serving")
        server.when(post("/upload")).respond_with(lambda request: f"got {len(request.body)} bytes")
        yield server


@pytest.fixture(autouse=True)
def no_tracebacks(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Whatever a client does, the server logs no error and no traceback (asyncio's and uvicorn's included)."""
    with caplog.at_level(logging.DEBUG):
        yield
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info is not None]
    assert not bad, [r.getMessage() for r in bad]


def assert_serving(server: MockServer) -> None:
    answer = httpx.get(server.url_for("/ok"), timeout=5)
    assert (answer.status_code, answer.text) == (200, "still serving")


def trickle(sock: socket.socket, data: bytes, every: float) -> float:
    """Send ``data`` a byte at a time, one every ``every`` seconds, until done or the server stops
    taking it; return when the server cut it off (the seconds since the start), by its 408 or its close."""
    started = time.monotonic()
    sock.settimeout(every)
    for byte in data:
        try:
            sock.sendall(bytes([byte]))
            if sock.recv(1, socket.MSG_PEEK) is not None:  # something arrived (the 408, or EOF)
                return time.monotonic() - started
        except TimeoutError:
            continue
        except OSError:  # the server closed and reset: it cut the client off
            return time.monotonic() - started
    return time.monotonic() - started


def trickled(server: MockServer, first: bytes, slowly: bytes) -> tuple[float, RawResponse]:
    """Send ``first``, then ``slowly`` a byte a tenth of a second: when the server cut it off, and its answer."""
    with Connection(server) as connection:
        connection.send(first)
        took = trickle(connection.sock, slowly, every=0.1)
        connection.sock.settimeout(5)
        return took, connection.response()


# --- slow and silent clients --------------------------------------------------------------------


def test_a_connection_that_sends_nothing_is_closed_without_an_answer(short: MockServer) -> None:
    with connect(short) as sock:
        started = time.monotonic()
        received, end = read_to_end(sock)
        took = time.monotonic() - started
    assert (received, end) == (b"", "eof")  # nothing to answer: a client about to send would misread a 408
    assert 0.4 < took < CUT_BY
    assert_serving(short)


def test_a_head_sent_a_byte_a_tenth_of_a_second_gets_a_408(short: MockServer) -> None:
    head = b"GET /ok HTTP/1.1\r\nHost: x\r\nUser-Agent: slowloris\r\nAccept: */*\r\n\r\n"
    took, answer = trickled(short, b"", head)
    assert 0.4 < took < CUT_BY
    assert answer.status == 408
    assert b"head_timeout" in answer.body
    assert answer.header("connection") == "close"
    assert_serving(short)
    assert [event.request.path for event in short.requests()] == ["/ok"]  # the cut-off one is not journaled


def test_a_body_sent_a_byte_a_tenth_of_a_second_gets_a_408(short: MockServer) -> None:
    took, answer = trickled(short, b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 200\r\n\r\n", b"a" * 200)
    assert 0.4 < took < CUT_BY
    assert answer.status == 408
    assert b"min_body_rate" in answer.body
    assert_serving(short)
    assert short.count(post("/upload")) == 0
    assert short.errors == []


def test_a_body_that_stops_gets_a_408_even_with_no_minimum_rate() -> None:
    limits = ConnectionLimits(body_timeout=0.5, min_body_rate=0)
    with MockServer(limits=limits) as server, Connection(server) as connection:
        connection.send(b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\n\r\n" + b"a" * 1000)
        started = time.monotonic()
        answer = connection.response()
        assert 0.4 < time.monotonic() - started < CUT_BY
        assert answer.status == 408


def test_a_body_at_a_steady_pace_is_read_whole(short: MockServer) -> None:
    # 300 bytes every 0.2 s: 1,500 bytes a second, above the 500 the server asks for; longer than the timeout
    with Connection(short) as connection:
        connection.send(b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 3000\r\n\r\n")
        for _ in range(10):
            time.sleep(0.2)
            connection.send(b"a" * 300)
        answer = connection.response()
    assert (answer.status, answer.body) == (200, b"got 3000 bytes")


def test_a_slow_stub_is_not_a_slow_client(short: MockServer) -> None:
    short.when(get("/slow")).respond(body="late", delay_ms=1500)
    answer = httpx.get(short.url_for("/slow"), timeout=10)
    assert (answer.status_code, answer.text) == (200, "late")


def test_an_idle_kept_alive_connection_is_closed(short: MockServer) -> None:
    with Connection(short) as connection:
        connection.send(b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
        assert connection.response().status == 200
        started = time.monotonic()
        received, end = read_to_end(connection.sock)
        assert (received, end) == (b"", "eof")
        assert 0.4 < time.monotonic() - started < CUT_BY


def test_blank_lines_do_not_keep_an_idle_connection_open(short: MockServer) -> None:
    with Connection(short) as connection:
        connection.send(b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
        assert connection.response().status == 200
        took = trickle(connection.sock, b"\r\n" * 50, every=0.1)
    assert took < CUT_BY


def test_the_next_head_on_a_kept_alive_connection_has_its_timeout_too(short: MockServer) -> None:
    with Connection(short) as connection:
        connection.send(b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
        assert connection.response().status == 200
        connection.send(b"GET /ok HTTP/1.1\r\nHost: x\r\n")  # and the blank line never comes
        assert connection.response().status == 408


def test_many_slow_and_silent_clients_are_all_cut_off_while_others_are_served(short: MockServer) -> None:
    # the 500 + 200 + 20, scaled down: every kind, many at once, and the server keeps answering
    with ExitStack() as stack:
        slow_heads = [stack.enter_context(connect(short)) for _ in range(60)]
        slow_bodies = [stack.enter_context(connect(short)) for _ in range(30)]
        silent = [stack.enter_context(connect(short)) for _ in range(20)]
        for sock in slow_heads:
            sock.sendall(b"GET /ok HTTP/1.1\r\n")
        for sock in slow_bodies:
            sock.sendall(b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n")
        for _ in range(3):
            time.sleep(0.1)
            assert_serving(short)
            for sock in slow_heads:
                sock.sendall(b"X")
            for sock in slow_bodies:
                sock.sendall(b"b")
        time.sleep(CUT_BY)
        for sock in [*slow_heads, *slow_bodies, *silent]:
            sock.settimeout(5)
            received, _ = read_to_end(sock)
            assert received == b"" or received.startswith(b"HTTP/1.1 408 ")
    assert_serving(short)


# --- a cap on connections -----------------------------------------------------------------------


def test_past_the_cap_a_client_gets_a_503_at_once_and_service_resumes_when_the_idle_are_cut() -> None:
    limits = ConnectionLimits(head_timeout=0.5, max_connections=20)
    with MockServer(limits=limits) as server, ExitStack() as stack:
        server.when(get("/ok")).respond(body="still serving")
        idle = [stack.enter_context(connect(server)) for _ in range(40)]
        started = time.monotonic()
        answer = httpx.get(server.url_for("/ok"), timeout=5)
        assert time.monotonic() - started < 1.0
        assert answer.status_code in (200, 503)
        if answer.status_code == 503:
            assert "max_connections" in answer.text
            assert answer.headers["retry-after"] == "1"
        # 20 are taken, the rest turned away; which ones is the accept order's, which a loaded machine can
        # shuffle, so: every connection is either turned away with a 503 or, within the cap, closed silently
        # at its head timeout, and at least 19 got the 503 (the httpx request above may have taken a place)
        received = [read_to_end(sock)[0] for sock in idle]
        assert all(r.startswith(b"HTTP/1.1 503 ") or r == b"" for r in received)
        assert sum(r.startswith(b"HTTP/1.1 503 ") for r in received) >= 19

        def served() -> int:
            return httpx.get(server.url_for("/ok"), timeout=5).status_code

        assert wait_until(served, lambda status: status == 200) == 200
        assert all(read_to_end(sock) == (b"", "eof") for sock in idle[:20])  # the silent ones: cut off


def test_requests_and_httpx_read_the_503_past_the_cap() -> None:
    with MockServer(limits=ConnectionLimits(max_connections=2)) as server, ExitStack() as stack:
        server.when(get("/ok")).respond(body="still serving")
        for _ in range(2):
            stack.enter_context(connect(server))
        assert requests.get(server.url_for("/ok"), timeout=5).status_code == 503
        assert httpx.get(server.url_for("/ok"), timeout=5).status_code == 503
        connection = http.client.HTTPConnection("127.0.0.1", server_port(server), timeout=5)
        try:
            connection.request("POST", "/ok", body=b"x" * 100_000)
            assert connection.getresponse().status == 503
        finally:
            connection.close()


def server_port(server: MockServer) -> int:
    return int(server.url.rsplit(":", 1)[1])


@pytest.mark.skipif(sys.platform == "win32", reason="Windows has no RLIMIT_NOFILE")
@pytest.mark.parametrize(("files", "cap"), [(256, 192), (1024, 768), (4096, 1000)])
def test_the_default_cap_stays_below_the_open_file_limit(files: int, cap: int) -> None:
    code = (
        "import resource\n"
        "hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]\n"
        f"resource.setrlimit(resource.RLIMIT_NOFILE, ({files}, hard))\n"
        "from mockpit import ConnectionLimits\n"
        "print(ConnectionLimits().connection_cap)\n"
    )
    hard = __import__("resource").getrlimit(__import__("resource").RLIMIT_NOFILE)[1]
    if hard != -1 and hard < files:
        pytest.skip(f"this machine allows at most {hard} open files")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=True)
    assert int(result.stdout) == cap


# --- bodies over the limit ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def default_server() -> Iterator[MockServer]:
    """A server with the default limits (10 MiB bodies, 30 s body timeout)."""
    with MockServer() as server:
        server.when(post("/upload")).respond(body="accepted")
        yield server


def test_http_client_posting_100_mib_reads_the_413(default_server: MockServer) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", server_port(default_server), timeout=30)
    try:
        connection.request("POST", "/upload", body=b"x" * HUNDRED_MIB)
        answer = connection.getresponse()
        assert answer.status == 413
        assert b"max_body_size" in answer.read()
    finally:
        connection.close()


def test_http_client_posting_100_mib_chunked_reads_the_413(default_server: MockServer) -> None:
    piece = b"x" * (1024 * 1024)
    connection = http.client.HTTPConnection("127.0.0.1", server_port(default_server), timeout=30)
    try:
        connection.request("POST", "/upload", body=(piece for _ in range(100)), encode_chunked=True)
        assert connection.getresponse().status == 413
    finally:
        connection.close()


def test_requests_posting_100_mib_reads_the_413(default_server: MockServer) -> None:
    answer = requests.post(default_server.url_for("/upload"), data=b"x" * HUNDRED_MIB, timeout=30)
    assert answer.status_code == 413


def test_httpx_posting_100_mib_reads_the_413(default_server: MockServer) -> None:
    answer = httpx.post(default_server.url_for("/upload"), content=b"x" * HUNDRED_MIB, timeout=30)
    assert answer.status_code == 413


def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_sent(default_server: MockServer) -> None:
    with Connection(default_server) as connection:
        connection.send(b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % HUNDRED_MIB)
        answer = connection.response()
        assert answer.status == 413
        assert answer.header("connection") == "close"
        assert connection.is_closed_by_server()  # it half-closed: the client reads the 413, then EOF


def test_expect_100_continue_over_the_limit_gets_the_413_and_no_100(default_server: MockServer) -> None:
    with Connection(default_server) as connection:
        connection.send(
            b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n" % HUNDRED_MIB
        )
        answer = connection.response()
    assert answer.status == 413


def test_expect_100_continue_within_the_limit_still_gets_the_100(default_server: MockServer) -> None:
    with Connection(default_server) as connection:
        connection.send(b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        assert connection.reader.readline() == b"HTTP/1.1 100 Continue\r\n"
        assert connection.reader.readline() == b"\r\n"
        connection.send(b"hello")
        answer = connection.response()
    assert (answer.status, answer.body) == (200, b"accepted")


def test_https_http_client_posting_over_the_limit_reads_the_413() -> None:
    # TLS cannot half-close: there the client's own close ends the linger
    with MockServer(https=True, max_body_size=1000) as server:
        server.when(post("/upload")).respond(body="accepted")
        context = ssl.create_default_context(cafile=server.ca_bundle)
        connection = http.client.HTTPSConnection("127.0.0.1", server_port(server), timeout=30, context=context)
        try:
            connection.request("POST", "/upload", body=b"x" * (20 * 1024 * 1024))
            assert connection.getresponse().status == 413
        finally:
            connection.close()


# --- shutting down, settings --------------------------------------------------------------------


def test_stop_is_not_held_by_clients_that_send_nothing_or_stall() -> None:
    server = MockServer().start()  # the default limits: nothing is cut off during the test
    server.when(post("/upload")).respond(body="accepted")
    with ExitStack() as stack:
        silent = stack.enter_context(connect(server))
        half_head = stack.enter_context(connect(server))
        half_head.sendall(b"GET /ok HTTP/1.1\r\nHost: x\r\n")
        half_body = stack.enter_context(connect(server))
        half_body.sendall(b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc")
        time.sleep(0.2)
        started = time.monotonic()
        stopper = threading.Thread(target=server.stop)
        stopper.start()
        stopper.join(10)
        # the graceful bound (3 s) is for requests being answered; these are not
        assert not stopper.is_alive()
        assert time.monotonic() - started < 5.0
        for sock in (silent, half_head, half_body):
            sock.settimeout(5)
            assert read_to_end(sock)[0] == b""  # closed (the body's connection reset), never left hanging


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("head_timeout", 0, "head_timeout must be a number of seconds above 0"),
        ("body_timeout", -1, "body_timeout must be"),
        ("idle_timeout", float("inf"), "idle_timeout must be"),
        ("head_timeout", "10", "head_timeout must be"),
        ("min_body_rate", -5, "min_body_rate must be a number of bytes a second, 0 or more"),
        ("max_connections", 0, "max_connections must be a whole number above 0"),
        ("max_connections", 2.5, "max_connections must be"),
        ("max_connections", True, "max_connections must be"),
    ],
)
def test_bad_limits_are_refused_with_the_setting_named(setting: str, value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ConnectionLimits(**{setting: value})  # type: ignore[arg-type]
