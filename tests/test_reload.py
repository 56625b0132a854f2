"""Reloading mapping files: MockServer.reload(), and watch=True / mockpit serve --watch, which reload
when a file changes: changed, added and deleted files and __files/ bodies, without dropping
connections; a broken file keeps the old stubs; stubs added through the admin API stay."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import httpx
import pytest

from _processes import mockpit_command, started
from _waiting import wait_until
from mockpit import MappingError, MockServer, get


def write(path: Path, mapping: dict[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(mapping))


def stub(url: str, body: str, **response: object) -> dict[str, object]:
    return {"request": {"method": "GET", "url": url}, "response": {"status": 200, "body": body, **response}}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    write(tmp_path / "mappings" / "a.json", stub("/a", "one"))
    write(tmp_path / "mappings" / "b.json", stub("/b", "bee"))
    (tmp_path / "__files").mkdir()
    (tmp_path / "__files" / "page.txt").write_text("first")
    write(tmp_path / "mappings" / "page.json", {"request": {"url": "/page"}, "response": {"bodyFileName": "page.txt"}})
    return tmp_path


def test_reload_sees_changed_added_and_deleted_files(root: Path) -> None:
    with MockServer(mappings=root) as server, httpx.Client(base_url=server.url) as http:
        server.when(get("/mine")).respond(body="from python")
        http.post("/__admin/mappings", json=stub("/admin", "from the admin API"))
        assert http.get("/a").text == "one"
        write(root / "mappings" / "a.json", stub("/a", "two"))
        write(root / "mappings" / "c.json", stub("/c", "sea"))
        (root / "mappings" / "b.json").unlink()
        (root / "__files" / "page.txt").write_text("second")
        server.reload()
        assert http.get("/a").text == "two"
        assert http.get("/c").text == "sea"
        assert http.get("/b").status_code == 404
        assert http.get("/page").text == "second"
        assert http.get("/mine").text == "from python"
        assert http.get("/admin").text == "from the admin API"
        server.reset()  # a reset brings back the files as they are now
        assert http.get("/a").text == "two"
        assert http.get("/mine").status_code == 404


def test_a_broken_file_keeps_the_old_stubs(root: Path) -> None:
    with MockServer(mappings=root) as server, httpx.Client(base_url=server.url) as http:
        (root / "mappings" / "a.json").write_text('{"request": {"method": "GE T", "url": "/a"}, "response": {}}')
        with pytest.raises(MappingError, match=r"a\.json: request\.method"):
            server.reload()
        assert http.get("/a").text == "one"
        assert http.get("/b").text == "bee"


def test_watch_reloads_on_its_own_over_a_kept_connection(root: Path) -> None:
    with MockServer(mappings=root, watch=True) as server, httpx.Client(base_url=server.url) as http:
        assert http.get("/a").text == "one"
        write(root / "mappings" / "a.json", stub("/a", "edited"))
        assert wait_until(lambda: http.get("/a").text, lambda text: text == "edited", deadline=10) == "edited"
        write(root / "mappings" / "new.json", stub("/new", "added"))
        assert wait_until(lambda: http.get("/new").status_code, lambda s: s == 200, deadline=10) == 200
        (root / "__files" / "page.txt").write_text("body edited")
        assert wait_until(lambda: http.get("/page").text, lambda t: t == "body edited", deadline=10) == "body edited"


READY = re.compile(r"serving (\d+) stub\(s\) on \S*(http://[\d.]+:\d+)")


def test_serve_watch_logs_reloads_and_errors(root: Path) -> None:
    with started(mockpit_command("serve", str(root), "--port", "0", "--watch"), READY) as run:
        url = run.ready.group(2)
        write(root / "mappings" / "a.json", stub("/a", "watched"))
        line = run.lines.get(timeout=15)
        assert line is not None
        assert "Reloaded 3 stub(s)" in line
        assert httpx.get(f"{url}/a").text == "watched"
        (root / "mappings" / "b.json").write_text("{not json")
        time.sleep(1.5)  # the watcher's turn: it reads the broken file, refuses it, keeps the stubs
        assert httpx.get(f"{url}/b").text == "bee"
        assert run.process.poll() is None
        run.process.terminate()
        assert run.process.stderr is not None
        stderr = run.process.stderr.read()
    assert "b.json: invalid JSON" in stderr
    assert "still serving the stubs from before the change" in stderr


@pytest.mark.parametrize("endpoint", ["/__admin/mappings/reset", "/__admin/reset"])
def test_the_admin_resets_read_the_files_again_as_wiremocks_do(root: Path, endpoint: str) -> None:
    with MockServer(mappings=root) as server, httpx.Client(base_url=server.url) as http:
        write(root / "mappings" / "a.json", stub("/a", "edited on disk"))
        write(root / "mappings" / "added.json", stub("/added", "new file"))
        assert http.get("/a").text == "one"  # nothing reads the files by itself (no watch)
        assert http.post(endpoint).status_code == 200
        assert http.get("/a").text == "edited on disk"
        assert http.get("/added").text == "new file"
        (root / "mappings" / "b.json").write_text("{broken")
        refused = http.post(endpoint)
        assert refused.status_code == 409
        assert "b.json: invalid JSON" in refused.json()["errors"][0]["detail"]
        assert http.get("/a").text == "edited on disk"  # the stubs from before stay
