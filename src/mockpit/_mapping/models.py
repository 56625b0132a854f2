"""WireMock's mapping format as pydantic models: what each field may hold, and its model object.

The models mirror WireMock's JSON field for field, so a check fails on the field as a user wrote it
(``request.headers.Accept.equalTo``); each has a ``to_model`` that builds mockpit's model once valid.
They check what can be checked alone (a regex compiles, an XPath parses, one operator per pattern);
:mod:`.read` runs them.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from mockpit._json import loads
from mockpit._matching.custom import get_matcher, unknown_matcher_message
from mockpit._matching.json_unit import has_placeholders
from mockpit._matching.user_regex import UserRegex
from mockpit._model import (
    ANY_URL,
    VALUE_OPERATORS,
    CustomMatcherCall,
    DelayDistribution,
    Fault,
    FieldPattern,
    GraphQLPattern,
    JsonSchemaVersion,
    MultipartMatchingType,
    MultipartPattern,
    MultiValuePattern,
    RequestPattern,
    ResponseDefinition,
    ServeEventListener,
    SseEvent,
    SseStream,
    UrlMatch,
    ValuePattern,
    XmlOptions,
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def check_base64(value: str | None) -> str | None:
    """A pydantic validator: ``value`` must be base64 (or absent)."""
    if value is not None:
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError(f"not valid base64: {exc}") from None
    return value


def _check_regex(value: str | None) -> str | None:
    if value is not None:
        UserRegex(value)  # compiled as matching will: the regex module's dialect, errors as ValueError
    return value


# --- value patterns: one model for WireMock's "string value patterns", wherever they appear -------------

#: operators whose JSON value is the Python attribute of another name (keywords)
_ATTRIBUTE = {"and": "and_", "or": "or_", "not": "not_"}
#: options that mean something with one operator only: given with another, they would be silently ignored
_OPTION_OWNERS = {
    "ignoreArrayOrder": "equalToJson",
    "ignoreExtraElements": "equalToJson",
    "schemaVersion": "matchesJsonSchema",
    "enablePlaceholders": "equalToXml",
    "placeholderOpeningDelimiterRegex": "equalToXml",
    "placeholderClosingDelimiterRegex": "equalToXml",
    "exemptedComparisons": "equalToXml",
    "ignoreOrderOfSameNode": "equalToXml",
    "xPathNamespaces": "matchesXPath",
}
_TEXT_OPERATORS = ("equalTo", "contains", "doesNotContain", "matches", "doesNotMatch", "anything", "equalToXml")


class _ValuePatternModel(_Strict):
    """``{"equalTo": "x"}``, ``{"matchesXPath": ..., "xPathNamespaces": ...}``, ``{"and": [...]}`` ..."""

    #: the operators this kind of pattern takes (bodies add binaryEqualTo, headers hasExactly/includes)
    _OPERATORS: ClassVar[tuple[str, ...]] = tuple(op for op in VALUE_OPERATORS if op != "binaryEqualTo")

    # options first: the operators' validators below find them in info.data
    caseInsensitive: bool | None = None
    ignoreArrayOrder: bool | None = None
    ignoreExtraElements: bool | None = None
    schemaVersion: JsonSchemaVersion | None = None
    enablePlaceholders: bool | None = None
    placeholderOpeningDelimiterRegex: str | None = None
    placeholderClosingDelimiterRegex: str | None = None
    exemptedComparisons: list[str] | None = None
    ignoreOrderOfSameNode: bool | None = None
    xPathNamespaces: dict[str, str] | None = None

    equalTo: str | None = None
    contains: str | None = None
    doesNotContain: str | None = None
    matches: str | None = None
    doesNotMatch: str | None = None
    absent: bool | None = None
    anything: str | None = None
    equalToJson: Any = None
    matchesJsonPath: str | _PathModel | None = None
    matchesJsonSchema: Any = None
    equalToXml: str | None = None
    matchesXPath: str | _PathModel | None = None
    and_: list[_ValuePatternModel] | None = Field(None, alias="and", min_length=1)
    or_: list[_ValuePatternModel] | None = Field(None, alias="or", min_length=1)
    not_: _ValuePatternModel | None = Field(None, alias="not")

    _check = field_validator(
        "matches", "doesNotMatch", "placeholderOpeningDelimiterRegex", "placeholderClosingDelimiterRegex"
    )(_check_regex)

    @field_validator("exemptedComparisons")
    @classmethod
    def _comparison_types(cls, value: list[str] | None) -> list[str] | None:
        from mockpit._matching.xml_equal import COMPARISON_TYPES

        unknown = [name for name in value or () if name not in COMPARISON_TYPES]
        if unknown:
            raise ValueError(
                f"unknown comparison type {', '.join(unknown)}; XMLUnit's are {', '.join(COMPARISON_TYPES)}"
            )
        return value

    @field_validator("equalToJson")
    @classmethod
    def _json_text(cls, value: Any) -> Any:
        # WireMock takes the expected JSON either inline or as a string holding JSON; kept as given
        parsed = value
        if isinstance(value, str):
            try:
                parsed = loads(value)
            except ValueError as exc:
                raise ValueError(f"equalToJson holds a string that is not valid JSON: {exc}") from None
        has_placeholders(parsed)  # an unknown ${json-unit...} placeholder fails here, naming itself
        return value

    @field_validator("matchesJsonPath")
    @classmethod
    def _json_path(cls, value: str | _PathModel | None) -> str | _PathModel | None:
        from mockpit._matching.jsonpath import compile_json_path

        if value is not None:
            compile_json_path(value if isinstance(value, str) else value.expression)
        return value

    @field_validator("matchesJsonSchema")
    @classmethod
    def _json_schema(cls, value: Any, info: ValidationInfo) -> Any:
        from mockpit._matching.json_schema import compile_schema

        compile_schema(value, info.data.get("schemaVersion"))
        return value

    @field_validator("equalToXml")
    @classmethod
    def _xml(cls, value: str | None, info: ValidationInfo) -> str | None:
        from mockpit._matching.xml_equal import compile_xml_comparison

        if value is not None:
            compile_xml_comparison(value, _xml_options(info.data))
        return value

    @field_validator("matchesXPath")
    @classmethod
    def _xpath(cls, value: str | _PathModel | None, info: ValidationInfo) -> str | _PathModel | None:
        from mockpit._matching.xml import compile_xpath

        if value is not None:
            compile_xpath(value if isinstance(value, str) else value.expression, info.data.get("xPathNamespaces"))
        return value

    def _given(self) -> list[str]:
        return [op for op in type(self)._OPERATORS if _ATTRIBUTE.get(op, op) in self.model_fields_set]

    @model_validator(mode="after")
    def _one_operator(self) -> _ValuePatternModel:
        given = self._given()
        if len(given) != 1 and not (isinstance(self, _PathModel) and not given):
            ops = type(self)._OPERATORS
            raise ValueError(
                f"give {'at most' if isinstance(self, _PathModel) else 'exactly'} one of "
                f"{', '.join(ops)} (got {', '.join(given) or 'none'})"
            )
        op = given[0] if given else None
        if self.absent is False:
            raise ValueError('"absent" can only be true; to require presence use {"matches": ".*"}')
        if op in _TEXT_OPERATORS and getattr(self, op) is None:
            raise ValueError(f"{op} must be a string, not null")
        if op in {"matchesJsonPath", "matchesXPath", "matchesJsonSchema"} and getattr(self, op) is None:
            raise ValueError(f"{op} must be an expression (or a schema), not null")
        if op in {"and", "or"} and getattr(self, _ATTRIBUTE[op]) is None:
            raise ValueError(f"{op} must be a list of patterns, not null")
        if op == "not" and self.not_ is None:
            raise ValueError("not must be a pattern, not null")
        for option, owner in _OPTION_OWNERS.items():
            if option in self.model_fields_set and getattr(self, option) is not None and op != owner:
                raise ValueError(f"{option} only goes with {owner}")
        if (
            self.placeholderOpeningDelimiterRegex is not None or self.placeholderClosingDelimiterRegex is not None
        ) and not self.enablePlaceholders:
            raise ValueError('placeholder delimiters need "enablePlaceholders": true')
        return self

    def to_model(self) -> ValuePattern:
        given = self._given()
        assert given, "validated above"
        return self._pattern(given[0])

    def _pattern(self, op: str) -> ValuePattern:
        value = getattr(self, _ATTRIBUTE.get(op, op))
        operands: tuple[ValuePattern, ...] = ()
        sub_pattern = None
        if op in {"and", "or"}:
            operands = tuple(model.to_model() for model in value)
            value = None
        elif op == "not":
            operands = (value.to_model(),)
            value = None
        elif op == "absent":
            value = None
        elif isinstance(value, _PathModel):
            sub_pattern = value.to_model() if value._given() else None
            value = value.expression
        return ValuePattern(
            op,  # type: ignore[arg-type]
            value,
            case_insensitive=bool(self.caseInsensitive),
            ignore_array_order=bool(self.ignoreArrayOrder),
            ignore_extra_elements=bool(self.ignoreExtraElements),
            sub_pattern=sub_pattern,
            operands=operands,
            schema_version=self.schemaVersion,
            xml=_xml_options(self.__dict__) if op == "equalToXml" else None,
            namespaces=self.xPathNamespaces if op == "matchesXPath" else None,
        )


class _PathModel(_ValuePatternModel):
    """The object form of matchesJsonPath / matchesXPath: an expression and what it must select."""

    expression: str


_ValuePatternModel.model_rebuild()
_PathModel.model_rebuild()


def _xml_options(data: Mapping[str, Any]) -> XmlOptions:
    return XmlOptions(
        enable_placeholders=bool(data.get("enablePlaceholders")),
        placeholder_opening=data.get("placeholderOpeningDelimiterRegex"),
        placeholder_closing=data.get("placeholderClosingDelimiterRegex"),
        exempted_comparisons=tuple(data.get("exemptedComparisons") or ()),
        ignore_order_of_same_node=bool(data.get("ignoreOrderOfSameNode")),
    )


class _FieldPatternModel(_ValuePatternModel):
    """A header, query or form parameter: a value pattern, or hasExactly / includes over all its values."""

    _OPERATORS: ClassVar[tuple[str, ...]] = (*_ValuePatternModel._OPERATORS, "hasExactly", "includes")

    hasExactly: list[_ValuePatternModel] | None = Field(None, min_length=1)
    includes: list[_ValuePatternModel] | None = Field(None, min_length=1)

    def to_model(self) -> FieldPattern:  # type: ignore[override]
        (op,) = self._given()
        if op in {"hasExactly", "includes"}:
            return MultiValuePattern(op, tuple(model.to_model() for model in getattr(self, op)))  # type: ignore[arg-type]
        return self._pattern(op)


class _BodyPatternModel(_ValuePatternModel):
    """One of ``bodyPatterns``: a value pattern on the body text, or binaryEqualTo on its bytes."""

    _OPERATORS: ClassVar[tuple[str, ...]] = tuple(op for op in VALUE_OPERATORS if op != "absent")

    binaryEqualTo: str | None = None

    _base64 = field_validator("binaryEqualTo")(check_base64)

    @model_validator(mode="before")
    @classmethod
    def _no_absent(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and "absent" in data:
            raise ValueError('absent does not apply to a body; to require an empty body use {"equalTo": ""}')
        return data


class _MultipartModel(_Strict):
    """One of ``multipartPatterns``."""

    name: str | None = None
    matchingType: MultipartMatchingType | None = None
    headers: dict[str, _FieldPatternModel] | None = None
    bodyPatterns: list[_BodyPatternModel] | None = None

    def to_model(self) -> MultipartPattern:
        return MultipartPattern(
            matching_type=self.matchingType,
            headers=_patterns(self.headers),
            body_patterns=tuple(p.to_model() for p in self.bodyPatterns or ()),
            name=self.name,
        )


class _CustomMatcherModel(_Strict):
    name: str
    parameters: dict[str, Any] | None = None

    @field_validator("name")
    @classmethod
    def _registered(cls, value: str) -> str:
        if get_matcher(value) is None:
            raise ValueError(unknown_matcher_message(value))
        return value


class _BasicAuthModel(_Strict):
    username: str
    password: str


_NO_PATTERNS: Mapping[str, Any] = MappingProxyType({})
_URL_FIELDS = ("url", "urlPath", "urlPattern", "urlPathPattern", "urlPathTemplate")
_TEMPLATE_VARIABLE = re.compile(r"\{([^{}/]+)\}")


def _patterns(models: Mapping[str, _ValuePatternModel] | None) -> Mapping[str, Any]:
    if not models:
        return _NO_PATTERNS  # most stubs have none of a kind; 10,000 stubs, 40,000 empty dicts
    return {key: model.to_model() for key, model in models.items()}


#: the customMatcher name of WireMock's GraphQL extension (wiremock-graphql-extension), read as ``graphql``
GRAPHQL_EXTENSION_MATCHER = "graphql-body-matcher"


class _GraphQLModel(_Strict):
    """``graphql``: a GraphQL operation (see ``_matching/graphql.py``)."""

    operationName: str | None = None
    operationType: Literal["query", "mutation", "subscription"] | None = None
    query: str | None = None
    variables: _ValuePatternModel | None = None

    @field_validator("query")
    @classmethod
    def _query(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            from mockpit._matching.graphql import check_query
        except ImportError:  # graphql-core is an extra
            raise ValueError("matching GraphQL queries needs graphql-core: pip install 'mockpit[graphql]'") from None
        error = check_query(value)
        if error is not None:
            raise ValueError(error)
        return value

    def to_model(self) -> GraphQLPattern:
        return GraphQLPattern(
            operation_name=self.operationName,
            operation_type=self.operationType,
            query=self.query,
            variables=self.variables.to_model() if self.variables else None,
        )


def _graphql_extension(data: Any) -> Any:
    """WireMock's GraphQL extension writes ``customMatcher: {name: graphql-body-matcher, parameters: {query,
    variables, operationName}}``: read as mockpit's ``graphql`` (variables compared with equalToJson)."""
    if not isinstance(data, Mapping):
        return data
    custom = data.get("customMatcher")
    if not isinstance(custom, Mapping) or custom.get("name") != GRAPHQL_EXTENSION_MATCHER:
        return data
    if get_matcher(GRAPHQL_EXTENSION_MATCHER) is not None or "graphql" in data:
        return data
    parameters = custom.get("parameters") or {}
    graphql: dict[str, Any] = {}
    if isinstance(parameters, Mapping):
        if "query" in parameters:
            graphql["query"] = parameters["query"]
        if "operationName" in parameters:
            graphql["operationName"] = parameters["operationName"]
        if parameters.get("variables") is not None:
            graphql["variables"] = {"equalToJson": parameters["variables"]}
    return {**{k: v for k, v in data.items() if k != "customMatcher"}, "graphql": graphql}


