"""Loading an OpenAPI document: read, follow local ``$ref``\\s across files, validate, normalise.

OpenAPI 3.0 and 3.1 (JSON or YAML) and Swagger 2.0 are read. The document is validated with
openapi-spec-validator; an invalid one raises :class:`MappingError` naming the file and the place in it
(``api.yaml: paths./pets.get.responses.200: ...``). Swagger 2.0 is then rewritten into the OpenAPI 3.0
shape, so that everything above this module knows one shape only.

Every ``$ref`` is made absolute (``file:///.../api.yaml#/components/schemas/Pet``) once the files are
loaded: a schema taken out of its document, merged with another (``allOf``) or handed to jsonschema
then still points at the right place, and one :class:`referencing.Registry` of the loaded files serves
every validator.
"""

from __future__ import annotations

import copy
import datetime
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import unquote, urljoin, urlsplit

from mockpit._errors import MappingError

if TYPE_CHECKING:
    from jsonschema.protocols import Validator
    from referencing import Registry

Version = Literal["2.0", "3.0", "3.1"]
Location = tuple[str | int, ...]

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
#: the URI of a document given as a dict; it has no file to resolve other files against
DICT_URI = "urn:mockpit:openapi"
#: errors listed in one MappingError; a broken document can have hundreds, the first few say enough
MAX_ERRORS = 5
# Digests of documents found valid in this process. openapi-spec-validator takes seconds on a large
# document, and a test suite loads the same one into server after server (mockpit_factory).
_VALID: dict[str, None] = {}
_VALID_LIMIT = 64


def is_openapi(contents: Any) -> bool:
    """Whether a parsed JSON/YAML file is an OpenAPI or Swagger document (not a WireMock mapping)."""
    return isinstance(contents, Mapping) and ("openapi" in contents or "swagger" in contents)


@dataclass(frozen=True)
class Operation:
    """One operation of the document, its references resolved (Swagger 2.0 already in the 3.0 shape)."""

    method: str
    path: str
    operation_id: str | None
    #: where it is in the root document: ``("paths", "/pets", "get")``
    location: Location
    #: parameter objects, path-level ones merged in (an operation's own win)
    parameters: tuple[Mapping[str, Any], ...]
    request_body: Mapping[str, Any] | None
    #: status code (``"200"``, ``"4XX"``, ``"default"``) -> response object
    responses: Mapping[str, Mapping[str, Any]]
    #: alternatives; each maps scheme names to scopes. ``[]`` or ``[{}]`` means no credentials needed
    security: tuple[Mapping[str, Any], ...]

    @property
    def label(self) -> str:
        """``GET /pets (listPets)``: how messages name the operation."""
        name = f" ({self.operation_id})" if self.operation_id else ""
        return f"{self.method} {self.path}{name}"


