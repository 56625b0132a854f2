"""``mockpit serve --store``, ``--namespace`` and ``--workers``: fleets of processes on a real Redis."""

from __future__ import annotations

import os
import re
import signal
import uuid
from pathlib import Path

import httpx
import pytest

from _inner import run
from _processes import mockpit_command, refused_serve, started
from _redis import RedisServer
from _waiting import wait_until
from _wire import free_port
from mockpit import MockServer

URL = re.compile(r"serving (\d+) stub\(s\) on (http://127\.0\.0\.1:\d+)")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_two_serve_processes_share_stubs_and_journal(redis_server: RedisServer) -> None:
    fleet = ["--store", redis_server.url, "--namespace", f"cli-{uuid.uuid4().hex[:8]}", "--port", "0"]
    with started(mockpit_command("serve", *fleet), URL) as a, started(mockpit_command("serve", *fleet), URL) as b:
        assert f"Sharing state on {redis_server.url}" in "".join(a.seen)
        url_a, url_b = a.ready[2], b.ready[2]
        created = httpx.post(f"{url_a}/__admin/mappings", json={"request": {"url": "/cli"}, "response": {"body": "ok"}})
        assert created.status_code == 201
        wait_until(lambda: httpx.get(f"{url_b}/cli").status_code, lambda status: status == 200)
        # b's requests are in a's journal within 200 ms
        wait_until(lambda: httpx.post(f"{url_a}/__admin/requests/count", json={"url": "/cli"}).json()["count"])
        for run in (a, b):
            run.process.terminate()
            assert run.process.wait(10) == 0


def test_workers_serve_one_port_from_several_processes(redis_server: RedisServer) -> None:
    args = ["--store", redis_server.url, "--namespace", f"w-{uuid.uuid4().hex[:8]}", "--workers", "2", "--port", "0"]
    with started(mockpit_command("serve", *args), URL) as run:
        url = run.ready[2]
        httpx.post(f"{url}/__admin/mappings", json={"request": {"url": "/w"}, "response": {"body": "w"}})
        cluster = wait_until(
            lambda: httpx.get(f"{url}/__admin/cluster").json(), lambda c: len(c["instances"]) == 2, deadline=10
        )
        pids = {item["pid"] for item in cluster["instances"]}
        assert run.process.pid in pids
        assert len(pids) == 2
        # new connections are spread over both processes; every one sees the stub and the journal is whole
        answered_by = set()
        for _ in range(60):
            with httpx.Client() as client:
                assert client.get(f"{url}/w").text == "w"
                answered_by.add(client.get(f"{url}/__admin/cluster").json()["self"])
        assert len(answered_by) == 2
        # each worker writes its journal in batches: the whole count is there within the fleet's 200 ms
        whole = wait_until(
            lambda: httpx.post(f"{url}/__admin/requests/count", json={"url": "/w"}).json()["count"],
            lambda count: count == 60,
            deadline=5,
        )
        assert whole == 60
        run.process.send_signal(signal.SIGTERM)
        assert run.process.wait(10) == 0
        wait_until(lambda: not any(map(_alive, pids)), deadline=10)


def test_workers_without_a_store_are_refused(tmp_path: Path) -> None:
    done = refused_serve(tmp_path, "--workers", "3")
    assert done.returncode == 2
    assert "--workers 3 needs a shared store" in done.stderr
    assert "--store redis://host:port/db" in done.stderr


def test_an_unreachable_store_ends_serve_with_exit_2_naming_it(tmp_path: Path) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    done = refused_serve(tmp_path, "--store", url)
    assert done.returncode == 2
    assert f"Redis at {url}: ConnectionError" in done.stderr
    assert "Connection refused" in done.stderr


def test_the_pytest_plugin_shares_its_server_on_the_ini_files_store(
    pytester: pytest.Pytester, redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    namespace = f"plugin-{uuid.uuid4().hex[:8]}"
    pytester.makeini(f"[pytest]\nmockpit_store = {redis_server.url}\nmockpit_namespace = {namespace}\n")
    pytester.makepyfile(
        test_fleet_plugin_inner="""
        import os, time
        import httpx
        from mockpit import get

        def test_a_stub_on_the_fleet(mockpit):
            outside = os.environ["OUTSIDE"]  # another instance of the same fleet
            mockpit.when(get("/from-pytest")).respond(200, body="shared")
            deadline = time.monotonic() + 5
            while httpx.get(outside + "/from-pytest").status_code != 200:
                assert time.monotonic() < deadline
            while not mockpit.count(get("/from-pytest")):  # the other instance's, within 200 ms
                assert time.monotonic() < deadline
        """
    )
    with MockServer(store=redis_server.url, namespace=namespace) as outside:
        monkeypatch.setenv("OUTSIDE", outside.url)
        run(pytester, "-p", "no:cacheprovider").assert_outcomes(passed=1)
