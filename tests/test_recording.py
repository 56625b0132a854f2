"""Record and playback (``_recording/`` and ``/__admin/recordings``): record through a mockpit server
proxying to a real upstream (another mockpit server with stubs and Python handlers, or a raw HTTP server
where the wire itself matters), stop the upstream, and replay the files with a fresh server.
"""

from __future__ import annotations

import base64
import gzip
import http.server
import itertools
import json
import random
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from _upstreams import http_server
from _wire import free_port
from mockpit import MockServer, Response, get, register_recording_transformer, request
from mockpit._engine.proxy import JOURNAL_BODY_LIMIT
from mockpit._model import Stub
from mockpit._recording.collector import RecordedStub, stubs_from_exchanges
from mockpit._recording.exchange import Exchange
from mockpit._recording.redaction import REDACTED
from mockpit._recording.spec import RecordSpec
from mockpit._recording.writer import write_recording
from mockpit._server import internals

ADMIN = "/__admin/recordings"
BIG_BINARY = random.Random(6).randbytes(3 * 1024 * 1024)  # more than the journal keeps of a body
IMAGE = random.Random(7).randbytes(40_000)
PRETTY = b'{\n  "users": [\n    {"id": 1, "name": "Ada"},\n    {"id": 2, "name": "Grace"}\n  ],\n  "page": 2\n}\n'
LONG_TEXT = ("All work and no play. " * 200).encode()  # over the 2 KiB text threshold
# headers that say nothing about the answer (the replaying server makes its own) or are framing
_NOT_COMPARED = {
    "date",
    "server",
    "matched-stub-id",
    "content-length",
    "transfer-encoding",
    "x-request-id",
    "traceparent",
}

Fetched = tuple[int, list[tuple[str, str]], bytes]


def fetch(client: httpx.Client, method: str, url: str, **kwargs: Any) -> Fetched:
    """Status, the headers that matter (sorted, names lower case) and the body bytes as sent (not decoded)."""
    with client.stream(method, url, **kwargs) as response:
        body = b"".join(response.iter_raw())
        headers = sorted((k.lower(), v) for k, v in response.headers.multi_items() if k.lower() not in _NOT_COMPARED)
        return response.status_code, headers, body


def redacted(fetched: Fetched) -> Fetched:
    """What a replay must give for ``fetched``: the same, with the values of Set-Cookie and tokens redacted."""
    status, headers, body = fetched
    out = []
    for name, value in headers:
        shown = value
        if name == "set-cookie":
            cookie, _, attributes = value.partition("; ")
            shown = f"{cookie.split('=', 1)[0]}={REDACTED}; {attributes}"
        elif name == "x-csrf-token":
            shown = REDACTED
        out.append((name, shown))
    return status, sorted(out), body


@pytest.fixture
def upstream() -> Iterator[MockServer]:
    """A real API: static stubs and Python handlers; ``/count`` answers 1, 2, 3 ... in turn."""
    counter = itertools.count(1)
    with MockServer() as up:
        up.when(get("/users")).respond(
            body=PRETTY,
            headers={"Content-Type": "application/json", "X-Request-Id": "r-1", "Cache-Control": "no-store"},
        )
        up.when(get("/compact")).respond(json={"ok": True, "items": [1, 2]})
        up.when(get("/text")).respond(body=LONG_TEXT, headers={"Content-Type": "text/plain; charset=utf-8"})
        up.when(get("/image.png")).respond(body=IMAGE, headers={"Content-Type": "image/png"})
        up.when(get("/download")).respond_with(
            lambda _: Response(200, BIG_BINARY, headers={"Content-Type": "application/octet-stream"})
        )
        up.when(get("/gzip")).respond(
            body=gzip.compress(b'{"compressed": true}', mtime=0),
            headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
        )
        up.when(get("/login")).respond(
            body="welcome",
            headers=[
                ("Set-Cookie", "session=s3cr3t-cookie; Path=/; HttpOnly"),
                ("Set-Cookie", "theme=dark; Path=/"),
                ("X-Csrf-Token", "csrf-s3cr3t"),
                ("Traceparent", "00-abc-def-01"),
                ("X-Kept", "yes"),
            ],
        )
        up.when(get("/count")).respond_with(lambda _: Response(json={"n": next(counter)}))
        up.when(request("ANY", path_matching="/echo.*")).respond_with(
            lambda req: Response(
                201,
                req.body,
                headers={"Content-Type": req.headers.get("content-type", "application/octet-stream")},
            )
        )
        up.when(request("POST", "/session")).respond(status=201, body="signed in")
        up.when(get("/empty")).respond(status=204)
        up.when(get("/missing")).respond(status=404, body="no such thing")
        yield up


@pytest.fixture
def recorder(tmp_path: Path) -> Iterator[MockServer]:
    """The recording server: it saves into ``tmp_path``."""
    with MockServer(root=tmp_path) as server:
        yield server


