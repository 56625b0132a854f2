"""Hostile regexes cannot stall the server: each evaluation of a user pattern has a time budget, past
which it counts as no match (the near-miss report says so), and every other client is answered meanwhile.

``(a+)+$`` on forty ``a`` and a ``!`` is the issue's reproduction (it froze the server for good);
``(a|aa)+$`` is one that the regex engine cannot shortcut, so that the budget itself is exercised.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from _processes import started
from mockpit import MockServer, get
from mockpit._matching import user_regex

HOSTILE = "a" * 60 + "!"
SLOW = "(a|aa)+$"


def plain(report: str) -> str:
    """A near-miss report with its table's borders and line breaks taken out, to search its sentences."""
    return " ".join(report.replace("|", " ").replace(" ! ", " ").split())


@pytest.fixture
def server() -> Iterator[MockServer]:
    with MockServer() as mock:
        mock.when(get("/hello")).respond(body="hi")
        yield mock


def while_hostile(hostile: Callable[[], httpx.Response], server: MockServer) -> tuple[httpx.Response, list[float]]:
    """Run ``hostile`` in a thread and time other clients' requests meanwhile."""
    answered: list[httpx.Response] = []
    worker = threading.Thread(target=lambda: answered.append(hostile()))
    worker.start()
    others = []
    while worker.is_alive() and len(others) < 50:
        started = time.monotonic()
        assert httpx.get(server.url_for("/hello"), timeout=10).text == "hi"
        others.append(time.monotonic() - started)
    worker.join(30)
    assert answered, "the hostile request was never answered"
    return answered[0], others


def test_the_issues_reproduction_is_answered(server: MockServer) -> None:
    server.add_mapping({"request": {"method": "POST", "url": "/x", "bodyPatterns": [{"matches": "(a+)+$"}]}})
    started = time.monotonic()
    response = httpx.post(server.url_for("/x"), content="a" * 40 + "!", timeout=30)
    assert response.status_code == 404
    assert time.monotonic() - started < 5
    assert httpx.post(server.url_for("/x"), content="aaaa", timeout=5).status_code == 200


def test_a_body_pattern_past_its_budget_is_no_match_and_says_so(server: MockServer) -> None:
    server.add_mapping({"request": {"method": "POST", "url": "/x", "bodyPatterns": [{"matches": SLOW}]}})
    response, others = while_hostile(lambda: httpx.post(server.url_for("/x"), content=HOSTILE, timeout=30), server)
    assert response.status_code == 404
    assert "ran past its time budget of 50 ms" in plain(response.text)
    assert max(others) < 5  # everyone else was answered while it ran
    # the journal keeps the same report, and an ordinary body still matches
    assert "ran past its time budget" in plain(server.unmatched[-1].near_miss_report or "")
    assert httpx.post(server.url_for("/x"), content="aaaa").status_code == 200


def test_doesnotmatch_past_its_budget_is_no_match_either(server: MockServer) -> None:
    server.add_mapping(
        {"request": {"method": "POST", "url": "/x", "bodyPatterns": [{"doesNotMatch": SLOW}]}, "response": {}}
    )
    assert httpx.post(server.url_for("/x"), content=HOSTILE, timeout=30).status_code == 404
    assert httpx.post(server.url_for("/x"), content="b").status_code == 200


def test_a_url_pattern_past_its_budget(server: MockServer) -> None:
    server.add_mapping({"request": {"urlPathPattern": "/(a|aa)+$"}})
    response, others = while_hostile(lambda: httpx.get(server.url_for("/" + HOSTILE), timeout=30), server)
    assert response.status_code == 404
    assert "ran past its time budget" in plain(response.text)
    assert max(others) < 5


def test_a_header_pattern_past_its_budget(server: MockServer) -> None:
    server.add_mapping({"request": {"urlPath": "/h", "headers": {"X-Token": {"matches": SLOW}}}})
    response = httpx.get(server.url_for("/h"), headers={"X-Token": HOSTILE}, timeout=30)
    assert response.status_code == 404
    assert "ran past its time budget" in plain(response.text)


