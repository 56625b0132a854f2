"""Fleets: several mockpit instances sharing stubs, journal, scenarios and settings on a real Redis.

Each test takes its own namespace on the session's redis-server (tests/_redis.py), so tests never see
each other's state; one test checks that namespaces keep teams apart.
"""

from __future__ import annotations

import concurrent.futures
import gc
import json
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from _redis import RedisServer
from _waiting import wait_until
from _wire import free_port
from mockpit import MockServer, StoreError, get
from mockpit._engine.journal import ServeEvent
from mockpit._server import internals
from mockpit._store.memory import MemoryStore
from mockpit._store.opening import open_store
from mockpit._store.store import Store

Fleet = Callable[..., MockServer]


@pytest.fixture
def namespace() -> str:
    return f"test-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def fleet(redis_server: RedisServer, namespace: str) -> Iterator[Fleet]:
    """Starts instances on the session's Redis, in this test's namespace; stops them all at the end."""
    started: list[MockServer] = []

    def instance(**options: object) -> MockServer:
        server = MockServer(store=redis_server.url, namespace=namespace, **options).start()  # type: ignore[arg-type]
        started.append(server)
        return server

    yield instance
    for server in started:
        server.stop()


def _within(seconds: float, probe: Callable[[], bool]) -> float:
    """How long ``probe`` took to become true; fails past ``seconds``."""
    start = time.monotonic()
    while not probe():
        assert time.monotonic() - start < seconds, f"not within {seconds} s"
        time.sleep(0.002)
    return time.monotonic() - start


def test_a_stub_added_on_one_instance_is_served_by_the_others_within_100_ms(fleet: Fleet) -> None:
    a, b, c = fleet(), fleet(), fleet()
    created = httpx.post(
        f"{a.url}/__admin/mappings", json={"request": {"url": "/hello"}, "response": {"body": "from the fleet"}}
    )
    assert created.status_code == 201
    took = max(_within(1, lambda s=s: httpx.get(f"{s.url}/hello").status_code == 200) for s in (b, c))  # type: ignore[misc]
    # the promise is 100 ms (10 to 20 here, most of it the polling requests); generous for a loaded machine
    assert took < 0.5
    assert httpx.get(f"{c.url}/hello").text == "from the fleet"
    # a removal travels the same way
    assert httpx.delete(f"{b.url}/__admin/mappings/{created.json()['id']}").status_code == 200
    _within(1, lambda: httpx.get(f"{a.url}/hello").status_code == 404)
    assert [m["id"] for m in httpx.get(f"{c.url}/__admin/mappings").json()["mappings"]] == []


def test_the_journal_covers_every_instance(fleet: Fleet) -> None:
    a, b = fleet(), fleet()
    a.when(get("/seen")).respond(200)
    _within(1, lambda: httpx.get(f"{b.url}/seen").status_code == 200)
    httpx.get(f"{a.url}/seen")
    httpx.get(f"{b.url}/unknown")
    # the other instance sees them within 200 ms (it reads the store; the writer batches every 20 ms)
    _within(0.2, lambda: len(httpx.get(f"{a.url}/__admin/requests").json()["requests"]) == 3)
    b.verify(get("/seen"), 2)
    assert a.count(get("/seen")) == 2
    unmatched = httpx.post(f"{a.url}/__admin/requests/count", json={"url": "/unknown"}).json()
    assert unmatched["count"] == 1
    assert [r["url"] for r in httpx.get(f"{a.url}/__admin/requests/unmatched").json()["requests"]] == ["/unknown"]
    # clearing on one clears for all
    httpx.delete(f"{b.url}/__admin/requests")
    assert a.count(get("/seen")) == 0


