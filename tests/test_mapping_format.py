"""The WireMock mapping format: response fields over the wire, validation errors, round trips."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import httpx
import pytest

from mockpit import MappingError, MockServer, stub_from_mapping, stub_to_mapping
from mockpit._mapping.read import pattern_from_mapping, stubs_from_document

# one server for the module, reset around each test (see conftest.py)
SHARED_SERVER = True


def serve(server: MockServer, client: httpx.Client, response: dict[str, Any]) -> httpx.Response:
    server.add_mapping({"request": {"method": "GET", "urlPath": "/r"}, "response": response})
    return client.get("/r")


# --- response definitions over the wire -----------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        pytest.param(200, "OK", id="200"),
        pytest.param(201, "Created", id="201"),
        pytest.param(302, "Found", id="302"),
        pytest.param(404, "Not Found", id="404-from-a-stub"),
        pytest.param(418, None, id="418"),
        pytest.param(500, "Internal Server Error", id="500"),
        pytest.param(503, "Service Unavailable", id="503"),
        pytest.param(599, None, id="599-unassigned"),
    ],
)
def test_status(server: MockServer, client: httpx.Client, status: int, reason: str | None) -> None:
    response = serve(server, client, {"status": status, "body": "from the stub"})
    assert response.status_code == status
    assert response.text == "from the stub"  # the stub's answer, not mockpit's own 404
    if reason is not None:
        assert response.reason_phrase == reason


def test_status_defaults_to_200(server: MockServer, client: httpx.Client) -> None:
    response = serve(server, client, {})
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-length"] == "0"


@pytest.mark.parametrize(
    ("status", "message"),
    [
        pytest.param(200, "Totally Fine", id="200"),
        pytest.param(201, "Made It", id="201"),
        pytest.param(404, "Nothing Here", id="404"),
        pytest.param(503, "Down For Maintenance", id="503"),
        pytest.param(200, "x", id="one-character"),
    ],
)
def test_status_message_is_the_reason_phrase(
    server: MockServer, client: httpx.Client, status: int, message: str
) -> None:
    response = serve(server, client, {"status": status, "statusMessage": message, "body": "b"})
    assert response.status_code == status
    assert response.reason_phrase == message
    assert response.text == "b"


def test_status_message_applies_to_its_stub_only(server: MockServer, client: httpx.Client) -> None:
    server.add_mapping({"request": {"urlPath": "/custom"}, "response": {"statusMessage": "Custom"}})
    server.add_mapping({"request": {"urlPath": "/plain"}, "response": {}})
    for _ in range(2):  # same keep-alive connection: the phrase must not leak into the next response
        assert client.get("/custom").reason_phrase == "Custom"
        assert client.get("/plain").reason_phrase == "OK"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        pytest.param({"X-One": "1"}, {"x-one": ["1"]}, id="single"),
        pytest.param({"X-Multi": ["a", "b", "c"]}, {"x-multi": ["a", "b", "c"]}, id="multi-valued-list"),
        pytest.param(
            {"Set-Cookie": ["a=1; Path=/", "b=2"], "X-Other": "o"},
            {"set-cookie": ["a=1; Path=/", "b=2"], "x-other": ["o"]},
            id="set-cookie-list",
        ),
        pytest.param({"Content-Type": "text/csv"}, {"content-type": ["text/csv"]}, id="content-type"),
        pytest.param({"X-Empty": ""}, {"x-empty": [""]}, id="empty-value"),
    ],
)
def test_response_headers(
    server: MockServer, client: httpx.Client, headers: dict[str, Any], expected: dict[str, list[str]]
) -> None:
    response = serve(server, client, {"headers": headers, "body": "x"})
    assert response.status_code == 200
    for name, values in expected.items():
        assert response.headers.get_list(name) == values


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("plain text", id="ascii"),
        pytest.param("héllo wörld ✓", id="utf8"),
        pytest.param("line 1\nline 2\r\n", id="newlines"),
        pytest.param('{"looks": "like json"}', id="json-text-as-body"),
        pytest.param("", id="empty"),
    ],
)
def test_body(server: MockServer, client: httpx.Client, body: str) -> None:
    response = serve(server, client, {"body": body})
    assert response.content == body.encode("utf-8")
    assert response.headers["content-length"] == str(len(body.encode("utf-8")))


@pytest.mark.parametrize(
    "json_body",
    [
        pytest.param({"id": 1, "name": "Ada", "tags": ["a", "b"], "ok": True, "none": None}, id="object"),
        pytest.param([1, 2.5, "three"], id="array"),
        pytest.param({"nested": {"deeper": [{"x": "é"}]}}, id="nested-unicode"),
        pytest.param("just a string", id="string"),
        pytest.param(42, id="number"),
    ],
)
def test_json_body_is_sent_as_json_with_its_content_type(
    server: MockServer, client: httpx.Client, json_body: Any
) -> None:
    response = serve(server, client, {"jsonBody": json_body})
    assert response.status_code == 200
    assert response.json() == json_body
    assert response.headers.get_list("content-type") == ["application/json"]


def test_json_body_keeps_a_content_type_given_in_headers(server: MockServer, client: httpx.Client) -> None:
    response = serve(server, client, {"jsonBody": {"a": 1}, "headers": {"content-type": "application/vnd.api+json"}})
    assert response.json() == {"a": 1}
    assert response.headers.get_list("content-type") == ["application/vnd.api+json"]


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(bytes(range(256)), id="every-byte"),
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", id="png-header"),
        pytest.param(b"\x00", id="nul"),
        pytest.param(b"", id="empty"),
    ],
)
def test_base64_body_is_sent_as_exact_bytes(server: MockServer, client: httpx.Client, data: bytes) -> None:
    encoded = base64.b64encode(data).decode("ascii")
    response = serve(server, client, {"base64Body": encoded, "headers": {"Content-Type": "image/png"}})
    assert response.content == data
    assert response.headers["content-length"] == str(len(data))
    assert response.headers.get_list("content-type") == ["image/png"]


@pytest.mark.parametrize("delay_ms", [pytest.param(150, id="150ms"), pytest.param(300, id="300ms")])
def test_fixed_delay(server: MockServer, client: httpx.Client, delay_ms: int) -> None:
    server.add_mapping(
        {"request": {"urlPath": "/slow"}, "response": {"body": "late", "fixedDelayMilliseconds": delay_ms}}
    )
    server.add_mapping({"request": {"urlPath": "/fast"}, "response": {"body": "now"}})
    started = time.perf_counter()
    response = client.get("/slow")
    elapsed = time.perf_counter() - started
    assert response.text == "late"
    assert elapsed >= delay_ms / 1000
    started = time.perf_counter()
    assert client.get("/fast").text == "now"
    assert time.perf_counter() - started < delay_ms / 1000  # only the stub with the delay waits


def test_a_whole_response_definition(server: MockServer, client: httpx.Client) -> None:
    server.add_mapping(
        {
            "request": {"method": "POST", "urlPath": "/orders"},
            "response": {
                "status": 201,
                "statusMessage": "Order Accepted",
                "headers": {"Location": "/orders/7", "X-Flags": ["a", "b"]},
                "jsonBody": {"id": 7},
            },
        }
    )
    response = client.post("/orders")
    assert (response.status_code, response.reason_phrase) == (201, "Order Accepted")
    assert response.headers["location"] == "/orders/7"
    assert response.headers.get_list("x-flags") == ["a", "b"]
    assert response.json() == {"id": 7}


# --- validation errors ----------------------------------------------------------------------------

INVALID = [
    # unknown fields
    pytest.param({"requst": {}}, "requst", "unknown field", id="unknown-top-level"),
    pytest.param({"request": {"urlPathh": "/a"}}, "request.urlPathh", "unknown field", id="unknown-in-request"),
    pytest.param({"response": {"bodyy": "x"}}, "response.bodyy", "unknown field", id="unknown-in-response"),
    pytest.param(
        {"request": {"headers": {"Accept": {"equalto": "x"}}}},
        "request.headers.Accept.equalto",
        "unknown field",
        id="unknown-operator-in-header",
    ),
    pytest.param(
        {"request": {"queryParameters": {"q": {"equalTo": "x", "ignoreCase": True}}}},
        "request.queryParameters.q.ignoreCase",
        "unknown field",
        id="unknown-option-in-query",
    ),
    pytest.param(
        {"request": {"bodyPatterns": [{"contains": "a"}, {"equalToo": "b"}]}},
        "request.bodyPatterns[1].equalToo",
        "unknown field",
        id="unknown-in-second-body-pattern",
    ),
    pytest.param(
        {"request": {"bodyPatterns": [{"matchesJsonPath": {"expression": "$.a", "equals": "x"}}]}},
        "request.bodyPatterns[0].matchesJsonPath.equals",
        "unknown field",
        id="unknown-in-json-path-object",
    ),
    pytest.param(
        {"request": {"basicAuthCredentials": {"username": "u", "password": "p", "realm": "r"}}},
        "request.basicAuthCredentials.realm",
        "unknown field",
        id="unknown-in-basic-auth",
    ),
    # WireMock fields mockpit does not do yet
    pytest.param({"requiredScenarioState": "Started"}, "requiredScenarioState", "scenarioName", id="scenario-state"),
    pytest.param({"newScenarioState": "Next"}, "newScenarioState", "scenarioName", id="new-scenario-state"),
    # response behaviours given wrongly
    pytest.param({"postServeActions": [{"name": "email"}]}, "postServeActions[0].name", "webhook", id="listener"),
    pytest.param({"response": {"fault": "SLOW"}}, "response.fault", "EMPTY_RESPONSE", id="fault-name"),
    pytest.param({"response": {"proxyBaseUrl": "x"}}, "response.proxyBaseUrl", "http(s) URL", id="proxy-url"),
    pytest.param(
        {"response": {"proxyBaseUrl": "http://x", "body": "b"}}, "response", "remove body", id="proxy-and-body"
    ),
    pytest.param(
        {"response": {"removeProxyRequestHeaders": ["a"]}}, "response", "only goes with proxyBaseUrl", id="proxy-only"
    ),
    pytest.param({"response": {"transformers": ["t"]}}, "response.transformers", "response-template", id="templating"),
    pytest.param(
        {"response": {"delayDistribution": {"type": "uniform"}}},
        "response.delayDistribution",
        "needs lower and upper",
        id="random-delay",
    ),
    pytest.param(
        {"response": {"delayDistribution": {"type": "lognormal", "median": 5, "sigma": 1, "lower": 2}}},
        "response.delayDistribution",
        "lower does not go with a lognormal delay",
        id="random-delay-extra",
    ),
    pytest.param(
        {"response": {"chunkedDribbleDelay": {"numberOfChunks": 0, "totalDuration": 5}}},
        "response.chunkedDribbleDelay.numberOfChunks",
        "greater than or equal to 1",
        id="dribble-chunks",
    ),
    pytest.param(
        {"response": {"delayDistribution": {"type": "lognormal", "median": 90, "sigma": 1, "maxValue": 50}}},
        "response.delayDistribution",
        "below the median",
        id="cap-below-median",
    ),
    pytest.param({"postServeActions": {"email": {}}}, "postServeActions", "unknown serve event listener", id="action"),
    pytest.param({"responseSequence": "cycle"}, None, "goes with responses", id="sequence-without-responses"),
    pytest.param({"responses": []}, "responses", "at least 1", id="empty-sequence"),
    pytest.param(
        {"request": {"headers": {"X-Date": {"after": "2021-05-01T00:00:00Z"}}}},
        "request.headers.X-Date.after",
        "not supported by mockpit yet",
        id="date-matcher",
    ),
    pytest.param(
        {"request": {"bodyPatterns": [{"matchesJsonPath": {"expression": "$.d", "equalToDateTime": "now"}}]}},
        "request.bodyPatterns[0].matchesJsonPath.equalToDateTime",
        "date matchers",
        id="date-matcher-under-json-path",
    ),
    # URLs
    pytest.param({"request": {"url": "/a", "urlPath": "/a"}}, "request", "url, urlPath", id="url-and-urlPath"),
    pytest.param(
        {"request": {"urlPattern": "/a.*", "urlPathTemplate": "/a/{b}"}},
        "request",
        "urlPattern, urlPathTemplate",
        id="urlPattern-and-urlPathTemplate",
    ),
    pytest.param({"request": {"urlPattern": "/a("}}, "request.urlPattern", "invalid regular expression", id="bad-re"),
    pytest.param(
        {"request": {"urlPathPattern": "/a[b"}},
        "request.urlPathPattern",
        "invalid regular expression",
        id="bad-re-path",
    ),
    pytest.param(
        {"request": {"headers": {"Accept": {"matches": "(*"}}}},
        "request.headers.Accept.matches",
        "invalid regular expression",
        id="bad-re-header",
    ),
    pytest.param(
        {"request": {"queryParameters": {"q": {"doesNotMatch": "[a"}}}},
        "request.queryParameters.q.doesNotMatch",
        "invalid regular expression",
        id="bad-re-query",
    ),
    pytest.param(
        {"request": {"bodyPatterns": [{"matches": "[z-a]"}]}},
        "request.bodyPatterns[0].matches",
        "invalid regular expression",
        id="bad-re-body",
    ),
    pytest.param(
        {"request": {"urlPathTemplate": "/u/{id}", "pathParameters": {"name": {"equalTo": "x"}}}},
        "request.pathParameters",
        "name",
        id="pathParameters-unknown-variable",
    ),
    pytest.param(
        {"request": {"urlPath": "/u/1", "pathParameters": {"id": {"equalTo": "1"}}}},
        "request.pathParameters",
        "urlPathTemplate",
        id="pathParameters-without-template",
    ),
    pytest.param(
        {"request": {"urlPathTemplate": "/u/{id}/v/{id}"}},
        "request.urlPathTemplate",
        "more than once",
        id="template-variable-twice",
    ),
    pytest.param({"request": {"url": "users"}}, "request", "must start with '/'", id="url-without-slash"),
    # body patterns
    pytest.param(
        {"request": {"bodyPatterns": [{"matchesJsonPath": "$.a[?("}]}},
        "request.bodyPatterns[0].matchesJsonPath",
        "invalid JSONPath",
        id="bad-jsonpath",
    ),
    pytest.param(
        {"request": {"bodyPatterns": [{"matchesJsonPath": {"expression": "$$..", "equalTo": "x"}}]}},
        "request.bodyPatterns[0].matchesJsonPath",
        "invalid JSONPath",
        id="bad-jsonpath-with-sub-pattern",
    ),
    pytest.param(
        {"request": {"bodyPatterns": [{"equalToJson": "{not json"}]}},
        "request.bodyPatterns[0].equalToJson",
        "not valid JSON",
        id="equalToJson-string-not-json",
    ),
    pytest.param(
        {"request": {"bodyPatterns": [{"contains": "a", "ignoreArrayOrder": True}]}},
        "request.bodyPatterns[0]",
        "ignoreArrayOrder only goes with equalToJson",
        id="json-option-on-contains",
    ),
    pytest.param(
        {"request": {"bodyPatterns": [{"contains": "a", "equalTo": "a"}]}},
        "request.bodyPatterns[0]",
        "exactly one",
        id="two-body-operators",
    ),
    pytest.param({"request": {"bodyPatterns": [{}]}}, "request.bodyPatterns[0]", "exactly one", id="no-body-operator"),
    # value patterns
    pytest.param(
        {"request": {"headers": {"Accept": {"equalTo": "a", "contains": "b"}}}},
        "request.headers.Accept",
        "exactly one",
        id="two-value-operators",
    ),
    pytest.param(
        {"request": {"cookies": {"c": {"caseInsensitive": True}}}},
        "request.cookies.c",
        "exactly one",
        id="no-value-operator",
    ),
    pytest.param({"request": {"headers": {"X": {"absent": False}}}}, "request.headers.X", "absent", id="absent-false"),
    pytest.param(
        {"request": {"headers": {"Accept": "text/plain"}}}, "request.headers.Accept", "", id="header-not-an-object"
    ),
    pytest.param({"request": {"method": "G T"}}, "request.method", "not an HTTP method", id="bad-method"),
    pytest.param(
        {"request": {"basicAuthCredentials": {"username": "u"}}},
        "request.basicAuthCredentials.password",
        "required",
        id="basic-auth-without-password",
    ),
    # response
    pytest.param({"response": {"base64Body": "not base64!"}}, "response.base64Body", "base64", id="bad-base64"),
    pytest.param({"response": {"base64Body": "abc"}}, "response.base64Body", "base64", id="base64-bad-padding"),
    pytest.param({"response": {"status": 99}}, "response.status", "100", id="status-99"),
    pytest.param({"response": {"status": 600}}, "response.status", "599", id="status-600"),
    pytest.param({"response": {"status": -1}}, "response.status", "100", id="status-negative"),
    pytest.param({"response": {"status": "ok"}}, "response.status", "integer", id="status-not-a-number"),
    pytest.param({"response": {"bodyFileName": "../secret.txt"}}, "response.bodyFileName", "..", id="file-dotdot"),
    pytest.param(
        {"response": {"bodyFileName": "a/../../etc/passwd"}}, "response.bodyFileName", "..", id="file-inner-dotdot"
    ),
    pytest.param({"response": {"bodyFileName": "..\\x.txt"}}, "response.bodyFileName", "..", id="file-backslash"),
    pytest.param({"response": {"bodyFileName": "/etc/passwd"}}, "response.bodyFileName", "relative", id="file-abs"),
    pytest.param({"response": {"body": "a", "jsonBody": {}}}, "response", "at most one", id="two-bodies"),
    pytest.param(
        {"response": {"fixedDelayMilliseconds": -5}}, "response.fixedDelayMilliseconds", "0", id="negative-delay"
    ),
    pytest.param(
        {"response": {"statusMessage": "a\r\nX-Injected: 1"}},
        "response.statusMessage",
        "one line",
        id="status-message-crlf",
    ),
    pytest.param({"response": {"headers": {"X": 1}}}, "response.headers.X", "string", id="header-value-a-number"),
    # stub fields
    pytest.param({"priority": 0}, "priority", "greater than or equal to 1", id="priority-zero"),
    pytest.param({"id": "a", "uuid": "b"}, None, "differ", id="id-and-uuid-differ"),
]


@pytest.mark.parametrize(("mapping", "field", "fragment"), INVALID)
def test_invalid_mapping_names_the_field(mapping: dict[str, Any], field: str | None, fragment: str) -> None:
    with pytest.raises(MappingError) as info:
        stub_from_mapping(mapping, source="stubs/x.json")
    error = info.value
    assert error.field == field
    assert fragment in error.message
    assert error.source == "stubs/x.json"
    text = str(error)
    assert text.startswith("stubs/x.json: ")
    if field is not None:
        assert f": {field}: " in text


@pytest.mark.parametrize(("mapping", "field", "fragment"), INVALID)
def test_an_invalid_mapping_is_refused_by_the_server_and_adds_nothing(
    server: MockServer, client: httpx.Client, mapping: dict[str, Any], field: str | None, fragment: str
) -> None:
    with pytest.raises(MappingError) as info:
        server.add_mapping(mapping)
    assert info.value.field == field
    assert server.stubs == []
    assert client.get("/").status_code == 404


def test_not_supported_message_names_the_feature() -> None:
    with pytest.raises(MappingError) as info:
        stub_from_mapping({"request": {"queryParameters": {"d": {"equalToDateTime": "2021-06-24T00:00:00"}}}})
    assert "date matchers" in info.value.message
    assert "equalToDateTime" in info.value.message


def test_several_invalid_fields_are_all_reported_and_the_first_is_the_field() -> None:
    with pytest.raises(MappingError) as info:
        stub_from_mapping({"request": {"method": 5}, "response": {"status": 999}})
    assert info.value.field == "request.method"
    assert "response.status" in info.value.message
    assert "599" in info.value.message


@pytest.mark.parametrize(
    ("mapping", "field"),
    [
        pytest.param(
            {"request": {"bodyPatterns": [{"matchesJsonPath": 5}]}},
            "request.bodyPatterns[0].matchesJsonPath",
            id="union-branches-left-out",
        ),
        pytest.param(
            {"request": {"queryParameters": {"str": {"equalTo": 5}}}},
            "request.queryParameters.str.equalTo",
            id="a-key-named-like-a-branch",
        ),
        pytest.param(
            {"request": {"cookies": {"list[str]": {"equalTo": 5}}}},
            "request.cookies.list[str].equalTo",
            id="a-key-named-like-a-generic-branch",
        ),
        pytest.param({"response": {"headers": {"X": {"str": 1}}}}, "response.headers.X", id="a-value-with-branch-key"),
    ],
)
def test_the_field_is_named_as_written_without_pydantics_union_branches(mapping: dict[str, Any], field: str) -> None:
    # pydantic puts the branch of a union in a location (headers.X.str); a key of the same name is the user's own
    with pytest.raises(MappingError) as info:
        stub_from_mapping(mapping)
    assert info.value.field == field


def test_a_mapping_that_is_not_an_object() -> None:
    with pytest.raises(MappingError, match="JSON object"):
        stub_from_mapping([{"request": {}}])


def test_a_template_variable_may_be_any_name(server: MockServer, client: httpx.Client) -> None:
    # WireMock takes {user-id}; the template must work over the wire, not only validate
    server.add_mapping(
        {
            "request": {
                "method": "GET",
                "urlPathTemplate": "/users/{user-id}/posts/{post.id}",
                "pathParameters": {"user-id": {"matches": "[0-9]+"}},
            },
            "response": {"body": "matched"},
        }
    )
    assert client.get("/users/7/posts/x").text == "matched"
    assert client.get("/users/ada/posts/x").status_code == 404


# --- documents: one stub, or {"mappings": [...]} ---------------------------------------------------


def test_document_error_in_the_second_mapping_names_it() -> None:
    document = {
        "mappings": [
            {"request": {"urlPath": "/ok"}, "response": {"body": "fine"}},
            {"request": {"urlPattern": "/bad("}, "response": {}},
        ]
    }
    with pytest.raises(MappingError) as info:
        stubs_from_document(document, source="mappings/all.json")
    assert info.value.field == "mappings[1].request.urlPattern"
    assert info.value.source == "mappings/all.json"
    assert str(info.value).startswith("mappings/all.json: mappings[1].request.urlPattern: invalid regular expression")


def test_document_error_in_a_mapping_that_is_not_an_object() -> None:
    with pytest.raises(MappingError) as info:
        stubs_from_document({"mappings": [{}, {}, "oops"]}, source="f.json")
    assert info.value.field == "mappings[2]"


@pytest.mark.parametrize(
    ("document", "field"),
    [
        pytest.param({"mappings": {"request": {}}}, "mappings", id="mappings-not-a-list"),
        pytest.param({"mappings": [], "extra": 1}, "extra", id="key-beside-mappings"),
    ],
)
def test_document_shape_errors(document: dict[str, Any], field: str) -> None:
    with pytest.raises(MappingError) as info:
        stubs_from_document(document, source="f.json")
    assert info.value.field == field


def test_documents_with_one_or_many_stubs() -> None:
    one = stubs_from_document({"request": {"urlPath": "/a"}}, source="a.json")
    assert [s.request.url.value for s in one] == ["/a"]
    many = stubs_from_document(
        {"mappings": [{"request": {"urlPath": "/a"}}, {"request": {"urlPath": "/b"}}], "meta": {"total": 2}},
        source="all.json",
    )
    assert [s.request.url.value for s in many] == ["/a", "/b"]
    assert stubs_from_document({"mappings": []}, source="empty.json") == []


def test_wiremock_bookkeeping_fields_are_accepted() -> None:
    stub = stub_from_mapping(
        {
            "uuid": "0b4c6d9e-0000-4000-8000-000000000001",
            "name": "users",
            "persistent": True,
            "insertionIndex": 3,
            "metadata": {"team": "core"},
            "request": {"method": "get", "urlPath": "/users"},
        }
    )
    assert stub.id == "0b4c6d9e-0000-4000-8000-000000000001"
    assert stub.name == "users"
    assert stub.persistent is True
    assert stub.metadata == {"team": "core"}
    assert stub.request.method == "GET"


def test_pattern_from_mapping_names_the_field_without_the_request_prefix() -> None:
    with pytest.raises(MappingError) as info:
        pattern_from_mapping({"headers": {"Accept": {"matches": "("}}})
    assert info.value.field == "headers.Accept.matches"


# --- round trip -----------------------------------------------------------------------------------

ROUND_TRIP = [
    pytest.param({"request": {"method": "GET", "url": "/a?b=c"}, "response": {"status": 204}}, id="url"),
    pytest.param({"request": {"urlPattern": "/a/.*"}, "response": {"body": "x"}}, id="urlPattern-any-method"),
    pytest.param({"request": {}, "response": {}}, id="empty"),
    pytest.param(
        {
            "id": "11111111-2222-4333-8444-555555555555",
            "name": "everything",
            "priority": 2,
            "metadata": {"owner": "tests", "tags": ["a"]},
            "persistent": False,
            "request": {
                "method": "POST",
                "urlPathTemplate": "/orgs/{org}/users/{id}",
                "pathParameters": {"id": {"matches": "[0-9]+"}, "org": {"equalTo": "ACME", "caseInsensitive": True}},
                "queryParameters": {"a": {"contains": "x"}, "b": {"absent": True}},
                "headers": {"Accept": {"doesNotContain": "xml"}, "X-Id": {"doesNotMatch": "[a-z]+"}},
                "cookies": {"session": {"equalTo": "s"}},
                "bodyPatterns": [
                    {"equalToJson": {"a": [1, 2]}, "ignoreArrayOrder": True, "ignoreExtraElements": True},
                    {"matchesJsonPath": "$.a"},
                    {"matchesJsonPath": {"expression": "$.name", "equalTo": "x", "caseInsensitive": True}},
                    {"matchesJsonPath": {"expression": "$.gone", "absent": True}},
                    {"equalTo": "t", "caseInsensitive": True},
                    {"matches": ".*"},
                ],
                "basicAuthCredentials": {"username": "u", "password": "p"},
            },
            "response": {
                "status": 201,
                "statusMessage": "Made",
                "headers": {"Set-Cookie": ["a=1", "b=2"], "X-One": "1"},
                "jsonBody": {"id": 7, "tags": [None, True, 1.5]},
                "fixedDelayMilliseconds": 10,
            },
        },
        id="everything",
    ),
    pytest.param({"request": {"urlPathPattern": "/f/.*"}, "response": {"base64Body": "AAEC/w=="}}, id="base64"),
    pytest.param({"request": {"urlPath": "/f"}, "response": {"bodyFileName": "data/f.json"}}, id="bodyFileName"),
    pytest.param(
        {"request": {"bodyPatterns": [{"equalToJson": '{"a": 1}'}]}, "response": {}}, id="equalToJson-as-a-string"
    ),
]


@pytest.mark.parametrize("mapping", ROUND_TRIP)
def test_round_trip(mapping: dict[str, Any]) -> None:
    stub = stub_from_mapping(mapping)
    written = stub_to_mapping(stub)
    as_json = json.loads(json.dumps(written))  # what a mapping file or the admin API would hold
    again = stub_from_mapping(as_json)
    assert again == stub
    assert stub_to_mapping(again) == written


def test_round_trip_writes_wiremock_field_names() -> None:
    mapping = {
        "id": "11111111-2222-4333-8444-555555555556",
        "request": {"method": "GET", "urlPath": "/x", "headers": {"Accept": {"equalTo": "a", "caseInsensitive": True}}},
        "response": {"status": 200, "statusMessage": "Fine", "headers": {"X": ["1", "2"]}, "body": "b"},
    }
    written = stub_to_mapping(stub_from_mapping(mapping))
    assert written["id"] == written["uuid"] == mapping["id"]
    assert written["request"] == mapping["request"]
    assert written["response"] == mapping["response"]


def test_a_round_tripped_stub_answers_like_the_original(server: MockServer, client: httpx.Client) -> None:
    original = {
        "request": {
            "method": "POST",
            "urlPathTemplate": "/u/{id}",
            "pathParameters": {"id": {"matches": "[0-9]+"}},
            "headers": {"X-Key": {"equalTo": "k"}},
            "bodyPatterns": [{"matchesJsonPath": {"expression": "$.n", "equalTo": "1"}}],
        },
        "response": {"status": 202, "statusMessage": "Queued", "jsonBody": {"ok": True}},
    }
    server.add_mapping(json.loads(json.dumps(stub_to_mapping(stub_from_mapping(original)))))
    response = client.post("/u/12", headers={"X-Key": "k"}, json={"n": 1})
    assert (response.status_code, response.reason_phrase, response.json()) == (202, "Queued", {"ok": True})
    assert client.post("/u/ab", headers={"X-Key": "k"}, json={"n": 1}).status_code == 404
    assert client.post("/u/12", headers={"X-Key": "k"}, json={"n": 2}).status_code == 404


# --- round trips of the richer matchers: the admin API gives back what was posted ------------------

MATCHER_ROUND_TRIPS = [
    pytest.param({"bodyPatterns": [{"equalToXml": "<a><b/></a>"}]}, id="equalToXml"),
    pytest.param(
        {
            "bodyPatterns": [
                {
                    "equalToXml": "<a>[[xmlunit.ignore]]</a>",
                    "enablePlaceholders": True,
                    "placeholderOpeningDelimiterRegex": "\\[\\[",
                    "placeholderClosingDelimiterRegex": "]]",
                    "exemptedComparisons": ["NAMESPACE_URI", "ELEMENT_TAG_NAME"],
                    "ignoreOrderOfSameNode": True,
                }
            ]
        },
        id="equalToXml-options",
    ),
    pytest.param({"bodyPatterns": [{"matchesXPath": "//a"}]}, id="matchesXPath"),
    pytest.param(
        {
            "bodyPatterns": [
                {"matchesXPath": {"expression": "//a/text()", "contains": "x"}, "xPathNamespaces": {"p": "u"}}
            ]
        },
        id="matchesXPath-object-namespaces",
    ),
    pytest.param(
        {
            "bodyPatterns": [
                {"matchesXPath": {"expression": "//a", "equalToXml": "<a/>", "ignoreOrderOfSameNode": True}}
            ]
        },
        id="matchesXPath-equalToXml",
    ),
    pytest.param({"bodyPatterns": [{"matchesJsonSchema": {"type": "object"}, "schemaVersion": "V4"}]}, id="schema"),
    pytest.param({"bodyPatterns": [{"matchesJsonSchema": '{"type": "string"}'}]}, id="schema-as-a-string"),
    pytest.param({"bodyPatterns": [{"binaryEqualTo": "AQID"}]}, id="binaryEqualTo"),
    pytest.param({"bodyPatterns": [{"equalToJson": {"id": "${json-unit.any-string}"}}]}, id="json-unit"),
    pytest.param(
        {
            "headers": {
                "X": {"and": [{"matches": "[a-z]+"}, {"not": {"contains": "b"}}, {"or": [{"anything": "anything"}]}]}
            }
        },
        id="and-or-not-anything",
    ),
    pytest.param(
        {
            "queryParameters": {"id": {"hasExactly": [{"equalTo": "1"}, {"contains": "2"}]}},
            "headers": {"X": {"includes": [{"equalTo": "a", "caseInsensitive": True}]}},
            "formParameters": {"tool": {"equalTo": "WireMock"}},
        },
        id="multi-value-and-form",
    ),
    pytest.param(
        {
            "multipartPatterns": [
                {
                    "name": "info",
                    "matchingType": "ALL",
                    "headers": {"Content-Disposition": {"contains": 'name="info"'}},
                    "bodyPatterns": [{"equalToJson": {}}, {"binaryEqualTo": "AQID"}],
                },
                {"headers": {"Content-Type": {"contains": "charset"}}},
            ]
        },
        id="multipart",
    ),
    pytest.param(
        {"scheme": "https", "host": {"equalTo": "example.com"}, "port": 8443, "clientIp": {"matches": "10\\..*"}},
        id="origin",
    ),
]


@pytest.mark.parametrize("request_fields", MATCHER_ROUND_TRIPS)
def test_matchers_round_trip_exactly(request_fields: dict[str, Any]) -> None:
    mapping = {"request": {"method": "POST", **request_fields}, "response": {"status": 200}}
    stub = stub_from_mapping(mapping)
    written = stub_to_mapping(stub)
    assert written["request"] == mapping["request"]
    again = stub_from_mapping(json.loads(json.dumps(written)))
    assert again == stub
    assert stub_to_mapping(again) == written


def test_a_custom_matcher_round_trips() -> None:
    import mockpit

    mockpit.register_matcher("always", lambda request, parameters: True)
    try:
        request = {"method": "GET", "customMatcher": {"name": "always", "parameters": {"a": [1, {"b": None}]}}}
        written = stub_to_mapping(stub_from_mapping({"request": request}))
    finally:
        mockpit.unregister_matcher("always")
    assert written["request"] == request


def test_basic_auth_is_written_under_the_name_wiremock_writes() -> None:
    stub = stub_from_mapping({"request": {"basicAuth": {"username": "u", "password": "p"}}})
    assert stub_to_mapping(stub)["request"]["basicAuthCredentials"] == {"username": "u", "password": "p"}


def test_posted_matchers_come_back_from_the_admin_api(server: MockServer, client: httpx.Client) -> None:
    request = {"method": "POST", "urlPath": "/rt", **MATCHER_ROUND_TRIPS[1].values[0]}
    posted = client.post("/__admin/mappings", json={"request": request, "response": {"status": 204}})
    assert posted.status_code == 201, posted.text
    fetched = client.get(f"/__admin/mappings/{posted.json()['id']}")
    assert fetched.json()["request"] == request
