"""mockpit's model: requests, responses, patterns and stubs. No I/O, no transport.

Everything else produces or consumes these objects: the mapping format reads and writes them, the
matching layer compiles patterns, the ASGI layer turns the wire into a :class:`Request` and a
:class:`Response` back into bytes.
"""

from __future__ import annotations

import json as _json
import math
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args
from urllib.parse import parse_qs

from ._json import loads as _loads
from ._types import JSON, HeadersInput


class Headers(Mapping[str, str]):
    """Case-insensitive, multi-valued HTTP headers.

    ``headers["accept"]`` is the first value; :meth:`get_all` gives every value of a name.
    """

    __slots__ = ("_index", "_items")

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        self._items = list(items)
        index: dict[str, list[str]] = {}
        for name, value in self._items:
            index.setdefault(name.lower(), []).append(value)
        self._index = index

    def __getitem__(self, name: str) -> str:
        return self._index[name.lower()][0]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._index

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)

    def get_all(self, name: str) -> list[str]:
        """Every value of header ``name``, in the order received; ``[]`` if absent."""
        return self._index.get(name.lower(), [])

    def multi_items(self) -> list[tuple[str, str]]:
        """All (name, value) pairs as received, names in their original case."""
        return list(self._items)

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"


class Request:
    """An HTTP request as mockpit saw it: what handlers receive and the journal keeps.

    ``path`` is the path as sent on the wire (percent-encoding kept, as WireMock matches it);
    ``path_params`` holds the values of a ``urlPathTemplate`` such as ``/users/{id}`` (decoded).
    Parsed views (``headers``, ``query``, ``cookies``, ``json()``) are computed on first use.
    """

    __slots__ = (
        "_cookies",
        "_headers",
        "_json",
        "_query",
        "_raw_headers",
        "body",
        "client",
        "method",
        "path",
        "path_params",
        "query_string",
        "scheme",
        "timestamp",
    )

    def __init__(
        self,
        method: str,
        path: str,
        query_string: str = "",
        headers: Iterable[tuple[str, str]] = (),
        body: bytes = b"",
        *,
        client: tuple[str, int] | None = None,
        scheme: str = "http",
        timestamp: float | None = None,
    ) -> None:
        self.method = method.upper()
        self.path = path
        self.query_string = query_string
        self.body = body
        self.client = client
        self.scheme = scheme
        self.timestamp = time.time() if timestamp is None else timestamp
        self.path_params: dict[str, str] = {}
        self._headers: Headers | None = Headers(headers)
        self._raw_headers: list[tuple[bytes, bytes]] | None = None
        self._query: dict[str, list[str]] | None = None
        self._cookies: dict[str, str] | None = None
        self._json: Any = _UNSET

    @classmethod
    def from_wire(
        cls,
        method: str,
        path: str,
        query_string: str,
        raw_headers: list[tuple[bytes, bytes]],
        body: bytes,
        client: tuple[str, int] | None,
        scheme: str,
    ) -> Request:
        """Build a request from undecoded header pairs; decoding waits until a matcher needs them."""
        self = cls.__new__(cls)
        self.method = method
        self.path = path
        self.query_string = query_string
        self.body = body
        self.client = client
        self.scheme = scheme
        self.timestamp = time.time()
        self.path_params = {}
        self._headers = None
        self._raw_headers = raw_headers
        self._query = None
        self._cookies = None
        self._json = _UNSET
        return self

    def with_body(self, body: bytes) -> Request:
        """This request with another body (a WebSocket message as its handshake with the message as body);
        the headers, parsed or not, are shared."""
        other = Request.__new__(Request)
        for name in ("method", "path", "query_string", "client", "scheme", "timestamp", "path_params"):
            setattr(other, name, getattr(self, name))
        other.body = body
        other._headers = self._headers
        other._raw_headers = self._raw_headers
        other._query = self._query
        other._cookies = self._cookies
        other._json = _UNSET
        return other

    @property
    def headers(self) -> Headers:
        if self._headers is None:
            raw = self._raw_headers or ()
            self._headers = Headers((k.decode("latin-1"), v.decode("latin-1")) for k, v in raw)
        return self._headers

    def undecoded_headers(self) -> list[tuple[bytes, bytes]] | None:
        """The header pairs as read from the wire, while :attr:`headers` has not decoded them (else None).

        For writers that would only encode them again (a fleet's journal): decoding is a Headers object.
        """
        return self._raw_headers if self._headers is None else None

    @property
    def url(self) -> str:
        """Path and query string as sent, e.g. ``/users?page=2``."""
        return f"{self.path}?{self.query_string}" if self.query_string else self.path

    @property
    def query(self) -> dict[str, list[str]]:
        """Query parameters, decoded, each with all its values."""
        if self._query is None:
            self._query = parse_qs(self.query_string, keep_blank_values=True)
        return self._query

    @property
    def cookies(self) -> dict[str, str]:
        if self._cookies is None:
            # http.cookies.SimpleCookie drops a whole header when one cookie breaks its rules,
            # which real browsers send all the time; a mock must see what was sent.
            cookies: dict[str, str] = {}
            for header in self.headers.get_all("cookie"):
                for part in header.split(";"):
                    name, sep, value = part.strip().partition("=")
                    if sep and name:
                        cookies.setdefault(name, value)
            self._cookies = cookies
        return self._cookies

    @property
    def content_type(self) -> str:
        """The media type without parameters, lower case (``application/json``), or ``""``."""
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    @property
    def text(self) -> str:
        """The body decoded as UTF-8 (undecodable bytes replaced)."""
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> JSON:
        """The body parsed as JSON. Raises :class:`ValueError` naming the problem if it is not JSON."""
        if self._json is _UNSET:
            try:
                self._json = _loads(self.body)
            except ValueError as exc:
                self._json = _JsonFailure(exc)
        if isinstance(self._json, _JsonFailure):
            raise ValueError(f"the request body is not valid JSON: {self._json.error}") from None
        return self._json

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.url}>"


