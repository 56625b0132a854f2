"""MockServer's life cycle, its mapping sources, and how it serves: real servers on real sockets."""

from __future__ import annotations

import asyncio
import dataclasses
import http.client
import inspect
import json
import re
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests

from _wire import accepts_connections, free_port, port_of, taken_port
from mockpit import (
    HandlerError,
    MappingError,
    MockpitError,
    MockServer,
    MockServerFactory,
    Request,
    Response,
    ServerError,
    VerificationError,
    get,
    post,
)
from mockpit._server import internals

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


# --- start, stop, url -----------------------------------------------------------------------------


def test_start_picks_a_free_port_and_serves_on_it() -> None:
    server = MockServer()
    assert server.port == 0
    assert not server.is_running
    server.start()
    try:
        port = port_of(server)
        assert port != 0
        assert server.is_running
        assert server.url == f"http://127.0.0.1:{port}"
        assert accepts_connections(port)
        server.when(get("/where")).respond(body="here")
        assert requests.get(f"http://127.0.0.1:{port}/where", timeout=5).text == "here"
    finally:
        server.stop()


def test_port_is_the_bound_port_once_started_as_with_http_server() -> None:
    # porting an http.server helper, server.server_address[1] becomes server.port
    server = MockServer()
    with server:
        port = server.port
        assert port != 0
        assert server.url == f"http://{server.host}:{port}"
        with socket.create_connection((server.host, port), timeout=5):
            pass
    assert server.port == 0  # stopped: the port asked for again
    with MockServer(port=port) as again:  # the bound port can be asked for by number
        assert again.port == port


# --- wait_for: requests that arrive later ---------------------------------------------------------------


def test_wait_for_returns_once_a_background_request_arrives(server: MockServer) -> None:
    server.when(post("/callbacks")).respond(204)

    def later() -> None:
        time.sleep(0.3)
        for n in range(2):
            httpx.post(server.url_for("/callbacks"), json={"n": n})

    worker = threading.Thread(target=later)
    started = time.monotonic()
    worker.start()
    try:
        found = server.wait_for(post("/callbacks"), count=2, timeout=10)
    finally:
        worker.join()
    assert time.monotonic() - started < 9  # it returned when they came, not at the timeout
    assert [json.loads(event.request.body)["n"] for event in found] == [0, 1]


def test_wait_for_times_out_with_what_did_arrive(server: MockServer) -> None:
    server.when(post("/callbacks")).respond(204)
    httpx.post(server.url_for("/callback"), json={"n": 1})  # a near miss: the wrong path
    started = time.monotonic()
    with pytest.raises(VerificationError) as raised:
        server.wait_for(post("/callbacks"), timeout=0.3)
    assert time.monotonic() - started >= 0.3
    message = str(raised.value)
    assert "at least 1 within 0.3 s" in message
    assert "POST /callback" in message


@pytest.mark.parametrize(("count", "timeout"), [(0, 1.0), (True, 1.0), (1, -1.0), (1, "soon")])
def test_wait_for_refuses_nonsense(server: MockServer, count: Any, timeout: Any) -> None:
    with pytest.raises(ValueError, match="wait_for"):
        server.wait_for(post("/x"), count=count, timeout=timeout)


def test_two_servers_get_different_ports(http_client: httpx.Client) -> None:
    with MockServer() as first, MockServer() as second:
        assert port_of(first) != port_of(second)
        first.when(get("/who")).respond(body="first")
        second.when(get("/who")).respond(body="second")
        assert http_client.get(first.url_for("/who")).text == "first"
        assert http_client.get(second.url_for("/who")).text == "second"


def test_url_for_joins_paths_with_or_without_a_slash(server: MockServer, http_client: httpx.Client) -> None:
    assert server.url_for("/a/b?c=1") == server.url + "/a/b?c=1"
    assert server.url_for("a/b") == server.url + "/a/b"
    server.when(get("/a/b")).respond(body="joined")
    assert http_client.get(server.url_for("a/b")).text == "joined"


def test_an_ipv6_host_is_bracketed_in_the_url() -> None:
    server = MockServer(host="::1")
    assert server.url == "http://[::1]:0"


def test_starting_twice_raises_server_error_and_keeps_serving(server: MockServer, client: httpx.Client) -> None:
    url = server.url
    with pytest.raises(ServerError, match="already running") as info:
        server.start()
    assert url in str(info.value)
    assert server.url == url
    server.when(get("/still")).respond(body="up")
    assert client.get("/still").text == "up"


