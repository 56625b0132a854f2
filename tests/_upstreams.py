"""Upstreams: the servers a mock under test talks to, for proxying, webhooks and recording.

An upstream is usually a second :class:`MockServer` (the conftest's ``echo_upstream`` answers every request
with :func:`echo`; a module that needs stubs of its own starts one with them). Where the wire itself is
the point (slow chunks, hop-by-hop headers, a body cut short), a mockpit upstream would not misbehave
on cue: :func:`http_server` serves a hand-written ``http.server`` handler instead.
"""

from __future__ import annotations

import base64
import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from mockpit import Headers, Request, Response


def echo(request: Request) -> Response:
    """What the upstream received, as JSON: method, path and query as sent, headers in order, body in base64.

    The ``X-Upstream: echo`` header tells a test that the answer came from here, through the proxy.
    """
    return Response(
        json={
            "method": request.method,
            "path": request.path,
            "query": request.query_string,
            "headers": request.headers.multi_items(),
            "body": base64.b64encode(request.body).decode("ascii"),
        },
        headers={"X-Upstream": "echo"},
    )


@dataclass(frozen=True)
class Echoed:
    """What :func:`echo` received, read back from its answer."""

    method: str
    path: str
    query: str
    headers: Headers
    body: bytes

    @classmethod
    def of(cls, response: httpx.Response) -> Echoed:
        assert response.status_code == 200, response.text
        assert response.headers["x-upstream"] == "echo", response.headers  # the echo's own answer came back
        data: dict[str, Any] = response.json()
        return cls(
            data["method"],
            data["path"],
            data["query"],
            Headers((name, value) for name, value in data["headers"]),
            base64.b64decode(data["body"]),
        )


@contextmanager
def http_server(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve ``handler`` on a port of 127.0.0.1 in a thread; yields its base URL, shut down at the end.

    Each request gets a daemon thread (ThreadingHTTPServer's default), so a handler still sleeping does not
    hold up the shutdown.
    """
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
