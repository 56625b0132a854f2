"""matchesJsonSchema over the wire: bodies and single values, each JSON Schema draft WireMock names."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from _patterns import matches, sample
from mockpit import MappingError, MockServer, Request, stub_from_mapping

SHARED_SERVER = True
MATCHED = "matched"

PERSON = {
    "type": "object",
    "required": ["name"],
    "properties": {"name": {"type": "string"}, "tag": {"type": "string"}},
}


def add(server: MockServer, pattern: dict[str, Any]) -> None:
    server.add_mapping(
        {"request": {"method": "POST", "urlPath": "/s", "bodyPatterns": [pattern]}, "response": {"body": MATCHED}}
    )


def outcome(client: httpx.Client, body: str) -> bool:
    response = client.post("/s", content=body.encode())
    assert response.status_code in {200, 404}, response.text
    return response.status_code == 200


BODIES = [
    pytest.param(PERSON, '{"name": "Ada"}', True, id="conforms"),
    pytest.param(PERSON, '{"name": "Ada", "tag": "x", "extra": 1}', True, id="extra-properties-allowed"),
    pytest.param(PERSON, '{"tag": "x"}', False, id="required-missing"),
    pytest.param(PERSON, '{"name": 7}', False, id="wrong-type"),
    pytest.param(PERSON, "[]", False, id="array-not-object"),
    pytest.param(PERSON, "not json", False, id="not-json"),
    pytest.param(PERSON, "", False, id="empty-body"),
    pytest.param(json.dumps(PERSON), '{"name": "Ada"}', True, id="schema-as-a-string"),
    pytest.param(json.dumps(PERSON), "{}", False, id="schema-as-a-string-miss"),
    pytest.param({"type": "array", "items": {"type": "integer"}, "minItems": 2}, "[1, 2]", True, id="array"),
    pytest.param({"type": "array", "items": {"type": "integer"}, "minItems": 2}, "[1]", False, id="array-too-short"),
    pytest.param({"type": "string"}, "plain text", True, id="non-json-is-a-string"),
    pytest.param({"type": "string", "maxLength": 3}, "plain text", False, id="non-json-string-too-long"),
    pytest.param({"type": "string"}, "42", True, id="number-retried-as-string"),
    pytest.param({"type": "integer"}, "42", True, id="number"),
    pytest.param({"type": "integer", "minimum": 50}, "42", False, id="number-below-minimum"),
    pytest.param(True, '{"anything": 1}', True, id="schema-true"),
    pytest.param({"not": {}}, "{}", False, id="schema-never"),
]


def _sent(body: str) -> Request:
    return Request("POST", "/s", body=body.encode())


def _pattern(body_pattern: dict[str, Any]) -> dict[str, Any]:
    return {"method": "POST", "urlPath": "/s", "bodyPatterns": [body_pattern]}


@pytest.mark.parametrize(("schema", "body", "should_match"), BODIES)
def test_body_table(schema: Any, body: str, should_match: bool) -> None:
    assert matches(_pattern({"matchesJsonSchema": schema}), _sent(body)) is should_match


@pytest.mark.parametrize(("schema", "body", "should_match"), sample(BODIES))
def test_body(server: MockServer, client: httpx.Client, schema: Any, body: str, should_match: bool) -> None:
    add(server, {"matchesJsonSchema": schema})
    assert outcome(client, body) is should_match


def _n(schema: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": {"n": schema}}


# Each row uses a keyword whose meaning differs between drafts: the chosen draft must decide.
VERSIONS = [
    # exclusiveMinimum: a boolean modifier in draft 4, a number from draft 6 on (in an object: a number
    # failing on its own would get WireMock's second chance as a string, which "minimum" does not constrain)
    pytest.param("V4", _n({"minimum": 5, "exclusiveMinimum": True}), '{"n": 5}', False, id="V4-exclusiveMinimum"),
    pytest.param("V4", _n({"minimum": 5, "exclusiveMinimum": True}), '{"n": 6}', True, id="V4-exclusiveMinimum-ok"),
    pytest.param("V6", _n({"exclusiveMinimum": 5}), '{"n": 5}', False, id="V6-exclusiveMinimum"),
    pytest.param("V6", _n({"exclusiveMinimum": 5}), '{"n": 6}', True, id="V6-exclusiveMinimum-ok"),
    # const: unknown (ignored) in draft 4, a constraint from draft 6 on
    pytest.param("V4", {"const": "x"}, '"y"', True, id="V4-const-unknown"),
    pytest.param("V6", {"const": "x"}, '"y"', False, id="V6-const"),
    # if/then: from draft 7 on
    pytest.param("V6", {"if": {"type": "string"}, "then": {"maxLength": 1}}, '"long"', True, id="V6-if-unknown"),
    pytest.param("V7", {"if": {"type": "string"}, "then": {"maxLength": 1}}, '"long"', False, id="V7-if"),
    # dependentRequired: from 2019-09 on
    pytest.param("V7", {"dependentRequired": {"a": ["b"]}}, '{"a": 1}', True, id="V7-dependentRequired-unknown"),
    pytest.param("V201909", {"dependentRequired": {"a": ["b"]}}, '{"a": 1}', False, id="V201909-dependentRequired"),
    # prefixItems: from 2020-12 on (2019-09 ignores it)
    pytest.param("V201909", {"prefixItems": [{"type": "string"}]}, "[1]", True, id="V201909-prefixItems-unknown"),
    pytest.param("V202012", {"prefixItems": [{"type": "string"}]}, "[1]", False, id="V202012-prefixItems"),
    pytest.param(None, {"prefixItems": [{"type": "string"}]}, "[1]", False, id="default-is-V202012"),
]


@pytest.mark.parametrize(("version", "schema", "body", "should_match"), VERSIONS)
def test_schema_version_table(version: str | None, schema: Any, body: str, should_match: bool) -> None:
    pattern = _pattern({"matchesJsonSchema": schema, **({"schemaVersion": version} if version else {})})
    assert matches(pattern, _sent(body)) is should_match


@pytest.mark.parametrize(("version", "schema", "body", "should_match"), sample(VERSIONS))
def test_schema_version(
    server: MockServer, client: httpx.Client, version: str | None, schema: Any, body: str, should_match: bool
) -> None:
    add(server, {"matchesJsonSchema": schema, **({"schemaVersion": version} if version else {})})
    assert outcome(client, body) is should_match


@pytest.mark.parametrize(
    ("value", "should_match"),
    [
        pytest.param("5", True, id="integer"),
        pytest.param("11", False, id="too-big"),
        pytest.param("x", False, id="not-a-number"),
        pytest.param(None, False, id="absent"),
    ],
)
def test_a_query_parameter(server: MockServer, client: httpx.Client, value: str | None, should_match: bool) -> None:
    server.add_mapping(
        {
            "request": {"queryParameters": {"n": {"matchesJsonSchema": {"type": "integer", "maximum": 10}}}},
            "response": {"body": MATCHED},
        }
    )
    response = client.get("/", params={} if value is None else {"n": value})
    assert (response.status_code == 200) is should_match


def test_a_json_path_sub_pattern(server: MockServer, client: httpx.Client) -> None:
    add(server, {"matchesJsonPath": {"expression": "$.user", "matchesJsonSchema": PERSON}})
    assert outcome(client, '{"user": {"name": "Ada"}}')
    assert not outcome(client, '{"user": {"tag": "x"}}')


def test_a_remote_ref_is_never_fetched(server: MockServer, client: httpx.Client) -> None:
    server.add_mapping({"request": {"urlPath": "/schema.json"}, "response": {"jsonBody": {"type": "object"}}})
    add(server, {"matchesJsonSchema": {"$ref": server.url_for("/schema.json")}})
    assert not outcome(client, "{}")
    assert [e for e in server.requests() if e.request.path == "/schema.json"] == []
    (event,) = server.unmatched
    (difference,) = server.near_misses(event)[0].differences
    assert "does not fetch" in difference.actual


def test_near_miss_gives_the_schema_error(server: MockServer, client: httpx.Client) -> None:
    add(server, {"matchesJsonSchema": PERSON, "schemaVersion": "V7"})
    assert not outcome(client, '{"tag": "x"}')
    (event,) = server.unmatched
    (difference,) = server.near_misses(event)[0].differences
    assert difference.field == "body"
    assert difference.expected.startswith("matchesJsonSchema {")
    assert difference.expected.endswith("(V7)")
    assert "'name' is a required property" in difference.actual
    assert 0 < difference.distance <= 1


@pytest.mark.parametrize(
    ("pattern", "field", "fragment"),
    [
        pytest.param({"matchesJsonSchema": {"type": 5}}, "matchesJsonSchema", "not a valid V202012", id="bad-type"),
        pytest.param(
            {"matchesJsonSchema": {"minimum": "x"}, "schemaVersion": "V4"},
            "matchesJsonSchema",
            "not a valid V4",
            id="bad-for-version",
        ),
        pytest.param(
            {"matchesJsonSchema": {"exclusiveMinimum": True}, "schemaVersion": "V7"},
            "matchesJsonSchema",
            "not a valid V7",
            id="draft-4-form-in-V7",
        ),
        pytest.param({"matchesJsonSchema": "{not json"}, "matchesJsonSchema", "not valid JSON", id="string-not-json"),
        pytest.param(
            {"matchesJsonSchema": {}, "schemaVersion": "V3"}, "schemaVersion", "V202012", id="unknown-version"
        ),
        pytest.param({"equalTo": "x", "schemaVersion": "V7"}, "", "only goes with matchesJsonSchema", id="stray"),
    ],
)
def test_bad_definitions_name_the_field(pattern: dict[str, Any], field: str, fragment: str) -> None:
    with pytest.raises(MappingError) as info:
        stub_from_mapping({"request": {"bodyPatterns": [pattern]}})
    assert info.value.field == "request.bodyPatterns[0]" + (f".{field}" if field else "")
    assert fragment in info.value.message
