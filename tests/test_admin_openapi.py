"""``/__admin/openapi.json`` stays true: valid OpenAPI 3.1, every route documented, every documented
operation answering with a documented status whose body fits the documented schema, and the request
bodies the server takes fitting the documented request schemas, which are those of the models that
check them."""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import yaml
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from pydantic import BaseModel
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from websockets.sync.client import connect

from mockpit import MockServer
from mockpit._admin import payloads
from mockpit._admin.api import AdminApi
from mockpit._admin.openapi import _BODIES, _INNER
from mockpit._engine.engine import Engine
from mockpit._mapping import models
from mockpit._protocols.websocket import WebSocketHub

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
MESSAGE_STUB_ID = "d0c00000-0000-4000-8000-00000000000a"
MESSAGE_STUB = {
    "id": MESSAGE_STUB_ID,
    "name": "documented socket",
    "trigger": {
        "type": "message",
        "channel": {"type": "websocket", "initiatingRequestPattern": {"urlPath": "/socket"}},
        "message": {"body": {"equalTo": "ping"}},
    },
    "actions": [{"type": "send", "message": {"body": {"data": "pong"}}}],
    "metadata": {"team": "docs"},
}
MESSAGE_PATTERN = {"body": {"equalTo": "ping"}, "channel": {"urlPath": "/socket"}}
# a valid body for each operation that takes one
EXAMPLES: dict[tuple[str, str], Any] = {
    ("post", "/mappings"): STUB,
    ("put", "/mappings/{id}"): STUB,
    ("post", "/mappings/import"): {"mappings": [STUB], "importOptions": {"duplicatePolicy": "IGNORE"}},
    ("post", "/mappings/remove"): STUB,
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
    ("post", "/message-mappings"): MESSAGE_STUB,
    ("put", "/message-mappings/{id}"): MESSAGE_STUB,
    ("post", "/message-mappings/find-by-metadata"): {"matchesJsonPath": "$.team"},
    ("post", "/message-mappings/remove-by-metadata"): {"matchesJsonPath": "$.team"},
    ("post", "/messages/count"): MESSAGE_PATTERN,
    ("post", "/messages/find"): MESSAGE_PATTERN,
    ("post", "/messages/remove"): MESSAGE_PATTERN,
    ("post", "/messages/wait"): {"pattern": MESSAGE_PATTERN, "timeoutMillis": 1000},
    ("post", "/messages/wait-for-count"): {"pattern": MESSAGE_PATTERN, "timeoutMillis": 1000, "count": 1},
    ("post", "/channels/send"): {
        "type": "websocket",
        "initiatingRequest": {"urlPath": "/socket"},
        "message": {"body": {"data": "hi"}},
    },
}
METHODS = ("get", "put", "post", "delete", "patch")
CORPUS = Path(__file__).resolve().parent / "corpus"


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
    engine = Engine()
    api = AdminApi(engine, websockets=WebSocketHub(engine))
    routed = {(method.lower(), template) for method, template in api.router.routes()}
    documented = set(_operations(document))
    assert routed - documented == set(), "routes missing from _admin/openapi.py"
    assert documented - routed == set(), "documented operations the router does not have"


_VALIDATORS: dict[str, Draft202012Validator] = {}


def _validator(document: dict[str, Any], ref: str) -> Draft202012Validator:
    """Validates against the schema at ``ref`` in the document (``#/components/schemas/Count``)."""
    if ref not in _VALIDATORS:
        registry: Registry[Any] = Registry().with_resource(
            DOC, Resource.from_contents(document, default_specification=DRAFT202012)
        )
        _VALIDATORS[ref] = Draft202012Validator({"$ref": DOC + ref}, registry=registry)
    return _VALIDATORS[ref]


def _request_schema(method: str, template: str) -> str:
    """The reference of an operation's request body schema, as a JSON pointer into the document."""
    parts = ("paths", ADMIN + template, method, "requestBody", "content", "application/json", "schema")
    return "#" + "".join("/" + quote(part.replace("~", "~0").replace("/", "~1"), safe="") for part in parts)


def _misfits(document: dict[str, Any], method: str, template: str, body: Any) -> list[str]:
    """Why ``body`` does not fit the operation's documented request schema (nothing: it fits)."""
    return sorted(e.message for e in _validator(document, _request_schema(method, template)).iter_errors(body))


