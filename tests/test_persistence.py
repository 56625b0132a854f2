"""Saving stubs to the mappings folder: ``POST /__admin/mappings/save``, ``persistent`` stubs, atomic writes.

The proof is a restart: what was saved is what ``mockpit serve DIR`` (a real subprocess) serves next time.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from _processes import mockpit_command, started
from mockpit import MockServer
from mockpit._mapping.files import write_atomically

ADMIN = "/__admin"
URL = re.compile(r"serving (\d+) stub\(s\) on (http://127\.0\.0\.1:\d+)")


@contextmanager
def serve(*args: str) -> Iterator[httpx.Client]:
    """``mockpit serve ARGS --port 0`` as a subprocess, and a client on its URL; stopped at the end."""
    with (
        started(mockpit_command("serve", *args, "--port", "0"), URL) as run,
        httpx.Client(base_url=run.ready.group(2), timeout=10) as client,
    ):
        yield client


def _stub(name: str | None, path: str, body: str, **extra: Any) -> dict[str, Any]:
    stub: dict[str, Any] = {"request": {"method": "GET", "urlPath": path}, "response": {"status": 200, "body": body}}
    if name is not None:
        stub["name"] = name
    return {**stub, **extra}


def _root(tmp_path: Path, *stubs: dict[str, Any]) -> Path:
    (tmp_path / "mappings").mkdir()
    for i, stub in enumerate(stubs):
        (tmp_path / "mappings" / f"stub-{i}.json").write_text(json.dumps(stub))
    return tmp_path


def _mappings(client: httpx.Client) -> list[dict[str, Any]]:
    response = client.get(f"{ADMIN}/mappings")
    assert response.status_code == 200
    mappings: list[dict[str, Any]] = response.json()["mappings"]
    return mappings


def _by_id(mappings: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {m["id"]: m for m in mappings}


def _files(folder: Path) -> dict[str, Any]:
    """Every file in the folder, parsed; temporary files would show up here too."""
    return {p.name: json.loads(p.read_text()) if p.suffix == ".json" else p.read_text() for p in folder.iterdir()}


def test_saved_stubs_are_served_after_a_restart(tmp_path: Path) -> None:
    root = _root(tmp_path, {"id": "f0000000-0000-4000-8000-000000000000", **_stub("from file", "/file", "f")})
    with serve(str(root)) as client:
        created = [
            client.post(f"{ADMIN}/mappings", json=_stub("Users list", "/users", "u")).json(),
            client.post(f"{ADMIN}/mappings", json=_stub(None, "/orders/7", "o", priority=2)).json(),
            client.post(
                f"{ADMIN}/mappings",
                json={
                    "request": {
                        "method": "POST",
                        "urlPathTemplate": "/items/{id}",
                        "headers": {"X-A": {"equalTo": "1"}},
                    },
                    "response": {"status": 201, "jsonBody": {"made": True}, "headers": {"X-B": ["1", "2"]}},
                    "metadata": {"team": "checkout"},
                },
            ).json(),
        ]
        response = client.post(f"{ADMIN}/mappings/save")
        assert response.status_code == 200, response.text
        before = _by_id(_mappings(client))

    assert len(before) == 4
    files = sorted(p.name for p in (root / "mappings").iterdir())
    # WireMock's names: the stub's name (or its URL) as a slug, then its id
    assert f"users-list-{created[0]['id']}.json" in files
    assert f"orders_7-{created[1]['id']}.json" in files
    assert "stub-0.json" in files  # the loaded file is left as it is: its stub did not change
    assert len(files) == 4
    assert not [name for name in files if name.endswith(".tmp")]

    with serve(str(root)) as client:
        assert _by_id(_mappings(client)) == before
        assert client.get("/users").text == "u"
        assert client.get("/orders/7").text == "o"
        answer = client.post("/items/9", headers={"X-A": "1"})
        assert (answer.status_code, answer.json()) == (201, {"made": True})
        assert answer.headers.get_list("X-B") == ["1", "2"]
        assert client.get("/file").text == "f"


def test_a_changed_stub_is_saved_to_the_file_it_came_from_beside_the_others(tmp_path: Path) -> None:
    first, second = (
        {"id": "a0000000-0000-4000-8000-000000000000", **_stub("first", "/first", "one")},
        {"id": "b0000000-0000-4000-8000-000000000000", **_stub("second", "/second", "two")},
    )
    (tmp_path / "mappings").mkdir()
    (tmp_path / "mappings" / "both.json").write_text(json.dumps({"mappings": [first, second]}))
    with MockServer(mappings=tmp_path) as server, httpx.Client(base_url=server.url) as client:
        client.put(f"{ADMIN}/mappings/{second['id']}", json=_stub("second", "/second", "changed"))
        assert client.post(f"{ADMIN}/mappings/save").status_code == 200

    assert sorted(p.name for p in (tmp_path / "mappings").iterdir()) == ["both.json"]
    saved = json.loads((tmp_path / "mappings" / "both.json").read_text())
    assert [m["id"] for m in saved["mappings"]] == [first["id"], second["id"]]
    with MockServer(mappings=tmp_path) as server, httpx.Client(base_url=server.url) as client:
        assert client.get("/first").text == "one"
        assert client.get("/second").text == "changed"


def test_a_changed_yaml_stub_is_saved_as_json_in_its_place(tmp_path: Path) -> None:
    (tmp_path / "mappings").mkdir()
    (tmp_path / "mappings" / "hello.yaml").write_text(
        "id: c0000000-0000-4000-8000-000000000000\nrequest: {urlPath: /hello}\nresponse: {body: hi}\n"
    )
    with MockServer(mappings=tmp_path) as server, httpx.Client(base_url=server.url) as client:
        client.put(f"{ADMIN}/mappings/c0000000-0000-4000-8000-000000000000", json=_stub(None, "/hello", "bye"))
        assert client.post(f"{ADMIN}/mappings/save").status_code == 200
    assert sorted(p.name for p in (tmp_path / "mappings").iterdir()) == ["hello.json"]
    with MockServer(mappings=tmp_path) as server, httpx.Client(base_url=server.url) as client:
        assert client.get("/hello").text == "bye"


def test_persistent_stubs_are_written_updated_and_deleted_at_once(tmp_path: Path) -> None:
    root = _root(tmp_path)
    folder = root / "mappings"
    with MockServer(mappings=root) as server, httpx.Client(base_url=server.url) as client:
        created = client.post(f"{ADMIN}/mappings", json=_stub("kept", "/kept", "v1", persistent=True)).json()
        client.post(f"{ADMIN}/mappings", json=_stub("fleeting", "/fleeting", "x"))
        (name,) = _files(folder)
        assert name == f"kept-{created['id']}.json"
        assert _files(folder)[name]["response"]["body"] == "v1"
        assert _files(folder)[name]["persistent"] is True

        client.put(f"{ADMIN}/mappings/{created['id']}", json=_stub("kept", "/kept", "v2", persistent=True))
        assert [m["response"]["body"] for m in _files(folder).values()] == ["v2"]

    # a restart: the persistent stub survived, the other one did not
    with MockServer(mappings=root) as server, httpx.Client(base_url=server.url) as client:
        assert [m["name"] for m in _mappings(client)] == ["kept"]
        assert client.get("/kept").text == "v2"
        assert client.delete(f"{ADMIN}/mappings/{created['id']}").status_code == 200
        assert _files(folder) == {}


def test_reset_brings_back_what_was_saved_and_not_what_was_deleted(tmp_path: Path) -> None:
    root = _root(tmp_path)
    with MockServer(root=root) as server, httpx.Client(base_url=server.url) as client:
        saved = client.post(f"{ADMIN}/mappings", json=_stub("saved", "/saved", "s")).json()
        client.post(f"{ADMIN}/mappings/save")
        client.post(f"{ADMIN}/mappings", json=_stub("unsaved", "/unsaved", "u"))
        gone = client.post(f"{ADMIN}/mappings", json=_stub("gone", "/gone", "g", persistent=True)).json()
        client.delete(f"{ADMIN}/mappings/{gone['id']}")

        assert client.post(f"{ADMIN}/mappings/reset").status_code == 200

        assert [m["id"] for m in _mappings(client)] == [saved["id"]]
        assert client.get("/saved").text == "s"


def test_saved_stubs_are_persistent_so_removing_all_deletes_their_files(tmp_path: Path) -> None:
    """As in WireMock: after mappings/save, DELETE /__admin/mappings deletes the files and a reset leaves none."""
    root = _root(tmp_path)
    with MockServer(root=root) as server, httpx.Client(base_url=server.url) as client:
        client.post(f"{ADMIN}/mappings", json=_stub("saved", "/saved", "s"))
        client.post(f"{ADMIN}/mappings/save")
        assert len(_files(root / "mappings")) == 1
        assert client.delete(f"{ADMIN}/mappings").status_code == 200
        assert _files(root / "mappings") == {}
        assert client.post(f"{ADMIN}/reset").status_code == 200
        assert _mappings(client) == []
        assert client.get("/saved").status_code == 404


def test_root_is_loaded_and_saved_to_and_its_files_serve_bodies(tmp_path: Path) -> None:
    root = _root(tmp_path, _stub("loaded", "/loaded", "l"))
    (root / "__files").mkdir()
    (root / "__files" / "body.txt").write_text("from __files")
    with MockServer(root=root) as server, httpx.Client(base_url=server.url) as client:
        assert client.get("/loaded").text == "l"
        response = client.post(
            f"{ADMIN}/mappings",
            json={"request": {"urlPath": "/file"}, "response": {"bodyFileName": "body.txt"}, "persistent": True},
        )
        assert response.status_code == 201, response.text
        assert client.get("/file").text == "from __files"
    assert len(list((root / "mappings").iterdir())) == 2


def test_save_creates_the_mappings_folder_under_a_new_root(tmp_path: Path) -> None:
    with MockServer(root=tmp_path / "new") as server, httpx.Client(base_url=server.url) as client:
        client.post(f"{ADMIN}/mappings", json=_stub("one", "/one", "1"))
        assert client.post(f"{ADMIN}/mappings/save").status_code == 200
    assert [p.suffix for p in (tmp_path / "new" / "mappings").iterdir()] == [".json"]


def test_without_a_mappings_folder_save_is_a_409_saying_how_to_give_one(tmp_path: Path) -> None:
    with MockServer(mappings=[_stub("dict", "/d", "d")]) as server, httpx.Client(base_url=server.url) as client:
        response = client.post(f"{ADMIN}/mappings/save")
        assert response.status_code == 409
        (error,) = response.json()["errors"]
        assert error["title"] == "No mappings folder"
        assert "mockpit serve DIR" in error["detail"]
        assert "root=" in error["detail"]
        # persistent stubs still work, in memory (as in WireMock without a file store)
        created = client.post(f"{ADMIN}/mappings", json=_stub("p", "/p", "p", persistent=True))
        assert created.status_code == 201
        assert client.get("/p").text == "p"


def test_a_handler_stub_is_not_saved_and_the_answer_says_why(tmp_path: Path) -> None:
    from mockpit import Response, get

    with MockServer(root=tmp_path) as server, httpx.Client(base_url=server.url) as client:
        stub = server.when(get("/py")).respond_with(lambda request: Response(200, "py"))
        client.post(f"{ADMIN}/mappings", json=_stub("json", "/json", "j"))
        body = client.post(f"{ADMIN}/mappings/save").json()
        assert [Path(f).name for f in body["written"]] == [p.name for p in (tmp_path / "mappings").iterdir()]
        assert body["notSaved"] == [{"id": stub.id, "reason": body["notSaved"][0]["reason"]}]
        assert "handler" in body["notSaved"][0]["reason"]


def test_a_failed_write_of_a_persistent_stub_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import mockpit._mapping.files

    with MockServer(root=tmp_path) as server, httpx.Client(base_url=server.url) as client:
        kept = client.post(f"{ADMIN}/mappings", json=_stub("kept", "/kept", "v1", persistent=True)).json()

        def disk_full(file: Path, text: str) -> None:
            raise OSError(28, "No space left on device", str(file))

        monkeypatch.setattr(mockpit._mapping.files, "write_atomically", disk_full)
        created = client.post(f"{ADMIN}/mappings", json=_stub("new", "/new", "n", persistent=True))
        updated = client.put(f"{ADMIN}/mappings/{kept['id']}", json=_stub("kept", "/kept", "v2", persistent=True))

        for response in (created, updated):
            assert response.status_code == 500
            (error,) = response.json()["errors"]
            assert "No space left on device" in error["detail"]
            assert str(tmp_path / "mappings") in error["detail"]
        assert [m["id"] for m in _mappings(client)] == [kept["id"]]
        assert client.get("/kept").text == "v1"
        assert client.get("/new").status_code == 404


def test_an_atomic_write_that_fails_leaves_the_old_file_and_no_temporary_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "stub.json"
    write_atomically(target, '{"old": true}\n')

    def crash(src: str, dst: str) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr("os.replace", crash)
    with pytest.raises(OSError, match="Input/output error"):
        write_atomically(target, '{"new": true}\n')
    assert [p.name for p in tmp_path.iterdir()] == ["stub.json"]
    assert json.loads(target.read_text()) == {"old": True}


def test_a_reader_never_sees_half_a_mapping_file(tmp_path: Path) -> None:
    target = tmp_path / "big.json"
    big = [{"n": i, "text": "x" * 200} for i in range(1000)]  # ~220 KB: many write calls each
    write_atomically(target, json.dumps(big))
    stop = threading.Event()
    failures: list[str] = []
    reads = 0

    def read() -> None:
        nonlocal reads
        while not stop.is_set():
            try:
                json.loads(target.read_text())
                reads += 1
            except ValueError as exc:
                failures.append(str(exc))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for i in range(15):
            write_atomically(target, json.dumps([*big, {"round": i}]))
    finally:
        stop.set()
        reader.join()
    assert failures == []
    assert reads > 0
    assert json.loads(target.read_text())[-1] == {"round": 14}


def test_shutdown_stops_mockpit_serve_with_exit_code_0(tmp_path: Path) -> None:
    with started(mockpit_command("serve", "--port", "0"), URL, tmp_path) as run:
        response = httpx.post(f"{run.ready.group(2)}{ADMIN}/shutdown", timeout=10)
        assert response.status_code == 200
        assert run.process.wait(timeout=10) == 0
        rest = []
        while (line := run.lines.get(timeout=5)) is not None:
            rest.append(line)
        assert "mockpit stopped." in "".join(rest)
