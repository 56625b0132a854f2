"""The near-miss report a request that matched no stub gets, and server.check()."""

from __future__ import annotations

import base64
import itertools
import json
import re
import time
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from mockpit import HandlerError, MockpitError, MockServer, Request, RequestPattern, get, post, stub_to_mapping
from mockpit._admin.shapes import near_miss_to_json, request_to_json
from mockpit._mapping.write import pattern_to_mapping
from mockpit._matching.report import report_markup
from mockpit._model import UrlMatch, ValuePattern
from mockpit._server import internals

SHARED_SERVER = True
HEADER = "mockpit: no stub matched this request"


@dataclass
class Row:
    field: str
    expected: str
    actual: str
    differs: bool


@dataclass
class Ranked:
    rank: int
    label: str
    distance: float
    #: every row of the stub's table, in the order printed
    rows: list[Row]

    @property
    def differences(self) -> list[tuple[str, str, str]]:
        """(field, expected, actual) of the rows marked as differing."""
        return [(r.field, r.expected, r.actual) for r in self.rows if r.differs]


TABLE_HEAD = re.compile(r" {5}field +\| expected \(stub\) +\| actual \(request\)")
TABLE_RULE = re.compile(r" {5}-+-\+-+-\+-+")
TABLE_ROW = re.compile(r"(   ! | {5})(.*?) \| (.*?) \|(?: (.*))?")


def parse_report(report: str) -> list[Ranked]:
    """The "Closest stubs" part of a near-miss report, parsed back into its tables."""
    lines = report.splitlines()
    assert lines[0] == HEADER
    start = lines.index("Closest stubs:")
    ranked: list[Ranked] = []
    head = 0  # table head lines still expected
    for line in lines[start + 1 :]:
        if not line:
            assert not head, f"a table without its head in\n{report}"
            continue
        heading = re.fullmatch(r"(\d+)\. (.+)  distance (\d+\.\d\d)", line)
        if heading:
            ranked.append(Ranked(int(heading[1]), heading[2], float(heading[3]), []))
            head = 2
            continue
        if head:
            assert (TABLE_HEAD if head == 2 else TABLE_RULE).fullmatch(line), f"bad table head {line!r}"
            head -= 1
            continue
        row = TABLE_ROW.fullmatch(line)
        assert row, f"unexpected line {line!r} in\n{report}"
        differs, field, expected, actual = row[1] == "   ! ", row[2].strip(), row[3].strip(), (row[4] or "")
        if not field:  # a wrapped cell goes on on the next line, with the same mark
            previous = ranked[-1].rows[-1]
            assert previous.differs == differs, f"a continuation line marked otherwise: {line!r}"
            previous.expected += expected
            previous.actual += actual
            continue
        ranked[-1].rows.append(Row(field, expected, actual, differs))
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


# --- WireMock's JSON shape -----------------------------------------------------------------------


def test_near_miss_to_json_has_wiremocks_shape(server: MockServer, client: httpx.Client) -> None:
    stub = server.add_mapping(
        {"name": "list users", "request": {"method": "GET", "urlPath": "/users"}, "response": {"status": 200}}
    )
    server.add_mapping({"request": {"method": "DELETE", "urlPath": "/far/away"}})
    _miss(client, "GET", "/usres?page=2", headers={"X-Trace": "t1"})
    (event,) = server.unmatched

    misses = internals(server).engine.near_misses(event.request)
    near = [near_miss_to_json(miss) for miss in misses]

    assert json.loads(json.dumps(near)) == near  # plain JSON values only
    closest = near[0]
    assert set(closest) == {"request", "stubMapping", "matchResult"}
    assert closest["stubMapping"] == stub_to_mapping(stub)
    assert set(closest["matchResult"]) == {"distance"}
    assert 0 < closest["matchResult"]["distance"] < near[1]["matchResult"]["distance"] <= 1
    logged = closest["request"]
    assert (logged["method"], logged["url"]) == ("GET", "/usres?page=2")
    assert logged["absoluteUrl"] == f"{server.url}/usres?page=2"
    assert logged["headers"]["X-Trace"] == "t1"  # lower-cased by uvicorn, logged in the usual spelling
    assert logged["queryParams"] == {"page": {"key": "page", "values": ["2"]}}
    assert (logged["body"], logged["bodyAsBase64"]) == ("", "")
    assert logged["loggedDate"] == int(event.request.timestamp * 1000)
    # the same logged request the admin API lists
    (listed,) = client.get("/__admin/requests").json()["requests"]
    assert logged == listed["request"]