@dataclass
class OpenApiDocument:
    """A loaded, validated OpenAPI document in the OpenAPI 3 shape, with every ``$ref`` absolute."""

    #: how messages name it: the path as given, or ``openapi document`` for a dict
    source: str
    uri: str
    #: the version as written: Swagger 2.0 documents are converted but say ``2.0`` here
    version: Version
    #: every loaded file's content by URI (without fragment); ``documents[uri]`` is the root
    documents: dict[str, Any]
    #: the files read: the root and those its ``$ref``\s lead to
    files: list[Path] = field(default_factory=list)
    _lookups: dict[str, Any] = field(default_factory=dict, repr=False)
    _registry: Registry | None = field(default=None, repr=False)

    @property
    def root(self) -> dict[str, Any]:
        root: dict[str, Any] = self.documents[self.uri]
        return root

    @property
    def schema_version(self) -> Literal["3.0", "3.1"]:
        """Which schema dialect the schemas follow (Swagger 2.0 schemas are read as OpenAPI 3.0 ones)."""
        return "3.1" if self.version == "3.1" else "3.0"

    @property
    def title(self) -> str:
        info = self.root.get("info")
        return str(info.get("title", "")) if isinstance(info, Mapping) else ""

    def lookup(self, ref: str) -> Any:
        """The value an absolute ``$ref`` points at. Raises :class:`MappingError` if there is none."""
        found = self._lookups.get(ref)
        if found is None:
            uri, _, fragment = ref.partition("#")
            if uri not in self.documents:
                raise MappingError(f"$ref {ref!r} points into a document that was not loaded", source=self.source)
            found = _pointer(self.documents[uri], unquote(fragment), ref, self.source)
            self._lookups[ref] = found
        return found

    def resolve(self, value: Any) -> Any:
        """``value`` with its ``$ref`` chain followed (a schema keeps siblings of its ``$ref``: see merge)."""
        seen = 0
        while isinstance(value, Mapping) and isinstance(value.get("$ref"), str) and len(value) == 1:
            value = self.lookup(value["$ref"])
            seen += 1
            if seen > 100:
                raise MappingError(f"$ref cycle: {value!r} refers to itself", source=self.source)
        return value

    def resolve_object(self, value: Any) -> Any:
        """A parameter, response, request body ...: its ``$ref`` followed, siblings ignored (as OpenAPI says)."""
        seen = 0
        while isinstance(value, Mapping) and isinstance(value.get("$ref"), str):
            value = self.lookup(value["$ref"])
            seen += 1
            if seen > 100:
                raise MappingError("$ref cycle among the document's objects", source=self.source)
        return value

    @property
    def registry(self) -> Registry:
        """Every loaded file as a :mod:`referencing` resource, for jsonschema's ``$ref`` resolution."""
        if self._registry is None:
            from referencing import Registry
            from referencing.jsonschema import DRAFT4, DRAFT202012

            specification = DRAFT202012 if self.schema_version == "3.1" else DRAFT4
            self._registry = Registry().with_resources(
                (uri, specification.create_resource(contents)) for uri, contents in self.documents.items()
            )
        return self._registry

    def validator(self, schema: Any, *, mode: Literal["read", "write"]) -> Validator:
        """A jsonschema validator of the document's dialect for ``schema``; formats are checked.

        ``read`` validates what the API sends (``writeOnly`` properties must be absent), ``write`` what it
        receives (``readOnly`` ones must be absent, and are not required).
        """
        from openapi_schema_validator import (
            OAS30ReadValidator,
            OAS30WriteValidator,
            OAS31Validator,
        )

        if self.schema_version == "3.1":
            cls: Any = OAS31Validator
        else:
            cls = OAS30ReadValidator if mode == "read" else OAS30WriteValidator
        validator: Validator = cls(schema, registry=self.registry, format_checker=cls.FORMAT_CHECKER)
        return validator

    @property
    def security_schemes(self) -> dict[str, Mapping[str, Any]]:
        components = self.root.get("components") or {}
        schemes = components.get("securitySchemes") or {}
        return {name: self.resolve_object(scheme) for name, scheme in schemes.items()}

    def operations(self) -> list[Operation]:
        """Every operation, in document order."""
        out: list[Operation] = []
        root_security = tuple(self.root.get("security") or ())
        for path, declared in (self.root.get("paths") or {}).items():
            item = self.resolve_object(declared)
            if not isinstance(item, Mapping):
                continue
            shared = {_parameter_key(self.resolve_object(p)): p for p in item.get("parameters") or ()}
            for method in HTTP_METHODS:
                operation = item.get(method)
                if not isinstance(operation, Mapping):
                    continue
                parameters = dict(shared)
                for p in operation.get("parameters") or ():
                    parameters[_parameter_key(self.resolve_object(p))] = p
                body = operation.get("requestBody")
                security = operation.get("security")
                out.append(
                    Operation(
                        method=method.upper(),
                        path=path,
                        operation_id=operation.get("operationId"),
                        location=("paths", path, method),
                        parameters=tuple(self.resolve_object(p) for p in parameters.values()),
                        request_body=self.resolve_object(body) if body is not None else None,
                        responses={
                            str(code): self.resolve_object(response)
                            for code, response in (operation.get("responses") or {}).items()
                        },
                        security=root_security if security is None else tuple(security),
                    )
                )
        return out


