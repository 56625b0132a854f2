"""Running the ASGI app under uvicorn: socket, protocol, start-up and a fast shutdown.

uvicorn's ``Server.serve()`` polls for shutdown every 100 ms and its ``shutdown()`` always sleeps
100 ms; a test suite starts and stops servers hundreds of times, so mockpit drives ``startup()`` and
``on_tick()`` itself and shuts down as soon as the connections are gone.

Faults and custom status phrases need the connection below ASGI. mockpit's protocol (uvicorn's
httptools protocol, subclassed) offers each request a :class:`UvicornWire` in
``scope["extensions"]["mockpit.wire"]``; :mod:`._asgi` uses it through its :class:`~._asgi.Wire`
interface and never touches uvicorn's objects itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sys
import weakref
from collections.abc import Callable
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

from .asgi import WIRE

GRACEFUL_SHUTDOWN_SECONDS = 3.0


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
    """One request's connection below ASGI (implements :class:`mockpit._asgi.Wire` for uvicorn).

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


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host``:``port`` (0 picks a free port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        if sys.platform == "win32":  # there SO_REUSEADDR would let a second server take a port in use
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_EXCLUSIVEADDRUSE, 1)
        else:  # restart on the port of a server that just stopped (its connections in TIME_WAIT)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


def new_event_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:  # Windows, PyPy: the asyncio loop serves, only slower
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()  # type: ignore[no-any-return,unused-ignore]


def make_config(
    app: Any, *, log_level: str = "warning", certfile: str | None = None, keyfile: str | None = None
) -> uvicorn.Config:
    """uvicorn's settings for mockpit; with ``certfile`` (and ``keyfile`` unless the key is in it) it serves HTTPS."""
    config = uvicorn.Config(
        app,
        http=MockpitHttpToolsProtocol,
        proxy_headers=False,  # a mock shows the peer it sees; X-Forwarded-* stays a header to match on
        ws="none",
        lifespan="off",
        loop="none",
        interface="asgi3",
        access_log=False,
        log_level=log_level,
        log_config=None,  # leave the host program's logging set-up alone
        timeout_graceful_shutdown=int(GRACEFUL_SHUTDOWN_SECONDS),
        # uvicorn builds the SSLContext; startup(sockets=...) hands it to loop.create_server(ssl=...)
        ssl_certfile=certfile,
        ssl_keyfile=keyfile,
    )
    config.load()
    return config


async def serve(
    app: Any,
    sock: socket.socket,
    stop: asyncio.Event,
    *,
    on_ready: Callable[[], None] | None = None,
    log_level: str = "warning",
    certfile: str | None = None,
    keyfile: str | None = None,
) -> None:
    """Serve ``app`` on ``sock`` until ``stop`` is set, then close every connection and return.

    With ``certfile`` the connections speak TLS (HTTPS).
    """
    server = uvicorn.Server(make_config(app, log_level=log_level, certfile=certfile, keyfile=keyfile))
    server.lifespan = server.config.lifespan_class(server.config)
    await server.startup(sockets=[sock])
    await server.on_tick(0)  # sets the Date header
    if on_ready is not None:
        on_ready()
    ticks = 0
    while not stop.is_set():
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)
        ticks += 10
        await server.on_tick(ticks)  # once a second: refresh the Date header
    await _shutdown(server)


async def _shutdown(server: uvicorn.Server) -> None:
    for listener in server.servers:
        listener.close()
    state = server.server_state
    for connection in list(state.connections):
        connection.shutdown()  # idle keep-alive connections close now; busy ones after their response
    loop = asyncio.get_running_loop()
    deadline = loop.time() + GRACEFUL_SHUTDOWN_SECONDS
    # uvicorn's state has no event to wait on; a 1 ms poll ends within a tick of the last close
    while (state.connections or state.tasks) and loop.time() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.001)
    for task in list(state.tasks):
        task.cancel()
    for connection in list(state.connections):
        transport = getattr(connection, "transport", None)
        if transport is not None:
            transport.abort()
    for listener in server.servers:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(listener.wait_closed(), 1.0)