def test_request_to_json_keeps_the_body_and_repeated_headers() -> None:
    request = Request(
        "POST", "/up", "a=1&a=2", [("Host", "h:1"), ("X-V", "1"), ("X-V", "2")], b"\xff\x00data", client=("10.0.0.9", 5)
    )
    logged = request_to_json(request)
    assert logged["headers"] == {"Host": "h:1", "X-V": ["1", "2"]}
    assert logged["queryParams"] == {"a": {"key": "a", "values": ["1", "2"]}}
    assert base64.b64decode(logged["bodyAsBase64"]) == b"\xff\x00data"
    assert logged["clientIp"] == "10.0.0.9"
    assert logged["absoluteUrl"] == "http://h:1/up?a=1&a=2"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", logged["loggedDateString"])


def test_near_misses_for_a_pattern_are_the_closest_journaled_requests(server: MockServer, client: httpx.Client) -> None:
    server.when(get("/orders/{id}")).respond(200)
    client.get("/orders/1")
    client.post("/orders", json={"sku": "A"})
    client.post("/orders", json={"sku": "B"})
    client.get("/zzzzzz/qqqqqq")
    pattern = RequestPattern(
        "POST", UrlMatch("urlPath", "/orders"), body_patterns=(ValuePattern("equalToJson", {"sku": "B"}),)
    )

    misses = internals(server).engine.near_misses_for_pattern(pattern, limit=3)

    assert [(m.request.method, m.request.url, m.request.text) for m in misses] == [
        ("POST", "/orders", '{"sku":"B"}'),
        ("POST", "/orders", '{"sku":"A"}'),
        ("GET", "/orders/1", ""),
    ]
    exact, body_differs, farther = misses
    assert (exact.distance, exact.differences) == (0.0, ())
    assert 0 < body_differs.distance < farther.distance
    assert [d.field for d in body_differs.differences] == ["body"]
    assert all(m.stub is None and m.pattern == pattern for m in misses)
    as_json = near_miss_to_json(body_differs)
    assert set(as_json) == {"request", "requestPattern", "matchResult"}
    assert as_json["requestPattern"] == pattern_to_mapping(pattern)
    assert as_json["request"]["body"] == '{"sku":"A"}'
    assert internals(server).engine.near_misses_for_pattern(pattern, limit=1) == [exact]


def test_near_misses_for_a_pattern_with_an_empty_journal() -> None:
    assert internals(MockServer()).engine.near_misses_for_pattern(RequestPattern("GET")) == []


# --- the side-by-side diff -----------------------------------------------------------------------


def test_every_field_of_the_stub_gets_a_row_and_only_the_differing_ones_are_marked(
    server: MockServer, client: httpx.Client
) -> None:
    server.add_mapping(
        {
            "name": "update order",
            "request": {
                "method": "PUT",
                "urlPathTemplate": "/shops/{shop}/orders/{id}",
                "pathParameters": {"shop": {"equalTo": "s1"}, "id": {"matches": "[0-9]+"}},
                "queryParameters": {"dry": {"equalTo": "true"}},
                "headers": {"X-Tenant": {"equalTo": "acme"}, "Accept": {"contains": "json"}},
                "cookies": {"session": {"matches": ".+"}},
                "basicAuthCredentials": {"username": "ada", "password": "pw"},
                "bodyPatterns": [{"matchesJsonPath": "$.items"}, {"contains": "express"}],
            },
        }
    )
    report = _miss(
        client,
        "PUT",
        "/shops/s1/orders/x7?dry=true",
        headers={"X-Tenant": "globex", "Accept": "application/json", "Cookie": "session=abc"},
        auth=("ada", "pw"),
        json={"items": [1]},
    )

    (closest,) = parse_report(report)
    assert [(r.field, r.expected, r.actual, r.differs) for r in closest.rows] == [
        ("method", "PUT", "PUT", False),
        ("urlPathTemplate", "/shops/{shop}/orders/{id}", "/shops/s1/orders/x7", False),
        ("path parameter shop", "equalTo 's1'", "s1", False),
        ("path parameter id", "matches '[0-9]+'", "x7", True),
        ("query parameter dry", "equalTo 'true'", "true", False),
        ("header X-Tenant", "equalTo 'acme'", "globex", True),
        ("header Accept", "contains 'json'", "application/json", False),
        ("cookie session", "matches '.+'", "abc", False),
        ("body", "matchesJsonPath '$.items'", '{"items":[1]}', False),
        ("body", "contains 'express'", '{"items":[1]}', True),
        ("basic auth", "user 'ada' with the stub's password", "user 'ada' (password not shown)", False),
    ]


