"""The WireMock mapping format <-> mockpit's model: the one (de)serialiser.

Mapping files, the admin API and the Python builder all turn definitions into :class:`Stub` objects
here, and stubs are written back here. Validation uses pydantic models that mirror WireMock's JSON,
so an error names the field as a user wrote it (``request.headers.Accept.equalTo``).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ._errors import MappingError
from ._model import (
    ANY_URL,
    STRING_OPERATORS,
    BodyPattern,
    DelayDistribution,
    Fault,
    RequestPattern,
    ResponseDefinition,
    ServeEventListener,
    Stub,
    UrlMatch,
    ValuePattern,
)

# WireMock features that a mapping may use and mockpit does not do yet. A mapping that uses one is
# refused with this message: silently ignoring it would make the stub answer differently than in WireMock.
_NOT_YET = {
    "scenarioName": "stateful scenarios",
    "requiredScenarioState": "stateful scenarios",
    "newScenarioState": "stateful scenarios",
    "equalToXml": "XML body matching",
    "matchesXPath": "XPath body matching",
    "matchesJsonSchema": "JSON schema matching",
    "binaryEqualTo": "binary body matching",
    "multipartPatterns": "multipart matching",
    "customMatcher": "custom matchers",
    "and": "and/or matchers",
    "or": "and/or matchers",
    "hasExactly": "multi-value matchers",
    "includes": "multi-value matchers",
    "equalToDateTime": "date matchers",
    "before": "date matchers",
    "after": "date matchers",
    "formParameters": "form parameter matching",
    "clientIp": "client IP matching",
    "host": "host matching",
    "port": "port matching",
    "scheme": "scheme matching",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_regex(value: str | None) -> str | None:
    if value is not None:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"invalid regular expression {value!r}: {exc}") from None
    return value


class _ValuePatternModel(_Strict):
    equalTo: str | None = None
    contains: str | None = None
    doesNotContain: str | None = None
    matches: str | None = None
    doesNotMatch: str | None = None
    absent: bool | None = None
    caseInsensitive: bool | None = None

    _check = field_validator("matches", "doesNotMatch")(_check_regex)

    @model_validator(mode="after")
    def _one_operator(self) -> _ValuePatternModel:
        given = [op for op in STRING_OPERATORS if getattr(self, op) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of {', '.join(STRING_OPERATORS)} (got {', '.join(given) or 'none'})")
        if self.absent is False:
            raise ValueError('"absent" can only be true; to require presence use {"matches": ".*"}')
        return self

    def to_model(self) -> ValuePattern:
        for op in STRING_OPERATORS:
            value = getattr(self, op)
            if value is not None:
                return ValuePattern(op, None if op == "absent" else value, case_insensitive=bool(self.caseInsensitive))
        raise AssertionError("unreachable: validated above")


class _JsonPathModel(_ValuePatternModel):
    expression: str

    @model_validator(mode="after")
    def _one_operator(self) -> _JsonPathModel:
        given = [op for op in STRING_OPERATORS if getattr(self, op) is not None]
        if len(given) > 1:
            raise ValueError(f"give at most one of {', '.join(STRING_OPERATORS)} (got {', '.join(given)})")
        return self


_BODY_OPERATORS = ("equalTo", "contains", "doesNotContain", "matches", "doesNotMatch", "equalToJson", "matchesJsonPath")


class _BodyPatternModel(_Strict):
    equalTo: str | None = None
    contains: str | None = None
    doesNotContain: str | None = None
    matches: str | None = None
    doesNotMatch: str | None = None
    equalToJson: Any = None
    matchesJsonPath: str | _JsonPathModel | None = None
    caseInsensitive: bool | None = None
    ignoreArrayOrder: bool | None = None
    ignoreExtraElements: bool | None = None

    _check = field_validator("matches", "doesNotMatch")(_check_regex)

    @field_validator("equalToJson")
    @classmethod
    def _json_text(cls, value: Any) -> Any:
        # WireMock takes the expected JSON either inline or as a string holding JSON.
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError as exc:
                raise ValueError(f"equalToJson holds a string that is not valid JSON: {exc}") from None
        return value

    @model_validator(mode="after")
    def _one_operator(self) -> _BodyPatternModel:
        given = [op for op in _BODY_OPERATORS if op in self.model_fields_set]
        if len(given) != 1:
            raise ValueError(f"give exactly one of {', '.join(_BODY_OPERATORS)} (got {', '.join(given) or 'none'})")
        op = given[0]
        if (self.ignoreArrayOrder or self.ignoreExtraElements) and op != "equalToJson":
            raise ValueError("ignoreArrayOrder and ignoreExtraElements only go with equalToJson")
        path = self.matchesJsonPath
        expression = path if isinstance(path, str) else path.expression if path else None
        if expression is not None:
            _check_json_path(expression)
        return self

    def to_model(self) -> BodyPattern:
        op = next(op for op in _BODY_OPERATORS if op in self.model_fields_set)
        if op == "matchesJsonPath":
            path = self.matchesJsonPath
            if isinstance(path, _JsonPathModel):
                has_sub = any(getattr(path, op) is not None for op in STRING_OPERATORS)
                return BodyPattern("matchesJsonPath", path.expression, sub_pattern=path.to_model() if has_sub else None)
            return BodyPattern("matchesJsonPath", path)
        return BodyPattern(
            op,  # type: ignore[arg-type]
            getattr(self, op),
            case_insensitive=bool(self.caseInsensitive),
            ignore_array_order=bool(self.ignoreArrayOrder),
            ignore_extra_elements=bool(self.ignoreExtraElements),
        )


def _check_json_path(expression: str) -> None:
    from ._jsonpath import compile_json_path

    try:
        compile_json_path(expression)
    except ValueError as exc:
        raise ValueError(str(exc)) from None


class _BasicAuthModel(_Strict):
    username: str
    password: str


_NO_PATTERNS: Mapping[str, ValuePattern] = MappingProxyType({})
_URL_FIELDS = ("url", "urlPath", "urlPattern", "urlPathPattern", "urlPathTemplate")
_TEMPLATE_VARIABLE = re.compile(r"\{([^{}/]+)\}")


class _RequestModel(_Strict):
    method: str = "ANY"
    url: str | None = None
    urlPath: str | None = None
    urlPattern: str | None = None
    urlPathPattern: str | None = None
    urlPathTemplate: str | None = None
    pathParameters: dict[str, _ValuePatternModel] | None = None
    queryParameters: dict[str, _ValuePatternModel] | None = None
    headers: dict[str, _ValuePatternModel] | None = None
    cookies: dict[str, _ValuePatternModel] | None = None
    bodyPatterns: list[_BodyPatternModel] | None = None
    basicAuthCredentials: _BasicAuthModel | None = None

    _check = field_validator("urlPattern", "urlPathPattern")(_check_regex)

    @field_validator("method")
    @classmethod
    def _method(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z]+", value):
            raise ValueError(f"{value!r} is not an HTTP method; use e.g. GET, POST or ANY")
        return value.upper()

    @field_validator("urlPathTemplate")
    @classmethod
    def _template(cls, value: str | None) -> str | None:
        if value is not None:
            names = _TEMPLATE_VARIABLE.findall(value)
            twice = sorted({name for name in names if names.count(name) > 1})
            if twice:
                raise ValueError(f"variable {', '.join(twice)} appears more than once in {value!r}")
        return value

    # declared after urlPathTemplate, so that one is in info.data (unless it failed on its own)
    @field_validator("pathParameters")
    @classmethod
    def _path_parameters(
        cls, value: dict[str, _ValuePatternModel] | None, info: ValidationInfo
    ) -> dict[str, _ValuePatternModel] | None:
        if not value or "urlPathTemplate" not in info.data:
            return value
        template = info.data["urlPathTemplate"]
        if template is None:
            raise ValueError("pathParameters needs a urlPathTemplate such as /users/{id}")
        names = set(_TEMPLATE_VARIABLE.findall(template))
        unknown = sorted(set(value) - names)
        if unknown:
            raise ValueError(
                f"{', '.join(unknown)} is not a variable of urlPathTemplate {template!r} "
                f"(it has: {', '.join(sorted(names)) or 'none'})"
            )
        return value

    @model_validator(mode="after")
    def _urls(self) -> _RequestModel:
        given = [name for name in _URL_FIELDS if getattr(self, name) is not None]
        if len(given) > 1:
            raise ValueError(f"give at most one of {', '.join(_URL_FIELDS)} (got {', '.join(given)})")
        for name in ("url", "urlPath", "urlPathTemplate"):
            value = getattr(self, name)
            if value is not None and not value.startswith("/"):
                raise ValueError(f"{name} must start with '/', got {value!r}")
        return self

    def to_model(self) -> RequestPattern:
        url = ANY_URL
        for name in _URL_FIELDS:
            value = getattr(self, name)
            if value is not None:
                url = UrlMatch(name, value)  # type: ignore[arg-type]

        def patterns(models: dict[str, _ValuePatternModel] | None) -> Mapping[str, ValuePattern]:
            if not models:
                return _NO_PATTERNS  # most stubs have none of a kind; 10,000 stubs, 40,000 empty dicts
            return {key: model.to_model() for key, model in models.items()}

        auth = self.basicAuthCredentials
        return RequestPattern(
            method=self.method,
            url=url,
            path_parameters=patterns(self.pathParameters),
            query_parameters=patterns(self.queryParameters),
            headers=patterns(self.headers),
            cookies=patterns(self.cookies),
            body_patterns=tuple(p.to_model() for p in self.bodyPatterns or ()),
            basic_auth=(auth.username, auth.password) if auth else None,
        )


_BODY_FIELDS = ("body", "jsonBody", "base64Body", "bodyFileName")
#: ``transformers`` names: WireMock's Handlebars transformer, and Jinja2 for mappings written Python-style
TRANSFORMERS = ("response-template", "jinja")


class _DelayDistributionModel(_Strict):
    type: Literal["uniform", "lognormal"]
    lower: int | None = Field(None, ge=0)
    upper: int | None = Field(None, ge=0)
    median: float | None = Field(None, ge=0)
    sigma: float | None = Field(None, ge=0)
    maxValue: float | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _fields(self) -> _DelayDistributionModel:
        given = {name for name in ("lower", "upper", "median", "sigma", "maxValue") if getattr(self, name) is not None}
        wanted = {"lower", "upper"} if self.type == "uniform" else {"median", "sigma"}
        allowed = wanted | ({"maxValue"} if self.type == "lognormal" else set())
        if not wanted <= given:
            raise ValueError(f"a {self.type} delay needs {' and '.join(sorted(wanted))}")
        if given - allowed:
            raise ValueError(f"{', '.join(sorted(given - allowed))} does not go with a {self.type} delay")
        if self.type == "uniform" and (self.lower or 0) > (self.upper or 0):
            raise ValueError(f"lower ({self.lower}) is greater than upper ({self.upper})")
        return self

    def to_model(self) -> DelayDistribution:
        if self.type == "uniform":
            return DelayDistribution("uniform", lower=self.lower or 0, upper=self.upper or 0)
        return DelayDistribution(
            "lognormal", median=self.median or 0.0, sigma=self.sigma or 0.0, max_value=self.maxValue
        )


class _DribbleModel(_Strict):
    numberOfChunks: int = Field(ge=1)
    totalDuration: int = Field(ge=0)


class _ResponseModel(_Strict):
    status: int = Field(200, ge=100, le=599)
    statusMessage: str | None = None
    headers: dict[str, str | list[str]] | None = None
    body: str | None = None
    jsonBody: Any = None
    base64Body: str | None = None
    bodyFileName: str | None = None
    fixedDelayMilliseconds: int | None = Field(None, ge=0)
    delayDistribution: _DelayDistributionModel | None = None
    chunkedDribbleDelay: _DribbleModel | None = None
    fault: Fault | None = None
    transformers: list[str] | None = None
    transformerParameters: dict[str, Any] | None = None
    proxyBaseUrl: str | None = None
    additionalProxyRequestHeaders: dict[str, str] | None = None
    removeProxyRequestHeaders: list[str] | None = None
    proxyUrlPrefixToRemove: str | None = None

    @field_validator("transformers")
    @classmethod
    def _transformers(cls, value: list[str] | None) -> list[str] | None:
        for name in value or ():
            if name not in TRANSFORMERS:
                raise ValueError(f"unknown transformer {name!r}; mockpit has {', '.join(TRANSFORMERS)}")
        if value and len(set(value)) > 1:
            raise ValueError("give one transformer: a response is rendered either by Handlebars or by Jinja2")
        return value

    @field_validator("proxyBaseUrl")
    @classmethod
    def _proxy_url(cls, value: str | None) -> str | None:
        if value is not None:
            parts = urlsplit(value)
            if parts.scheme not in {"http", "https"} or not parts.netloc:
                raise ValueError(f"{value!r} is not an http(s) URL such as http://localhost:8000")
            if parts.query or parts.fragment:
                raise ValueError(f"{value!r} must not have a query or fragment: the request's own are sent")
        return value

    @field_validator("proxyUrlPrefixToRemove")
    @classmethod
    def _prefix(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("/"):
            raise ValueError(f"must start with '/', got {value!r}")
        return value

    @field_validator("base64Body")
    @classmethod
    def _base64(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError) as exc:
                raise ValueError(f"not valid base64: {exc}") from None
        return value

    @field_validator("bodyFileName")
    @classmethod
    def _file_name(cls, value: str | None) -> str | None:
        if value is not None and (value.startswith(("/", "\\")) or ".." in re.split(r"[/\\]", value)):
            raise ValueError(f"{value!r} must be a relative path inside __files/ (no leading / and no ..)")
        return value

    @field_validator("statusMessage")
    @classmethod
    def _reason(cls, value: str | None) -> str | None:
        if value is not None and any(c in value for c in "\r\n"):
            raise ValueError("must be one line (no CR or LF)")
        return value

    @model_validator(mode="after")
    def _one_body(self) -> _ResponseModel:
        given = [name for name in _BODY_FIELDS if getattr(self, name) is not None]
        if len(given) > 1:
            raise ValueError(f"give at most one of {', '.join(_BODY_FIELDS)} (got {', '.join(given)})")
        if self.proxyBaseUrl is None:
            proxy_only = [
                name
                for name in ("additionalProxyRequestHeaders", "removeProxyRequestHeaders", "proxyUrlPrefixToRemove")
                if getattr(self, name) is not None
            ]
            if proxy_only:
                raise ValueError(f"{', '.join(proxy_only)} only goes with proxyBaseUrl")
        elif given:
            raise ValueError(f"a proxied response takes its body from the upstream; remove {given[0]}")
        if self.fixedDelayMilliseconds is not None and self.delayDistribution is not None:
            raise ValueError("give either fixedDelayMilliseconds or delayDistribution, not both")
        return self

    def to_model(self) -> ResponseDefinition:
        headers: list[tuple[str, str]] = []
        for name, value in (self.headers or {}).items():
            headers.extend((name, v) for v in ([value] if isinstance(value, str) else value))
        return ResponseDefinition(
            status=self.status,
            status_message=self.statusMessage,
            headers=tuple(headers),
            body=self.body,
            json_body=self.jsonBody,
            base64_body=self.base64Body,
            body_file_name=self.bodyFileName,
            fixed_delay_ms=self.fixedDelayMilliseconds,
            delay_distribution=self.delayDistribution.to_model() if self.delayDistribution else None,
            chunked_dribble_delay=(
                (self.chunkedDribbleDelay.numberOfChunks, self.chunkedDribbleDelay.totalDuration)
                if self.chunkedDribbleDelay
                else None
            ),
            fault=self.fault,
            transformers=tuple(self.transformers or ()),
            transformer_parameters=self.transformerParameters,
            proxy_base_url=self.proxyBaseUrl,
            additional_proxy_request_headers=tuple((self.additionalProxyRequestHeaders or {}).items()),
            remove_proxy_request_headers=tuple(self.removeProxyRequestHeaders or ()),
            proxy_url_prefix_to_remove=self.proxyUrlPrefixToRemove,
        )


#: what mockpit can do after serving a request (WireMock's ``serveEventListeners``)
SERVE_EVENT_LISTENERS = ("webhook",)


class _ListenerModel(_Strict):
    name: str
    parameters: dict[str, Any] | None = None
    requestPhases: list[str] | None = None  # WireMock's; mockpit's webhooks always run after the response

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if value not in SERVE_EVENT_LISTENERS:
            raise ValueError(f"unknown serve event listener {value!r}; mockpit has {', '.join(SERVE_EVENT_LISTENERS)}")
        return value


class _StubModel(_Strict):
    id: str | None = None
    uuid: str | None = None
    name: str | None = None
    priority: int | None = Field(None, ge=1)
    metadata: dict[str, Any] | None = None
    persistent: bool | None = None
    insertionIndex: int | None = None  # written by WireMock; order is mockpit's own
    request: _RequestModel = Field(default_factory=_RequestModel)
    response: _ResponseModel | None = None
    #: mockpit's sequence: these responses in turn (WireMock needs a scenario per step for that)
    responses: list[_ResponseModel] | None = Field(None, min_length=1)
    responseSequence: Literal["stopOnLast", "cycle"] | None = None
    serveEventListeners: list[_ListenerModel] | None = None
    postServeActions: list[_ListenerModel] | None = None

    @model_validator(mode="after")
    def _ids(self) -> _StubModel:
        if self.id and self.uuid and self.id != self.uuid:
            raise ValueError(f"id {self.id!r} and uuid {self.uuid!r} differ; give one of them")
        if self.response is not None and self.responses is not None:
            raise ValueError("give either response or responses (a sequence), not both")
        if self.responseSequence is not None and self.responses is None:
            raise ValueError("responseSequence goes with responses, a list of responses given in turn")
        return self

    def definitions(self) -> list[ResponseDefinition]:
        if self.responses is not None:
            return [response.to_model() for response in self.responses]
        return [(self.response or _ResponseModel()).to_model()]

    def listeners(self) -> tuple[ServeEventListener, ...]:
        found = [*(self.serveEventListeners or ()), *(self.postServeActions or ())]
        return tuple(ServeEventListener(item.name, item.parameters or {}) for item in found)


def stub_from_mapping(data: Any, *, source: str = "mapping", stub_id: str | None = None) -> Stub:
    """Validate one WireMock stub mapping (a dict) and return the :class:`Stub` it defines.

    Raises :class:`MappingError` naming ``source`` and the offending field.
    """
    if not isinstance(data, Mapping):
        raise MappingError(f"a stub mapping must be a JSON object, got {type(data).__name__}", source=source)
    try:
        model = _StubModel.model_validate(data)
    except ValidationError as exc:
        raise _mapping_error(exc, source) from None
    kwargs: dict[str, Any] = {}
    chosen = stub_id or model.id or model.uuid
    if chosen:
        kwargs["id"] = chosen
    first, *then = model.definitions()
    return Stub(
        request=model.request.to_model(),
        response=first,
        name=model.name,
        priority=model.priority,
        metadata=model.metadata,
        persistent=model.persistent,
        then=tuple(then),
        cycle=model.responseSequence == "cycle",
        serve_event_listeners=model.listeners(),
        **kwargs,
    )


def stubs_from_document(data: Any, *, source: str) -> list[Stub]:
    """A mapping file's content: one stub, or ``{"mappings": [...]}``."""
    if isinstance(data, Mapping) and "mappings" in data:
        extra = sorted(set(data) - {"mappings", "meta"})
        if extra:
            raise MappingError(
                f"unexpected key(s) {', '.join(extra)} beside 'mappings'", source=source, field=(extra[0],)
            )
        items = data["mappings"]
        if not isinstance(items, list):
            raise MappingError("must be a list of stub mappings", source=source, field=("mappings",))
        stubs = []
        for i, item in enumerate(items):
            try:
                stubs.append(stub_from_mapping(item, source=source))
            except MappingError as exc:
                raise exc.within("mappings", i) from None
        return stubs
    return [stub_from_mapping(data, source=source)]


