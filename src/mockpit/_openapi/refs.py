"""The ``$ref``\\s of an OpenAPI document: found, rewritten, joined to their file's URI, followed.

Walking a document for them means telling keywords from names (under ``properties``, a property called
``example`` is a schema) and from literal data (an ``example`` may hold a ``$ref`` key that is no
reference). Loading, the Swagger 2.0 conversion and the load-time check of every ``$ref`` walk it so;
both of the first two also walk a path item's operations, whose keys are named here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from mockpit._errors import MappingError

#: a place in a document: ``("paths", "/pets", "get")``
Location = tuple[str | int, ...]
#: the keys of a path item that hold its operations
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


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
LITERALS = frozenset({"example", "default", "const", "enum", "x-examples"})


def find_refs(value: Any, location: Location = ()) -> Iterator[tuple[Location, str]]:
    """Every ``$ref`` of a document with the location of the object holding it (literal data skipped)."""
    yield from _walk_refs(value, location, names=False)


def _walk_refs(value: Any, location: Location, *, names: bool) -> Iterator[tuple[Location, str]]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not names:
                if key == "$ref" and isinstance(item, str):
                    yield location, item
                    continue
                if key in LITERALS or (key == "value" and "$ref" not in value and _is_example(value)):
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


def map_refs(value: Any, change: Callable[[str], str], *, names: bool = False) -> Any:
    """A copy of ``value`` with every ``$ref`` string changed by ``change`` (literal data left alone)."""
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not names:
                if key == "$ref" and isinstance(item, str):
                    out[key] = change(item)
                    continue
                if (
                    key in LITERALS
                    or (key == "value" and _is_example(value))
                    or (key == "examples" and not isinstance(item, Mapping))
                ):
                    out[key] = item
                    continue
            out[key] = map_refs(item, change, names=not names and key in _NAME_MAPS)
        return out
    if isinstance(value, list):
        return [map_refs(item, change) for item in value]
    return value


def absolute_refs(document: Any, uri: str) -> Any:
    return map_refs(document, lambda ref: join_ref(uri, ref))


def file_path(uri: str) -> str:
    return unquote(urlsplit(uri).path)


def join_ref(base: str, ref: str) -> str:
    if ref.startswith("#"):
        return base.partition("#")[0] + ref
    return urljoin(base, ref)


def resolve_pointer(document: Any, pointer: str, ref: str, display: str) -> Any:
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
