"""The console of ``mockpit serve`` (a subprocess): why mockpit chose a status, in one line or in full with
``--verbose``; and the transport's log: mockpit's name, printed by the CLI, quiet in-process."""

from __future__ import annotations

import asyncio
import logging
import queue
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from _processes import mockpit_command, started
from _wire import exchange, get_request
from mockpit import MockServer
from mockpit._transport.serve import bind_socket, serve

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
PETSTORE = ROOT / "tests" / "data" / "openapi" / "petstore.yaml"
URL = re.compile(r"serving \d+ stub\(s\) on (http://127\.0\.0\.1:\d+)")
MALFORMED = b"GET /hello HTTP/1.1\r\nHost: mock\r\nContent-Length: nope\r\n\r\n"
UVICORN_WORDS = re.compile(r"uvicorn|Invalid HTTP request received|ASGI application", re.IGNORECASE)


@dataclass
class Console:
    url: str
    lines: queue.Queue[str | None]
    process: object

    def next_lines(self, count: int = 1, timeout: float = 10) -> list[str]:
        got = []
        while len(got) < count:
            line = self.lines.get(timeout=timeout)
            assert line is not None, f"mockpit exited; it printed {got}"
            got.append(line.rstrip("\n"))
        return got

    def until(self, text: str, timeout: float = 10) -> list[str]:
        got: list[str] = []
        while not got or text not in got[-1]:
            got += self.next_lines(1, timeout)
        return got


@contextmanager
def console(*args: str) -> Iterator[tuple[Console, httpx.Client]]:
    """``mockpit serve ARGS --port 0``: its stdout from the ready line on and a client; stderr must stay empty."""
    with started(mockpit_command("serve", *args, "--port", "0"), URL) as run:
        with httpx.Client(base_url=run.ready.group(1), timeout=5) as http:
            yield Console(run.ready.group(1), run.lines, run.process), http
        run.process.send_signal(signal.SIGTERM)
        assert run.process.wait(timeout=10) == 0
        assert run.process.stderr is not None
        stderr = run.process.stderr.read()
        assert stderr == ""


def test_a_miss_is_one_line_naming_the_closest_stub_and_what_differed() -> None:
    with console(str(EXAMPLES)) as (out, http):
        assert http.post("/users", json={"nom": "Ada"}).status_code == 404
        (line,) = out.next_lines()
        assert line.startswith('POST /users -> 404, no stub matched; closest "create a user" (')
        assert 'body expected matchesJsonPath \'$.name\', got {"nom":"Ada"}' in line, line


def test_verbose_prints_the_whole_near_miss_report() -> None:
    with console(str(EXAMPLES), "--verbose") as (out, http):
        http.post("/users", json={"nom": "Ada"})
        printed = out.until("| matchesJsonPath '$.name'")
        assert printed[0] == "POST /users -> 404, no stub matched"
        assert "Closest stubs:" in printed
        assert any(line.startswith("   ! body") for line in printed)


def test_a_422_from_openapi_validation_gives_its_first_violation_and_verbose_all() -> None:
    with console(str(PETSTORE)) as (out, http):
        assert http.post("/pets", json={"id": "x", "tag": 5}).status_code == 422
        (line,) = out.next_lines()
        assert line.startswith("POST /pets -> 422, the request does not match the OpenAPI document: ")
        assert "body.name: 'name' is a required property (and 2 more; --verbose lists them)" in line
        assert '"POST /pets (createPets)"' in line
        assert http.get("/pets", params={"limit": 500}).status_code == 422
        assert "query.limit: 500 is greater than the maximum of 100  " in out.next_lines()[0]
        assert http.get("/pets", headers={"Prefer": "example=nope"}).status_code == 400
        line = out.next_lines()[0]
        assert line.startswith("GET /pets -> 400, the Prefer header asks for an answer the OpenAPI document does not")
        assert "there is no example 'nope' in the 200 response" in line, line
        assert http.get("/pets").status_code == 200  # a stub's own answer: not logged without --verbose
        http.get("/nope")
        assert out.next_lines()[0].startswith("GET /nope -> 404")
    with console(str(PETSTORE), "--verbose") as (out, http):
        http.post("/pets", json={"id": "x", "tag": 5})
        head, *details = out.next_lines(4)
        assert head.startswith("POST /pets -> 422, the request does not match the OpenAPI document  ")
        assert details == [
            "    - body.name: 'name' is a required property",
            "    - body.id: 'x' is not of type 'integer'",
            "    - body.tag: 5 is not of type 'string'",
        ]


