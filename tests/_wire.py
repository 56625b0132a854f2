"""Raw HTTP/1.1 over a plain socket, for what an HTTP client hides: faults, malformed requests, framing, timing.

A target is a :class:`MockServer`, a base URL (``http://host:port``) or a port on 127.0.0.1.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import BinaryIO, Literal

import httpx

from mockpit import MockServer

TIMEOUT = 5

Target = MockServer | str | int
#: how a connection ended: the server closed it ("eof") or reset it ("reset")
End = Literal["eof", "reset"]


def address(target: Target) -> tuple[str, int]:
    if isinstance(target, int):
        return "127.0.0.1", target
    url = httpx.URL(target.url if isinstance(target, MockServer) else target)
    return url.host, url.port or (443 if url.scheme == "https" else 80)


def port_of(server: MockServer) -> int:
    return address(server)[1]


def connect(target: Target, timeout: float = TIMEOUT) -> socket.socket:
    return socket.create_connection(address(target), timeout=timeout)


def accepts_connections(target: Target) -> bool:
    try:
        with connect(target, timeout=2):
            return True
    except OSError:
        return False


def free_port() -> int:
    """A port nothing listens on (bound, then let go): a server that is down, or a port to ask for."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@contextmanager
def taken_port() -> Iterator[int]:
    """A port something else listens on, for as long as the ``with`` lasts."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port: int = taken.getsockname()[1]
        yield port


def get_request(path: str, host: str = "mock") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()


def read_to_end(sock: socket.socket) -> tuple[bytes, End]:
    """Everything the server sends until it closes the connection, and how it closed it."""
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except ConnectionResetError:
        return received, "reset"
    return received, "eof"


def exchange(target: Target, data: bytes) -> tuple[bytes, End]:
    """Send ``data`` over a fresh connection; what came back until the server closed it, and how."""
    with connect(target) as sock:
        sock.sendall(data)
        return read_to_end(sock)


def read_until(sock: socket.socket, end: bytes, received: bytes = b"") -> bytes:
    """``received`` and what arrives after it, until ``end`` is in it; the connection must stay open till then."""
    while end not in received:
        piece = sock.recv(65536)
        assert piece, f"the server closed the connection before sending {end!r}; got {received!r}"
        received += piece
    return received


@dataclass
class RawResponse:
    version: str
    status: int
    reason: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


def read_response(stream: BinaryIO, *, head: bool = False) -> RawResponse:
    """One HTTP/1.x response from ``stream``: Content-Length, chunked, or until the server closes."""
    status_line = stream.readline()
    assert status_line, "the server closed the connection without answering"
    version, status, reason = status_line.decode("latin-1").rstrip("\r\n").split(" ", 2)
    response = RawResponse(version, int(status), reason)
    while (line := stream.readline()) not in (b"\r\n", b"\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        response.headers.append((name.strip(), value.strip()))
    if head:
        return response
    length = response.header("content-length")
    if length is not None:
        response.body = stream.read(int(length))
    elif (response.header("transfer-encoding") or "").lower() == "chunked":
        while size := int(stream.readline().split(b";")[0], 16):
            response.body += stream.read(size)
            stream.readline()
        stream.readline()
    else:
        response.body = stream.read()
    return response


class Connection:
    """A raw client socket and a buffered reader over it, to send any bytes and read responses one by one."""

    def __init__(self, target: Target) -> None:
        self.sock = connect(target)
        self.reader = self.sock.makefile("rb")

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def response(self, *, head: bool = False) -> RawResponse:
        return read_response(self.reader, head=head)

    def is_closed_by_server(self) -> bool:
        """True once the server has closed its side (EOF); False if it stays open with nothing to read."""
        self.sock.settimeout(0.5)
        try:
            return self.reader.read(1) == b""
        except TimeoutError:
            return False
        finally:
            self.sock.settimeout(TIMEOUT)

    def close(self) -> None:
        self.reader.close()
        self.sock.close()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
