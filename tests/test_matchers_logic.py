"""and/or/not, hasExactly/includes, custom matchers, form parameters, request origin, binaryEqualTo and
JsonUnit placeholders over the wire, against WireMock's documented semantics."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

import mockpit
from _patterns import matches, sample
from mockpit import MappingError, MockServer, Request, stub_from_mapping

SHARED_SERVER = True
MATCHED = "matched"


def add(server: MockServer, request: dict[str, Any]) -> None:
    server.add_mapping({"request": {"urlPath": "/t", **request}, "response": {"body": MATCHED}})


def answered(response: httpx.Response) -> bool:
    assert response.status_code in {200, 404}, response.text
    return response.status_code == 200


# --- and / or / not / anything ---------------------------------------------------------------------

LOGICAL = [
    pytest.param({"and": [{"matches": "[a-z]+"}, {"contains": "magic"}]}, "themagicvalue", True, id="and"),
    pytest.param({"and": [{"matches": "[a-z]+"}, {"contains": "magic"}]}, "THEMAGICVALUE", False, id="and-one-fails"),
    pytest.param({"and": [{"matches": "[a-z]+"}, {"contains": "magic"}]}, "plain", False, id="and-other-fails"),
    pytest.param({"and": [{"contains": "a"}, {"doesNotContain": "b"}]}, "ac", True, id="and-negative"),
    pytest.param({"and": [{"contains": "a"}, {"doesNotContain": "b"}]}, "ab", False, id="and-negative-fails"),
    pytest.param({"and": [{"matches": "[a-z]+"}]}, None, False, id="and-absent"),
    pytest.param({"or": [{"matches": "[a-z]+"}, {"absent": True}]}, "abc", True, id="or-first"),
    pytest.param({"or": [{"matches": "[a-z]+"}, {"absent": True}]}, None, True, id="or-absent"),
    pytest.param({"or": [{"matches": "[a-z]+"}, {"absent": True}]}, "123", False, id="or-neither"),
    pytest.param({"or": [{"equalTo": "a"}, {"equalTo": "b"}]}, "b", True, id="or-second"),
    pytest.param({"not": {"equalTo": "test"}}, "live", True, id="not"),
    pytest.param({"not": {"equalTo": "test"}}, "test", False, id="not-fails"),
    pytest.param({"not": {"equalTo": "test"}}, None, True, id="not-absent"),
    pytest.param({"not": {"absent": True}}, "anything", True, id="not-absent-is-present"),
    pytest.param({"not": {"absent": True}}, None, False, id="not-absent-refuses-absent"),
    pytest.param({"not": {"or": [{"equalTo": "a"}, {"equalTo": "b"}]}}, "c", True, id="nested"),
    pytest.param({"not": {"or": [{"equalTo": "a"}, {"equalTo": "b"}]}}, "a", False, id="nested-fails"),
    pytest.param({"anything": "anything"}, "x", True, id="anything"),
    pytest.param({"anything": "anything"}, None, True, id="anything-absent"),
    pytest.param({"and": [{"equalToJson": {"a": 1}}, {"matchesJsonPath": "$.a"}]}, '{"a": 1}', True, id="and-json"),
]


@pytest.mark.parametrize(("pattern", "value", "should_match"), LOGICAL)
@pytest.mark.parametrize("where", ["headers", "queryParameters"])
def test_logical_operators_table(where: str, pattern: dict[str, Any], value: str | None, should_match: bool) -> None:
    if where == "headers":
        sent = Request("GET", "/t", headers=[] if value is None else [("X-Value", value)])
    else:
        sent = Request("GET", "/t", "" if value is None else urlencode({"X-Value": value}))
    assert matches({"urlPath": "/t", where: {"X-Value": pattern}}, sent) is should_match


@pytest.mark.parametrize(("pattern", "value", "should_match"), sample(LOGICAL))
@pytest.mark.parametrize("where", ["headers", "queryParameters"])
def test_logical_operators(
    server: MockServer, client: httpx.Client, where: str, pattern: dict[str, Any], value: str | None, should_match: bool
) -> None:
    add(server, {where: {"X-Value": pattern}})
    sent = {} if value is None else {"X-Value": value}
    response = client.get("/t", headers=sent) if where == "headers" else client.get("/t", params=sent)
    assert answered(response) is should_match


@pytest.mark.parametrize(
    ("pattern", "body", "should_match"),
    [
        pytest.param({"not": {"contains": "secret"}}, "public", True, id="not"),
        pytest.param({"not": {"contains": "secret"}}, "top secret", False, id="not-fails"),
        pytest.param({"or": [{"equalToJson": {"a": 1}}, {"equalToXml": "<a>1</a>"}]}, "<a> 1 </a>", True, id="or"),
        pytest.param({"or": [{"equalToJson": {"a": 1}}, {"equalToXml": "<a>1</a>"}]}, '{"a":1}', True, id="or-2"),
        pytest.param({"or": [{"equalToJson": {"a": 1}}, {"equalToXml": "<a>1</a>"}]}, "a=1", False, id="or-none"),
        pytest.param(
            {"matchesJsonPath": {"expression": "$.n", "and": [{"matches": "[0-9]+"}, {"not": {"equalTo": "0"}}]}},
            '{"n": 42}',
            True,
            id="json-path-and",
        ),
        pytest.param(
            {"matchesJsonPath": {"expression": "$.n", "and": [{"matches": "[0-9]+"}, {"not": {"equalTo": "0"}}]}},
            '{"n": 0}',
            False,
            id="json-path-and-fails",
        ),
    ],
)
def test_logical_operators_on_bodies(
    server: MockServer, client: httpx.Client, pattern: dict[str, Any], body: str, should_match: bool
) -> None:
    add(server, {"bodyPatterns": [pattern]})
    assert answered(client.post("/t", content=body.encode())) is should_match


# --- hasExactly / includes ---------------------------------------------------------------------------

EQ = [{"equalTo": "1"}, {"equalTo": "2"}, {"equalTo": "3"}]
MIXED = [{"equalTo": "1"}, {"contains": "2"}, {"doesNotContain": "3"}]

MULTI = [
    pytest.param({"hasExactly": EQ}, ["1", "2", "3"], True, id="hasExactly"),
    pytest.param({"hasExactly": EQ}, ["3", "1", "2"], True, id="hasExactly-any-order"),
    pytest.param({"hasExactly": EQ}, ["1", "2"], False, id="hasExactly-missing-one"),
    pytest.param({"hasExactly": EQ}, ["1", "2", "3", "4"], False, id="hasExactly-extra-value"),
    pytest.param({"hasExactly": EQ}, ["1", "2", "4"], False, id="hasExactly-wrong-value"),
    pytest.param({"hasExactly": EQ}, [], False, id="hasExactly-absent"),
    pytest.param({"hasExactly": MIXED}, ["1", "22", "4"], True, id="hasExactly-matchers"),
    pytest.param({"hasExactly": MIXED}, ["1", "22", "33"], True, id="hasExactly-as-WireMock-counts"),
    pytest.param({"hasExactly": [{"equalTo": "1"}]}, ["1"], True, id="hasExactly-one-value"),
    pytest.param({"includes": EQ}, ["1", "2", "3"], True, id="includes"),
    pytest.param({"includes": EQ}, ["4", "3", "2", "1"], True, id="includes-others-allowed"),
    pytest.param({"includes": EQ}, ["1", "2"], False, id="includes-missing-one"),
    pytest.param({"includes": EQ}, [], False, id="includes-absent"),
    pytest.param({"includes": MIXED}, ["1", "x2"], True, id="includes-matchers"),
    pytest.param({"includes": [{"absent": True}]}, [], False, id="includes-absent-pattern"),
    # a single pattern: any one value may match it (WireMock's best match)
    pytest.param({"equalTo": "2"}, ["1", "2"], True, id="single-pattern-any-value"),
    pytest.param({"equalTo": "2"}, ["1", "3"], False, id="single-pattern-no-value"),
]


@pytest.mark.parametrize(("pattern", "values", "should_match"), MULTI)
def test_multi_valued_table(pattern: dict[str, Any], values: list[str], should_match: bool) -> None:
    as_query = Request("GET", "/t", urlencode([("id", v) for v in values]))
    assert matches({"urlPath": "/t", "queryParameters": {"id": pattern}}, as_query) is should_match
    as_headers = Request("GET", "/t", headers=[("X-Id", v) for v in values])
    assert matches({"urlPath": "/t", "headers": {"X-Id": pattern}}, as_headers) is should_match


@pytest.mark.parametrize(("pattern", "values", "should_match"), sample(MULTI))
def test_multi_valued_query_parameters(
    server: MockServer, client: httpx.Client, pattern: dict[str, Any], values: list[str], should_match: bool
) -> None:
    add(server, {"queryParameters": {"id": pattern}})
    assert answered(client.get("/t", params=[("id", v) for v in values])) is should_match


@pytest.mark.parametrize(("pattern", "values", "should_match"), sample(MULTI))
def test_multi_valued_headers(
    server: MockServer, client: httpx.Client, pattern: dict[str, Any], values: list[str], should_match: bool
) -> None:
    add(server, {"headers": {"X-Id": pattern}})
    # one header line per value, as a client sends a header given several times
    assert answered(client.get("/t", headers=[("X-Id", v) for v in values])) is should_match


# --- formParameters ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "form", "should_match"),
    [
        pytest.param({"tool": {"equalTo": "WireMock"}}, {"tool": "WireMock"}, True, id="equalTo"),
        pytest.param({"tool": {"equalTo": "WireMock"}}, {"tool": "mockpit"}, False, id="equalTo-miss"),
        pytest.param({"tool": {"equalTo": "a b&c"}}, {"tool": "a b&c"}, True, id="decoded"),
        pytest.param({"tool": {"absent": True}}, {"other": "x"}, True, id="absent"),
        pytest.param({"tool": {"equalTo": "x"}}, {}, False, id="missing"),
        pytest.param(
            {"tag": {"hasExactly": [{"equalTo": "a"}, {"equalTo": "b"}]}}, {"tag": ["b", "a"]}, True, id="hasExactly"
        ),
        pytest.param({"tag": {"includes": [{"equalTo": "c"}]}}, {"tag": ["a", "b"]}, False, id="includes-miss"),
        pytest.param({"a": {"equalTo": "1"}, "b": {"equalTo": "2"}}, {"a": "1", "b": "2"}, True, id="two-fields"),
    ],
)
def test_form_parameters(
    server: MockServer, client: httpx.Client, pattern: dict[str, Any], form: dict[str, Any], should_match: bool
) -> None:
    add(server, {"method": "POST", "formParameters": pattern})
    assert answered(client.post("/t", data=form)) is should_match


def test_form_parameters_need_a_form_body(server: MockServer, client: httpx.Client) -> None:
    add(server, {"method": "POST", "formParameters": {"tool": {"equalTo": "WireMock"}}})
    assert answered(client.post("/t", content=b"tool=WireMock", headers={"Content-Type": "text/plain"})) is False
    assert answered(client.post("/t", json={"tool": "WireMock"})) is False
    form = {"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"}
    assert answered(client.post("/t", content=b"tool=WireMock", headers=form)) is True


# --- scheme, host, port, client IP ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_fields", "headers", "should_match"),
    [
        pytest.param({"scheme": "http"}, {}, True, id="scheme"),
        pytest.param({"scheme": "https"}, {}, False, id="scheme-miss"),
        pytest.param({"host": {"equalTo": "api.example.com"}}, {"Host": "api.example.com"}, True, id="host"),
        pytest.param({"host": {"equalTo": "api.example.com"}}, {"Host": "api.example.com:8080"}, True, id="host-port"),
        pytest.param({"host": {"equalTo": "api.example.com"}}, {"Host": "www.example.com"}, False, id="host-miss"),
        pytest.param({"host": {"matches": ".*\\.example\\.com"}}, {"Host": "a.example.com"}, True, id="host-regex"),
        pytest.param({"port": 8080}, {"Host": "api.example.com:8080"}, True, id="port"),
        pytest.param({"port": 8080}, {"Host": "api.example.com:8081"}, False, id="port-miss"),
        pytest.param({"port": 80}, {"Host": "api.example.com"}, True, id="port-default-http"),
        pytest.param({"host": {"equalTo": "[::1]"}, "port": 9}, {"Host": "[::1]:9"}, True, id="ipv6-host"),
        pytest.param({"clientIp": {"equalTo": "127.0.0.1"}}, {}, True, id="clientIp"),
        pytest.param({"clientIp": {"equalTo": "10.0.0.1"}}, {}, False, id="clientIp-miss"),
        pytest.param({"clientIp": {"equalTo": "10.1.2.3"}}, {"X-Forwarded-For": "10.1.2.3"}, True, id="forwarded"),
        pytest.param(
            {"clientIp": {"matches": "127\\..*"}}, {"X-Forwarded-For": "10.1.2.3"}, False, id="forwarded-wins"
        ),
    ],
)
def test_request_origin(
    server: MockServer,
    client: httpx.Client,
    request_fields: dict[str, Any],
    headers: dict[str, str],
    should_match: bool,
) -> None:
    add(server, request_fields)
    assert answered(client.get("/t", headers=headers)) is should_match


def test_the_port_the_client_used(server: MockServer, client: httpx.Client) -> None:
    add(server, {"port": httpx.URL(server.url).port})
    assert answered(client.get("/t"))


# --- binaryEqualTo and basicAuth -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "should_match"),
    [
        pytest.param(b"\x01\x02\x03", True, id="same"),
        pytest.param(b"\x01\x02", False, id="shorter"),
        pytest.param(b"\x01\x02\x03\x04", False, id="longer"),
        pytest.param(b"", False, id="empty"),
    ],
)
def test_binary_equal_to(server: MockServer, client: httpx.Client, body: bytes, should_match: bool) -> None:
    add(server, {"method": "POST", "bodyPatterns": [{"binaryEqualTo": "AQID"}]})
    assert answered(client.post("/t", content=body)) is should_match


def test_binary_equal_to_compares_bytes_that_are_not_utf8(server: MockServer, client: httpx.Client) -> None:
    add(server, {"method": "POST", "bodyPatterns": [{"binaryEqualTo": "/w=="}]})  # b"\xff"
    assert answered(client.post("/t", content=b"\xff"))
    assert not answered(client.post("/t", content="\ufffd".encode()))


def test_basic_auth_under_its_wiremock_3_name(server: MockServer, client: httpx.Client) -> None:
    add(server, {"basicAuth": {"username": "user", "password": "pass"}})
    assert answered(client.get("/t", auth=("user", "pass")))
    assert not answered(client.get("/t", auth=("user", "nope")))


# --- JsonUnit placeholders in equalToJson --------------------------------------------------------------

PLACEHOLDERS = {
    "id": "${json-unit.any-string}",
    "count": "${json-unit.any-number}",
    "active": "${json-unit.any-boolean}",
    "code": "${json-unit.regex}[A-Z]{3}",
    "trace": "${json-unit.ignore}",
    "note": "${json-unit.ignore-element}",
}
GOOD = {"id": "abc", "count": 2.5, "active": False, "code": "ABC", "trace": {"any": ["thing"]}, "note": None}


@pytest.mark.parametrize(
    ("body", "should_match"),
    [
        pytest.param(GOOD, True, id="all"),
        pytest.param({k: v for k, v in GOOD.items() if k != "note"}, True, id="ignore-element-may-be-missing"),
        pytest.param({k: v for k, v in GOOD.items() if k != "trace"}, False, id="ignore-must-be-present"),
        pytest.param({**GOOD, "id": 1}, False, id="any-string"),
        pytest.param({**GOOD, "count": "2"}, False, id="any-number"),
        pytest.param({**GOOD, "count": True}, False, id="boolean-is-not-a-number"),
        pytest.param({**GOOD, "active": "false"}, False, id="any-boolean"),
        pytest.param({**GOOD, "code": "ABCD"}, False, id="regex-whole-value"),
        pytest.param({**GOOD, "extra": 1}, False, id="extra-field"),
    ],
)
def test_json_unit_placeholders(server: MockServer, client: httpx.Client, body: Any, should_match: bool) -> None:
    add(server, {"method": "POST", "bodyPatterns": [{"equalToJson": PLACEHOLDERS}]})
    assert answered(client.post("/t", json=body)) is should_match


def test_placeholders_in_a_json_string_and_arrays(server: MockServer, client: httpx.Client) -> None:
    add(server, {"method": "POST", "bodyPatterns": [{"equalToJson": '["${json-unit.any-number}", 2]'}]})
    assert answered(client.post("/t", json=[1, 2]))
    assert not answered(client.post("/t", json=["1", 2]))


# --- custom matchers -----------------------------------------------------------------------------------


@pytest.fixture
def tenant_matcher() -> Iterator[list[Mapping[str, Any]]]:
    seen: list[Mapping[str, Any]] = []

    def has_tenant(request: Request, parameters: Mapping[str, Any]) -> bool:
        seen.append(parameters)
        return request.headers.get("X-Tenant") == parameters["tenant"]

    mockpit.register_matcher("has-tenant", has_tenant)
    yield seen
    mockpit.unregister_matcher("has-tenant")


@pytest.mark.parametrize(
    ("path", "tenant", "should_match"),
    [
        pytest.param("/t", "acme", True, id="accepted"),
        pytest.param("/t", "other", False, id="rejected"),
        pytest.param("/t", None, False, id="rejected-missing"),
        pytest.param("/elsewhere", "acme", False, id="other-fields-first"),
    ],
)
def test_custom_matcher(
    server: MockServer,
    client: httpx.Client,
    tenant_matcher: list[Mapping[str, Any]],
    path: str,
    tenant: str | None,
    should_match: bool,
) -> None:
    add(server, {"customMatcher": {"name": "has-tenant", "parameters": {"tenant": "acme"}}})
    headers = {} if tenant is None else {"X-Tenant": tenant}
    assert answered(client.get(path, headers=headers)) is should_match
    # with the stub's parameters, read-only
    if path == "/t":
        assert tenant_matcher
    assert all(parameters == {"tenant": "acme"} for parameters in tenant_matcher)


def test_a_custom_matcher_cannot_change_its_parameters(server: MockServer, client: httpx.Client) -> None:
    def greedy(request: Request, parameters: Mapping[str, Any]) -> bool:
        parameters["n"] = 2  # type: ignore[index]
        return True

    mockpit.register_matcher("greedy", greedy)
    try:
        add(server, {"customMatcher": {"name": "greedy", "parameters": {"n": 1}}})
        assert not answered(client.get("/t"))  # it raised TypeError: no match, and the report says why
        (event,) = server.unmatched
        (difference,) = server.near_misses(event)[0].differences
        assert difference.field == "custom matcher"
        assert difference.expected == "'greedy' with {'n': 1} accepts the request"
        assert difference.actual.startswith("it raised TypeError")
    finally:
        mockpit.unregister_matcher("greedy")


def test_near_miss_says_the_custom_matcher_rejected_it(
    server: MockServer, client: httpx.Client, tenant_matcher: list[Mapping[str, Any]]
) -> None:
    add(server, {"customMatcher": {"name": "has-tenant", "parameters": {"tenant": "acme"}}})
    assert not answered(client.get("/t", headers={"X-Tenant": "other"}))
    (event,) = server.unmatched
    (difference,) = server.near_misses(event)[0].differences
    assert (difference.field, difference.actual) == ("custom matcher", "it rejected the request")


def test_an_unknown_custom_matcher_is_refused_naming_the_registered_ones(
    tenant_matcher: list[Mapping[str, Any]],
) -> None:
    with pytest.raises(MappingError) as info:
        stub_from_mapping({"request": {"customMatcher": {"name": "has-tenat"}}}, source="m.json")
    assert info.value.field == "request.customMatcher.name"
    assert "'has-tenat'" in info.value.message
    assert "registered: has-tenant" in info.value.message
    assert "mockpit.register_matcher" in info.value.message


def test_register_matcher_checks_its_arguments() -> None:
    with pytest.raises(ValueError, match="non-empty name"):
        mockpit.register_matcher("", lambda request, parameters: True)
    with pytest.raises(TypeError, match="callable"):
        mockpit.register_matcher("x", "not callable")  # type: ignore[arg-type]
    with pytest.raises(KeyError, match="no custom matcher named 'never'"):
        mockpit.unregister_matcher("never")


# --- near misses of multi-valued fields and bad definitions ------------------------------------------


def test_near_miss_of_has_exactly(server: MockServer, client: httpx.Client) -> None:
    add(server, {"queryParameters": {"id": {"hasExactly": [{"equalTo": "1"}, {"equalTo": "2"}]}}})
    assert not answered(client.get("/t", params=[("id", "1"), ("id", "3")]))
    (event,) = server.unmatched
    (difference,) = server.near_misses(event)[0].differences
    assert difference.field == "query parameter id"
    assert difference.expected == "hasExactly [equalTo '1', equalTo '2']"
    assert difference.actual == "['1', '3']"
    assert 0 < difference.distance < 1


@pytest.mark.parametrize(
    ("request_fields", "field", "fragment"),
    [
        pytest.param({"headers": {"X": {"and": []}}}, "request.headers.X.and", "at least 1", id="empty-and"),
        pytest.param({"headers": {"X": {"and": {"equalTo": "a"}}}}, "request.headers.X.and", "list", id="and-object"),
        pytest.param(
            {"headers": {"X": {"or": [{"matches": "("}]}}},
            "request.headers.X.or[0].matches",
            "invalid regular expression",
            id="bad-regex-in-or",
        ),
        pytest.param(
            {"headers": {"X": {"not": {"equalto": "a"}}}}, "request.headers.X.not.equalto", "unknown field", id="not"
        ),
        pytest.param(
            {"queryParameters": {"q": {"hasExactly": [{"equalTo": "a"}], "includes": [{"equalTo": "b"}]}}},
            "request.queryParameters.q",
            "exactly one",
            id="hasExactly-and-includes",
        ),
        pytest.param(
            {"cookies": {"c": {"hasExactly": [{"equalTo": "a"}]}}},
            "request.cookies.c.hasExactly",
            "unknown field",
            id="hasExactly-on-a-cookie",
        ),
        pytest.param(
            {"headers": {"X": {"binaryEqualTo": "AQID"}}}, "request.headers.X.binaryEqualTo", "unknown", id="binary"
        ),
        pytest.param({"bodyPatterns": [{"absent": True}]}, "request.bodyPatterns[0]", "empty body", id="absent-body"),
        pytest.param({"port": 0}, "request.port", "greater than or equal to 1", id="port-zero"),
        pytest.param({"scheme": "HTTPS"}, "request.scheme", "'http' or 'https'", id="scheme-case"),
        pytest.param(
            {
                "basicAuth": {"username": "a", "password": "b"},
                "basicAuthCredentials": {"username": "a", "password": "b"},
            },
            "request",
            "same field",
            id="both-basic-auth-names",
        ),
        pytest.param(
            {"bodyPatterns": [{"equalToJson": {"a": "${json-unit.matches:id}"}}]},
            "request.bodyPatterns[0].equalToJson",
            "json-unit.matches:id",
            id="unsupported-json-unit-placeholder",
        ),
        pytest.param(
            {"customMatcher": {"name": "x", "params": {}}},
            "request.customMatcher.name",
            "request.customMatcher.params: unknown field 'params'",
            id="params",
        ),
    ],
)
def test_bad_definitions_name_the_field(request_fields: dict[str, Any], field: str, fragment: str) -> None:
    with pytest.raises(MappingError) as info:
        stub_from_mapping({"request": request_fields})
    assert info.value.field == field
    assert fragment in info.value.message


def test_the_custom_matcher_is_asked_only_when_everything_else_matched() -> None:
    from mockpit._matching.pattern import compile_pattern

    calls: list[str] = []

    def counting(request: Request, parameters: Mapping[str, Any]) -> bool:
        calls.append(request.path)
        return True

    mockpit.register_matcher("counting", counting)
    try:
        stub = stub_from_mapping({"request": {"urlPath": "/t", "customMatcher": {"name": "counting"}}})
        compiled = compile_pattern(stub.request)
    finally:
        mockpit.unregister_matcher("counting")
    # the function was bound when the stub loaded: unregistering it changes nothing for the stub
    miss = compiled.match(Request("GET", "/other"))
    assert not miss.matched
    assert [d.field for d in miss.differences] == ["urlPath"]
    assert miss.distance > 0
    assert compiled.rough_distance(Request("GET", "/other")) > 0
    assert calls == []
    assert compiled.match(Request("GET", "/t")).matched
    assert calls == ["/t"]
