"""``chunkedDribbleDelay``: the body in N parts spread over T ms, without holding up other requests."""

from __future__ import annotations

import time

import httpx
import pytest

from _wire import connect, get_request, read_until
from mockpit import MockServer, Response, get

SHARED_SERVER = True
# timers may fire up to a millisecond early (uvloop rounds to whole milliseconds)
EARLY = 0.005


class Arrivals:
    """One GET over a raw socket, with the time each piece of the response arrived."""

    def __init__(self, server: MockServer, path: str) -> None:
        self.sock = connect(server)
        self.sent = time.perf_counter()
        self.sock.sendall(get_request(path))
        self.head = b""
        self.head_at = 0.0
        self.pieces: list[tuple[float, bytes]] = []  # (seconds since the request, bytes)

    def read_head(self) -> bytes:
        data = read_until(self.sock, b"\r\n\r\n")
        self.head_at = time.perf_counter() - self.sent
        self.head, _, rest = data.partition(b"\r\n\r\n")
        if rest:
            self.pieces.append((time.perf_counter() - self.sent, rest))
        return self.head

    def read_body(self, length: int) -> bytes:
        while sum(len(piece) for _, piece in self.pieces) < length:
            piece = self.sock.recv(65536)
            assert piece, "the server closed the connection mid-body"
            self.pieces.append((time.perf_counter() - self.sent, piece))
        return b"".join(piece for _, piece in self.pieces)

    def close(self) -> None:
        self.sock.close()


def test_the_body_arrives_over_the_total_time_with_its_content_length(server: MockServer) -> None:
    server.when(get("/slow")).respond(200, "aaaabbbbccccdddd", dribble=(4, 200))
    arrivals = Arrivals(server, "/slow")
    try:
        head = arrivals.read_head().lower()
        assert b"content-length: 16" in head
        assert b"transfer-encoding" not in head
        assert arrivals.read_body(16) == b"aaaabbbbccccdddd"
    finally:
        arrivals.close()
    first, last = arrivals.pieces[0][0], arrivals.pieces[-1][0]
    assert arrivals.head_at >= 0.050 - EARLY  # the head goes with the first part, one interval in (as WireMock)
    assert first >= 0.050 - EARLY
    assert last >= 0.200 - EARLY
    assert last - first >= 0.150 - EARLY  # spread out, not sent in one go
    assert len(arrivals.pieces) >= 2


def test_httpx_reads_the_parts_as_they_come(server: MockServer, client: httpx.Client) -> None:
    server.add_mapping(
        {
            "request": {"urlPath": "/slow"},
            "response": {"body": "0123456789", "chunkedDribbleDelay": {"numberOfChunks": 2, "totalDuration": 120}},
        }
    )
    start = time.perf_counter()
    times = []
    with client.stream("GET", "/slow") as response:
        assert response.headers["content-length"] == "10"
        body = b""
        for piece in response.iter_raw():
            times.append(time.perf_counter() - start)
            body += piece
    assert body == b"0123456789"
    assert times[0] >= 0.060 - EARLY
    assert times[-1] >= 0.120 - EARLY


def test_a_dribble_never_holds_up_other_requests(server: MockServer, client: httpx.Client) -> None:
    server.when(get("/slow")).respond(200, "abcd", dribble=(4, 400))
    server.when(get("/fast")).respond(200, "fast")
    arrivals = Arrivals(server, "/slow")
    try:
        arrivals.read_head()  # the dribble is under way
        start = time.perf_counter()
        assert client.get("/fast").text == "fast"
        answered = time.perf_counter() - arrivals.sent
        fast_took = time.perf_counter() - start
        assert arrivals.read_body(4) == b"abcd"
    finally:
        arrivals.close()
    assert answered < arrivals.pieces[-1][0]  # the fast one came back while the slow one still dribbled
    assert fast_took < 0.2


def test_many_dribbles_at_once_take_the_time_of_one(server: MockServer) -> None:
    server.when(get("/slow")).respond(200, "abc", dribble=(3, 300))
    start = time.perf_counter()
    many = [Arrivals(server, "/slow") for _ in range(8)]
    try:
        for arrivals in many:
            arrivals.read_head()
            assert arrivals.read_body(3) == b"abc"
    finally:
        for arrivals in many:
            arrivals.close()
    assert time.perf_counter() - start < 4 * 0.300  # one after the other would take 8 x 300 ms


@pytest.mark.parametrize(
    ("body", "chunks", "parts"),
    [
        (b"1234", 1, [b"1234"]),
        (b"1234", 2, [b"12", b"34"]),
        (b"1234", 3, [b"1", b"2", b"34"]),  # the remainder goes with the last part
        (b"12", 5, [b"1", b"2"]),  # never more parts than bytes
        (b"", 3, []),
    ],
)
def test_how_the_body_is_cut(server: MockServer, body: bytes, chunks: int, parts: list[bytes]) -> None:
    # with chunked transfer encoding each ASGI body message is one HTTP chunk: the cuts show on the wire
    server.when(get("/cut")).respond_with(
        lambda request: Response(200, body, headers={"Transfer-Encoding": "chunked"}, dribble=(chunks, 0.03))
    )
    arrivals = Arrivals(server, "/cut")
    try:
        arrivals.read_head()
        received = b"".join(piece for _, piece in arrivals.pieces)
        while not received.endswith(b"0\r\n\r\n"):
            received += arrivals.sock.recv(65536)
    finally:
        arrivals.close()
    framed = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in parts) + b"0\r\n\r\n"
    assert received == framed


def test_a_client_that_leaves_mid_dribble_harms_nothing(server: MockServer, client: httpx.Client) -> None:
    server.when(get("/slow")).respond(200, "abcdef", dribble=(3, 90))
    arrivals = Arrivals(server, "/slow")
    arrivals.read_head()
    arrivals.close()
    time.sleep(0.12)  # the dribble runs to its end against a closed connection
    server.when(get("/fast")).respond(200, "fast")
    assert client.get("/fast").text == "fast"
    assert server.count(get("/slow")) == 1
    assert server.errors == []


def test_head_gets_the_headers_without_waiting_for_a_body(server: MockServer, client: httpx.Client) -> None:
    server.add_mapping(
        {
            "request": {"urlPath": "/slow"},
            "response": {"body": "abcd", "chunkedDribbleDelay": {"numberOfChunks": 2, "totalDuration": 2000}},
        }
    )
    server.when(get("/fast")).respond(200, "fast")
    start = time.perf_counter()
    response = client.head("/slow")
    assert (response.status_code, response.headers["content-length"], response.content) == (200, "4", b"")
    assert client.get("/fast").text == "fast"  # on the same connection, free at once
    assert time.perf_counter() - start < 1.0