def test_an_instance_keeps_no_more_journal_entries_than_its_journal_holds(fleet: Fleet) -> None:
    # each entry written used to stay in a map of what was written, until the journal was next read: half
    # a gigabyte after a minute of load
    server = fleet(journal_size=20)
    server.when(get("/many")).respond(200)
    with httpx.Client() as client:
        for _ in range(300):
            client.get(f"{server.url}/many")
    internals(server).fleet.journal.flush()
    gc.collect()
    # type(), not isinstance(): isinstance reads __class__, which some libraries' lazy proxies (anthropic's
    # google-auth one, alive once its tests have run) answer by importing what is not installed
    alive = sum(type(thing) is ServeEvent for thing in gc.get_objects())
    assert alive <= 40  # the 20 the journal keeps, and the unmatched-or-not bookkeeping around them
    assert server.count(get("/many")) == 20


def _files(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir()) if folder.is_dir() else []


def test_every_instance_with_a_folder_writes_and_removes_persistent_stubs_files(fleet: Fleet, tmp_path: Path) -> None:
    a, b = fleet(root=tmp_path / "a"), fleet(root=tmp_path / "b")
    on_a, on_b = tmp_path / "a" / "mappings", tmp_path / "b" / "mappings"
    mapping = {"request": {"url": "/kept"}, "response": {"body": "kept"}, "persistent": True}
    created = httpx.post(f"{a.url}/__admin/mappings", json=mapping).json()
    httpx.post(f"{a.url}/__admin/mappings", json={"request": {"url": "/passing"}, "response": {"body": "not kept"}})
    assert len(_files(on_a)) == 1
    wait_until(lambda: _files(on_b), lambda names: names == _files(on_a), deadline=2)
    assert json.loads((on_b / _files(on_b)[0]).read_text())["id"] == created["id"]
    # a reset on any instance keeps the persistent stub on all (and drops the other)
    assert httpx.post(f"{b.url}/__admin/reset").status_code == 200
    _within(1, lambda: httpx.get(f"{a.url}/passing").status_code == 404)
    assert httpx.get(f"{a.url}/kept").text == httpx.get(f"{b.url}/kept").text == "kept"
    # a removal on the other instance removes the file from both folders
    assert httpx.delete(f"{b.url}/__admin/mappings/{created['id']}").status_code == 200
    wait_until(lambda: _files(on_a), lambda names: names == [], deadline=2)
    assert _files(on_b) == []


def test_instances_sharing_a_folder_write_one_file_for_a_persistent_stub(fleet: Fleet, tmp_path: Path) -> None:
    a, b = fleet(root=tmp_path), fleet(root=tmp_path)
    mapping = {"request": {"url": "/once"}, "response": {"body": "once"}, "persistent": True}
    created = httpx.post(f"{a.url}/__admin/mappings", json=mapping).json()
    _within(1, lambda: httpx.get(f"{b.url}/once").status_code == 200)
    time.sleep(0.1)  # b has written it too, over a's file
    assert len(_files(tmp_path / "mappings")) == 1
    changed = {**mapping, "response": {"body": "changed"}}
    assert httpx.put(f"{b.url}/__admin/mappings/{created['id']}", json=changed).status_code == 200
    _within(1, lambda: httpx.get(f"{a.url}/once").text == "changed")
    time.sleep(0.1)
    (only,) = _files(tmp_path / "mappings")
    assert json.loads((tmp_path / "mappings" / only).read_text())["response"]["body"] == "changed"


def test_a_journal_entry_reads_back_on_another_instance_as_it_was_sent(fleet: Fleet) -> None:
    # the entries are packed from what the request holds (header pairs as read from the wire, bytes as
    # bytes): every field must come back as it was
    a, b = fleet(), fleet()
    a.when(get("/users/{id}")).respond(201, 'quote " backslash \\ \u00e9\n', headers={"X-Answer": "caf\u00e9"})
    _within(1, lambda: len(b.stubs) == 1)
    with httpx.Client() as client:
        answer = client.request(
            "GET",
            a.url + "/users/%22x%5C?q=%E2%82%AC&q=2",
            headers={"X-Latin": "caf\u00e9".encode("latin-1"), "X-Quote": 'say "hi"\\'},
            content=b"\x00\xffbinary",
        )
    assert answer.status_code == 201
    _within(1, lambda: len(b.requests()) == 1)
    seen = b.requests()[0]
    assert seen.request.path == "/users/%22x%5C"
    assert seen.request.query_string == "q=%E2%82%AC&q=2"
    assert seen.request.headers["x-latin"] == "caf\u00e9"
    assert seen.request.headers["x-quote"] == 'say "hi"\\'
    assert seen.request.body == b"\x00\xffbinary"
    assert seen.request.path_params == {"id": '"x\\'}
    assert seen.request.client is not None
    assert seen.request.client[0] == "127.0.0.1"
    assert seen.response.text == 'quote " backslash \\ \u00e9\n'
    assert ("X-Answer", "caf\u00e9") in seen.response.headers


