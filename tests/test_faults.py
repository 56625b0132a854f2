"""Faults (WireMock's ``fault``): what arrives on the wire, and the error each real client raises."""

from __future__ import annotations

import logging
import socket

import httpx
import pytest
import requests

from mockpit import MockServer, Response, get
from mockpit._model import FAULTS, Fault
from mockpit._transport.asgi import GARBAGE

SHARED_SERVER = True
TIMEOUT = 5

CHUNKED_HEAD = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"


def exchange(port: int, path: str) -> tuple[bytes, str]:
    """Send one GET over a fresh connection; what came back, and how it ended: "eof" or "reset"."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: mock\r\n\r\n".encode())
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except ConnectionResetError:
            return received, "reset"
        return received, "eof"


def read_response(sock: socket.socket) -> bytes:
    """One small response (its body is "fine") from a keep-alive connection."""
    received = b""
    while not received.endswith(b"fine"):
        piece = sock.recv(65536)
        assert piece, f"the connection closed; got {received!r}"
        received += piece
    return received


def port_of(server: MockServer) -> int:
    return int(server.url.rsplit(":", 1)[1])


@pytest.mark.parametrize(
    ("fault", "received", "end"),
    [
        ("CONNECTION_RESET_BY_PEER", b"", "reset"),
        ("EMPTY_RESPONSE", b"", "eof"),
        ("MALFORMED_RESPONSE_CHUNK", CHUNKED_HEAD + GARBAGE, "eof"),
        ("RANDOM_DATA_THEN_CLOSE", GARBAGE, "eof"),
    ],
)
def test_the_bytes_on_the_wire(server: MockServer, fault: Fault, received: bytes, end: str) -> None:
    server.when(get("/broken")).respond(200, "never sent", fault=fault)
    assert exchange(port_of(server), "/broken") == (received, end)
    assert server.count(get("/broken")) == 1  # the journal has it
    assert not server.unmatched


def test_the_garbage_is_neither_a_status_line_nor_a_chunk() -> None:
    # what makes clients fail the same way every time, as against WireMock's fixed garbage
    assert not GARBAGE.startswith(b"HTTP/")
    assert GARBAGE[:1] not in b"0123456789abcdefABCDEF"
    assert b"\r" not in GARBAGE
    assert b"\n" not in GARBAGE


@pytest.mark.parametrize(
    ("fault", "error", "message"),
    [
        ("CONNECTION_RESET_BY_PEER", httpx.ReadError, "Connection reset by peer"),
        ("EMPTY_RESPONSE", httpx.RemoteProtocolError, "Server disconnected without sending a response"),
        ("MALFORMED_RESPONSE_CHUNK", httpx.RemoteProtocolError, "peer unexpectedly closed connection"),
        ("RANDOM_DATA_THEN_CLOSE", httpx.RemoteProtocolError, "Server disconnected without sending a response"),
    ],
)
def test_httpx_raises(server: MockServer, fault: Fault, error: type[Exception], message: str) -> None:
    server.when(get("/broken")).respond(fault=fault)
    with pytest.raises(error, match=message):
        httpx.get(server.url_for("/broken"), timeout=TIMEOUT)


@pytest.mark.parametrize(
    ("fault", "error", "message"),
    [
        ("CONNECTION_RESET_BY_PEER", requests.exceptions.ConnectionError, "Connection reset by peer"),
        ("EMPTY_RESPONSE", requests.exceptions.ConnectionError, "Remote end closed connection without response"),
        ("MALFORMED_RESPONSE_CHUNK", requests.exceptions.ChunkedEncodingError, "InvalidChunkLength"),
        ("RANDOM_DATA_THEN_CLOSE", requests.exceptions.ConnectionError, "BadStatusLine"),
    ],
)
def test_requests_raises(server: MockServer, fault: Fault, error: type[Exception], message: str) -> None:
    server.when(get("/broken")).respond(fault=fault)
    with pytest.raises(error, match=message) as caught:
        requests.get(server.url_for("/broken"), timeout=TIMEOUT)
    if fault != "MALFORMED_RESPONSE_CHUNK":  # a broken body is not a broken connection
        assert not isinstance(caught.value, requests.exceptions.ChunkedEncodingError)


@pytest.mark.parametrize("fault", ["CONNECTION_RESET_BY_PEER", "EMPTY_RESPONSE", "RANDOM_DATA_THEN_CLOSE"])
def test_a_fault_from_a_mapping_and_from_a_handler(server: MockServer, fault: Fault) -> None:
    server.add_mapping({"request": {"urlPath": "/mapped"}, "response": {"status": 503, "fault": fault}})
    server.when(get("/handled")).respond_with(lambda request: Response(200, b"never sent", fault=fault))
    port = port_of(server)
    assert exchange(port, "/mapped") == exchange(port, "/handled")
    assert server.count(get("/mapped")) == server.count(get("/handled")) == 1


def test_the_server_goes_on_serving_and_logs_nothing(
    server: MockServer, client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    faults = FAULTS
    for fault in faults:
        server.when(get(f"/{fault}")).respond(fault=fault)
    server.when(get("/fine")).respond(200, "fine")
    port = port_of(server)
    caplog.set_level(logging.DEBUG)
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as kept:
        kept.sendall(b"GET /fine HTTP/1.1\r\nHost: mock\r\n\r\n")
        assert read_response(kept).endswith(b"\r\n\r\nfine")
        for fault in faults + faults:
            exchange(port, f"/{fault}")
            assert client.get("/fine").text == "fine"
        # a keep-alive connection opened before the faults still answers on the same socket
        kept.sendall(b"GET /fine HTTP/1.1\r\nHost: mock\r\n\r\n")
        assert read_response(kept).endswith(b"\r\n\r\nfine")
    assert [r.getMessage() for r in caplog.records if r.name.startswith("uvicorn")] == []
    assert server.count(get("/fine")) == 10
    assert sum(server.count(get(f"/{fault}")) for fault in faults) == 8


def test_a_fault_after_the_request_body_was_read(server: MockServer) -> None:
    server.add_mapping({"request": {"method": "POST", "urlPath": "/broken"}, "response": {"fault": "EMPTY_RESPONSE"}})
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.post(server.url_for("/broken"), content=b"x" * 100_000, timeout=TIMEOUT)
    assert server.requests()[0].request.body == b"x" * 100_000


def test_pipelined_requests_after_a_fault_are_dropped_with_the_connection(server: MockServer) -> None:
    server.when(get("/broken")).respond(fault="EMPTY_RESPONSE")
    server.when(get("/fine")).respond(200, "fine")
    with socket.create_connection(("127.0.0.1", port_of(server)), timeout=TIMEOUT) as sock:
        sock.sendall(
            b"".join(f"GET {path} HTTP/1.1\r\nHost: m\r\n\r\n".encode() for path in ("/fine", "/broken", "/fine"))
        )
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    assert received.count(b"HTTP/1.1 200 OK") == 1
    assert received.endswith(b"\r\n\r\nfine")
