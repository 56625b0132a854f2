"""Minimal raw ASGI app (no framework): the throughput ceiling for mockpit.

It answers every HTTP request with one fixed response.  bench/run.py passes the
exact status, Content-Type and body bytes that mockpit produced for the /hello
stub, so both servers put the same bytes on the wire:

    BARE_STATUS        (default 200)
    BARE_CONTENT_TYPE  (default application/json)
    BARE_BODY_B64      (base64 of the body; default {"message":"hello"})

Run it the way run.py does:

    python -m uvicorn bare_app:app --app-dir bench --host 127.0.0.1 --port 8000 \
        --http httptools --loop uvloop --no-access-log --log-level warning

or simply ``python bench/bare_app.py [PORT]`` (same settings).

For ``bench/peers.py`` it also answers ``POST /echo`` with the request's body (Content-Type
application/json) and ``/delay`` after 50 ms, the least an ASGI app can do for those scenarios.
"""

import asyncio
import base64
import os

_BODY = base64.b64decode(os.environ["BARE_BODY_B64"]) if os.environ.get("BARE_BODY_B64") else b'{"message":"hello"}'
_STATUS = int(os.environ.get("BARE_STATUS", "200"))
_CONTENT_TYPE = os.environ.get("BARE_CONTENT_TYPE", "application/json").encode("latin-1")

_START = {
    "type": "http.response.start",
    "status": _STATUS,
    "headers": [
        (b"content-type", _CONTENT_TYPE),
        (b"content-length", str(len(_BODY)).encode("ascii")),
    ],
}
_BODY_MSG = {"type": "http.response.body", "body": _BODY, "more_body": False}


async def _echo(receive, send):
    body = b""
    more = True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode("ascii"))]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def app(scope, receive, send):
    if scope["type"] == "http":
        path = scope["path"]
        if path == "/echo":
            await _echo(receive, send)
            return
        if path == "/delay":
            await asyncio.sleep(0.05)
        await send(_START)
        await send(_BODY_MSG)
    elif scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return


if __name__ == "__main__":
    import sys

    import uvicorn

    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(sys.argv[1]) if len(sys.argv) > 1 else 8000,
        http="httptools",
        loop="uvloop",
        access_log=False,
        log_level="warning",
    )
