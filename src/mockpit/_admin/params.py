"""What admin requests send, read without models: JSON bodies, query parameters, metadata patterns.

Apart from :mod:`.payloads` (pydantic models), so that the admin API costs no pydantic until a request
sends a payload a model checks: ``mockpit serve`` on plain mapping files starts without it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs

from mockpit._errors import MappingError
from mockpit._json import loads
from mockpit._mapping.read import pattern_from_mapping
from mockpit._matching.pattern import compile_pattern
from mockpit._model import Request, Stub

from .router import AdminError


def read_json(request: Request) -> Any:
    """The request's body as JSON; not JSON is a 400."""
    try:
        return loads(request.body, parse_constant=_reject_constant)
    except ValueError as exc:
        raise AdminError(400, "Error parsing JSON", f"the request body is not valid JSON: {exc}") from None


def _reject_constant(name: str) -> Any:
    # Python's json reads NaN and Infinity, which are not JSON: a stub holding one would be listed
    # back as invalid JSON by GET /__admin/mappings.
    raise ValueError(f"{name} is not a JSON value")


def query_parameters(request: Request) -> dict[str, list[str]]:
    """Each query parameter's values, in order (``limit``, ``since``, ``unmatched`` ...)."""
    return parse_qs(request.query_string, keep_blank_values=True)


def int_param(request: Request, name: str) -> int | None:
    """The query parameter ``name`` as a whole number of 0 or more (``limit``, ``offset``), or None."""
    values = query_parameters(request).get(name)
    if not values:
        return None
    value = values[0]
    if not value.isdigit():
        raise AdminError(
            400, "Invalid query parameter", f"{name} must be a whole number of 0 or more, got {value!r}", parameter=name
        )
    return int(value)


def since_param(request: Request) -> int | None:
    """The ``since`` query parameter in milliseconds since the epoch."""
    values = query_parameters(request).get("since")
    if not values:
        return None
    value = values[0]
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise AdminError(
            400,
            "Invalid query parameter",
            f"since must be an ISO 8601 date-time such as 2024-05-01T12:00:00Z, got {value!r}",
            parameter="since",
        ) from None
    if moment.tzinfo is None:  # WireMock reads a date without a zone as UTC
        moment = moment.replace(tzinfo=timezone.utc)
    return round(moment.timestamp() * 1000)


def metadata_matcher(data: Any) -> Callable[[Stub], bool]:
    """WireMock's metadata search: a content pattern (``matchesJsonPath``, ``equalToJson`` ...) tested
    on each stub's metadata as JSON. Stubs without metadata never match."""
    if not isinstance(data, Mapping):
        raise AdminError(
            400,
            "Invalid metadata pattern",
            'the body must be a pattern such as {"matchesJsonPath": "$.team"} or {"equalToJson": {...}}',
            pointer="/",
        )
    try:
        # the body patterns are exactly WireMock's content patterns: reuse their validation and matchers
        pattern = pattern_from_mapping({"bodyPatterns": [data]}, source="admin API")
    except MappingError as exc:
        location = exc.location[2:] if exc.location[:2] == ("bodyPatterns", 0) else exc.location
        raise AdminError(
            400, "Invalid metadata pattern", exc.message, pointer=MappingError("", field=location).pointer
        ) from None
    compiled = compile_pattern(pattern)

    def matches(stub: Stub) -> bool:
        if stub.metadata is None:
            return False
        probe = Request("POST", "/", headers=[("Content-Type", "application/json")], body=_dump(stub.metadata))
        return compiled.match(probe).matched

    return matches


def _dump(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, default=str).encode("utf-8")