def test_a_scenario_step_is_taken_once_under_concurrent_requests_to_two_instances(fleet: Fleet) -> None:
    a, b = fleet(), fleet()
    for required, new, body in (("Started", "taken", "first"), ("taken", None, "later")):
        mapping = {
            "scenarioName": "once",
            "requiredScenarioState": required,
            "request": {"method": "POST", "url": "/take"},
            "response": {"body": body},
        }
        if new is not None:
            mapping["newScenarioState"] = new
        a.add_mapping(mapping)
    _within(1, lambda: len(b.stubs) == 2)
    for _ in range(3):  # each round from Started: exactly one request wins the transition
        httpx.post(f"{a.url}/__admin/scenarios/reset")
        targets = [a.url, b.url] * 10
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            bodies = list(pool.map(lambda url: httpx.post(f"{url}/take").text, targets))
        assert sorted(bodies).count("first") == 1, bodies
        assert bodies.count("later") == 19
        assert {s.name: s.state for s in b.scenarios()} == {"once": "taken"}


def test_a_response_sequence_step_is_taken_once_across_instances(fleet: Fleet, tmp_path: Path) -> None:
    (tmp_path / "mappings").mkdir()
    sequence = {
        "request": {"url": "/next"},
        "responses": [{"body": str(n)} for n in range(20)],
        "responseSequence": "cycle",
    }
    (tmp_path / "mappings" / "next.json").write_text(json.dumps(sequence))
    a, b = fleet(root=tmp_path), fleet(root=tmp_path)
    targets = [a.url, b.url] * 10
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        bodies = list(pool.map(lambda url: httpx.get(f"{url}/next").text, targets))
    assert sorted(bodies, key=int) == [str(n) for n in range(20)]
    a.reset()
    assert httpx.get(f"{b.url}/next").text == "0"


def test_settings_are_shared(fleet: Fleet) -> None:
    a, b = fleet(), fleet()
    httpx.post(f"{a.url}/__admin/settings", json={"fixedDelay": 150})
    _within(1, lambda: httpx.get(f"{b.url}/__admin/settings").json()["settings"].get("fixedDelay") == 150)
    b.when(get("/slow")).respond(200)
    _within(1, lambda: httpx.get(f"{a.url}/slow").status_code == 200)
    start = time.monotonic()
    httpx.get(f"{a.url}/slow")
    assert time.monotonic() - start >= 0.15


def test_stubs_survive_every_instance_and_a_new_one_gets_them(fleet: Fleet, tmp_path: Path) -> None:
    (tmp_path / "mappings").mkdir()
    (tmp_path / "mappings" / "file.json").write_text('{"request": {"url": "/file"}, "response": {"body": "f"}}')
    first = fleet(root=tmp_path)
    first.when(get("/added")).respond(200, body="a")
    first.stop()
    later = fleet()  # no files of its own: the fleet's stubs come from the store
    assert httpx.get(f"{later.url}/added").text == "a"
    assert httpx.get(f"{later.url}/file").text == "f"


def test_namespaces_keep_fleets_apart(redis_server: RedisServer, fleet: Fleet) -> None:
    ours = fleet()
    with MockServer(store=redis_server.url, namespace="another-team") as theirs:
        theirs.when(get("/theirs")).respond(200)
        ours.when(get("/ours")).respond(200)
        time.sleep(0.1)
        assert httpx.get(f"{ours.url}/theirs").status_code == 404
        assert httpx.get(f"{theirs.url}/ours").status_code == 404
        theirs.reset()


