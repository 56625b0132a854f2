"""Running the ASGI app under uvicorn: socket, event loop, settings, start-up and a fast shutdown.

uvicorn's ``Server.serve()`` polls for shutdown every 100 ms and its ``shutdown()`` always sleeps
100 ms; a test suite starts and stops servers hundreds of times, so mockpit drives ``startup()`` and
``on_tick()`` itself and shuts down as soon as the connections are gone. The connections speak
mockpit's protocol (:mod:`.wire`), which gives the app the connection below ASGI and holds clients to
the :class:`~.limits.ConnectionLimits`; the loop here asks each connection a few times a second whether
its client is past its time.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import socket
import sys
from collections.abc import Callable
from functools import partial
from typing import Any, cast

import uvicorn

from .limits import ConnectionLimits
from .log import UvicornLog
from .wire import MockpitHttpToolsProtocol

GRACEFUL_SHUTDOWN_SECONDS = 3.0


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
    app: Any,
    *,
    log_level: str | None = None,
    certfile: str | None = None,
    keyfile: str | None = None,
    limits: ConnectionLimits | None = None,
    max_message_size: int = 16 * 1024 * 1024,
) -> uvicorn.Config:
    """uvicorn's settings for mockpit; with ``certfile`` (and ``keyfile`` unless the key is in it) it serves HTTPS."""
    limits = ConnectionLimits() if limits is None else limits
    # uvicorn makes each connection's protocol with keywords of its own; these add the limits, with the
    # cap worked out once (it reads the open-file limit)
    protocol = partial(MockpitHttpToolsProtocol, limits=limits, max_connections=limits.connection_cap)
    config = uvicorn.Config(
        app,
        http=cast("type[MockpitHttpToolsProtocol]", protocol),
        # annotated int, but handed to loop.call_later, which takes any number of seconds
        timeout_keep_alive=cast("int", limits.idle_timeout),
        # not limit_concurrency: it counts only at a request's head, so connections that send nothing
        # are never turned away; MockpitHttpToolsProtocol caps connections as they open
        proxy_headers=False,  # a mock shows the peer it sees; X-Forwarded-* stays a header to match on
        ws="none",  # see below: set once loaded
        ws_max_size=max_message_size,
        server_header=False,  # WireMock's clients, and users, have no business with the transport
        lifespan="off",
        loop="none",
        interface="asgi3",
        # True and None leave uvicorn's loggers alone (False empties uvicorn.access, a level sets uvicorn.error's):
        # the host program's uvicorn is none of mockpit's business. The protocol logs through
        # mockpit.transport and keeps no access log (wire.py)
        access_log=True,
        log_level=log_level,
        log_config=None,
        timeout_graceful_shutdown=int(GRACEFUL_SHUTDOWN_SECONDS),
        # uvicorn builds the SSLContext; startup(sockets=...) hands it to loop.create_server(ssl=...)
        ssl_certfile=certfile,
        ssl_keyfile=keyfile,
    )
    config.load()
    # WebSocket handshakes go to uvicorn's sans-I/O protocol, imported on the first one: it costs 75 ms
    # to import, which a server without WebSocket stubs (most) must not pay at start-up
    if importlib.util.find_spec("websockets") is not None:
        config.ws_protocol_class = cast("type[asyncio.Protocol]", _websocket_protocol)
    return config


def _websocket_protocol(**kwargs: Any) -> asyncio.Protocol:
    from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

    protocol = WebSocketsSansIOProtocol(**kwargs)
    protocol.logger = UvicornLog()  # type: ignore[assignment]  # under mockpit.transport, as the HTTP protocol's
    return protocol


async def serve(
    app: Any,
    sock: socket.socket,
    stop: asyncio.Event,
    *,
    on_ready: Callable[[], None] | None = None,
    log_level: str | None = None,
    certfile: str | None = None,
    keyfile: str | None = None,
    limits: ConnectionLimits | None = None,
) -> None:
    """Serve ``app`` on ``sock`` until ``stop`` is set, then close every connection and return.

    With ``certfile`` the connections speak TLS (HTTPS).
    """
    limits = ConnectionLimits() if limits is None else limits
    config = make_config(app, log_level=log_level, certfile=certfile, keyfile=keyfile, limits=limits)
    server = uvicorn.Server(config)
    server.lifespan = server.config.lifespan_class(server.config)
    await server.startup(sockets=[sock])
    await server.on_tick(0)  # sets the Date header
    if on_ready is not None:
        on_ready()
    loop = asyncio.get_running_loop()
    interval = limits.check_interval
    ticks = 0
    next_tick = loop.time() + 1.0
    connections = server.server_state.connections
    while not stop.is_set():
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)
        now = loop.time()
        for connection in list(connections):
            if isinstance(connection, MockpitHttpToolsProtocol):
                connection.check_time(now)
        if now >= next_tick:  # once a second: refresh the Date header
            ticks += 10
            next_tick = now + 1.0
            await server.on_tick(ticks)
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
