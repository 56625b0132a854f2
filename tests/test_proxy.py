"""Proxying (``proxyBaseUrl``): requests forwarded to a real upstream, its responses streamed back.

The upstream is a second mockpit server with an echo handler (what it received, as JSON) and, where
the wire itself matters (slow chunks, hop-by-hop headers, a body cut short), a raw HTTP server.
"""

from __future__ import annotations

import base64
import gzip
import http.server
import random
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from _upstreams import Echoed, http_server
from _waiting import wait_until
from _wire import free_port
from mockpit import MockServer, Response, get, request
from mockpit._engine.proxy import JOURNAL_BODY_LIMIT
from mockpit._server import internals

SHARED_SERVER = True

BIG = random.Random(4).randbytes(5 * 1024 * 1024)


@pytest.fixture(scope="module")
def upstream(echo_upstream: MockServer) -> MockServer:
    echo_upstream.when(request("ANY", "/big")).respond_with(
        lambda _: Response(200, BIG, headers={"Content-Type": "image/png"})
    )
    return echo_upstream


class _Raw(http.server.BaseHTTPRequestHandler):
    """What a mockpit upstream cannot send: slow chunks, hop-by-hop headers, no answer, a body cut short."""

    protocol_version = "HTTP/1.1"
    last_sent = threading.Event()
    go_on = threading.Event()

    def do_GET(self) -> None:
        if self.path == "/slow":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self._chunk(b"first;")
            self.go_on.wait(5)  # the test lets it go on once the first chunk came through the proxy
            self._chunk(b"last")
            _Raw.last_sent.set()
            self.wfile.write(b"0\r\n\r\n")
        elif self.path == "/hop":
            self.send_response(200)
            self.send_header("Connection", "X-Hop-Only")
            self.send_header("X-Hop-Only", "1")
            self.send_header("Keep-Alive", "timeout=5")
            self.send_header("Proxy-Authenticate", "Basic")
            self.send_header("X-End-To-End", "1")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")
        elif self.path == "/sleepy":
            time.sleep(1)  # a daemon thread: shutting the server down does not wait for it
            self.send_error(504)
        elif self.path == "/broken":
            self.send_response(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            self.wfile.write(b"0123456789")
            self.close_connection = True
        else:
            self.send_error(404)

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def raw_upstream() -> Iterator[str]:
    with http_server(_Raw) as url:
        yield url
        _Raw.go_on.set()  # a handler still waiting for it goes on and ends


def proxy(server: MockServer, base: str, request_json: dict[str, Any] | None = None, **response: Any) -> None:
    server.add_mapping({"request": request_json or {"method": "ANY"}, "response": {"proxyBaseUrl": base, **response}})


# --- the request sent upstream ---------------------------------------------------------------------


def test_path_and_query_reach_the_upstream_as_sent(
    server: MockServer, client: httpx.Client, upstream: MockServer
) -> None:
    proxy(server, upstream.url)
    data = Echoed.of(client.get("/echo/a%20b/c", params=[("x", "1"), ("x", "2"), ("y", "é")]))
    assert data.method == "GET"
    assert data.path == "/echo/a%20b/c"
    assert data.query == "x=1&x=2&y=%C3%A9"


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_methods_and_bodies_are_forwarded_byte_for_byte(
    server: MockServer, client: httpx.Client, upstream: MockServer, method: str
) -> None:
    proxy(server, upstream.url)
    body = bytes(range(256)) * 3
    data = Echoed.of(
        client.request(method, "/echo", content=body, headers={"Content-Type": "application/octet-stream"})
    )
    assert data.method == method
    assert data.body == body
    assert data.headers.get_all("content-length") == [str(len(body))]
    assert data.headers.get_all("content-type") == ["application/octet-stream"]


def test_headers_are_added_removed_and_hop_by_hop_ones_dropped(
    server: MockServer, client: httpx.Client, upstream: MockServer
) -> None:
    proxy(
        server,
        upstream.url,
        removeProxyRequestHeaders=["X-Secret", "x-other-secret"],
        additionalProxyRequestHeaders={"X-Added": "yes", "User-Agent": "from-the-proxy"},
    )
    data = Echoed.of(
        client.get(
            "/echo",
            headers={
                "X-Kept": "1",
                "X-Secret": "s",
                "X-Other-Secret": "t",
                "User-Agent": "the-client",
                "Connection": "keep-alive, X-Hop",
                "X-Hop": "only for the proxy",
                "Keep-Alive": "timeout=5",
                "TE": "trailers",
            },
        )
    )
    names = {name.lower() for name in data.headers}
    assert data.headers.get_all("x-kept") == ["1"]
    assert data.headers.get_all("x-added") == ["yes"]
    assert data.headers.get_all("user-agent") == ["from-the-proxy"]
    assert not names & {"x-secret", "x-other-secret", "connection", "x-hop", "keep-alive", "te"}
    # WireMock sends the upstream's own Host
    assert data.headers.get_all("host") == [upstream.url.removeprefix("http://")]


def test_a_repeated_header_is_forwarded_with_all_its_values(
    server: MockServer, client: httpx.Client, upstream: MockServer
) -> None:
    proxy(server, upstream.url)
    data = Echoed.of(client.get("/echo", headers=[("X-Many", "a"), ("X-Many", "b")]))
    assert data.headers.get_all("x-many") == ["a", "b"]


@pytest.mark.parametrize(
    ("base", "prefix", "path", "expected"),
    [
        ("", "/api", "/api/echo/users?id=7", "/echo/users?id=7"),
        ("/echo", None, "/users/7", "/echo/users/7"),
        ("/echo/", "/svc", "/svc/users/7", "/echo/users/7"),
        ("/echo", "/svc", "/other/users", "/echo/other/users"),  # the prefix is removed only where it is
    ],
)
def test_the_upstream_url_is_base_plus_path_less_the_prefix(
    server: MockServer,
    client: httpx.Client,
    upstream: MockServer,
    base: str,
    prefix: str | None,
    path: str,
    expected: str,
) -> None:
    extra = {} if prefix is None else {"proxyUrlPrefixToRemove": prefix}
    proxy(server, upstream.url + base, **extra)
    data = Echoed.of(client.get(path))
    assert data.path + ("?" + data.query if data.query else "") == expected


# --- the response sent back ------------------------------------------------------------------------


def test_status_headers_and_a_binary_body_come_back_unchanged(
    server: MockServer, client: httpx.Client, upstream: MockServer
) -> None:
    body = bytes(range(256)) * 4
    upstream.add_mapping(
        {
            "request": {"url": "/teapot"},
            "response": {
                "status": 418,
                "base64Body": base64.b64encode(body).decode(),
                "headers": {"X-Upstream": "yes", "Set-Cookie": ["a=1", "b=2"], "Content-Type": "image/x-raw"},
            },
        }
    )
    proxy(server, upstream.url)
    res = client.get("/teapot")
    assert res.status_code == 418
    assert res.content == body
    assert res.headers["x-upstream"] == "yes"
    assert res.headers.get_list("set-cookie") == ["a=1", "b=2"]
    assert res.headers["content-type"] == "image/x-raw"
    assert res.headers["content-length"] == str(len(body))
    # the server writes its own Date; the upstream's must not make a second one (nor a second Server)
    assert len(res.headers.get_list("date")) == 1
    assert len(res.headers.get_list("server")) <= 1


def test_a_compressed_body_is_passed_on_still_compressed(
    server: MockServer, client: httpx.Client, upstream: MockServer
) -> None:
    text = b"hello, compressed world " * 100
    packed = gzip.compress(text)
    upstream.add_mapping(
        {
            "request": {"url": "/gzip"},
            "response": {"base64Body": base64.b64encode(packed).decode(), "headers": {"Content-Encoding": "gzip"}},
        }
    )
    proxy(server, upstream.url)
    with client.stream("GET", "/gzip", headers={"Accept-Encoding": "gzip"}) as res:
        raw = b"".join(res.iter_raw())
    assert res.headers["content-encoding"] == "gzip"
    assert res.headers["content-length"] == str(len(packed))
    assert raw == packed
    assert client.get("/gzip").content == text  # and a client decodes it as usual


def test_redirects_are_passed_through_not_followed(
    server: MockServer, client: httpx.Client, upstream: MockServer
) -> None:
    upstream.add_mapping(
        {"request": {"url": "/moved"}, "response": {"status": 302, "headers": {"Location": "/echo/new-place"}}}
    )
    proxy(server, upstream.url)
    res = client.get("/moved")
    assert res.status_code == 302
    assert res.headers["location"] == "/echo/new-place"


def test_a_head_request_gets_the_upstream_headers_and_no_body(
    server: MockServer, client: httpx.Client, upstream: MockServer
) -> None:
    proxy(server, upstream.url)
    res = client.head("/big")
    assert res.status_code == 200
    assert res.headers["content-length"] == str(len(BIG))
    assert res.content == b""


def test_hop_by_hop_response_headers_are_dropped(server: MockServer, client: httpx.Client, raw_upstream: str) -> None:
    proxy(server, raw_upstream)
    res = client.get("/hop")
    assert res.text == "ok"
    assert res.headers["x-end-to-end"] == "1"
    for name in ("x-hop-only", "keep-alive", "proxy-authenticate"):
        assert name not in res.headers


def test_five_megabytes_stream_through_and_the_journal_keeps_the_first_mebibyte(
    server: MockServer, client: httpx.Client, upstream: MockServer
) -> None:
    proxy(server, upstream.url)
    with client.stream("GET", "/big") as res:
        chunks = list(res.iter_raw())
    assert res.headers["content-length"] == str(len(BIG))
    assert b"".join(chunks) == BIG
    assert len(chunks) > 1  # it came in pieces, not as one buffered blob
    # the journal gets the body once the stream has ended, just after the last byte
    kept = wait_until(lambda: server.requests()[-1].response.body, deadline=2)
    assert kept == BIG[:JOURNAL_BODY_LIMIT]


def test_the_client_gets_the_first_chunk_before_the_upstream_sends_the_last(
    server: MockServer, client: httpx.Client, raw_upstream: str
) -> None:
    proxy(server, raw_upstream)
    _Raw.last_sent.clear()
    _Raw.go_on.clear()
    with client.stream("GET", "/slow") as res:
        pieces = res.iter_raw()
        first = next(pieces)
        sent_before_first_arrived = _Raw.last_sent.is_set()
        _Raw.go_on.set()
        rest = b"".join(pieces)
    assert first == b"first;"
    assert not sent_before_first_arrived, "the proxy waited for the whole body before sending any of it"
    assert rest == b"last"
    assert "content-length" not in res.headers


def test_a_low_priority_catch_all_proxies_only_what_no_other_stub_matches(
    server: MockServer, client: httpx.Client, upstream: MockServer
) -> None:
    upstream.clear_requests()
    server.add_mapping({"priority": 10, "request": {"method": "ANY"}, "response": {"proxyBaseUrl": upstream.url}})
    server.when(get("/echo/local")).respond(200, "from mockpit")
    assert client.get("/echo/local").text == "from mockpit"
    assert Echoed.of(client.post("/echo/remote", content=b"x")).path == "/echo/remote"
    assert [event.request.path for event in upstream.requests()] == ["/echo/remote"]


# --- upstream failures -----------------------------------------------------------------------------


def test_an_upstream_that_is_down_gives_a_502_that_says_what_to_do(server: MockServer, client: httpx.Client) -> None:
    base = f"http://127.0.0.1:{free_port()}"
    proxy(server, base)
    res = client.get("/orders?id=1")
    assert res.status_code == 502
    assert res.headers["content-type"].startswith("text/plain")
    assert f"{base}/orders?id=1" in res.text
    assert "could not connect" in res.text
    assert "running" in res.text


def test_tls_to_a_server_that_does_not_speak_it_gives_a_502_naming_tls(
    server: MockServer, client: httpx.Client, upstream: MockServer
) -> None:
    base = upstream.url.replace("http://", "https://")
    proxy(server, base)
    res = client.get("/echo")
    assert res.status_code == 502
    assert base in res.text
    assert "TLS" in res.text


def test_a_slow_upstream_gives_a_502_after_the_timeout(raw_upstream: str) -> None:
    with MockServer() as mock:
        internals(mock).engine.proxy_client().timeout = 0.2
        proxy(mock, raw_upstream)
        started = time.monotonic()
        res = httpx.get(mock.url_for("/sleepy"), timeout=5)
        took = time.monotonic() - started
    assert res.status_code == 502
    assert "did not answer within 0.2 s" in res.text
    assert took < 0.9


def test_a_body_cut_short_by_the_upstream_is_cut_short_for_the_client(raw_upstream: str) -> None:
    with MockServer() as mock:
        proxy(mock, raw_upstream)
        with pytest.raises(httpx.RemoteProtocolError):
            httpx.get(mock.url_for("/broken"), timeout=5)
        errors = [str(error) for error in mock.errors]
    assert len(errors) == 1
    assert f"the upstream {raw_upstream}/broken broke off its response after 10 bytes" in errors[0]
