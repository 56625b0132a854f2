"""Swagger 2.0 rewritten into the OpenAPI 3.0 shape, so that everything above loading knows one shape only.

Written here rather than taken from a library: the maintained converters (swagger2openapi) are
JavaScript, and the Python ones are unmaintained. Only what a mock needs is converted: paths,
parameters, bodies, responses, schemas, security.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from .refs import HTTP_METHODS, LITERALS, map_refs

_V2_REFS = (("#/definitions/", "#/components/schemas/"),)
_COLLECTION_STYLES = {
    "csv": ("form", False),
    "ssv": ("spaceDelimited", False),
    "pipes": ("pipeDelimited", False),
    "multi": ("form", True),
}
_PARAMETER_SCHEMA_KEYS = (
    "type",
    "format",
    "items",
    "default",
    "maximum",
    "exclusiveMaximum",
    "minimum",
    "exclusiveMinimum",
    "maxLength",
    "minLength",
    "pattern",
    "maxItems",
    "minItems",
    "uniqueItems",
    "enum",
    "multipleOf",
)


def refs_to_v3(document: Any) -> Any:
    def change(ref: str) -> str:
        for old, new in _V2_REFS:
            if old in ref:
                return ref.replace(old, new, 1)
        return ref

    return _schemas_to_v3(map_refs(document, change))


def _schemas_to_v3(value: Any) -> Any:
    """Swagger 2.0 schema extensions in their OpenAPI 3.0 spelling (x-nullable, type: file, discriminator)."""
    if isinstance(value, dict):
        out = {k: _schemas_to_v3(v) if k not in LITERALS else v for k, v in value.items()}
        if out.pop("x-nullable", False) is True:
            out["nullable"] = True
        if out.get("type") == "file":
            out["type"], out["format"] = "string", "binary"
        if isinstance(out.get("discriminator"), str):
            out["discriminator"] = {"propertyName": out["discriminator"]}
        return out
    if isinstance(value, list):
        return [_schemas_to_v3(v) for v in value]
    return value


def swagger_to_v3(root: Mapping[str, Any], lookup: Callable[[str], Any]) -> Any:
    """``root`` (schema refs already rewritten) in the OpenAPI 3.0 shape; ``lookup`` resolves other refs."""

    def resolve(value: Any) -> Any:
        # parameters and responses may be $refs to shared ones: inlined, as their shape changes
        while isinstance(value, Mapping) and isinstance(value.get("$ref"), str):
            value = lookup(value["$ref"])
        return value

    consumes = list(root.get("consumes") or ["application/json"])
    produces = list(root.get("produces") or ["application/json"])
    out: dict[str, Any] = {"openapi": "3.0.3", "info": root.get("info", {}), "paths": {}}
    schemes = {}
    for name, scheme in (root.get("securityDefinitions") or {}).items():
        schemes[name] = _security_scheme_to_v3(scheme)
    out["components"] = {"schemas": dict(root.get("definitions") or {}), "securitySchemes": schemes}
    if "security" in root:
        out["security"] = root["security"]
    for path, declared in (root.get("paths") or {}).items():
        item = resolve(declared)
        new_item: dict[str, Any] = {}
        shared = [resolve(p) for p in item.get("parameters") or ()]
        for method in HTTP_METHODS:
            operation = item.get(method)
            if not isinstance(operation, Mapping):
                continue
            op_consumes = list(operation.get("consumes") or consumes)
            op_produces = list(operation.get("produces") or produces)
            parameters: dict[tuple[str, str], Any] = {}
            for p in [*shared, *(resolve(p) for p in operation.get("parameters") or ())]:
                parameters[(p.get("in", ""), p.get("name", ""))] = p
            new: dict[str, Any] = {
                k: v for k, v in operation.items() if k not in {"parameters", "responses", "consumes", "produces"}
            }
            new_parameters = []
            form: dict[str, Any] = {"type": "object", "properties": {}}
            for (where, name), p in parameters.items():
                if where == "body":
                    new["requestBody"] = {
                        "required": bool(p.get("required", False)),
                        "content": {media: {"schema": p.get("schema", {})} for media in op_consumes},
                    }
                elif where == "formData":
                    form["properties"][name] = _parameter_schema(p)
                    if p.get("required"):
                        form.setdefault("required", []).append(name)
                else:
                    new_parameters.append(_parameter_to_v3(p))
            if form["properties"]:
                media = [m for m in op_consumes if m in {"multipart/form-data", "application/x-www-form-urlencoded"}]
                new["requestBody"] = {
                    "required": bool(form.get("required")),
                    "content": {m: {"schema": form} for m in media or ["application/x-www-form-urlencoded"]},
                }
            if new_parameters:
                new["parameters"] = new_parameters
            new["responses"] = {
                str(code): _response_to_v3(resolve(response), op_produces)
                for code, response in (operation.get("responses") or {}).items()
            }
            new_item[method] = new
        out["paths"][path] = new_item
    return out


def _parameter_schema(parameter: Mapping[str, Any]) -> dict[str, Any]:
    schema = {k: copy.deepcopy(parameter[k]) for k in _PARAMETER_SCHEMA_KEYS if k in parameter}
    if schema.get("type") == "file":
        schema["type"], schema["format"] = "string", "binary"
    return schema


def _parameter_to_v3(parameter: Mapping[str, Any]) -> dict[str, Any]:
    new = {k: parameter[k] for k in ("name", "in", "description", "required") if k in parameter}
    new["schema"] = _parameter_schema(parameter)
    collection = parameter.get("collectionFormat")
    if parameter.get("type") == "array":
        style, explode = _COLLECTION_STYLES.get(collection or "csv", ("form", False))
        if parameter.get("in") in {"path", "header"}:
            style = "simple"
        new["style"], new["explode"] = style, explode
    return new


def _response_to_v3(response: Mapping[str, Any], produces: list[str]) -> dict[str, Any]:
    new: dict[str, Any] = {"description": response.get("description", "")}
    examples = response.get("examples") or {}
    if "schema" in response or examples:
        content: dict[str, Any] = {}
        for media in produces or list(examples):
            entry: dict[str, Any] = {}
            if "schema" in response:
                entry["schema"] = response["schema"]
            if media in examples:
                entry["example"] = examples[media]
            content[media] = entry
        new["content"] = content
    if response.get("headers"):
        new["headers"] = {
            name: {
                "schema": _parameter_schema(header),
                **({"description": header["description"]} if "description" in header else {}),
            }
            for name, header in response["headers"].items()
        }
    return new


def _security_scheme_to_v3(scheme: Mapping[str, Any]) -> dict[str, Any]:
    kind = scheme.get("type")
    if kind == "basic":
        return {"type": "http", "scheme": "basic"}
    if kind == "apiKey":
        return {"type": "apiKey", "name": scheme.get("name", ""), "in": scheme.get("in", "header")}
    if kind == "oauth2":
        flow = {"implicit": "implicit", "password": "password", "application": "clientCredentials"}.get(
            scheme.get("flow", ""), "authorizationCode"
        )
        details: dict[str, Any] = {"scopes": scheme.get("scopes", {})}
        if "authorizationUrl" in scheme:
            details["authorizationUrl"] = scheme["authorizationUrl"]
        if "tokenUrl" in scheme:
            details["tokenUrl"] = scheme["tokenUrl"]
        return {"type": "oauth2", "flows": {flow: details}}
    return dict(scheme)
