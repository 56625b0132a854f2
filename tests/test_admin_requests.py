"""The admin API's request journal and near-miss endpoints, over a real socket in WireMock's JSON shapes."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from mockpit import MockServer

SHARED_SERVER = True
ADMIN = "/__admin"


def _stub(path: str, body: str = "ok", method: str = "GET", **extra: Any) -> dict[str, Any]:
    return {"request": {"method": method, "urlPath": path}, "response": {"body": body}, **extra}


def _create(client: httpx.Client, mapping: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"{ADMIN}/mappings", json=mapping)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _journal(client: httpx.Client, query: str = "") -> dict[str, Any]:
    response = client.get(f"{ADMIN}/requests{query}")
    assert response.status_code == 200, response.text
    journal: dict[str, Any] = response.json()
    return journal


def _urls(events: list[dict[str, Any]]) -> list[str]:
    return [e["request"]["url"] if "request" in e else e["url"] for e in events]


def _error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    (error,) = response.json()["errors"]
    assert isinstance(error, dict)
    return error


# --- listing -------------------------------------------------------------------------------------


def test_limit_keeps_the_newest_and_total_counts_all(client: httpx.Client) -> None:
    for i in range(4):
        client.get(f"/r/{i}")
    journal = _journal(client, "?limit=2")
    assert _urls(journal["requests"]) == ["/r/3", "/r/2"]
    assert journal["meta"] == {"total": 4}


def test_since_keeps_the_requests_logged_after_it(client: httpx.Client) -> None:
    client.get("/before")
    (first,) = _journal(client)["requests"]
    time.sleep(0.005)  # loggedDate has millisecond precision
    client.get("/after/1")
    client.get("/after/2")

    since = first["request"]["loggedDateString"]
    assert _urls(_journal(client, f"?since={since}")["requests"]) == ["/after/2", "/after/1"]
    assert _urls(_journal(client, "?since=2000-01-01T00:00:00")["requests"]) == ["/after/2", "/after/1", "/before"]
    assert _journal(client, "?since=2999-01-01T00:00:00Z")["requests"] == []
    assert _urls(_journal(client, f"?since={since}&limit=1")["requests"]) == ["/after/2"]


def test_unmatched_and_matching_stub_filter_the_listing(client: httpx.Client) -> None:
    hit = _create(client, _stub("/hit"))
    _create(client, _stub("/other"))
    client.get("/hit")
    client.get("/miss")
    client.get("/other")
    assert _urls(_journal(client, "?unmatched=true")["requests"]) == ["/miss"]
    assert _urls(_journal(client, f"?matchingStub={hit['id']}")["requests"]) == ["/hit"]


@pytest.mark.parametrize(
    ("query", "parameter"), [("?limit=ten", "limit"), ("?limit=-2", "limit"), ("?since=yesterday", "since")]
)
def test_a_bad_query_parameter_is_a_400_naming_it(client: httpx.Client, query: str, parameter: str) -> None:
    error = _error(client.get(f"{ADMIN}/requests{query}"), 400)
    assert error["source"] == {"parameter": parameter}
    assert parameter in error["detail"]


# --- one request by id ---------------------------------------------------------------------------


def test_get_and_delete_one_request_by_id(client: httpx.Client) -> None:
    client.get("/one")
    client.get("/two")
    two, one = _journal(client)["requests"]

    fetched = client.get(f"{ADMIN}/requests/{one['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == one

    assert client.delete(f"{ADMIN}/requests/{one['id']}").status_code == 200
    assert [e["id"] for e in _journal(client)["requests"]] == [two["id"]]
    for method in ("GET", "DELETE"):
        error = _error(client.request(method, f"{ADMIN}/requests/{one['id']}"), 404)
        assert one["id"] in error["detail"]


def test_deleting_an_unmatched_request_takes_it_out_of_the_unmatched_too(client: httpx.Client) -> None:
    client.get("/lost")
    (event,) = _journal(client)["requests"]
    client.delete(f"{ADMIN}/requests/{event['id']}")
    assert client.get(f"{ADMIN}/requests/unmatched").json()["requests"] == []


# --- by request pattern --------------------------------------------------------------------------


def _traffic(client: httpx.Client) -> None:
    client.post("/orders", json={"sku": "A"})
    client.get("/orders/1")
    client.post("/orders", json={"sku": "B"})
    client.get("/users/1")


def test_count_find_and_remove_by_request_pattern(client: httpx.Client) -> None:
    _traffic(client)
    pattern = {"method": "POST", "urlPath": "/orders"}

    count = client.post(f"{ADMIN}/requests/count", json=pattern)
    assert count.json() == {"count": 2, "requestJournalDisabled": False}

    found = client.post(f"{ADMIN}/requests/find", json={"urlPathPattern": "/orders.*"}).json()
    assert _urls(found["requests"]) == ["/orders", "/orders/1", "/orders"]  # oldest first
    assert found["requests"][0]["body"] == '{"sku":"A"}'

    removed = client.post(f"{ADMIN}/requests/remove", json=pattern).json()
    assert [e["request"]["body"] for e in removed["serveEvents"]] == ['{"sku":"A"}', '{"sku":"B"}']
    assert _urls(_journal(client)["requests"]) == ["/users/1", "/orders/1"]
    assert client.post(f"{ADMIN}/requests/count", json=pattern).json()["count"] == 0


@pytest.mark.parametrize("endpoint", ["count", "find", "remove"])
@pytest.mark.parametrize(
    ("pattern", "pointer"),
    [
        ({"method": 5}, "/method"),
        ({"urlPattern": "(["}, "/urlPattern"),
        ({"headers": {"Accept": {"equalTo": "a", "contains": "b"}}}, "/headers/Accept"),
        ({"urlPathh": "/x"}, "/urlPathh"),
    ],
)
def test_a_bad_request_pattern_is_a_400_naming_the_field_and_removes_nothing(
    client: httpx.Client, endpoint: str, pattern: dict[str, Any], pointer: str
) -> None:
    _traffic(client)
    error = _error(client.post(f"{ADMIN}/requests/{endpoint}", json=pattern), 400)
    assert error["title"] == "Invalid request pattern"
    assert error["source"]["pointer"] == pointer
    assert _journal(client)["meta"]["total"] == 4


def test_remove_by_metadata_removes_the_requests_of_matching_stubs(client: httpx.Client) -> None:
    _create(client, _stub("/tagged", metadata={"suite": "smoke"}))
    _create(client, _stub("/plain"))
    client.get("/tagged")
    client.get("/plain")
    client.get("/nothing")
    removed = client.post(f"{ADMIN}/requests/remove-by-metadata", json={"matchesJsonPath": "$[?(@.suite == 'smoke')]"})
    assert _urls(removed.json()["serveEvents"]) == ["/tagged"]
    assert _urls(_journal(client)["requests"]) == ["/nothing", "/plain"]


def test_the_deprecated_reset_empties_the_journal(client: httpx.Client) -> None:
    client.get("/x")
    assert client.post(f"{ADMIN}/requests/reset").status_code == 200
    assert _journal(client)["meta"]["total"] == 0


# --- unmatched and near misses -------------------------------------------------------------------


def test_unmatched_lists_the_requests_no_stub_matched(client: httpx.Client) -> None:
    _create(client, _stub("/known"))
    client.get("/known")
    client.get("/unknown/1")
    client.post("/unknown/2", content=b"body")
    unmatched = client.get(f"{ADMIN}/requests/unmatched").json()
    assert _urls(unmatched["requests"]) == ["/unknown/1", "/unknown/2"]
    assert unmatched["requests"][1]["method"] == "POST"
    assert unmatched["requests"][1]["body"] == "body"
    assert unmatched["requestJournalDisabled"] is False


def test_unmatched_near_misses_pair_each_unmatched_request_with_the_closest_stubs(client: httpx.Client) -> None:
    users = _create(client, _stub("/users/1", method="GET"))
    _create(client, _stub("/totally/different/place", method="DELETE"))
    client.get("/users/2")

    near = client.get(f"{ADMIN}/requests/unmatched/near-misses").json()["nearMisses"]

    assert near, "an unmatched request must have near misses"
    closest = near[0]
    assert closest["request"]["url"] == "/users/2"
    assert closest["stubMapping"]["id"] == users["id"]
    assert 0 < closest["matchResult"]["distance"] < 1
    distances = [n["matchResult"]["distance"] for n in near]
    assert distances == sorted(distances)


def test_near_misses_for_a_logged_request(client: httpx.Client) -> None:
    users = _create(client, _stub("/users/1", method="POST"))
    _create(client, _stub("/elsewhere/entirely", method="DELETE"))
    logged = {
        "url": "/users/1?x=1",
        "absoluteUrl": "http://localhost/users/1?x=1",
        "method": "GET",
        "headers": {"Accept": "application/json"},
        "body": "",
        "loggedDate": 1700000000000,
        "browserProxyRequest": False,
    }
    response = client.post(f"{ADMIN}/near-misses/request", json=logged)
    assert response.status_code == 200, response.text
    near = response.json()["nearMisses"]
    assert near[0]["stubMapping"]["id"] == users["id"]
    assert near[0]["request"]["url"] == "/users/1?x=1"
    assert near[0]["request"]["method"] == "GET"
    assert 0 < near[0]["matchResult"]["distance"] < 1
    # nothing was journaled: the request was only compared
    assert _journal(client)["meta"]["total"] == 0


@pytest.mark.parametrize(
    ("logged", "pointer"),
    [
        ({"method": "GET"}, "/url"),
        ({"url": "users", "method": "GET"}, "/url"),
        ({"url": "/", "method": "G T"}, "/method"),
        ({"url": "/", "method": "GET", "bodyAsBase64": "***"}, "/bodyAsBase64"),
        ({"url": "/", "method": "GET", "headers": {"Accept": 5}}, "/headers/Accept"),
    ],
)
def test_a_bad_logged_request_is_a_400_naming_the_field(
    client: httpx.Client, logged: dict[str, Any], pointer: str
) -> None:
    error = _error(client.post(f"{ADMIN}/near-misses/request", json=logged), 400)
    assert error["title"] == "Invalid logged request"
    assert error["source"]["pointer"] == pointer


def test_near_misses_for_a_request_pattern_are_the_closest_journaled_requests(client: httpx.Client) -> None:
    client.get("/users/2")
    client.post("/orders", json={"sku": "A"})
    response = client.post(f"{ADMIN}/near-misses/request-pattern", json={"method": "GET", "url": "/users/1"})
    assert response.status_code == 200, response.text
    near = response.json()["nearMisses"]
    assert near[0]["request"]["url"] == "/users/2"
    assert near[0]["requestPattern"]["url"] == "/users/1"
    assert near[0]["matchResult"]["distance"] < near[-1]["matchResult"]["distance"]

    error = _error(client.post(f"{ADMIN}/near-misses/request-pattern", json={"method": 1}), 400)
    assert error["source"]["pointer"] == "/method"


def test_a_disabled_journal_says_so_in_count_and_find() -> None:
    with MockServer(journal_size=0) as server, httpx.Client(base_url=server.url) as http:
        http.get("/x")
        assert http.post(f"{ADMIN}/requests/count", json={}).json() == {"count": 0, "requestJournalDisabled": True}
        assert http.post(f"{ADMIN}/requests/find", json={}).json()["requestJournalDisabled"] is True


def test_serve_events_carry_what_wiremocks_java_client_reads(client: httpx.Client) -> None:
    """An unmatched event's ``responseDefinition`` (the Java client derives ``wasMatched`` from it),
    ``timing``, ``subEvents``, and the logged request's form, protocol, scheme, host and port."""
    client.post("/__admin/requests/reset")
    client.post("/nothing?q=1", data={"a": "1", "b": "2"})
    (event,) = client.get("/__admin/requests").json()["requests"]
    assert event["responseDefinition"] == {"status": 404, "fromConfiguredStub": False}
    assert event["timing"]["totalTime"] == 0
    assert event["subEvents"] == []
    logged = event["request"]
    port = int(str(client.base_url).rpartition(":")[2])
    assert logged["formParams"] == {"a": {"key": "a", "values": ["1"]}, "b": {"key": "b", "values": ["2"]}}
    assert (logged["protocol"], logged["scheme"], logged["host"], logged["port"]) == (
        "HTTP/1.1",
        "http",
        "127.0.0.1",
        port,
    )
