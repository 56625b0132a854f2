"""``mockpit record`` as users run it: a subprocess proxying to a real upstream (a mockpit server with
stubs and handlers, started here), its output, its signals and exit codes, the files it leaves; then
the upstream is stopped and ``mockpit serve`` (another subprocess) replays those files."""

from __future__ import annotations

import gzip
import itertools
import json
import queue
import random
import re
import signal
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from _processes import mockpit_command, started
from mockpit import MockServer, Response, get, post

RECORDING = re.compile(r"recording (\S+) on (http://127\.0\.0\.1:\d+)")
SERVING = re.compile(r"serving (\d+) stub\(s\) on (http://127\.0\.0\.1:\d+)")
IMAGE = random.Random(8).randbytes(200_000)
PRETTY = b'{\n  "name": "mockpit",\n  "tags": ["mock", "http"]\n}\n'


command = mockpit_command


@dataclass
class Running:
    process: subprocess.Popen[str]
    url: str
    lines: queue.Queue[str | None]
    seen: list[str] = field(default_factory=list)

    def wait_for_lines(self, pattern: str, count: int = 1, timeout: float = 10) -> list[str]:
        """Wait until ``count`` stdout lines (from the start) contain ``pattern``; returns them."""
        while len(found := [line for line in self.seen if pattern in line]) < count:
            line = self.lines.get(timeout=timeout)
            if line is None:
                raise AssertionError(f"the process exited before printing {pattern!r}; it printed {self.seen}")
            self.seen.append(line)
        return found

    def finish(self, sig: signal.Signals | None = None) -> tuple[int, str]:
        """Send ``sig`` (or none: it stops by itself); the exit code and everything it printed."""
        if sig is not None:
            self.process.send_signal(sig)
        code = self.process.wait(timeout=10)
        while (line := self.lines.get(timeout=5)) is not None:
            self.seen.append(line)
        assert self.process.stderr is not None
        return code, "".join(self.seen) + self.process.stderr.read()


@contextmanager
def running(*args: str, ready: re.Pattern[str], cwd: Path | None = None) -> Iterator[Running]:
    """Run ``mockpit ARGS`` until it prints a line ``ready`` matches (group 2: its URL); killed at the end."""
    with started(command(*args), ready, cwd) as run:
        yield Running(run.process, run.ready.group(2), run.lines, run.seen)


def recording(upstream: MockServer, out: Path, *flags: str) -> Any:
    return running("record", "--target", upstream.url, "--out", str(out), "--port", "0", *flags, ready=RECORDING)


@pytest.fixture
def upstream() -> Iterator[MockServer]:
    counter = itertools.count(1)
    with MockServer() as up:
        up.when(get("/info")).respond(body=PRETTY, headers={"Content-Type": "application/json", "X-Request-Id": "1"})
        up.when(get("/logo.png")).respond(body=IMAGE, headers={"Content-Type": "image/png", "ETag": '"v1"'})
        up.when(get("/zipped")).respond(
            body=gzip.compress(b"squeezed " * 50, mtime=0),
            headers={"Content-Type": "text/plain", "Content-Encoding": "gzip"},
        )
        up.when(post("/orders")).respond_with(
            lambda req: Response(201, json={"received": req.json()}, headers={"Location": "/orders/7"})
        )
        up.when(get("/count")).respond_with(lambda _: Response(json={"n": next(counter)}))
        yield up


Fetched = tuple[int, list[tuple[str, str]], bytes]
_NOT_COMPARED = {"date", "server", "matched-stub-id", "x-request-id"}


def fetch(client: httpx.Client, method: str, url: str, **kwargs: Any) -> Fetched:
    with client.stream(method, url, **kwargs) as response:
        body = b"".join(response.iter_raw())
        headers = sorted((k.lower(), v) for k, v in response.headers.multi_items() if k.lower() not in _NOT_COMPARED)
        return response.status_code, headers, body


TRAFFIC: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", "/info", {}),
    ("GET", "/logo.png", {}),
    ("GET", "/zipped", {"headers": {"Accept-Encoding": "gzip"}}),
    ("POST", "/orders", {"json": {"item": "tea", "qty": 2}}),
    ("GET", "/nowhere", {}),  # the upstream's 404 is recorded too
]