def _mapping_error(exc: ValidationError, source: str) -> MappingError:
    found: list[tuple[tuple[str | int, ...], str, bool]] = []  # (location, message, is a type mismatch)
    for error in exc.errors(include_url=False):
        # pydantic names union branches in locations ("str", "function-after[...]"); users never wrote those
        loc = tuple(part for part in error["loc"] if not _is_union_branch(part))
        field = loc
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            key = str(loc[-1]) if loc else "?"
            feature = _NOT_YET.get(key)
            message = (
                f"{feature} ({key}) is not supported by mockpit yet; remove it or see the docs' list of "
                "supported fields"
                if feature
                else f"unknown field {key!r}; check its spelling against the WireMock mapping format"
            )
        elif "input" in error and error["type"] not in {"value_error", "assertion_error"}:
            message += f" (got {json.dumps(error['input'], default=str)[:80]})"
        found.append((field, message, error["type"].endswith("_type")))
    # A value that fits no branch of a union gets one error per branch. A branch that got past the type
    # check (a dict for ``str | _JsonPathModel``) says what is really wrong: drop the others' "not a str".
    specific = [f for f, _, mismatch in found if not mismatch]
    kept = [e for e in found if not (e[2] and any(_within(f, e[0]) for f in specific))] or found
    fields = {field for field, _, _ in kept}
    if len(fields) == 1:
        (field,) = fields
        return MappingError(" or ".join(message for _, message, _ in kept), source=source, field=field)
    # several fields: ``field`` is the first, the message lists every other one with its own field
    first = kept[0][0]
    rest = "; ".join(f"{_dotted(f)}: {m}" if f else m for f, m, _ in kept[1:])
    return MappingError(f"{kept[0][1]}; {rest}", source=source, field=first)


