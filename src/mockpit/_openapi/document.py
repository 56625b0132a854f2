"""Loading an OpenAPI document: read, follow local ``$ref``\\s across files, validate, normalise.

OpenAPI 3.0 and 3.1 (JSON or YAML) and Swagger 2.0 are read. The files are checked against the
specification (:mod:`.locate`: an invalid one raises :class:`MappingError` naming the file and the
place in it), then Swagger 2.0 is rewritten into the OpenAPI 3.0 shape (:mod:`.swagger`), so that
everything above this module knows one shape only.

Every ``$ref`` is made absolute (``file:///.../api.yaml#/components/schemas/Pet``) once the files are
loaded: a schema taken out of its document, merged with another (``allOf``) or handed to jsonschema
then still points at the right place, and one :class:`referencing.Registry` of the loaded files serves
every validator.
"""

from __future__ import annotations

import datetime
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import unquote, urlsplit

from mockpit._errors import MappingError
from mockpit._extras import require
from mockpit._json import TooBig, TooDeep, check_size, loads
from mockpit._matching.schema_keywords import budgeted

from .locate import check_document
from .refs import HTTP_METHODS, Location, absolute_refs, file_path, find_refs, join_ref, resolve_pointer
from .swagger import refs_to_v3, swagger_to_v3

if TYPE_CHECKING:
    from jsonschema.protocols import Validator
    from referencing import Registry

Version = Literal["2.0", "3.0", "3.1"]
#: the URI of a document given as a dict; it has no file to resolve other files against
DICT_URI = "urn:mockpit:openapi"


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
            found = resolve_pointer(self.documents[uri], unquote(fragment), ref, self.source)
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
        # the schema's patterns within the regex time budget (a hostile one held the server for seconds);
        # this also replaces openapi-schema-validator's ECMA engine (regress, when installed) with mockpit's
        cls = budgeted(cls)
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
    for module in ("openapi_spec_validator", "jsonschema", "rstr"):
        require(module, "Serving an OpenAPI document")
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
    check_document(version, loader)
    documents = loader.documents
    if version == "2.0":
        documents = {u: refs_to_v3(d) for u, d in documents.items()}
        documents[uri] = swagger_to_v3(documents[uri], loader.lookup_v2)
    documents = {u: absolute_refs(d, u) for u, d in documents.items()}
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
            return loads(text)
        except json.JSONDecodeError as exc:
            raise MappingError(
                f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}", source=display
            ) from None
        except TooDeep as exc:
            raise MappingError(f"invalid JSON: {exc}", source=display) from None
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
    except RecursionError:
        raise MappingError(f"invalid YAML: {TooDeep('the document')}", source=display) from None
    try:
        check_size(value)  # before the copy below, which would expand a document's aliases
    except (TooDeep, TooBig) as exc:
        raise MappingError(f"invalid YAML: {exc}", source=display) from None
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
            self.files.append(Path(file_path(uri)))

    def display_of(self, uri: str) -> str:
        """A file's name for messages, relative like the root's path was given."""
        if uri == self.uri or self.root_path is None or not uri.startswith("file:"):
            return self.display
        path = Path(file_path(uri))
        try:
            return str(self.root_path.parent / path.relative_to(self.root_path.resolve().parent))
        except ValueError:
            return str(path)

    def crawl(self) -> None:
        while self._pending:
            uri = self._pending.pop()
            for location, ref in find_refs(self.documents[uri]):
                target = join_ref(uri, ref).partition("#")[0]
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
        path = Path(file_path(target))
        if not path.is_file():
            raise MappingError(f"$ref {ref!r}: there is no file {path}", **where)  # type: ignore[arg-type]
        self.add(target, read_file(path, self.display_of(target)))

    def lookup_v2(self, ref: str) -> Any:
        """A Swagger 2.0 root's shared parameter or response, converted (the conversion inlines them)."""
        target = join_ref(self.uri, ref)
        uri, _, fragment = target.partition("#")
        value = resolve_pointer(self.documents[uri], unquote(fragment), ref, self.display)
        return refs_to_v3(absolute_refs(value, uri))

    def serve(self, uri: str) -> Any:
        """The resolver openapi-spec-validator gets: the files read here, never the network."""
        key = uri.partition("#")[0]
        if key not in self.documents:
            raise MappingError(f"{uri} was not loaded", source=self.display)
        return self.documents[key]


def _check_refs(document: OpenApiDocument) -> None:
    """A ``$ref`` that points at nothing is an error of the document, found at load and not mid-request."""
    for uri, contents in document.documents.items():
        for location, ref in find_refs(contents):
            try:
                document.lookup(ref)
            except MappingError as exc:
                display = document.source if uri == document.uri else file_path(uri)
                raise MappingError(exc.message, source=display, field=(*location, "$ref")) from None
