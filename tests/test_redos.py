"""Hostile regexes cannot stall the server: each evaluation of a user pattern has a time budget, past
which it counts as no match (the near-miss report says so), and every other client is answered meanwhile.

``(a+)+$`` on forty ``a`` and a ``!`` is the issue's reproduction (it froze the server for good);
``(a|aa)+$`` is one that the regex engine cannot shortcut, so that the budget itself is exercised.
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator

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
