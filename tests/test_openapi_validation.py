"""Requests checked against the document: each violation listed, with its location, as problem+json."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mockpit import MockServer

DATA = Path(__file__).resolve().parent / "data" / "openapi"
KEY = {"X-API-Key": "k"}


@pytest.fixture(scope="module")
def features() -> Iterator[httpx.Client]:
    with MockServer(openapi=DATA / "features-3.1.yaml") as server, httpx.Client(base_url=server.url) as client:
        yield client


@pytest.fixture(scope="module")
def split() -> Iterator[httpx.Client]:
    with MockServer(openapi=DATA / "split" / "api.yaml") as server, httpx.Client(base_url=server.url) as client:
        yield client


@pytest.fixture(scope="module")
def petstore() -> Iterator[httpx.Client]:
    with MockServer(openapi=DATA / "petstore.yaml") as server, httpx.Client(base_url=server.url) as client:
        yield client


def violations(response: httpx.Response) -> list[tuple[list[Any], str]]:
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == response.status_code
    assert problem["title"] == "The request does not match the OpenAPI document"
    return [(v["location"], v["message"]) for v in problem["violations"]]


# (request, the violations expected) on features-3.1.yaml
FEATURES: list[tuple[str, dict[str, Any], list[tuple[list[Any], str]]]] = [
    ("path parameter type", {"url": "/nodes/abc"}, [(["path", "nodeId"], "'abc' is not of type 'integer'")]),
    ("path parameter minimum", {"url": "/nodes/0"}, [(["path", "nodeId"], "0 is less than the minimum of 1")]),
    (
        "query parameter maximum",
        {"url": "/nodes/1?depth=9"},
        [(["query", "depth"], "9 is greater than the maximum of 3")],
    ),
    (
        "array query parameter, comma-separated, one value not in the enum",
        {"url": "/nodes/1?tags=red,pink"},
        [(["query", "tags", 1], "'pink' is not one of ['red', 'green', 'blue']")],
    ),
    (
        "header parameter format",
        {"url": "/nodes/1", "headers": {"X-Trace": "not-a-uuid"}},
        [(["header", "X-Trace"], "'not-a-uuid' is not a 'uuid'")],
    ),
    (
        "several violations at once, all listed",
        {"url": "/nodes/0?depth=-1&tags=pink"},
        [
            (["path", "nodeId"], "0 is less than the minimum of 1"),
            (["query", "depth"], "-1 is less than the minimum of 0"),
            (["query", "tags", 0], "'pink' is not one of ['red', 'green', 'blue']"),
        ],
    ),
]


@pytest.mark.parametrize(("case", "request_args", "expected"), FEATURES, ids=[c for c, _, _ in FEATURES])
def test_parameter_violations(
    case: str, request_args: dict[str, Any], expected: list[tuple[list[Any], str]], features: httpx.Client
) -> None:
    headers = {**KEY, **request_args.pop("headers", {})}
    response = features.get(**request_args, headers=headers)
    assert response.status_code == 422
    assert violations(response) == expected


def test_valid_parameters_pass(features: httpx.Client) -> None:
    response = features.get(
        "/nodes/3?depth=2&tags=red,blue",
        headers={**KEY, "X-Trace": "3f0c9b2e-5d1a-4c52-9a57-0e3c1f3d2a10"},
    )
    assert response.status_code == 200


def test_missing_credentials(features: httpx.Client) -> None:
    response = features.get("/nodes/1")
    assert response.status_code == 422
    assert violations(response) == [
        (["header", "X-API-Key"], "credentials are missing: send an API key in header X-API-Key (apiKey)")
    ]


def test_security_alternatives_and_an_operation_without_security(features: httpx.Client) -> None:
    shape = {"kind": "square", "side": 3}
    assert features.post("/shapes", json=shape, headers={"Authorization": "Bearer t"}).status_code == 201
    assert features.post("/shapes", json=shape, headers=KEY).status_code == 201
    missing = features.post("/shapes", json=shape)
    assert missing.status_code == 400  # the operation documents a 400 and no 422: its own status is used
    assert violations(missing) == [
        (
            ["security"],
            "credentials are missing: send an API key in header X-API-Key (apiKey) "
            "or a bearer token in the Authorization header (bearer)",
        )
    ]
    assert features.get("/things").status_code == 200  # security: [] overrides the document's


BODIES: list[tuple[str, dict[str, Any], list[tuple[list[Any], str]]]] = [
    ("no body", {}, [(["body"], "a request body is required (application/json, application/x-www-form-urlencoded)")]),
    (
        "a media type the operation does not take",
        {"content": b"<shape/>", "headers": {"Content-Type": "application/xml"}},
        [
            (
                ["header", "Content-Type"],
                "application/xml is not accepted here; send one of: "
                "application/json, application/x-www-form-urlencoded",
            )
        ],
    ),
    (
        "not JSON",
        {"content": b"{kind: circle}", "headers": {"Content-Type": "application/json"}},
        [
            (
                ["body"],
                "the request body is not valid JSON: "
                "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
            )
        ],
    ),
    (
        "one of several shapes, matching none",
        {"json": {"kind": "circle", "radius": 0}},
        [(["body"], "{'kind': 'circle', 'radius': 0} is not valid under any of the given schemas")],
    ),
    (
        "a form with a value of the wrong type",
        {"data": {"kind": "circle", "size": "-2"}},
        [(["body", "size"], "-2 is less than or equal to the minimum of 0")],
    ),
    (
        "a form missing a required field",
        {"data": {"size": "2"}},
        [(["body", "kind"], "'kind' is a required property")],
    ),
]


@pytest.mark.parametrize(("case", "request_args", "expected"), BODIES, ids=[c for c, _, _ in BODIES])
def test_body_violations(
    case: str, request_args: dict[str, Any], expected: list[tuple[list[Any], str]], features: httpx.Client
) -> None:
    headers = {**KEY, **request_args.pop("headers", {})}
    response = features.post("/shapes", **request_args, headers=headers)
    assert response.status_code == 400
    assert violations(response) == expected


def test_a_valid_form_body(features: httpx.Client) -> None:
    assert features.post("/shapes", data={"kind": "circle", "size": "2.5"}, headers=KEY).status_code == 201


def test_nested_body_violations_point_into_the_body(split: httpx.Client) -> None:
    response = split.post("/orders", json={"items": [{"sku": "ab", "quantity": 1, "x": 1}, {"quantity": 100}]})
    assert response.status_code == 422
    assert violations(response) == [
        (["body", "items", 0], "Additional properties are not allowed ('x' was unexpected)"),
        (["body", "items", 0, "sku"], "'ab' is too short"),
        (["body", "items", 1, "sku"], "'sku' is a required property"),
        (["body", "items", 1, "quantity"], "100 is greater than the maximum of 99"),
    ]


def test_a_path_parameter_from_another_file_with_a_pattern(split: httpx.Client) -> None:
    assert split.get("/orders/ord-1234").status_code == 200
    response = split.get("/orders/1234")
    assert violations(response) == [(["path", "orderId"], "'1234' does not match '^ord-[0-9]{4}$'")]


def test_the_problem_detail_names_the_operation(petstore: httpx.Client) -> None:
    problem = petstore.get("/pets?limit=x").json()
    assert problem["detail"] == "GET /pets (listPets): query.limit: 'x' is not of type 'integer'"
    assert problem["type"] == "urn:mockpit:problem:request-validation"


def test_validation_can_be_turned_off() -> None:
    with MockServer(openapi=DATA / "petstore.yaml", validate=False) as server:
        assert httpx.get(server.url_for("/pets?limit=x")).status_code == 200
        assert httpx.post(server.url_for("/pets"), content=b"nonsense").status_code == 201