def _check_answer(document: dict[str, Any], method: str, template: str, response: httpx.Response) -> None:
    operation = document["paths"][ADMIN + template][method]
    where = f"{method.upper()} {template} answered {response.status_code}: {response.text[:300]}"
    assert str(response.status_code) in operation["responses"], f"undocumented status: {where}"
    schema = operation["responses"][str(response.status_code)]["content"]["application/json"]["schema"]
    errors = sorted(_validator(document, schema["$ref"]).iter_errors(response.json()), key=str)
    assert not errors, f"{where}\ndoes not fit {schema['$ref']}: {[e.message for e in errors]}"


def _prepare(client: httpx.Client, sockets: ExitStack | None = None) -> dict[str, str]:
    """A stub, a scenario, a journaled request, and the path variables naming them; with ``sockets``, a
    WebSocket stub, an open connection (closed with ``sockets``) and a journaled message too."""
    client.post(f"{ADMIN}/reset")
    client.post(f"{ADMIN}/mappings", json=STUB)
    client.get("/documented")
    client.get("/not-documented")
    request_id = client.get(f"{ADMIN}/requests").json()["requests"][0]["id"]
    variables = {"id": STUB_ID, "name": SCENARIO, "request id": request_id}
    if sockets is None:
        return variables
    client.post(f"{ADMIN}/message-mappings", json=MESSAGE_STUB)
    socket = sockets.enter_context(connect("ws" + str(client.base_url).removeprefix("http") + "/socket"))
    socket.send("ping")
    assert socket.recv(timeout=10) == "pong"
    message = client.get(f"{ADMIN}/messages").json()["messageServeEvents"][-1]
    return {**variables, "message id": message["id"], "channel id": message["channelId"]}


def _url(template: str, variables: dict[str, str]) -> str:
    if template.startswith("/requests/{id}"):
        variables = {**variables, "id": variables["request id"]}
    elif template.startswith("/message-mappings/{id}"):
        variables = {**variables, "id": variables.get("message stub id", MESSAGE_STUB_ID)}
    elif template.startswith("/messages/{id}"):
        variables = {**variables, "id": variables["message id"]}
    elif template.startswith("/channels/{id}"):
        variables = {**variables, "id": variables["channel id"]}
    path = template
    for name, value in variables.items():
        path = path.replace("{" + name + "}", quote(value, safe=""))
    return ADMIN + path


def _json_operations(document: dict[str, Any]) -> list[tuple[str, str]]:
    """The operations answering JSON: the dashboard's page, files and stream are tested in test_dashboard.py."""
    return [
        (method, template)
        for method, template in _operations(document)
        if any(
            "application/json" in r.get("content", {})
            for r in document["paths"][ADMIN + template][method]["responses"].values()
        )
    ]


def test_every_documented_operation_answers_as_documented(document: dict[str, Any], tmp_path: Path) -> None:
    operations = sorted(_json_operations(document), key=lambda op: op[1] == "/shutdown")  # shutdown last
    with (
        MockServer(root=tmp_path) as server,
        httpx.Client(base_url=server.url, timeout=10) as client,
        ExitStack() as sockets,
    ):
        for method, template in operations:
            variables = _prepare(client, sockets)
            body = EXAMPLES.get((method, template))
            response = client.request(method, _url(template, variables), json=body)
            assert response.status_code < 400, f"{method.upper()} {template}: {response.text}"
            _check_answer(document, method, template, response)


def test_documented_errors_fit_the_error_schema(document: dict[str, Any]) -> None:
    with MockServer() as server, httpx.Client(base_url=server.url, timeout=10) as client, ExitStack() as sockets:
        for method, template in _json_operations(document):
            operation = document["paths"][ADMIN + template][method]
            variables = _prepare(client, sockets)
            if "requestBody" in operation:
                # a field no endpoint knows: the server and the documented schema refuse it alike
                response = client.request(method, _url(template, variables), json={"bogus": 1})
                assert response.status_code == 400, f"{method.upper()} {template}: {response.text}"
                _check_answer(document, method, template, response)
                assert _misfits(document, method, template, {"bogus": 1}), f"{method.upper()} {template}"
            if "{" in template:
                unknown = {"id": "no-such-id", "name": "no such scenario", "request id": "no-such-id"}
                unknown |= {"message stub id": "no-such-id", "message id": "no-such-id", "channel id": "no-such-id"}
                response = client.request(method, _url(template, unknown), json=EXAMPLES.get((method, template)))
                assert response.status_code == 404, f"{method.upper()} {template}: {response.text}"
                _check_answer(document, method, template, response)


# --- request bodies ---------------------------------------------------------------------------------


