"""Closing a connection without losing its last answer: send it, then read and throw away what the client
still sends until it closes or a deadline passes, and only then close.

A server that closes a socket with unread data in it makes the kernel send a reset, and a reset destroys
whatever the client had not read yet: a client still sending a body the server refused (stdlib
``http.client`` sends all of it before it reads) gets ``ECONNRESET`` instead of the ``413``. Apache and
nginx call this "lingering close"; asyncio has none, so it is written here.
"""

from __future__ import annotations

import asyncio
from typing import Any


def linger(transport: asyncio.Transport, seconds: float) -> None:
    """End ``transport``'s output after what is already written, then discard its input until EOF or ``seconds``.

    The transport's protocol stops receiving data (nothing more is parsed or answered) but still gets
    ``connection_lost``, so the server's bookkeeping of its connections stays right.
    """
    if transport.is_closing():
        return
    transport.set_protocol(_Discarding(transport, transport.get_protocol(), seconds))
    if transport.can_write_eof():  # TLS cannot half-close: there the client's own close ends the linger
        transport.write_eof()  # sent once the answer is out: the client reads it, then EOF
    transport.resume_reading()  # the server may have paused reading while the body piled up


class LingeringTransport:
    """Stands in for a connection's transport, so that closing it lingers (see :func:`linger`).

    Once lingering it says it is closing, so that nothing more is written or read for the request; a
    second ``close`` (the server shutting down, the connection lost) closes at once.
    """

    __slots__ = ("_lingering", "_seconds", "transport")

    def __init__(self, transport: asyncio.Transport, seconds: float) -> None:
        self.transport = transport
        self._seconds = seconds
        self._lingering = False

    def write(self, data: bytes) -> None:
        self.transport.write(data)

    def is_closing(self) -> bool:
        return self._lingering or self.transport.is_closing()

    def close(self) -> None:
        if self._lingering or self.transport.is_closing():
            self.transport.close()
        else:
            self._lingering = True
            linger(self.transport, self._seconds)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.transport, name)


class _Discarding(asyncio.Protocol):
    """A lingering connection's protocol: reads and forgets; closes at the deadline or the client's EOF."""

    def __init__(self, transport: asyncio.Transport, owner: asyncio.BaseProtocol, seconds: float) -> None:
        self._owner = owner
        # close(), not abort(): the answer is long sent; what is unread now makes the reset a slow client earns
        self._deadline = asyncio.get_running_loop().call_later(seconds, transport.close)

    def data_received(self, data: bytes) -> None:
        pass

    def eof_received(self) -> bool:
        return False  # the client has sent everything and read the answer: close

    def connection_lost(self, exc: Exception | None) -> None:
        self._deadline.cancel()
        self._owner.connection_lost(exc)

    def pause_writing(self) -> None:
        self._owner.pause_writing()

    def resume_writing(self) -> None:
        self._owner.resume_writing()