def test_a_413_names_the_limit() -> None:
    with console(str(EXAMPLES), "--max-body-size", "10") as (out, http):
        assert http.post("/users", content=b"x" * 37).status_code == 413
        assert out.next_lines() == [
            "POST /users -> 413, a body of 37 bytes is over the limit of 10 bytes (--max-body-size, max_body_size=)"
        ]


def test_a_malformed_request_is_one_line_of_mockpits_and_nothing_of_uvicorns() -> None:
    with console(str(EXAMPLES)) as (out, _):
        answer, _ = exchange(out.url, MALFORMED)
        assert answer.startswith(b"HTTP/1.1 400 ")
        (line,) = out.next_lines()
        assert re.fullmatch(
            r"127\.0\.0\.1:\d+ -> 400, invalid HTTP request received; the connection is closed", line
        ), line
    # the context manager checked that stderr stayed empty: uvicorn printed nothing there


def test_in_process_a_malformed_request_prints_nothing_and_logs_under_mockpits_name(
    capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG), MockServer() as server:
        answer, _ = exchange(server, MALFORMED)
    assert answer.startswith(b"HTTP/1.1 400 ")
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")
    names = {record.name for record in caplog.records}
    assert not any(name.startswith("uvicorn") for name in names), names
    refusals = [r for r in caplog.records if r.name == "mockpit.transport" and r.levelno == logging.INFO]
    assert len(refusals) == 1
    assert "-> 400, invalid HTTP request received" in refusals[0].getMessage()


def test_in_process_nothing_is_logged_at_warning_so_tests_stay_quiet(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING), MockServer(max_body_size=10) as server:
        exchange(server, MALFORMED)
        assert httpx.post(f"{server.url}/x", content=b"x" * 11).status_code == 413
    assert caplog.records == []


def test_a_host_programs_uvicorn_loggers_are_left_alone() -> None:
    loggers = [logging.getLogger(name) for name in ("uvicorn", "uvicorn.error", "uvicorn.access")]
    before = [(logger.level, list(logger.handlers), logger.propagate) for logger in loggers]
    with MockServer() as server:
        exchange(server, MALFORMED)
    assert [(logger.level, list(logger.handlers), logger.propagate) for logger in loggers] == before


def test_an_exception_under_the_app_is_logged_by_uvicorn_as_mockpit_transport(
    capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(scope: object, receive: object, send: object) -> None:
        raise RuntimeError("broken app")

    sock = bind_socket("127.0.0.1", 0)
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    ready = threading.Event()
    thread = threading.Thread(target=loop.run_until_complete, args=(serve(broken, sock, stop, on_ready=ready.set),))
    thread.start()
    try:
        assert ready.wait(10)
        with caplog.at_level(logging.INFO):
            answer, _ = exchange(sock.getsockname()[1], get_request("/"))
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
        loop.close()
        sock.close()
    assert answer.startswith(b"HTTP/1.1 500 ")
    (record,) = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert (record.name, record.getMessage().strip()) == ("mockpit.transport", "Exception in ASGI application")
    assert record.exc_info is not None
    assert str(record.exc_info[1]) == "broken app"
    assert not any(r.name.startswith("uvicorn") for r in caplog.records)
    assert capfd.readouterr() == ("", "")


def test_record_prints_the_transports_refusals_too(tmp_path: Path) -> None:
    ready = re.compile(r"recording \S+ on (http://127\.0\.0\.1:\d+)")
    args = mockpit_command("record", "--target", "http://127.0.0.1:9", "--out", str(tmp_path), "--port", "0")
    with started(args, ready) as run:
        answer, _ = exchange(run.ready.group(1), MALFORMED)
        assert answer.startswith(b"HTTP/1.1 400 ")
        line = run.lines.get(timeout=10)
        assert line is not None
        assert re.fullmatch(r"127\.0\.0\.1:\d+ -> 400, invalid HTTP request received; the connection is closed\n", line)


def test_under_the_cli_uvicorns_own_loggers_print_as_mockpit_transport() -> None:
    # what uvicorn's server and config modules log (start-up, shutdown) in a process that is mockpit's
    program = (
        "import logging; from rich.console import Console; from mockpit._console import log_to_console; "
        "log_to_console(Console(), Console(stderr=True)); "
        "logging.getLogger('uvicorn.error').info('Started server process [1]'); "
        "logging.getLogger('uvicorn.error').error('Exception in ASGI application')"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=30, check=True)
    assert done.stdout == "Started server process [1]\n"
    assert done.stderr == "error: Exception in ASGI application  (mockpit.transport)\n"