def test_the_cluster_lists_live_instances(fleet: Fleet) -> None:
    a, b = fleet(), fleet()
    listed = wait_until(
        lambda: httpx.get(f"{a.url}/__admin/cluster").json(), lambda cluster: len(cluster["instances"]) == 2
    )
    assert {i["address"] for i in listed["instances"]} == {a.url.removeprefix("http://"), b.url.removeprefix("http://")}
    assert all(i["version"] and "requestsPerSecond" in i["load"] for i in listed["instances"])
    assert listed["store"]["connected"] is True
    b.stop()  # its heartbeat expires within three seconds
    wait_until(lambda: httpx.get(f"{a.url}/__admin/cluster").json(), lambda c: len(c["instances"]) == 1, deadline=6)


def test_a_server_without_a_store_is_in_no_cluster(server: MockServer) -> None:
    assert httpx.get(f"{server.url}/__admin/cluster").json() == {"self": None, "store": None, "instances": []}


def test_an_unreachable_redis_is_an_error_naming_it() -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    with pytest.raises(StoreError, match=f"Redis at {url}: ConnectionError"):
        MockServer(store=url)


def test_a_store_url_of_no_known_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown store 'mongodb://x'"):
        MockServer(store="mongodb://x")


# --- the store interface, the same for both implementations ------------------------------------------


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest, namespace: str) -> Iterator[Store]:
    if request.param == "memory":
        yield MemoryStore()
        return
    opened = open_store(request.getfixturevalue("redis_server").url, namespace=namespace)
    yield opened
    opened.close()


def test_store_stubs_keep_their_order_and_notify(store: Store) -> None:
    heard: list[tuple[str, str]] = []
    store.subscribe(lambda origin, kind: heard.append((origin, kind)))
    assert store.load_stubs() is None
    store.save_stubs({"a": "1", "b": "2"}, [], origin="me")
    store.save_stubs({"a": "3"}, ["b"], origin="me")
    assert store.load_stubs() == {"a": "3"}
    store.save_stubs({"c": "4"}, [], origin="you")
    assert list(store.load_stubs() or {}) == ["a", "c"]
    wait_until(lambda: heard, lambda h: len(h) == 3)
    assert heard == [("me", "stubs"), ("me", "stubs"), ("you", "stubs")]


def test_store_transitions_and_steps(store: Store) -> None:
    assert store.transition("s", "Started", "two")
    assert not store.transition("s", "Started", "three")
    assert store.transition("s", None, None)
    assert store.scenario_states() == {"s": "two"}
    store.reset_scenarios()
    assert store.scenario_states() == {}
    assert [store.step("x", 2, False) for _ in range(4)] == [0, 1, 2, 2]
    assert [store.step("y", 1, True) for _ in range(3)] == [0, 1, 0]
    store.reset_steps()
    assert store.step("x", 2, False) == 0


def test_store_journal_keeps_the_newest(store: Store) -> None:
    store.append_events([b"e%d" % n for n in range(5)], capacity=3)
    store.append_events([b"e5\x00\xff"], capacity=3)
    assert store.load_events() == [b"e3", b"e4", b"e5\x00\xff"]
    store.replace_events([b"e4"])
    assert store.load_events() == [b"e4"]
    store.clear_events()
    assert store.load_events() == []


def test_store_named_values_and_lists(store: Store) -> None:
    heard: list[tuple[str, str]] = []
    store.subscribe(lambda origin, kind: heard.append((origin, kind)))
    assert store.get_value("recording") is None
    store.set_value("recording", '{"state": "Recording"}', origin="me")
    assert store.get_value("recording") == '{"state": "Recording"}'
    store.set_value("recording", None, origin="you")
    assert store.get_value("recording") is None
    wait_until(lambda: heard, lambda h: len(h) == 2)
    assert heard == [("me", "recording"), ("you", "recording")]
    assert store.load_items("done") == []
    store.append_items("done", [b"a", b"\x00b"])
    store.append_items("done", [b"c"])
    assert store.load_items("done") == [b"a", b"\x00b", b"c"]
    store.clear_items("done")
    assert store.load_items("done") == []


