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
        while True:
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
            if not message.get("more_body", False):
                break
        raw_path = scope.get("raw_path")
        request = Request.from_wire(
            scope["method"],
            raw_path.decode("latin-1") if raw_path else scope["path"],
            scope["query_string"].decode("latin-1"),
            scope["headers"],
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
            set_reason(scope, response.reason)
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


def set_reason(scope: Scope, reason: str) -> None:
    """Send ``reason`` as the status line's phrase (WireMock's ``statusMessage``).

    ASGI has no field for it, so mockpit's protocol (see ``_uvicorn.py``) puts a hook in the scope.
    """
    hook = scope.get("mockpit.set_reason")
    if hook is not None:
        hook(reason)
