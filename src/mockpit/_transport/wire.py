"""The connection below ASGI, for uvicorn: mockpit's protocol, which offers each request its wire and
holds each client to the :class:`~.limits.ConnectionLimits`.

Faults and custom status phrases need the connection below ASGI. mockpit's protocol (uvicorn's
httptools protocol, subclassed) offers each request a :class:`UvicornWire` in
``scope["extensions"]["mockpit.wire"]``; :mod:`.asgi` uses it through its :class:`~.asgi.Wire`
interface and never touches uvicorn's objects itself.

The limits cost a request nothing on its way through: connections beyond the cap are turned away as
they open, and the timeouts are checked by :meth:`MockpitHttpToolsProtocol.check_time`, which
:mod:`.serve` calls for every connection a few times a second. It reads the state uvicorn keeps anyway
(the request's cycle, whether its body is complete) and notes when it first saw it, so the hot path sets
no timer and reads no clock.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Any

import httptools
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol, RequestResponseCycle
from uvicorn.server import ServerState

from .asgi import WIRE
from .limits import MAX_CONNECTIONS, ConnectionLimits
from .linger import LingeringTransport, linger
from .log import TRANSPORT_LOG, UvicornLog, peer

#: uvicorn's protocol says what it says through this, under mockpit's name (one for all connections)
_UVICORN_LOG = UvicornLog()

#: how long a connection turned away (503) or timed out (408) is read from before it closes: time for the
#: client to finish sending what it had started, so that it reads the answer rather than a reset
TURN_AWAY_SECONDS = 1.0
#: connections beyond the cap that may linger at once; past that they are dropped as they open (no
#: 503), so that a flood of connections cannot use up the files the cap keeps free
_TURNING_AWAY = 64

# what a connection is doing, as check_time() sees it
_HEAD = 0  # waiting for a request's head: the first, or the next after a response has begun to arrive
_BODY = 1  # reading a request's body
_ANSWERING = 2  # the app has the request: its time is the stub's (delays, proxying), not the client's
_IDLE = 3  # kept alive after a response, nothing of the next request yet


class MockpitHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, offering each request its :class:`UvicornWire` as an ASGI extension,
    and enforcing :class:`~.limits.ConnectionLimits`.

    Relies on what uvicorn's httptools protocol has kept from 0.35 to 0.5x (0.30 too): ``on_headers_complete``
    makes the request's ``RequestResponseCycle`` (``self.cycle``) for ``self.scope`` before its task
    first runs, ``on_message_begin`` makes a new ``self.scope``, the cycle's ``transport``,
    ``disconnected``, ``more_body``, ``response_complete`` and ``message_event`` attributes, and the
    protocol's ``pipeline``, ``connections`` and ``server_state.default_headers``.
    """

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
        *,
        limits: ConnectionLimits = ConnectionLimits(),  # noqa: B008 - frozen, so one shared default is safe
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.logger = _UVICORN_LOG  # type: ignore[assignment]
        self.access_log = False  # mockpit's console logs requests from the engine, with their stub
        self.limits = limits
        self.max_connections = max_connections
        #: body bytes received on this connection, all requests together
        self.body_bytes = 0
        # what check_time() saw last, since when (loop time), and body_bytes then
        self._phase = _HEAD
        self._phase_cycle: RequestResponseCycle | None = None
        self._since = 0.0
        self._mark = 0
        self._refused = False  # a malformed request was answered with 400: nothing more is parsed
        self._eof = False  # the client has sent all it will (it half-closed)
        #: the request being answered when others were first queued behind it (pipelining)
        self._answering: RequestResponseCycle | None = None
        #: bytes still to come of the body of a request whose Upgrade was ignored (see data_received)
        self._upgrade_body_left = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.transport = _CorkedTransport(transport, self.loop)  # type: ignore[assignment]
        self._since = self.loop.time()
        count = len(self.connections)  # this one included
        if count > self.max_connections:
            if count > self.max_connections + _TURNING_AWAY:
                transport.abort()
                return
            self._answer_and_close(
                503,
                f"mockpit: too many connections: this server holds at most {self.max_connections} at once "
                "(max_connections= or --max-connections); try again later\n",
                retry_after=True,
            )

    def on_headers_complete(self) -> None:
        previous = self.cycle
        super().on_headers_complete()
        cycle = self.cycle
        if cycle is not None and cycle.scope is self.scope:  # else an upgrade, which made no cycle
            scope: Any = self.scope  # a TypedDict that does not know the extensions mockpit adds
            extensions: dict[str, Any] | None = scope.get("extensions")
            wire = UvicornWire(cycle)
            scope["extensions"] = {**extensions, WIRE: wire} if extensions else {WIRE: wire}
            if self.pipeline and len(self.pipeline) == 1:  # the first request queued behind the one answering
                self._answering = previous

    def connection_lost(self, exc: Exception | None) -> None:
        # uvicorn tells only the newest request that its client has gone; one answering while others
        # wait behind it would write to the closed transport, which raises under uvloop
        answering = self._answering
        if answering is not None and not answering.response_complete:
            _give_up(answering)
        super().connection_lost(exc)

    def on_body(self, body: bytes) -> None:
        self.body_bytes += len(body)
        super().on_body(body)

    def data_received(self, data: bytes) -> None:
        """uvicorn's, but a request asking to upgrade to anything but WebSocket is answered as HTTP/1.1.

        RFC 9110 7.8 lets a server ignore ``Upgrade``. Java's HttpClient sends ``Upgrade: h2c`` with every
        request on an http:// URL; the parser stops at such a request's head, so uvicorn would hand the app
        an empty body and read the body as the next request. Here the body is read by length, and a new
        parser takes what follows.
        """
        if self._upgrade_body_left:
            data = self._take_upgrade_body(data)
            if not data:
                return
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            msg = "Invalid HTTP request received."
            self.logger.warning(msg)
            self.send_400_response(msg)
        except httptools.HttpParserUpgrade as upgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._ignore_upgrade(data[upgrade.args[0] :])

    def _ignore_upgrade(self, rest: bytes) -> None:
        self.parser = httptools.HttpRequestParser(self)  # the upgraded one parses nothing more
        cycle = self.cycle
        length = next((value for name, value in self.headers if name == b"content-length"), b"0")
        if any(name == b"transfer-encoding" for name, _ in self.headers) or not length.isdigit():
            if cycle is not None:
                cycle.more_body = True  # its body is what is refused: the 400 is this request's answer
            self.send_400_response(
                "A request asking to upgrade (to h2c ...) needs a Content-Length: mockpit answers it in "
                "HTTP/1.1 and cannot read a chunked body after such a head; send it without Upgrade"
            )
            return
        if cycle is not None and int(length):
            cycle.more_body = True  # the parser called the message complete at its head
            self._upgrade_body_left = int(length)
            rest = self._take_upgrade_body(rest)
        if rest:
            self.data_received(rest)

    def _take_upgrade_body(self, data: bytes) -> bytes:
        """Hand the app up to the rest of an ignored-upgrade request's body; returns what follows it."""
        left = self._upgrade_body_left
        body, after = data[:left], data[left:]
        if body:
            self.on_body(body)
        self._upgrade_body_left = left - len(body)
        if not self._upgrade_body_left and self.cycle is not None:
            self.cycle.more_body = False
            self.cycle.message_event.set()
        return after

    def eof_received(self) -> bool:  # type: ignore[override]  # asyncio.Protocol says bool | None
        """The client has sent all it will (a half-close, as ``nc -N`` does): answer it, then close.

        uvicorn closes at once, which loses the answers; and under uvloop an answer written between that
        close and ``connection_lost`` raises, a traceback in the log. An answer already going out (a
        stream, a dribble) stops: a client that has gone away sends the same EOF.
        """
        self._eof = True
        cycle = self.cycle
        if cycle is None or cycle.response_complete:
            return False  # nothing asked, or a head that can no longer be completed
        if cycle.response_started:
            # a stream or a dribble: a client that has left looks just the same, and its source must stop
            _give_up(cycle)
            return False
        tls = self.scheme == "https"  # TLS cannot stay half-open: there the answers are given up
        if self._refused and not tls:
            return True  # a 400 goes out after the answers ahead of it, and closes
        if cycle.more_body or tls:  # nor can this body be completed: its app hears that the client has gone
            _give_up(cycle)
            if not self.pipeline or tls:
                return False
        cycle.keep_alive = False  # close once the last answer is out
        return True

    def send_400_response(self, msg: str) -> None:
        """Answer a malformed request with 400 in its turn: after the requests pipelined ahead of it.

        uvicorn answers at once and closes, so a client read the 400 as the answer to a valid request
        before it, whose own answer was lost (or, written after the close, raised under uvloop).
        """
        if self._refused:  # the parser stays broken: every later read fails again
            return
        self._refused = True
        text = f"mockpit: {msg[:1].lower()}{msg[1:]}\n"
        cycle = self.cycle
        if cycle is None or cycle.response_complete:
            self._answer_and_close(400, text)
        elif cycle.more_body:  # the broken part is this request's body: the 400 is its answer
            if self.pipeline:  # it waits behind others: it runs an app that answers 400
                self._log_refusal(400, f"{text.strip()} (in the body of {_request_line(cycle)})")
                self.pipeline[0] = (cycle, _refusal(text))
            else:
                _give_up(cycle)
                self._answer_and_close(400, text)
        else:  # a request after this one is broken: its 400 follows this one's answer
            answered = cycle.on_response

            def then_refuse() -> None:
                answered()
                if not self.transport.is_closing():
                    self._unset_keepalive_if_required()
                    self._answer_and_close(400, text)

            cycle.on_response = then_refuse

    # --- limits ------------------------------------------------------------------------------------

    def check_time(self, now: float) -> None:
        """Cut this connection off if its client is past its time (``now`` is the loop's time).

        Called every :attr:`~.limits.ConnectionLimits.check_interval` seconds. A phase is timed from
        when this first saw it (the connection's opening for the first head), so a timeout is noticed
        between its limit and its limit plus two intervals.
        """
        transport = self.transport
        if transport.is_closing() or transport.get_protocol() is not self:  # closing, or lingering
            return
        cycle = self.cycle
        if cycle is not None and cycle.disconnected and not self.pipeline:
            transport.close()  # its client sent EOF mid-body (eof_received) behind requests now answered
            return
        if cycle is None or cycle.response_complete:
            # self.scope is made as a request begins to arrive, the cycle's when its head is complete
            phase = _IDLE if cycle is not None and self.scope is cycle.scope else _HEAD
        elif cycle.more_body and not self.pipeline:  # a pipelined request waits: the one before is answering
            phase = _BODY
        else:
            phase = _ANSWERING
        if phase != self._phase or cycle is not self._phase_cycle:
            self._phase, self._phase_cycle, self._since, self._mark = phase, cycle, now, self.body_bytes
            return
        elapsed = now - self._since
        limits = self.limits
        if phase == _HEAD:
            if elapsed <= limits.head_timeout:
                return
            begun: object = self.scope  # None (uvicorn's annotation says otherwise) until a request begins
            if begun is None:  # not a byte: nobody to answer (a client about to send would read a 408)
                transport.close()
                return
            self._answer_and_close(
                408,
                f"mockpit: the request's line and headers did not all arrive within {limits.head_timeout:g} s "
                "(head_timeout= or --head-timeout)\n",
            )
        elif phase == _IDLE:
            # uvicorn's keep-alive timer closes an idle connection; data that starts no request (blank
            # lines) stops that timer without starting another, and this closes the connection instead
            if elapsed > limits.idle_timeout:
                transport.close()
        elif phase == _BODY and elapsed >= limits.body_timeout:
            received = self.body_bytes - self._mark
            if received >= max(1.0, limits.min_body_rate * elapsed):
                self._since, self._mark = now, self.body_bytes
                return
            _give_up(cycle)
            self._answer_and_close(
                408,
                f"mockpit: the request's body came too slowly: {received} bytes in {elapsed:.1f} s; it must "
                f"bring at least {limits.min_body_rate:g} bytes a second (and no pause over "
                f"{limits.body_timeout:g} s: body_timeout= and min_body_rate=, or --body-timeout and "
                "--min-body-rate)\n",
            )

    def _log_refusal(self, status: int, text: str) -> None:
        if TRANSPORT_LOG.isEnabledFor(logging.INFO):
            reason = text.strip().removeprefix("mockpit: ").rstrip(".")
            TRANSPORT_LOG.info("%s -> %d, %s; the connection is closed", peer(self.client), status, reason)

    def _answer_and_close(self, status: int, text: str, *, retry_after: bool = False) -> None:
        """Send a plain-text answer of mockpit's own (no request reaches the app), then close, lingering."""
        self._log_refusal(status, text)
        body = text.encode("utf-8")
        head = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            head += [name, b": ", value, b"\r\n"]
        head.append(b"content-type: text/plain; charset=utf-8\r\ncontent-length: %d\r\n" % len(body))
        if retry_after:
            head.append(b"retry-after: 1\r\n")
        head.append(b"connection: close\r\n\r\n")
        self.transport.write(b"".join(head) + body)
        if self._eof:  # the client has sent all it will: nothing to wait for
            self.transport.close()
        else:
            linger(self.transport, TURN_AWAY_SECONDS)

    def linger_after_response(self, cycle: RequestResponseCycle) -> None:
        """Make the close that ends ``cycle``'s response linger, for as long as a body may take to arrive."""
        if self._eof:  # the client has sent all it will: nothing to wait for
            return
        lingering = LingeringTransport(self.transport, self.limits.body_timeout)
        # both: the cycle closes the transport after its response; the protocol then sees it closing,
        # so it neither reads on nor starts a pipelined request
        cycle.transport = lingering  # type: ignore[assignment]
        self.transport = lingering  # type: ignore[assignment]


