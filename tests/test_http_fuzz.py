"""The raw-socket HTTP fuzz: 10,400 hostile inputs (tests/_hostile.py), on parallel connections.

The server never dies, never stalls, never answers 5xx and never logs an error or a traceback; a request
smuggled behind an ambiguous framing is never answered; a valid request is answered correctly between
every hundred inputs; at the end the journal answers and no connection is left open.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import re
import socket
import struct
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from _hostile import SMUGGLED, Case, hostile_cases
from _waiting import wait_until
from _wire import connect
from mockpit import MockServer, Response, get, matches_xpath, post, put, request

COUNT = 10_400
BATCH = 100
SEED = 11
WORKERS = 8
#: a server that has not answered or closed within this many seconds has stalled
STALL = 10.0
STATUS = re.compile(rb"HTTP/1\.[01] (\d{3}) ")
_RESET = struct.pack("ii", 1, 0)


def fuzz_server() -> MockServer:
    """The server under fuzz, not started: small bodies, and a stub of each kind a request can reach."""
    server = MockServer(max_body_size=64 * 1024, journal_size=50_000, templating=True)
    server.when(get("/ok")).respond(body="still serving")
    server.when(request("ANY", "/echo")).respond_with(lambda r: Response(body=f"{r.method} {len(r.body)}"))
    server.when(request("ANY", "/echo/1")).respond(body="one")
    server.when(post("/json").json({"name": "ada"}, ignore_extra_elements=True)).respond(body="json")
    server.when(post("/xml").body(matches_xpath("/order/id"))).respond(body="xml")
    server.when(put("/form").form("a", "1")).respond(body="form")
    server.when(get("/auth").basic_auth("ada", "pw")).respond(body="auth")
    server.when(request("ANY", "/tpl/{id}")).respond(
        body="{{request.path.id}} {{request.query.q}} {{request.headers.X-Test}}"
    )
    server.when(request("ANY", "/smuggled")).respond(body=SMUGGLED.decode())
    return server


@pytest.fixture(scope="module")
def fuzzed() -> Iterator[MockServer]:
    with fuzz_server() as server:
        yield server


class _Errors(logging.Handler):
    """Keeps every record at ERROR or above, or with a traceback, from any thread."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR or record.exc_info is not None:
            self.records.append(record)


def send(server: MockServer, case: Case) -> bytes:
    """Send ``case``; what came back before the server closed (nothing when the client closes first)."""
    with connect(server, timeout=STALL) as sock:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # refused before it all went
            sock.sendall(case.data)
        if case.close == "reset":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _RESET)
            return b""
        if case.close == "full":
            return b""
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_WR)
        received = b""
        started = time.monotonic()
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except ConnectionResetError:
            pass
        except TimeoutError:
            raise AssertionError(
                f"the server neither answered nor closed within {STALL:g} s ({time.monotonic() - started:.1f} s) "
                f"after the {case.kind} input {case.data[:300]!r}; it sent {received[:300]!r}"
            ) from None
        return received


def check(case: Case, received: bytes) -> list[int]:
    statuses = [int(status) for status in STATUS.findall(received)]
    where = f"the {case.kind} input {case.data[:300]!r} got {received[:600]!r}"
    assert not [s for s in statuses if s >= 500], where
    assert b"Internal Server Error" not in received, where
    assert b"internal error" not in received, where
    if case.ambiguous:
        assert statuses == [400], where
        assert SMUGGLED not in received, where
    if case.first:
        assert statuses[: len(case.first)] == list(case.first), where
    return statuses


def open_files() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_ten_thousand_hostile_inputs_leave_the_server_answering(fuzzed: MockServer) -> None:
    cases = hostile_cases(COUNT, SEED)
    errors = _Errors()
    logging.getLogger().addHandler(errors)
    files_before = open_files() if sys.platform == "linux" else 0
    seen: collections.Counter[tuple[str, int]] = collections.Counter()
    checks = 0
    started = time.monotonic()
    try:
        with ThreadPoolExecutor(WORKERS) as pool, httpx.Client(timeout=STALL) as client:
            for at in range(0, len(cases), BATCH):
                batch = cases[at : at + BATCH]
                for case, received in zip(batch, pool.map(lambda c: send(fuzzed, c), batch), strict=True):
                    for status in check(case, received) or [0]:
                        seen[case.kind, status] += 1
                answer = client.get(fuzzed.url_for("/ok"), headers={"Connection": "close"})
                assert (answer.status_code, answer.text) == (200, "still serving"), f"after input {at + BATCH}"
                checks += 1
    finally:
        logging.getLogger().removeHandler(errors)
    took = time.monotonic() - started

    assert not errors.records, "\n".join(logging.Formatter().format(r) for r in errors.records[:3])
    assert fuzzed.errors == []
    assert took < 120, f"the fuzz took {took:.0f} s"
    # the mix did what it is for: many refused, many answered, bodies over the limit, smuggling refused
    kinds = collections.Counter(kind for kind, _ in seen)
    assert len(kinds) == 9
    statuses = collections.Counter(status for _, status in seen.elements())
    for status, least in ((400, 2_000), (200, 1_000), (404, 100), (413, 10)):
        assert statuses[status] > least, statuses
    assert seen["smuggling", 400] > 1_000
    # the journal still answers, and holds every check
    journal = httpx.get(fuzzed.url_for("/__admin/requests"), params={"limit": 5}, timeout=STALL)
    assert journal.status_code == 200
    assert fuzzed.count(get("/ok")) >= checks
    if sys.platform == "linux":  # every connection closed, lingering ones included
        assert wait_until(open_files, lambda n: n <= files_before + 2) <= files_before + 2