def test_stop_before_start_is_harmless_and_stop_is_idempotent() -> None:
    server = MockServer()
    server.stop()
    server.stop()
    assert not server.is_running
    server.start()
    port = port_of(server)
    server.stop()
    server.stop()
    assert not server.is_running
    assert not accepts_connections(port)


def test_the_port_is_released_after_stop() -> None:
    server = MockServer().start()
    port = port_of(server)
    server.stop()
    with socket.socket() as sock:  # no SO_REUSEADDR: the listening socket must really be closed
        sock.bind(("127.0.0.1", port))
        sock.listen()


def test_a_server_restarts_on_the_port_it_had_after_serving_keep_alive_connections(http_client: httpx.Client) -> None:
    first = MockServer().start()
    port = port_of(first)
    first.when(get("/x")).respond(body="one")
    with httpx.Client() as http:  # a keep-alive connection still open when the server stops
        assert http.get(first.url_for("/x")).text == "one"
        first.stop()
    second = MockServer(port=port).start()
    try:
        second.when(get("/x")).respond(body="two")
        assert http_client.get(f"http://127.0.0.1:{port}/x").text == "two"
    finally:
        second.stop()


def test_the_same_server_object_can_be_started_again(http_client: httpx.Client) -> None:
    server = MockServer()
    server.when(get("/again")).respond(body="yes")
    for _ in range(3):
        with server:
            assert http_client.get(server.url_for("/again")).text == "yes"
        assert not server.is_running


def test_context_manager_starts_and_stops_even_when_the_body_raises() -> None:
    server = MockServer()
    ports: list[int] = []

    def use_then_fail() -> None:
        with server:
            ports.append(port_of(server))
            assert server.is_running
            assert accepts_connections(ports[0])
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        use_then_fail()
    [port] = ports
    assert not server.is_running
    assert not accepts_connections(port)


def test_async_with_serves_an_async_client() -> None:
    async def scenario() -> tuple[Any, int, bool]:
        async with MockServer() as server:
            server.when(get("/async")).respond(json={"ok": True})
            async with httpx.AsyncClient(base_url=server.url, timeout=5) as http:
                answers = await asyncio.gather(*(http.get("/async") for _ in range(5)))
            port = port_of(server)
        return [a.json() for a in answers], port, server.is_running

    answers, port, running = asyncio.run(scenario())
    assert answers == [{"ok": True}] * 5
    assert not running
    assert not accepts_connections(port)


def test_start_and_stop_are_quick_enough_to_do_per_test(http_client: httpx.Client) -> None:
    # a usability bound, not a benchmark: ten servers that each answer one request
    began = time.monotonic()
    for i in range(10):
        with MockServer() as server:
            server.when(get("/n")).respond(body=str(i))
            assert http_client.get(server.url_for("/n")).text == str(i)
    assert time.monotonic() - began < 10


# --- ports ----------------------------------------------------------------------------------------


def test_port_given_as_a_string(http_client: httpx.Client) -> None:
    with MockServer(port="0") as server:
        assert port_of(server) != 0
        server.when(get("/s")).respond(body="string zero")
        assert http_client.get(server.url_for("/s")).text == "string zero"
    free = free_port()
    with MockServer(port=str(free)) as server:
        assert server.url == f"http://127.0.0.1:{free}"
        assert accepts_connections(free)


@pytest.mark.parametrize("bad", ["abc", 70000, True, -1, "", "80.5", 8.0, None])
def test_a_bad_port_raises_value_error_naming_it(bad: Any) -> None:
    with pytest.raises(ValueError, match="port") as info:
        MockServer(port=bad)
    assert repr(bad) in str(info.value)


def test_a_taken_port_raises_server_error() -> None:
    with taken_port() as port:
        server = MockServer(port=port)
        with pytest.raises(ServerError, match=f"127.0.0.1:{port}") as info:
            server.start()
        assert "port=0" in str(info.value)
        assert not server.is_running
        server.stop()  # still harmless


def failed_start_port(server: MockServer, reason: str) -> int:
    """Start ``server``, which must fail with ``reason``; the port the failure names."""
    with pytest.raises(ServerError, match=rf"^mockpit could not start on 127\.0\.0\.1:\d+: {reason}$") as info:
        server.start()
    port = int(str(info.value).split(":")[1])
    assert port != 0
    return port


def server_threads() -> list[str]:
    return [thread.name for thread in threading.enumerate() if thread.name.startswith("mockpit:")]


