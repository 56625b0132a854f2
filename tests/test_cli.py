"""``mockpit serve`` as users run it: a subprocess, its output, its signals and its exit codes."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

import mockpit
from _processes import mockpit_command, started
from _wire import accepts_connections, connect, free_port, read_to_end, taken_port

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
URL = re.compile(r"serving (\d+) stub\(s\) on (http://127\.0\.0\.1:\d+)")


def run_to_end(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(mockpit_command(*args), capture_output=True, text=True, timeout=30, cwd=cwd, check=False)


@dataclass
class Running:
    process: subprocess.Popen[str]
    url: str
    stub_count: int
    lines: queue.Queue[str | None]
    seen: list[str] = field(default_factory=list)

    def wait_for_line(self, pattern: str, timeout: float = 10) -> str:
        """The first stdout line from now on that contains ``pattern``."""
        while True:
            line = self.lines.get(timeout=timeout)
            if line is None:
                raise AssertionError(f"mockpit exited before printing {pattern!r}; it printed {self.seen}")
            self.seen.append(line)
            if pattern in line:
                return line

    def lines_until(self, pattern: str, timeout: float = 10) -> list[str]:
        start = len(self.seen)
        self.wait_for_line(pattern, timeout)
        return self.seen[start:]

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> tuple[int, str, str]:
        """Send ``sig``; the exit code, the rest of stdout and all of stderr."""
        self.process.send_signal(sig)
        code = self.process.wait(timeout=10)
        rest = []
        while (line := self.lines.get(timeout=5)) is not None:
            rest.append(line)
        assert self.process.stderr is not None
        return code, "".join(rest), self.process.stderr.read()


@contextmanager
def serving(*args: str, cwd: Path = ROOT) -> Iterator[Running]:
    """Run ``mockpit serve ARGS --port 0`` until it prints its URL; always killed at the end."""
    with started(mockpit_command("serve", *args, "--port", "0"), URL, cwd) as run:
        yield Running(run.process, run.ready.group(2), int(run.ready.group(1)), run.lines, run.seen)


def test_serve_examples_prints_the_count_and_url_and_answers_every_example() -> None:
    with serving(str(EXAMPLES)) as run, httpx.Client(base_url=run.url, timeout=5) as http:
        assert run.stub_count == 7
        assert any(re.search(r"Loaded 7 stub\(s\) from .*examples \(4 file\(s\)\)", line) for line in run.seen)

        hello = http.get("/hello")
        assert hello.status_code == 200
        assert hello.json() == json.loads((EXAMPLES / "mappings" / "hello.json").read_text())["response"]["jsonBody"]

        assert http.get("/users/42").json() == {"id": 1, "name": "Ada Lovelace"}
        unknown = http.get("/users/404")  # priority 1 beats the template
        assert (unknown.status_code, unknown.json()) == (404, {"error": "no such user"})

        created = http.post("/users", json={"name": "Grace"})
        assert (created.status_code, created.json()) == (201, {"id": 2})
        assert created.headers["location"] == "/users/2"

        search = http.get("/search", params={"q": "ada"})
        assert search.json() == {"results": [], "page": 1}
        assert search.headers.get_list("cache-control") == ["no-store", "no-cache"]

        report = http.get("/reports/latest?format=csv")
        assert report.status_code == 200
        assert report.headers["content-type"] == "text/csv"
        assert report.content == (EXAMPLES / "__files" / "report.csv").read_bytes()

        admin = http.get("/admin/dashboard", auth=("admin", "s3cret"))
        assert (admin.status_code, admin.text) == (200, "welcome, admin")
        assert http.get("/admin/dashboard", auth=("admin", "wrong")).status_code == 404

        mappings = http.get("/__admin/mappings").json()
        assert len(mappings["mappings"]) == 7

        code, _, stderr = run.stop()
        assert code == 0
        assert stderr == ""


def test_an_unmatched_request_prints_the_near_miss_to_stdout(http_client: httpx.Client) -> None:
    with serving(str(EXAMPLES), "--verbose") as run:  # in full; one line without --verbose (test_console.py)
        answer = http_client.post(f"{run.url}/users", json={"nom": "Ada"}, timeout=5)
        assert answer.status_code == 404
        printed = "".join(run.lines_until("$.name"))
        assert "POST /users -> 404, no stub matched" in printed
        assert '"create a user"' in printed
        assert "! body" in printed  # the differing row is marked
        assert "| matchesJsonPath '$.name'" in printed
        assert printed.count("\n") >= 4  # the report, not one line about it
        assert run.stop()[0] == 0


def test_verbose_logs_each_matched_request_with_its_stub_on_one_line(http_client: httpx.Client) -> None:
    with serving(str(EXAMPLES), "--verbose") as run:
        ids = {m["name"]: m["id"] for m in http_client.get(f"{run.url}/__admin/mappings").json()["mappings"]}
        http_client.get(f"{run.url}/reports/latest?format=csv", timeout=5)
        line = run.wait_for_line("/reports/latest")
        assert "GET /reports/latest?format=csv -> 200" in line
        assert f'"CSV report from a file" ({ids["CSV report from a file"]})' in line
        http_client.get(f"{run.url}/hello", timeout=5)
        assert f'"hello" ({ids["hello"]})' in run.wait_for_line("GET /hello")
        assert run.stop()[0] == 0


def test_without_verbose_matched_requests_are_not_logged(http_client: httpx.Client) -> None:
    with serving(str(EXAMPLES)) as run:
        http_client.get(f"{run.url}/hello", timeout=5)
        http_client.get(f"{run.url}/nope", timeout=5)  # a miss is always printed: it marks where /hello would be
        printed = run.lines_until("no stub matched")
        assert not any("/hello ->" in line for line in printed)
        assert run.stop()[0] == 0


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_it_with_exit_code_0(sig: signal.Signals) -> None:
    with serving(str(EXAMPLES)) as run:
        with httpx.Client(timeout=5) as http:  # a keep-alive connection open at the signal
            assert http.get(f"{run.url}/hello").status_code == 200
            code, stdout, stderr = run.stop(sig)
        assert code == 0
        assert "mockpit stopped." in stdout
        assert "Traceback" not in stderr
        assert not accepts_connections(run.url)


def test_without_paths_it_serves_the_current_folder_if_it_has_mappings(http_client: httpx.Client) -> None:
    with serving(cwd=EXAMPLES) as run:
        assert run.stub_count == 7
        assert http_client.get(f"{run.url}/hello", timeout=5).json() == {"message": "hello"}
        assert run.stop()[0] == 0


def test_with_no_paths_and_no_mappings_folder_it_serves_no_stubs(tmp_path: Path, http_client: httpx.Client) -> None:
    with serving(cwd=tmp_path) as run:
        assert run.stub_count == 0
        assert any("No mappings given" in line for line in run.seen)
        created = http_client.post(
            f"{run.url}/__admin/mappings", json={"request": {"urlPath": "/new"}, "response": {"body": "new"}}
        )
        assert created.status_code == 201
        assert http_client.get(f"{run.url}/new", timeout=5).text == "new"
        assert run.stop()[0] == 0


def test_a_broken_mapping_exits_2_naming_the_file_and_field_and_listens_nowhere(tmp_path: Path) -> None:
    broken = tmp_path / "mappings" / "orders-with-a-long-name-for-wrapping.json"
    broken.parent.mkdir()
    broken.write_text(json.dumps({"request": {"urlPath": "/orders"}, "response": {"status": 999}}))
    port = free_port()
    result = run_to_end("serve", str(tmp_path), "--port", str(port))
    assert result.returncode == 2
    assert str(broken) in result.stderr  # on one line, even when piped
    assert "response.status" in result.stderr
    assert "serving" not in result.stdout
    assert not accepts_connections(port)


def test_a_missing_body_file_exits_2_naming_the_mapping(tmp_path: Path) -> None:
    mapping = tmp_path / "mappings" / "file.json"
    mapping.parent.mkdir()
    mapping.write_text(json.dumps({"request": {"urlPath": "/f"}, "response": {"bodyFileName": "gone.csv"}}))
    result = run_to_end("serve", str(tmp_path), "--port", "0")
    assert result.returncode == 2
    assert str(mapping) in result.stderr
    assert "response.bodyFileName" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_body_file_that_goes_missing_while_serving_is_a_500_reported_on_stderr(
    tmp_path: Path, http_client: httpx.Client
) -> None:
    (tmp_path / "mappings").mkdir()
    (tmp_path / "mappings" / "file.json").write_text(
        json.dumps({"name": "the file", "request": {"urlPath": "/f"}, "response": {"bodyFileName": "f.txt"}})
    )
    (tmp_path / "__files").mkdir()
    (tmp_path / "__files" / "f.txt").write_text("content")
    with serving(str(tmp_path)) as run:
        assert http_client.get(f"{run.url}/f", timeout=5).text == "content"
        (tmp_path / "__files" / "f.txt").unlink()
        answer = http_client.get(f"{run.url}/f", timeout=5)
        assert answer.status_code == 500
        assert "'f.txt' could not be read" in answer.text
        code, _, stderr = run.stop()
    assert code == 0
    assert '"the file"' in stderr
    assert "'f.txt' could not be read" in stderr
    assert "while answering GET /f" in stderr


def test_a_missing_path_exits_2(tmp_path: Path) -> None:
    result = run_to_end("serve", str(tmp_path / "nowhere"), "--port", "0")
    assert result.returncode == 2
    assert f"{tmp_path / 'nowhere'} does not exist" in result.stderr
    assert "serving" not in result.stdout


def test_a_port_in_use_exits_1_with_a_message() -> None:
    with taken_port() as port:
        result = run_to_end("serve", str(EXAMPLES), "--port", str(port))
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "--port" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("port", ["abc", "70000", "-1"])
def test_a_bad_port_is_a_usage_error(port: str) -> None:
    result = run_to_end("serve", "--port", port)
    assert result.returncode == 2
    assert "--port" in result.stderr


def test_help_and_version() -> None:
    top = run_to_end("--help")
    assert top.returncode == 0
    assert "serve" in top.stdout
    serve_help = run_to_end("serve", "--help")
    assert serve_help.returncode == 0
    for option in ("--port", "--host", "--verbose", "--max-body-size", "--journal-size", "PATHS"):
        assert option in serve_help.stdout
    version = run_to_end("--version")
    assert version.returncode == 0
    assert version.stdout.strip() == f"mockpit, version {mockpit.__version__}"


def test_the_installed_console_script_runs() -> None:
    script = Path(sys.executable).parent / ("mockpit.exe" if os.name == "nt" else "mockpit")
    result = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 0
    assert mockpit.__version__ in result.stdout


def test_connection_limit_options_are_applied(http_client: httpx.Client) -> None:
    with serving(str(EXAMPLES), "--head-timeout", "0.5", "--max-connections", "2", "--idle-timeout", "60") as run:
        with connect(run.url) as first, connect(run.url) as second:
            assert http_client.get(f"{run.url}/__admin/mappings", timeout=5).status_code == 503  # the third one
            started = time.monotonic()
            assert read_to_end(first) == read_to_end(second) == (b"", "eof")  # silent: cut at the head timeout
            assert time.monotonic() - started < 3.0
        assert http_client.get(f"{run.url}/__admin/mappings", timeout=5).status_code == 200
        assert run.stop()[0] == 0


def test_max_body_size_option_is_applied(http_client: httpx.Client) -> None:
    with serving(str(EXAMPLES), "--max-body-size", "10") as run:
        answer = http_client.post(f"{run.url}/users", content=b"x" * 11, timeout=5)
        assert answer.status_code == 413
        assert "10 bytes" in answer.text
        assert run.stop()[0] == 0


def test_start_says_nothing_of_saving_and_a_save_says_where_it_went(tmp_path: Path) -> None:
    (tmp_path / "mappings").mkdir()
    with serving(str(tmp_path)) as run, httpx.Client(base_url=run.url, timeout=5) as http:
        assert not any("save" in line.lower() for line in run.seen), run.seen
        http.post("/__admin/mappings", json={"request": {"url": "/new"}, "response": {"status": 200}})
        assert http.post("/__admin/mappings/save").status_code == 200
        line = run.lines.get(timeout=10)
        assert line is not None
        assert f"Saved stubs to 1 mapping file(s) in {tmp_path / 'mappings'}" in line
