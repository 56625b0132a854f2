"""Record and playback in pytest: ``@pytest.mark.mockpit_record`` with the ``mockpit_cassette`` fixture.

Each test starts a real upstream (a MockServer with stubs), runs a test file in a pytester sandbox
that records through mockpit into a cassette folder, stops the upstream, and runs it again to replay.
An inner run costs a pytest session and a server per test in it, so independent inner tests share a run
and each one's outcome is checked in its report.
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from mockpit import MockServer, Response, get, post

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))

INNER = """
import json
import os
import subprocess
import sys

import httpx
import pytest

UPSTREAM = {upstream!r}
PNG = {png!r}


@pytest.mark.mockpit_record("cassettes/users", target=UPSTREAM)
def test_users(mockpit_cassette):
    assert mockpit_cassette.url != UPSTREAM
    with httpx.Client(base_url=mockpit_cassette.url) as http:
        user = http.get("/users/1", headers={{"Authorization": "Bearer cassette-secret-token"}})
        assert (user.status_code, user.json()) == (200, {{"id": 1, "name": os.environ.get("NAME", "Ada")}})
        assert user.headers["x-api-version"] == "3"
        created = http.post("/users", json={{"name": "Grace"}})
        assert (created.status_code, created.headers["location"], created.json()) == (201, "/users/2", {{"id": 2}})
        avatar = http.get("/avatar.png")
        assert (avatar.content, avatar.headers["content-type"]) == (PNG, "image/png")
        assert [http.get("/counter").json()["n"] for _ in range(3)] == [1, 2, 2]
        missing = http.get("/users/404")
        assert (missing.status_code, missing.json()) == (404, {{"error": "no such user"}})
    if os.environ.get("FROM_ANOTHER_PROCESS"):
        # another process, another HTTP client: the cassette is a real server, not a patched library
        code = "import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1]).read().decode())"
        out = subprocess.run(
            [sys.executable, "-c", code, mockpit_cassette.url + "/users/1"],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout
        assert json.loads(out)["id"] == 1
    assert not os.environ.get("FAIL_AT_THE_END")
"""


# new code, not in the cassette: it asks for /users/2 too
NEW_CODE = """
import httpx, pytest

@pytest.mark.mockpit_record("cassettes/users", target={upstream!r})
def test_new_code(mockpit_cassette):
    assert httpx.get(mockpit_cassette.url + "/users/1").json()["name"] == "Ada"
    httpx.get(mockpit_cassette.url + "/users/2")
"""

BIG_INNER = """
import hashlib

import httpx
import pytest


@pytest.mark.mockpit_record("cassettes/big", target={upstream!r})
def test_big(mockpit_cassette):
    body = httpx.get(mockpit_cassette.url + "/big.bin").content
    assert (len(body), hashlib.sha256(body).hexdigest()) == ({size}, {digest!r})
"""


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    # hypothesis's plugin costs over a second per in-process run, and these test files have no use for it
    return pytester.runpytest("-p", "no:hypothesispytest", *args)


def rewind_counter(upstream: MockServer) -> None:
    """/counter answers 1, then 2 from then on (a new stub: the newest wins, so this starts it again)."""
    upstream.when(get("/counter")).respond_in_turn(Response(200, json={"n": 1}), Response(200, json={"n": 2}))


@pytest.fixture
def upstream() -> Iterator[MockServer]:
    """The real API the cassettes record: a server of its own, which the tests stop before replaying."""
    server = MockServer()
    server.when(get("/users/1")).respond(
        json={"id": 1, "name": "Ada"},
        headers={"X-Api-Version": "3", "Set-Cookie": "sid=upstream-secret-77; Path=/; HttpOnly"},
    )
    server.when(post("/users").json({"name": "Grace"})).respond(201, json={"id": 2}, headers={"Location": "/users/2"})
    server.when(get("/avatar.png")).respond(body=PNG, headers={"Content-Type": "image/png"})
    rewind_counter(server)
    server.when(get("/users/404")).respond(404, json={"error": "no such user"})
    with server:
        yield server


def _files(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _text(folder: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in folder.rglob("*") if p.is_file())


def test_records_on_the_first_run_and_replays_with_the_upstream_gone(
    pytester: pytest.Pytester, upstream: MockServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One recording run and one replay run, for three independent tests: the users cassette (recorded
    by httpx, and by urllib in another process), a body larger than the journal keeps (recorded whole),
    and, added for the replay, new code that sends a request the cassette does not hold."""
    big = bytes(range(256)) * (3 * 4096 + 17)  # 3 MiB and a bit: the journal keeps only 1 MiB of a proxied body
    upstream.when(get("/big.bin")).respond(body=big, headers={"Content-Type": "application/octet-stream"})
    monkeypatch.setenv("FROM_ANOTHER_PROCESS", "1")
    pytester.makepyfile(
        test_inner=INNER.format(upstream=upstream.url, png=PNG),
        test_big=BIG_INNER.format(upstream=upstream.url, size=len(big), digest=hashlib.sha256(big).hexdigest()),
    )
    cassette = pytester.path / "cassettes" / "users"

    run(pytester).assert_outcomes(passed=2)
    assert upstream.count(get("/users/1")) == 2  # httpx, and urllib in the subprocess
    assert upstream.count(get("/counter")) == 3
    mappings = sorted((cassette / "mappings").glob("*.json"))
    # repeats replay in turn: /counter (asked three times) and /users/1 (twice) are scenarios of 3 and 2 steps
    assert len(mappings) == 8
    recorded = _files(cassette)
    written = _text(cassette)
    assert "upstream-secret-77" not in written
    assert "sid=REDACTED; Path=/; HttpOnly" in written
    assert not list(pytester.path.glob("cassettes/.*")), "no temporary folder is left behind"
    (stored,) = (pytester.path / "cassettes" / "big" / "__files").iterdir()
    assert stored.read_bytes() == big, "the big body is recorded whole"

    upstream.stop()
    pytester.makepyfile(test_new_code=NEW_CODE.format(upstream=upstream.url))
    result = run(pytester)
    result.assert_outcomes(passed=2, failed=1)  # both cassettes replay; the new code's request is in neither
    result.stdout.fnmatch_lines(
        [
            "*_ test_new_code _*",
            "*1 request(s) matched no stub*",
            "*GET /users/2*",
            "*record it again: pytest --mockpit-record=all*",
        ]
    )
    assert _files(cassette) == recorded, "a replay does not touch the cassette"


def test_record_mode_all_records_again_and_new_keeps_the_cassette(
    pytester: pytest.Pytester, upstream: MockServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_inner=INNER.format(upstream=upstream.url, png=PNG))
    run(pytester).assert_outcomes(passed=1)
    upstream.when(get("/users/1")).respond(json={"id": 1, "name": "Ada Lovelace"}, headers={"X-Api-Version": "3"})
    monkeypatch.setenv("NAME", "Ada")
    run(pytester, "--mockpit-record=new").assert_outcomes(passed=1)  # replayed: the old answer
    assert upstream.count(get("/users/1")) == 1
    monkeypatch.setenv("NAME", "Ada Lovelace")
    rewind_counter(upstream)
    run(pytester, "--mockpit-record=all").assert_outcomes(passed=1)  # recorded again: the new one
    assert upstream.count(get("/users/1")) == 2
    upstream.stop()
    run(pytester, "--mockpit-record=none").assert_outcomes(passed=1)


def test_a_failed_recording_is_not_saved_and_keeps_the_old_cassette(
    pytester: pytest.Pytester, upstream: MockServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_inner=INNER.format(upstream=upstream.url, png=PNG))
    cassette = pytester.path / "cassettes" / "users"
    monkeypatch.setenv("FAIL_AT_THE_END", "1")
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"*its recording was not saved to {cassette}; the next run records again.*"])
    assert not (pytester.path / "cassettes").exists() or list((pytester.path / "cassettes").iterdir()) == []

    monkeypatch.delenv("FAIL_AT_THE_END")
    rewind_counter(upstream)
    run(pytester).assert_outcomes(passed=1)
    recorded = _files(cassette)

    upstream.stop()  # recording again now gets 502s: the test fails, and the cassette stays as it was
    result = run(pytester, "--mockpit-record=all")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*mockpit cassette*", f"*its recording was not saved to {cassette}; the one recorded before stays.*"]
    )
    assert _files(cassette) == recorded
    assert sorted(p.name for p in cassette.parent.iterdir()) == ["users"]