@pytest.fixture(scope="module")
def idle_recorder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockServer]:
    """A server where nothing gets recorded (every attempt is refused), shared by the module."""
    with MockServer(root=tmp_path_factory.mktemp("idle")) as server:
        yield server


def start(client: httpx.Client, spec: dict[str, Any]) -> None:
    response = client.post(f"{ADMIN}/start", json=spec)
    assert response.status_code == 200, response.text


def stop(client: httpx.Client) -> dict[str, Any]:
    response = client.post(f"{ADMIN}/stop")
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def mapping_files(root: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted((root / "mappings").glob("*.json"))]


def all_text(root: Path) -> str:
    """Every file under ``root`` as text (binary bodies too, latin-1), to search for secrets."""
    return "\n".join(p.read_bytes().decode("latin-1") for p in sorted(root.rglob("*")) if p.is_file())


REQUESTS: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", "/users?page=2&sort=name", {}),
    ("GET", "/compact", {}),
    ("GET", "/text", {}),
    ("GET", "/image.png", {}),
    ("GET", "/download", {}),
    ("GET", "/gzip", {"headers": {"Accept-Encoding": "gzip"}}),
    ("GET", "/login", {}),
    ("POST", "/echo/json", {"json": {"name": "Ada", "tags": ["a", "b"]}}),
    ("PUT", "/echo/text", {"content": b"plain words", "headers": {"Content-Type": "text/plain"}}),
    ("POST", "/echo/bytes", {"content": bytes(range(256)), "headers": {"Content-Type": "application/octet-stream"}}),
    ("HEAD", "/image.png", {}),
    ("GET", "/empty", {}),
    ("GET", "/missing", {}),
    ("DELETE", "/echo/gone", {}),
]


def test_a_recording_replays_byte_for_byte_with_the_upstream_gone(
    upstream: MockServer, recorder: MockServer, tmp_path: Path
) -> None:
    with httpx.Client(base_url=recorder.url, timeout=10) as client:
        start(client, {"targetBaseUrl": upstream.url})
        seen = [fetch(client, method, url, **kwargs) for method, url, kwargs in REQUESTS]
        result = stop(client)
    assert len(result["mappings"]) == len(REQUESTS)
    assert [seen[i][0] for i in range(4)] == [200, 200, 200, 200]
    upstream.stop()
    recorder.stop()

    # large and binary bodies are files named after their stub; small text is inline
    files = {p.name: p.read_bytes() for p in (tmp_path / "__files").iterdir()}
    assert sorted(files.values(), key=len) == sorted(
        [LONG_TEXT, IMAGE, BIG_BINARY, seen[5][2], bytes(range(256))], key=len
    )
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]
    # a query string is recorded as WireMock records it: urlPath and each parameter with exactly its values
    by_url = {
        (m["request"]["method"], m["request"].get("url", m["request"].get("urlPath"))): m
        for m in mapping_files(tmp_path)
    }
    assert by_url[("GET", "/image.png")]["response"]["bodyFileName"].endswith(".png")
    assert by_url[("GET", "/compact")]["response"]["jsonBody"] == {"ok": True, "items": [1, 2]}
    users = by_url[("GET", "/users")]
    assert users["response"]["body"] == PRETTY.decode()
    assert users["request"]["queryParameters"] == {
        "page": {"hasExactly": [{"equalTo": "2"}]},
        "sort": {"hasExactly": [{"equalTo": "name"}]},
    }

    with MockServer(mappings=tmp_path) as replay, httpx.Client(base_url=replay.url, timeout=10) as client:
        replayed = [fetch(client, method, url, **kwargs) for method, url, kwargs in REQUESTS]
        assert not replay.unmatched
    for (method, url, _), before, after in zip(REQUESTS, seen, replayed, strict=True):
        assert after == redacted(before), f"{method} {url}"


def test_recorded_requests_match_on_method_url_and_body_only(upstream: MockServer, recorder: MockServer) -> None:
    with httpx.Client(base_url=recorder.url, timeout=10) as client:
        start(client, {"targetBaseUrl": upstream.url, "persist": False})
        client.post("/echo/json", json={"b": [1, 2], "a": 1})
        client.get("/users?page=2")
        stop(client)
        upstream.stop()
        # the stubs are served at once: same JSON in another key order and array order, other headers
        replayed = client.post(
            "/echo/json", content=b'{"a": 1, "b": [2, 1]}', headers={"Content-Type": "application/json"}
        )
        assert replayed.status_code == 201
        assert replayed.json() == {"b": [1, 2], "a": 1}
        assert client.get("/users?page=2", headers={"Accept": "text/html"}).status_code == 200
        assert client.post("/echo/json", json={"a": 2}).status_code == 404
        assert client.get("/users?page=3").status_code == 404
        assert client.put("/echo/json", json={"b": [1, 2], "a": 1}).status_code == 404


