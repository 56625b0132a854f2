"""Minimal raw ASGI app streaming Server-Sent Events: the ceiling for mockpit's SSE (bench/sse.py).

Every GET gets ``BARE_SSE_EVENTS`` (default 1000) events, ``data: {"n":...}``, each sent as its own
body message as mockpit sends them, with the same headers. Run as bench/sse.py does:

    python -m uvicorn bare_sse_app:app --app-dir bench --http httptools --loop uvloop --no-access-log
"""

import os

_COUNT = int(os.environ.get("BARE_SSE_EVENTS", "1000"))
_EVENTS = [{"type": "http.response.body", "body": b'data: {"n":%d}\n\n' % i, "more_body": True} for i in range(_COUNT)]
_START = {
    "type": "http.response.start",
    "status": 200,
    "headers": [
        (b"content-type", b"text/event-stream"),
        (b"cache-control", b"no-cache"),
        (b"x-accel-buffering", b"no"),
    ],
}
_END = {"type": "http.response.body", "body": b"", "more_body": False}


async def app(scope, receive, send):
    if scope["type"] == "http":
        await send(_START)
        for event in _EVENTS:
            await send(event)
        await send(_END)