def test_record_mode_none_without_a_cassette_fails_clearly(pytester: pytest.Pytester, upstream: MockServer) -> None:
    pytester.makepyfile(test_inner=INNER.format(upstream=upstream.url, png=PNG))
    result = run(pytester, "--mockpit-record=none")
    result.assert_outcomes(errors=1)
    cassette = pytester.path / "cassettes" / "users"
    result.stdout.fnmatch_lines([f"*the cassette {cassette} does not exist and --mockpit-record=none only replays*"])
    assert upstream.requests() == []
    assert not cassette.exists()


# test name -> its marker, and the error the test gets
WRONG_MARKERS = {
    "test_no_target": (
        "@pytest.mark.mockpit_record('cassettes/x')",
        "give the real API in @pytest.mark.mockpit_record(*target=*",
    ),
    "test_ftp_target": (
        "@pytest.mark.mockpit_record('cassettes/x', target='ftp://a')",
        "*target must be an http:// or https://*",
    ),
    "test_misspelt_argument": (
        "@pytest.mark.mockpit_record('cassettes/x', traget='http://a')",
        # the * after the name: Python 3.13 adds "Did you mean 'target'?"
        "*got an unexpected keyword argument 'traget'*; it takes (cassette=None, *, target=None*",
    ),
}


def _error_sections(output: str) -> dict[str, list[str]]:
    """The ERRORS part of a pytest report, one section per test: test name -> its lines."""
    sections: dict[str, list[str]] = {}
    name = None
    for line in output.splitlines():
        header = re.fullmatch(r"_+ ERROR at setup of (\S+) _+", line)
        if header:
            name = header.group(1)
            sections[name] = []
        elif line.startswith(("====", "____")):
            name = None
        elif name is not None:
            sections[name].append(line)
    return sections


