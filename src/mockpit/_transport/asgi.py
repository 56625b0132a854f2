"""The ASGI app: the wire to the model and back. The only module that speaks ASGI.

It reads the body (bounded), builds a :class:`Request`, asks the engine (or the admin API, which a
front end plugs in) for a :class:`Response` and sends it. Nothing a request does can take it down:
a failure becomes a plain-text 500 and is recorded for the test to see.

Most responses go out as two ASGI messages. The rest cost ordinary ones nothing but a check:

- ``Response.dribble``: the body in N chunks spread over S seconds (``chunkedDribbleDelay``);
- ``Response.stream``: a body sent as its chunks arrive (proxying), stopped when the client leaves;
  Server-Sent Events (an :class:`EventStream`) are pumped by one task, watched by another;
- ``Response.reason`` and ``Response.fault`` need the connection below ASGI: the server offers it as
  a :class:`Wire` in ``scope["extensions"][WIRE]`` (:mod:`.wire` does). Under another ASGI
  server the standard phrase goes out and a fault becomes a 500 that says why.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Protocol

from mockpit._engine.engine import Engine
from mockpit._engine.sse import EventStream
from mockpit._model import Request, Response
from mockpit._protocols.websocket import Message, WebSocketClosed, WebSocketHub

from .log import TRANSPORT_LOG

#: answers requests under the admin prefix; the admin API is a front end, so it is plugged in
AdminHandler = Callable[[Request], Awaitable[Response]]

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

DEFAULT_MAX_BODY_SIZE = 10 * 1024 * 1024
_TEXT = [(b"content-type", b"text/plain; charset=utf-8")]

#: the ``scope["extensions"]`` key under which a server offers a request its :class:`Wire`
WIRE = "mockpit.wire"


class Wire(Protocol):
    """One request's connection below ASGI, for what ASGI cannot say."""

    def set_reason(self, reason: bytes) -> None:
        """Put ``reason`` into this response's status line instead of the standard phrase."""

    def linger(self) -> None:
        """Once this response is sent, read and discard what the client still sends (for a bounded time)
        before closing: a client still sending a refused body then reads the response, not a reset."""

    def take_over(self) -> asyncio.Transport:
        """Take the connection from the server: it writes and logs nothing more for this request."""


#: what MALFORMED_RESPONSE_CHUNK and RANDOM_DATA_THEN_CLOSE send: fixed, so that clients fail the same way
#: every run (as under WireMock, whose garbage is fixed too); neither a status line nor a chunk size
#: (it starts with a letter that is no hex digit) and no line end, so no parser can take it for HTTP
GARBAGE = b"mockpit-fault: ][}{ not-http;'./.,@#~ 7q0zx"
_CHUNKED_200 = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
# struct linger {on, seconds}: two ints, but two unsigned shorts on Windows
_LINGER_0 = struct.pack("HH" if sys.platform == "win32" else "ii", 1, 0)