class _JsonFailure:
    __slots__ = ("error",)

    def __init__(self, error: ValueError) -> None:
        self.error = error


_UNSET: Any = object()


class Response:
    """An HTTP response: status, headers and body bytes.

    Handlers return one; ``json=`` serialises a value and sets ``Content-Type: application/json``
    unless a content type is given::

        Response(201, json={"id": 7}, headers={"Location": "/items/7"})
    """

    __slots__ = ("_raw_headers", "body", "dribble", "fault", "headers", "reason", "status", "stream", "why")

    def __init__(
        self,
        status: int = 200,
        body: bytes | str | None = None,
        *,
        json: JSON = _UNSET,
        headers: HeadersInput | None = None,
        reason: str | None = None,
        fault: Fault | None = None,
        dribble: tuple[int, float] | None = None,
        stream: AsyncIterator[bytes] | None = None,
    ) -> None:
        if not isinstance(status, int) or not 100 <= status <= 599:
            raise ValueError(f"status must be an integer from 100 to 599, got {status!r}")
        self.status = status
        self.reason = reason
        #: instead of answering, the transport does this to the connection (WireMock's ``fault``)
        self.fault = fault
        #: send the body in this many chunks spread over this many seconds (``chunkedDribbleDelay``)
        self.dribble = dribble
        #: a body sent as it arrives (proxying); ``body`` then holds what the journal may keep of it
        self.stream = stream
        #: why mockpit chose this status for a stub (a 422 from OpenAPI validation): a headline, then
        #: the details; ``mockpit serve`` logs the headline, and the details with ``--verbose``
        self.why: tuple[str, ...] | None = None
        self.headers: list[tuple[str, str]] = normalise_headers(headers)
        if json is not _UNSET:
            if body is not None:
                raise ValueError("give either body= or json=, not both")
            body = dump_json(json)
            if not any(name.lower() == "content-type" for name, _ in self.headers):
                self.headers.append(("Content-Type", "application/json"))
        if body is None:
            body = b""
        self.body: bytes = body.encode("utf-8") if isinstance(body, str) else bytes(body)
        self._raw_headers: list[tuple[bytes, bytes]] | None = None

    def raw_headers(self) -> list[tuple[bytes, bytes]]:
        """Headers as byte pairs, computed once (a static stub's response is sent many times)."""
        if self._raw_headers is None:
            raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in self.headers]
            framed = {name.lower() for name, _ in raw} & {b"content-length", b"transfer-encoding"}
            # RFC 9110 8.6: no Content-Length on 1xx and 204; a 304's would describe the cached body
            if not framed and self.status >= 200 and self.status not in {204, 304}:
                # without it uvicorn falls back to chunked encoding, which costs every client more
                raw.append((b"content-length", str(len(self.body)).encode("ascii")))
            self._raw_headers = raw
        return self._raw_headers

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def __repr__(self) -> str:
        return f"<Response {self.status} {len(self.body)} bytes>"