def _is_union_branch(part: str | int) -> bool:
    return isinstance(part, str) and (part in {"str", "list[str]", "_JsonPathModel"} or part.startswith("function-"))


def _within(field: tuple[str | int, ...], parent: tuple[str | int, ...]) -> bool:
    return field[: len(parent)] == parent


def _dotted(loc: tuple[str | int, ...]) -> str:
    return MappingError("", field=loc).field or ""


# --- model -> mapping -------------------------------------------------------------------------------


def stub_to_mapping(stub: Stub) -> dict[str, Any]:
    """The WireMock JSON for ``stub`` (a Python handler is noted in ``metadata``, as it has no JSON)."""
    out: dict[str, Any] = {"id": stub.id, "uuid": stub.id}
    if stub.name is not None:
        out["name"] = stub.name
    out["request"] = pattern_to_mapping(stub.request)
    if stub.then:
        out["responses"] = [_response_to_mapping(r) for r in (stub.response, *stub.then)]
        out["responseSequence"] = "cycle" if stub.cycle else "stopOnLast"
    else:
        out["response"] = _response_to_mapping(stub.response)
    if stub.serve_event_listeners:
        out["serveEventListeners"] = [
            {"name": listener.name, "parameters": dict(listener.parameters)} for listener in stub.serve_event_listeners
        ]
    if stub.priority is not None:
        out["priority"] = stub.priority
    metadata = dict(stub.metadata or {})
    if stub.response.handler is not None:
        handler = stub.response.handler
        metadata["mockpitHandler"] = getattr(handler, "__qualname__", repr(handler))
    if metadata:
        out["metadata"] = metadata
    if stub.persistent is not None:
        out["persistent"] = stub.persistent
    return out


