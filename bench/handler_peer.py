"""``POST /echo`` answered by a Python handler on ``MockServer.serve_forever`` (for ``bench/peers.py``).

    python bench/handler_peer.py PORT

The handler returns the request's body as the response's, with ``Content-Type: application/json``:
what a test that mocks an echoing API with ``.respond_with(handler)`` runs. The process is set up as
``mockpit serve`` sets up its own (the collector frozen after loading, the same thresholds).
"""

from __future__ import annotations

import gc
import sys

from mockpit import MockServer, Request, Response, post


def echo(request: Request) -> Response:
    return Response(200, request.body, headers={"Content-Type": "application/json"})


def main() -> None:
    server = MockServer(port=int(sys.argv[1]))
    server.when(post("/echo")).respond_with(echo)
    gc.freeze()
    gc.set_threshold(2000, 10, 100)
    server.serve_forever()


if __name__ == "__main__":
    main()