#: What a Python handler may return: a :class:`Response`, or a shortcut for one
#: (``dict``/``list`` become a JSON body, ``str``/``bytes`` a plain body, an async generator an event stream).
HandlerResult = Response | dict[str, Any] | list[Any] | str | bytes | AsyncIterator[Any]

#: A callable that answers a request, sync or async.
Handler = Callable[[Request], HandlerResult | Awaitable[HandlerResult]]


def normalise_headers(headers: HeadersInput | None) -> list[tuple[str, str]]:
    if not headers:
        return []
    if isinstance(headers, Mapping):
        pairs: list[tuple[str, str]] = []
        for name, value in headers.items():
            if isinstance(value, str):
                pairs.append((name, value))
            else:
                pairs.extend((name, v) for v in value)
        return pairs
    return [(name, value) for name, value in headers]


def dump_json(value: JSON) -> bytes:
    return _json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# --- definitions: what a stub says, as data (the mapping format maps 1:1 onto these) ---------------

#: WireMock's tests on one value (a header, a query parameter, a cookie, the body ...), named as in its JSON
ValueOperator = Literal[
    "equalTo",
    "contains",
    "doesNotContain",
    "matches",
    "doesNotMatch",
    "absent",
    "anything",
    "equalToJson",
    "matchesJsonPath",
    "matchesJsonSchema",
    "equalToXml",
    "matchesXPath",
    "and",
    "or",
    "not",
    # bodies (and the bodies of multipart parts) only: it compares bytes
    "binaryEqualTo",
]
StringOperator = Literal["equalTo", "contains", "doesNotContain", "matches", "doesNotMatch", "absent"]
Fault = Literal["CONNECTION_RESET_BY_PEER", "EMPTY_RESPONSE", "MALFORMED_RESPONSE_CHUNK", "RANDOM_DATA_THEN_CLOSE"]
FAULTS: tuple[Fault, ...] = (
    "CONNECTION_RESET_BY_PEER",
    "EMPTY_RESPONSE",
    "MALFORMED_RESPONSE_CHUNK",
    "RANDOM_DATA_THEN_CLOSE",
)
UrlKind = Literal["url", "urlPath", "urlPattern", "urlPathPattern", "urlPathTemplate", "anyUrl"]
JsonSchemaVersion = Literal["V4", "V6", "V7", "V201909", "V202012"]
MultipartMatchingType = Literal["ANY", "ALL"]

STRING_OPERATORS: tuple[StringOperator, ...] = (
    "equalTo",
    "contains",
    "doesNotContain",
    "matches",
    "doesNotMatch",
    "absent",
)
VALUE_OPERATORS: tuple[ValueOperator, ...] = get_args(ValueOperator)
JSON_SCHEMA_VERSIONS: tuple[JsonSchemaVersion, ...] = get_args(JsonSchemaVersion)


@dataclass(frozen=True, slots=True)
class XmlOptions:
    """How ``equalToXml`` compares, as WireMock's options (which are XMLUnit's) say."""

    #: ``${xmlunit.ignore}``, ``${xmlunit.isNumber}`` ... in the expected document stand for any value
    enable_placeholders: bool = False
    #: regexes around a placeholder (WireMock's defaults, ``\$\{`` and ``\}``, when ``None``)
    placeholder_opening: str | None = None
    placeholder_closing: str | None = None
    #: XMLUnit comparison types that do not count as differences (``NAMESPACE_URI``, ``TEXT_VALUE`` ...)
    exempted_comparisons: tuple[str, ...] = ()
    #: sibling elements of the same name may come in any order (by default their order counts)
    ignore_order_of_same_node: bool = False


