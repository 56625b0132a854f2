"""Recordings in progress shared by a fleet on a real Redis: started on one instance, every instance
records; stopped on any instance, the stubs cover what every instance recorded."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from _processes import mockpit_command, started
from _redis import RedisServer
from _waiting import wait_until
from mockpit import MockServer, get, register_recording_transformer

URL = re.compile(r"serving \d+ stub\(s\) on (http://127\.0\.0\.1:\d+)")

BIG = bytes(range(256)) * 8192  # 2 MiB: more than the journal keeps of a body


@pytest.fixture
def upstream() -> Iterator[MockServer]:
    with MockServer() as up:
        up.when(get("/from-a")).respond(json={"from": "a"})
        up.when(get("/from-b")).respond(json={"from": "b"})
        up.when(get("/big")).respond(body=BIG, headers={"Content-Type": "application/octet-stream"})
        yield up


def _status(url: str) -> str:
    status: str = httpx.get(f"{url}/__admin/recordings/status").json()["status"]
    return status


def test_a_recording_started_on_one_serve_process_and_stopped_on_another_covers_both(
    redis_server: RedisServer, upstream: MockServer, tmp_path: Path
) -> None:
    fleet = ["--store", redis_server.url, "--namespace", f"rec-{uuid.uuid4().hex[:8]}", "--port", "0"]
    for name in ("a", "b"):
        (tmp_path / name / "mappings").mkdir(parents=True)
    with (
        started(mockpit_command("serve", str(tmp_path / "a"), *fleet), URL) as a,
        started(mockpit_command("serve", str(tmp_path / "b"), *fleet), URL) as b,
    ):
        url_a, url_b = a.ready[1], b.ready[1]
        assert httpx.post(f"{url_a}/__admin/recordings/start", json={"targetBaseUrl": upstream.url}).status_code == 200
        assert _status(url_a) == "Recording"
        wait_until(lambda: _status(url_b), lambda status: status == "Recording", deadline=2)
        # every instance proxies and records, each the requests it is sent
        wait_until(lambda: httpx.get(f"{url_b}/from-b").status_code, lambda status: status == 200, deadline=2)
        assert httpx.get(f"{url_a}/from-a").json() == {"from": "a"}
        with httpx.Client(timeout=10) as client:
            assert client.get(f"{url_b}/big").content == BIG  # a streamed body, read by the client as it comes

        stopped = httpx.post(f"{url_b}/__admin/recordings/stop", timeout=10)
        assert stopped.status_code == 200, stopped.text
        urls = sorted(m["request"]["url"] for m in stopped.json()["mappings"])
        assert urls == ["/big", "/from-a", "/from-b"]
        wait_until(lambda: _status(url_a), lambda status: status == "Stopped", deadline=2)
        assert _status(url_b) == "Stopped"

        # the instance that stopped the recording wrote the files (the big body to __files/)
        written = sorted(path.name for path in (tmp_path / "b" / "mappings").iterdir())
        assert len(written) == 3
        assert sorted(path.read_bytes() for path in (tmp_path / "b" / "__files").iterdir()) == [BIG]
        upstream.stop()
        # every instance serves what was recorded on either: the proxy stub is gone from both
        for url in (url_a, url_b):
            wait_until(lambda url=url: httpx.get(f"{url}/from-a").status_code, lambda status: status == 200)
            assert httpx.get(f"{url}/from-b").json() == {"from": "b"}
            assert httpx.get(f"{url}/from-a").json() == {"from": "a"}
        assert httpx.get(f"{url_b}/big", timeout=10).content == BIG
        for run in (a, b):
            run.process.terminate()
            assert run.process.wait(10) == 0


def test_a_recording_stopped_where_it_started_covers_the_other_instances(
    redis_server: RedisServer, upstream: MockServer
) -> None:
    namespace = f"rec-{uuid.uuid4().hex[:8]}"
    with (
        MockServer(store=redis_server.url, namespace=namespace) as a,
        MockServer(store=redis_server.url, namespace=namespace) as b,
    ):
        spec = {"targetBaseUrl": upstream.url, "persist": False}
        assert httpx.post(f"{a.url}/__admin/recordings/start", json=spec).status_code == 200
        wait_until(lambda: _status(b.url), lambda status: status == "Recording", deadline=2)
        wait_until(lambda: httpx.get(f"{b.url}/from-b").status_code, lambda status: status == 200, deadline=2)
        for _ in range(3):
            httpx.get(f"{b.url}/from-b")
        assert httpx.get(f"{a.url}/from-a").json() == {"from": "a"}
        stopped = httpx.post(f"{a.url}/__admin/recordings/stop")
        assert stopped.status_code == 200, stopped.text
        # a repeat is one stub (WireMock keeps the first answer)
        assert sorted(m["request"]["url"] for m in stopped.json()["mappings"]) == ["/from-a", "/from-b"]
        wait_until(lambda: _status(b.url), lambda status: status == "Stopped", deadline=2)
        upstream.stop()
        wait_until(lambda: httpx.get(f"{b.url}/from-a").status_code, lambda status: status == 200)
        assert httpx.get(f"{b.url}/from-a").json() == {"from": "a"}
        assert httpx.get(f"{a.url}/from-b").json() == {"from": "b"}


def test_an_instance_joining_during_a_recording_records_too(redis_server: RedisServer, upstream: MockServer) -> None:
    namespace = f"rec-{uuid.uuid4().hex[:8]}"
    spec = {"targetBaseUrl": upstream.url, "persist": False}
    with MockServer(store=redis_server.url, namespace=namespace) as a:
        assert httpx.post(f"{a.url}/__admin/recordings/start", json=spec).status_code == 200
        with MockServer(store=redis_server.url, namespace=namespace) as late:
            assert _status(late.url) == "Recording"
            assert httpx.get(f"{late.url}/from-b").json() == {"from": "b"}
            stopped = httpx.post(f"{late.url}/__admin/recordings/stop")
            assert stopped.status_code == 200, stopped.text
            assert [m["request"]["url"] for m in stopped.json()["mappings"]] == ["/from-b"]
            assert _status(a.url) == "Stopped"
            # a second stop, on any instance, is refused as on one server
            assert httpx.post(f"{a.url}/__admin/recordings/stop").status_code == 409


def test_a_stop_where_the_files_cannot_go_is_refused_and_the_recording_goes_on(
    redis_server: RedisServer, upstream: MockServer, tmp_path: Path
) -> None:
    namespace = f"rec-{uuid.uuid4().hex[:8]}"
    with (
        MockServer(store=redis_server.url, namespace=namespace, root=tmp_path) as a,
        MockServer(store=redis_server.url, namespace=namespace) as b,
    ):
        assert httpx.post(f"{a.url}/__admin/recordings/start", json={"targetBaseUrl": upstream.url}).status_code == 200
        wait_until(lambda: _status(b.url), lambda status: status == "Recording", deadline=2)
        refused = httpx.post(f"{b.url}/__admin/recordings/stop")
        assert refused.status_code == 409
        assert "no mappings folder" in refused.text
        assert _status(a.url) == _status(b.url) == "Recording"
        assert httpx.get(f"{b.url}/from-b").json() == {"from": "b"}
        stopped = httpx.post(f"{a.url}/__admin/recordings/stop")
        assert [m["request"]["url"] for m in stopped.json()["mappings"]] == ["/from-b"]
        assert len(list((tmp_path / "mappings").iterdir())) == 1


def test_a_stop_on_another_instance_applies_the_recording_s_transformers(
    redis_server: RedisServer, upstream: MockServer
) -> None:
    register_recording_transformer("fleet-priority", lambda stub, params: replace(stub, priority=params["priority"]))
    namespace = f"rec-{uuid.uuid4().hex[:8]}"
    spec = {
        "targetBaseUrl": upstream.url,
        "persist": False,
        "transformers": ["fleet-priority"],
        "transformerParameters": {"priority": 3},
    }
    with (
        MockServer(store=redis_server.url, namespace=namespace) as a,
        MockServer(store=redis_server.url, namespace=namespace) as b,
    ):
        assert httpx.post(f"{a.url}/__admin/recordings/start", json=spec).status_code == 200
        wait_until(lambda: _status(b.url), lambda status: status == "Recording", deadline=2)
        assert httpx.get(f"{a.url}/from-a").status_code == 200
        stopped = httpx.post(f"{b.url}/__admin/recordings/stop")
        assert [(m["request"]["url"], m.get("priority")) for m in stopped.json()["mappings"]] == [("/from-a", 3)]
