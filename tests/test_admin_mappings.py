"""The admin API's stub mapping endpoints beyond create/read/update/delete: paging, import, reset,
metadata search, unmatched stubs, over a real socket in WireMock's JSON shapes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from mockpit import MockServer

SHARED_SERVER = True
ADMIN = "/__admin"


def _stub(name: str, path: str, body: str = "x", **extra: Any) -> dict[str, Any]:
    return {"name": name, "request": {"method": "GET", "urlPath": path}, "response": {"body": body}, **extra}


def _create(client: httpx.Client, mapping: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"{ADMIN}/mappings", json=mapping)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _names(client: httpx.Client, path: str = "/mappings") -> list[str]:
    response = client.get(ADMIN + path)
    assert response.status_code == 200, response.text
    return [m["name"] for m in response.json()["mappings"]]


def _error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    (error,) = response.json()["errors"]
    assert isinstance(error, dict)
    return error


# --- paging --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["s4", "s3", "s2", "s1", "s0"]),
        ("?limit=2", ["s4", "s3"]),
        ("?offset=3", ["s1", "s0"]),
        ("?limit=2&offset=1", ["s3", "s2"]),
        ("?limit=0", []),
        ("?offset=9", []),
    ],
)
def test_limit_and_offset_page_the_listing_and_total_counts_all(
    client: httpx.Client, query: str, expected: list[str]
) -> None:
    for i in range(5):
        _create(client, _stub(f"s{i}", f"/s/{i}"))
    listing = client.get(f"{ADMIN}/mappings{query}").json()
    assert [m["name"] for m in listing["mappings"]] == expected
    assert listing["meta"] == {"total": 5}


@pytest.mark.parametrize(
    ("query", "name"), [("?limit=-1", "limit"), ("?offset=two", "offset"), ("?limit=1.5", "limit")]
)
def test_a_bad_limit_or_offset_is_a_400_naming_the_parameter(client: httpx.Client, query: str, name: str) -> None:
    error = _error(client.get(f"{ADMIN}/mappings{query}"), 400)
    assert error["source"] == {"parameter": name}
    assert name in error["detail"]


# --- import --------------------------------------------------------------------------------------

A = "aaaaaaaa-0000-4000-8000-000000000000"
B = "bbbbbbbb-0000-4000-8000-000000000000"
C = "cccccccc-0000-4000-8000-000000000000"


def test_import_adds_every_mapping_and_keeps_their_order(client: httpx.Client) -> None:
    response = client.post(
        f"{ADMIN}/mappings/import",
        json={"mappings": [{"id": A, **_stub("a", "/same", "first")}, {"id": B, **_stub("b", "/same", "second")}]},
    )
    assert response.status_code == 200, response.text
    # as WireMock: the first mapping of an import is listed first and wins among equal priorities
    assert _names(client) == ["a", "b"]
    assert client.get("/same").text == "first"


def test_an_exported_listing_imports_unchanged(client: httpx.Client) -> None:
    for i in range(3):
        _create(client, _stub(f"s{i}", f"/s/{i}", str(i)))
    exported = client.get(f"{ADMIN}/mappings").json()
    client.delete(f"{ADMIN}/mappings")

    assert client.post(f"{ADMIN}/mappings/import", json=exported).status_code == 200

    assert client.get(f"{ADMIN}/mappings").json() == exported
    assert [client.get(f"/s/{i}").text for i in range(3)] == ["0", "1", "2"]


@pytest.mark.parametrize(("policy", "body"), [(None, "new"), ("OVERWRITE", "new"), ("IGNORE", "old")])
def test_the_duplicate_policy_decides_what_happens_to_an_existing_id(
    client: httpx.Client, policy: str | None, body: str
) -> None:
    _create(client, {"id": A, **_stub("a", "/a", "old")})
    payload: dict[str, Any] = {"mappings": [{"id": A, **_stub("a", "/a", "new")}, {"id": B, **_stub("b", "/b", "b")}]}
    if policy is not None:
        payload["importOptions"] = {"duplicatePolicy": policy}

    assert client.post(f"{ADMIN}/mappings/import", json=payload).status_code == 200

    assert client.get("/a").text == body
    assert client.get("/b").text == "b"
    assert sorted(_names(client)) == ["a", "b"]


def test_delete_all_not_in_import_leaves_only_the_import(client: httpx.Client) -> None:
    _create(client, {"id": A, **_stub("a", "/a", "old")})
    _create(client, {"id": C, **_stub("c", "/c")})
    response = client.post(
        f"{ADMIN}/mappings/import",
        json={
            "mappings": [{"id": A, **_stub("a", "/a", "new")}, _stub("no id", "/n")],
            "importOptions": {"duplicatePolicy": "IGNORE", "deleteAllNotInImport": True},
        },
    )
    assert response.status_code == 200
    assert sorted(_names(client)) == ["a", "no id"]
    assert client.get("/a").text == "old"
    assert client.get("/c").status_code == 404


INVALID_IMPORTS = [
    pytest.param(
        {"mappings": [_stub("ok", "/ok"), {"request": {"method": 7}}]},
        "/mappings/1/request/method",
        "Invalid stub mapping",
        id="second-mapping-invalid",
    ),
    pytest.param(
        {"mappings": [{"id": A, **_stub("a", "/a")}, {"id": A, **_stub("a2", "/a2")}]},
        "/mappings/1/id",
        "Invalid import",
        id="duplicate-ids",
    ),
    pytest.param({"mappings": "nope"}, "/mappings", "Invalid import", id="mappings-not-a-list"),
    pytest.param({}, "/mappings", "Invalid import", id="no-mappings"),
    pytest.param(
        {"mappings": [], "importOptions": {"duplicatePolicy": "MERGE"}},
        "/importOptions/duplicatePolicy",
        "Invalid import",
        id="bad-policy",
    ),
    pytest.param(
        {"mappings": [], "importOptions": {"deleteAllNotInImport": "yes"}},
        "/importOptions/deleteAllNotInImport",
        "Invalid import",
        id="policy-flag-not-a-bool",
    ),
    pytest.param({"mappings": [], "extra": 1}, "/extra", "Invalid import", id="unknown-field"),
]


@pytest.mark.parametrize(("payload", "pointer", "title"), INVALID_IMPORTS)
def test_an_invalid_import_is_a_400_naming_the_field_and_adds_nothing(
    client: httpx.Client, payload: dict[str, Any], pointer: str, title: str
) -> None:
    _create(client, _stub("existing", "/existing"))
    error = _error(client.post(f"{ADMIN}/mappings/import", json=payload), 400)
    assert error["source"]["pointer"] == pointer
    assert error["title"] == title
    assert _names(client) == ["existing"]
    assert client.get("/ok").status_code == 404


def test_an_import_whose_body_file_is_missing_adds_nothing(client: httpx.Client) -> None:
    response = client.post(
        f"{ADMIN}/mappings/import",
        json={"mappings": [_stub("ok", "/ok"), {"request": {}, "response": {"bodyFileName": "missing.txt"}}]},
    )
    assert response.status_code == 400
    assert _names(client) == []
    assert client.get("/ok").status_code == 404


# --- reset to the loaded stubs -------------------------------------------------------------------


def test_mappings_reset_restores_the_loaded_stubs_and_keeps_the_journal() -> None:
    loaded = {"id": A, **_stub("loaded", "/loaded", "l")}
    with MockServer(mappings=[loaded]) as server, httpx.Client(base_url=server.url) as http:
        http.get("/loaded")
        _create(http, _stub("added", "/added"))
        http.delete(f"{ADMIN}/mappings/{A}")

        assert http.post(f"{ADMIN}/mappings/reset").status_code == 200

        assert _names(http) == ["loaded"]
        assert http.get("/added").status_code == 404
        # only the stubs: the journal (unlike POST /__admin/reset) is kept
        assert http.get(f"{ADMIN}/requests").json()["meta"]["total"] == 2


# --- metadata ------------------------------------------------------------------------------------


def _tagged(client: httpx.Client) -> None:
    _create(client, _stub("checkout", "/c", metadata={"team": "checkout", "tags": ["slow", "beta"], "level": 3}))
    _create(client, _stub("search", "/s", metadata={"team": "search", "tags": ["fast"], "level": 1}))
    _create(client, _stub("bare", "/b"))


@pytest.mark.parametrize(
    ("pattern", "names"),
    [
        ({"matchesJsonPath": "$.team"}, ["search", "checkout"]),
        ({"matchesJsonPath": "$[?(@.team == 'checkout')]"}, ["checkout"]),
        ({"matchesJsonPath": {"expression": "$.team", "equalTo": "search"}}, ["search"]),
        ({"matchesJsonPath": {"expression": "$.tags", "contains": "beta"}}, ["checkout"]),
        ({"equalToJson": {"team": "search", "tags": ["fast"], "level": 1}}, ["search"]),
        ({"equalToJson": {"team": "checkout"}, "ignoreExtraElements": True}, ["checkout"]),
        ({"equalToJson": {"team": "nobody"}, "ignoreExtraElements": True}, []),
        ({"contains": "slow"}, ["checkout"]),
        ({"matchesJsonPath": "$.owner"}, []),
    ],
)
def test_find_by_metadata_matches_wiremocks_content_patterns(
    client: httpx.Client, pattern: dict[str, Any], names: list[str]
) -> None:
    _tagged(client)
    response = client.post(f"{ADMIN}/mappings/find-by-metadata", json=pattern)
    assert response.status_code == 200, response.text
    found = response.json()
    assert [m["name"] for m in found["mappings"]] == names
    assert found["meta"] == {"total": len(names)}


def test_remove_by_metadata_removes_only_the_matching_stubs(client: httpx.Client) -> None:
    _tagged(client)
    response = client.post(f"{ADMIN}/mappings/remove-by-metadata", json={"matchesJsonPath": "$.tags[?(@ == 'fast')]"})
    assert response.status_code == 200
    assert _names(client) == ["bare", "checkout"]
    assert client.get("/s").status_code == 404
    assert client.get("/c").text == "x"


@pytest.mark.parametrize("endpoint", ["find-by-metadata", "remove-by-metadata"])
@pytest.mark.parametrize(
    ("pattern", "pointer"),
    [
        ({"matchesJsonPath": "$[?("}, "/matchesJsonPath"),
        ({"equalToJson": "{broken"}, "/equalToJson"),
        ({"noSuchOperator": 1}, "/noSuchOperator"),
        (["not", "an", "object"], "/"),
    ],
)
def test_a_bad_metadata_pattern_is_a_400_naming_the_field(
    client: httpx.Client, endpoint: str, pattern: Any, pointer: str
) -> None:
    _tagged(client)
    error = _error(client.post(f"{ADMIN}/mappings/{endpoint}", json=pattern), 400)
    assert error["title"] == "Invalid metadata pattern"
    assert error["source"]["pointer"] == pointer
    assert len(_names(client)) == 3


# --- unmatched stubs -----------------------------------------------------------------------------


def test_unmatched_mappings_are_those_no_journaled_request_matched(client: httpx.Client) -> None:
    for name in ("used", "unused", "also unused"):
        _create(client, _stub(name, f"/{name.replace(' ', '-')}"))
    client.get("/used")
    client.get("/nothing-here")

    assert _names(client, "/mappings/unmatched") == ["also unused", "unused"]

    assert client.delete(f"{ADMIN}/mappings/unmatched").status_code == 200
    assert _names(client) == ["used"]


def test_a_literal_path_wins_over_an_id_for_its_own_methods(client: httpx.Client) -> None:
    # a stub whose id is a word the API uses: GET /mappings/unmatched is still the endpoint ...
    _create(client, {"id": "unmatched", **_stub("named like an endpoint", "/odd")})
    client.get("/odd")
    assert client.get(f"{ADMIN}/mappings/unmatched").json() == {"mappings": [], "meta": {"total": 0}}
    # ... and, as in WireMock, PUT (which that endpoint lacks) updates the stub
    response = client.put(f"{ADMIN}/mappings/unmatched", json=_stub("renamed", "/odd"))
    assert response.status_code == 200
    assert _names(client) == ["renamed"]


def test_remove_takes_the_posted_stubs_id_else_its_request(client: httpx.Client) -> None:
    """WireMock's ``POST /__admin/mappings/remove`` (the Java client's ``removeStub``)."""
    by_id = _create(client, _stub("by id", "/by-id"))
    _create(client, _stub("by request", "/by-request"))
    _create(client, _stub("kept", "/kept"))
    assert client.post(f"{ADMIN}/mappings/remove", json={**by_id, "response": {"status": 500}}).status_code == 200
    # an id no stub has: the stubs with the same request go
    other = {**_stub("other", "/by-request"), "id": "6f0c8a4e-0a39-4d3b-9f6e-4b0c2b0e7a11"}
    assert client.post(f"{ADMIN}/mappings/remove", json=other).status_code == 200
    assert _names(client) == ["kept"]
    assert client.get("/by-id").status_code == 404


def test_stubs_are_listed_in_the_order_they_are_tried(client: httpx.Client) -> None:
    """Priority first, then the newest, as WireMock lists them."""
    _create(client, _stub("a", "/a", priority=5))
    _create(client, _stub("b", "/b", priority=1))
    _create(client, _stub("c", "/c", priority=5))
    _create(client, _stub("d", "/d"))
    assert _names(client) == ["b", "d", "c", "a"]


def test_get_or_head_answers_both_methods_and_no_other(client: httpx.Client) -> None:
    created = _create(client, {"request": {"method": "GET_OR_HEAD", "url": "/goh"}, "response": {"body": "x"}})
    assert created["request"]["method"] == "GET_OR_HEAD"
    assert client.get("/goh").text == "x"
    assert client.head("/goh").status_code == 200
    assert client.post("/goh").status_code == 404


def test_a_stubbed_answer_names_its_stub_and_no_server(client: httpx.Client) -> None:
    created = _create(client, _stub("named", "/named"))
    response = client.get("/named")
    assert response.headers["matched-stub-id"] == created["id"]
    assert "server" not in response.headers