def test_store_packs_what_it_unpacks(store: Store) -> None:
    values = ("caf\u00e9", b"\x00\xff", 201, 1.5, None, [(b"host", b"x")], {"id": "7"}, ("127.0.0.1", 80))
    unpacked = store.unpack(store.packer()(values))
    # tuples may come back as lists: the journal's reader takes either
    assert json.dumps(unpacked, default=list) == json.dumps(list(values), default=list)
    assert unpacked[1] == b"\x00\xff"
    assert list(unpacked[5][0]) == [b"host", b"x"]


def test_two_servers_in_one_process_share_a_memory_store() -> None:
    shared = MemoryStore()
    with MockServer(store=shared) as a, MockServer(store=shared) as b:
        a.when(get("/here")).respond(200, body="shared")
        _within(1, lambda: httpx.get(f"{b.url}/here").text == "shared")
        _within(1, lambda: a.count(get("/here")) >= 1)  # b's journal reaches the store within 200 ms


@pytest.mark.parametrize("where", ["memory", "redis"])
def test_instances_changing_stubs_at_once_both_get_every_stub(where: str, fleet: Fleet) -> None:
    if where == "memory":
        shared = MemoryStore()
        a, b = MockServer(store=shared).start(), MockServer(store=shared).start()
    else:
        a, b = fleet(), fleet()

    def add(server: MockServer, prefix: str) -> None:
        for n in range(30):
            server.when(get(f"/{prefix}/{n}")).respond(200)

    try:
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            list(pool.map(add, (a, b), ("a", "b")))
        _within(5, lambda: len(a.stubs) == len(b.stubs) == 60)
    finally:
        a.stop()
        b.stop()


# --- faults ------------------------------------------------------------------------------------------


def test_losing_redis_mid_load_keeps_answering_buffers_and_reconnects(tmp_path: Path) -> None:
    redis = RedisServer(tmp_path).start()
    try:
        with MockServer(store=redis.url, namespace="faults") as a, MockServer(store=redis.url, namespace="faults") as b:
            a.when(get("/load")).respond(200, body="ok")
            _within(1, lambda: httpx.get(f"{b.url}/load").status_code == 200)
            with httpx.Client() as client:
                statuses = [client.get(f"{a.url}/load").status_code for _ in range(50)]
                redis.stop()
                start = time.monotonic()
                statuses += [client.get(f"{a.url}/load").status_code for _ in range(200)]
                # answered from the local stubs, never held up by the lost store
                assert time.monotonic() - start < 10
                cluster = client.get(f"{a.url}/__admin/cluster").json()
                assert cluster["store"]["connected"] is False
                mine = next(i for i in cluster["instances"] if i["id"] == cluster["self"])
                assert mine["journal"]["buffered"] > 0
                redis.start()  # same port, empty: the fleet publishes its stubs and journal again
                statuses += [client.get(f"{a.url}/load").status_code for _ in range(50)]
            assert statuses == [200] * 300
            # back: the buffered entries reach the store (Redis came back empty, so only those since the loss)
            wait_until(lambda: b.count(get("/load")), lambda n: n >= 250, deadline=10)
            wait_until(lambda: httpx.get(f"{b.url}/__admin/cluster").json()["store"]["connected"], deadline=10)
            # Redis came back empty: the fleet wrote its stubs again, and an instance joining now gets them
            with MockServer(store=redis.url, namespace="faults") as joining:
                assert httpx.get(f"{joining.url}/load").text == "ok"
    finally:
        redis.stop()