@dataclass(frozen=True, slots=True)
class ValuePattern:
    """A test on one value: a header, a query parameter, a cookie, the body, a part of a multipart body.

    ``value`` is what ``operator`` compares with: text for the string operators and ``equalToXml``, a JSON
    value or JSON text for ``equalToJson`` and ``matchesJsonSchema``, an expression for ``matchesJsonPath``
    and ``matchesXPath``, base64 for ``binaryEqualTo``. ``and``/``or`` hold their patterns in
    ``operands``, ``not`` its one pattern.
    """

    operator: ValueOperator
    value: Any = None
    case_insensitive: bool = False
    #: equalToJson
    ignore_array_order: bool = False
    ignore_extra_elements: bool = False
    #: matchesJsonPath / matchesXPath: what the selected values must match (``None``: that there are some)
    sub_pattern: ValuePattern | None = None
    #: and / or: all of them / any of them must match; not: its one pattern must not
    operands: tuple[ValuePattern, ...] = ()
    #: matchesJsonSchema: the JSON Schema draft (``None``: WireMock's default, V202012)
    schema_version: JsonSchemaVersion | None = None
    #: equalToXml
    xml: XmlOptions | None = None
    #: matchesXPath: prefix -> namespace URI; without them elements are selected by local name, as in WireMock
    namespaces: Mapping[str, str] | None = None


@dataclass(frozen=True, slots=True)
class MultiValuePattern:
    """``includes``: each pattern matches one of the values of a header or parameter sent several times;
    ``hasExactly``: that, and there are as many values as patterns."""

    operator: Literal["hasExactly", "includes"]
    patterns: tuple[ValuePattern, ...]


#: what a header, query parameter or form parameter must match: one pattern (any of its values may
#: match it) or a test on all its values
FieldPattern = ValuePattern | MultiValuePattern


@dataclass(frozen=True, slots=True)
class MultipartPattern:
    """A test on the parts of a multipart body: ``ANY`` part (the default) or ``ALL`` parts must match
    ``headers`` and ``body_patterns``."""

    matching_type: MultipartMatchingType | None = None
    headers: Mapping[str, FieldPattern] = field(default_factory=dict)
    body_patterns: tuple[ValuePattern, ...] = ()
    #: WireMock writes the part's name here; like WireMock, mockpit matches names through the
    #: Content-Disposition header (``{"contains": "name=\"file\""}``) and keeps this one as written
    name: str | None = None


@dataclass(frozen=True, slots=True)
class CustomMatcherCall:
    """``customMatcher``: a Python matcher registered with :func:`mockpit.register_matcher` and its parameters."""

    name: str
    parameters: Mapping[str, Any] = field(default_factory=dict)
    #: the function registered under ``name`` when the stub loaded (later re-registrations do not change it)
    fn: Callable[[Request, Mapping[str, Any]], bool] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class GraphQLPattern:
    """``graphql``: a GraphQL request (POST JSON or GET parameters) with this operation.

    ``query`` is compared normalised (whitespace, field order, fragments inlined); ``variables`` is a
    JSON matcher (``equalToJson``, ``matchesJsonPath`` ...) on the request's variables object.
    """

    operation_name: str | None = None
    #: ``query``, ``mutation`` or ``subscription``
    operation_type: str | None = None
    query: str | None = None
    variables: ValuePattern | None = None


@dataclass(frozen=True, slots=True)
class UrlMatch:
    kind: UrlKind = "anyUrl"
    value: str | None = None


ANY_URL = UrlMatch()


@dataclass(frozen=True, slots=True)
class RequestPattern:
    method: str = "ANY"
    url: UrlMatch = ANY_URL
    path_parameters: Mapping[str, ValuePattern] = field(default_factory=dict)
    query_parameters: Mapping[str, FieldPattern] = field(default_factory=dict)
    headers: Mapping[str, FieldPattern] = field(default_factory=dict)
    cookies: Mapping[str, ValuePattern] = field(default_factory=dict)
    body_patterns: tuple[ValuePattern, ...] = ()
    basic_auth: tuple[str, str] | None = None
    #: the fields of an ``application/x-www-form-urlencoded`` body
    form_parameters: Mapping[str, FieldPattern] = field(default_factory=dict)
    multipart_patterns: tuple[MultipartPattern, ...] = ()
    #: asked last, once every other field matched (as WireMock does)
    custom_matcher: CustomMatcherCall | None = None
    #: ``http`` or ``https``
    scheme: str | None = None
    #: the Host header's host part
    host: ValuePattern | None = None
    #: the Host header's port (or the scheme's default port)
    port: int | None = None
    client_ip: ValuePattern | None = None
    #: a GraphQL operation (see :class:`GraphQLPattern`)
    graphql: GraphQLPattern | None = None


