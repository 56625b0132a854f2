"""The stub index: the right stub answers among thousands, and lookups don't scan every stub."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mockpit import MockServer, Stub, stub_from_mapping
from mockpit._engine.index import StubIndex
from mockpit._model import Request
from mockpit._server import internals

N_EXACT = 10_000


# one server for the module, reset around each test (see conftest.py)
SHARED_SERVER = True


def mapping(body: str, priority: int | None = None, method: str = "GET", **request: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"request": {"method": method, **request}, "response": {"body": body}}
    if priority is not None:
        out["priority"] = priority
    return out


def _exact_path(i: int) -> str:
    return f"/items/{i}"


# The non-exact stubs of the big table, with a request each must answer (and the body it answers with).
OTHER_STUBS = [
    (mapping("user", urlPathTemplate="/users/{id}"), "/users/42", "user"),
    (mapping("orders", urlPathTemplate="/users/{id}/orders/{order}"), "/users/42/orders/9", "orders"),
    (mapping("item-detail", urlPathTemplate="/items/{id}/detail"), "/items/5/detail", "item-detail"),
    (mapping("txt", urlPathPattern="/files/[a-z]+\\.txt"), "/files/notes.txt", "txt"),
    (mapping("search", urlPattern="/search\\?q=[a-z]+"), "/search?q=abc", "search"),
    (mapping("thing", url="/things/1?v=2"), "/things/1?v=2", "thing"),
    (mapping("me", urlPath="/users/me"), "/users/me", "me"),  # exact, newer than the template: wins
    (mapping("post-only", method="POST", urlPathTemplate="/items/{id}"), None, None),
]


@pytest.fixture(scope="module")
def big_server() -> Iterator[MockServer]:
    """Its own server, built once: the tests that use it only read."""
    with MockServer() as mock:
        for i in range(N_EXACT):
            mock.add_mapping(mapping(f"item {i}", urlPath=_exact_path(i)))
        for stub, _, _ in OTHER_STUBS:
            mock.add_mapping(stub)
        yield mock
        assert not mock.errors


@pytest.fixture(scope="module")
def big_client(big_server: MockServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=big_server.url, timeout=10) as http:
        yield http


def test_ten_thousand_stubs_each_request_gets_the_right_one(big_server: MockServer, big_client: httpx.Client) -> None:
    client = big_client
    assert len(big_server.stubs) == N_EXACT + len(OTHER_STUBS)
    sample = sorted({0, 1, N_EXACT - 1, *random.Random(1).sample(range(N_EXACT), 300)})
    for i in sample:
        response = client.get(_exact_path(i))
        assert (response.status_code, response.text) == (200, f"item {i}")
    for _, path, body in OTHER_STUBS:
        if path is not None:
            response = client.get(path)
            assert (response.status_code, response.text) == (200, body), path
    for path in ("/items/10000", "/items/", "/items/1/2", "/files/x.pdf", "/search?q=ABC", "/things/1?v=3"):
        assert client.get(path).status_code == 404, path
    # a POST to an exact path falls through to the POST template behind it
    assert client.post(_exact_path(7)).text == "post-only"


def test_ten_thousand_stubs_every_exact_path_is_found(big_server: MockServer) -> None:
    # all 10,000 through the index itself (the wire test above samples them)
    index = internals(big_server).engine.index
    for i in range(N_EXACT):
        found = index.find(Request("GET", _exact_path(i)))
        assert found is not None
        assert found[0].stub.response.body == f"item {i}"


def test_candidates_of_an_exact_path_leave_out_other_exact_paths(big_server: MockServer) -> None:
    index = internals(big_server).engine.index
    candidates = index.candidates(Request("GET", "/items/1234"))
    exact = [e.stub for e in candidates if e.stub.request.url.kind in {"url", "urlPath"}]
    assert [s.request.url.value for s in exact] == ["/items/1234"]
    # besides it: the template that fits /items/{id} and the stubs no index can place (regexes)
    others = sorted(e.stub.response.body or "" for e in candidates if e.stub.request.url.kind not in {"url", "urlPath"})
    assert others == ["post-only", "search", "txt"]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        pytest.param("/users/42", {"user", "search", "txt"}, id="one-segment-template"),
        pytest.param("/users/42/orders/9", {"orders", "search", "txt"}, id="two-variable-template"),
        pytest.param("/users/me", {"me", "user", "search", "txt"}, id="exact-and-template"),
        pytest.param("/things/1", {"thing", "search", "txt"}, id="url-kind-by-its-path"),
        pytest.param("/nowhere/at/all", {"search", "txt"}, id="unknown-path-only-regexes"),
        pytest.param("/items/5/detail", {"item-detail", "search", "txt"}, id="template-under-exact-prefix"),
    ],
)
def test_candidates_come_from_the_path_only(big_server: MockServer, path: str, expected: set[str]) -> None:
    candidates = internals(big_server).engine.index.candidates(Request("GET", path))
    assert {e.stub.response.body for e in candidates} == expected


def test_candidates_are_in_wiremock_order() -> None:
    index: StubIndex[None] = StubIndex()
    added = [
        stub_from_mapping(mapping("exact-old", urlPath="/a/b")),
        stub_from_mapping(mapping("regex-p1", 1, urlPathPattern="/a/.*")),
        stub_from_mapping(mapping("template", urlPathTemplate="/a/{x}")),
        stub_from_mapping(mapping("exact-p9", 9, urlPath="/a/b")),
        stub_from_mapping(mapping("any-url", 5)),
        stub_from_mapping(mapping("exact-new", urlPath="/a/b")),
    ]
    for stub in added:
        index.add(stub, None)
    order = [e.stub.response.body for e in index.candidates(Request("GET", "/a/b"))]
    assert order == ["regex-p1", "exact-new", "any-url", "template", "exact-old", "exact-p9"]


def test_the_index_agrees_with_a_linear_scan() -> None:
    """Random stubs of every URL kind; for random requests, the index picks what a full scan picks."""
    rng = random.Random(2024)
    index: StubIndex[None] = StubIndex()
    stubs: list[Stub] = []
    segments = ["a", "b", "c"]
    for n in range(300):
        path = "/" + "/".join(rng.choice(segments) for _ in range(rng.randint(1, 3)))
        kind = rng.choice(["urlPath", "url", "urlPathTemplate", "urlPathPattern", "urlPattern", None])
        if kind == "urlPathTemplate":
            parts = path.split("/")
            parts[rng.randrange(1, len(parts))] = "{v}"
            value: str | None = "/".join(parts)
        elif kind == "url":
            value = path + rng.choice(["", "?q=1"])
        elif kind in {"urlPathPattern", "urlPattern"}:
            value = path.replace("a", "[ab]") + (".*" if kind == "urlPattern" else "")
        else:
            value = path
        request: dict[str, Any] = {"method": rng.choice(["GET", "POST", "ANY"])}
        if kind is not None:
            request[kind] = value
        priority = rng.choice([None, 1, 3, 5, 8])
        stub = stub_from_mapping(mapping(str(n), priority, **request))
        stubs.append(stub)
        index.add(stub, None)
    from mockpit._matching.pattern import compile_pattern

    compiled = [(stub, compile_pattern(stub.request), seq) for seq, stub in enumerate(stubs)]
    for _ in range(500):
        path = "/" + "/".join(rng.choice([*segments, "d"]) for _ in range(rng.randint(1, 3)))
        request = Request(rng.choice(["GET", "POST"]), path, rng.choice(["", "q=1"]))
        matching = [(s.effective_priority, -seq, s) for s, p, seq in compiled if p.match(request).matched]
        expected = min(matching, key=lambda t: (t[0], t[1]))[2] if matching else None
        found = index.find(request)
        assert (found[0].stub if found else None) == expected, request


def test_a_lookup_does_not_scan_unrelated_exact_stubs() -> None:
    index: StubIndex[None] = StubIndex()
    for i in range(1000):
        index.add(stub_from_mapping(mapping(str(i), urlPath=f"/p/{i}")), None)
    assert [e.stub.response.body for e in index.candidates(Request("GET", "/p/500"))] == ["500"]
    assert list(index.candidates(Request("GET", "/p/1000"))) == []


# --- changing the stubs while serving -------------------------------------------------------------


def test_remove(server: MockServer, client: httpx.Client) -> None:
    exact = server.add_mapping(mapping("exact", urlPath="/r/1"))
    template = server.add_mapping(mapping("template", urlPathTemplate="/r/{n}"))
    regex = server.add_mapping(mapping("regex", urlPathPattern="/r/.*"))
    assert client.get("/r/1").text == "regex"
    assert server.remove(regex) is True
    assert client.get("/r/1").text == "template"
    assert server.remove(template.id) is True
    assert client.get("/r/1").text == "exact"
    assert client.get("/r/2").status_code == 404
    assert server.remove(exact) is True
    assert client.get("/r/1").status_code == 404
    assert server.remove(exact) is False
    assert server.remove("no-such-id") is False
    assert server.stubs == []


def test_remove_one_of_several_on_a_path(server: MockServer, client: httpx.Client) -> None:
    first = server.add_mapping(mapping("first", urlPath="/same"))
    second = server.add_mapping(mapping("second", urlPath="/same"))
    assert client.get("/same").text == "second"
    server.remove(first)
    assert client.get("/same").text == "second"
    server.remove(second)
    assert client.get("/same").status_code == 404


@pytest.mark.parametrize(
    "kinds",
    [
        pytest.param(
            [{"urlPath": "/k/1"}, {"urlPathTemplate": "/t/{n}"}, {"urlPathPattern": "/p/.*"}], id="exact-tpl-re"
        ),
        pytest.param([{"urlPathPattern": "/p/.*"}, {"url": "/k/1"}, {}], id="re-url-any"),
        pytest.param([{"urlPathTemplate": "/t/{n}"}, {"urlPathTemplate": "/u/{n}"}], id="tpl-tpl"),
    ],
)
def test_replacing_a_stub_moves_it(server: MockServer, client: httpx.Client, kinds: list[dict[str, str]]) -> None:
    """A stub replaced under the same id with another kind of URL leaves its old place in the index."""
    paths = {"urlPath": "/k/1", "url": "/k/1", "urlPathTemplate": None, "urlPathPattern": "/p/x"}
    stub_id = "6e8d1c2a-0000-4000-8000-00000000000a"
    previous: str | None = None
    for n, request in enumerate(kinds):
        server.add_mapping({"id": stub_id, **mapping(f"v{n}", **request)})
        kind = next(iter(request), None)
        value = request.get(kind or "", "")
        path = "/anything" if kind is None else (paths[kind] or value.replace("{n}", "9"))
        assert client.get(path).text == f"v{n}"
        if previous is not None and kind is not None:
            assert client.get(previous).status_code == 404
        previous = path
        assert len(server.stubs) == 1


def test_reset_empties_every_part_of_the_index(server: MockServer, client: httpx.Client) -> None:
    for request in ({"urlPath": "/z"}, {"urlPathTemplate": "/z/{a}"}, {"urlPattern": "/y.*"}, {}):
        server.add_mapping(mapping("x", **request))
    server.reset()
    for path in ("/z", "/z/1", "/y1", "/other"):
        assert client.get(path).status_code == 404
    assert list(internals(server).engine.index.candidates(Request("GET", "/z/1"))) == []


def test_winner_among_many_on_one_path_follows_priority_then_recency(server: MockServer, client: httpx.Client) -> None:
    rng = random.Random(11)
    live: list[tuple[int, int, Stub]] = []  # (priority, -sequence, stub)
    for n in range(60):
        priority = rng.choice([1, 2, 3, None])
        stub = server.add_mapping(mapping(f"s{n}", priority, urlPath="/crowd"))
        live.append((stub.effective_priority, -n, stub))
    while live:
        expected = min(live, key=lambda t: (t[0], t[1]))[2]
        assert client.get("/crowd").text == expected.response.body
        victim = live.pop(rng.randrange(len(live)))  # remove at random, winner or not
        assert server.remove(victim[2])
    assert client.get("/crowd").status_code == 404


def test_adding_and_removing_while_serving(server: MockServer, client: httpx.Client) -> None:
    server.add_mapping(mapping("stable", urlPath="/stable"))
    server.add_mapping(mapping("stable-template", urlPathTemplate="/st/{x}"))
    seen: list[tuple[str, int, str]] = []
    stop = threading.Event()
    failures: list[BaseException] = []

    def hammer() -> None:
        try:
            with httpx.Client(base_url=server.url, timeout=10) as http:
                while not stop.is_set():
                    for path in ("/stable", "/st/1", "/churn", "/users/1", "/rx/1"):
                        response = http.get(path)
                        seen.append((path, response.status_code, response.text))
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    thread = threading.Thread(target=hammer)
    thread.start()
    rounds = 0
    try:
        deadline = time.monotonic() + 10
        while (len(seen) < 300 or rounds < 30) and time.monotonic() < deadline and not failures:
            rounds += 1
            added = [
                server.add_mapping(mapping("churn", urlPath="/churn")),
                server.add_mapping(mapping("tmpl", urlPathTemplate="/users/{id}")),
                server.add_mapping(mapping("rx", urlPathPattern="/rx/[0-9]+")),
                # losers by priority: must never answer while the stable ones are there
                server.add_mapping(mapping("loser", 9, urlPath="/stable")),
                server.add_mapping(mapping("loser", 9, urlPathPattern="/st.*")),
            ]
            for stub in added:
                assert server.remove(stub)
            # a CPU-bound loop would starve the server's thread of the GIL; a test thread pauses between stubs
            time.sleep(0.0005)
    finally:
        stop.set()
        thread.join(10)
    assert not failures
    assert len(seen) >= 300
    allowed = {
        "/stable": {(200, "stable")},
        "/st/1": {(200, "stable-template")},
        "/churn": {(200, "churn"), (404, None)},
        "/users/1": {(200, "tmpl"), (404, None)},
        "/rx/1": {(200, "rx"), (404, None)},
    }
    for path, status, text in seen:
        outcome = (status, text if status == 200 else None)
        assert outcome in allowed[path], (path, status, text)
    assert client.get("/churn").status_code == 404
    assert client.get("/stable").text == "stable"
    assert len(server.stubs) == 2


def _compiled(server: MockServer, stub_id: str) -> bool:
    entry = internals(server).engine.index.get(stub_id)
    assert entry is not None
    _, pattern, responder = entry.compiled()
    return pattern is not None and responder is not None


def test_a_plain_stub_is_compiled_on_its_first_request(server: MockServer, client: httpx.Client) -> None:
    # 10,000 plain stubs would hold 15 MB of patterns and renderers that most runs never use
    plain = server.add_mapping(mapping("plain", urlPath="/plain"))
    assert not _compiled(server, plain.id)
    response = client.get("/plain")
    assert response.status_code == 200
    assert response.text == "plain"
    assert response.headers["Matched-Stub-Id"] == plain.id  # the same answer as a stub compiled at once
    assert _compiled(server, plain.id)
    assert client.get("/plain").text == "plain"


def test_a_stub_that_could_fail_is_compiled_when_added(server: MockServer) -> None:
    # a regex, a template or a body file is checked at once, so a broken one is refused at load
    for stub in (
        mapping("x", urlPathPattern="/a/.*"),
        mapping("x", urlPath="/b", headers={"Accept": {"equalTo": "text/plain"}}),
        {"request": {"urlPath": "/c"}, "response": {"body": "{{request.path}}", "transformers": ["response-template"]}},
    ):
        assert _compiled(server, server.add_mapping(stub).id)
    with pytest.raises(ValueError, match="bodyFileName"):
        server.add_mapping({"request": {"urlPath": "/d"}, "response": {"bodyFileName": "missing.json"}})


def test_uncompiled_stubs_take_part_in_near_misses_and_resets(server: MockServer, client: httpx.Client) -> None:
    for i in range(50):
        server.add_mapping(mapping(f"item {i}", urlPath=f"/things/{i}"))
    response = client.get("/things/4x")
    assert response.status_code == 404
    assert "/things/4" in response.text  # the closest stub, compiled to be compared
    server.reset()  # the initial stubs only: none here
    assert client.get("/things/4").status_code == 404