def test_the_table_has_a_head_and_columns_fitted_to_the_content(server: MockServer, client: httpx.Client) -> None:
    server.add_mapping({"request": {"method": "POST", "urlPath": "/users", "headers": {"X-Key": {"equalTo": "k"}}}})
    report = _miss(client, "POST", "/users")
    lines = report.splitlines()
    table = lines[lines.index("Closest stubs:") + 3 :]
    # field: 12 wide ("header X-Key"); expected: 15 ("expected (stub)"); actual: 16 ("actual (request)")
    assert table == [
        "     field        | expected (stub) | actual (request)",
        "     -------------+-----------------+-----------------",
        "     method       | POST            | POST",
        "     urlPath      | /users          | /users",
        "   ! header X-Key | equalTo 'k'     | (absent)",
    ]


def test_long_values_are_wrapped_within_their_column_and_cut(server: MockServer, client: httpx.Client) -> None:
    wanted = {"items": [{"sku": f"SKU-{i:03}", "qty": i} for i in range(40)]}
    server.add_mapping(
        {
            "request": {
                "method": "POST",
                "urlPath": "/orders",
                "headers": {"X-A-Rather-Long-Header-Name-Indeed": {"equalTo": "v"}},
                "bodyPatterns": [{"equalToJson": wanted}],
            }
        }
    )
    sent = json.dumps({"items": [{"sku": f"SKU-{i:03}", "qty": i + 1} for i in range(40)]})
    report = _miss(client, "POST", "/orders", content=sent, headers={"X-A-Rather-Long-Header-Name-Indeed": "w" * 50})

    lines = report.splitlines()
    table = lines[lines.index("Closest stubs:") + 3 :]
    widths = {len(line) for line in table}
    assert max(widths) <= 5 + 22 + 3 + 36 + 3 + 36
    bars = {(line.index(" | "), line.index(" | ", line.index(" | ") + 1)) for line in table[:1] + table[2:]}
    assert len(bars) == 1, "the column separators are not aligned"
    start = next(i for i, line in enumerate(table) if line.startswith("   ! body "))
    body_lines = [table[start]]
    body_lines += itertools.takewhile(lambda line: not line[5:].split(" | ")[0].strip(), table[start + 1 :])
    assert len(body_lines) == 6  # cut at six lines ...
    assert body_lines[-1].split(" | ")[1].rstrip().endswith("...")
    assert all(line.startswith("   ! ") for line in body_lines)  # ... every one of them marked
    header_rows = [line for line in table if "header" in line]
    assert header_rows[0].startswith("   ! header X-A-Rather-")  # a long field wraps in its column too
    assert "w" * 36 in report
    assert "w" * 37 not in report  # the 50 w's are wrapped at the column's width


def test_the_plain_report_has_no_colour_codes_and_the_markup_colours_the_differing_rows(
    server: MockServer, client: httpx.Client
) -> None:
    from rich.console import Console
    from rich.text import Text

    server.add_mapping({"request": {"method": "GET", "urlPath": "/users/[1]", "headers": {"X-K": {"equalTo": "[k]"}}}})
    report = _miss(client, "GET", "/users/[1]")
    assert "\x1b" not in report

    markup = report_markup(report)

    text = Text.from_markup(markup)
    assert text.plain == report  # brackets in values are escaped, nothing lost
    red = {text.plain[span.start : span.end] for span in text.spans if "red" in str(span.style)}
    assert red == {"   ! header X-K | equalTo '[k]'   | (absent)"}
    console = Console(record=True, force_terminal=True, color_system="standard", width=200, highlight=False)
    console.print(markup, end="")
    assert "\x1b[" in console.export_text(styles=True, clear=False)
    assert console.export_text() == report


def test_a_stub_in_another_scenario_state_says_so(server: MockServer, client: httpx.Client) -> None:
    server.add_mapping(
        {
            "name": "second step",
            "scenarioName": "checkout",
            "requiredScenarioState": "Paid",
            "request": {"method": "GET", "urlPath": "/receipt"},
        }
    )
    server.add_mapping(
        {"scenarioName": "checkout", "newScenarioState": "Paid", "request": {"method": "POST", "urlPath": "/pay"}}
    )

    (closest, _) = parse_report(_miss(client, "GET", "/receipt"))

    assert closest.label.startswith('"second step"')
    assert [(r.field, r.expected, r.actual, r.differs) for r in closest.rows] == [
        ("method", "GET", "GET", False),
        ("urlPath", "/receipt", "/receipt", False),
        ("scenario state", "Paid (scenario 'checkout')", "Started", True),
    ]
    assert 0 < closest.distance < 0.5
    (event,) = server.unmatched
    miss = server.near_misses(event)[0]
    assert [(d.field, d.actual) for d in miss.differences] == [("scenario state", "Started")]
    assert near_miss_to_json(miss)["stubMapping"]["requiredScenarioState"] == "Paid"
