"""The static-stub hot path without HTTP: mockpit's ASGI app called with a fake scope.

    python bench/micro.py            # a static stub (GET /hello)
    python bench/micro.py --regex    # the same answer from a stub that matches with regexes
    python bench/micro.py --echo     # POST /echo answered by a `{{{request.body}}}` template
    python bench/micro.py --handler  # POST /echo answered by a Python handler returning the body

Prints microseconds per request (best of 5 runs of 30,000). It isolates mockpit's own cost from
uvicorn's and from the machine's noise under wrk; compare two checkouts with PYTHONPATH=OTHER/src.
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any

import peers
from peers import ECHO_STUB
from run import HELLO_STUB

from mockpit._engine.engine import Engine
from mockpit._mapping.read import stub_from_mapping
from mockpit._transport.asgi import MockpitApp

SCOPE: dict[str, Any] = {
    "type": "http",
    "method": "GET",
    "path": "/hello",
    "raw_path": b"/hello",
    "query_string": b"",
    "headers": [(b"host", b"127.0.0.1:8080"), (b"user-agent", b"wrk")],
    "client": ("127.0.0.1", 5),
    "scheme": "http",
    "extensions": {},
}


ECHO_BODY = peers.ECHO_BODY.encode()
ECHO_SCOPE: dict[str, Any] = {
    **SCOPE,
    "method": "POST",
    "path": "/echo",
    "raw_path": b"/echo",
    "headers": [
        (b"host", b"127.0.0.1:8080"),
        (b"content-length", str(len(ECHO_BODY)).encode()),
        (b"content-type", b"application/json"),
    ],
}


async def receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def receive_echo() -> dict[str, Any]:
    return {"type": "http.request", "body": ECHO_BODY, "more_body": False}


async def send(message: dict[str, Any]) -> None:
    pass


#: HELLO_STUB's answer, matched with a path regex and a header regex (the budgeted user regexes)
REGEX_STUB = {
    **HELLO_STUB,
    "request": {"method": "GET", "urlPathPattern": "/hel+o", "headers": {"User-Agent": {"matches": "w[a-z]k"}}},
}


def main() -> None:
    regex = "--regex" in sys.argv[1:]
    echo = "--echo" in sys.argv[1:]
    handler = "--handler" in sys.argv[1:]
    engine = Engine()
    if handler:
        from mockpit import MockServer, Response, post

        def answer(request: Any) -> Response:
            return Response(200, request.body, headers={"Content-Type": "application/json"})

        server = MockServer()
        server.when(post("/echo")).respond_with(answer)
        engine = server._engine
    else:
        engine.add_stubs([stub_from_mapping(ECHO_STUB if echo else REGEX_STUB if regex else HELLO_STUB)])
    app = MockpitApp(engine)
    scope, rcv = (ECHO_SCOPE, receive_echo) if echo or handler else (SCOPE, receive)

    async def run(n: int) -> None:
        for _ in range(n):
            await app(scope, rcv, send)

    asyncio.run(run(5000))  # warm-up
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        asyncio.run(run(30_000))
        best = min(best, (time.perf_counter() - started) / 30_000 * 1e6)
    kind = "handler echo" if handler else "template echo" if echo else "regex stub" if regex else "static stub"
    print(f"{best:.2f} us per request ({kind}, ASGI app called directly)")


if __name__ == "__main__":
    main()