def _value_pattern_to_mapping(pattern: ValuePattern) -> dict[str, Any]:
    out: dict[str, Any] = {pattern.operator: True if pattern.operator == "absent" else pattern.value}
    if pattern.case_insensitive:
        out["caseInsensitive"] = True
    return out


def pattern_to_mapping(pattern: RequestPattern) -> dict[str, Any]:
    """A request pattern as WireMock's ``request`` JSON (what :func:`pattern_from_mapping` reads)."""
    out: dict[str, Any] = {}
    if pattern.url.kind != "anyUrl":
        out[pattern.url.kind] = pattern.url.value
    out["method"] = pattern.method
    for key, patterns in (
        ("pathParameters", pattern.path_parameters),
        ("queryParameters", pattern.query_parameters),
        ("headers", pattern.headers),
        ("cookies", pattern.cookies),
    ):
        if patterns:
            out[key] = {name: _value_pattern_to_mapping(p) for name, p in patterns.items()}
    if pattern.body_patterns:
        bodies = []
        for body in pattern.body_patterns:
            if body.operator == "matchesJsonPath" and body.sub_pattern is not None:
                item: dict[str, Any] = {
                    "matchesJsonPath": {"expression": body.value, **_value_pattern_to_mapping(body.sub_pattern)}
                }
            else:
                item = {body.operator: body.value}
            if body.case_insensitive:
                item["caseInsensitive"] = True
            if body.ignore_array_order:
                item["ignoreArrayOrder"] = True
            if body.ignore_extra_elements:
                item["ignoreExtraElements"] = True
            bodies.append(item)
        out["bodyPatterns"] = bodies
    if pattern.basic_auth:
        out["basicAuthCredentials"] = {"username": pattern.basic_auth[0], "password": pattern.basic_auth[1]}
    return out


