"""pytest-httpserver serving the peers' scenarios (for ``bench/peers.py``).

    python bench/httpserver_peer.py PORT

``GET /hello`` (the static JSON stub's bytes), ``POST /echo`` (a handler returning the body) and
``GET /delay`` (50 ms, then the static answer), permanent expectations. Threaded, as a test with
concurrent clients needs it: the werkzeug server it runs otherwise answers one connection at a time
and over HTTP/1.0 (no keep-alive).
"""

from __future__ import annotations

import sys
import threading
import time

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

HELLO = b'{"message":"hello"}'


def echo(request: Request) -> Response:
    return Response(request.get_data(), content_type="application/json")


def delayed(request: Request) -> Response:
    time.sleep(0.05)
    return Response(HELLO, content_type="application/json")


def main() -> None:
    server = HTTPServer(host="127.0.0.1", port=int(sys.argv[1]), threaded=True)
    server.expect_request("/hello", method="GET").respond_with_data(HELLO, content_type="application/json")
    server.expect_request("/echo", method="POST").respond_with_handler(echo)
    server.expect_request("/delay", method="GET").respond_with_handler(delayed)
    server.start()
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