def test_a_start_that_fails_in_the_server_thread_names_the_port_and_ends_the_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def broken(*args: Any, **kwargs: Any) -> None:
        raise OSError("cannot load the certificate")

    monkeypatch.setattr("mockpit._transport.serve.serve", broken)
    server = MockServer()
    before = server_threads()
    port = failed_start_port(server, re.escape("OSError('cannot load the certificate')"))
    assert server_threads() == before
    assert not server.is_running
    assert not accepts_connections(port)
    monkeypatch.undo()
    with server:  # the failure left nothing behind
        assert httpx.get(server.url_for("/x")).status_code == 404
        server.reset()


def test_a_start_that_never_gets_ready_is_given_up_and_its_thread_ended(monkeypatch: pytest.MonkeyPatch) -> None:
    async def never_ready(*args: Any, **kwargs: Any) -> None:
        await asyncio.Event().wait()  # start-up that hangs: it never calls on_ready nor watches the stop event

    monkeypatch.setattr("mockpit._transport.serve.serve", never_ready)
    monkeypatch.setattr("mockpit._server._START_TIMEOUT", 0.2)
    server = MockServer()
    before = server_threads()
    port = failed_start_port(server, re.escape("it did not accept connections within 0.2 s"))
    assert server_threads() == before
    assert not accepts_connections(port)


def test_mock_server_factory_takes_exactly_mock_servers_parameters() -> None:
    factory = list(inspect.signature(MockServerFactory.__call__).parameters.values())
    server = list(inspect.signature(MockServer.__init__).parameters.values())
    assert factory[0].name == server[0].name == "self"
    assert factory[1:] == server[1:]  # names, kinds, annotations and defaults
    assert inspect.signature(MockServerFactory.__call__).return_annotation == "MockServer"


def test_the_parts_of_a_server_are_reached_through_internals_not_its_attributes(tmp_path: Path) -> None:
    server = MockServer(mappings=EXAMPLES / "mappings", root=tmp_path)
    for name in ("engine", "sources", "mapping_files", "recorder", "app"):
        assert not hasattr(server, name), name
    parts = internals(server)
    assert len(parts.engine.stubs()) == 7
    assert [source.path for source in parts.sources] == [EXAMPLES / "mappings"]
    assert parts.mapping_files.folder == tmp_path / "mappings"
    assert parts.recorder.status == "NeverStarted"
    assert parts.app.engine is parts.engine
    with pytest.raises(dataclasses.FrozenInstanceError):
        parts.engine = parts.engine  # type: ignore[misc]


# --- mappings given at construction ---------------------------------------------------------------


def test_mappings_from_a_root_folder_serve_every_example(tmp_path: Path) -> None:
    with MockServer(mappings=EXAMPLES) as server, httpx.Client(base_url=server.url, timeout=5) as http:
        assert len(server.stubs) == 7
        assert http.get("/hello").json() == {"message": "hello"}
        assert http.get("/users/7").json() == {"id": 1, "name": "Ada Lovelace"}
        report = http.get("/reports/latest?format=csv")
        assert report.status_code == 200
        assert report.text == (EXAMPLES / "__files" / "report.csv").read_text()
        assert report.headers["content-type"] == "text/csv"


def test_mappings_from_a_mappings_folder_find_the_sibling_files_folder(http_client: httpx.Client) -> None:
    with MockServer(mappings=str(EXAMPLES / "mappings")) as server:
        assert len(server.stubs) == 7
        assert http_client.get(server.url_for("/reports/latest?format=csv")).text.startswith("month,orders")


def test_mappings_from_one_file(http_client: httpx.Client) -> None:
    with MockServer(mappings=EXAMPLES / "mappings" / "hello.json") as server:
        assert [stub.name for stub in server.stubs] == ["hello"]
        assert http_client.get(server.url_for("/hello")).json() == {"message": "hello"}
        assert http_client.get(server.url_for("/users/1")).status_code == 404
        server.reset()  # the unmatched request was the point


def test_mappings_from_a_list_of_dicts_and_a_file() -> None:
    mappings: list[Any] = [
        {"request": {"method": "GET", "urlPath": "/one"}, "response": {"body": "1"}},
        EXAMPLES / "mappings" / "hello.json",
        {"request": {"method": "GET", "urlPath": "/two"}, "response": {"status": 202, "jsonBody": [2]}},
    ]
    with MockServer(mappings=mappings) as server, httpx.Client(base_url=server.url) as http:
        assert len(server.stubs) == 3
        assert http.get("/one").text == "1"
        two = http.get("/two")
        assert (two.status_code, two.json()) == (202, [2])
        assert http.get("/hello").json() == {"message": "hello"}


