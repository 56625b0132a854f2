"""The near-miss report a request that matched no stub gets, and server.check()."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from mockpit import HandlerError, MockpitError, MockServer, get, post

HEADER = "mockpit: no stub matched this request"


@dataclass
class Ranked:
    rank: int
    label: str
    distance: float
    #: (field, expected, actual), in the order printed
    differences: list[tuple[str, str, str]]


def parse_report(report: str) -> list[Ranked]:
    """The "Closest stubs" part of a near-miss report, parsed back into its parts."""
    lines = report.splitlines()
    assert lines[0] == HEADER
    start = lines.index("Closest stubs:")
    ranked: list[Ranked] = []
    pending: tuple[str, str] | None = None
    for line in lines[start + 1 :]:
        head = re.fullmatch(r"(\d+)\. (.+)  distance (\d+\.\d\d)", line)
        if head:
            assert pending is None, f"an expected line without its actual line before {line!r}"
            ranked.append(Ranked(int(head[1]), head[2], float(head[3]), []))
            continue
        expected = re.fullmatch(r" {5}(\S.*?) +expected: (.*)", line)
        if expected:
            pending = (expected[1], expected[2])
            continue
        actual = re.fullmatch(r" {5} +actual: {3}(.*)", line)
        assert actual, f"unexpected line {line!r} in\n{report}"
        assert pending, f"an actual line without its expected line: {line!r}"
        ranked[-1].differences.append((*pending, actual[1]))
        pending = None
    assert pending is None
    assert [r.rank for r in ranked] == list(range(1, len(ranked) + 1))
    return ranked


def _miss(client: httpx.Client, method: str, url: str, **kwargs: Any) -> str:
    response = client.request(method, url, **kwargs)
    assert response.status_code == 404
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    return response.text


# (stub mapping, request sent, the differences the closest stub's block must show)
FIELD_CASES = [
    pytest.param(
        {"request": {"method": "POST", "urlPath": "/users"}},
        ("GET", "/users", {}),
        [("method", "POST", "GET")],
        id="method",
    ),
    pytest.param(
        {"request": {"method": "GET", "urlPath": "/users"}},
        ("GET", "/usres", {}),
        [("urlPath", "/users", "/usres")],
        id="urlPath",
    ),
    pytest.param(
        {"request": {"method": "GET", "url": "/users?page=1"}},
        ("GET", "/users?page=2", {}),
        [("url", "/users?page=1", "/users?page=2")],
        id="url",
    ),
    pytest.param(
        {"request": {"method": "GET", "urlPath": "/users", "headers": {"X-Tenant": {"equalTo": "acme"}}}},
        ("GET", "/users", {"headers": {"X-Tenant": "globex"}}),
        [("header X-Tenant", "equalTo 'acme'", "globex")],
        id="header-value",
    ),
    pytest.param(
        {"request": {"method": "GET", "urlPath": "/users", "headers": {"Authorization": {"matches": "Bearer .+"}}}},
        ("GET", "/users", {}),
        [("header Authorization", "matches 'Bearer .+'", "(absent)")],
        id="header-absent",
    ),
    pytest.param(
        {"request": {"method": "GET", "urlPath": "/users", "queryParameters": {"page": {"equalTo": "2"}}}},
        ("GET", "/users?page=3", {}),
        [("query parameter page", "equalTo '2'", "3")],
        id="query-parameter",
    ),
    pytest.param(
        {"request": {"method": "POST", "urlPath": "/users", "bodyPatterns": [{"equalToJson": {"name": "Ada"}}]}},
        ("POST", "/users", {"json": {"name": "Bob"}}),
        [("body", 'equalToJson {"name":"Ada"}', '{"name":"Bob"}')],
        id="body-equalToJson",
    ),
    pytest.param(
        {
            "request": {
                "method": "PUT",
                "urlPath": "/users/1",
                "headers": {"If-Match": {"equalTo": "v1"}},
                "bodyPatterns": [{"contains": "name"}],
            }
        },
        ("POST", "/users/1", {"content": b"{}"}),
        [
            ("method", "PUT", "POST"),
            ("header If-Match", "equalTo 'v1'", "(absent)"),
            ("body", "contains 'name'", "{}"),
        ],
        id="several-fields",
    ),
]


@pytest.mark.parametrize(("mapping", "sent", "differences"), FIELD_CASES)
def test_the_report_names_the_closest_stub_and_every_field_that_differed(
    server: MockServer,
    client: httpx.Client,
    mapping: dict[str, Any],
    sent: tuple[str, str, dict[str, Any]],
    differences: list[tuple[str, str, str]],
) -> None:
    stub = server.add_mapping({"name": "the stub meant", **mapping, "response": {"status": 200}})
    server.add_mapping({"name": "far away", "request": {"method": "DELETE", "urlPath": "/zzzzzzzzzz/qqqq"}})
    method, url, kwargs = sent

    report = _miss(client, method, url, **kwargs)

    assert report.splitlines()[2] == f"  {method} {url}"
    closest, farther = parse_report(report)
    assert closest.label == f'"the stub meant" ({stub.id})'
    assert closest.differences == differences
    assert farther.label.startswith('"far away"')
    assert closest.distance < farther.distance


def test_the_report_shows_the_request_body_and_content_type(server: MockServer, client: httpx.Client) -> None:
    server.add_mapping({"request": {"method": "POST", "urlPath": "/in"}})
    report = _miss(client, "PUT", "/in", json={"k": "v"})
    assert "  Content-Type: application/json\n" in report
    assert '  body: {"k":"v"}\n' in report


def test_a_long_request_body_is_cut_in_the_report(server: MockServer, client: httpx.Client) -> None:
    server.add_mapping({"request": {"method": "POST", "urlPath": "/in"}})
    report = _miss(client, "PUT", "/in", content=b"a" * 500 + b"TAIL")
    assert "  body: " + "a" * 200 + "...\n" in report
    assert "TAIL" not in report


def test_a_stub_without_a_name_is_named_by_method_and_url(server: MockServer, client: httpx.Client) -> None:
    stub = server.add_mapping({"request": {"method": "POST", "urlPath": "/unnamed"}})
    (closest,) = parse_report(_miss(client, "GET", "/unnamed"))
    assert closest.label == f'"POST /unnamed" ({stub.id})'


def test_with_no_stubs_at_all_the_report_says_so(client: httpx.Client) -> None:
    report = _miss(client, "GET", "/anything")
    assert report.splitlines()[:3] == [HEADER, "", "  GET /anything"]
    assert "There are no stubs at all" in report
    assert "Closest stubs" not in report


def test_at_most_three_stubs_are_listed_closest_first(server: MockServer, client: httpx.Client) -> None:
    for path in ("/aaaa", "/users/1", "/users/12", "/user", "/zzzzzzzzzz"):
        server.add_mapping({"name": path, "request": {"method": "GET", "urlPath": path}})
    ranked = parse_report(_miss(client, "GET", "/users/13"))
    assert sorted(r.label.split('"')[1] for r in ranked) == ["/user", "/users/1", "/users/12"]
    assert [r.distance for r in ranked] == sorted(r.distance for r in ranked)
    assert ranked[0].distance < ranked[-1].distance


# Stubs that must not be taken for the closest, whatever their number and age.
DECOYS = [
    pytest.param(
        [{"request": {"method": "POST", "urlPath": "/invoices"}}],
        id="another-url-added-later",
    ),
    pytest.param(
        [{"request": {"method": "POST", "urlPath": f"/orders/{i}"}} for i in range(3)],
        id="similar-urls",
    ),
    pytest.param(
        # More stubs for the very same method and URL than the near-miss search shortlists, all newer,
        # each differing in the header and the body
        [
            {
                "request": {
                    "method": "POST",
                    "urlPath": "/orders",
                    "headers": {"X-Tenant": {"equalTo": "acme"}},
                    "bodyPatterns": [{"equalToJson": {"sku": f"Z-{i}", "qty": i}}],
                }
            }
            for i in range(40)
        ],
        id="many-stubs-on-the-same-url",
    ),
    pytest.param(
        [{"request": {"method": "GET", "urlPath": "/orders"}}],
        id="same-url-other-method",
    ),
]


@pytest.mark.parametrize("decoys", DECOYS)
def test_the_closest_stub_is_really_the_closest(
    server: MockServer, client: httpx.Client, decoys: list[dict[str, Any]]
) -> None:
    meant = server.add_mapping(
        {
            "name": "orders for acme",
            "request": {
                "method": "POST",
                "urlPath": "/orders",
                "headers": {"X-Tenant": {"equalTo": "acme"}},
                "bodyPatterns": [{"equalToJson": {"sku": "A-1"}}],
            },
            "response": {"status": 201},
        }
    )
    for decoy in decoys:
        server.add_mapping(decoy)

    report = _miss(client, "POST", "/orders", json={"sku": "A-1"}, headers={"X-Tenant": "globex"})

    closest = parse_report(report)[0]
    assert closest.label == f'"orders for acme" ({meant.id})'
    assert closest.differences == [("header X-Tenant", "equalTo 'acme'", "globex")]


def _many(count: int, build: Any) -> list[dict[str, Any]]:
    return [build(i) for i in range(count)]


SCALE = [
    pytest.param(
        lambda i: {
            "name": f"item {i}",
            "request": {"method": "POST", "urlPath": f"/items/{i}", "headers": {"X-Key": {"equalTo": "k"}}},
        },
        ("POST", "/items/5000", {"headers": {"X-Key": "wrong"}}),
        "item 5000",
        id="one-url-each",
    ),
    pytest.param(
        lambda i: {
            "name": f"query {i}",
            "request": {
                "method": "POST",
                "urlPath": "/graphql",
                "headers": {"X-Key": {"equalTo": "k"}},
                "bodyPatterns": [{"equalToJson": {"query": f"{{ item(id: {i}) {{ name }} }}"}}],
            },
        },
        ("POST", "/graphql", {"json": {"query": "{ item(id: 17) { name } }"}}),
        "query 17",
        id="all-on-one-url",
    ),
]


@pytest.mark.parametrize(("build", "sent", "closest"), SCALE)
def test_a_miss_among_10000_stubs_answers_quickly_and_still_finds_the_closest(
    build: Any, sent: tuple[str, str, dict[str, Any]], closest: str
) -> None:
    with MockServer(mappings=_many(10_000, build)) as mock, httpx.Client(base_url=mock.url, timeout=30) as http:
        method, url, kwargs = sent
        started = time.perf_counter()
        report = _miss(http, method, url, **kwargs)
        elapsed = time.perf_counter() - started

    assert elapsed < 2.0, f"a miss among 10,000 stubs took {elapsed:.2f}s"
    assert parse_report(report)[0].label.startswith(f'"{closest}"')


# --- server.check() ------------------------------------------------------------------------------


def test_check_passes_when_every_request_matched(server: MockServer, client: httpx.Client) -> None:
    server.when(get("/ok")).respond(200)
    client.get("/ok")
    server.check()
    server.check(allow_unmatched=True)


def test_check_raises_the_near_miss_report_of_an_unmatched_request(server: MockServer, client: httpx.Client) -> None:
    server.when(post("/users"), name="create user").respond(201)
    report = _miss(client, "GET", "/users")

    with pytest.raises(MockpitError) as caught:
        server.check()

    message = str(caught.value)
    assert message.startswith("1 request(s) matched no stub:")
    assert report in message
    assert '"create user"' in message
    server.check(allow_unmatched=True)


def test_check_reports_the_first_three_unmatched_requests_and_counts_the_rest(
    server: MockServer, client: httpx.Client
) -> None:
    for n in range(5):
        _miss(client, "GET", f"/missing/{n}")
    with pytest.raises(MockpitError) as caught:
        server.check()
    message = str(caught.value)
    assert message.startswith("5 request(s) matched no stub:")
    assert [f"  GET /missing/{n}" in message for n in range(5)] == [True, True, True, False, False]
    assert message.endswith("... and 2 more unmatched request(s)")


def test_check_after_clear_requests_forgets_the_misses(server: MockServer, client: httpx.Client) -> None:
    _miss(client, "GET", "/missing")
    server.clear_requests()
    server.check()


def test_check_reraises_a_handler_error_with_the_server_side_traceback(
    server: MockServer, client: httpx.Client
) -> None:
    def load_user(request: object) -> dict[str, str]:
        raise KeyError("user-42-not-loaded")

    server.when(get("/users/{id}"), name="user loader").respond_with(load_user)
    try:
        response = client.get("/users/42?expand=all")
        assert response.status_code == 500
        assert "user-42-not-loaded" in response.text
        _miss(client, "GET", "/unmatched-too")

        for allow_unmatched in (False, True):
            with pytest.raises(HandlerError) as caught:
                server.check(allow_unmatched=allow_unmatched)
            error = caught.value
            message = str(error)
            assert '"user loader"' in message
            assert "KeyError: 'user-42-not-loaded'" in message
            assert "while answering GET /users/42?expand=all" in message
            assert "Server-side traceback:\nTraceback (most recent call last):" in message
            assert ", in load_user\n" in message
            assert error.request.url == "/users/42?expand=all"
            assert isinstance(error.__cause__, KeyError)
    finally:
        server.reset()
    server.check()


def test_near_misses_from_python(server: MockServer, client: httpx.Client) -> None:
    stub = server.add_mapping({"name": "list users", "request": {"method": "GET", "urlPath": "/users"}})
    _miss(client, "GET", "/usres")
    (event,) = server.unmatched
    (miss,) = server.near_misses(event)
    assert miss.stub.id == stub.id
    assert [(d.field, d.expected, d.actual) for d in miss.differences] == [("urlPath", "/users", "/usres")]
    assert 0 < miss.distance < 1