def test_near_miss_scoring_of_another_url_stays_bounded(server: MockServer) -> None:
    # the body goes to a URL no stub has: scoring the near misses runs every stub's patterns on it
    for n in range(5):
        server.add_mapping({"request": {"method": "POST", "url": f"/x{n}", "bodyPatterns": [{"matches": SLOW}]}})
    started = time.monotonic()
    response, others = while_hostile(lambda: httpx.post(server.url_for("/elsewhere"), content=HOSTILE), server)
    assert response.status_code == 404
    assert time.monotonic() - started < 10
    assert max(others) < 5


def test_a_template_helper_past_its_budget_says_so_where_its_output_goes(server: MockServer) -> None:
    # as WireMock renders a helper that fails: "[ERROR: ...]" in the body, the rest of the template intact
    server.add_mapping(
        {
            "request": {"urlPath": "/t"},
            "response": {
                "body": "{{regexExtract request.query.q '" + SLOW + "'}}",
                "transformers": ["response-template"],
            },
        }
    )
    response = httpx.get(server.url_for("/t"), params={"q": HOSTILE}, timeout=30)
    assert response.text.startswith("[ERROR: the pattern '(a|aa)+$' ran past its time budget of 50 ms")
    assert httpx.get(server.url_for("/t"), params={"q": "aaa"}).text == "aaa"


def test_the_budget_can_be_changed() -> None:
    saved = user_regex.budget.seconds
    try:
        user_regex.set_budget(5)
        pattern = user_regex.UserRegex(SLOW)
        started = time.monotonic()
        assert not pattern.matches(HOSTILE)
        assert time.monotonic() - started < 1
        assert pattern.explain(HOSTILE) is not None
        assert "budget of 5 ms" in (pattern.explain(HOSTILE) or "")
        with pytest.raises(ValueError, match="positive number of milliseconds"):
            user_regex.set_budget(0)
    finally:
        user_regex.budget.seconds = saved


def test_the_cli_takes_a_budget() -> None:
    args = [sys.executable, "-m", "mockpit", "serve", "--port", "0", "--regex-timeout-ms", "0"]
    refused = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)
    assert refused.returncode == 2
    assert "--regex-timeout-ms" in refused.stderr
    ready = re.compile(r"on \S*(http://[\d.]+:\d+)")
    with started([*args[:-1], "5"], ready) as run:
        url = run.ready.group(1)
        stub = {"request": {"method": "POST", "url": "/x", "bodyPatterns": [{"matches": SLOW}]}, "response": {}}
        httpx.post(f"{url}/__admin/mappings", json=stub)
        assert "budget of 5 ms" in plain(httpx.post(f"{url}/x", content=HOSTILE, timeout=30).text)


@pytest.mark.parametrize(
    ("pattern", "subject"),
    [
        ("(a|aa)+$", "a" * 60 + "!"),
        ("(a+)+$", "a" * 60 + "!"),
        ("(a*)*b", "a" * 60),
        ("(x+x+)+y", "x" * 60),
        ("(\\w+\\s?)+$", "aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll!"),
        ("\\d*\\d*\\d*\\d*\\d*x", "1" * 5000),
        ("a?" * 40 + "a" * 40, "a" * 40),
        ("(.*a){20}", "a" * 60 + "!"),
        ("^(([a-z])+.)+[A-Z]([a-z])+$", "a" * 60 + "!"),
    ],
)
def test_patterns_that_backtrack_badly_are_budgeted(pattern: str, subject: str) -> None:
    # the fast path (re, no budget) is only for patterns proven linear; these must never take it
    compiled = user_regex.UserRegex(pattern)
    assert compiled._linear is None
    started = time.monotonic()
    compiled.matches(subject)
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("pattern", ["/users/\\d+", "(?i)bearer [a-z0-9]+", "\\d{3}-\\d{4}", "(GET|POST) /x", "/hel+o"])
def test_everyday_patterns_take_the_fast_path(pattern: str) -> None:
    assert user_regex.UserRegex(pattern)._linear is not None