def test_a_wrong_marker_is_an_error_that_says_what_to_fix(pytester: pytest.Pytester) -> None:
    tests = [f"{marker}\ndef {name}(mockpit_cassette):\n    pass\n" for name, (marker, _) in WRONG_MARKERS.items()]
    pytester.makepyfile("import pytest\n\n\n" + "\n\n".join(tests))
    result = run(pytester)  # one run: each test's error section must hold its own message
    result.assert_outcomes(errors=len(WRONG_MARKERS))
    sections = _error_sections(result.stdout.str())
    assert sorted(sections) == sorted(WRONG_MARKERS)
    for name, (_, message) in WRONG_MARKERS.items():
        assert any(fnmatch.fnmatch(line, f"*{message}") for line in sections[name]), f"{name}: {sections[name]}"
    assert not (pytester.path / "cassettes").exists()


def test_where_cassettes_go(pytester: pytest.Pytester, upstream: MockServer) -> None:
    pytester.makepyfile(
        test_places=f"""
        import httpx, pytest

        @pytest.mark.mockpit_record(target={upstream.url!r})
        @pytest.mark.parametrize("n", [1])
        def test_unnamed(mockpit_cassette, n):
            assert httpx.get(mockpit_cassette.url + f"/users/{{n}}").json()["id"] == n

        @pytest.mark.mockpit_record("users", target={upstream.url!r}, keep_secrets=True)
        def test_named(mockpit_cassette):
            assert httpx.get(mockpit_cassette.url + "/users/1").json()["id"] == 1
        """
    )
    (pytester.path / "sub").mkdir()
    (pytester.path / "sub" / "test_nested.py").write_text(
        f"""
import httpx, pytest

@pytest.mark.mockpit_record(target={upstream.url!r})
def test_nested(mockpit_cassette):
    assert httpx.get(mockpit_cassette.url + "/users/1").status_code == 200
""",
        encoding="utf-8",
    )
    run(pytester).assert_outcomes(passed=3)
    root = pytester.path
    assert (root / "cassettes" / "test_places" / "test_unnamed_1" / "mappings").is_dir()
    assert (root / "users" / "mappings").is_dir()  # a relative name starts at the rootdir
    assert "sid=upstream-secret-77" in _text(root / "users")  # keep_secrets=True
    assert "upstream-secret-77" not in _text(root / "cassettes")
    assert (root / "sub" / "cassettes" / "test_nested" / "test_nested" / "mappings").is_dir()

    pytester.makeini("[pytest]\nmockpit_cassette_dir = recorded\n")
    run(pytester, "--mockpit-record=all").assert_outcomes(passed=3)
    assert (root / "recorded" / "test_places" / "test_unnamed_1" / "mappings").is_dir()
    assert (root / "recorded" / "users" / "mappings").is_dir()
    assert (root / "recorded" / "test_nested" / "test_nested" / "mappings").is_dir()