class _RequestModel(_Strict):
    """The ``request`` of a stub mapping: what a request must be for the stub to answer it."""

    method: str = "ANY"
    url: str | None = None
    urlPath: str | None = None
    urlPattern: str | None = None
    urlPathPattern: str | None = None
    urlPathTemplate: str | None = None
    pathParameters: dict[str, _ValuePatternModel] | None = None
    queryParameters: dict[str, _FieldPatternModel] | None = None
    headers: dict[str, _FieldPatternModel] | None = None
    cookies: dict[str, _ValuePatternModel] | None = None
    formParameters: dict[str, _FieldPatternModel] | None = None
    bodyPatterns: list[_BodyPatternModel] | None = None
    multipartPatterns: list[_MultipartModel] | None = None
    basicAuthCredentials: _BasicAuthModel | None = None
    #: WireMock 3's documented name for basicAuthCredentials (which it still writes)
    basicAuth: _BasicAuthModel | None = None
    customMatcher: _CustomMatcherModel | None = None
    scheme: Literal["http", "https"] | None = None
    host: _ValuePatternModel | None = None
    port: int | None = Field(None, ge=1, le=65535)
    clientIp: _ValuePatternModel | None = None
    graphql: _GraphQLModel | None = None

    _check = field_validator("urlPattern", "urlPathPattern")(_check_regex)
    _graphql_extension = model_validator(mode="before")(_graphql_extension)

    @field_validator("method")
    @classmethod
    def _method(cls, value: str) -> str:
        if value.upper() == "GET_OR_HEAD":  # WireMock's getOrHead(): one stub for both
            return "GET_OR_HEAD"
        if not re.fullmatch(r"[A-Za-z]+", value):
            raise ValueError(f"{value!r} is not an HTTP method; use e.g. GET, POST, ANY or GET_OR_HEAD")
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
        if self.basicAuth is not None and self.basicAuthCredentials is not None:
            raise ValueError("give one of basicAuth and basicAuthCredentials (they are the same field)")
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

        auth = self.basicAuthCredentials or self.basicAuth
        custom = self.customMatcher
        return RequestPattern(
            method=self.method,
            url=url,
            path_parameters=_patterns(self.pathParameters),
            query_parameters=_patterns(self.queryParameters),
            headers=_patterns(self.headers),
            cookies=_patterns(self.cookies),
            body_patterns=tuple(p.to_model() for p in self.bodyPatterns or ()),
            basic_auth=(auth.username, auth.password) if auth else None,
            form_parameters=_patterns(self.formParameters),
            multipart_patterns=tuple(p.to_model() for p in self.multipartPatterns or ()),
            custom_matcher=CustomMatcherCall(custom.name, custom.parameters or {}, get_matcher(custom.name))
            if custom
            else None,
            scheme=self.scheme,
            host=self.host.to_model() if self.host else None,
            port=self.port,
            client_ip=self.clientIp.to_model() if self.clientIp else None,
            graphql=self.graphql.to_model() if self.graphql else None,
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
        if self.maxValue is not None and self.maxValue < (self.median or 0):
            raise ValueError(f"maxValue ({self.maxValue}) is below the median ({self.median}); it caps the long tail")
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


class _SseEventModel(_Strict):
    """One event of an ``sse`` response: its fields and the delay before it."""

    event: str | None = None
    data: Any = None
    id: str | None = None
    retry: int | None = Field(None, ge=0)
    comment: str | None = None
    delayMilliseconds: int = Field(0, ge=0)

    @field_validator("event", "id")
    @classmethod
    def _one_line(cls, value: str | None) -> str | None:
        if value is not None and any(c in value for c in "\r\n"):
            raise ValueError("must be one line (no CR or LF): an event stream field ends at a line break")
        return value

    @field_validator("id")
    @classmethod
    def _no_nul(cls, value: str | None) -> str | None:
        if value is not None and "\0" in value:
            raise ValueError("must not contain NUL: clients ignore such an id")
        return value

    @model_validator(mode="after")
    def _something(self) -> _SseEventModel:
        if self.data is None and self.comment is None and self.event is None and self.id is None and self.retry is None:
            raise ValueError("an event needs at least one of data, event, id, retry or comment")
        return self

    def to_model(self) -> SseEvent:
        return SseEvent(
            data=self.data,
            event=self.event,
            id=self.id,
            retry_ms=self.retry,
            comment=self.comment,
            delay_ms=self.delayMilliseconds,
        )


class _SseModel(_Strict):
    """A response's ``sse``: Server-Sent Events instead of a body."""

    events: list[_SseEventModel] = Field(default_factory=list)
    repeat: int | Literal["forever"] = 1
    keepOpen: bool = False
    heartbeatMilliseconds: int = Field(15_000, ge=1)

    @field_validator("repeat")
    @classmethod
    def _repeat(cls, value: int | str) -> int | str:
        if isinstance(value, int) and value < 1:
            raise ValueError(f'must be 1 or more, or "forever" (until the client leaves); got {value}')
        return value

    @model_validator(mode="after")
    def _not_endless_nothing(self) -> _SseModel:
        if self.repeat == "forever" and not self.events:
            raise ValueError('repeat "forever" needs events to repeat; for an idle stream use keepOpen')
        if self.repeat == "forever" and not any(e.delayMilliseconds for e in self.events):
            raise ValueError('repeat "forever" needs a delayMilliseconds on an event, or the stream floods the client')
        return self

    def to_model(self) -> SseStream:
        return SseStream(
            events=tuple(event.to_model() for event in self.events),
            repeat=None if self.repeat == "forever" else self.repeat,
            keep_open=self.keepOpen,
            heartbeat_ms=self.heartbeatMilliseconds,
        )


class _ResponseModel(_Strict):
    """The ``response`` of a stub mapping: what the stub answers."""

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
    sse: _SseModel | None = None

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

    _base64 = field_validator("base64Body")(check_base64)

    @field_validator("bodyFileName")
    @classmethod
    def _file_name(cls, value: str | None) -> str | None:
        if value is not None and (value.startswith(("/", "\\")) or ".." in re.split(r"[/\\]", value)):
            raise ValueError(f"{value!r} must be a relative path inside __files/ (no leading / and no ..)")
        if value is not None and any(ord(c) < 32 or c == "\x7f" for c in value):
            # a NUL reaches the OS as "embedded null byte"; no file is named with control characters
            raise ValueError(f"{value!r} holds a control character (such as NUL), which no file name can")
        if value is not None and len(value.encode("utf-8")) > 1024:
            raise ValueError(f"is {len(value.encode('utf-8'))} bytes long; a path inside __files/ is at most 1024")
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
        if self.sse is not None:
            clash = [*given, *(n for n in ("proxyBaseUrl", "chunkedDribbleDelay", "fault") if getattr(self, n))]
            if clash:
                raise ValueError(f"an sse response is its events; remove {', '.join(clash)}")
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
            sse=self.sse.to_model() if self.sse else None,
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
    """A stub mapping: the request it matches and the response (or the responses, in turn) it gives."""

    id: str | None = None
    uuid: str | None = None
    name: str | None = None
    priority: int | None = Field(None, ge=1)
    metadata: dict[str, Any] | None = None
    persistent: bool | None = Field(None, description="Written to the mappings folder at once (admin API)")
    insertionIndex: int | None = None  # written by WireMock; order is mockpit's own
    scenarioName: str | None = Field(None, min_length=1)
    requiredScenarioState: str | None = Field(None, min_length=1)
    newScenarioState: str | None = Field(None, min_length=1)
    request: _RequestModel = Field(default_factory=_RequestModel)
    response: _ResponseModel | None = None
    #: mockpit's sequence: these responses in turn (WireMock needs a scenario per step for that)
    responses: list[_ResponseModel] | None = Field(None, min_length=1)
    responseSequence: Literal["stopOnLast", "cycle"] | None = None
    serveEventListeners: list[_ListenerModel] | None = None
    #: a list, or WireMock 2's object form ``{"webhook": {...parameters}}`` (which WireMock 3 still reads)
    postServeActions: list[_ListenerModel] | dict[str, dict[str, Any]] | None = None

    @model_validator(mode="after")
    def _ids(self) -> _StubModel:
        if self.id and self.uuid and self.id != self.uuid:
            raise ValueError(f"id {self.id!r} and uuid {self.uuid!r} differ; give one of them")
        if self.response is not None and self.responses is not None:
            raise ValueError("give either response or responses (a sequence), not both")
        if self.responseSequence is not None and self.responses is None:
            raise ValueError("responseSequence goes with responses, a list of responses given in turn")
        return self

    # declared after scenarioName, so that one is in info.data (unless it failed on its own)
    @field_validator("requiredScenarioState", "newScenarioState")
    @classmethod
    def _in_a_scenario(cls, value: str | None, info: ValidationInfo) -> str | None:
        # WireMock ignores a state without a scenarioName; a stub that silently never changes state is worse
        if value is not None and "scenarioName" in info.data and info.data["scenarioName"] is None:
            raise ValueError("a scenario state needs a scenarioName naming its scenario; add one or remove the state")
        return value

    def definitions(self) -> list[ResponseDefinition]:
        if self.responses is not None:
            return [response.to_model() for response in self.responses]
        return [(self.response or _ResponseModel()).to_model()]

    def listeners(self) -> tuple[ServeEventListener, ...]:
        actions = self.postServeActions
        found = [(item.name, item.parameters) for item in self.serveEventListeners or ()]
        if isinstance(actions, dict):
            found.extend(actions.items())
        else:
            found.extend((item.name, item.parameters) for item in actions or ())
        return tuple(ServeEventListener(name, parameters or {}) for name, parameters in found)

    @field_validator("postServeActions")
    @classmethod
    def _action_names(
        cls, value: list[_ListenerModel] | dict[str, dict[str, Any]] | None
    ) -> list[_ListenerModel] | dict[str, dict[str, Any]] | None:
        if isinstance(value, dict):
            for name in value:
                _ListenerModel._name(name)
        return value