def test_one_dict_as_mappings(http_client: httpx.Client) -> None:
    with MockServer(mappings={"request": {"urlPath": "/only"}, "response": {"body": "only"}}) as server:
        assert http_client.get(server.url_for("/only")).text == "only"
        assert http_client.post(server.url_for("/only")).text == "only"  # no method: ANY


def test_reset_restores_the_initial_stubs_and_drops_added_ones_and_the_journal() -> None:
    with MockServer(mappings=[EXAMPLES, {"request": {"urlPath": "/d"}, "response": {"body": "d"}}]) as server:
        initial_ids = sorted(stub.id for stub in server.stubs)
        hello = next(stub for stub in server.stubs if stub.name == "hello")
        server.when(get("/added")).respond(body="added")
        server.remove(hello)
        http = httpx.Client(base_url=server.url)
        assert http.get("/added").text == "added"
        assert http.get("/hello").status_code == 404
        assert len(server.requests()) == 2
        server.reset()
        assert sorted(stub.id for stub in server.stubs) == initial_ids
        assert server.requests() == []
        assert server.unmatched == []
        assert http.get("/added").status_code == 404
        assert http.get("/hello").json() == {"message": "hello"}
        assert http.get("/d").text == "d"
        http.close()
        server.reset()


def test_a_broken_mapping_file_raises_mapping_error_at_construction(tmp_path: Path) -> None:
    broken = tmp_path / "mappings" / "broken.json"
    broken.parent.mkdir()
    broken.write_text(json.dumps({"request": {"urlPath": "/x"}, "response": {"status": "teapot"}}))
    with pytest.raises(MappingError) as info:
        MockServer(mappings=tmp_path)
    assert info.value.source == str(broken)
    assert info.value.field == "response.status"
    assert str(broken) in str(info.value)
    assert "response.status" in str(info.value)


def test_a_broken_mapping_dict_names_its_index_and_field() -> None:
    good = {"request": {"urlPath": "/ok"}}
    with pytest.raises(MappingError) as info:
        MockServer(mappings=[good, {"request": {"urlPath": "/x", "method": "GE T"}}])
    assert info.value.source == "mappings[1]"
    assert info.value.field == "request.method"


def test_a_dict_with_a_body_file_but_no_files_root_names_the_mapping() -> None:
    with pytest.raises(MappingError) as info:
        MockServer(mappings=[{"request": {"urlPath": "/f"}, "response": {"bodyFileName": "a.txt"}}])
    assert info.value.source == "mappings[0]"
    assert info.value.field == "response.bodyFileName"


def test_a_dict_with_a_body_file_under_files_root(tmp_path: Path, http_client: httpx.Client) -> None:
    (tmp_path / "a.txt").write_text("from a file")
    mapping = {"request": {"urlPath": "/f"}, "response": {"bodyFileName": "a.txt"}}
    with MockServer(mappings=mapping, files_root=tmp_path) as server:
        answer = http_client.get(server.url_for("/f"))
        assert answer.text == "from a file"
        assert answer.headers["content-type"].startswith("text/plain")


# --- serving --------------------------------------------------------------------------------------


def test_many_sequential_requests_on_one_keep_alive_connection(server: MockServer) -> None:
    server.when(get("/items/{n}")).respond_with(lambda req: {"n": int(req.path_params["n"])})
    connection = http.client.HTTPConnection("127.0.0.1", port_of(server), timeout=5)
    try:
        for n in range(200):
            connection.request("GET", f"/items/{n}")
            answer = connection.getresponse()
            assert answer.status == 200
            assert json.loads(answer.read()) == {"n": n}
        local_port = connection.sock.getsockname()[1]
    finally:
        connection.close()
    events = server.requests()
    assert len(events) == 200
    assert {event.request.client for event in events} == {("127.0.0.1", local_port)}


def test_fifty_concurrent_requests_from_threads_are_all_answered(server: MockServer) -> None:
    server.when(post("/echo/{n}")).respond_with(lambda req: {"n": req.path_params["n"], "body": req.text})
    start = threading.Barrier(50, timeout=10)

    def call(n: int) -> tuple[int, Any]:
        start.wait()
        answer = requests.post(server.url_for(f"/echo/{n}"), data=f"body {n}", timeout=10)
        return answer.status_code, answer.json()

    with ThreadPoolExecutor(50) as pool:
        results = list(pool.map(call, range(50)))
    assert results == [(200, {"n": str(n), "body": f"body {n}"}) for n in range(50)]
    assert server.count(post("/echo/{n}")) == 50
    assert len({event.request.client for event in server.requests()}) == 50


