"""What admin requests send, checked: the payload models (JSON bodies and query parameters: :mod:`.params`).

A payload is validated whole by its pydantic model before anything changes, and an error names the
field (``source.pointer``) through the mapping format's translator. Stubs and request patterns in a
payload are read by the mapping format itself (:mod:`mockpit._mapping.read`).
"""

from __future__ import annotations

from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from mockpit._mapping.errors import Location, mapping_error
from mockpit._mapping.models import _DelayDistributionModel, check_base64

from .router import AdminError

_M = TypeVar("_M", bound=BaseModel)


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
