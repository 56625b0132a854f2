"""mockpit.examples.echo: the JSON echo server of the ``http.server`` tutorial, and what such helpers get wrong."""

from __future__ import annotations

import http.client
import json
import re
import socket
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from _processes import started
from _wire import exchange, free_port, port_of
from mockpit import MockServer
from mockpit.examples import echo as echo_server


def mockpit_module(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]


@pytest.fixture
def echo() -> Iterator[MockServer]:
    """The tutorial's pattern: start_serving() before the test, stop_serving() after."""
    server = echo_server.start_serving()
    yield server
    echo_server.stop_serving()


def raw_exchange(server: MockServer, data: bytes) -> tuple[int, bytes]:
    """Send ``data``; the status and body of the (single) answer, read until the server closes."""
    received, end = exchange(server, data)
    assert end == "eof", received
    head, _, body = received.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def test_a_json_post_is_echoed(echo: MockServer, http_client: httpx.Client) -> None:
    payload = {"name": "Ada", "tags": ["math", "engines"], "n": 1.5, "nested": {"ok": True, "none": None}}
    answer = http_client.post(echo.url_for("/anything/at/all"), json=payload, timeout=5)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    assert answer.json() == payload


@pytest.mark.parametrize("value", [[1, 2, 3], "a string", 42, None, {"ünï": "çødé ✓"}])
def test_any_json_value_is_echoed(echo: MockServer, value: object, http_client: httpx.Client) -> None:
    answer = http_client.post(echo.url, content=json.dumps(value), headers={"Content-Type": "application/json"})
    assert (answer.status_code, answer.json()) == (200, value)


@pytest.mark.parametrize(
    "content_type", ["application/json; charset=utf-8", "Application/JSON", "application/json;charset=UTF-8"]
)
def test_json_content_type_variants_are_accepted(
    echo: MockServer, content_type: str, http_client: httpx.Client
) -> None:
    answer = http_client.post(echo.url, content=b'{"a": 1}', headers={"Content-Type": content_type}, timeout=5)
    assert (answer.status_code, answer.json()) == (200, {"a": 1})


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
def test_other_methods_get_a_400(echo: MockServer, method: str, http_client: httpx.Client) -> None:
    answer = http_client.request(method, echo.url_for("/x"), json={"a": 1}, timeout=5)
    assert answer.status_code == 400
    assert "POST" in answer.json()["error"]


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/jsonp", "application/x-www-form-urlencoded", "text/json"]
)
def test_a_post_that_is_not_json_gets_a_400(echo: MockServer, content_type: str, http_client: httpx.Client) -> None:
    answer = http_client.post(echo.url, content=b'{"a": 1}', headers={"Content-Type": content_type}, timeout=5)
    assert answer.status_code == 400
    assert "application/json" in answer.json()["error"]


def test_a_post_without_content_type_gets_a_400(echo: MockServer, http_client: httpx.Client) -> None:
    answer = http_client.post(echo.url, content=b'{"a": 1}', timeout=5)
    assert answer.status_code == 400


def test_invalid_json_gets_a_400_naming_the_problem_and_the_connection_lives_on(echo: MockServer) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port_of(echo), timeout=5)
    try:
        connection.request("POST", "/", body=b'{"a": 1,', headers={"Content-Type": "application/json"})
        bad = connection.getresponse()
        error = json.loads(bad.read())["error"]
        assert bad.status == 400
        assert "not valid JSON" in error
        assert "line 1 column 9" in error
        first_socket = connection.sock
        connection.request("POST", "/", body=b'{"a": 2}', headers={"Content-Type": "application/json"})
        good = connection.getresponse()
        assert (good.status, json.loads(good.read())) == (200, {"a": 2})
        assert connection.sock is first_socket  # the same connection, not a reconnect
    finally:
        connection.close()
    assert len({event.request.client for event in echo.requests()}) == 1


def test_a_body_that_is_not_utf8_gets_a_400(echo: MockServer, http_client: httpx.Client) -> None:
    answer = http_client.post(echo.url, content=b'{"a": "\xff\xfe"}', headers={"Content-Type": "application/json"})
    assert answer.status_code == 400
    assert "not valid JSON" in answer.json()["error"]


def test_an_empty_post_without_content_length_gets_a_400_not_a_hang(echo: MockServer) -> None:
    status, body = raw_exchange(
        echo, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
    )
    assert status == 400
    assert "not valid JSON" in json.loads(body)["error"]


@pytest.mark.parametrize("length", [b"abc", b"-5"])
def test_a_bad_content_length_gets_a_400(echo: MockServer, length: bytes, http_client: httpx.Client) -> None:
    status, _ = raw_exchange(
        echo,
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " + length + b"\r\n\r\n{}",
    )
    assert status == 400
    assert http_client.post(echo.url, json={"after": "that"}).json() == {"after": "that"}


def test_the_port_can_be_given_as_a_string(http_client: httpx.Client) -> None:
    port = free_port()
    server = echo_server.start_serving(str(port))
    try:
        assert server.url == f"http://127.0.0.1:{port}"
        assert http_client.post(f"http://127.0.0.1:{port}/", json={"p": port}).json() == {"p": port}
    finally:
        echo_server.stop_serving()


def test_a_bad_port_string_is_refused() -> None:
    with pytest.raises(ValueError, match="'eighty'"):
        echo_server.start_serving("eighty")
    echo_server.stop_serving()


def test_stop_serving_without_start_and_twice_is_harmless(http_client: httpx.Client) -> None:
    echo_server.stop_serving()
    server = echo_server.start_serving()
    port = port_of(server)
    echo_server.stop_serving()
    echo_server.stop_serving()
    assert not server.is_running
    with socket.socket() as sock:  # the port is free again
        sock.bind(("127.0.0.1", port))
    again = echo_server.start_serving(port)
    try:
        assert http_client.post(again.url, json=[1]).json() == [1]
    finally:
        echo_server.stop_serving()


def test_serving_never_imports_the_removed_cgi_module(echo: MockServer, http_client: httpx.Client) -> None:
    assert http_client.post(echo.url, json={"a": 1}).status_code == 200
    assert "cgi" not in sys.modules
    # and in a fresh interpreter, where nothing else could have imported it first
    code = (
        "import sys, httpx\n"
        "from mockpit.examples import echo\n"
        "server = echo.start_serving()\n"
        "assert httpx.post(server.url, json={'a': 1}).json() == {'a': 1}\n"
        "echo.stop_serving()\n"
        "print(sorted(m for m in ('cgi', 'cgitb') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_example_runs_on_its_own_from_the_installed_package(http_client: httpx.Client) -> None:
    port = free_port()
    with started(mockpit_module("mockpit.examples.echo", str(port)), re.compile(r"echoing JSON POSTs on (\S+)")) as run:
        assert run.ready.group(1) == f"http://127.0.0.1:{port}"
        assert http_client.post(f"http://127.0.0.1:{port}/", json={"hello": [1, 2]}).json() == {"hello": [1, 2]}
        assert http_client.post(f"http://127.0.0.1:{port}/", content=b"x").status_code == 400
