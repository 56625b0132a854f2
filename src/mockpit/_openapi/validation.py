"""Requests checked against their OpenAPI operation: path, query, headers, cookies, body, security.

Each operation's rules are compiled once, when its stub is made: jsonschema validators of the
document's dialect (OpenAPI 3.0 or 3.1, through openapi-schema-validator), and how each parameter is
read. A request then costs a lookup per declared parameter and one ``is_valid`` call per value given;
the error details are only worked out for a request that breaks a rule.

Parameters are read by hand (``style``/``explode``, strings to the schema's types) rather than through
openapi-core: that runs its whole request pipeline per call, several times slower than the request it
checks, and reports only its first error where a mock should list all of them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import parse_qs, unquote_plus

from mockpit._json import loads
from mockpit._model import Request

if TYPE_CHECKING:
    from .document import OpenApiDocument, Operation

LocationPart = str | int
_MISSING: Any = object()
_INTEGER = re.compile(r"[-+]?\d+")
_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
_LIMIT = 240


@dataclass(frozen=True, slots=True)
class Violation:
    """One rule of the document a request breaks: where (``("query", "limit")``) and what."""

    location: tuple[LocationPart, ...]
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"location": list(self.location), "message": self.message}

    def __str__(self) -> str:
        return f"{'.'.join(map(str, self.location))}: {self.message}"


class RequestValidator:
    """The request rules of one operation, compiled. :meth:`validate` lists what a request breaks."""

    __slots__ = ("_body", "_parameters", "_reads_query", "_security", "operation")

    def __init__(self, document: OpenApiDocument, operation: Operation) -> None:
        self.operation = operation
        self._parameters = [
            _Parameter(document, p)
            for p in operation.parameters
            if isinstance(p, Mapping) and p.get("in") in {"path", "query", "header", "cookie"}
        ]
        body = operation.request_body
        self._body = _Body(document, body) if isinstance(body, Mapping) and body.get("content") else None
        self._security = _Security.compile(document, operation)
        self._reads_query = any(p.where == "query" for p in self._parameters)

    @property
    def checks_nothing(self) -> bool:
        """True when the operation declares nothing to check (no parameters, body or security)."""
        return not self._parameters and self._body is None and self._security is None

    def validate(self, request: Request) -> list[Violation]:
        found: list[Violation] = []
        query = parse_query(request.query_string) if self._reads_query else _NO_QUERY
        for parameter in self._parameters:
            parameter.check(request, query, found)
        if self._body is not None:
            self._body.check(request, found)
        if self._security is not None:
            self._security.check(request, found)
        return found


# --- parameters ----------------------------------------------------------------------------------

_NO_QUERY: dict[str, list[str]] = {}
Query = dict[str, list[str]]


def parse_query(query_string: str) -> Query:
    """``a=1&b=2&a=3`` -> ``{"a": ["1", "3"], "b": ["2"]}``, blank values kept.

    By hand: :func:`urllib.parse.parse_qs` costs 7 us for a single parameter, as much as the rest
    of a request's validation.
    """
    out: Query = {}
    if query_string:
        for part in query_string.split("&"):
            if part:
                name, _, value = part.partition("=")
                if "%" in part or "+" in part:
                    name, value = unquote_plus(name), unquote_plus(value)
                out.setdefault(name, []).append(value)
    return out


class _Parameter:
    __slots__ = (
        "accepts",
        "coerce",
        "explode",
        "location",
        "name",
        "read",
        "required",
        "style",
        "validator",
        "where",
    )

    def __init__(self, document: OpenApiDocument, parameter: Mapping[str, Any]) -> None:
        self.name = str(parameter.get("name", ""))
        self.where = str(parameter.get("in"))
        self.location: tuple[LocationPart, ...] = (self.where, self.name)
        self.required = bool(parameter.get("required", False)) or self.where == "path"
        self.style = str(parameter.get("style") or ("form" if self.where in {"query", "cookie"} else "simple"))
        explode = parameter.get("explode")
        self.explode = bool(explode) if explode is not None else self.style == "form"
        schema = parameter.get("schema")
        content = parameter.get("content")
        if schema is None and isinstance(content, Mapping) and content:
            # a parameter given as content (e.g. JSON in a query string): decoded as that media type
            media = next(iter(content.values()))
            schema = media.get("schema") if isinstance(media, Mapping) else None
            self.coerce: Callable[[Any], Any] = _json_or_text
            self.style = "content"
        else:
            self.coerce = _Coercer(document, schema)
        self.validator = document.validator(schema, mode="write") if schema is not None else None
        self.accepts = _accepts(_flat(document, schema), document.schema_version) if schema is not None else None
        self.read = self._reader()

    def _reader(self) -> Callable[[Request, Query], Any]:
        name = self.name
        if self.where == "path":
            return lambda request, query: request.path_params.get(name, _MISSING)
        if self.where == "header":
            return lambda request, query: (
                ", ".join(request.headers.get_all(name)) if name in request.headers else _MISSING
            )
        if self.where == "cookie":
            return lambda request, query: request.cookies.get(name, _MISSING)
        if self.style == "deepObject" or (self.explode and self.style == "form" and self._is_object()):
            return self._read_object
        return lambda request, query: query.get(name, _MISSING)

    def _is_object(self) -> bool:
        coerce = self.coerce
        return isinstance(coerce, _Coercer) and coerce.kind == "object"

    def _read_object(self, request: Request, query: Query) -> Any:
        if self.style == "deepObject":
            prefix = self.name + "["
            found = {k[len(prefix) : -1]: v for k, v in query.items() if k.startswith(prefix) and k.endswith("]")}
        else:  # form, exploded: the object's properties are query parameters of their own
            coerce = self.coerce
            assert isinstance(coerce, _Coercer)
            found = {k: v for k, v in query.items() if k in coerce.properties}
        return found or _MISSING

    def check(self, request: Request, query: Query, found: list[Violation]) -> None:
        raw = self.read(request, query)
        if raw is _MISSING:
            if self.required:
                found.append(Violation(self.location, f"the required {self.where} parameter {self.name!r} is missing"))
            return
        value = self._deserialise(raw)
        validator = self.validator
        if validator is None:
            return
        accepts = self.accepts
        if (accepts is None or not accepts(value)) and not validator.is_valid(value):
            found.extend(_violations(validator, value, self.location))

    def _deserialise(self, raw: Any) -> Any:
        coerce = self.coerce
        if isinstance(raw, dict):  # deepObject / exploded form object: name -> list of values
            return coerce({k: v[-1] if isinstance(v, list) and v else v for k, v in raw.items()})
        if isinstance(coerce, _Coercer) and coerce.kind == "array":
            if isinstance(raw, list):
                parts = raw if self.explode or len(raw) > 1 else _split(raw[0], self.style)
            else:
                parts = _split(raw, self.style)
            return coerce(parts)
        if isinstance(coerce, _Coercer) and coerce.kind == "object" and not isinstance(raw, dict):
            text = raw[-1] if isinstance(raw, list) else raw
            items = _split(text, self.style)
            return coerce(dict(zip(items[::2], items[1::2], strict=False)))
        text = raw[-1] if isinstance(raw, list) else raw
        if self.style in {"label", "matrix"}:
            text = text.lstrip(".") if self.style == "label" else text.split("=", 1)[-1]
        return coerce(text)


# Schemas that a parameter's value can be checked against in plain Python; anything else goes to
# jsonschema. The check only ever says "valid": a value it does not accept is judged by jsonschema,
# so it may be stricter than the schema but never looser. It exists because jsonschema's is_valid costs
# 10 us even for {"type": "integer"}, and most parameters are that simple.
_SIMPLE_KEYWORDS = frozenset(
    {
        "type", "format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength",
        "enum", "description", "title", "example", "examples", "default", "deprecated", "uniqueItems", "readOnly",
        "writeOnly", "nullable",
    }
)  # fmt: skip
_PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "integer": (int,),
    "number": (int, float),
    "string": (str,),
    "boolean": (bool,),
}
_FORMAT_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}


def _accepts(schema: Mapping[str, Any], dialect: str) -> Callable[[Any], bool] | None:
    kind = schema.get("type")
    if not isinstance(kind, str) or kind not in _PYTHON_TYPES or not set(schema) <= _SIMPLE_KEYWORDS:
        return None
    fmt = schema.get("format")
    if fmt is not None and fmt not in _FORMAT_RANGES and fmt not in {"float", "double"}:
        return None  # formats such as uuid or date-time: jsonschema's format checker decides
    types = _PYTHON_TYPES[kind]
    low, high = schema.get("minimum"), schema.get("maximum")
    low_x = high_x = False
    if dialect == "3.0":
        low_x, high_x = schema.get("exclusiveMinimum") is True, schema.get("exclusiveMaximum") is True
    else:
        if isinstance(schema.get("exclusiveMinimum"), (int, float)):
            return None
        if isinstance(schema.get("exclusiveMaximum"), (int, float)):
            return None
    if fmt in _FORMAT_RANGES:
        fmt_low, fmt_high = _FORMAT_RANGES[fmt]
        low = fmt_low if low is None else max(low, fmt_low)
        high = fmt_high if high is None else min(high, fmt_high)
    numeric = kind in {"integer", "number"}
    if not numeric:
        low = high = None  # bounds of another type's keywords: jsonschema ignores them too
    min_length, max_length = (schema.get("minLength"), schema.get("maxLength")) if kind == "string" else (None, None)
    enum = schema.get("enum")

    def accepts(value: Any) -> bool:
        if not isinstance(value, types) or (isinstance(value, bool) and kind != "boolean"):
            return False
        if low is not None and (value < low or (low_x and value == low)):
            return False
        if high is not None and (value > high or (high_x and value == high)):
            return False
        if min_length is not None and len(cast(str, value)) < min_length:
            return False
        if max_length is not None and len(cast(str, value)) > max_length:
            return False
        return enum is None or any(value == e and type(value) is type(e) for e in enum)

    return accepts


def _split(text: str, style: str) -> list[str]:
    if style == "spaceDelimited":
        return text.split(" ")
    if style == "pipeDelimited":
        return text.split("|")
    return text.split(",") if text else []


def _json_or_text(text: Any) -> Any:
    if isinstance(text, list):
        text = text[-1] if text else ""
    try:
        return loads(text)
    except (TypeError, ValueError):
        return text


class _Coercer:
    """Turns parameter strings into the types their schema asks for (``"7"`` -> 7 for an integer)."""

    __slots__ = ("item", "kind", "properties", "types")

    def __init__(self, document: OpenApiDocument, schema: Any) -> None:
        flat = _flat(document, schema)
        declared = flat.get("type")
        self.types: list[str] = (
            [declared] if isinstance(declared, str) else [t for t in declared or () if isinstance(t, str)]
        )
        self.kind = next((t for t in self.types if t in {"array", "object"}), "scalar")
        if not self.types and "properties" in flat:
            self.kind = "object"
        self.item: _Coercer | None = _Coercer(document, flat.get("items", {})) if self.kind == "array" else None
        properties = flat.get("properties") if isinstance(flat.get("properties"), Mapping) else {}
        assert isinstance(properties, Mapping)
        self.properties = (
            {name: _Coercer(document, sub) for name, sub in properties.items()} if self.kind == "object" else {}
        )

    def __call__(self, value: Any) -> Any:
        if self.kind == "array" and isinstance(value, list):
            item = self.item
            return [item(v) for v in value] if item is not None else value
        if self.kind == "object" and isinstance(value, dict):
            return {k: self.properties[k](v) if k in self.properties else v for k, v in value.items()}
        if not isinstance(value, str):
            return value
        for kind in self.types:
            if kind == "integer" and _INTEGER.fullmatch(value):
                return int(value)
            if kind == "number" and _NUMBER.fullmatch(value):
                number = float(value)
                return int(number) if number.is_integer() and "." not in value and "e" not in value.lower() else number
            if kind == "boolean" and value in {"true", "false"}:
                return value == "true"
            if kind == "null" and value in {"", "null"}:
                return None
            if kind == "string":
                return value
        return value


def _flat(document: OpenApiDocument, schema: Any) -> Mapping[str, Any]:
    """A schema's own keywords with ``$ref`` followed and ``allOf`` parts folded in (enough to coerce)."""
    schema = document.resolve(schema)
    if not isinstance(schema, Mapping):
        return {}
    if "$ref" in schema:
        schema = {**document.resolve({"$ref": schema["$ref"]}), **{k: v for k, v in schema.items() if k != "$ref"}}
    parts = schema.get("allOf")
    if isinstance(parts, list):
        merged: dict[str, Any] = {}
        for part in parts:
            merged.update(_flat(document, part))
        merged.update({k: v for k, v in schema.items() if k != "allOf"})
        return merged
    return dict(schema)


