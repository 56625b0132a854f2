"""``/__admin/openapi.json`` stays true: valid OpenAPI 3.1, every route documented, every documented
operation answering with a documented status whose body fits the documented schema."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from mockpit import MockServer
from mockpit._admin.api import AdminApi
from mockpit._engine.engine import Engine

ADMIN = "/__admin"
DOC = "urn:mockpit:admin-openapi"
STUB_ID = "d0c00000-0000-4000-8000-000000000000"
SCENARIO = "doc scenario"
STUB = {
    "id": STUB_ID,
    "name": "documented",
    "request": {"method": "GET", "urlPath": "/documented"},
    "response": {"status": 200, "jsonBody": {"ok": True}, "headers": {"X-A": ["1", "2"]}},
    "metadata": {"team": "docs"},
    "scenarioName": SCENARIO,
    "requiredScenarioState": "Started",
    "newScenarioState": "Read",
}
# a valid body for each operation that takes one
EXAMPLES: dict[tuple[str, str], Any] = {
    ("post", "/mappings"): STUB,
    ("put", "/mappings/{id}"): STUB,
    ("post", "/mappings/import"): {"mappings": [STUB], "importOptions": {"duplicatePolicy": "IGNORE"}},
    ("post", "/mappings/find-by-metadata"): {"matchesJsonPath": "$.team"},
    ("post", "/mappings/remove-by-metadata"): {"matchesJsonPath": "$.team"},
    ("post", "/requests/count"): {"method": "GET", "urlPath": "/documented"},
    ("post", "/requests/find"): {"method": "GET", "urlPath": "/documented"},
    ("post", "/requests/remove"): {"method": "GET", "urlPath": "/documented"},
    ("post", "/requests/remove-by-metadata"): {"equalToJson": {"team": "docs"}},
    ("post", "/near-misses/request"): {"url": "/documentd", "method": "GET", "headers": {"A": ["1", "2"]}},
    ("post", "/near-misses/request-pattern"): {"method": "GET", "urlPath": "/documentd"},
    ("put", "/scenarios/{name}/state"): {"state": "Read"},
    ("post", "/settings"): {"fixedDelay": 0, "extended": {"k": "v"}},
    ("put", "/settings"): {"fixedDelay": 0},
}
METHODS = ("get", "put", "post", "delete", "patch")


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    with MockServer() as server:
        response = httpx.get(f"{server.url}{ADMIN}/openapi.json", timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    doc: dict[str, Any] = response.json()
    return doc


def _operations(document: dict[str, Any]) -> list[tuple[str, str]]:
    """(method, path without the prefix) of every documented operation."""
    return [
        (method, path.removeprefix(ADMIN))
        for path, item in document["paths"].items()
        for method in METHODS
        if method in item
    ]


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    validate(document)
    assert document["openapi"].startswith("3.1")
    assert all(path == ADMIN or path.startswith(f"{ADMIN}/") for path in document["paths"])


def test_every_route_is_documented_and_every_documented_operation_is_routed(document: dict[str, Any]) -> None:
    routed = {(method.lower(), template) for method, template in AdminApi(Engine()).router.routes()}
    documented = set(_operations(document))
    assert routed - documented == set(), "routes missing from _admin/openapi.py"
    assert documented - routed == set(), "documented operations the router does not have"


_VALIDATORS: dict[str, Draft202012Validator] = {}


def _validator(document: dict[str, Any], schema: dict[str, Any]) -> Draft202012Validator:
    ref = schema["$ref"]
    if ref not in _VALIDATORS:
        registry: Registry[Any] = Registry().with_resource(
            DOC, Resource.from_contents(document, default_specification=DRAFT202012)
        )
        _VALIDATORS[ref] = Draft202012Validator({"$ref": DOC + ref}, registry=registry)
    return _VALIDATORS[ref]


def _check_answer(document: dict[str, Any], method: str, template: str, response: httpx.Response) -> None:
    operation = document["paths"][ADMIN + template][method]
    where = f"{method.upper()} {template} answered {response.status_code}: {response.text[:300]}"
    assert str(response.status_code) in operation["responses"], f"undocumented status: {where}"
    schema = operation["responses"][str(response.status_code)]["content"]["application/json"]["schema"]
    errors = sorted(_validator(document, schema).iter_errors(response.json()), key=str)
    assert not errors, f"{where}\ndoes not fit {schema['$ref']}: {[e.message for e in errors]}"


def _prepare(client: httpx.Client) -> dict[str, str]:
    """A stub, a scenario and a journaled request, and the path variables naming them."""
    client.post(f"{ADMIN}/reset")
    client.post(f"{ADMIN}/mappings", json=STUB)
    client.get("/documented")
    client.get("/not-documented")
    request_id = client.get(f"{ADMIN}/requests").json()["requests"][0]["id"]
    return {"id": STUB_ID, "name": SCENARIO, "request id": request_id}


def _url(template: str, variables: dict[str, str]) -> str:
    if template.startswith("/requests/{id}"):
        variables = {**variables, "id": variables["request id"]}
    path = template
    for name, value in variables.items():
        path = path.replace("{" + name + "}", quote(value, safe=""))
    return ADMIN + path


def test_every_documented_operation_answers_as_documented(document: dict[str, Any], tmp_path: Path) -> None:
    operations = sorted(_operations(document), key=lambda op: op[1] == "/shutdown")  # shutdown last
    with MockServer(root=tmp_path) as server, httpx.Client(base_url=server.url, timeout=10) as client:
        for method, template in operations:
            variables = _prepare(client)
            body = EXAMPLES.get((method, template))
            response = client.request(method, _url(template, variables), json=body)
            assert response.status_code < 400, f"{method.upper()} {template}: {response.text}"
            _check_answer(document, method, template, response)


def test_documented_errors_fit_the_error_schema(document: dict[str, Any]) -> None:
    with MockServer() as server, httpx.Client(base_url=server.url, timeout=10) as client:
        for method, template in _operations(document):
            operation = document["paths"][ADMIN + template][method]
            variables = _prepare(client)
            if "requestBody" in operation:
                # a field no endpoint knows
                response = client.request(method, _url(template, variables), json={"bogus": 1})
                assert response.status_code == 400, f"{method.upper()} {template}: {response.text}"
                _check_answer(document, method, template, response)
            if "{" in template:
                unknown = {"id": "no-such-id", "name": "no such scenario", "request id": "no-such-id"}
                response = client.request(method, _url(template, unknown), json=EXAMPLES.get((method, template)))
                assert response.status_code == 404, f"{method.upper()} {template}: {response.text}"
                _check_answer(document, method, template, response)
