"""What admin requests send, read and checked: JSON bodies, query parameters and the payload models.

A payload is validated whole by its pydantic model before anything changes, and an error names the
field (``source.pointer``) through the mapping format's translator. Stubs and request patterns in a
payload are read by the mapping format itself (:mod:`mockpit._mapping.read`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any, Literal, TypeVar
from urllib.parse import parse_qs

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from mockpit._errors import MappingError
from mockpit._json import loads
from mockpit._mapping.errors import Location, mapping_error
from mockpit._mapping.models import _DelayDistributionModel, check_base64
from mockpit._mapping.read import pattern_from_mapping
from mockpit._matching.pattern import compile_pattern
from mockpit._model import Request, Stub

from .router import AdminError

_M = TypeVar("_M", bound=BaseModel)


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


def validate(model: type[_M], data: Any, title: str) -> _M:
    """``data`` checked by ``model``; else a 400 titled ``title`` naming every wrong field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:

        def unknown_field(loc: Location) -> str:
            return f"unknown field; {_expected_fields(model, loc[:-1])}"

        wording = {"extra_forbidden": unknown_field, "missing": lambda _: "is required"}
        error = mapping_error(exc, data, wording=wording, listed=True)
        raise AdminError(400, title, str(error), pointer=error.pointer) from None


def _expected_fields(model: type[BaseModel], parent: Location) -> str:
    for part in parent:
        field = model.model_fields.get(str(part))
        annotation = field.annotation if field else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return "check its spelling"
        model = annotation
    return f"expected one of: {', '.join(model.model_fields)}"


# --- the payloads: validated whole, so that an error names the field ------------------------------


class _Payload(BaseModel):
    # built on the first admin call, not at import: `mockpit serve` starts faster, most runs never need them
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)


class _SettingsModel(_Payload):
    """The global settings (``POST /__admin/settings``)."""

    fixedDelay: int | None = Field(
        None, ge=0, description="Milliseconds added to every stub response without its own fixedDelayMilliseconds"
    )
    extended: dict[str, Any] | None = None
    proxyPassThrough: bool | None = None
    delayDistribution: _DelayDistributionModel | None = Field(
        None, description="A random delay added to every stub response without a delay of its own"
    )


class _ImportOptionsModel(_Payload):
    duplicatePolicy: Literal["OVERWRITE", "IGNORE"] = "OVERWRITE"
    deleteAllNotInImport: bool = False


class _ImportModel(_Payload):
    """Stub mappings to import, all checked before any is added (``POST /__admin/mappings/import``)."""

    # any JSON here: each is read by the mapping format, so that an error points inside it (mappings[2]...)
    mappings: list[Any]
    importOptions: _ImportOptionsModel = Field(default_factory=_ImportOptionsModel)
    meta: Any = None  # GET /__admin/mappings writes it: an export imports unchanged


class _ScenarioStateModel(_Payload):
    """The state to put a scenario in; one its stubs name."""

    state: str = Field(min_length=1)


class _CredentialsModel(_Payload):
    username: str
    password: str


class _LoggedRequestModel(BaseModel):
    """A request as the journal logs it (``GET /__admin/requests``): the fields a near-miss search reads."""

    # a logged request has many more fields (loggedDate, queryParams, id ...), all derived from these
    model_config = ConfigDict(extra="ignore", strict=True, frozen=True, defer_build=True)

    url: str
    method: str
    headers: dict[str, str | list[str]] | None = None
    cookies: dict[str, str | list[str]] | None = None
    body: str | None = None
    bodyAsBase64: str | None = None
    clientIp: str | None = None
    basicAuthCredentials: _CredentialsModel | None = None
    loggedDate: int | None = None

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError(f"must be a path (and query) starting with '/', got {value!r}")
        return value

    @field_validator("method")
    @classmethod
    def _method(cls, value: str) -> str:
        if not value.isalpha():
            raise ValueError(f"{value!r} is not an HTTP method; use e.g. GET or POST")
        return value.upper()

    _base64 = field_validator("bodyAsBase64")(check_base64)


class _CaptureHeaderModel(_Payload):
    caseInsensitive: bool = False


class _RequestBodyPatternModel(_Payload):
    matcher: Literal["auto", "equalToJson", "equalTo", "equalToXml", "none"] = "auto"
    ignoreArrayOrder: bool = True
    ignoreExtraElements: bool = True
    caseInsensitive: bool = False


class _ExtractBodyModel(_Payload):
    """Bodies this size or larger go to __files/: "2048", "2 kb", "1 Mb" or a number of bytes."""

    # WireMock's sizes are strings ("2048", "2 kb", "1 Mb"); a number is taken too
    textSizeThreshold: int | str | None = None
    binarySizeThreshold: int | str | None = None


class _RecordSpecModel(_Payload):
    """WireMock's record spec; targetBaseUrl is ignored by snapshots, filters.ids by recordings."""

    targetBaseUrl: str | None = Field(None, description="An http:// or https:// URL")
    filters: dict[str, Any] | None = Field(
        None, description="A request pattern the recorded requests must match, and ids / allowNonProxied"
    )
    captureHeaders: dict[str, _CaptureHeaderModel] | None = Field(
        None, description="Request headers the stubs match on"
    )
    requestBodyPattern: _RequestBodyPatternModel | None = None
    requestBodyPatternFactory: _RequestBodyPatternModel | None = Field(
        None, description="The name WireMock's Java client sends for requestBodyPattern"
    )
    extractBodyCriteria: _ExtractBodyModel | None = None
    outputFormat: Literal["FULL", "IDS"] = "FULL"
    persist: bool = Field(True, description="Save the stubs to the mappings folder")
    repeatsAsScenarios: bool = Field(
        False, description="Identical requests replay their answers in order (else the first answer)"
    )
    transformers: list[str] | None = None
    transformerParameters: dict[str, Any] | None = None
    keepSecrets: bool = Field(
        False, description="mockpit's own: keep Authorization, cookies and API keys instead of redacting them"
    )


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