@dataclass(frozen=True, slots=True)
class DelayDistribution:
    """A random delay: ``uniform`` between ``lower`` and ``upper`` ms, or ``lognormal`` around ``median`` ms."""

    type: Literal["uniform", "lognormal"]
    lower: int = 0
    upper: int = 0
    median: float = 0.0
    sigma: float = 0.0
    #: lognormal only: WireMock's ``maxValue``, a cap on the long tail
    max_value: float | None = None


def lognormal_ms(gauss: Callable[[float, float], float], median: float, sigma: float, cap: float | None) -> float:
    """WireMock's lognormal delay: ``median * e^(sigma * N(0, 1))``, half the draws under the median.

    Past ``cap`` it draws again, up to ten times, then gives ``cap``: as WireMock does, so that a large
    sigma does not pile the delays up on the cap.
    """
    for _ in range(10):
        ms = median * math.exp(sigma * gauss(0.0, 1.0))
        if cap is None or ms <= cap:
            return ms
    return cap if cap is not None else ms


@dataclass(frozen=True, slots=True)
class SseEvent:
    """One Server-Sent Event: sent ``delay_ms`` after the one before it (or after the headers).

    ``data`` is text, or any other JSON value sent as its JSON text; a ``comment`` alone is a comment line
    (clients ignore it; it keeps proxies from closing an idle connection)::

        SseEvent({"token": "Hel"}, event="delta", id="1", delay_ms=50)
    """

    data: JSON = None
    event: str | None = None
    id: str | None = None
    #: tells the client how long to wait before it reconnects (the ``retry:`` field)
    retry_ms: int | None = None
    comment: str | None = None
    delay_ms: int = 0


@dataclass(frozen=True, slots=True)
class SseStream:
    """A response that is an event stream: its events, sent ``repeat`` times (``None``: until the client
    leaves), then, with ``keep_open``, a heartbeat comment every ``heartbeat_ms`` until the client leaves."""

    events: tuple[SseEvent, ...] = ()
    repeat: int | None = 1
    keep_open: bool = False
    heartbeat_ms: int = 15_000


@dataclass(frozen=True, slots=True)
class ResponseDefinition:
    status: int = 200
    status_message: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    body: str | None = None
    json_body: JSON = None
    base64_body: str | None = None
    body_file_name: str | None = None
    fixed_delay_ms: int | None = None
    delay_distribution: DelayDistribution | None = None
    #: (number of chunks, total milliseconds)
    chunked_dribble_delay: tuple[int, int] | None = None
    fault: Fault | None = None
    #: ``("response-template",)`` renders with Handlebars, ``("jinja",)`` with Jinja2
    transformers: tuple[str, ...] = ()
    transformer_parameters: Mapping[str, Any] | None = None
    proxy_base_url: str | None = None
    additional_proxy_request_headers: tuple[tuple[str, str], ...] = ()
    remove_proxy_request_headers: tuple[str, ...] = ()
    proxy_url_prefix_to_remove: str | None = None
    #: a Python callable answering instead of the fields above (not expressible in mapping files)
    handler: Handler | None = None
    #: the body is a stream of Server-Sent Events (``text/event-stream``)
    sse: SseStream | None = None


@dataclass(frozen=True, slots=True)
class ServeEventListener:
    """Something done after a request is served: WireMock's ``serveEventListeners`` (e.g. a ``webhook``)."""

    name: str
    parameters: Mapping[str, Any] = field(default_factory=dict)


#: WireMock gives stubs without a priority this one; lower numbers win.
DEFAULT_PRIORITY = 5
#: the state every scenario starts in (and returns to on reset), as WireMock names it
STARTED = "Started"