def test_identical_requests_make_one_stub_with_the_first_answer(
    upstream: MockServer, recorder: MockServer, tmp_path: Path
) -> None:
    with httpx.Client(base_url=recorder.url, timeout=10) as client:
        start(client, {"targetBaseUrl": upstream.url})
        answers = [client.get("/count").json()["n"] for _ in range(3)]
        assert answers == [1, 2, 3]
        assert len(stop(client)["mappings"]) == 1
        upstream.stop()
        assert [client.get("/count").json()["n"] for _ in range(3)] == [1, 1, 1]
    assert len(mapping_files(tmp_path)) == 1


def test_repeats_as_scenarios_replay_the_answers_in_order_then_the_last(
    upstream: MockServer, recorder: MockServer, tmp_path: Path
) -> None:
    with httpx.Client(base_url=recorder.url, timeout=10) as client:
        start(client, {"targetBaseUrl": upstream.url, "repeatsAsScenarios": True})
        for _ in range(3):
            client.get("/count")
        client.get("/compact")
        mappings = stop(client)["mappings"]
    upstream.stop()
    steps = [m for m in mappings if m["request"]["url"] == "/count"]
    name = steps[0]["scenarioName"]
    assert name.startswith("recording-count-")
    assert [(m["scenarioName"], m["requiredScenarioState"], m.get("newScenarioState")) for m in steps] == [
        (name, "Started", "2"),
        (name, "2", "3"),
        (name, "3", None),
    ]
    assert "scenarioName" not in next(m for m in mappings if m["request"]["url"] == "/compact")
    recorder.stop()
    with MockServer(mappings=tmp_path) as replay, httpx.Client(base_url=replay.url, timeout=10) as client:
        assert [client.get("/count").json()["n"] for _ in range(5)] == [1, 2, 3, 3, 3]