def _slow_and_fast(
    http_client: httpx.Client, server: MockServer, release: threading.Event, entered: threading.Event
) -> list[str]:
    """Send /slow on a thread, then /fast once the slow handler runs; the order in which they returned."""
    server.when(get("/fast")).respond(body="fast")
    order: list[str] = []

    def slow_call() -> None:
        assert http_client.get(server.url_for("/slow"), timeout=15).text == "slow"
        order.append("slow")

    thread = threading.Thread(target=slow_call)
    thread.start()
    try:
        assert entered.wait(5), "the slow handler was never called"
        # if the slow handler held up the server, this would wait for it (5 s) and time out at 3 s
        assert http_client.get(server.url_for("/fast"), timeout=3).text == "fast"
        order.append("fast")
    finally:
        release.set()
        thread.join(15)
    return order


def test_a_slow_async_handler_does_not_block_other_requests(server: MockServer, http_client: httpx.Client) -> None:
    release, entered = threading.Event(), threading.Event()

    async def slow(req: Request) -> str:
        entered.set()
        for _ in range(500):  # up to 5 s, until the test releases it
            if release.is_set():
                break
            await asyncio.sleep(0.01)
        return "slow"

    server.when(get("/slow")).respond_with(slow)
    assert _slow_and_fast(http_client, server, release, entered) == ["fast", "slow"]


def test_a_blocking_sync_handler_does_not_block_other_requests(server: MockServer, http_client: httpx.Client) -> None:
    release, entered = threading.Event(), threading.Event()

    def slow(req: Request) -> str:
        entered.set()
        deadline = time.monotonic() + 5
        while not release.is_set() and time.monotonic() < deadline:
            time.sleep(0.01)
        return "slow"

    server.when(get("/slow")).respond_with(slow)
    assert _slow_and_fast(http_client, server, release, entered) == ["fast", "slow"]


def test_many_blocked_sync_handlers_do_not_starve_another_handler(
    server: MockServer, http_client: httpx.Client
) -> None:
    # more than asyncio's default pool (CPUs + 4 threads, at most 32) would hold
    blocked = 40
    release = threading.Event()
    arrived = threading.Semaphore(0)

    def blocking(req: Request) -> str:
        arrived.release()
        release.wait(10)
        return "released"

    server.when(get("/block")).respond_with(blocking)
    server.when(get("/quick")).respond_with(lambda req: "quick")
    with ThreadPoolExecutor(blocked) as pool:
        calls = [pool.submit(http_client.get, server.url_for("/block"), timeout=15) for _ in range(blocked)]
        try:
            for _ in range(blocked):
                assert arrived.acquire(timeout=10), "not every blocking handler got a thread"
            assert http_client.get(server.url_for("/quick"), timeout=3).text == "quick"
        finally:
            release.set()
        assert [call.result().text for call in calls] == ["released"] * blocked


def test_concurrent_handler_calls_each_get_their_own_answer(server: MockServer) -> None:
    # handler results go back to the loop in batches: each must still reach the request it answers
    def echo(req: Request) -> str:
        if int(req.path_params["n"]) % 7 == 0:
            time.sleep(0.003)  # some calls outlast the wait after which another worker starts
        return f"answer {req.path_params['n']}"

    server.when(get("/n/{n}")).respond_with(echo)

    async def load() -> list[str]:
        async with httpx.AsyncClient(base_url=server.url, limits=httpx.Limits(max_connections=50)) as client:
            answers = await asyncio.gather(*(client.get(f"/n/{n}", timeout=20) for n in range(400)))
        return [answer.text for answer in answers]

    assert asyncio.run(load()) == [f"answer {n}" for n in range(400)]