def test_journal_entries_past_the_buffer_are_counted_as_dropped_while_redis_is_lost(tmp_path: Path) -> None:
    redis = RedisServer(tmp_path).start()
    try:
        with MockServer(store=redis.url, namespace="drops") as server:
            fleet = internals(server).fleet
            assert fleet is not None
            fleet.journal.buffer_limit = 20
            heard: list[str] = []
            fleet.status_listeners.append(heard.append)
            server.when(get("/d")).respond(204)
            redis.stop()
            with httpx.Client() as client:
                assert {client.get(f"{server.url}/d").status_code for _ in range(50)} == {204}
                mine = client.get(f"{server.url}/__admin/cluster").json()["instances"][0]
            assert mine["journal"] == {"buffered": 20, "dropped": 30}
            wait_until(lambda: heard)
            assert heard[0].startswith(f"lost the store at {redis.url}: answering from the local stubs")
            redis.start()
            wait_until(lambda: len(heard) == 2, deadline=10)
            assert heard[1] == f"back on the store at {redis.url}; 30 journal entries were dropped meanwhile"
            assert server.count(get("/d")) == 20
    finally:
        redis.stop()


def test_a_server_without_a_store_loads_neither_the_store_nor_redis() -> None:
    code = (
        "import sys, httpx\n"
        "from mockpit import MockServer, get\n"
        "with MockServer() as server:\n"
        "    server.when(get('/x')).respond(200)\n"
        "    httpx.get(server.url + '/x')\n"
        "print(sorted(m for m in sys.modules if m == 'redis' or m.startswith(('redis.', 'mockpit._store'))))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "[]"


ECHO_MESSAGES = {
    "trigger": {
        "type": "message",
        "channel": {"type": "websocket", "initiatingRequestPattern": {"urlPath": "/echo"}},
        "message": {"body": {"matches": ".*"}},
    },
    "actions": [{"type": "send", "message": {"body": {"data": "Echo: {{message.body}}"}}}],
}


def _echo(server: MockServer, text: str) -> str | bytes:
    from websockets.sync.client import connect

    with connect("ws" + server.url.removeprefix("http") + "/echo", open_timeout=5) as ws:
        ws.send(text)
        return ws.recv(timeout=5)


def _message_stub_ids(server: MockServer) -> list[str]:
    listed = httpx.get(f"{server.url}/__admin/message-mappings").json()["messageMappings"]
    return [m["id"] for m in listed]


def test_message_stubs_are_shared_like_http_stubs(fleet: Fleet) -> None:
    a, b = fleet(), fleet()
    created = httpx.post(f"{a.url}/__admin/message-mappings", json=ECHO_MESSAGES)
    assert created.status_code == 201
    stub_id = created.json()["id"]
    took = _within(1, lambda: _message_stub_ids(b) == [stub_id])
    assert took < 0.5  # the promise is 100 ms; generous for a loaded machine
    assert _echo(b, "hi") == "Echo: hi"  # served by the instance that was never told
    # an edit and a removal on the other instance travel back
    edited = {**ECHO_MESSAGES, "actions": [{"type": "send", "message": {"body": {"data": "Edited"}}}]}
    assert httpx.put(f"{b.url}/__admin/message-mappings/{stub_id}", json=edited).status_code == 200
    _within(1, lambda: _echo(a, "x") == "Edited")
    # an instance joining later gets them from the store, with no file and nobody telling it
    c = fleet()
    assert _message_stub_ids(c) == [stub_id]
    assert httpx.delete(f"{a.url}/__admin/message-mappings/{stub_id}").status_code == 200
    _within(1, lambda: _message_stub_ids(b) == [] and _message_stub_ids(c) == [])


def test_a_python_websocket_handler_stays_on_its_instance(fleet: Fleet) -> None:
    a, b = fleet(), fleet()

    async def shout(ws: object) -> None:  # Python code cannot travel through the store
        return None

    handler = a.websocket("/shout").handle(shout)  # type: ignore[arg-type]
    posted = httpx.post(f"{a.url}/__admin/message-mappings", json=ECHO_MESSAGES).json()["id"]
    _within(1, lambda: posted in _message_stub_ids(b))
    assert handler.id in _message_stub_ids(a)
    assert handler.id not in _message_stub_ids(b)
