"""The request journal from Python: requests(), count(), unmatched, the cap, ServeEvent."""

from __future__ import annotations

import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from mockpit import MappingError, MockpitError, MockServer, ServeEvent, get, post, request
from mockpit._model import Request, Response
from mockpit._server import PatternLike, internals

SHARED_SERVER = True


def _calls(events: list[ServeEvent]) -> list[str]:
    return [f"{e.request.method} {e.request.url}" for e in events]


def test_requests_lists_every_request_oldest_first_with_what_was_sent(server: MockServer, client: httpx.Client) -> None:
    server.when(post("/users")).respond(201, json={"id": 7})
    client.get("/first", headers={"X-Trace": "a"})
    client.post("/users?notify=yes", json={"name": "Ada"}, headers={"X-Trace": "b"})
    client.delete("/last")

    events = server.requests()

    assert _calls(events) == ["GET /first", "POST /users?notify=yes", "DELETE /last"]
    created = events[1]
    assert created.request.method == "POST"
    assert created.request.path == "/users"
    assert created.request.query == {"notify": ["yes"]}
    assert created.request.headers["x-trace"] == "b"
    assert created.request.headers["X-TRACE"] == "b"
    assert created.request.json() == {"name": "Ada"}
    assert created.request.body == b'{"name":"Ada"}'
    assert [e.timestamp for e in events] == sorted(e.timestamp for e in events)


def test_a_serve_event_says_what_answered(server: MockServer, client: httpx.Client) -> None:
    stub = server.when(post("/orders"), name="create order").respond(201, json={"ok": True})
    client.post("/orders", json={})
    client.get("/orders")

    hit, miss = server.requests()

    assert hit.matched is True
    assert hit.stub is not None
    assert hit.stub.id == stub.id
    assert hit.stub.name == "create order"
    assert hit.response.status == 201
    assert hit.response.body == b'{"ok":true}'
    assert hit.near_miss_report is None
    assert miss.matched is False
    assert miss.stub is None
    assert miss.response.status == 404
    assert miss.near_miss_report is not None
    assert '"create order"' in miss.near_miss_report


def test_request_json_of_a_body_that_is_not_json_raises_value_error(server: MockServer, client: httpx.Client) -> None:
    client.post("/text", content=b"not { json")
    (event,) = server.requests()
    assert event.request.text == "not { json"
    with pytest.raises(ValueError, match="not valid JSON"):
        event.request.json()


def test_an_event_id_is_stable_and_is_the_admin_apis_id(server: MockServer, client: httpx.Client) -> None:
    client.get("/a")
    client.get("/b")

    first = [e.id for e in server.requests()]
    second = [e.id for e in server.requests()]
    listed = client.get("/__admin/requests").json()["requests"]

    assert first == second
    assert len(set(first)) == 2
    assert [e["id"] for e in listed] == first[::-1]
    assert server.requests(get("/b"))[0].id == first[1]


def test_an_event_id_is_the_same_for_threads_that_ask_at_once() -> None:
    # The id is made on first use; the server thread (admin API) and the test thread may both ask.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for _ in range(60):
            event = ServeEvent(Request("GET", "/"), None, Response(404))
            barrier = threading.Barrier(6)
            seen: list[str] = []

            def read(event: ServeEvent = event, barrier: threading.Barrier = barrier, seen: list[str] = seen) -> None:
                barrier.wait()
                seen.append(event.id)

            threads = [threading.Thread(target=read) for _ in range(6)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert set(seen) == {event.id}
    finally:
        sys.setswitchinterval(interval)


# Requests every filtering case below is run against.
_TRAFFIC: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", "/a", {}),
    ("GET", "/a?page=2", {}),
    ("POST", "/x", {"json": {"k": 1}, "headers": {"X-T": "1"}}),
    ("POST", "/x", {"content": b"plain text"}),
    ("DELETE", "/a", {}),
    ("GET", "/users/42", {}),
]

FILTERS = [
    pytest.param(get("/a"), ["GET /a", "GET /a?page=2"], id="get-path"),
    pytest.param({"method": "GET", "urlPath": "/a"}, ["GET /a", "GET /a?page=2"], id="dict-urlPath"),
    pytest.param({"method": "GET", "url": "/a"}, ["GET /a"], id="dict-url-exact"),
    pytest.param({"method": "ANY", "urlPath": "/a"}, ["GET /a", "GET /a?page=2", "DELETE /a"], id="dict-any-method"),
    pytest.param(request("ANY", "/a"), ["GET /a", "GET /a?page=2", "DELETE /a"], id="request-any"),
    pytest.param(get("/a").query("page", "2"), ["GET /a?page=2"], id="query"),
    pytest.param(post("/x"), ["POST /x", "POST /x"], id="post"),
    pytest.param(post("/x").json({"k": 1}), ["POST /x"], id="json-body"),
    pytest.param(post("/x").header("X-T", "1"), ["POST /x"], id="header"),
    pytest.param(
        {"method": "POST", "urlPath": "/x", "bodyPatterns": [{"contains": "plain"}]}, ["POST /x"], id="dict-body"
    ),
    pytest.param(get("/users/{id}"), ["GET /users/42"], id="path-template"),
    pytest.param({"urlPathPattern": "/(a|x)"}, ["GET /a", "GET /a?page=2", "POST /x", "POST /x", "DELETE /a"], id="re"),
    pytest.param({"method": "PUT"}, [], id="none"),
]