def _response_to_mapping(definition: ResponseDefinition) -> dict[str, Any]:
    out: dict[str, Any] = {"status": definition.status}
    if definition.status_message is not None:
        out["statusMessage"] = definition.status_message
    if definition.headers:
        headers: dict[str, Any] = {}
        for name, value in definition.headers:
            if name in headers:
                previous = headers[name]
                headers[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
            else:
                headers[name] = value
        out["headers"] = headers
    fields: tuple[tuple[str, Any], ...] = (
        ("body", definition.body),
        ("jsonBody", definition.json_body),
        ("base64Body", definition.base64_body),
        ("bodyFileName", definition.body_file_name),
        ("fixedDelayMilliseconds", definition.fixed_delay_ms),
        ("fault", definition.fault),
        ("transformers", list(definition.transformers) or None),
        ("transformerParameters", definition.transformer_parameters),
        ("proxyBaseUrl", definition.proxy_base_url),
        ("additionalProxyRequestHeaders", dict(definition.additional_proxy_request_headers) or None),
        ("removeProxyRequestHeaders", list(definition.remove_proxy_request_headers) or None),
        ("proxyUrlPrefixToRemove", definition.proxy_url_prefix_to_remove),
    )
    for key, value in fields:
        if value is not None:
            out[key] = value
    delay = definition.delay_distribution
    if delay is not None:
        out["delayDistribution"] = (
            {"type": "uniform", "lower": delay.lower, "upper": delay.upper}
            if delay.type == "uniform"
            else {"type": "lognormal", "median": delay.median, "sigma": delay.sigma}
            | ({} if delay.max_value is None else {"maxValue": delay.max_value})
        )
    if definition.chunked_dribble_delay is not None:
        chunks, total = definition.chunked_dribble_delay
        out["chunkedDribbleDelay"] = {"numberOfChunks": chunks, "totalDuration": total}
    return out


def pattern_from_mapping(data: Any, *, source: str = "request pattern") -> RequestPattern:
    """Validate a WireMock request pattern (the ``request`` part of a stub) on its own."""
    if not isinstance(data, Mapping):
        raise MappingError(f"a request pattern must be a JSON object, got {type(data).__name__}", source=source)
    try:
        return _RequestModel.model_validate(data).to_model()
    except ValidationError as exc:
        raise _mapping_error(exc, source) from None