# Regexes inside JSON Schema (matchesJsonSchema, an OpenAPI document's schemas), JSONPath filters and a
# template's {{#if (matches ...)}}: each ran with an unbounded engine until the audit of this issue
# (a 34-character value held every client for 6.4 s; JSONPath's made them time out).

# keyword: (schema, hostile body, the answer when the pattern counts as no match, the drafts that have it)
SCHEMAS = {
    "pattern": ({"type": "string", "pattern": SLOW}, f'"{HOSTILE}"', 404, ("V4", "V7", "V201909", "V202012")),
    # no match: the subschema (an integer) is not applied to the property, so the string passes
    "patternProperties": (
        {"type": "object", "patternProperties": {SLOW: {"type": "integer"}}},
        f'{{"{HOSTILE}": "x"}}',
        200,
        ("V4", "V7", "V201909", "V202012"),
    ),
    "additionalProperties": (
        {"type": "object", "patternProperties": {SLOW: {}}, "additionalProperties": False},
        f'{{"{HOSTILE}": 1}}',
        404,
        ("V4", "V7", "V201909", "V202012"),
    ),
    "unevaluatedProperties": (
        {"type": "object", "patternProperties": {SLOW: {}}, "unevaluatedProperties": False},
        f'{{"{HOSTILE}": 1}}',
        404,
        ("V201909", "V202012"),
    ),
    "propertyNames": (
        {"type": "object", "propertyNames": {"pattern": SLOW}},
        f'{{"{HOSTILE}": 1}}',
        404,
        ("V7", "V201909", "V202012"),
    ),
}


@pytest.mark.parametrize(
    ("keyword", "version"), [(keyword, version) for keyword, case in SCHEMAS.items() for version in case[3]]
)
def test_json_schema_patterns_are_budgeted(server: MockServer, keyword: str, version: str) -> None:
    schema, body, status, _ = SCHEMAS[keyword]
    matcher = {"matchesJsonSchema": schema, "schemaVersion": version}
    server.add_mapping({"request": {"method": "POST", "url": "/s", "bodyPatterns": [matcher]}})
    response, others = while_hostile(lambda: httpx.post(server.url_for("/s"), content=body, timeout=30), server)
    assert response.status_code == status
    assert max(others, default=0) < 5
    if keyword in ("pattern", "propertyNames"):
        assert "ran past its time budget of 50 ms" in plain(response.text)


def test_json_schema_patterns_still_match_what_they_should(server: MockServer) -> None:
    schema = {
        "type": "object",
        "properties": {"id": {"type": "string", "pattern": "^[a-z]+-\\d+$"}},
        "patternProperties": {"^x-(a|b)+$": {"type": "integer"}},
        "unevaluatedProperties": False,
    }
    server.add_mapping({"request": {"method": "POST", "url": "/s", "bodyPatterns": [{"matchesJsonSchema": schema}]}})
    assert httpx.post(server.url_for("/s"), json={"id": "ab-12", "x-abba": 1}).status_code == 200
    assert httpx.post(server.url_for("/s"), json={"id": "ab-12", "x-abc": 1}).status_code == 404
    assert httpx.post(server.url_for("/s"), json={"id": "ab-12", "x-ab": "one"}).status_code == 404
    assert httpx.post(server.url_for("/s"), json={"id": "AB-12"}).status_code == 404


def _openapi(version: str) -> dict[str, object]:
    hostile = {"type": "string", "pattern": SLOW}
    return {
        "openapi": version,
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/items": {
                "get": {
                    "parameters": [{"name": "q", "in": "query", "schema": hostile}],
                    "responses": {"200": {"description": "ok", "content": {"text/plain": {"example": "found"}}}},
                },
                "post": {
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"type": "object", "properties": {"name": hostile}},
                            }
                        },
                    },
                    "responses": {"201": {"description": "made", "content": {"text/plain": {"example": "made"}}}},
                },
            }
        },
    }