def _corpus_mappings() -> list[dict[str, Any]]:
    """The corpus's stub mappings: real WireMock mappings, written as users write them."""
    found: list[dict[str, Any]] = []
    for path in sorted((CORPUS / "mappings").iterdir()):
        text = path.read_text(encoding="utf-8")
        data = yaml.safe_load(text) if path.suffix in {".yaml", ".yml"} else json.loads(text)
        found.extend(data.get("mappings", [data]))
    return found


MAPPINGS = _corpus_mappings()
PATTERNS = [mapping["request"] for mapping in MAPPINGS if "request" in mapping]
CONTENT_PATTERNS = [body for pattern in PATTERNS for body in pattern.get("bodyPatterns", [])]
RECORD_SPECS: list[dict[str, Any]] = [
    {},
    {"persist": False},
    {"filters": {"allowNonProxied": True}, "persist": False},
    {
        "targetBaseUrl": "http://127.0.0.1:9",
        "filters": {"urlPathPattern": "/api/.*", "method": "GET", "ids": []},
        "captureHeaders": {"Accept": {}, "X-Id": {"caseInsensitive": True}},
        "requestBodyPattern": {"matcher": "equalToJson", "ignoreArrayOrder": False, "ignoreExtraElements": True},
        "extractBodyCriteria": {"textSizeThreshold": "2 kb", "binarySizeThreshold": 0},
        "outputFormat": "IDS",
        "persist": False,
        "repeatsAsScenarios": True,
        "transformers": [],
        "transformerParameters": {"priority": 3},
        "keepSecrets": True,
    },
]
#: message mappings as WireMock 4 documents them, and with mockpit's additions
MESSAGE_MAPPINGS: list[dict[str, Any]] = [
    MESSAGE_STUB,
    {
        "name": "Echo stub",
        "trigger": {"type": "message", "message": {"body": {"matches": ".*"}}},
        "actions": [
            {
                "type": "send",
                "channelTarget": {"type": "originating"},
                "message": {"body": {"data": "Echo: {{message.body}}"}},
            }
        ],
    },
    {
        "trigger": {"type": "http-request", "requestPattern": {"method": "POST", "urlPath": "/notify"}},
        "actions": [
            {
                "type": "send",
                "message": {"body": {"data": "notified"}},
                "channelTarget": {
                    "type": "request-initiated",
                    "channelType": "websocket",
                    "requestPattern": {"urlPathPattern": "/users/.*/updates"},
                },
            }
        ],
    },
    {
        "priority": 1,
        "trigger": {"type": "open", "channel": {"type": "websocket", "subprotocol": "chat.v1"}},
        "actions": [
            {"type": "send", "message": {"body": {"jsonBody": {"hello": True}}}, "repeatEveryMilliseconds": 1000},
            {"type": "close", "code": 4000, "reason": "bye", "delayMilliseconds": 5000},
        ],
    },
]
MESSAGE_PATTERNS: list[dict[str, Any]] = [
    MESSAGE_PATTERN,
    {},
    {"body": {"matchesJsonPath": "$.op"}},
    {"channel": {"urlPathPattern": "/so.*", "headers": {"Origin": {"absent": True}}}},
]
#: bodies the server takes, for each operation that reads one (the logged requests come from the journal)
ACCEPTED: dict[tuple[str, str], list[Any]] = {
    ("post", "/mappings"): MAPPINGS,
    ("post", "/mappings/remove"): MAPPINGS,
    ("put", "/mappings/{id}"): [{k: v for k, v in m.items() if k not in {"id", "uuid"}} for m in MAPPINGS],
    ("post", "/mappings/import"): [
        {"mappings": MAPPINGS},
        {"mappings": MAPPINGS[:3], "importOptions": {"duplicatePolicy": "IGNORE", "deleteAllNotInImport": True}},
    ],
    ("post", "/mappings/find-by-metadata"): [*CONTENT_PATTERNS, {"equalToJson": {"team": "docs"}}],
    ("post", "/mappings/remove-by-metadata"): [{"matchesJsonPath": "$.tags[?(@ == 'fast')]"}],
    ("post", "/requests/count"): PATTERNS,
    ("post", "/requests/find"): PATTERNS,
    ("post", "/near-misses/request-pattern"): PATTERNS,
    ("post", "/requests/remove"): PATTERNS[:3],
    ("post", "/requests/remove-by-metadata"): [{"equalToJson": {"team": "docs"}}],
    ("put", "/scenarios/{name}/state"): [{"state": "Read"}, {"state": "Started"}],
    ("post", "/settings"): [{"fixedDelay": 0, "extended": {"k": "v"}, "proxyPassThrough": False}, {}],
    # as GET /__admin/settings gives them, which WireMock's clients send back
    ("put", "/settings"): [{"settings": {"fixedDelay": 0, "extended": {}, "proxyPassThrough": True}}],
    ("post", "/recordings/snapshot"): RECORD_SPECS,
    ("post", "/recordings/start"): RECORD_SPECS[3:],
    ("post", "/message-mappings"): MESSAGE_MAPPINGS,
    ("put", "/message-mappings/{id}"): [{k: v for k, v in m.items() if k != "id"} for m in MESSAGE_MAPPINGS],
    ("post", "/message-mappings/find-by-metadata"): [{"equalToJson": {"team": "docs"}}],
    ("post", "/message-mappings/remove-by-metadata"): [{"matchesJsonPath": "$.team"}],
    ("post", "/messages/count"): MESSAGE_PATTERNS,
    ("post", "/messages/find"): MESSAGE_PATTERNS,
    ("post", "/messages/remove"): MESSAGE_PATTERNS,
    ("post", "/messages/wait"): [{"pattern": p, "timeoutMillis": 1} for p in MESSAGE_PATTERNS],
    ("post", "/messages/wait-for-count"): [{"pattern": MESSAGE_PATTERN, "timeoutMillis": 10, "count": 1}],
    ("post", "/channels/send"): [
        {"type": "websocket", "initiatingRequest": {"urlPath": "/socket"}, "message": {"body": {"data": "hi"}}},
        {"type": "websocket", "message": {"body": {"data": "AAE=", "isBinary": True}}},
        {"message": {"body": {"jsonBody": {"price": 1}}}},
    ],
}