class MockpitApp:
    def __init__(
        self,
        engine: Engine,
        *,
        admin: AdminHandler | None = None,
        admin_prefix: str = "/__admin",
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        websockets: WebSocketHub | None = None,
    ) -> None:
        self.engine = engine
        #: holds the WebSocket conversations; without it every WebSocket handshake is refused
        self.websockets = websockets
        self.admin = admin
        self.admin_prefix = admin_prefix
        self.max_body_size = max_body_size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind != "http":
            await self._not_http(scope, kind, receive, send)
            return
        body = b""
        limit = self.max_body_size
        headers = scope["headers"]
        # A request without Content-Length or Transfer-Encoding has no body (RFC 9112 6.3); not awaiting
        # receive() for it (every GET) saves a tenth of the time a request takes.
        has_body = False
        for name, value in headers:
            if name == b"content-length":
                if value != b"0":
                    has_body = True
                    # refused before a byte of it is read: the first receive() would send 100 Continue
                    if value.isdigit() and int(value) > limit:
                        await self._too_large(scope, send, int(value))
                        return
                break
            if name == b"transfer-encoding":
                has_body = True
                break
        while has_body:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            if chunk:
                body += chunk
                if len(body) > limit:
                    await self._too_large(scope, send, None)
                    return
            has_body = message.get("more_body", False)
        raw_path = scope.get("raw_path")
        request = Request.from_wire(
            scope["method"],
            raw_path.decode("latin-1") if raw_path else scope["path"],
            scope["query_string"].decode("latin-1"),
            headers,
            body,
            scope.get("client"),
            scope["scheme"],
        )
        try:
            path = request.path
            if (
                self.admin is not None
                and path.startswith(self.admin_prefix)
                and (len(path) == len(self.admin_prefix) or path[len(self.admin_prefix)] == "/")
            ):
                response = await self.admin(request)
            else:
                response = await self.engine.handle(request)
        except Exception as exc:
            self.engine.record_error(exc, request)
            await self._send_plain(
                send, 500, f"mockpit: internal error while answering this request: {type(exc).__name__}: {exc}\n"
            )
            return
        if response.fault is not None or response.stream is not None or response.dribble is not None:
            await self._send_unusual(scope, receive, send, request, response)
            return
        if response.reason is not None:
            set_reason(scope, response.reason)
        await send({"type": "http.response.start", "status": response.status, "headers": response.raw_headers()})
        await send({"type": "http.response.body", "body": response.body})

    async def _too_large(self, scope: Scope, send: Send, declared: int | None) -> None:
        """413, then the connection closes; the client may still be sending the body, so it lingers.

        ``declared`` is the body's Content-Length, when it was refused on that alone.
        """
        if TRANSPORT_LOG.isEnabledFor(logging.INFO):
            size = f"a body of {declared} bytes" if declared is not None else "a body sent in chunks"
            TRANSPORT_LOG.info(
                "%s %s -> 413, %s is over the limit of %d bytes (--max-body-size, max_body_size=)",
                scope["method"],
                scope["path"],
                size,
                self.max_body_size,
            )
        wire = _wire(scope)
        if wire is not None:
            wire.linger()
        await self._send_plain(
            send,
            413,
            f"mockpit: the request body is larger than the limit of {self.max_body_size} bytes; "
            "raise it with max_body_size= (or --max-body-size)\n",
            close=True,
        )

    async def _send_unusual(
        self, scope: Scope, receive: Receive, send: Send, request: Request, response: Response
    ) -> None:
        if response.fault is not None:
            await self._fault(scope, send, response.fault)
            return
        if response.reason is not None:
            set_reason(scope, response.reason)
        stream = response.stream
        if scope["method"] == "HEAD":  # no body to stream or dribble
            if stream is not None:
                await _close(stream)
            headers = response.raw_headers() if stream is None else _given_headers(response)
            await send({"type": "http.response.start", "status": response.status, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
        elif isinstance(stream, EventStream):
            await self._stream_events(scope, receive, send, request, response, stream)
        elif stream is not None:  # a stream goes out as it comes, even with a dribble
            await self._stream(scope, receive, send, request, response, stream)
        elif response.dribble is not None:
            await self._dribble(send, response, *response.dribble)

    async def _fault(self, scope: Scope, send: Send, fault: str) -> None:
        """Break the connection the way WireMock's ``fault`` does, instead of answering."""
        wire = _wire(scope)
        if wire is None:
            await self._send_plain(
                send,
                500,
                f"mockpit: the fault {fault} needs mockpit's own server (MockServer or mockpit serve); "
                "this ASGI server gives no access to the connection\n",
                close=True,
            )
            return
        transport = wire.take_over()
        if fault == "CONNECTION_RESET_BY_PEER":
            sock = transport.get_extra_info("socket")
            if sock is not None:  # closing with a zero linger sends RST instead of FIN (and skips TIME_WAIT)
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_0)
            transport.abort()
            return
        if fault == "MALFORMED_RESPONSE_CHUNK":
            transport.write(_CHUNKED_200 + GARBAGE)
        elif fault == "RANDOM_DATA_THEN_CLOSE":
            transport.write(GARBAGE)
        # EMPTY_RESPONSE writes nothing; close() sends what was written, then FIN
        transport.close()

    async def _dribble(self, send: Send, response: Response, chunks: int, seconds: float) -> None:
        """Send the body in ``chunks`` parts, one every ``seconds / chunks``.

        As WireMock does: never more parts than bytes, the remainder goes with the last part, and the
        status line and headers go out with the first part, one interval after the request. Unlike
        WireMock (chunked encoding) the Content-Length stays, so clients still know the size.
        """
        body = response.body
        parts = max(1, min(chunks, len(body)))
        size = len(body) // parts
        interval = max(0.0, seconds) / parts
        start = {"type": "http.response.start", "status": response.status, "headers": response.raw_headers()}
        for i in range(parts):
            await asyncio.sleep(interval)
            if i == 0:
                await send(start)
            last = i == parts - 1
            chunk = body[i * size :] if last else body[i * size : (i + 1) * size]
            await send({"type": "http.response.body", "body": chunk, "more_body": not last})

    async def _stream(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        request: Request,
        response: Response,
        stream: AsyncIterator[bytes],
    ) -> None:
        """Send ``stream``'s chunks as they arrive; stop and close it as soon as the client leaves.

        Content-Length goes out only if the response's headers have one (else chunked encoding). If the
        stream fails midway, the error is recorded and the connection dropped, so the client sees a
        truncated body rather than a complete-looking one.
        """
        headers = _given_headers(response)
        left = asyncio.ensure_future(_disconnected(receive))
        step: asyncio.Future[bytes] | None = None
        try:
            await send({"type": "http.response.start", "status": response.status, "headers": headers})
            iterator = stream.__aiter__()
            while True:
                step = asyncio.ensure_future(iterator.__anext__())
                await asyncio.wait((step, left), return_when=asyncio.FIRST_COMPLETED)
                if left.done():  # the client left (while the stream waited for its source, maybe)
                    return
                try:
                    chunk = step.result()
                except StopAsyncIteration:
                    break
                if chunk:
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
            left.cancel()  # before the last message: once the response is complete, receive() says disconnect
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except Exception as exc:
            self.engine.record_error(
                exc, request, f"mockpit: streaming the response failed: {type(exc).__name__}: {exc}"
            )
            wire = _wire(scope)
            if wire is None:
                raise  # the server drops the connection of a response it cannot finish
            wire.take_over().abort()
        finally:
            left.cancel()
            if step is not None:
                if not step.done():
                    step.cancel()  # the source's pending read ends with CancelledError inside it
                    await asyncio.wait((step,))  # unlike ``await step`` this leaves our own cancellation alone
                if not step.cancelled():
                    step.exception()  # seen: a source failing as its client left is no "never retrieved" warning
            await _close(stream)

    async def _stream_events(
        self, scope: Scope, receive: Receive, send: Send, request: Request, response: Response, stream: EventStream
    ) -> None:
        """Send Server-Sent Events as they are made; stop and close the stream as soon as the client leaves.

        Unlike :meth:`_stream`, which races every chunk against the client leaving, one task pumps the
        whole stream while another waits for the client to leave: events made back to back (a token
        stream with no delay) then cost one ``send`` each, as in a bare ASGI app.
        """
        left = asyncio.ensure_future(_disconnected(receive))
        pump = asyncio.ensure_future(_pump(send, response.status, _given_headers(response), stream))
        try:
            await asyncio.wait((pump, left), return_when=asyncio.FIRST_COMPLETED)
            if not pump.done():  # the client left
                return
            left.cancel()  # before the last message: once the response is complete, receive() says disconnect
            pump.result()
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except Exception as exc:
            self.engine.record_error(exc, request, f"mockpit: streaming the events failed: {type(exc).__name__}: {exc}")
            wire = _wire(scope)
            if wire is None:
                raise
            wire.take_over().abort()
        finally:
            left.cancel()
            if not pump.done():
                pump.cancel()  # the stream's pending step ends with CancelledError inside it
                await asyncio.wait((pump,))
            if not pump.cancelled():
                pump.exception()
            await _close(stream)

    async def _send_plain(self, send: Send, status: int, text: str, *, close: bool = False) -> None:
        body = text.encode("utf-8")
        headers = [*_TEXT, (b"content-length", str(len(body)).encode("ascii"))]
        if close:
            headers.append((b"connection", b"close"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _not_http(self, scope: Scope, kind: str, receive: Receive, send: Send) -> None:
        if kind == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        elif kind == "websocket":
            await self._websocket(scope, receive, send)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A WebSocket connection: accepted if a message stub takes its handshake, then its conversation."""
        if (await receive())["type"] != "websocket.connect":
            return
        raw_path = scope.get("raw_path")
        request = Request.from_wire(
            "GET",
            raw_path.decode("latin-1") if raw_path else scope["path"],
            scope["query_string"].decode("latin-1"),
            scope["headers"],
            b"",
            scope.get("client"),
            "https" if scope.get("scheme") == "wss" else "http",
        )
        hub = self.websockets
        # older uvicorns give the Sec-WebSocket-Protocol header values as sent ("a, b"), newer ones split
        offered = [name.strip() for value in scope.get("subprotocols") or () for name in value.split(",")]
        acceptance = hub.accept(request, offered) if hub is not None else None
        if hub is None or acceptance is None:
            report = (
                hub.refuse(request, offered)
                if hub is not None
                else "mockpit: this server takes no WebSocket connections\n"
            )
            await self._refuse_websocket(scope, send, report)
            return
        await send({"type": "websocket.accept", "subprotocol": acceptance.subprotocol})
        incoming = _Incoming(receive)

        async def send_message(message: Message) -> None:
            frame = {"type": "websocket.send", "text": message} if isinstance(message, str) else None
            try:
                await send(frame or {"type": "websocket.send", "bytes": message})
            except (OSError, RuntimeError) as exc:  # uvicorn: the client has gone, or the socket is closing
                raise WebSocketClosed(incoming.close_code or 1006) from exc

        async def close(code: int, reason: str) -> None:
            with contextlib.suppress(OSError, RuntimeError):  # already closing: nothing more to say
                await send({"type": "websocket.close", "code": code, "reason": reason})

        await hub.converse(request, acceptance, incoming, send_message, close)

    async def _refuse_websocket(self, scope: Scope, send: Send, report: str) -> None:
        """404 with the near-miss report, where the server lets an app answer a handshake (ASGI's
        ``websocket.http.response``); else a refusal (uvicorn sends 403)."""
        if "websocket.http.response" not in (scope.get("extensions") or {}):
            await send({"type": "websocket.close", "code": 1008})
            return
        # no headers of our own: uvicorn adds text/plain and the length (before 0.5x it adds them whatever
        # the app sends, and a second Content-Length makes clients drop the answer)
        await send({"type": "websocket.http.response.start", "status": 404, "headers": []})
        await send({"type": "websocket.http.response.body", "body": report.encode("utf-8")})


class _Incoming:
    """A connection's messages as an async iterator; it ends when the client disconnects (its code kept)."""

    def __init__(self, receive: Receive) -> None:
        self._receive = receive
        self.close_code: int | None = None

    def __aiter__(self) -> _Incoming:
        return self

    async def __anext__(self) -> Message:
        if self.close_code is not None:
            raise StopAsyncIteration
        while True:
            message = await self._receive()
            kind = message["type"]
            if kind == "websocket.receive":
                text = message.get("text")
                return text if text is not None else message.get("bytes") or b""
            if kind == "websocket.disconnect":
                self.close_code = message.get("code", 1005)
                raise StopAsyncIteration


def _wire(scope: Scope) -> Wire | None:
    extensions = scope.get("extensions")
    return extensions.get(WIRE) if extensions else None


def set_reason(scope: Scope, reason: str) -> None:
    """Send ``reason`` as the status line's phrase (WireMock's ``statusMessage``).

    ASGI has no field for it; the server's :class:`Wire` writes it. Under another server the standard
    phrase goes out.
    """
    wire = _wire(scope)
    if wire is not None:
        wire.set_reason(reason.encode("latin-1", "replace"))


def _given_headers(response: Response) -> list[tuple[bytes, bytes]]:
    """The headers as given: for a stream, no Content-Length made up from its (empty) ``body``."""
    return [(name.encode("latin-1"), value.encode("latin-1")) for name, value in response.headers]


async def _close(stream: AsyncIterator[bytes]) -> None:
    """Close an async generator (or anything with ``aclose``); its failure to close is not the client's."""
    aclose = getattr(stream, "aclose", None)
    if aclose is not None:
        with contextlib.suppress(Exception):
            await aclose()


async def _pump(send: Send, status: int, headers: list[tuple[bytes, bytes]], stream: AsyncIterator[bytes]) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    async for chunk in stream:
        if chunk:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})


async def _disconnected(receive: Receive) -> None:
    """Returns once the client has gone (ASGI's ``http.disconnect``)."""
    while (await receive())["type"] != "http.disconnect":
        pass
