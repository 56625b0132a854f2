"""Checking a document against the OpenAPI specification, each error placed in its file.

openapi-spec-validator reports where an error is in the object it was checking, and checks a schema
reached through a ``$ref`` on its own: on its own, the message could name neither the file nor the
place. Here its errors become a :class:`MappingError` naming both (``api.yaml:
paths./pets.get.responses.200: ...``), for the few first of them; a document found valid is not
checked again in this process.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any, Protocol

from mockpit._errors import MappingError

from .refs import Location

#: errors listed in one MappingError; a broken document can have hundreds, the first few say enough
MAX_ERRORS = 5
# Digests of documents found valid in this process. openapi-spec-validator takes seconds on a large
# document, and a test suite loads the same one into server after server (mockpit_factory).
_VALID: dict[str, None] = {}
_VALID_LIMIT = 64


class Files(Protocol):
    """The loaded files of one document, as the loader holds them."""

    #: the root document's URI; ``documents[uri]`` is the root
    uri: str
    #: how messages name the root document
    display: str
    #: every loaded file's content by URI (without fragment)
    documents: dict[str, Any]

    def display_of(self, uri: str) -> str:
        """A file's name for messages."""
        ...

    def serve(self, uri: str) -> Any:
        """A loaded file's content, for the validator's ``$ref`` resolution (never the network)."""
        ...


def check_document(version: str, files: Files) -> None:
    """Check the document (``version`` ``"2.0"``, ``"3.0"`` or ``"3.1"``) with openapi-spec-validator.

    Raises :class:`MappingError` naming the file and the place of the first :data:`MAX_ERRORS` errors.
    """
    digest = hashlib.sha256(
        json.dumps([files.uri, files.documents], sort_keys=True, default=str).encode("utf-8")
    ).hexdigest()
    if digest in _VALID:
        return
    _check(version, files)
    if len(_VALID) >= _VALID_LIMIT:
        _VALID.clear()
    _VALID[digest] = None


@functools.cache
def _document_schema_validator(version: str) -> Any:
    """jsonschema's validator of the OpenAPI schema itself, whichever backend openapi-spec-validator picks.

    With jsonschema-rs installed (schemathesis brings it) openapi-spec-validator uses it, whose errors
    read differently and do not carry the schema path this module locates errors with.
    """
    from jsonschema.validators import validator_for
    from openapi_spec_validator import schemas

    proxy = {"2.0": schemas.schema_v2, "3.0": schemas.schema_v30, "3.1": schemas.schema_v31}[version]
    content = dict(proxy)
    return validator_for(content)(content)


def _check(version: str, files: Files) -> None:
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
        schema_validator = _document_schema_validator(version)

    handlers = {"<all_urls>": files.serve, "file": files.serve, "urn": files.serve}
    path = SchemaPath.from_dict(files.documents[files.uri], base_uri=files.uri, handlers=handlers)
    errors: list[MappingError] = []
    try:
        for error in _Validator(path).iter_errors():
            found = _spec_error(error, files)
            # the same place is often reported twice: by the OpenAPI schema and by the schema checks
            if all((e.source, e.location) != (found.source, found.location) for e in errors):
                errors.append(found)
            if len(errors) >= MAX_ERRORS:
                break
    except MappingError as exc:  # a $ref the crawl did not load (it reads only what it could name)
        errors.append(exc)
    except Exception as exc:  # the validator itself failed on something it could not resolve
        errors.append(MappingError(f"the document could not be validated: {exc}", source=files.display))
    if errors:
        first = errors[0]
        more = "".join(f"\n  and {e}" for e in errors[1:])
        raise MappingError(first.message + more, source=first.source, field=first.location)


_UNRESOLVED = re.compile(r"Path parameter '([^']*)' for '(\w+)' operation in '([^']*)' was not resolved")


def _spec_error(error: Any, files: Files) -> MappingError:
    unresolved = _UNRESOLVED.fullmatch(str(error.message))
    if unresolved:  # the validator gives no location for this one, but names it
        name, method, path = unresolved.groups()
        return MappingError(
            f"the path has a parameter {{{name}}} that the operation does not declare; add it to its "
            f"parameters with in: path and required: true",
            source=files.display,
            field=("paths", path, method),
        )
    schema = getattr(error, "mockpit_schema", None)
    error, message = _deepest(error)
    inner: Location = tuple(error.absolute_path)
    if schema is None:
        return MappingError(message, source=files.display, field=inner)
    # an error inside a schema: find that schema among the loaded files (the validator read our objects)
    target = schema.read_value()
    for uri, contents in files.documents.items():
        found = _find(contents, target)
        if found is not None:
            return MappingError(message, source=files.display_of(uri), field=(*found, *inner))
    return MappingError(message, source=files.display, field=(*tuple(schema.parts), *inner))


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
