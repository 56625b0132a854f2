"""Generated data: every value valid against its schema, the same for the same seed.

The property tests draw seeds, operations, ``Prefer`` headers and media types with hypothesis, send
the request to a real server serving a real document, and validate what comes back against the
document with jsonschema (openapi-schema-validator's dialects).
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockpit import MockServer
from mockpit._openapi.answers import _concrete
from mockpit._openapi.data import DataGenerator
from mockpit._openapi.document import OpenApiDocument, Operation, load_openapi

DATA = Path(__file__).resolve().parent / "data" / "openapi"
DOCUMENTS = {
    "petstore": DATA / "petstore.yaml",
    "petstore-swagger2": DATA / "petstore-expanded-swagger2.yaml",
    "kubernetes": DATA / "kubernetes-coordination-v1.json",
    "features-3.1": DATA / "features-3.1.yaml",
    "split": DATA / "split" / "api.yaml",
}
FEATURES = load_openapi(DOCUMENTS["features-3.1"])


def schema(document: OpenApiDocument, name: str) -> dict[str, Any]:
    return {"$ref": f"{document.uri}#/components/schemas/{name}"}


def generate(value: Any, seed: int = 0, *, dynamic: bool = False, mode: str = "read") -> Any:
    return DataGenerator(FEATURES, mode=mode).generate(value, random.Random(seed), dynamic=dynamic)  # type: ignore[arg-type]


# (schema, a check on the value beyond validity)
SCHEMAS: list[tuple[str, Any, Any]] = [
    ("integer bounds", {"type": "integer", "minimum": 5, "maximum": 7}, lambda v: 5 <= v <= 7),
    ("exclusive bounds 3.1", {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1}, lambda v: 0 < v < 1),
    ("multipleOf", {"type": "integer", "minimum": 10, "multipleOf": 7}, lambda v: v % 7 == 0 and v >= 10),
    ("pattern", {"type": "string", "pattern": "^[A-Z]{3}-[0-9]{2}$"}, lambda v: re.fullmatch("[A-Z]{3}-[0-9]{2}", v)),
    ("length", {"type": "string", "minLength": 30, "maxLength": 31}, lambda v: 30 <= len(v) <= 31),
    ("email", {"type": "string", "format": "email"}, lambda v: "@" in v),
    ("date-time", {"type": "string", "format": "date-time"}, lambda v: re.fullmatch(r"\d{4}-\d\d-\d\dT[\d:]{8}Z", v)),
    ("uuid", {"type": "string", "format": "uuid"}, lambda v: len(v) == 36),
    ("enum", {"enum": ["a", "b", None]}, lambda v: v in {"a", "b"}),
    ("const", {"const": {"k": [1]}}, lambda v: v == {"k": [1]}),
    ("nullable type list, static", {"type": ["string", "null"]}, lambda v: isinstance(v, str)),
    (
        "array bounds",
        {"type": "array", "minItems": 3, "maxItems": 3, "items": {"type": "boolean"}},
        lambda v: len(v) == 3,
    ),
    (
        "unique items",
        {"type": "array", "minItems": 3, "uniqueItems": True, "items": {"enum": [1, 2, 3]}},
        lambda v: sorted(v) == [1, 2, 3],
    ),
    (
        "required and optional properties",
        {"type": "object", "required": ["a"], "properties": {"a": {"type": "integer"}, "b": {"type": "string"}}},
        lambda v: set(v) == {"a", "b"},
    ),
    (
        "additionalProperties",
        {"type": "object", "additionalProperties": {"type": "integer"}, "minProperties": 2},
        lambda v: len(v) >= 2 and all(isinstance(x, int) for x in v.values()),
    ),
    (
        "allOf merges",
        {
            "allOf": [
                {"type": "object", "required": ["a"], "properties": {"a": {"type": "string"}}},
                {"required": ["b"], "properties": {"b": {"type": "integer"}}},
            ]
        },
        lambda v: {"a", "b"} <= set(v),
    ),
    ("oneOf with a discriminator", schema(FEATURES, "Shape"), lambda v: v["kind"] in {"circle", "square"}),
    ("anyOf", schema(FEATURES, "Thing"), lambda v: "email" in v or "ip" in v),
    ("an example in the schema is used", {"type": "integer", "example": 42}, lambda v: v == 42),
    ("an invalid example is not", {"type": "integer", "minimum": 100, "example": 42}, lambda v: v >= 100),
    (
        "writeOnly left out of what is read",
        {"type": "object", "properties": {"pw": {"type": "string", "writeOnly": True}}},
        lambda v: v == {},
    ),
]


@pytest.mark.parametrize(("case", "value", "check"), SCHEMAS, ids=[c for c, _, _ in SCHEMAS])
def test_generated_values(case: str, value: Any, check: Any) -> None:
    generator = DataGenerator(FEATURES)
    for seed in range(3):
        for dynamic in (False, True):
            generated = generator.generate(value, random.Random(seed), dynamic=dynamic)
            assert generator.conforms(generated, value), (case, generated)
            if not dynamic:  # dynamic values may leave optional parts out, or be null where allowed
                assert check(generated), (case, generated)


def test_read_only_is_left_out_of_what_is_written() -> None:
    value = {"type": "object", "properties": {"id": {"type": "integer", "readOnly": True}, "n": {"type": "string"}}}
    assert set(generate(value, mode="write")) == {"n"}
    assert set(generate(value, mode="read")) == {"id", "n"}


def test_recursion_is_cut_off() -> None:
    node = generate(schema(FEATURES, "Node"))
    depth = 0
    while node["children"]:
        node, depth = node["children"][0], depth + 1
    assert 1 <= depth <= 2  # one level of the schema inside itself, then only what is required


def test_the_same_seed_gives_the_same_value_and_other_seeds_other_values() -> None:
    things = schema(FEATURES, "Thing")
    assert generate(things, 11, dynamic=True) == generate(things, 11, dynamic=True)
    assert len({repr(generate(things, seed, dynamic=True)) for seed in range(10)}) > 3


# --- property: every response a document makes conforms to it --------------------------------------


class Served:
    """A document and a server serving it (not a dataclass: hypothesis would print all its fields)."""

    def __init__(self, document: OpenApiDocument, server: MockServer, client: httpx.Client) -> None:
        self.document, self.server, self.client = document, server, client
        self.operations = document.operations()

    def __repr__(self) -> str:
        return f"<Served {self.document.source}>"


@pytest.fixture(scope="module")
def served() -> Iterator[dict[str, Served]]:
    out: dict[str, Served] = {}
    try:
        for name, path in DOCUMENTS.items():
            document = load_openapi(path)
            server = MockServer(openapi=path).start()
            out[name] = Served(document, server, httpx.Client(base_url=server.url, timeout=10))
        yield out
    finally:
        for item in out.values():
            item.client.close()
            item.server.stop()


def _request(served: Served, operation: Operation, seed: int) -> tuple[str, dict[str, Any]]:
    """A valid request for ``operation``: parameters and body generated from the document, credentials."""
    writer = DataGenerator(served.document, mode="write")
    rng = random.Random(seed)
    path, query, headers = operation.path, {}, {}
    for parameter in operation.parameters:
        if parameter["in"] == "path":
            value = writer.generate(parameter.get("schema", {"type": "string"}), rng)
            path = path.replace("{" + parameter["name"] + "}", quote(str(value), safe=""))
        elif parameter.get("required") and parameter["in"] == "query":
            query[parameter["name"]] = str(writer.generate(parameter["schema"], rng))
    for scheme in served.document.security_schemes.values():
        if scheme["type"] == "apiKey":
            headers[scheme["name"]] = "key"
    if any(s.get("type") == "http" for s in served.document.security_schemes.values()):
        headers["Authorization"] = "Bearer token"
    kwargs: dict[str, Any] = {"params": query, "headers": headers}
    body = operation.request_body
    if body is not None and body.get("required"):
        media, entry = next(iter(body["content"].items()))
        kwargs["json"] = writer.generate(entry["schema"], rng)
        headers["Content-Type"] = media
    return path, kwargs


@settings(max_examples=60, deadline=None, database=None)
@given(data=st.data())
def test_every_response_conforms_to_its_document(served: dict[str, Served], data: st.DataObject) -> None:
    item = served[data.draw(st.sampled_from(sorted(served)), label="document")]
    operation = item.operations[data.draw(st.integers(0, len(item.operations) - 1), label="operation")]
    codes = [c for c in operation.responses if c.isdigit() or c == "default"]
    # (dynamic=true is left to the tests below: its answers change from request to request, which
    # hypothesis would take for a flaky test when it replays a failure)
    prefer = data.draw(st.sampled_from(["", *(f"code={c}" for c in codes if c.isdigit())]), label="prefer")
    seed = data.draw(st.integers(0, 2**16), label="request seed")
    accept = data.draw(st.integers(0, 7), label="accept")  # an index into the media types, drawn always
    path, kwargs = _request(item, operation, seed)
    if prefer:
        kwargs["headers"]["Prefer"] = prefer
    answered = operation.responses.get(prefer[5:] if prefer.startswith("code=") else "") or next(
        iter(operation.responses.values())
    )
    media_types = list(answered.get("content") or {})
    if media_types:
        kwargs["headers"]["Accept"] = media_types[accept % len(media_types)]

    response = item.client.request(operation.method, path, **kwargs)
    check_response(item, operation, response)


def check_response(item: Served, operation: Operation, response: httpx.Response) -> None:
    """The response's status, headers and body are as the document describes them."""
    assert response.status_code != 422, response.text
    key = str(response.status_code) if str(response.status_code) in operation.responses else "default"
    assert key in operation.responses, (operation.label, response.status_code)
    documented = operation.responses[key]
    for name in documented.get("headers") or {}:
        assert name.lower() == "content-type" or name in response.headers
    content = documented.get("content") or {}
    if not content:
        assert response.content == b""
        return
    sent_type = response.headers["content-type"]
    media = next(m for m in content if _concrete(m) == sent_type)
    entry = content[media]
    if "schema" in entry and ("json" in sent_type or sent_type == "application/yaml"):
        body = response.json() if "json" in sent_type else __import__("yaml").safe_load(response.text)
        validator = item.document.validator(entry["schema"], mode="read")
        errors = [e.message for e in validator.iter_errors(body)]
        assert not errors, (operation.label, response.request.headers.get("prefer"), body, errors)


@settings(max_examples=40, deadline=None, database=None)
@given(seed=st.integers(0, 2**32), dynamic=st.booleans(), name=st.sampled_from(sorted(DOCUMENTS)))
def test_every_component_schema_generates_valid_data(
    served: dict[str, Served], seed: int, dynamic: bool, name: str
) -> None:
    document = served[name].document
    generator = DataGenerator(document)
    for component in (document.root.get("components") or {}).get("schemas") or {}:
        value = schema(document, component)
        generated = generator.generate(value, random.Random(seed), dynamic=dynamic)
        errors = [e.message for e in document.validator(value, mode="read").iter_errors(generated)]
        assert not errors, (name, component, generated, errors)


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_every_dynamic_response_conforms_to_its_document(served: dict[str, Served], name: str) -> None:
    item = served[name]
    for i, operation in enumerate(item.operations * 3):
        path, kwargs = _request(item, operation, i)
        kwargs["headers"]["Prefer"] = "dynamic=true"
        check_response(item, operation, item.client.request(operation.method, path, **kwargs))