# --- the body ------------------------------------------------------------------------------------

_JSON_MEDIA = re.compile(r"^application/(.+\+)?json$|^\*/\*$|^application/\*$")


class _Body:
    __slots__ = ("_coercers", "_media", "required")

    def __init__(self, document: OpenApiDocument, body: Mapping[str, Any]) -> None:
        self.required = bool(body.get("required", False))
        self._media: list[tuple[str, Any]] = []
        self._coercers: dict[str, _Coercer] = {}
        for media, entry in (body.get("content") or {}).items():
            schema = entry.get("schema") if isinstance(entry, Mapping) else None
            key = media.split(";", 1)[0].strip().lower()
            self._media.append((key, document.validator(schema, mode="write") if schema is not None else None))
            if key in {"application/x-www-form-urlencoded", "multipart/form-data"} and schema is not None:
                self._coercers[key] = _Coercer(document, schema)

    def _match(self, content_type: str) -> tuple[str, Any] | None:
        for media, validator in self._media:
            if media == content_type:
                return media, validator
        major = content_type.split("/", 1)[0]
        for media, validator in self._media:
            if media in {f"{major}/*", "*/*"}:
                return media, validator
        return None

    def check(self, request: Request, found: list[Violation]) -> None:
        if not request.body:
            if self.required:
                accepted = ", ".join(media for media, _ in self._media)
                found.append(Violation(("body",), f"a request body is required ({accepted})"))
            return
        content_type = request.content_type
        matched = self._match(content_type)
        if matched is None:
            accepted = ", ".join(media for media, _ in self._media)
            given = content_type or "a body without a Content-Type"
            found.append(
                Violation(("header", "Content-Type"), f"{given} is not accepted here; send one of: {accepted}")
            )
            return
        media, validator = matched
        if _JSON_MEDIA.match(content_type) or content_type.endswith("+json"):
            try:
                value = request.json()
            except ValueError as exc:
                found.append(Violation(("body",), str(exc)))
                return
        elif content_type == "application/x-www-form-urlencoded":
            coerce = self._coercers.get(media)
            value = {}
            for name, values in parse_qs(request.text, keep_blank_values=True).items():
                field = coerce.properties.get(name) if coerce is not None else None
                value[name] = values if field is not None and field.kind == "array" else values[-1]
            if coerce is not None:
                value = coerce(value)
        elif content_type.startswith("text/"):
            value = request.text
        else:
            return  # binary and multipart bodies are taken as they come
        if validator is not None and not validator.is_valid(value):
            found.extend(_violations(validator, value, ("body",)))


