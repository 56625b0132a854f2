"""Loading OpenAPI documents: versions, $refs across files, Swagger 2.0, and errors that say where."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from mockpit import MappingError, MockServer
from mockpit._openapi.document import load_openapi

DATA = Path(__file__).resolve().parent / "data" / "openapi"
ROOT = DATA.parent.parent.parent

PETSTORE: dict[str, Any] = yaml.safe_load((DATA / "petstore.yaml").read_text())


def operations(document: Any) -> list[tuple[str, str, str | None]]:
    return [(op.method, op.path, op.operation_id) for op in load_openapi(document).operations()]


def test_openapi_3_0_yaml() -> None:
    assert operations(DATA / "petstore.yaml") == [
        ("GET", "/pets", "listPets"),
        ("POST", "/pets", "createPets"),
        ("GET", "/pets/{petId}", "showPetById"),
    ]


def test_openapi_3_0_json_real_world() -> None:
    document = load_openapi(DATA / "kubernetes-coordination-v1.json")
    assert document.version == "3.0"
    ops = document.operations()
    assert len(ops) == 12
    read = next(op for op in ops if op.operation_id == "readCoordinationV1NamespacedLease")
    # path-level parameters are merged into each operation
    assert {(p["in"], p["name"]) for p in read.parameters} == {
        ("path", "name"),
        ("path", "namespace"),
        ("query", "pretty"),
    }


def test_openapi_3_1() -> None:
    document = load_openapi(DATA / "features-3.1.yaml")
    assert document.version == "3.1"
    assert document.schema_version == "3.1"
    assert [op.operation_id for op in document.operations()] == ["getNode", "createShape", "listThings"]


def test_refs_across_local_files_are_followed_and_made_absolute() -> None:
    document = load_openapi(DATA / "split" / "api.yaml")
    assert sorted(p.name for p in document.files) == ["api.yaml", "common.yaml", "order.yaml", "parameters.yaml"]
    get_order = document.operations()[0]
    assert get_order.parameters[0]["name"] == "orderId"  # from parameters.yaml
    schema = get_order.responses["200"]["content"]["application/json"]["schema"]
    assert schema["$ref"] == (DATA / "split" / "schemas" / "order.yaml").resolve().as_uri() + "#/Order"
    order = document.lookup(schema["$ref"])
    status = document.lookup(order["allOf"][1]["properties"]["status"]["$ref"])
    assert status == {"type": "string", "enum": ["new", "paid", "shipped"]}


def test_swagger_2_0_is_read_in_the_openapi_3_shape() -> None:
    document = load_openapi(DATA / "petstore-expanded-swagger2.yaml")
    assert document.version == "2.0"
    ops = {op.operation_id: op for op in document.operations()}
    add = ops["addPet"]
    assert add.request_body is not None
    assert add.request_body["required"] is True
    assert add.request_body["content"]["application/json"]["schema"]["$ref"].endswith("#/components/schemas/NewPet")
    tags = next(p for p in ops["findPets"].parameters if p["name"] == "tags")
    assert tags["schema"] == {"type": "array", "items": {"type": "string"}}
    assert (tags["style"], tags["explode"]) == ("form", False)  # collectionFormat: csv
    assert ops["deletePet"].responses["204"] == {"description": "pet deleted"}
    pet = document.lookup(ops["find pet by id"].responses["200"]["content"]["application/json"]["schema"]["$ref"])
    assert pet["allOf"][0]["$ref"].endswith("#/components/schemas/NewPet")


def test_swagger_2_0_security_form_data_and_shared_parameters() -> None:
    swagger = {
        "swagger": "2.0",
        "info": {"title": "t", "version": "1"},
        "consumes": ["application/x-www-form-urlencoded"],
        "securityDefinitions": {"key": {"type": "apiKey", "in": "header", "name": "X-Key"}, "basic": {"type": "basic"}},
        "security": [{"key": []}],
        "parameters": {"page": {"name": "page", "in": "query", "type": "integer", "minimum": 1}},
        "paths": {
            "/upload": {
                "post": {
                    "parameters": [
                        {"$ref": "#/parameters/page"},
                        {"name": "title", "in": "formData", "type": "string", "required": True},
                        {
                            "name": "tags",
                            "in": "query",
                            "type": "array",
                            "items": {"type": "string"},
                            "collectionFormat": "multi",
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "ok",
                            "schema": {"type": "string"},
                            "examples": {"application/json": "done"},
                        }
                    },
                }
            }
        },
    }
    document = load_openapi(swagger)
    (op,) = document.operations()
    assert document.security_schemes == {
        "key": {"type": "apiKey", "name": "X-Key", "in": "header"},
        "basic": {"type": "http", "scheme": "basic"},
    }
    assert op.security == ({"key": []},)
    params = {p["name"]: p for p in op.parameters}
    assert params["page"]["schema"] == {"type": "integer", "minimum": 1}
    assert (params["tags"]["style"], params["tags"]["explode"]) == ("form", True)
    form = op.request_body["content"]["application/x-www-form-urlencoded"]["schema"]  # type: ignore[index]
    assert form == {"type": "object", "properties": {"title": {"type": "string"}}, "required": ["title"]}
    assert op.responses["200"]["content"]["application/json"]["example"] == "done"


def test_a_dict_document_is_not_changed() -> None:
    before = json.dumps(PETSTORE, sort_keys=True)
    load_openapi(PETSTORE)
    assert json.dumps(PETSTORE, sort_keys=True) == before


def test_yaml_dates_and_integer_status_codes_become_json_values(tmp_path: Path) -> None:
    (tmp_path / "api.yaml").write_text(
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /d:\n    get:\n      responses:\n"
        "        200:\n          description: ok\n          content:\n            application/json:\n"
        "              example: {day: 2024-02-29}\n"
    )
    (op,) = load_openapi(tmp_path / "api.yaml").operations()
    assert op.responses["200"]["content"]["application/json"]["example"] == {"day": "2024-02-29"}


# --- errors: the file, the place in it, what is wrong ----------------------------------------------

BROKEN: list[tuple[str, dict[str, Any], str]] = [
    (
        "wrong parameter location",
        {"paths": {"/pets": {"get": {"parameters": [{"name": "x", "in": "body", "schema": {}}], "responses": {}}}}},
        "api.yaml: paths./pets.get.parameters[0].in: 'body' is not one of ['path', 'query', 'header', 'cookie']",
    ),
    (
        "a misspelt type",
        {
            "paths": {
                "/pets": {
                    "get": {
                        "responses": {
                            "200": {
                                "description": "ok",
                                "content": {"application/json": {"schema": {"type": "strin"}}},
                            }
                        }
                    }
                }
            }
        },
        "api.yaml: paths./pets.get.responses.200.content.application/json.schema.type: 'strin' is not one of",
    ),
    (
        "a response without description",
        {"paths": {"/pets": {"get": {"responses": {"200": {"content": {}}}}}}},
        "api.yaml: paths./pets.get.responses.200: 'description' is a required property",
    ),
    (
        "an undeclared path parameter",
        {"paths": {"/pets/{id}": {"get": {"responses": {"200": {"description": "ok"}}}}}},
        "api.yaml: paths./pets/{id}.get: the path has a parameter {id} that the operation does not declare",
    ),
    (
        "a $ref to nothing",
        {
            "paths": {
                "/pets": {
                    "get": {
                        "responses": {
                            "200": {
                                "description": "ok",
                                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Nope"}}},
                            }
                        }
                    }
                }
            }
        },
        "Nope",
    ),
]


@pytest.mark.parametrize(("case", "paths", "expected"), BROKEN, ids=[case for case, _, _ in BROKEN])
def test_an_invalid_document_names_the_file_and_the_place(
    case: str, paths: dict[str, Any], expected: str, tmp_path: Path
) -> None:
    (tmp_path / "api.yaml").write_text(
        yaml.safe_dump({"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, **paths})
    )
    with pytest.raises(MappingError) as caught:
        load_openapi(tmp_path / "api.yaml", name="api.yaml")
    assert expected in str(caught.value)


def test_an_error_in_another_file_names_that_file(tmp_path: Path) -> None:
    (tmp_path / "api.yaml").write_text(
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /p:\n    get:\n      responses:\n"
        "        '200':\n          description: ok\n          content:\n            application/json:\n"
        "              schema: {$ref: 'schemas.yaml#/Pet'}\n"
    )
    (tmp_path / "schemas.yaml").write_text(
        "Pet:\n  type: object\n  properties:\n    name: {type: string, minLength: x}\n"
    )
    with pytest.raises(MappingError) as caught:
        load_openapi(tmp_path / "api.yaml")
    assert caught.value.source == str(tmp_path / "schemas.yaml")
    assert caught.value.field == "Pet.properties.name.minLength"
    assert "'x' is not of type 'integer'" in caught.value.message


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("missing.yaml#/Pet", "there is no file"),
        ("https://example.com/schemas.yaml#/Pet", "refers to a remote document"),
    ],
)
def test_refs_to_missing_or_remote_files(ref: str, expected: str, tmp_path: Path) -> None:
    (tmp_path / "api.yaml").write_text(
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /p:\n    get:\n      responses:\n"
        f"        '200':\n          description: ok\n          content:\n            application/json:\n"
        f"              schema: {{$ref: '{ref}'}}\n"
    )
    with pytest.raises(MappingError) as caught:
        load_openapi(tmp_path / "api.yaml")
    assert expected in str(caught.value)
    assert caught.value.field == "paths./p.get.responses.200.content.application/json.schema.$ref"


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"mappings": []}, "this is not an OpenAPI document"),
        ({"openapi": "2.5.0", "info": {}, "paths": {}}, "OpenAPI version '2.5.0' is not supported"),
        ({"swagger": "1.2", "info": {}, "paths": {}}, "Swagger version '1.2' is not supported"),
    ],
)
def test_documents_mockpit_cannot_read(document: dict[str, Any], expected: str) -> None:
    with pytest.raises(MappingError, match=expected):
        load_openapi(document)


def test_unreadable_yaml_says_the_line(tmp_path: Path) -> None:
    (tmp_path / "api.yaml").write_text("openapi: 3.0.3\ninfo: [unclosed\n")
    with pytest.raises(MappingError, match=r"api.yaml: invalid YAML at line 3"):
        MockServer(openapi=tmp_path / "api.yaml")


def test_mock_server_openapi_refuses_a_mapping_file(tmp_path: Path) -> None:
    (tmp_path / "stub.json").write_text(json.dumps({"request": {"url": "/x"}, "response": {"status": 200}}))
    with pytest.raises(MappingError, match=r"stub\.json: this is not an OpenAPI document"):
        MockServer(openapi=tmp_path / "stub.json")


def test_the_cli_stops_with_exit_code_2_and_the_place(tmp_path: Path) -> None:
    (tmp_path / "api.yaml").write_text(
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /pets:\n    get:\n      responses:\n"
        "        '200': {content: {}}\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "mockpit", "serve", "api.yaml", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 2
    assert "error: api.yaml: paths./pets.get.responses.200: 'description' is a required property" in result.stderr