def test_record_then_serve_replays_every_exchange_byte_for_byte(upstream: MockServer, tmp_path: Path) -> None:
    out = tmp_path / "api"
    with recording(upstream, out) as recorder, httpx.Client(base_url=recorder.url, timeout=10) as client:
        assert RECORDING.search(recorder.seen[-1]).group(1) == upstream.url  # type: ignore[union-attr]
        seen = [fetch(client, method, url, **kwargs) for method, url, kwargs in TRAFFIC]
        wrote = recorder.wait_for_lines(" wrote ", len(TRAFFIC))
        code, printed = recorder.finish(signal.SIGINT)
    assert code == 0, printed
    # the image and the gzipped text are binary: they go to files; the rest is inline
    assert "GET /logo.png -> 200  wrote __files/" in "".join(wrote)
    assert "GET /zipped -> 200  wrote __files/" in "".join(wrote)
    assert f"Recorded {len(TRAFFIC)} stub(s) into {out / 'mappings'} (2 body file(s) in {out / '__files'})" in printed
    assert f"mockpit serve {out}" in printed
    upstream.stop()
    with running("serve", str(out), "--port", "0", ready=SERVING) as replay:
        assert f"serving {len(TRAFFIC)} stub(s)" in replay.seen[-1]
        with httpx.Client(base_url=replay.url, timeout=10) as client:
            replayed = [fetch(client, method, url, **kwargs) for method, url, kwargs in TRAFFIC]
    for (method, url, _), before, after in zip(TRAFFIC, seen, replayed, strict=True):
        assert after == before, f"{method} {url}"


def test_a_sigkill_keeps_every_exchange_completed_before_it(upstream: MockServer, tmp_path: Path) -> None:
    out = tmp_path / "api"
    with recording(upstream, out) as recorder, httpx.Client(base_url=recorder.url, timeout=10) as client:
        seen = [fetch(client, "GET", url) for url in ("/info", "/logo.png", "/count")]
        recorder.wait_for_lines(" wrote ", 3)
        recorder.process.kill()
        assert recorder.process.wait(timeout=10) == -signal.SIGKILL
    assert len(list((out / "mappings").glob("*.json"))) == 3
    assert not [p for p in out.rglob("*") if p.suffix == ".tmp"]
    upstream.stop()
    with MockServer(mappings=out) as replay, httpx.Client(base_url=replay.url, timeout=10) as client:
        assert [fetch(client, "GET", url) for url in ("/info", "/logo.png", "/count")] == seen


def test_post_recordings_stop_finishes_the_command(upstream: MockServer, tmp_path: Path) -> None:
    out = tmp_path / "api"
    with recording(upstream, out) as recorder, httpx.Client(base_url=recorder.url, timeout=10) as client:
        client.get("/info")
        client.get("/info")  # the same request: one stub, with the first answer
        recorder.wait_for_lines("GET /info -> 200", 2)
        stopped = client.post("/__admin/recordings/stop")
        code, printed = recorder.finish()
    assert stopped.status_code == 200
    (mapping,) = stopped.json()["mappings"]
    assert mapping["request"] == {"url": "/info", "method": "GET"}
    assert code == 0, printed
    assert "GET /info -> 200  (a repeat of a request recorded already)" in printed
    assert "Recorded 1 stub(s)" in printed
    (on_disk,) = [json.loads(p.read_text()) for p in (out / "mappings").glob("*.json")]
    assert on_disk == mapping


def test_flags_keep_secrets_and_replay_repeats_in_order(upstream: MockServer, tmp_path: Path) -> None:
    out = tmp_path / "api"
    flags = ("--keep-secrets", "--repeats-as-scenarios", "--capture-header", "Authorization")
    with recording(upstream, out, *flags) as recorder, httpx.Client(base_url=recorder.url, timeout=10) as client:
        auth = {"Authorization": "Bearer kept-token"}
        assert [client.get("/count", headers=auth).json()["n"] for _ in range(2)] == [1, 2]
        recorder.wait_for_lines(" wrote ", 2)
        code, printed = recorder.finish(signal.SIGTERM)
    assert code == 0, printed
    files = sorted((out / "mappings").glob("*.json"))
    assert len(files) == 2
    assert all("kept-token" in p.read_text() for p in files)
    upstream.stop()
    with MockServer(mappings=out) as replay, httpx.Client(base_url=replay.url, timeout=10) as client:
        assert [client.get("/count", headers=auth).json()["n"] for _ in range(3)] == [1, 2, 2]
        assert client.get("/count", headers={"Authorization": "Bearer other"}).status_code == 404


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--target", "ftp://example.com"], ["--target", "not an http:// or https:// URL"]),
        (["--target", "example.com:8080"], ["--target", "https://api.example.com"]),
        (["--target", "http://x", "--port", "70000"], ["--port", "70000"]),
        ([], ["--target"]),
    ],
)
def test_bad_input_exits_2_naming_the_option(args: list[str], words: list[str], tmp_path: Path) -> None:
    result = subprocess.run(
        command("record", *args, "--out", str(tmp_path)), capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 2, result
    for word in words:
        assert word in result.stderr
    assert not (tmp_path / "mappings").exists()


def test_an_out_that_is_a_file_exits_2_naming_it(tmp_path: Path) -> None:
    taken = tmp_path / "file"
    taken.write_text("not a folder")
    result = subprocess.run(
        command("record", "--target", "http://127.0.0.1:9", "--out", str(taken)),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "--out" in result.stderr
    assert "is a file" in result.stderr


def test_a_port_in_use_exits_1_with_a_message(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            command("record", "--target", "http://127.0.0.1:9", "--out", str(tmp_path), "--port", str(port)),
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "try another --port" in result.stderr
    assert "Traceback" not in result.stderr
