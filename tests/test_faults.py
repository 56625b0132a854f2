"""Faults (WireMock's ``fault``): what arrives on the wire, and the error each real client raises."""

from __future__ import annotations

import logging

import httpx
import pytest
import requests

from _wire import connect, exchange, get_request, read_until
from mockpit import MockServer, Response, get
from mockpit._model import FAULTS, Fault
from mockpit._transport.asgi import GARBAGE

SHARED_SERVER = True
TIMEOUT = 5

CHUNKED_HEAD = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"


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
    assert exchange(server, get_request("/broken")) == (received, end)
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
    assert exchange(server, get_request("/mapped")) == exchange(server, get_request("/handled"))
    assert server.count(get("/mapped")) == server.count(get("/handled")) == 1


def test_the_server_goes_on_serving_and_logs_nothing(
    server: MockServer, client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    faults = FAULTS
    for fault in faults:
        server.when(get(f"/{fault}")).respond(fault=fault)
    server.when(get("/fine")).respond(200, "fine")
    caplog.set_level(logging.DEBUG)
    with connect(server) as kept:
        kept.sendall(get_request("/fine"))
        assert read_until(kept, b"fine").endswith(b"\r\n\r\nfine")
        for fault in faults + faults:
            exchange(server, get_request(f"/{fault}"))
            assert client.get("/fine").text == "fine"
        # a keep-alive connection opened before the faults still answers on the same socket
        kept.sendall(get_request("/fine"))
        assert read_until(kept, b"fine").endswith(b"\r\n\r\nfine")
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
    received, end = exchange(server, b"".join(get_request(path, host="m") for path in ("/fine", "/broken", "/fine")))
    assert end == "eof"
    assert received.count(b"HTTP/1.1 200 OK") == 1
    assert received.endswith(b"\r\n\r\nfine")
