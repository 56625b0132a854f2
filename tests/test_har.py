"""HAR import: browser exports (tests/data/har/) become mapping files that replay what the browser got."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from mockpit import MockServer
from mockpit._errors import MappingError
from mockpit._recording.har import har_exchanges, import_har, read_har
from mockpit._recording.spec import RecordSpec

ROOT = Path(__file__).resolve().parent.parent
HAR = ROOT / "tests" / "data" / "har"
CHROME = HAR / "chrome-shop.har"
FIREFOX = HAR / "firefox-search.har"
#: every secret the two files carry: Authorization, Cookie, X-API-Key and Set-Cookie values
SECRETS = (
    "har-secret-signature",
    "s3cr3t-session-cookie-4b1d",
    "har-api-key-7f3c9e",
    "rotated-secret-session-77e2",
    "ff-secret-sid-33a1",
    "ff-secret-csrf-5d0e",
)
# not sent on replay: HTTP/2 pseudo-headers and what the client sets from its own connection and body
_NOT_SENT = {"host", "content-length", "connection", "accept-encoding"}


def _entries(har: Path) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = json.loads(har.read_text(encoding="utf-8"))["log"]["entries"]
    return entries


def _replayable(har: Path) -> list[dict[str, Any]]:
    return [
        e
        for e in _entries(har)
        if urlsplit(e["request"]["url"]).scheme in {"http", "https"} and e["response"]["status"] != 0
    ]


def _send(client: httpx.Client, entry: dict[str, Any]) -> httpx.Response:
    request = entry["request"]
    url = urlsplit(request["url"])
    headers = [
        (h["name"], h["value"])
        for h in request["headers"]
        if not h["name"].startswith(":") and h["name"].lower() not in _NOT_SENT
    ]
    body = request.get("postData", {}).get("text", "").encode("utf-8")
    path = url.path + (f"?{url.query}" if url.query else "")
    return client.request(request["method"], path, headers=headers, content=body)


def _body(entry: dict[str, Any]) -> bytes:
    content = entry["response"]["content"]
    text = content.get("text", "")
    return base64.b64decode(text) if content.get("encoding") == "base64" else text.encode("utf-8")


def _header(entry: dict[str, Any], name: str) -> str | None:
    return next((h["value"] for h in entry["response"]["headers"] if h["name"].lower() == name), None)


def _written_text(root: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in sorted(root.rglob("*")) if p.is_file())


@pytest.fixture
def replay(tmp_path: Path) -> Any:
    """Import a HAR file into a folder and serve that folder; yields (client, import result)."""
    servers: list[MockServer] = []
    clients: list[httpx.Client] = []

    def make(har: Path, spec: RecordSpec | None = None, **kwargs: Any) -> tuple[httpx.Client, Any]:
        out = tmp_path / f"out{len(servers)}"
        result = import_har(har, out, spec, **kwargs)
        server = MockServer(mappings=out).start()
        servers.append(server)
        client = httpx.Client(base_url=server.url, follow_redirects=False, timeout=10)
        clients.append(client)
        return client, result

    yield make
    for client in clients:
        client.close()
    for server in servers:
        server.stop()


def test_a_chrome_export_replays_every_entry_byte_for_byte(replay: Any) -> None:
    client, result = replay(CHROME)
    entries = _replayable(CHROME)
    assert len(entries) == 8
    assert result.stubs == 8
    for entry in entries:
        answer = _send(client, entry)
        where = f"{entry['request']['method']} {entry['request']['url']}"
        assert answer.status_code == entry["response"]["status"], where
        assert answer.content == _body(entry), where
        for name in ("content-type", "location", "cache-control", "etag"):
            assert answer.headers.get(name) == _header(entry, name), f"{where}: {name}"
        # the HAR's body is decoded: replaying the browser's Content-Encoding would make clients gunzip text
        assert "content-encoding" not in answer.headers, where
        assert answer.headers.get("content-length") == str(len(_body(entry))), where


def test_the_import_reports_what_it_skipped_and_why() -> None:
    content = read_har(CHROME)
    assert len(content.exchanges) == 8
    assert dict(content.skipped_schemes) == {"data": 1, "chrome-extension": 1}
    assert content.skipped_failed == 1  # net::ERR_BLOCKED_BY_CLIENT
    assert content.skipped == 3
    assert content.hosts == ("shop.example.test", "cdn.example.net")
    assert content.bodies_missing == 0


def test_entries_become_exchanges_as_the_server_saw_them() -> None:
    by_url = {e.url: e for e in read_har(CHROME).exchanges}
    home = by_url["/"]
    names = [name for name, _ in home.request_headers]
    assert not [n for n in names if n.startswith(":")], "HTTP/2 pseudo-headers are no headers"
    assert dict(home.request_headers)["cookie"] == "session=s3cr3t-session-cookie-4b1d; theme=dark"
    # Chrome joins repeated headers with a newline: one Set-Cookie header per line
    set_cookies = [v for n, v in home.response_headers if n.lower() == "set-cookie"]
    assert [v.split("=")[0] for v in set_cookies] == ["session", "theme"]
    assert not {"content-encoding", "content-length"} & {n.lower() for n, _ in home.response_headers}
    assert home.response_body.decode("utf-8").count("€") == 1

    form = by_url["/newsletter/subscribe"]
    assert (form.method, form.status) == ("POST", 303)
    assert form.request_body == b"email=ada%40example.test&topics=books&topics=music"
    assert by_url["/api/products?category=books&page=2"].method == "GET"
    assert by_url["/static/logo.png"].response_body.startswith(b"\x89PNG\r\n\x1a\n")


def test_a_firefox_export_replays_and_repeats_answer_in_turn(replay: Any) -> None:
    entries = _replayable(FIREFOX)
    first, saved, avatar, again = entries
    client, _ = replay(FIREFOX, RecordSpec(repeats_as_scenarios=True))
    assert _send(client, first).content == _body(first)
    assert _send(client, again).content == _body(again)  # the second time, the second answer
    answer = _send(client, saved)
    assert (answer.status_code, answer.content) == (201, _body(saved))
    assert _send(client, avatar).content == _body(avatar) == base64.b64decode(avatar["response"]["content"]["text"])

    plain, _ = replay(FIREFOX)
    assert _send(plain, first).content == _body(first)
    assert _send(plain, again).content == _body(first)  # one stub for identical requests: the first answer


def test_host_and_url_pattern_keep_some_entries(replay: Any) -> None:
    client, result = replay(CHROME, host="cdn.example.net")
    assert result.stubs == 1
    assert result.content.skipped_other_hosts == 7
    assert client.get("/js/widget.js").text.startswith("(function(){")
    assert client.get("/").status_code == 404

    client, result = replay(CHROME, RecordSpec(url_pattern="/api/.*"))
    assert result.stubs == 3
    assert client.get("/api/products/999").status_code == 404
    assert client.get("/api/products/999").json() == {"error": "not_found", "message": "no product 999"}
    assert client.get("/static/logo.png").text.startswith("mockpit: no stub matched")


def test_secrets_are_redacted_in_the_files_unless_kept(tmp_path: Path) -> None:
    capture = {"Authorization": False, "Cookie": False, "X-API-Key": False}
    redacted = tmp_path / "redacted"
    for har in (CHROME, FIREFOX):
        import_har(har, redacted / har.stem, RecordSpec(capture_headers=capture))
    written = _written_text(redacted)
    assert "/api/cart" in written
    assert [s for s in SECRETS if s in written] == []

    kept = tmp_path / "kept"
    for har in (CHROME, FIREFOX):
        import_har(har, kept / har.stem, RecordSpec(capture_headers=capture, keep_secrets=True))
    written = _written_text(kept)
    assert [s for s in SECRETS if s in written] == list(SECRETS)


def test_set_cookie_is_replayed_as_recorded_with_keep_secrets(replay: Any) -> None:
    client, _ = replay(CHROME, RecordSpec(keep_secrets=True))
    answer = client.get("/")
    assert answer.headers.get_list("set-cookie") == [
        "session=rotated-secret-session-77e2; Path=/; HttpOnly; Secure; SameSite=Lax",
        "theme=dark; Path=/; Max-Age=31536000",
    ]


def _har(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"log": {"version": "1.2", "creator": {"name": "test", "version": "1"}, "entries": list(entries)}}


def _entry(**response: Any) -> dict[str, Any]:
    return {
        "startedDateTime": "2025-06-02T09:14:03.101Z",
        "request": {"method": "GET", "url": "https://a.test/x", "headers": []},
        "response": {
            "status": 200,
            "headers": [],
            "content": {"size": 2, "mimeType": "text/plain", "text": "ok"},
            **response,
        },
    }


def test_bodies_the_browser_did_not_keep_are_counted() -> None:
    kept = _entry()
    dropped = _entry(content={"size": 5120, "mimeType": "image/jpeg"})  # Chrome, for a body it evicted
    empty = _entry(status=204, content={"size": 0, "mimeType": "x-unknown"})
    content = har_exchanges(_har(kept, dropped, empty))
    assert [e.response_body for e in content.exchanges] == [b"ok", b"", b""]
    assert content.bodies_missing == 1


@pytest.mark.parametrize(
    ("document", "field", "message"),
    [
        ([], None, "not a HAR file"),
        ({"log": {"version": "1.2"}}, "log.entries", "is missing"),
        ({"log": {"entries": {}}}, "log.entries", "valid list"),
        (
            _har(_entry(), {"request": {"method": "GET", "url": "https://a.test/"}}),
            "log.entries[1].request.headers",
            "",
        ),
        (_har(_entry(), _entry(content=None)), "log.entries[1].response.content", ""),
        (_har(_entry(status="two hundred")), "log.entries[0].response.status", "valid integer"),
        (_har(_entry(headers=[{"name": "A"}])), "log.entries[0].response.headers[0].value", "is missing"),
        (_har(_entry(content={"text": "%%%", "encoding": "base64"})), "log.entries[0].response.content.text", "base64"),
        (_har(_entry(content={"text": "ok", "encoding": "gzip"})), "log.entries[0].response.content.encoding", "gzip"),
    ],
)
def test_a_bad_har_file_is_refused_naming_the_place(
    tmp_path: Path, document: Any, field: str | None, message: str
) -> None:
    file = tmp_path / "bad.har"
    file.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(MappingError) as caught:
        read_har(file)
    error = caught.value
    assert error.source == str(file)
    assert error.field == field
    assert message in error.message
    assert str(error).startswith(f"{file}: {field + ': ' if field else ''}")


def _mockpit(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "mockpit", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=30, cwd=cwd, check=False)


def test_mockpit_import_writes_files_that_mockpit_serve_format_replays(tmp_path: Path) -> None:
    out = tmp_path / "shop"
    done = _mockpit("import", CHROME, "--out", out)
    assert done.returncode == 0, done.stderr
    assert "Read 8 request(s)" in done.stdout
    assert "skipped 3 (1 chrome-extension: URL; 1 data: URL; 1 with status 0" in done.stdout
    assert "2 hosts (shop.example.test, cdn.example.net)" in done.stdout
    assert "Wrote 8 stub(s)" in done.stdout
    assert f"mockpit serve {out}" in done.stdout
    assert len(list((out / "mappings").glob("*.json"))) == 8
    assert [s for s in SECRETS if s in _written_text(out)] == []
    with MockServer(mappings=out) as server:
        logo = next(e for e in _replayable(CHROME) if e["request"]["url"].endswith("logo.png"))
        assert httpx.get(server.url_for("/static/logo.png")).content == _body(logo)


def test_mockpit_import_options(tmp_path: Path) -> None:
    options = ["--keep-secrets", "--repeats-as-scenarios", "--url-pattern", ".*search.*", "--capture-header", "Cookie"]
    done = _mockpit("import", FIREFOX, "-o", tmp_path, *options)
    assert done.returncode == 0, done.stderr
    assert "Read 4 request(s)" in done.stdout
    assert "Wrote 3 stub(s)" in done.stdout
    written = _written_text(tmp_path)
    assert "ff-secret-csrf-5d0e" in written  # a Set-Cookie header, kept
    matched = [json.loads(p.read_text(encoding="utf-8"))["request"] for p in (tmp_path / "mappings").glob("*.json")]
    assert {"equalTo": "sid=ff-secret-sid-33a1"} in [r.get("headers", {}).get("Cookie") for r in matched]
    first, saved, _, again = _replayable(FIREFOX)
    with MockServer(mappings=tmp_path) as server, httpx.Client(base_url=server.url) as client:
        assert _send(client, first).content == _body(first)
        assert _send(client, again).content == _body(again)
        answer = _send(client, saved)
        assert (answer.status_code, answer.headers["set-cookie"]) == (201, _header(saved, "set-cookie"))
        assert client.get("/v1/avatars/7.gif").status_code == 404  # left out by --url-pattern


def _broken_har(folder: Path) -> Path:
    document = json.loads(CHROME.read_text(encoding="utf-8"))
    del document["log"]["entries"][3]["response"]["content"]
    bad = folder / "bad.har"
    bad.write_text(json.dumps(document), encoding="utf-8")
    return bad


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["{tmp}/missing.har"], "{tmp}/missing.har: cannot read the file"),
        (["{tmp}/bad.har"], "error: {tmp}/bad.har: log.entries[3].response.content: is missing"),
        (
            [CHROME, "--host", "nowhere.test"],
            "has no entry for host nowhere.test; its hosts are shop.example.test, cdn",
        ),
        ([CHROME, "--url-pattern", "(unclosed"], "Invalid value for --url-pattern: not a regular expression"),
    ],
)
def test_mockpit_import_exits_2_naming_the_problem(tmp_path: Path, args: list[str | Path], message: str) -> None:
    _broken_har(tmp_path)
    done = _mockpit("import", *[str(a).format(tmp=tmp_path) for a in args], "--out", tmp_path / "out")
    assert done.returncode == 2
    assert message.format(tmp=tmp_path) in " ".join(done.stderr.split())
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()
