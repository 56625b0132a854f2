"""A JSON echo server for tests, with mockpit.

This replaces the ~60-line ``http.server`` helper of the usual tutorial: a ``BaseHTTPRequestHandler``
subclass whose ``do_POST`` accepts only ``Content-Type: application/json`` (400 for anything else)
and echoes the JSON back, an ``HTTPServer`` that ``start_serving()`` runs on a thread before the
tests and ``stop_serving()`` shuts down after. Here a catch-all stub answers 400 and a POST stub
with a higher priority (a lower number) echoes the body; the framing, the parsing, keep-alive and
malformed requests are mockpit's job.

Run it on its own with ``python -m mockpit.examples.echo [PORT]`` (default 8080; Ctrl-C stops it).
"""

from __future__ import annotations

import sys
import threading

from mockpit import MockServer, Request, Response, matches, post, request

_running: list[MockServer] = []


def _echo(req: Request) -> Response:
    try:
        return Response(200, json=req.json())
    except ValueError as exc:  # names the problem: "the request body is not valid JSON: Expecting ..."
        return Response(400, json={"error": str(exc)})


def start_serving(port: int | str = 0) -> MockServer:
    """Start the echo server on ``port`` (0: a free one) and return it; ``server.url`` is its address."""
    server = MockServer(port=port)
    server.when(request("ANY"), priority=10).respond(
        400, json={"error": "send a POST with Content-Type: application/json"}
    )
    json_type = matches(r"(?i)application/json\s*(;.*)?")  # allows "; charset=utf-8"
    server.when(post().header("Content-Type", json_type), priority=1).respond_with(_echo)
    _running.append(server.start())
    return server


def stop_serving() -> None:
    """Stop what start_serving() started; harmless without it, or twice."""
    while _running:
        _running.pop().stop()


def main(argv: list[str] | None = None) -> None:
    """``python -m mockpit.examples.echo [PORT]``: serve until Ctrl-C."""
    args = sys.argv[1:] if argv is None else argv
    server = start_serving(args[0] if args else 8080)
    print(
        f"echoing JSON POSTs on {server.url} - try: curl -d '{{\"a\": 1}}' -H 'Content-Type: application/json' "
        f"{server.url}; Ctrl-C to stop",
        flush=True,
    )
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        stop_serving()


if __name__ == "__main__":
    main()