def test_a_burst_of_blocking_handler_calls_each_gets_a_thread(server: MockServer) -> None:
    # 40 requests read in one turn of the loop, while the one idle handler thread has not woken yet:
    # each must still reach a thread of its own (they wait for one another to arrive)
    blocked = 40
    arrived = threading.Barrier(blocked, timeout=10)

    def meet(req: Request) -> str:
        arrived.wait()  # raises BrokenBarrierError (a 500) if they are not all running at once
        return "met"

    server.when(get("/warm")).respond_with(lambda req: "warm")
    server.when(get("/meet")).respond_with(meet)

    async def burst() -> list[str]:
        async with httpx.AsyncClient(base_url=server.url, limits=httpx.Limits(max_connections=blocked)) as client:
            assert (await client.get("/warm")).text == "warm"  # a handler thread exists, idle
            answers = await asyncio.gather(*(client.get("/meet", timeout=20) for _ in range(blocked)))
        return [answer.text for answer in answers]

    assert asyncio.run(burst()) == ["met"] * blocked


def test_the_handler_threads_take_a_burst_queued_before_the_idle_thread_wakes() -> None:
    # The race behind a CI failure, made certain: 40 calls queued in one go while the one idle thread
    # has been told but has not woken. The runner counted it idle and watched for none of the others.
    from mockpit._engine.handlers import HandlerRunner

    async def main() -> list[int]:
        runner = HandlerRunner()
        await runner.run(lambda x: x, 0)  # one thread, now idle
        meeting = threading.Barrier(40, timeout=10)

        def meet(x: int) -> int:
            meeting.wait()
            return x

        return await asyncio.gather(*(runner.run(meet, i) for i in range(40)))

    assert asyncio.run(main()) == list(range(40))


def test_a_handler_raising_stop_iteration_is_a_500(server: MockServer, http_client: httpx.Client) -> None:
    def done(req: Request) -> str:
        raise StopIteration  # an asyncio future cannot carry this one as it is

    server.when(get("/stop")).respond_with(done)
    answer = http_client.get(server.url_for("/stop"))
    assert answer.status_code == 500
    assert "StopIteration" in answer.text
    server.errors.clear()


def test_a_handler_error_is_a_500_and_check_re_raises_it_in_the_test_thread(
    server: MockServer, http_client: httpx.Client
) -> None:
    def exploding_handler(req: Request) -> str:
        raise KeyError("no-such-key-" + req.path_params["id"])

    stub = server.when(get("/boom/{id}")).respond_with(exploding_handler)
    answer = http_client.get(server.url_for("/boom/7"))
    assert answer.status_code == 500
    assert "KeyError" in answer.text
    assert stub.id in answer.text
    with pytest.raises(HandlerError) as info:
        server.check()
    error = info.value
    assert isinstance(error.__cause__, KeyError)
    assert error.request.path == "/boom/7"
    assert "exploding_handler" in error.traceback_text
    assert "no-such-key-7" in str(error)
    assert "Server-side traceback" in str(error)
    server.reset()
    server.check()  # reset forgets the error


def test_an_async_handler_error_is_re_raised_too(server: MockServer, http_client: httpx.Client) -> None:
    async def failing(req: Request) -> str:
        await asyncio.sleep(0)
        raise ValueError("async failure")

    server.when(get("/a")).respond_with(failing)
    assert http_client.get(server.url_for("/a")).status_code == 500
    assert http_client.get(server.url_for("/a")).status_code == 500
    with pytest.raises(HandlerError, match="async failure") as info:
        server.check(allow_unmatched=True)
    assert "1 more error" in str(info.value)
    server.reset()


def test_check_reports_unmatched_requests_unless_allowed(server: MockServer, http_client: httpx.Client) -> None:
    server.when(get("/users")).respond(json=[])
    assert http_client.get(server.url_for("/userz")).status_code == 404
    server.check(allow_unmatched=True)
    with pytest.raises(MockpitError, match="1 request") as info:
        server.check()
    assert not isinstance(info.value, HandlerError)
    assert "GET /userz" in str(info.value)
    assert "/users" in str(info.value)
    server.reset()
    server.check()


def test_a_handler_failing_under_load_keeps_the_first_errors_and_counts_the_rest() -> None:
    from mockpit._engine.engine import MAX_ERRORS

    def broken(request: Request) -> Response:
        raise RuntimeError(f"broken #{request.query['n'][0]}")

    with MockServer() as mock, httpx.Client(base_url=mock.url) as http:
        mock.when(get("/broken")).respond_with(broken)
        for n in range(MAX_ERRORS + 20):
            assert http.get("/broken", params={"n": n}).status_code == 500
        assert len(mock.errors) == MAX_ERRORS
        with pytest.raises(HandlerError, match=rf"broken #0(.|\n)*{MAX_ERRORS + 19} more error"):
            mock.check()
        mock.reset()
        mock.check()  # a reset forgets them
