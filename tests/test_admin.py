"""The admin API under /__admin, over a real socket, in WireMock's JSON shapes."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from mockpit import MockServer, get

SHARED_SERVER = True
ADMIN = "/__admin"


def _stub(name: str, path: str, body: str, method: str = "GET", status: int = 200) -> dict[str, Any]:
    return {
        "name": name,
        "request": {"method": method, "urlPath": path},
        "response": {"status": status, "body": body},
    }


def _create(client: httpx.Client, mapping: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"{ADMIN}/mappings", json=mapping)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _mappings(client: httpx.Client) -> dict[str, Any]:
    response = client.get(f"{ADMIN}/mappings")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    listing: dict[str, Any] = response.json()
    return listing


def _journal(client: httpx.Client) -> dict[str, Any]:
    response = client.get(f"{ADMIN}/requests")
    assert response.status_code == 200
    journal: dict[str, Any] = response.json()
    return journal


def _only_error(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"] == "application/json"
    errors = response.json()["errors"]
    assert len(errors) == 1, errors
    error: dict[str, Any] = errors[0]
    return error


# --- mappings ------------------------------------------------------------------------------------


def test_a_posted_stub_is_returned_with_its_id_and_answers_real_requests(client: httpx.Client) -> None:
    before = client.get("/hello")
    assert before.status_code == 404

    created = _create(client, _stub("greeting", "/hello", "hi there", status=202))

    assert created["id"]
    assert created["name"] == "greeting"
    assert created["request"] == {"method": "GET", "urlPath": "/hello"}
    assert created["response"] == {"status": 202, "body": "hi there"}
    answer = client.get("/hello")
    assert (answer.status_code, answer.text) == (202, "hi there")
    fetched = client.get(f"{ADMIN}/mappings/{created['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == created


def test_a_posted_stub_keeps_the_id_it_was_given(client: httpx.Client) -> None:
    stub_id = "8c5db8b0-2db4-4ad7-a99f-38c9b00da3f7"
    created = _create(client, {"id": stub_id, **_stub("given id", "/given", "yes")})
    assert created["id"] == stub_id
    assert client.get(f"{ADMIN}/mappings/{stub_id}").json()["name"] == "given id"


def test_listing_gives_every_stub_newest_first_with_the_total(client: httpx.Client) -> None:
    ids = [_create(client, _stub(f"stub {i}", f"/s/{i}", str(i)))["id"] for i in range(3)]

    listing = _mappings(client)

    assert listing["meta"] == {"total": 3}
    assert [m["id"] for m in listing["mappings"]] == ids[::-1]
    assert [m["name"] for m in listing["mappings"]] == ["stub 2", "stub 1", "stub 0"]


def test_listing_includes_stubs_made_in_python(server: MockServer, client: httpx.Client) -> None:
    stub = server.when(get("/py"), name="from python").respond(json={"ok": True})
    listing = _mappings(client)
    assert listing["meta"]["total"] == 1
    (mapping,) = listing["mappings"]
    assert mapping["id"] == stub.id
    assert mapping["response"]["jsonBody"] == {"ok": True}


def test_put_replaces_the_stub_and_it_answers_differently_at_once(client: httpx.Client) -> None:
    created = _create(client, _stub("v1", "/thing", "first"))
    other = _create(client, _stub("other", "/other", "untouched"))
    assert client.get("/thing").text == "first"

    replaced = client.put(
        f"{ADMIN}/mappings/{created['id']}",
        json={"name": "v2", "request": {"method": "POST", "urlPath": "/thing"}, "response": {"status": 201}},
    )

    assert replaced.status_code == 200
    assert replaced.json()["id"] == created["id"]
    assert replaced.json()["name"] == "v2"
    assert client.post("/thing").status_code == 201
    assert client.get("/thing").status_code == 404  # the old definition is gone, not kept beside
    listing = _mappings(client)
    assert listing["meta"]["total"] == 2
    assert {m["id"]: m["name"] for m in listing["mappings"]} == {created["id"]: "v2", other["id"]: "other"}
    assert client.get("/other").text == "untouched"


def test_put_uses_the_id_in_the_path_over_one_in_the_body(client: httpx.Client) -> None:
    created = _create(client, _stub("v1", "/p", "first"))
    response = client.put(
        f"{ADMIN}/mappings/{created['id']}", json={"id": "someone-else", **_stub("v2", "/p", "second")}
    )
    assert response.json()["id"] == created["id"]
    assert [m["id"] for m in _mappings(client)["mappings"]] == [created["id"]]
    assert client.get("/p").text == "second"


def test_delete_one_mapping(client: httpx.Client) -> None:
    doomed = _create(client, _stub("doomed", "/doomed", "x"))
    kept = _create(client, _stub("kept", "/kept", "y"))

    response = client.delete(f"{ADMIN}/mappings/{doomed['id']}")

    assert response.status_code == 200
    assert client.get("/doomed").status_code == 404
    assert client.get("/kept").text == "y"
    assert [m["id"] for m in _mappings(client)["mappings"]] == [kept["id"]]
    assert client.get(f"{ADMIN}/mappings/{doomed['id']}").status_code == 404
    assert client.delete(f"{ADMIN}/mappings/{doomed['id']}").status_code == 404


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_an_unknown_mapping_id_is_a_404_in_json(client: httpx.Client, method: str) -> None:
    _create(client, _stub("existing", "/e", "e"))
    response = client.request(method, f"{ADMIN}/mappings/no-such-id", json=_stub("new", "/n", "n"))

    assert response.status_code == 404
    error = _only_error(response)
    assert error["title"] == "Not found"
    assert "no-such-id" in error["detail"]
    assert _mappings(client)["meta"]["total"] == 1  # a PUT to an unknown id does not create it
    assert client.get("/n").status_code == 404


def test_delete_all_mappings(client: httpx.Client) -> None:
    for i in range(4):
        _create(client, _stub(f"s{i}", f"/all/{i}", "x"))

    response = client.delete(f"{ADMIN}/mappings")

    assert response.status_code == 200
    assert _mappings(client) == {"mappings": [], "meta": {"total": 0}}
    assert [client.get(f"/all/{i}").status_code for i in range(4)] == [404] * 4


# --- invalid payloads ----------------------------------------------------------------------------

INVALID_STUBS = [
    pytest.param({"request": {"method": 5}}, "/request/method", "valid string", id="method-not-a-string"),
    pytest.param({"request": {"method": "G T"}}, "/request/method", "not an HTTP method", id="method-with-space"),
    pytest.param({"response": {"status": 999}}, "/response/status", "599", id="status-too-high"),
    pytest.param({"response": {"status": "ok"}}, "/response/status", "integer", id="status-not-a-number"),
    pytest.param(
        {"request": {"urlPattern": "(["}}, "/request/urlPattern", "invalid regular expression", id="bad-regex"
    ),
    pytest.param({"request": {"url": "users"}}, "/request", "must start with '/'", id="url-without-slash"),
    pytest.param({"request": {"url": "/a", "urlPath": "/a"}}, "/request", "give at most one of", id="two-url-fields"),
    pytest.param(
        {"request": {"headers": {"Accept": {"equalTo": "a", "contains": "b"}}}},
        "/request/headers/Accept",
        "exactly one",
        id="two-header-operators",
    ),
    pytest.param(
        {"request": {"bodyPatterns": [{"contains": "x"}, {"equalToJson": "{"}]}},
        "/request/bodyPatterns/1/equalToJson",
        "not valid JSON",
        id="second-body-pattern",
    ),
    pytest.param({"response": {"base64Body": "***"}}, "/response/base64Body", "base64", id="bad-base64"),
    pytest.param({"response": {"body": "a", "jsonBody": {}}}, "/response", "at most one", id="two-bodies"),
    pytest.param({"priority": 0}, "/priority", "greater than or equal to 1", id="priority-zero"),
    pytest.param({"requst": {}}, "/requst", "unknown field", id="misspelt-field"),
    pytest.param([{"request": {}}], "/", "JSON object", id="not-an-object"),
]


@pytest.mark.parametrize(("payload", "pointer", "detail"), INVALID_STUBS)
def test_an_invalid_stub_is_a_400_naming_the_field_and_changes_nothing(
    client: httpx.Client, payload: Any, pointer: str, detail: str
) -> None:
    existing = _create(client, _stub("existing", "/existing", "original"))
    before = _mappings(client)

    for response in (
        client.post(f"{ADMIN}/mappings", json=payload),
        client.put(f"{ADMIN}/mappings/{existing['id']}", json=payload),
    ):
        assert response.status_code == 400, response.text
        error = _only_error(response)
        assert error["title"] == "Invalid stub mapping"
        assert error["source"]["pointer"] == pointer
        assert detail in error["detail"]

    assert _mappings(client) == before
    assert client.get("/existing").text == "original"


NOT_SUPPORTED = [
    pytest.param(
        {"request": {"headers": {"X-Date": {"after": "2021-05-01T00:00:00Z"}}}},
        "/request/headers/X-Date/after",
        "after",
        id="date-matcher",
    ),
]


@pytest.mark.parametrize(("extra", "pointer", "field"), NOT_SUPPORTED)
def test_a_wiremock_field_mockpit_lacks_is_refused_by_name(
    client: httpx.Client, extra: dict[str, Any], pointer: str, field: str
) -> None:
    mapping = _stub("wants more", "/more", "x")
    for key, value in extra.items():
        mapping[key] = {**mapping[key], **value} if isinstance(value, dict) else value

    response = client.post(f"{ADMIN}/mappings", json=mapping)

    assert response.status_code == 400
    error = _only_error(response)
    assert error["source"]["pointer"] == pointer
    assert field in error["detail"]
    assert "not supported" in error["detail"]
    assert _mappings(client)["meta"]["total"] == 0
    assert client.get("/more").status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"{nope", id="broken"),
        pytest.param(b"", id="empty"),
        pytest.param(b"\xff\xfe\x00", id="not-utf8"),
        pytest.param(b'{"response": {"jsonBody": {"x": NaN}}}', id="NaN"),
        pytest.param(b'{"response": {"jsonBody": [Infinity]}}', id="Infinity"),
    ],
)
def test_a_body_that_is_not_json_is_a_400_and_changes_nothing(client: httpx.Client, body: bytes) -> None:
    existing = _create(client, _stub("existing", "/existing", "original"))
    before = _mappings(client)
    headers = {"Content-Type": "application/json"}

    for response in (
        client.post(f"{ADMIN}/mappings", content=body, headers=headers),
        client.put(f"{ADMIN}/mappings/{existing['id']}", content=body, headers=headers),
    ):
        assert response.status_code == 400
        error = _only_error(response)
        assert error["title"] == "Error parsing JSON"
        assert "not valid JSON" in error["detail"]

    assert _mappings(client) == before


def test_with_two_invalid_fields_the_pointer_names_the_first(client: httpx.Client) -> None:
    response = client.post(f"{ADMIN}/mappings", json={"request": {"method": 5}, "response": {"status": 999}})
    assert response.status_code == 400
    error = _only_error(response)
    assert error["source"]["pointer"] == "/request/method"
    assert "valid string" in error["detail"]
    assert "response.status" in error["detail"]
    assert "599" in error["detail"]
    assert _mappings(client)["meta"]["total"] == 0


def test_the_pointer_keeps_a_header_name_with_a_dot_whole(client: httpx.Client) -> None:
    response = client.post(f"{ADMIN}/mappings", json={"request": {"headers": {"X.Trace": {"equalTo": 5}}}})
    assert response.status_code == 400
    assert response.json()["errors"][0]["source"]["pointer"] == "/request/headers/X.Trace/equalTo"


# --- the request journal -------------------------------------------------------------------------


def test_the_journal_lists_requests_newest_first_in_wiremocks_shape(client: httpx.Client) -> None:
    created = _create(client, _stub("orders", "/orders", "made", method="POST", status=201))
    before_ms = int(time.time() * 1000)

    client.post("/orders?source=web", content=b'{"sku": "A-1"}', headers={"X-Trace": "t-1"})
    client.get("/missing", headers={"X-Trace": "t-2"})

    after_ms = int(time.time() * 1000)
    journal = _journal(client)
    assert journal["meta"] == {"total": 2}
    assert journal["requestJournalDisabled"] is False
    missed, hit = journal["requests"]

    assert hit["request"]["url"] == "/orders?source=web"
    assert hit["request"]["method"] == "POST"
    assert hit["request"]["headers"]["X-Trace"] == "t-1"
    assert hit["request"]["body"] == '{"sku": "A-1"}'
    assert base64.b64decode(hit["request"]["bodyAsBase64"]) == b'{"sku": "A-1"}'
    assert hit["request"]["queryParams"] == {"source": {"key": "source", "values": ["web"]}}
    assert before_ms <= hit["request"]["loggedDate"] <= after_ms
    assert hit["wasMatched"] is True
    assert hit["stubMapping"]["id"] == created["id"]
    assert hit["response"]["status"] == 201
    assert hit["response"]["body"] == "made"

    assert missed["request"]["url"] == "/missing"
    assert missed["request"]["method"] == "GET"
    assert missed["request"]["headers"]["X-Trace"] == "t-2"
    assert hit["request"]["loggedDate"] <= missed["request"]["loggedDate"] <= after_ms
    assert missed["wasMatched"] is False
    assert "stubMapping" not in missed
    assert missed["response"]["status"] == 404
    assert missed["id"] != hit["id"]


def test_the_journal_keeps_a_binary_body_byte_for_byte(client: httpx.Client) -> None:
    payload = bytes(range(256))
    client.put("/blob", content=payload)
    (entry,) = _journal(client)["requests"]
    assert base64.b64decode(entry["request"]["bodyAsBase64"]) == payload


def test_admin_calls_are_not_journaled(server: MockServer, client: httpx.Client) -> None:
    created = _create(client, _stub("s", "/s", "x"))
    client.get(f"{ADMIN}/mappings")
    client.get(f"{ADMIN}/mappings/{created['id']}")
    client.get(f"{ADMIN}/health")
    client.get(f"{ADMIN}/no-such-endpoint")
    client.post(f"{ADMIN}/mappings", content=b"{broken")
    client.get(f"{ADMIN}/requests")

    assert _journal(client)["meta"]["total"] == 0
    assert server.requests() == []

    client.get("/s")
    assert [e["request"]["url"] for e in _journal(client)["requests"]] == ["/s"]


def test_delete_requests_clears_the_journal(server: MockServer, client: httpx.Client) -> None:
    client.get("/one")
    client.get("/two")
    assert _journal(client)["meta"]["total"] == 2

    assert client.delete(f"{ADMIN}/requests").status_code == 200

    assert _journal(client) == {"requests": [], "meta": {"total": 0}, "requestJournalDisabled": False}
    assert server.requests() == []
    client.get("/three")
    assert [e["request"]["url"] for e in _journal(client)["requests"]] == ["/three"]


def test_a_journal_of_size_zero_says_it_is_disabled() -> None:
    with MockServer(journal_size=0) as mock, httpx.Client(base_url=mock.url) as http:
        http.get("/not-kept")
        journal = _journal(http)
    assert journal == {"requests": [], "meta": {"total": 0}, "requestJournalDisabled": True}


# --- reset, health, routing ----------------------------------------------------------------------


def test_reset_restores_the_constructed_stubs_and_clears_the_journal() -> None:
    initial = [
        {"id": "11111111-1111-4111-8111-111111111111", **_stub("first", "/first", "one")},
        {"id": "22222222-2222-4222-8222-222222222222", **_stub("second", "/second", "two")},
    ]
    with MockServer(mappings=initial) as mock, httpx.Client(base_url=mock.url) as http:
        _create(http, _stub("added", "/added", "new"))
        http.delete(f"{ADMIN}/mappings/{initial[0]['id']}")
        http.put(f"{ADMIN}/mappings/{initial[1]['id']}", json=_stub("second", "/second", "changed"))
        assert http.get("/second").text == "changed"
        assert http.get("/first").status_code == 404

        response = http.post(f"{ADMIN}/reset")

        assert response.status_code == 200
        listing = _mappings(http)
        assert sorted(m["id"] for m in listing["mappings"]) == [initial[0]["id"], initial[1]["id"]]
        assert _journal(http)["meta"]["total"] == 0
        assert http.get("/first").text == "one"
        assert http.get("/second").text == "two"
        assert http.get("/added").status_code == 404


def test_reset_restores_stubs_loaded_from_files(tmp_path: Path) -> None:
    (tmp_path / "mappings").mkdir()
    (tmp_path / "__files").mkdir()
    (tmp_path / "__files" / "greeting.txt").write_text("hello from a file")
    (tmp_path / "mappings" / "greeting.json").write_text(
        json.dumps(
            {
                "name": "from file",
                "request": {"method": "GET", "urlPath": "/greeting"},
                "response": {"status": 200, "bodyFileName": "greeting.txt"},
            }
        )
    )
    with MockServer(mappings=tmp_path) as mock, httpx.Client(base_url=mock.url) as http:
        assert http.get("/greeting").text == "hello from a file"
        http.delete(f"{ADMIN}/mappings")
        assert http.get("/greeting").status_code == 404

        http.post(f"{ADMIN}/reset")

        assert [m["name"] for m in _mappings(http)["mappings"]] == ["from file"]
        assert http.get("/greeting").text == "hello from a file"
        assert [e["request"]["url"] for e in _journal(http)["requests"]] == ["/greeting"]


def test_health(client: httpx.Client) -> None:
    response = client.get(f"{ADMIN}/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "healthy"
    assert body["version"]
    assert isinstance(body["uptimeInSeconds"], int)
    assert body["uptimeInSeconds"] >= 0


@pytest.mark.parametrize(
    "path",
    [
        f"{ADMIN}/nope",
        f"{ADMIN}/mappings/some-id/extra",
        f"{ADMIN}/health/deep",
        f"{ADMIN}/reset/now",
        f"{ADMIN}/requests/unmatched/near-misses/deeper",
        f"{ADMIN}/scenarios/checkout/status",
        f"{ADMIN}/scenarios/checkout",
        f"{ADMIN}/mappings//state",
    ],
)
def test_an_unknown_admin_path_is_a_404_in_json(client: httpx.Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    error = _only_error(response)
    assert error["title"] == "Not found"
    assert path.rstrip("/") in error["detail"]


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", f"{ADMIN}/mappings", {"GET", "POST", "DELETE"}),
        ("PATCH", f"{ADMIN}/mappings", {"GET", "POST", "DELETE"}),
        ("POST", f"{ADMIN}/mappings/some-id", {"GET", "PUT", "DELETE"}),
        ("POST", f"{ADMIN}/requests", {"GET", "DELETE"}),
        ("GET", f"{ADMIN}/reset", {"POST"}),
        ("DELETE", f"{ADMIN}/health", {"GET"}),
        ("GET", f"{ADMIN}/scenarios/reset", {"POST"}),
        ("POST", f"{ADMIN}/scenarios/checkout/state", {"PUT"}),
        ("PUT", f"{ADMIN}/requests/unmatched/near-misses", {"GET"}),
        ("DELETE", f"{ADMIN}/settings", {"GET", "POST", "PUT"}),
        ("GET", f"{ADMIN}/shutdown", {"POST"}),
        # /mappings/unmatched has GET and DELETE, /mappings/{id} GET, PUT and DELETE: either would do
        ("POST", f"{ADMIN}/mappings/unmatched", {"GET", "PUT", "DELETE"}),
    ],
)
def test_a_wrong_method_is_a_405_with_allow(client: httpx.Client, method: str, path: str, allowed: set[str]) -> None:
    response = client.request(method, path)
    assert response.status_code == 405
    assert {m.strip() for m in response.headers["allow"].split(",")} == allowed
    error = _only_error(response)
    assert method in error["detail"]


def test_the_admin_root_lists_the_stubs_and_the_bare_prefix_redirects_to_it(client: httpx.Client) -> None:
    # as WireMock: the wiremock package's WireMockServer (and many health checks) probe GET /__admin
    created = _create(client, _stub("root", "/root", "r"))
    redirect = client.get(ADMIN)
    assert redirect.status_code == 302
    assert redirect.headers["location"] == f"{ADMIN}/"
    root = client.get(ADMIN, follow_redirects=True)
    assert root.status_code == 200
    assert root.json() == {"mappings": [created], "meta": {"total": 1}}
    assert client.post(ADMIN).status_code == 405


@pytest.mark.parametrize("path", ["/__administrator", "/__admin-ui", "/__adminx/mappings"])
def test_a_path_that_only_starts_like_the_admin_prefix_is_the_stubs(
    server: MockServer, client: httpx.Client, path: str
) -> None:
    server.when(get(path)).respond(body="a stub, not the admin API")
    response = client.get(path)
    assert (response.status_code, response.text) == (200, "a stub, not the admin API")
    assert [e.request.path for e in server.requests()] == [path]
