"""The connection below ASGI, for uvicorn: mockpit's protocol offers each request its wire.

Faults and custom status phrases need the connection below ASGI. mockpit's protocol (uvicorn's
httptools protocol, subclassed) offers each request a :class:`UvicornWire` in
``scope["extensions"]["mockpit.wire"]``; :mod:`.asgi` uses it through its :class:`~.asgi.Wire`
interface and never touches uvicorn's objects itself.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

from .asgi import WIRE


class MockpitHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, offering each request its :class:`UvicornWire` as an ASGI extension.

    Relies on what uvicorn's httptools protocol has kept from 0.30 to 0.5x: ``on_headers_complete``
    makes the request's ``RequestResponseCycle`` (``self.cycle``) for ``self.scope`` before its task
    first runs, and the cycle's ``transport`` and ``disconnected`` attributes.
    """

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        cycle = self.cycle
        if cycle is not None and cycle.scope is self.scope:  # else an upgrade, which made no cycle
            scope: Any = self.scope  # a TypedDict that does not know the extensions mockpit adds
            extensions: dict[str, Any] | None = scope.get("extensions")
            wire = UvicornWire(cycle)
            scope["extensions"] = {**extensions, WIRE: wire} if extensions else {WIRE: wire}


class UvicornWire(weakref.ref[RequestResponseCycle]):
    """One request's connection below ASGI (implements :class:`.asgi.Wire` for uvicorn).

    A weak reference to the request's cycle, subclassed: making one is a single C-level allocation
    with no Python ``__init__`` (half the cost of an object holding a reference, and this runs for
    every request). Weak, because the scope holds the wire and the cycle holds the scope: a strong
    reference would leave every request a reference cycle for the garbage collector (measured: five
    times the collections). The cycle lives as long as its request's task, which is when the app
    calls the wire.
    """

    __slots__ = ()

    def _alive(self) -> RequestResponseCycle:
        cycle = self()
        if cycle is None:  # pragma: no cover - only after the request's task has ended
            raise RuntimeError("mockpit: this request's connection is gone; its wire is no longer usable")
        return cycle

    def set_reason(self, reason: bytes) -> None:
        cycle = self._alive()
        cycle.transport = _ReasonWriter(cycle, reason)  # type: ignore[assignment]

    def take_over(self) -> asyncio.Transport:
        cycle = self._alive()
        # what uvicorn sets when the peer leaves: it then writes nothing more for this request (no 500
        # for a response never started) and logs nothing
        cycle.disconnected = True
        transport: Any = cycle.transport
        if isinstance(transport, _ReasonWriter):
            transport = transport.transport
        return transport  # type: ignore[no-any-return]


class _ReasonWriter:
    """Stands in for the cycle's transport until it writes the status line, to put a custom phrase in it.

    uvicorn writes the status line and headers in one ``write`` from a table of standard phrases; this
    rewrites that line, then gives the cycle its transport back so the body goes straight out.
    """

    __slots__ = ("_cycle", "_reason", "transport")

    def __init__(self, cycle: RequestResponseCycle, reason: bytes) -> None:
        self._cycle = cycle
        self._reason = reason
        self.transport = cycle.transport

    def write(self, data: bytes) -> None:
        if data.startswith(b"HTTP/") and not data.startswith(b"HTTP/1.1 100 "):  # not an interim 100 Continue
            self._cycle.transport = self.transport
            end = data.index(b"\r\n")
            version, code, _ = data[:end].split(b" ", 2)
            data = b" ".join((version, code, self._reason)) + data[end:]
        self.transport.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.transport, name)
