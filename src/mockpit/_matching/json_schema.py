"""JSON Schema for ``matchesJsonSchema``, through the jsonschema library (imported on first use).

As in WireMock: the draft is chosen by ``schemaVersion`` (V202012 by default, whatever ``$schema`` says);
a value that is not JSON is validated as a JSON string; a number, boolean or null that fails is given a
second chance as the string it was sent as (a query parameter ``5`` may match ``{"type": "string"}``).

References are resolved among the schema itself and the drafts' meta-schemas only: a ``$ref`` to a URL
is never fetched (a request must not make mockpit reach the network), so the schema does not match.
"""

from __future__ import annotations

import functools
import json
from typing import TYPE_CHECKING, Any

from mockpit._extras import require
from mockpit._json import loads
from mockpit._model import JSON_SCHEMA_VERSIONS, JsonSchemaVersion
from mockpit._types import JSON

from .schema_keywords import budgeted

if TYPE_CHECKING:
    from collections.abc import Iterator

DEFAULT_VERSION: JsonSchemaVersion = "V202012"
_CLASSES = {
    "V4": "Draft4Validator",
    "V6": "Draft6Validator",
    "V7": "Draft7Validator",
    "V201909": "Draft201909Validator",
    "V202012": "Draft202012Validator",
}


class SchemaCheck:
    """A schema compiled into a validator, built once when its stub loads."""

    __slots__ = ("_properties", "_validator", "version")

    def __init__(self, schema: JSON, version: JsonSchemaVersion | None = None) -> None:
        import jsonschema
        from jsonschema_specifications import REGISTRY

        self.version = version or DEFAULT_VERSION
        if self.version not in JSON_SCHEMA_VERSIONS:
            raise ValueError(f"schemaVersion must be one of {', '.join(JSON_SCHEMA_VERSIONS)}, got {self.version!r}")
        # its patterns within the regex time budget (a hostile one held the server for seconds)
        cls: Any = budgeted(getattr(jsonschema, _CLASSES[self.version]))
        try:
            cls.check_schema(schema)
        except jsonschema.SchemaError as exc:
            where = "".join(f"/{part}" for part in exc.path) or "/"
            raise ValueError(f"not a valid {self.version} JSON schema: {exc.message} (at {where})") from None
        # the drafts' meta-schemas and nothing else: the default registry would fetch remote $refs
        self._validator = cls(schema, registry=REGISTRY)
        self._properties = max(1, _count_properties(schema))

    def errors(self, text: str) -> list[str]:
        """Why ``text`` does not conform (``[]`` when it does)."""
        try:
            data: JSON = loads(text)
        except ValueError:
            data = text
        found = self._errors(data)
        if found and not isinstance(data, (str, list, dict)):
            found = self._errors(text)
        return found

    def _errors(self, data: JSON) -> list[str]:
        from referencing.exceptions import Unresolvable

        try:
            return [_describe(error) for error in self._iter(data)]
        except Unresolvable as exc:
            return [f"the schema refers to {exc.ref!r}, which mockpit does not fetch"]

    def _iter(self, data: JSON) -> Iterator[Any]:
        yield from self._validator.iter_errors(data)

    def distance(self, text: str) -> float:
        """As WireMock: the share of the schema's properties that failed."""
        return min(1.0, max(0.1, len(self.errors(text)) / self._properties))


def _describe(error: Any) -> str:
    where = "".join(f"[{part!r}]" if isinstance(part, int) else f".{part}" for part in error.absolute_path)
    return f"{error.message} (at ${where})"


def _count_properties(schema: JSON) -> int:
    if isinstance(schema, dict):
        return len(schema) + sum(_count_properties(v) for v in schema.values())
    if isinstance(schema, list):
        return sum(_count_properties(v) for v in schema)
    return 0


def parse_schema(value: JSON) -> JSON:
    """The schema a mapping gives: inline, or as a string holding JSON (raises :class:`ValueError`)."""
    if isinstance(value, str):
        try:
            return loads(value)
        except ValueError as exc:
            raise ValueError(f"matchesJsonSchema holds a string that is not valid JSON: {exc}") from None
    return value


@functools.lru_cache(maxsize=1024)
def _cached(schema_text: str, version: JsonSchemaVersion | None) -> SchemaCheck:
    return SchemaCheck(loads(schema_text), version)


def compile_schema(value: JSON, version: JsonSchemaVersion | None = None) -> SchemaCheck:
    """A :class:`SchemaCheck` for ``value`` (a schema, or JSON text of one), built once per schema."""
    require("jsonschema", "JSON Schema matching (matchesJsonSchema)")
    schema = parse_schema(value)
    return _cached(json.dumps(schema, sort_keys=True), version)
