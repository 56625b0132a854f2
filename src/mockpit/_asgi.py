"""The ASGI app: the wire to the model and back. The only module that speaks ASGI.

It reads the body (bounded), builds a :class:`Request`, asks the engine (or the admin API, which a
front end plugs in) for a :class:`Response` and sends it. Nothing a request does can take it down:
a failure becomes a plain-text 500 and is recorded for the test to see.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from ._engine import Engine
from ._model import Request, Response

#: answers requests under the admin prefix; the admin API is a front end, so it is plugged in
AdminHandler = Callable[[Request], Awaitable[Response]]

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

DEFAULT_MAX_BODY_SIZE = 10 * 1024 * 1024
_TEXT = [(b"content-type", b"text/plain; charset=utf-8")]


class MockpitApp:
    def __init__(
        self,
        engine: Engine,
        *,
        admin: AdminHandler | None = None,
        admin_prefix: str = "/__admin",
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    ) -> None:
        self.engine = engine
        self.admin = admin
        self.admin_prefix = admin_prefix
        self.max_body_size = max_body_size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind != "http":
            await self._not_http(kind, receive, send)
            return
        body = b""
        limit = self.max_body_size
        headers = scope["headers"]
        # A request without Content-Length or Transfer-Encoding has no body (RFC 9112 6.3); not awaiting
        # receive() for it (every GET) saves a tenth of the time a request takes.
        has_body = False
        for name, value in headers:
            if (name == b"content-length" and value != b"0") or name == b"transfer-encoding":
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
                    await self._send_plain(
                        send,
                        413,
                        f"mockpit: the request body is larger than the limit of {limit} bytes; "
                        "raise it with max_body_size= (or --max-body-size)\n",
                        close=True,
                    )
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
        if response.reason is not None:
            set_reason(send, response.reason)
        await send({"type": "http.response.start", "status": response.status, "headers": response.raw_headers()})
        await send({"type": "http.response.body", "body": response.body})

    async def _send_plain(self, send: Send, status: int, text: str, *, close: bool = False) -> None:
        body = text.encode("utf-8")
        headers = [*_TEXT, (b"content-length", str(len(body)).encode("ascii"))]
        if close:
            headers.append((b"connection", b"close"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _not_http(self, kind: str, receive: Receive, send: Send) -> None:
        if kind == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        elif kind == "websocket":
            await send({"type": "websocket.close", "code": 1003})


def set_reason(send: Send, reason: str) -> None:
    """Send ``reason`` as the status line's phrase (WireMock's ``statusMessage``).

    ASGI has no field for it. uvicorn's ``send`` is a bound method of the request's cycle, which owns
    the transport: for this one response, a wrapper rewrites the status line as it is written. Under
    another server the standard phrase goes out.
    """
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is not None:
        cycle.transport = ReasonWriter(transport, reason.encode("latin-1", "replace"))  # type: ignore[union-attr]


class ReasonWriter:
    """Stands in for a transport for one response to put a custom phrase into its status line."""

    __slots__ = ("_reason", "_transport")

    def __init__(self, transport: Any, reason: bytes) -> None:
        self._transport = transport
        self._reason = reason

    def write(self, data: bytes) -> None:
        if self._reason and data.startswith(b"HTTP/"):
            end = data.index(b"\r\n")
            version, code, _ = data[:end].split(b" ", 2)
            data = b" ".join((version, code, self._reason)) + data[end:]
            self._reason = b""
        self._transport.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)