def _parameter_key(parameter: Any) -> tuple[str, str]:
    if not isinstance(parameter, Mapping):
        return ("", repr(parameter))
    location = str(parameter.get("in", ""))
    name = str(parameter.get("name", ""))
    # header names are case-insensitive: an operation's "accept" replaces a path item's "Accept"
    return (location, name.lower() if location == "header" else name)


# --- loading ---------------------------------------------------------------------------------------


def load_openapi(
    source: str | os.PathLike[str] | Mapping[str, Any], *, contents: Any = None, name: str | None = None
) -> OpenApiDocument:
    """Read, resolve, validate and normalise an OpenAPI document (a file path, or the document as a dict).

    ``contents`` is the root file's parsed content when the caller has read it already. Raises
    :class:`MappingError` with the file and the place in it when the document is unreadable or invalid.
    """
    if isinstance(source, Mapping):
        display = name or "openapi document"
        uri = DICT_URI
        root = _jsonable(source)
        root_path: Path | None = None
    else:
        root_path = Path(source)
        display = name or str(root_path)
        uri = root_path.resolve().as_uri()
        root = _jsonable(contents) if contents is not None else read_file(root_path, display)
    if not is_openapi(root):
        raise MappingError(
            "this is not an OpenAPI document: it has no top-level 'openapi' or 'swagger' key "
            "(mockpit reads OpenAPI 3.0, 3.1 and Swagger 2.0)",
            source=display,
        )
    version = _version(root, display)
    loader = _Loader(display, uri, root_path)
    loader.add(uri, root)
    loader.crawl()
    _validate(version, loader)
    documents = loader.documents
    if version == "2.0":
        documents = {u: _refs_to_v3(d) for u, d in documents.items()}
        documents[uri] = _swagger_to_v3(documents[uri], loader.lookup_v2)
    documents = {u: _absolute_refs(d, u) for u, d in documents.items()}
    document = OpenApiDocument(display, uri, version, documents, files=loader.files)
    _check_refs(document)
    return document