def _request_line(cycle: RequestResponseCycle) -> str:
    scope = cycle.scope
    return f"{scope['method']} {scope['path']}"


def _refusal(text: str) -> Any:
    """An ASGI app that answers 400 with ``text`` and closes: for a request found malformed in its body."""
    body = text.encode("utf-8")
    start = {
        "type": "http.response.start",
        "status": 400,
        "headers": [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", b"%d" % len(body)),
            (b"connection", b"close"),
        ],
    }

    async def refuse(scope: Any, receive: Any, send: Any) -> None:
        await send(start)
        await send({"type": "http.response.body", "body": body})

    return refuse


def _give_up(cycle: RequestResponseCycle) -> None:
    """Tell ``cycle``'s app that its client has gone: it reads nothing more, and nothing it sends goes out
    (not even the ``100 Continue`` its first read would send)."""
    cycle.disconnected = True
    cycle.waiting_for_100_continue = False
    cycle.message_event.set()


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

    def linger(self) -> None:
        cycle = self._alive()
        protocol = cycle.transport.get_protocol()
        if isinstance(protocol, MockpitHttpToolsProtocol):
            protocol.linger_after_response(cycle)

    def take_over(self) -> asyncio.Transport:
        cycle = self._alive()
        # what uvicorn sets when the peer leaves: it then writes nothing more for this request (no 500
        # for a response never started) and logs nothing
        cycle.disconnected = True
        transport: Any = cycle.transport
        if isinstance(transport, _ReasonWriter):
            transport = transport.transport
        if isinstance(transport, _CorkedTransport):
            transport = transport.uncorked()
        return transport  # type: ignore[no-any-return]


class _CorkedTransport:
    """A connection's transport that sends a response's head with the first part of its body.

    uvicorn writes the status line and headers, then the body, in two writes: two send() calls per
    response. A head is held back here until the next write (then both go out in one ``writelines``,
    one system call under uvloop) or, at the latest, the loop's next turn; any other use of the
    transport sends it first, so that nothing else changes. Measured on the POST echo: see the commit.
    """

    __slots__ = ("_head", "_loop", "transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self.transport = transport
        self._loop = loop
        self._head: bytes | None = None

    def write(self, data: bytes) -> None:
        head = self._head
        if head is not None:
            self._head = None
            self.transport.writelines((head, data))
        elif data[:9] == b"HTTP/1.1 " and data[9:13] != b"100 ":  # a head, not an interim 100 Continue
            self._head = data
            self._loop.call_soon(self.flush)
        else:
            self.transport.write(data)

    def flush(self) -> None:
        head = self._head
        if head is not None:
            self._head = None
            if not self.transport.is_closing():  # the client may have gone since (uvloop raises then)
                self.transport.write(head)

    def uncorked(self) -> asyncio.Transport:
        self.flush()
        return self.transport

    def __getattr__(self, name: str) -> Any:
        self.flush()
        return getattr(self.transport, name)


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
