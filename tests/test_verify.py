"""server.verify(): counting requests and explaining a failed expectation."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from mockpit import MockpitError, MockServer, VerificationError, get, matches, post
from mockpit._server import PatternLike

SHARED_SERVER = True


def _send(client: httpx.Client, n: int, path: str = "/ping") -> None:
    for _ in range(n):
        client.get(path)


PASSING = [
    pytest.param(1, {}, id="default-at-least-once-with-1"),
    pytest.param(3, {}, id="default-at-least-once-with-3"),
    pytest.param(2, {"count": 2}, id="count"),
    pytest.param(0, {"count": 0}, id="count-zero"),
    pytest.param(2, {"at_least": 2}, id="at-least-exact"),
    pytest.param(3, {"at_least": 2}, id="at-least-more"),
    pytest.param(0, {"at_most": 2}, id="at-most-none"),
    pytest.param(2, {"at_most": 2}, id="at-most-exact"),
    pytest.param(2, {"at_least": 1, "at_most": 3}, id="range"),
]


@pytest.mark.parametrize(("sent", "kwargs"), PASSING)
def test_verify_passes_and_returns_the_matching_requests(
    server: MockServer, client: httpx.Client, sent: int, kwargs: dict[str, Any]
) -> None:
    server.when(get("/ping")).respond(200)
    _send(client, sent)
    client.get("/other")  # never counted

    found = server.verify(get("/ping"), **kwargs)

    assert [e.request.url for e in found] == ["/ping"] * sent


FAILING = [
    pytest.param(0, {}, "at least 1", id="default-with-none"),
    pytest.param(1, {"count": 2}, "exactly 2", id="count-too-few"),
    pytest.param(3, {"count": 2}, "exactly 2", id="count-too-many"),
    pytest.param(1, {"count": 0}, "exactly 0", id="count-zero"),
    pytest.param(1, {"at_least": 2}, "at least 2", id="at-least"),
    pytest.param(3, {"at_most": 2}, "at most 2", id="at-most"),
    pytest.param(4, {"at_least": 1, "at_most": 3}, "at least 1 and at most 3", id="range"),
]


@pytest.mark.parametrize(("sent", "kwargs", "expectation"), FAILING)
def test_a_failed_verify_names_the_expectation_the_count_and_the_requests(
    server: MockServer, client: httpx.Client, sent: int, kwargs: dict[str, Any], expectation: str
) -> None:
    server.when(get("/ping")).respond(200)
    _send(client, sent)
    client.post("/elsewhere")

    with pytest.raises(VerificationError) as caught:
        server.verify(get("/ping"), **kwargs)

    message = str(caught.value)
    assert isinstance(caught.value, AssertionError)
    assert isinstance(caught.value, MockpitError)
    assert message.startswith(f"expected {expectation} request(s) matching ")
    assert '"urlPath": "/ping"' in message
    assert f"but {sent} matched." in message
    assert f"Requests received ({sent + 1}):" in message
    assert message.count("GET /ping -> 200") == sent
    assert "POST /elsewhere -> 404 (no stub)" in message


def test_a_failed_verify_is_an_assertion_error_for_pytest(server: MockServer) -> None:
    with pytest.raises(AssertionError, match="at least 1"):
        server.verify(get("/never"))


def test_a_failed_verify_with_no_requests_says_so(server: MockServer) -> None:
    with pytest.raises(VerificationError) as caught:
        server.verify(post("/orders"))
    assert "but 0 matched" in str(caught.value)
    assert "The server received no requests at all." in str(caught.value)


# The closest request that did not match, and what differed: (request sent, pattern, expected line).
DIFFERENCES = [
    pytest.param(
        ("GET", "/orders", {}),
        get("/orders").header("X-Trace", matches(".+")),
        "header X-Trace: expected matches '.+', got (absent)",
        id="header-absent",
    ),
    pytest.param(
        ("GET", "/orders", {"headers": {"X-Tenant": "globex"}}),
        get("/orders").header("X-Tenant", "acme"),
        "header X-Tenant: expected equalTo 'acme', got globex",
        id="header-value",
    ),
    pytest.param(("GET", "/orders", {}), post("/orders"), "method: expected POST, got GET", id="method"),
    pytest.param(("GET", "/ordres", {}), get("/orders"), "urlPath: expected /orders, got /ordres", id="path"),
    pytest.param(
        ("GET", "/orders?page=3", {}),
        get("/orders").query("page", "2"),
        "query parameter page: expected equalTo '2', got 3",
        id="query",
    ),
    pytest.param(
        ("POST", "/orders", {"json": {"sku": "B-2"}}),
        post("/orders").json({"sku": "A-1"}),
        'body: expected equalToJson {"sku":"A-1"}, got {"sku":"B-2"}',
        id="json-body",
    ),
    pytest.param(
        ("GET", "/orders", {}),
        {"method": "GET", "urlPath": "/orders", "cookies": {"session": {"equalTo": "s1"}}},
        "cookie session: expected equalTo 's1', got (absent)",
        id="dict-cookie",
    ),
]


@pytest.mark.parametrize(("sent", "pattern", "line"), DIFFERENCES)
def test_a_failed_verify_shows_what_differed_in_the_closest_request(
    server: MockServer, client: httpx.Client, sent: tuple[str, str, dict[str, Any]], pattern: PatternLike, line: str
) -> None:
    method, url, kwargs = sent
    client.request(method, url, **kwargs)
    client.delete("/somewhere/else/entirely")  # farther away: must come after the closest

    with pytest.raises(VerificationError) as caught:
        server.verify(pattern)

    message = str(caught.value)
    closest = message.split("Closest requests that did not match:\n", 1)[1]
    first_block = re.split(r"\n  (?=\S)", closest)[0]
    assert first_block.splitlines()[0] == f"  {method} {url}"
    assert f"    {line}" in first_block.splitlines()


def test_verify_takes_a_wiremock_dict(server: MockServer, client: httpx.Client) -> None:
    client.get("/a")
    client.get("/a")
    found = server.verify({"method": "GET", "urlPath": "/a"}, count=2)
    assert len(found) == 2
    with pytest.raises(VerificationError, match="exactly 1"):
        server.verify({"method": "GET", "urlPath": "/a"}, count=1)


def test_verify_counts_only_what_is_still_in_the_journal(server: MockServer, client: httpx.Client) -> None:
    client.get("/a")
    server.verify(get("/a"), count=1)
    server.clear_requests()
    server.verify(get("/a"), count=0)
    with pytest.raises(VerificationError):
        server.verify(get("/a"))


@pytest.mark.parametrize(
    ("bounds", "message"),
    [
        pytest.param({"count": -1}, "count=", id="negative-count"),
        pytest.param({"at_least": 1.5}, "at_least=", id="fractional"),
        pytest.param({"at_most": True}, "at_most=", id="bool"),
        pytest.param({"count": 1, "at_least": 1}, "not both", id="count-and-range"),
        pytest.param({"at_least": 3, "at_most": 2}, "never hold", id="empty-range"),
    ],
)
def test_verify_refuses_bounds_that_make_no_sense(server: MockServer, bounds: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        server.verify(get("/any"), **bounds)