@pytest.mark.parametrize(("pattern", "expected"), FILTERS)
def test_requests_and_count_filter_by_pattern(
    server: MockServer, client: httpx.Client, pattern: PatternLike, expected: list[str]
) -> None:
    server.when(get("/a")).respond(200)  # a mix of matched and unmatched requests: both are journaled
    for method, url, kwargs in _TRAFFIC:
        client.request(method, url, **kwargs)

    assert _calls(server.requests(pattern)) == expected
    assert server.count(pattern) == len(expected)
    assert len(server.requests()) == len(_TRAFFIC)


def test_the_journal_is_filtered_by_the_pattern_not_by_the_stub_that_answered(
    server: MockServer, client: httpx.Client
) -> None:
    server.when(request("ANY", path_matching="/.*")).respond(200)
    client.get("/a", headers={"X-Tenant": "acme"})
    client.get("/a")
    assert server.count(get("/a").header("X-Tenant", "acme")) == 1
    assert server.count(get("/a")) == 2


def test_an_invalid_dict_pattern_is_a_mapping_error_naming_the_field(server: MockServer) -> None:
    with pytest.raises(MappingError, match=r"method"):
        server.count({"method": 5})


def test_unmatched_lists_only_the_requests_no_stub_matched(server: MockServer, client: httpx.Client) -> None:
    server.when(get("/known")).respond(200)
    client.get("/known")
    client.get("/unknown")
    client.post("/known")
    client.get("/known")

    unmatched = server.unmatched

    assert _calls(unmatched) == ["GET /unknown", "POST /known"]
    assert all(e.response.status == 404 and not e.matched for e in unmatched)
    assert all(e.near_miss_report for e in unmatched)


@pytest.mark.parametrize(
    ("size", "sent", "kept"),
    [
        pytest.param(5, 8, [3, 4, 5, 6, 7], id="over-the-cap"),
        pytest.param(5, 5, [0, 1, 2, 3, 4], id="at-the-cap"),
        pytest.param(5, 2, [0, 1], id="under-the-cap"),
        pytest.param(1, 3, [2], id="cap-of-one"),
        pytest.param(0, 3, [], id="disabled"),
    ],
)
def test_the_journal_keeps_only_the_last_journal_size_requests(size: int, sent: int, kept: list[int]) -> None:
    with MockServer(journal_size=size) as mock, httpx.Client(base_url=mock.url) as http:
        mock.when(get("/r/{n}")).respond(200)
        for n in range(sent):
            assert http.get(f"/r/{n}").status_code == 200

        assert [e.request.path for e in mock.requests()] == [f"/r/{n}" for n in kept]
        assert mock.count(get("/r/{n}")) == len(kept)
        listed = http.get("/__admin/requests").json()
        assert [e["request"]["url"] for e in listed["requests"]] == [f"/r/{n}" for n in reversed(kept)]
        assert listed["meta"]["total"] == len(kept)


@pytest.mark.parametrize("journal_size", [0, 2])
def test_unmatched_requests_outlive_a_small_journal(journal_size: int) -> None:
    # a test must hear of every request that matched nothing, even when the journal dropped it
    with MockServer(journal_size=journal_size) as mock, httpx.Client(base_url=mock.url) as http:
        http.get("/miss-1")
        http.get("/miss-2")
        http.get("/miss-3")
        assert len(mock.requests()) == journal_size
        assert _calls(mock.unmatched) == ["GET /miss-1", "GET /miss-2", "GET /miss-3"]
        with pytest.raises(MockpitError, match="3 request"):
            mock.check()
        mock.clear_requests()


def test_clear_requests_empties_the_journal_and_keeps_the_stubs(server: MockServer, client: httpx.Client) -> None:
    server.when(get("/kept")).respond(200)
    client.get("/kept")
    client.get("/missing")

    server.clear_requests()

    assert server.requests() == []
    assert server.unmatched == []
    assert server.count(get("/kept")) == 0
    assert client.get("/kept").status_code == 200
    assert _calls(server.requests()) == ["GET /kept"]


def test_requests_returns_a_copy(server: MockServer, client: httpx.Client) -> None:
    client.get("/a")
    events = server.requests()
    events.clear()
    assert len(server.requests()) == 1


def test_concurrent_requests_are_all_journaled_with_distinct_ids(server: MockServer) -> None:
    server.when(get("/c/{n}")).respond(200)

    with httpx.Client(base_url=server.url, timeout=10) as http, ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda n: http.get(f"/c/{n}").status_code, range(64)))

    assert statuses == [200] * 64
    events = server.requests()
    assert sorted(e.request.path for e in events) == sorted(f"/c/{n}" for n in range(64))
    assert len({e.id for e in events}) == 64


def test_the_journal_also_bounds_the_request_bodies_it_keeps(
    server: MockServer, client: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # ten uploads of 40 KB against a 100 KB budget: only the newest two fit (plus the one being added);
    # monkeypatched, because the module's server keeps its own budget for the other tests
    monkeypatch.setattr(internals(server).engine.journal, "max_body_bytes", 100_000)
    server.when(post("/upload")).respond(201)
    for i in range(10):
        assert client.post("/upload", content=bytes([i]) * 40_000).status_code == 201
    kept = server.requests()
    assert [event.request.body[0] for event in kept] == [8, 9]
    assert sum(len(event.request.body) for event in kept) <= 100_000
    # bodiless requests cost the budget nothing: they are kept up to the count cap
    for _ in range(5):
        client.get("/upload")
    assert len(server.requests()) == 7