@pytest.fixture
def corpus_server(tmp_path: Path) -> Iterator[httpx.Client]:
    """A server whose stubs find the corpus's body files, saving persistent stubs under ``tmp_path``."""
    with (
        MockServer(root=tmp_path, files_root=CORPUS / "__files") as server,
        httpx.Client(base_url=server.url, timeout=10) as client,
    ):
        yield client


def test_the_bodies_the_server_takes_fit_the_documented_request_schemas(
    document: dict[str, Any], corpus_server: httpx.Client
) -> None:
    client = corpus_server
    documented = {(m, t) for m, t in _operations(document) if "requestBody" in document["paths"][ADMIN + t][m]}
    assert documented == {*ACCEPTED, ("post", "/near-misses/request")}, "an operation without real bodies here"
    for (method, template), bodies in ACCEPTED.items():
        for body in bodies:
            with ExitStack() as sockets:
                url = _url(template, _prepare(client, sockets))
                response = client.request(method, url, json=body)
                where = f"{method.upper()} {template} with {json.dumps(body)[:200]}"
                assert response.status_code < 400, f"{where}: {response.text}"
                if template == "/recordings/start":
                    client.post(f"{ADMIN}/recordings/stop")
                assert not _misfits(document, method, template, body), where
    client.get("/documented", params={"q": "1"}, headers={"Cookie": "a=1"}, auth=("ada", "pw"))
    client.post("/documented", content=b"\x00\xff")
    for logged in client.get(f"{ADMIN}/requests").json()["requests"]:
        body = logged["request"]
        response = client.post(f"{ADMIN}/near-misses/request", json=body)
        assert response.status_code == 200, response.text
        assert not _misfits(document, "post", "/near-misses/request", body), json.dumps(body)


def _models(module: object) -> list[type[BaseModel]]:
    """The pydantic models a module defines (bases without fields of their own left out)."""
    return [
        value
        for value in vars(module).values()
        if inspect.isclass(value)
        and issubclass(value, BaseModel)
        and value.__module__ == getattr(module, "__name__", None)
        and value.model_fields
    ]


def test_every_model_that_checks_a_body_is_documented_as_it_checks(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    names = {model: name for name, model in _BODIES.items()}
    for model in [*_models(models), *_models(payloads)]:
        name = names.get(model) or _INNER[model.__name__]
        schema = schemas[name]
        fields = {field.alias or key: field for key, field in model.model_fields.items()}
        assert set(schema["properties"]) == set(fields), name
        assert set(schema.get("required", ())) == {key for key, field in fields.items() if field.is_required()}, name
        assert (schema.get("additionalProperties") is False) == (model.model_config.get("extra") == "forbid"), name