# --- security ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Credential:
    where: str  # header, query, cookie, or "authorization" (a scheme in the Authorization header)
    name: str  # the header/query/cookie name, or the lower-case scheme ("basic ")
    description: str

    def present(self, request: Request) -> bool:
        if self.where == "header":
            return self.name in request.headers
        if self.where == "query":
            return self.name in request.query
        if self.where == "cookie":
            return self.name in request.cookies
        if self.where == "authorization":
            return request.headers.get("authorization", "").lower().startswith(self.name)
        return True

    @property
    def location(self) -> tuple[LocationPart, ...]:
        if self.where == "authorization":
            return ("header", "Authorization")
        return (self.where, self.name)


class _Security:
    __slots__ = ("alternatives", "location", "message")

    def __init__(self, alternatives: list[list[_Credential]]) -> None:
        self.alternatives = alternatives
        described = [" and ".join(c.description for c in alt) for alt in alternatives]
        self.message = "credentials are missing: send " + " or ".join(described)
        locations = {c.location for alt in alternatives for c in alt}
        self.location: tuple[LocationPart, ...] = next(iter(locations)) if len(locations) == 1 else ("security",)

    @classmethod
    def compile(cls, document: OpenApiDocument, operation: Operation) -> _Security | None:
        schemes = document.security_schemes
        alternatives: list[list[_Credential]] = []
        for requirement in operation.security:
            credentials = [_credential(name, schemes.get(name)) for name in requirement]
            checked = [c for c in credentials if c is not None]
            if not checked:
                return None  # an empty requirement ({}) or one mockpit cannot check: nothing is required
            alternatives.append(checked)
        return cls(alternatives) if alternatives else None

    def check(self, request: Request, found: list[Violation]) -> None:
        for alternative in self.alternatives:
            if all(c.present(request) for c in alternative):
                return
        found.append(Violation(self.location, self.message))