@dataclass(frozen=True, slots=True)
class Stub:
    """A request pattern and the response it gets: one WireMock "stub mapping"."""

    request: RequestPattern = field(default_factory=RequestPattern)
    response: ResponseDefinition = field(default_factory=ResponseDefinition)
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    name: str | None = None
    priority: int | None = None
    metadata: Mapping[str, Any] | None = None
    persistent: bool | None = None
    #: responses after the first, in turn: a retry test's 503, 503, 200
    then: tuple[ResponseDefinition, ...] = ()
    #: after the last of ``then``, start again from ``response`` (else the last one repeats)
    cycle: bool = False
    serve_event_listeners: tuple[ServeEventListener, ...] = ()
    #: the scenario (a state machine shared by stubs) this stub belongs to
    scenario_name: str | None = None
    #: the stub matches only while its scenario is in this state (``None``: in any state)
    required_scenario_state: str | None = None
    #: answering moves the scenario to this state
    new_scenario_state: str | None = None

    def __post_init__(self) -> None:
        if self.scenario_name is None and (
            self.required_scenario_state is not None or self.new_scenario_state is not None
        ):
            raise ValueError("a required or new scenario state needs a scenario_name")

    @property
    def effective_priority(self) -> int:
        return DEFAULT_PRIORITY if self.priority is None else self.priority

    def describe(self) -> str:
        """A short human label: the name if any, else method and URL, with the id."""
        label = self.name or f"{self.request.method} {self.request.url.value or '(any url)'}"
        return f'"{label}" ({self.id})'


# --- WebSocket: message stubs (WireMock 4's "message mappings") -------------------------------------

#: what starts a message stub's actions: a message arriving on a connection (WireMock's ``message``), a
#: connection opening (mockpit's ``open``: greetings, periodic pushes), or an HTTP request that the engine
#: answered (WireMock's ``http-request``: a test's POST that makes the mock push to its sockets)
MessageTrigger = Literal["message", "open", "http-request"]

#: an async function holding a WebSocket conversation itself: it receives the connection
#: (:class:`mockpit.WebSocket`), whose ``receive()``, ``send()`` and ``close()`` it awaits
WebSocketHandler = Callable[[Any], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class MessageAction:
    """One step of a message stub: send a message (``kind="send"``) or close the connection (``"close"``).

    A message is ``text`` (a template, rendered with the message and the handshake), ``json`` (sent as
    its JSON text) or ``binary`` (base64, sent as a binary frame). It goes ``delay_ms`` after the step
    before it; with ``every_ms`` it repeats at that interval, ``times`` times (``None``: until the
    connection closes). ``target`` sends it to every open connection whose handshake matches, instead of
    the one the trigger came from (a broadcast).
    """

    kind: Literal["send", "close"] = "send"
    text: str | None = None
    json: JSON = None
    binary: str | None = None
    delay_ms: int = 0
    every_ms: int | None = None
    times: int | None = None
    target: RequestPattern | None = None
    close_code: int = 1000
    close_reason: str = ""
    #: ``("jinja",)`` renders ``text`` with Jinja; else Handlebars, as WireMock templates every message
    transformers: tuple[str, ...] = ()
    transformer_parameters: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class MessageStub:
    """A WebSocket stub: which connections it applies to (``channel``, a pattern on the handshake), what
    starts it (``trigger``, and for messages the ``body`` they must match) and what it does (``actions``,
    in order, or a Python ``handler`` holding the whole conversation).

    A connection is accepted when a message stub's ``channel`` (and ``subprotocol``, if given) matches its
    handshake; no such stub, and the handshake gets a 404 with the near-miss report.
    """

    channel: RequestPattern = field(default_factory=RequestPattern)
    trigger: MessageTrigger = "message"
    #: ``message`` trigger: what the message must match (``None``: any message)
    body: ValuePattern | None = None
    #: ``http-request`` trigger: the HTTP request that starts the actions
    http_request: RequestPattern | None = None
    #: accepted only if the client offers this subprotocol, which the server then selects
    subprotocol: str | None = None
    actions: tuple[MessageAction, ...] = ()
    handler: WebSocketHandler | None = field(default=None, compare=False, repr=False)
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    name: str | None = None
    priority: int | None = None
    metadata: Mapping[str, Any] | None = None

    @property
    def effective_priority(self) -> int:
        return DEFAULT_PRIORITY if self.priority is None else self.priority

    def describe(self) -> str:
        label = self.name or f"WebSocket {self.channel.url.value or '(any url)'}"
        return f'"{label}" ({self.id})'