def read_file(path: Path, display: str | None = None) -> Any:
    """A JSON or YAML file as JSON values (YAML dates become ISO strings, integer keys strings)."""
    display = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise MappingError(f"cannot read the file: {exc}", source=display) from None
    if path.suffix.lower() == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise MappingError(
                f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}", source=display
            ) from None
    import yaml

    # libyaml's parser is ~10x faster than PyYAML's own, which takes seconds on a large API description
    loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        value = yaml.load(text, Loader=loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise MappingError(f"invalid YAML{where}: {problem}", source=display) from None
    return _jsonable(value)


def _jsonable(value: Any) -> Any:
    """A deep copy holding JSON values only: YAML reads ``200:`` as an int and ``2024-01-01`` as a date."""
    if isinstance(value, Mapping):
        return {str(k) if not isinstance(k, str) else k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return value


def _version(root: Mapping[str, Any], display: str) -> Version:
    if "swagger" in root:
        if str(root["swagger"]) != "2.0":
            raise MappingError(
                f"Swagger version {root['swagger']!r} is not supported; mockpit reads Swagger 2.0 and OpenAPI 3.0/3.1",
                source=display,
                field=("swagger",),
            )
        return "2.0"
    version = str(root["openapi"])
    if version.startswith("3.0"):
        return "3.0"
    if version.startswith("3.1"):
        return "3.1"
    raise MappingError(
        f"OpenAPI version {version!r} is not supported; mockpit reads OpenAPI 3.0 and 3.1 and Swagger 2.0",
        source=display,
        field=("openapi",),
    )


class _Loader:
    """The root document and every local file its ``$ref``\\s lead to, each read once."""

    def __init__(self, display: str, uri: str, root_path: Path | None) -> None:
        self.display = display
        self.uri = uri
        self.root_path = root_path
        self.documents: dict[str, Any] = {}
        self.files: list[Path] = []
        self._pending: list[str] = []

    def add(self, uri: str, contents: Any) -> None:
        self.documents[uri] = contents
        self._pending.append(uri)
        if uri.startswith("file:"):
            self.files.append(Path(_file_path(uri)))

    def display_of(self, uri: str) -> str:
        """A file's name for messages, relative like the root's path was given."""
        if uri == self.uri or self.root_path is None or not uri.startswith("file:"):
            return self.display
        path = Path(_file_path(uri))
        try:
            return str(self.root_path.parent / path.relative_to(self.root_path.resolve().parent))
        except ValueError:
            return str(path)

    def crawl(self) -> None:
        while self._pending:
            uri = self._pending.pop()
            for location, ref in _refs(self.documents[uri]):
                target = _join(uri, ref).partition("#")[0]
                if target in self.documents:
                    continue
                self._load(uri, location, ref, target)

    def _load(self, uri: str, location: Location, ref: str, target: str) -> None:
        where = {"source": self.display_of(uri), "field": (*location, "$ref")}
        if uri == DICT_URI and not ref.startswith("#"):
            raise MappingError(
                f"$ref {ref!r} refers to another file, but the document was given as a dict; "
                "load it from its file so that other files can be found",
                **where,  # type: ignore[arg-type]
            )
        scheme = urlsplit(target).scheme
        if scheme != "file":
            raise MappingError(
                f"$ref {ref!r} refers to a remote document; mockpit reads local files only: "
                "download it and refer to the local copy",
                **where,  # type: ignore[arg-type]
            )
        path = Path(_file_path(target))
        if not path.is_file():
            raise MappingError(f"$ref {ref!r}: there is no file {path}", **where)  # type: ignore[arg-type]
        self.add(target, read_file(path, self.display_of(target)))

    def lookup_v2(self, ref: str) -> Any:
        """A Swagger 2.0 root's shared parameter or response, converted (the conversion inlines them)."""
        target = _join(self.uri, ref)
        uri, _, fragment = target.partition("#")
        value = _pointer(self.documents[uri], unquote(fragment), ref, self.display)
        return _refs_to_v3(_absolute_refs(value, uri))

    def serve(self, uri: str) -> Any:
        """The resolver openapi-spec-validator gets: the files read here, never the network."""
        key = uri.partition("#")[0]
        if key not in self.documents:
            raise MappingError(f"{uri} was not loaded", source=self.display)
        return self.documents[key]


def _file_path(uri: str) -> str:
    return unquote(urlsplit(uri).path)


def _join(base: str, ref: str) -> str:
    if ref.startswith("#"):
        return base.partition("#")[0] + ref
    return urljoin(base, ref)


def _pointer(document: Any, pointer: str, ref: str, display: str) -> Any:
    value = document
    if pointer in {"", "/"}:
        return value
    if not pointer.startswith("/"):
        raise MappingError(
            f"$ref {ref!r}: the part after # must be a JSON pointer such as #/components/schemas/Pet",
            source=display,
        )
    for raw in pointer[1:].split("/"):
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            raise MappingError(f"$ref {ref!r} points at nothing: there is no {part!r} there", source=display)
    return value


# Keys whose values are names (of schemas, properties, ...) mapped to objects, never keywords themselves:
# under "properties", a property called "example" is a schema like any other.
_NAME_MAPS = frozenset(
    {
        "properties",
        "patternProperties",
        "definitions",
        "$defs",
        "schemas",
        "responses",
        "parameters",
        "headers",
        "securitySchemes",
        "requestBodies",
        "paths",
        "callbacks",
        "links",
        "content",
        "encoding",
        "pathItems",
        "webhooks",
        "mapping",
    }
)
# Keys holding literal data that may look like anything, "$ref" keys included.
_LITERALS = frozenset({"example", "default", "const", "enum", "x-examples"})


def _refs(value: Any, location: Location = ()) -> Iterator[tuple[Location, str]]:
    """Every ``$ref`` of a document with the location of the object holding it (literal data skipped)."""
    yield from _walk_refs(value, location, names=False)


def _walk_refs(value: Any, location: Location, *, names: bool) -> Iterator[tuple[Location, str]]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not names:
                if key == "$ref" and isinstance(item, str):
                    yield location, item
                    continue
                if key in _LITERALS or (key == "value" and "$ref" not in value and _is_example(value)):
                    continue
                if key == "examples" and not isinstance(item, Mapping):
                    continue  # a JSON Schema "examples" list: literal values
            yield from _walk_refs(item, (*location, key), names=not names and key in _NAME_MAPS)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _walk_refs(item, (*location, i), names=False)


def _is_example(value: Mapping[str, Any]) -> bool:
    """An Example Object: its ``value`` is literal data. (A schema property called "value" is a schema.)"""
    return "value" in value and set(value) <= {"value", "summary", "description", "externalValue"} | {
        k for k in value if isinstance(k, str) and k.startswith("x-")
    }


def _map_refs(value: Any, change: Callable[[str], str], *, names: bool = False) -> Any:
    """A copy of ``value`` with every ``$ref`` string changed by ``change`` (literal data left alone)."""
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not names:
                if key == "$ref" and isinstance(item, str):
                    out[key] = change(item)
                    continue
                if (
                    key in _LITERALS
                    or (key == "value" and _is_example(value))
                    or (key == "examples" and not isinstance(item, Mapping))
                ):
                    out[key] = item
                    continue
            out[key] = _map_refs(item, change, names=not names and key in _NAME_MAPS)
        return out
    if isinstance(value, list):
        return [_map_refs(item, change) for item in value]
    return value


def _absolute_refs(document: Any, uri: str) -> Any:
    return _map_refs(document, lambda ref: _join(uri, ref))


def _check_refs(document: OpenApiDocument) -> None:
    """A ``$ref`` that points at nothing is an error of the document, found at load and not mid-request."""
    for uri, contents in document.documents.items():
        for location, ref in _refs(contents):
            try:
                document.lookup(ref)
            except MappingError as exc:
                display = document.source if uri == document.uri else _file_path(uri)
                raise MappingError(exc.message, source=display, field=(*location, "$ref")) from None


# --- validation of the document ----------------------------------------------------------------------


def _validate(version: Version, loader: _Loader) -> None:
    digest = hashlib.sha256(
        json.dumps([loader.uri, loader.documents], sort_keys=True, default=str).encode("utf-8")
    ).hexdigest()
    if digest in _VALID:
        return
    _check(version, loader)
    if len(_VALID) >= _VALID_LIMIT:
        _VALID.clear()
    _VALID[digest] = None


def _check(version: Version, loader: _Loader) -> None:
    from jsonschema_path import SchemaPath
    from openapi_spec_validator import (
        OpenAPIV2SpecValidator,
        OpenAPIV30SpecValidator,
        OpenAPIV31SpecValidator,
    )
    from openapi_spec_validator.validation import keywords

    base: Any = {"2.0": OpenAPIV2SpecValidator, "3.0": OpenAPIV30SpecValidator, "3.1": OpenAPIV31SpecValidator}[version]
    schema_keyword: Any = keywords.OpenAPIV31SchemaValidator if version == "3.1" else keywords.OpenAPIV30SchemaValidator

    # openapi-spec-validator checks a schema reached through a $ref on its own: its errors' paths start at
    # that schema. Noting which schema each error came from lets the message name the file and the place.
    class _Locating(schema_keyword):  # type: ignore[misc]
        def __call__(self, schema: Any, require_properties: bool = True, meta_checked: bool = False) -> Any:
            for error in super().__call__(schema, require_properties, meta_checked):
                if not hasattr(error, "mockpit_schema"):
                    error.mockpit_schema = schema
                yield error

    class _Validator(base):  # type: ignore[misc]
        keyword_validators = {**base.keyword_validators, "schema": _Locating}

    handlers = {"<all_urls>": loader.serve, "file": loader.serve, "urn": loader.serve}
    path = SchemaPath.from_dict(loader.documents[loader.uri], base_uri=loader.uri, handlers=handlers)
    errors: list[MappingError] = []
    try:
        for error in _Validator(path).iter_errors():
            found = _spec_error(error, loader)
            # the same place is often reported twice: by the OpenAPI schema and by the schema checks
            if all((e.source, e.location) != (found.source, found.location) for e in errors):
                errors.append(found)
            if len(errors) >= MAX_ERRORS:
                break
    except MappingError as exc:  # a $ref the crawl did not load (it reads only what it could name)
        errors.append(exc)
    except Exception as exc:  # the validator itself failed on something it could not resolve
        errors.append(MappingError(f"the document could not be validated: {exc}", source=loader.display))
    if errors:
        first = errors[0]
        more = "".join(f"\n  and {e}" for e in errors[1:])
        raise MappingError(first.message + more, source=first.source, field=first.location)


_UNRESOLVED = re.compile(r"Path parameter '([^']*)' for '(\w+)' operation in '([^']*)' was not resolved")


def _spec_error(error: Any, loader: _Loader) -> MappingError:
    unresolved = _UNRESOLVED.fullmatch(str(error.message))
    if unresolved:  # the validator gives no location for this one, but names it
        name, method, path = unresolved.groups()
        return MappingError(
            f"the path has a parameter {{{name}}} that the operation does not declare; add it to its "
            f"parameters with in: path and required: true",
            source=loader.display,
            field=("paths", path, method),
        )
    schema = getattr(error, "mockpit_schema", None)
    error, message = _deepest(error)
    inner: Location = tuple(error.absolute_path)
    if schema is None:
        return MappingError(message, source=loader.display, field=inner)
    # an error inside a schema: find that schema among the loaded files (the validator read our objects)
    target = schema.read_value()
    for uri, contents in loader.documents.items():
        found = _find(contents, target)
        if found is not None:
            return MappingError(message, source=loader.display_of(uri), field=(*found, *inner))
    return MappingError(message, source=loader.display, field=(*tuple(schema.parts), *inner))


def _deepest(error: Any) -> tuple[Any, str]:
    """For "not valid under any of the given schemas", the branch error that went furthest, which says why."""
    while error.context:
        candidates = [e for e in error.context if not (e.validator == "required" and e.validator_value == ["$ref"])]
        candidates = candidates or list(error.context)
        depth = max(len(e.absolute_path) for e in candidates)
        deepest = [e for e in candidates if len(e.absolute_path) == depth]
        enums = [e for e in deepest if e.validator == "enum" and e.absolute_path == deepest[0].absolute_path]
        if len(enums) > 1 and len(enums) == len(deepest):
            # each branch allows other values ("in": path, query, header or cookie): name them all
            allowed = [v for e in enums for v in e.validator_value]
            return enums[0], _short(f"{enums[0].instance!r} is not one of {allowed!r}")
        error = deepest[0]
    return error, _short(error.message)


def _find(value: Any, target: Any, location: Location = ()) -> Location | None:
    if value is target:
        return location
    if isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(item, (Mapping, list)):
                found = _find(item, target, (*location, key))
                if found is not None:
                    return found
    elif isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, (Mapping, list)):
                found = _find(item, target, (*location, i))
                if found is not None:
                    return found
    return None


def _short(message: str, limit: int = 240) -> str:
    return message if len(message) <= limit else message[: limit - 3] + "..."


# --- Swagger 2.0 -> OpenAPI 3.0 --------------------------------------------------------------------------
# Written here rather than taken from a library: the maintained converters (swagger2openapi) are
# JavaScript, and the Python ones are unmaintained. Only what a mock needs is converted: paths,
# parameters, bodies, responses, schemas, security.

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


def _refs_to_v3(document: Any) -> Any:
    def change(ref: str) -> str:
        for old, new in _V2_REFS:
            if old in ref:
                return ref.replace(old, new, 1)
        return ref

    return _schemas_to_v3(_map_refs(document, change))


def _schemas_to_v3(value: Any) -> Any:
    """Swagger 2.0 schema extensions in their OpenAPI 3.0 spelling (x-nullable, type: file, discriminator)."""
    if isinstance(value, dict):
        out = {k: _schemas_to_v3(v) if k not in _LITERALS else v for k, v in value.items()}
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


def _swagger_to_v3(root: Mapping[str, Any], lookup: Callable[[str], Any]) -> Any:
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