def test_incremental_files_are_what_a_one_shot_write_makes(
    upstream: MockServer, recorder: MockServer, tmp_path: Path
) -> None:
    """Each exchange's files are on disk once it completes; a scenario's earlier step is rewritten to point
    at the next one; at stop, the folder equals what write_recording makes of the same exchanges."""
    written = threading.Semaphore(0)
    internals(recorder).recorder.listeners.append(lambda exchange, paths: written.release())
    with httpx.Client(base_url=recorder.url, timeout=10) as client:
        start(client, {"targetBaseUrl": upstream.url, "repeatsAsScenarios": True})
        client.get("/count")
        assert written.acquire(timeout=5)
        (first,) = mapping_files(tmp_path)
        assert "scenarioName" not in first
        client.get("/count")
        assert written.acquire(timeout=5)
        on_disk = {m["id"]: m for m in mapping_files(tmp_path)}
        assert on_disk[first["id"]]["newScenarioState"] == "2"
        client.get("/image.png")
        assert written.acquire(timeout=5)
        assert len(list((tmp_path / "__files").iterdir())) == 1
        before_stop = {p.name: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
        stop(client)
    after_stop = {p.name: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert after_stop == before_stop
    exchanges = [
        Exchange("GET", "/count", (), b"", 200, (("content-type", "application/json"),), b'{"n":1}'),
        Exchange("GET", "/count", (), b"", 200, (("content-type", "application/json"),), b'{"n":2}'),
        Exchange("GET", "/image.png", (), b"", 200, (("content-type", "image/png"),), IMAGE),
    ]
    fresh = tmp_path / "fresh"
    write_recording(stubs_from_exchanges(exchanges, RecordSpec(repeats_as_scenarios=True)), fresh)
    assert {p.name: p.read_bytes() for p in fresh.rglob("*") if p.is_file()} == after_stop


def test_secrets_are_redacted_unless_kept(upstream: MockServer, tmp_path: Path) -> None:
    secrets = {
        "Authorization": "Bearer tok-s3cr3t",
        "Cookie": "session=cookie-s3cr3t",
        "X-Api-Key": "key-s3cr3t",
        "X-Auth-Token": "token-s3cr3t",
        "Proxy-Authorization": "Basic cHJveHk6czNjcjN0",
    }
    headers = {**secrets, "Accept": "text/plain"}
    spec = {"targetBaseUrl": upstream.url, "captureHeaders": {name: {} for name in headers}}
    roots = {}
    for keep in (False, True):
        root = roots[keep] = tmp_path / str(keep)
        with MockServer(root=root) as server, httpx.Client(base_url=server.url, timeout=10) as client:
            start(client, {**spec, "keepSecrets": keep})
            assert client.get("/login?api_key=query-s3cr3t&page=1", headers=headers).text == "welcome"
            client.post("/session", json={"user": "ada", "auth": {"password": "json-s3cr3t"}})
            client.post("/session", data={"user": "ada", "client_secret": "form-s3cr3t"})
            stop(client)
    text = all_text(roots[False])
    for leaked in ("s3cr3t", "cHJveHk6czNjcjN0"):
        assert leaked not in text
    login, *sessions = sorted(mapping_files(roots[False]), key=lambda m: m["request"]["method"])
    response_headers = {k.title(): v for k, v in login["response"]["headers"].items()}
    assert response_headers["Set-Cookie"] == [f"session={REDACTED}; Path=/; HttpOnly", f"theme={REDACTED}; Path=/"]
    assert response_headers["X-Csrf-Token"] == REDACTED
    assert login["request"]["headers"]["Authorization"] == {"matches": ".+"}
    assert login["request"]["headers"]["Accept"] == {"equalTo": "text/plain"}
    assert login["request"]["urlPath"] == "/login"
    assert login["request"]["queryParameters"] == {"api_key": {"matches": ".*"}, "page": {"equalTo": "1"}}
    json_login = {"user": "ada", "auth": {"password": "${json-unit.ignore}"}}
    assert sorted(
        ((s["request"].get("bodyPatterns"), s["request"].get("formParameters")) for s in sessions), key=str
    ) == sorted(
        [
            ([{"equalToJson": json.dumps(json_login), "ignoreArrayOrder": True, "ignoreExtraElements": True}], None),
            (None, {"user": {"equalTo": "ada"}, "client_secret": {"matches": ".*"}}),
        ],
        key=str,
    )
    kept = all_text(roots[True])
    for value in [*secrets.values(), "csrf-s3cr3t", "s3cr3t-cookie", "query-s3cr3t", "json-s3cr3t", "form-s3cr3t"]:
        assert value in kept
    # the redacted recording still replays to the client that made it, and only to it
    upstream.stop()
    with MockServer(mappings=roots[False]) as replay, httpx.Client(base_url=replay.url, timeout=10) as client:
        assert client.get("/login?api_key=other&page=1", headers=headers).text == "welcome"
        assert client.get("/login?api_key=x&page=1", headers={**headers, "Accept": "text/html"}).status_code == 404
        assert client.get("/login?api_key=x&page=1", headers={"Accept": "text/plain"}).status_code == 404
        assert client.post("/session", json={"user": "ada", "auth": {"password": "other"}}).status_code == 201
        assert client.post("/session", json={"user": "bob", "auth": {"password": "other"}}).status_code == 404
        assert client.post("/session", data={"user": "ada", "client_secret": "other"}).status_code == 201
        assert client.post("/session", data={"user": "bob", "client_secret": "other"}).status_code == 404


def test_volatile_and_hop_by_hop_response_headers_are_left_out(upstream: MockServer, recorder: MockServer) -> None:
    with httpx.Client(base_url=recorder.url, timeout=10) as client:
        start(client, {"targetBaseUrl": upstream.url, "persist": False})
        client.get("/login")
        client.get("/users")
        mappings = stop(client)["mappings"]
    names = {name.lower() for m in mappings for name in m["response"].get("headers", {})}
    assert names == {"set-cookie", "x-csrf-token", "x-kept", "content-type", "cache-control"}


def test_an_unreachable_upstream_is_recorded_as_the_502_the_client_got(recorder: MockServer, tmp_path: Path) -> None:
    gone = f"http://127.0.0.1:{free_port()}"
    with httpx.Client(base_url=recorder.url, timeout=10) as client:
        start(client, {"targetBaseUrl": gone})
        seen = fetch(client, "GET", "/anything")
        stop(client)
    assert seen[0] == 502
    assert b"could not connect to the upstream" in seen[2]
    recorder.stop()
    with MockServer(mappings=tmp_path) as replay, httpx.Client(base_url=replay.url, timeout=10) as client:
        assert fetch(client, "GET", "/anything") == seen


class _Cut(http.server.BaseHTTPRequestHandler):
    """An upstream that promises 100 bytes and dies after 10 (a crash mid-response)."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", "100")
        self.end_headers()
        self.wfile.write(b"0123456789")
        self.wfile.flush()
        self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_an_upstream_dying_mid_body_is_recorded_as_what_arrived(recorder: MockServer, tmp_path: Path) -> None:
    written = threading.Event()
    internals(recorder).recorder.listeners.append(lambda exchange, paths: written.set())
    with http_server(_Cut) as cut, httpx.Client(base_url=recorder.url, timeout=10) as client:
        start(client, {"targetBaseUrl": cut})
        with pytest.raises(httpx.RemoteProtocolError):
            client.get("/cut")
        assert written.wait(5)
        (mapping,) = stop(client)["mappings"]
    assert mapping["response"]["body"] == "0123456789"
    assert "broke off after 10 bytes" in mapping["metadata"]["mockpit"]["incomplete"]
    assert recorder.errors  # the proxy recorded the broken stream, as without recording
    internals(recorder).engine.clear_errors()


def test_a_body_larger_than_the_journal_keeps_is_recorded_whole(upstream: MockServer, recorder: MockServer) -> None:
    assert len(BIG_BINARY) > JOURNAL_BODY_LIMIT
    with httpx.Client(base_url=recorder.url, timeout=10) as client:
        start(client, {"targetBaseUrl": upstream.url})
        client.get("/download")
        (recorded,) = internals(recorder).recorder.stop()
    ((_, content),) = recorded.files
    assert content == BIG_BINARY
    # a snapshot reads the journal, which kept only the first MiB: it says so
    with httpx.Client(base_url=recorder.url, timeout=10) as client:
        (mapping,) = client.post(f"{ADMIN}/snapshot", json={"persist": False}).json()["mappings"]
    assert len(base64.b64decode(mapping["response"]["base64Body"])) == JOURNAL_BODY_LIMIT
    assert "kept 1048576 of the 3145728 bytes" in mapping["metadata"]["mockpit"]["incomplete"]


def test_filters_choose_what_is_recorded_and_everything_is_still_proxied(
    upstream: MockServer, recorder: MockServer
) -> None:
    with httpx.Client(base_url=recorder.url, timeout=10) as client:
        start(
            client,
            {
                "targetBaseUrl": upstream.url,
                "filters": {"urlPathPattern": "/echo/.*", "method": "POST"},
                "persist": False,
            },
        )
        assert client.post("/echo/a", content=b"x").status_code == 201
        assert client.put("/echo/b", content=b"y").status_code == 201
        assert client.get("/compact").status_code == 200
        mappings = stop(client)["mappings"]
    assert [(m["request"]["method"], m["request"]["url"]) for m in mappings] == [("POST", "/echo/a")]


def test_the_recording_life_cycle_follows_wiremock(upstream: MockServer, recorder: MockServer) -> None:
    with httpx.Client(base_url=recorder.url, timeout=10) as client:
        status = lambda: client.get(f"{ADMIN}/status").json()  # noqa: E731
        assert status() == {"status": "NeverStarted"}
        start(client, {"targetBaseUrl": upstream.url, "outputFormat": "IDS"})
        assert status() == {"status": "Recording"}
        proxies = [m for m in client.get("/__admin/mappings").json()["mappings"] if "proxyBaseUrl" in m["response"]]
        assert len(proxies) == 1
        again = client.post(f"{ADMIN}/start", json={"targetBaseUrl": upstream.url})
        assert again.status_code == 409
        assert "already running" in again.json()["errors"][0]["detail"]
        client.post("/__admin/reset")  # as the pytest plugin does before each test: the recording goes on
        client.get("/compact")
        result = stop(client)
        assert status() == {"status": "Stopped"}
        # IDS: only the ids; the proxy stub is gone and the recorded stub served in its place
        (stub_id,) = result["ids"]
        assert [m["id"] for m in client.get("/__admin/mappings").json()["mappings"]] == [stub_id]
        again = client.post(f"{ADMIN}/stop")
        assert again.status_code == 409
        assert "no recording is running" in again.json()["errors"][0]["detail"]
        # saved stubs survive a reset, as WireMock's persistent ones; the proxy stub does not come back
        client.post("/__admin/reset")
        assert [m["id"] for m in client.get("/__admin/mappings").json()["mappings"]] == [stub_id]
        assert client.get("/compact").json() == {"ok": True, "items": [1, 2]}


@pytest.mark.parametrize(
    ("spec", "pointer", "words"),
    [
        ({"targetBaseUrl": "ftp://example.com"}, "/targetBaseUrl", "not an http:// or https:// URL"),
        ({"targetBaseUrl": "example.com"}, "/targetBaseUrl", "not an http:// or https:// URL"),
        ({"targetBaseUrl": 7}, "/targetBaseUrl", "string"),
        ({"targtBaseUrl": "http://x"}, "/targtBaseUrl", "unknown field"),
        ({"requestBodyPattern": {"matcher": "fuzzy"}}, "/requestBodyPattern/matcher", "equalToJson"),
        ({"extractBodyCriteria": {"textSizeThreshold": "big"}}, "/extractBodyCriteria/textSizeThreshold", "2 kb"),
        ({"filters": {"urlPattern": "("}}, "/filters/urlPattern", "regular expression"),
        ({"filters": {"ids": "one"}}, "/filters/ids", "list"),
        ({"outputFormat": "SOME"}, "/outputFormat", "FULL"),
        ({"transformers": ["no-such"]}, "/transformers/0", "register_recording_transformer"),
        ({"captureHeaders": {"Accept": {"caseSensitive": True}}}, "/captureHeaders/Accept/caseSensitive", "unknown"),
    ],
)
def test_a_bad_spec_is_a_400_naming_the_field(
    idle_recorder: MockServer, spec: dict[str, Any], pointer: str, words: str
) -> None:
    with httpx.Client(base_url=idle_recorder.url, timeout=10) as client:
        for endpoint in ("start", "snapshot"):
            if endpoint == "snapshot" and pointer == "/targetBaseUrl":
                continue  # WireMock ignores targetBaseUrl when snapshotting; so does mockpit
            response = client.post(f"{ADMIN}/{endpoint}", json=spec)
            assert response.status_code == 400, response.text
            (error,) = response.json()["errors"]
            assert error["source"]["pointer"] == pointer
            assert words in error["detail"]
        assert client.get(f"{ADMIN}/status").json() == {"status": "NeverStarted"}


def test_without_a_mappings_folder_persisting_is_a_409_and_persist_false_works(upstream: MockServer) -> None:
    with MockServer() as server, httpx.Client(base_url=server.url, timeout=10) as client:
        refused = client.post(f"{ADMIN}/start", json={"targetBaseUrl": upstream.url})
        assert refused.status_code == 409
        assert '"persist": false' in refused.json()["errors"][0]["detail"]
        start(client, {"targetBaseUrl": upstream.url, "persist": False})
        client.get("/image.png")
        (mapping,) = stop(client)["mappings"]
        assert "persistent" not in mapping
        assert base64.b64decode(mapping["response"]["base64Body"]) == IMAGE
        upstream.stop()
        assert client.get("/image.png").content == IMAGE
        client.post("/__admin/reset")  # not saved: gone on reset, as in WireMock
        assert client.get("/image.png").status_code == 404


def test_snapshot_turns_the_journal_into_stubs(upstream: MockServer, recorder: MockServer, tmp_path: Path) -> None:
    recorder.add_mapping({"priority": 10, "request": {"method": "ANY"}, "response": {"proxyBaseUrl": upstream.url}})
    recorder.when(get("/local")).respond(body="served by a stub")
    with httpx.Client(base_url=recorder.url, timeout=10) as client:
        client.get("/compact")
        client.get("/text")
        client.get("/local")
        events = client.get("/__admin/requests").json()["requests"]
        compact_id = next(e["id"] for e in events if e["request"]["url"] == "/compact")
        only = client.post(f"{ADMIN}/snapshot", json={"filters": {"ids": [compact_id]}, "persist": False}).json()
        assert [m["request"]["url"] for m in only["mappings"]] == ["/compact"]
        every = client.post(f"{ADMIN}/snapshot", json={"filters": {"allowNonProxied": True}, "persist": False})
        assert sorted(m["request"]["url"] for m in every.json()["mappings"]) == ["/compact", "/local", "/text"]
        proxied = client.post(f"{ADMIN}/snapshot", content=b"")  # an empty body is {}: persisted
        assert sorted(m["request"]["url"] for m in proxied.json()["mappings"]) == ["/compact", "/text"]
        assert client.get(f"{ADMIN}/status").json() == {"status": "NeverStarted"}
    assert sorted(m["request"]["url"] for m in mapping_files(tmp_path)) == ["/compact", "/text"]
    upstream.stop()
    recorder.stop()
    with MockServer(mappings=tmp_path) as replay, httpx.Client(base_url=replay.url, timeout=10) as client:
        assert client.get("/text").content == LONG_TEXT


def test_stub_transformers_apply_to_every_recorded_stub(upstream: MockServer, recorder: MockServer) -> None:
    def tag(stub: Stub, parameters: Any) -> Stub:
        return replace(stub, priority=parameters["priority"], metadata={"team": "payments"})

    register_recording_transformer("tag", tag)
    with httpx.Client(base_url=recorder.url, timeout=10) as client:
        start(
            client,
            {"targetBaseUrl": upstream.url, "transformers": ["tag"], "transformerParameters": {"priority": 3}},
        )
        client.get("/compact")
        (mapping,) = stop(client)["mappings"]
    assert mapping["priority"] == 3
    assert mapping["metadata"] == {"team": "payments"}


# --- exchanges -> stubs, without a server: the decisions in a table ----------------------------------

JSON_HEADERS = (("Content-Type", "application/json"),)


@pytest.mark.parametrize(
    ("headers", "body", "matcher", "expected"),
    [
        (
            JSON_HEADERS,
            b'{"a": [1, 2]}',
            "auto",
            {"equalToJson": '{"a": [1, 2]}', "ignoreArrayOrder": True, "ignoreExtraElements": True},
        ),
        (
            (("Content-Type", "application/vnd.api+json"),),
            b"[1]",
            "auto",
            {"equalToJson": "[1]", "ignoreArrayOrder": True, "ignoreExtraElements": True},
        ),
        (
            (),
            b'{"no": "type"}',
            "auto",
            {"equalToJson": '{"no": "type"}', "ignoreArrayOrder": True, "ignoreExtraElements": True},
        ),
        (JSON_HEADERS, b"not json {", "auto", {"equalTo": "not json {"}),
        ((("Content-Type", "text/xml"),), b"<a>1</a>", "auto", {"equalToXml": "<a>1</a>"}),
        ((("Content-Type", "text/plain"),), b"hello", "auto", {"equalTo": "hello"}),
        ((("Content-Type", "application/x-www-form-urlencoded"),), b"a=1&b=2", "auto", {"equalTo": "a=1&b=2"}),
        ((), b"\xff\x00\xfe", "auto", {"binaryEqualTo": "/wD+"}),
        (JSON_HEADERS, b'{"a": 1}', "equalTo", {"equalTo": '{"a": 1}'}),
        (
            (("Content-Type", "text/plain"),),
            b"[2]",
            "equalToJson",
            {"equalToJson": "[2]", "ignoreArrayOrder": True, "ignoreExtraElements": True},
        ),
        (JSON_HEADERS, b'{"a": 1}', "none", None),
        (JSON_HEADERS, b"", "auto", None),
    ],
)
def test_the_request_body_pattern(
    headers: tuple[tuple[str, str], ...], body: bytes, matcher: str, expected: dict[str, Any] | None
) -> None:
    exchange = Exchange("POST", "/x", headers, body, 200, (), b"")
    (recorded,) = stubs_from_exchanges([exchange], RecordSpec(request_body_pattern=matcher))
    mapping = _mapping(recorded)
    assert mapping["request"].get("bodyPatterns") == (None if expected is None else [expected])


@pytest.mark.parametrize(
    ("headers", "body", "spec", "expected"),
    [
        (JSON_HEADERS, b'{"a":1}', RecordSpec(), {"jsonBody": {"a": 1}}),
        # pretty JSON would not come back byte for byte from jsonBody
        (JSON_HEADERS, b'{"a": 1}', RecordSpec(), {"body": '{"a": 1}'}),
        # without a Content-Type, jsonBody would add one on replay
        ((), b'{"a":1}', RecordSpec(), {"body": '{"a":1}'}),
        ((("Content-Type", "text/plain"),), "é ✓".encode(), RecordSpec(), {"body": "é ✓"}),
        ((("Content-Type", "text/plain"),), b"x" * 2048, RecordSpec(), {"bodyFileName": "x-{id}.txt"}),
        ((("Content-Type", "text/plain"),), b"x" * 2047, RecordSpec(), {"body": "x" * 2047}),
        (
            (("Content-Type", "text/plain"),),
            b"x" * 10,
            RecordSpec(extract_body_min_size=5),
            {"bodyFileName": "x-{id}.txt"},
        ),
        ((("Content-Type", "image/png"),), b"\x89PNG", RecordSpec(), {"bodyFileName": "x-{id}.png"}),
        ((("Content-Type", "image/png"),), b"\x89PNG", RecordSpec(extract_binary=False), {"base64Body": "iVBORw=="}),
        (
            (("Content-Type", "image/png"),),
            b"\x89PNG",
            RecordSpec(extract_binary_min_size=5),
            {"base64Body": "iVBORw=="},
        ),
        ((), b"\x00\x01", RecordSpec(), {"bodyFileName": "x-{id}"}),  # no type: an extension would make one up
        (
            (("Content-Type", "text/plain"), ("Content-Encoding", "gzip")),
            b"ab",
            RecordSpec(),
            {"bodyFileName": "x-{id}.bin"},
        ),
        ((("Content-Type", "text/plain"),), b"x" * 4096, RecordSpec(persist=False), {"body": "x" * 4096}),
        ((("Content-Type", "text/plain"),), b"", RecordSpec(), {}),
    ],
)
def test_the_response_body(
    headers: tuple[tuple[str, str], ...], body: bytes, spec: RecordSpec, expected: dict[str, Any]
) -> None:
    exchange = Exchange("GET", "/x", (), b"", 200, headers, body)
    (recorded,) = stubs_from_exchanges([exchange], spec)
    response = _mapping(recorded)["response"]
    fields = {k: v for k, v in response.items() if k in {"body", "jsonBody", "base64Body", "bodyFileName"}}
    if "bodyFileName" in expected:
        expected = {"bodyFileName": expected["bodyFileName"].format(id=recorded.stub.id)}
        assert recorded.files == ((expected["bodyFileName"], body),)
    else:
        assert recorded.files == ()
    assert fields == expected


@pytest.mark.parametrize(
    ("name", "dropped"),
    [
        ("Date", True),
        ("Server", True),
        ("Content-Length", True),
        ("Transfer-Encoding", True),
        ("Connection", True),
        ("Keep-Alive", True),
        ("X-Request-Id", True),
        ("X-Amzn-RequestId", True),
        ("X-Correlation-ID", True),
        ("Traceparent", True),
        ("CF-Ray", True),
        ("Age", True),
        ("Content-Type", False),
        ("Content-Encoding", False),
        ("ETag", False),
        ("Location", False),
        ("Cache-Control", False),
        ("X-Rate-Limit", False),
    ],
)
def test_which_response_headers_are_dropped(name: str, dropped: bool) -> None:
    exchange = Exchange("GET", "/x", (), b"", 200, ((name, "v"),), b"")
    (recorded,) = stubs_from_exchanges([exchange], RecordSpec())
    assert (recorded.stub.response.headers == ()) is dropped


def test_a_head_response_keeps_its_content_length() -> None:
    exchange = Exchange("HEAD", "/x", (), b"", 200, (("Content-Length", "123"),), b"")
    (recorded,) = stubs_from_exchanges([exchange], RecordSpec())
    assert recorded.stub.response.headers == (("Content-Length", "123"),)


@pytest.mark.parametrize(
    ("captured", "sent", "expected"),
    [
        ({"Accept": False}, (("accept", "text/html"),), {"Accept": {"equalTo": "text/html"}}),
        ({"Accept": True}, (("Accept", "TEXT/html"),), {"Accept": {"equalTo": "TEXT/html", "caseInsensitive": True}}),
        ({"Accept": False}, (), None),  # not sent: not matched on
        (
            {"X-Many": False},
            (("X-Many", "a"), ("X-Many", "b")),
            {"X-Many": {"hasExactly": [{"equalTo": "a"}, {"equalTo": "b"}]}},
        ),
        ({"Authorization": False}, (("Authorization", "Bearer t"),), {"Authorization": {"matches": ".+"}}),
        ({"X-Client-Secret": False}, (("X-Client-Secret", "s"),), {"X-Client-Secret": {"matches": ".+"}}),
        ({"Api_Key": False}, (("api_key", "s"),), {"Api_Key": {"matches": ".+"}}),
        ({"X-Password": False}, (("X-Password", "s"),), {"X-Password": {"matches": ".+"}}),
    ],
)
def test_captured_headers(
    captured: dict[str, bool], sent: tuple[tuple[str, str], ...], expected: dict[str, Any] | None
) -> None:
    exchange = Exchange("GET", "/x", (*sent, ("User-Agent", "not captured")), b"", 200, (), b"")
    (recorded,) = stubs_from_exchanges([exchange], RecordSpec(capture_headers=captured))
    assert _mapping(recorded)["request"].get("headers") == expected


def test_dedupe_counts_captured_headers_and_json_bodies_as_json() -> None:
    def exchange(accept: str, body: bytes, answer: bytes) -> Exchange:
        return Exchange("POST", "/q", (("Accept", accept), *JSON_HEADERS), body, 200, (), answer)

    exchanges = [
        exchange("a/b", b'{"x": 1, "y": 2}', b"first"),
        exchange("a/b", b'{"y":2,"x":1}', b"same request"),
        exchange("c/d", b'{"x": 1, "y": 2}', b"other accept"),
        exchange("a/b", b'{"x": 2}', b"other body"),
    ]
    stubs = stubs_from_exchanges(exchanges, RecordSpec(capture_headers={"Accept": False}))
    assert [s.stub.response.body for s in stubs] == ["first", "other accept", "other body"]
    assert len({s.stub.id for s in stubs}) == 3
    # the ids come from the requests: recording the same traffic again rewrites the same files
    assert [s.stub.id for s in stubs] == [
        s.stub.id for s in stubs_from_exchanges(exchanges, RecordSpec(capture_headers={"Accept": False}))
    ]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"target": "localhost:8080"}, "targetBaseUrl"),
        ({"target": "http://x?y=1"}, "targetBaseUrl"),
        ({"url_pattern": "["}, "filters.urlPattern"),
        ({"methods": ("GE T",)}, "filters.method"),
        ({"request_body_pattern": "equalToYaml"}, "requestBodyPattern.matcher"),
        ({"extract_body_min_size": -1}, "extractBodyCriteria.textSizeThreshold"),
        ({"transformers": ("nope",)}, "transformers[0]"),
    ],
)
def test_a_bad_record_spec_from_python_names_the_field(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ValueError, match="record spec") as caught:
        RecordSpec(**kwargs)
    assert getattr(caught.value, "field", None) == field


def test_method_and_url_filters_from_python() -> None:
    exchanges = [
        Exchange("GET", "/api/a?x=1", (), b"", 200, (), b"1"),
        Exchange("POST", "/api/b", (), b"", 200, (), b"2"),
        Exchange("GET", "/other", (), b"", 200, (), b"3"),
    ]
    only_get = stubs_from_exchanges(exchanges, RecordSpec(methods=("GET",)))
    assert [s.stub.response.body for s in only_get] == ["1", "3"]
    only_api = stubs_from_exchanges(exchanges, RecordSpec(url_path_pattern="/api/.*"))
    assert [s.stub.response.body for s in only_api] == ["1", "2"]
    by_url = stubs_from_exchanges(exchanges, RecordSpec(url_pattern=r"/api/a\?x=1"))
    assert [s.stub.response.body for s in by_url] == ["1"]


def _mapping(recorded: RecordedStub) -> dict[str, Any]:
    from mockpit._mapping.read import stub_from_mapping
    from mockpit._mapping.write import stub_to_mapping

    mapping = stub_to_mapping(recorded.stub)
    # what is written loads back as the same stub: the recording is valid mapping JSON
    assert stub_from_mapping(json.loads(json.dumps(mapping))) == recorded.stub
    return mapping