def _credential(name: str, scheme: Mapping[str, Any] | None) -> _Credential | None:
    if not isinstance(scheme, Mapping):
        return None
    kind = scheme.get("type")
    if kind == "apiKey":
        where = str(scheme.get("in", "header"))
        key = str(scheme.get("name", ""))
        return _Credential(where, key, f"an API key in {where} {key} ({name})")
    if kind == "http":
        http = str(scheme.get("scheme", "")).lower()
        label = {"basic": "HTTP basic credentials", "bearer": "a bearer token"}.get(http, f"{http} credentials")
        return _Credential("authorization", http + " ", f"{label} in the Authorization header ({name})")
    if kind in {"oauth2", "openIdConnect"}:
        return _Credential("authorization", "bearer ", f"a bearer token in the Authorization header ({name})")
    return None  # mutualTLS: below HTTP, nothing to check here


# --- jsonschema errors -> violations ---------------------------------------------------------------


def _violations(validator: Any, value: Any, prefix: tuple[LocationPart, ...]) -> list[Violation]:
    out = []
    for error in validator.iter_errors(value):
        location = (*prefix, *error.absolute_path)
        if error.validator == "required" and isinstance(error.instance, Mapping):
            # one error per missing property, its name only in the message: put it in the location too
            missing = [n for n in error.validator_value if n not in error.instance and repr(n) in error.message]
            if missing:
                location = (*location, missing[0])
        message = error.message
        out.append(Violation(location, message if len(message) <= _LIMIT else message[: _LIMIT - 3] + "..."))
    return out
