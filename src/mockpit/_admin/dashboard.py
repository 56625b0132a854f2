"""The web dashboard at ``/__admin/ui``: its static files, the live request stream and the stub summaries.

The page and its assets are package data (``ui/``), sent with a strict Content-Security-Policy (scripts
and styles from this server only, no inline script, no framing). They hold no data, so they need no
token (the page asks for it and sends it on its own calls); everything else the page reads goes
through the admin API and its access rules.

The live log is a Server-Sent Events stream (``/dashboard/events``) that the page reads with
``fetch``, so it can send ``Authorization`` (``EventSource`` cannot). A stream subscribes to the
engine's listeners only while a page is connected: with no dashboard open, serving costs nothing more.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator
from importlib import resources
from typing import Any

from mockpit._engine.engine import Engine
from mockpit._engine.journal import ServeEvent
from mockpit._mapping.files import MappingFiles
from mockpit._model import Request, Response, Stub

from .params import int_param, query_parameters
from .router import AdminError, json_response
from .shapes import serve_event_to_json

#: the policy of every dashboard response: nothing inline, nothing from elsewhere, never in a frame
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_SECURITY_HEADERS = [
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    ("Cache-Control", "no-cache"),
]
_TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
# events held for a slow page before the newest are dropped (the page reloads the journal then)
_QUEUE = 1000
# a comment this often keeps proxies and the page's watchdog from taking a quiet stream for a dead one
_KEEP_ALIVE_S = 15.0
# what a stream's queue holds besides serve events: "some were dropped", "the server is stopping"
_OVERFLOW = object()
_END = object()


class Dashboard:
    """The dashboard's routes over ``engine``: the page, its assets, the live stream, stub summaries."""

    def __init__(self, engine: Engine, files: MappingFiles, prefix: str, *, show_credentials: bool = False) -> None:
        self.engine = engine
        self.files = files
        self.prefix = prefix
        self.show = show_credentials
        self._assets: dict[str, Response] = {}
        self._streams: set[asyncio.Queue[ServeEvent | object]] = set()

    # --- the page ----------------------------------------------------------------------------------

    def page(self, request: Request, _: dict[str, str]) -> Response:
        return self._asset("index.html")

    def asset(self, request: Request, params: dict[str, str]) -> Response:
        return self._asset(params["asset"])

    def _asset(self, name: str) -> Response:
        cached = self._assets.get(name)
        if cached is not None:
            return cached
        folder = resources.files(__package__).joinpath("ui")
        # only the files in ui/ by their own names: a name like "..%2Fapi.py" is one segment, and no file
        names = {entry.name for entry in folder.iterdir() if entry.is_file()}
        suffix = name[name.rfind(".") :] if "." in name else ""
        if name not in names or suffix not in _TYPES:
            raise AdminError(404, "Not found", f"the dashboard has no file {name!r}")
        body = folder.joinpath(name).read_bytes()
        if name == "index.html":  # the page names its assets and the API under this server's prefix
            body = body.replace(b"/__admin", self.prefix.encode("utf-8"))
        content_type = _TYPES[suffix] + ("; charset=utf-8" if suffix != ".svg" else "")
        response = Response(200, body, headers=[("Content-Type", content_type), *_SECURITY_HEADERS])
        self._assets[name] = response
        return response

    def root(self, request: Request, listing: Response) -> Response:
        """``GET /__admin/``: the stub listing WireMock's clients read, pointing browsers to the dashboard."""
        if "text/html" in request.headers.get("accept", ""):
            response = Response(302, b"", headers=[("Location", f"{self.prefix}/ui")])
        else:
            response = listing
        response.headers.append(("Link", f'<{self.prefix}/ui>; rel="alternate"; type="text/html"'))
        return response

    # --- the live log ------------------------------------------------------------------------------

    def events(self, request: Request, _: dict[str, str]) -> Response:
        headers = [
            ("Content-Type", "text/event-stream; charset=utf-8"),
            ("Cache-Control", "no-store"),
            ("X-Accel-Buffering", "no"),  # nginx and friends: pass each event on at once
            ("X-Content-Type-Options", "nosniff"),
        ]
        return Response(200, b"", headers=headers, stream=self._stream())

    async def _stream(self) -> AsyncIterator[bytes]:
        loop = asyncio.get_running_loop()
        thread = threading.get_ident()
        queue: asyncio.Queue[ServeEvent | object] = asyncio.Queue()

        def put(event: ServeEvent) -> None:
            if queue.qsize() < _QUEUE:
                queue.put_nowait(event)
            elif queue.qsize() == _QUEUE:
                queue.put_nowait(_OVERFLOW)  # the page reloads the journal

        def listener(event: ServeEvent) -> None:
            if threading.get_ident() == thread:
                put(event)
            else:  # an engine serving on another loop than this stream's
                loop.call_soon_threadsafe(put, event)

        self.engine.listeners.append(listener)
        self._streams.add(queue)
        try:
            yield b"retry: 2000\n: connected\n\n"
            while True:
                try:
                    event = await asyncio.wait_for(queue.get(), _KEEP_ALIVE_S)
                except asyncio.TimeoutError:
                    yield b": keep-alive\n\n"
                    continue
                if event is _END:
                    return
                if event is _OVERFLOW:
                    yield b"event: overflow\ndata: {}\n\n"
                    continue
                assert isinstance(event, ServeEvent)
                data = json.dumps(serve_event_to_json(event, show_credentials=self.show), ensure_ascii=False)
                yield f"event: request\nid: {event.id}\ndata: {data}\n\n".encode()
        finally:
            self._streams.discard(queue)
            self.engine.listeners.remove(listener)

    def close(self) -> None:
        """End the open live streams, on the server's loop: a stopping server waits for open responses."""
        for queue in self._streams:
            queue.put_nowait(_END)

    # --- the stub list -----------------------------------------------------------------------------

    def stubs(self, request: Request, _: dict[str, str]) -> Response:
        """One page of stub summaries, searched by name, method, URL and metadata: light enough for 10,000."""
        query = query_parameters(request)
        words = query.get("search", [""])[0].lower().split()
        offset = int_param(request, "offset") or 0
        limit = int_param(request, "limit")
        found = [stub for stub in self.engine.stubs() if not words or _fits(stub, words)]
        page = found[offset:] if limit is None else found[offset : offset + limit]
        return json_response({"stubs": [self._summary(stub) for stub in page], "meta": {"total": len(found)}})

    def _summary(self, stub: Stub) -> dict[str, Any]:
        file = self.files.file_of(stub)
        metadata = dict(stub.metadata or {})
        out: dict[str, Any] = {
            "id": stub.id,
            "name": stub.name,
            "method": stub.request.method,
            "url": stub.request.url.value,
            "urlKind": stub.request.url.kind,
            "status": stub.response.status,
            "priority": stub.priority,
            "persistent": bool(stub.persistent),
            "file": str(file) if file is not None else None,
            "scenarioName": stub.scenario_name,
            "metadata": metadata,
        }
        if "openapi" in metadata:
            out["openapi"] = metadata["openapi"]
        return out


def _fits(stub: Stub, words: list[str]) -> bool:
    text = " ".join(
        (
            stub.name or "",
            stub.request.method,
            stub.request.url.value or "",
            stub.id,
            json.dumps(stub.metadata, default=str) if stub.metadata else "",
        )
    ).lower()
    return all(word in text for word in words)