@pytest.mark.parametrize("version", ["3.0.3", "3.1.0"])
def test_an_openapi_documents_patterns_are_budgeted(tmp_path: Path, version: str) -> None:
    document = tmp_path / "api.json"
    document.write_text(json.dumps(_openapi(version)))
    with MockServer(openapi=document) as server:
        server.when(get("/hello")).respond(body="hi")
        for hostile in (
            lambda: httpx.get(server.url_for("/items"), params={"q": HOSTILE}, timeout=30),
            lambda: httpx.post(server.url_for("/items"), json={"name": HOSTILE}, timeout=30),
        ):
            response, others = while_hostile(hostile, server)
            assert response.status_code == 422  # the value does not match the document
            assert "ran past its time budget" in response.text
            assert max(others, default=0) < 5
        assert httpx.get(server.url_for("/items"), params={"q": "aaa"}).status_code == 200
        assert httpx.post(server.url_for("/items"), json={"name": "aaa"}).status_code == 201
        assert httpx.post(server.url_for("/items"), json={"name": "aab"}).status_code == 422


@pytest.mark.parametrize(
    "expression",
    [
        "$[?(@.v =~ /(a|aa)+$/)]",
        "$[?(@.v =~ /(A|AA)+$/i)]",
        "$[?match(@.v, '(a|aa)+$')]",
        "$[?search(@.v, '^(a|aa)+$')]",
    ],
)
def test_jsonpath_filter_patterns_are_budgeted(server: MockServer, expression: str) -> None:
    server.add_mapping({"request": {"method": "POST", "url": "/p", "bodyPatterns": [{"matchesJsonPath": expression}]}})
    hostile = lambda: httpx.post(server.url_for("/p"), json=[{"v": HOSTILE}], timeout=30)  # noqa: E731
    response, others = while_hostile(hostile, server)
    assert response.status_code == 404
    assert max(others, default=0) < 5
    assert httpx.post(server.url_for("/p"), json=[{"v": HOSTILE}, {"v": "aaa"}]).status_code == 200


@pytest.mark.parametrize(
    ("transformer", "body"),
    [
        ("response-template", "{{#if (matches request.query.q '(a|aa)+$')}}yes{{else}}no{{/if}}"),
        ("jinja", "{% if matches(request.query.q, '(a|aa)+$') %}yes{% else %}no{% endif %}"),
    ],
)
def test_matches_past_its_budget_is_false_in_a_condition(server: MockServer, transformer: str, body: str) -> None:
    server.add_mapping({"request": {"urlPath": "/t"}, "response": {"body": body, "transformers": [transformer]}})
    assert httpx.get(server.url_for("/t"), params={"q": HOSTILE}, timeout=30).text == "no"
    assert httpx.get(server.url_for("/t"), params={"q": "aaa"}).text == "yes"


def test_matches_past_its_budget_prints_why(server: MockServer) -> None:
    template = "{{matches request.query.q '(a|aa)+$'}}"
    server.add_mapping(
        {"request": {"urlPath": "/t"}, "response": {"body": template, "transformers": ["response-template"]}}
    )
    text = httpx.get(server.url_for("/t"), params={"q": HOSTILE}, timeout=30).text
    assert text.startswith("[ERROR: the pattern '(a|aa)+$' ran past its time budget")


@pytest.mark.parametrize(
    ("pattern", "fast"),
    [("^x-\\d+$", True), ("\\Ax-", True), ("x-\\d+", False), ("(?m)^x", False), ("^(a|aa)+$", False)],
)
def test_searches_anchored_at_the_start_take_the_fast_path(pattern: str, fast: bool) -> None:
    # re tries an anchored pattern at the first position only; unanchored or multi-line ones try every
    # position (quadratic at worst), so they keep the budget
    compiled = user_regex.UserRegex(pattern)
    assert (compiled._linear_search is not None) is fast
    assert (compiled.search("x-12") is None) is (pattern == "^(a|aa)+$")
