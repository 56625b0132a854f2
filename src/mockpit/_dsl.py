"""The fluent Python API for stubs. It writes WireMock mapping JSON and hands it to the one
deserialiser, so a stub built here is the same object a mapping file or the admin API would give::

    server.when(get("/users/{id}")).respond(json={"id": 7})
    server.when(post("/orders").header("Content-Type", contains("json"))).respond_with(handler)
"""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Literal

from ._mapping.read import pattern_from_mapping, stub_from_mapping
from ._mapping.write import headers_to_mapping, sse_event_to_mapping
from ._matching.pattern import compile_pattern
from ._matching.result import MatchResult
from ._model import STARTED, Fault, Handler, MessageStub, Request, Response, SseEvent, Stub, WebSocketHandler
from ._types import JSON, HeadersInput


class _Spec:
    """A piece of WireMock request JSON a builder function made, to put into a pattern.

    Its subclasses are siblings on purpose: each fits one place in a pattern only, so a type checker
    refuses a :class:`MultipartMatcher` where a :class:`Matcher` goes, and the other way round.
    """

    __slots__ = ("spec",)

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.spec = dict(spec)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.spec!r})"


class Matcher(_Spec):
    """A value test in WireMock's JSON form; build one with :func:`equal_to`, :func:`contains`..."""

    __slots__ = ()


def equal_to(value: str, *, case_insensitive: bool = False) -> Matcher:
    return Matcher({"equalTo": value, **({"caseInsensitive": True} if case_insensitive else {})})


def contains(value: str) -> Matcher:
    return Matcher({"contains": value})


def does_not_contain(value: str) -> Matcher:
    return Matcher({"doesNotContain": value})


def matches(regex: str) -> Matcher:
    """The whole value must match ``regex`` (as in WireMock)."""
    return Matcher({"matches": regex})


def does_not_match(regex: str) -> Matcher:
    return Matcher({"doesNotMatch": regex})


def absent() -> Matcher:
    return Matcher({"absent": True})


def equal_to_json(value: JSON, *, ignore_array_order: bool = False, ignore_extra_elements: bool = False) -> Matcher:
    """Body matcher: the body is JSON equal to ``value``."""
    spec: dict[str, Any] = {"equalToJson": value}
    if ignore_array_order:
        spec["ignoreArrayOrder"] = True
    if ignore_extra_elements:
        spec["ignoreExtraElements"] = True
    return Matcher(spec)


def matches_json_path(expression: str, value: Matcher | str | None = None) -> Matcher:
    """Body matcher: ``expression`` selects something (that also matches ``value``, if given)."""
    if value is None:
        return Matcher({"matchesJsonPath": expression})
    sub = _as_matcher(value).spec
    return Matcher({"matchesJsonPath": {"expression": expression, **sub}})


def matches_json_schema(schema: JSON, *, version: str | None = None) -> Matcher:
    """The value (the body, a header ...) conforms to JSON Schema ``schema`` (a dict, or JSON text).

    ``version`` is the draft: ``"V4"``, ``"V6"``, ``"V7"``, ``"V201909"`` or ``"V202012"`` (the default)::

        post("/users").body(matches_json_schema({"type": "object", "required": ["name"]}))
    """
    spec: dict[str, Any] = {"matchesJsonSchema": schema}
    if version is not None:
        spec["schemaVersion"] = version
    return Matcher(spec)


def equal_to_xml(
    xml: str,
    *,
    enable_placeholders: bool = False,
    placeholder_opening: str | None = None,
    placeholder_closing: str | None = None,
    exempted_comparisons: Iterable[str] = (),
    ignore_order_of_same_node: bool = False,
) -> Matcher:
    """The value is XML equal to ``xml``, as WireMock (XMLUnit) compares: whitespace between elements,
    attribute order, comments and namespace prefixes do not matter.

    ``enable_placeholders`` makes ``${xmlunit.ignore}`` (and ``isNumber``, ``matchesRegex(...)``,
    ``isDateTime``) wildcards, between the given delimiter regexes; ``exempted_comparisons`` names XMLUnit
    comparison types not to count (``"NAMESPACE_URI"``, ``"TEXT_VALUE"`` ...).
    """
    spec: dict[str, Any] = {"equalToXml": xml}
    if enable_placeholders:
        spec["enablePlaceholders"] = True
    if placeholder_opening is not None:
        spec["placeholderOpeningDelimiterRegex"] = placeholder_opening
    if placeholder_closing is not None:
        spec["placeholderClosingDelimiterRegex"] = placeholder_closing
    if exempted_comparisons:
        spec["exemptedComparisons"] = list(exempted_comparisons)
    if ignore_order_of_same_node:
        spec["ignoreOrderOfSameNode"] = True
    return Matcher(spec)


def matches_xpath(
    expression: str, value: Matcher | str | None = None, *, namespaces: Mapping[str, str] | None = None
) -> Matcher:
    """The value is XML in which XPath 1.0 ``expression`` selects something (that also matches ``value``).

    Without ``namespaces`` (prefix -> URI) elements are selected by local name, as in WireMock::

        post("/orders").body(matches_xpath("//item/@sku", "A-1"))
    """
    spec: dict[str, Any] = {
        "matchesXPath": expression if value is None else {"expression": expression, **_as_matcher(value).spec}
    }
    if namespaces:
        spec["xPathNamespaces"] = dict(namespaces)
    return Matcher(spec)


def binary_equal_to(data: bytes) -> Matcher:
    """Body matcher: the body is exactly these bytes."""
    return Matcher({"binaryEqualTo": base64.b64encode(data).decode("ascii")})


def anything() -> Matcher:
    """Any value, and no value at all."""
    return Matcher({"anything": "anything"})


def and_(*matchers: Matcher | str) -> Matcher:
    """Every matcher must match: ``and_(matches("[a-z]+"), contains("magic"))`` (a string means equal_to)."""
    return Matcher({"and": [_as_matcher(m).spec for m in _at_least_one("and_", matchers)]})


def or_(*matchers: Matcher | str) -> Matcher:
    """Any of the matchers must match: ``or_(matches("[a-z]+"), absent())``."""
    return Matcher({"or": [_as_matcher(m).spec for m in _at_least_one("or_", matchers)]})


def not_(matcher: Matcher | str) -> Matcher:
    """The matcher must not match: ``not_(contains("test"))``."""
    return Matcher({"not": _as_matcher(matcher).spec})


def has_exactly(*values: Matcher | str) -> Matcher:
    """For a header or parameter sent several times: there are exactly as many values as matchers, and
    each matcher matches one of them (``has_exactly("1", "2", "3")`` for ``?id=1&id=2&id=3``)."""
    return Matcher({"hasExactly": [_as_matcher(v).spec for v in _at_least_one("has_exactly", values)]})


def includes(*values: Matcher | str) -> Matcher:
    """For a header or parameter sent several times: each matcher matches one of its values (there may be more)."""
    return Matcher({"includes": [_as_matcher(v).spec for v in _at_least_one("includes", values)]})


def _at_least_one(name: str, items: tuple[Matcher | str, ...]) -> tuple[Matcher | str, ...]:
    if not items:
        raise ValueError(f"{name}() needs at least one matcher")
    return items


class MultipartMatcher(_Spec):
    """A test on the parts of a multipart body; build one with :func:`multipart`."""

    __slots__ = ()


def multipart(
    name: str | None = None,
    *,
    headers: Mapping[str, Matcher | str] | None = None,
    body: Matcher | str | Sequence[Matcher | str] | None = None,
    matching_type: Literal["ANY", "ALL"] = "ANY",
) -> MultipartMatcher:
    """Any part (``matching_type="ALL"``: every part) of a multipart body has these headers and body.

    ``name`` is the form field's name (its Content-Disposition header contains ``name="..."``)::

        post("/upload").multipart(multipart("file", body=contains("hello"), headers={"Content-Type": "text/plain"}))
    """
    spec: dict[str, Any] = {"matchingType": matching_type}
    part_headers = {key: _as_matcher(value).spec for key, value in (headers or {}).items()}
    if name is not None:
        if any(key.lower() == "content-disposition" for key in part_headers):
            raise ValueError("give the part's name or a Content-Disposition header, not both")
        part_headers["Content-Disposition"] = {"contains": f'name="{name}"'}
    if part_headers:
        spec["headers"] = part_headers
    if body is not None:
        bodies = [body] if isinstance(body, (Matcher, str)) else list(body)
        spec["bodyPatterns"] = [_as_matcher(b).spec for b in bodies]
    return MultipartMatcher(spec)


def _as_matcher(value: Matcher | str) -> Matcher:
    return value if isinstance(value, Matcher) else equal_to(value)


class RequestPatternBuilder:
    """What a request must look like. Made by :func:`request`, :func:`get`, :func:`post`...

    The URL argument is an exact path (``/users``), a path template (``/users/{id}``: the values reach
    handlers as ``request.path_params``) or, with a ``?``, an exact path and query. For regexes use
    ``path_matching=`` or ``url_matching=``.
    """

    def __init__(
        self,
        method: str = "ANY",
        url: str | None = None,
        *,
        path_matching: str | None = None,
        url_matching: str | None = None,
    ) -> None:
        self._spec: dict[str, Any] = {"method": method.upper()}
        given = [v for v in (url, path_matching, url_matching) if v is not None]
        if len(given) > 1:
            raise ValueError("give one of url, path_matching= or url_matching=")
        if url is not None:
            if "?" in url:
                self._spec["url"] = url
            elif "{" in url:
                self._spec["urlPathTemplate"] = url
            else:
                self._spec["urlPath"] = url
        elif path_matching is not None:
            self._spec["urlPathPattern"] = path_matching
        elif url_matching is not None:
            self._spec["urlPattern"] = url_matching

    def _put(self, section: str, name: str, value: Matcher | str) -> RequestPatternBuilder:
        self._spec.setdefault(section, {})[name] = _as_matcher(value).spec
        return self

    def query(self, name: str, value: Matcher | str) -> RequestPatternBuilder:
        return self._put("queryParameters", name, value)

    def header(self, name: str, value: Matcher | str) -> RequestPatternBuilder:
        return self._put("headers", name, value)

    def cookie(self, name: str, value: Matcher | str) -> RequestPatternBuilder:
        return self._put("cookies", name, value)

    def path_param(self, name: str, value: Matcher | str) -> RequestPatternBuilder:
        return self._put("pathParameters", name, value)

    def body(self, value: Matcher | str) -> RequestPatternBuilder:
        """A body pattern; a plain string means the body equals it. Several calls must all match."""
        self._spec.setdefault("bodyPatterns", []).append(_as_matcher(value).spec)
        return self

    def json(
        self, value: JSON, *, ignore_array_order: bool = False, ignore_extra_elements: bool = False
    ) -> RequestPatternBuilder:
        return self.body(
            equal_to_json(value, ignore_array_order=ignore_array_order, ignore_extra_elements=ignore_extra_elements)
        )

    def basic_auth(self, username: str, password: str) -> RequestPatternBuilder:
        self._spec["basicAuthCredentials"] = {"username": username, "password": password}
        return self

    def form(self, name: str, value: Matcher | str) -> RequestPatternBuilder:
        """A field of an ``application/x-www-form-urlencoded`` body."""
        return self._put("formParameters", name, value)

    def multipart(self, part: MultipartMatcher) -> RequestPatternBuilder:
        """A test on the parts of a multipart body (see :func:`multipart`). Several calls must all match."""
        self._spec.setdefault("multipartPatterns", []).append(_deep_copy(part.spec))
        return self

    def custom(self, name: str, parameters: Mapping[str, Any] | None = None) -> RequestPatternBuilder:
        """Ask the matcher registered as ``name`` (:func:`mockpit.register_matcher`), with ``parameters``."""
        self._spec["customMatcher"] = {"name": name, **({"parameters": dict(parameters)} if parameters else {})}
        return self

    def host(self, value: Matcher | str) -> RequestPatternBuilder:
        """The Host header's host part (without the port)."""
        self._spec["host"] = _as_matcher(value).spec
        return self

    def port(self, port: int) -> RequestPatternBuilder:
        """The port in the Host header (the scheme's default when it names none)."""
        self._spec["port"] = port
        return self

    def scheme(self, scheme: Literal["http", "https"]) -> RequestPatternBuilder:
        self._spec["scheme"] = scheme
        return self

    def client_ip(self, value: Matcher | str) -> RequestPatternBuilder:
        """The client's address (the X-Forwarded-For header when there is one, as in WireMock)."""
        self._spec["clientIp"] = _as_matcher(value).spec
        return self

    def to_mapping(self) -> dict[str, Any]:
        """This pattern as WireMock's ``request`` JSON."""
        copied: dict[str, Any] = _deep_copy(self._spec)
        return copied

    def match(self, request: Request) -> MatchResult:
        """Test this pattern against ``request`` without a server, as a stub or ``verify()`` would.

        The result is true when it matched; ``captures`` holds the path template's values and, on a
        miss, ``differences`` says what differed (field, expected, actual)::

            pattern = get("/users/{id}").header("Accept", contains("json"))
            result = pattern.match(Request("GET", "/users/7", headers=[("Accept", "application/json")]))
            result.matched, result.captures  # (True, {'id': '7'})
            [(d.field, d.expected, d.actual) for d in pattern.match(Request("POST", "/users/7")).differences]
            # [('method', 'GET', 'POST'), ('header Accept', "contains 'json'", '(absent)')]

        A :class:`Request` takes the method and the path as sent (without the query), then the query
        string, the headers as (name, value) pairs and the body as bytes:
        ``Request("POST", "/orders", "dry_run=1", [("Content-Type", "application/json")], b'{"id": 1}')``.
        A pattern mockpit cannot use (a bad regex, say) raises :class:`MappingError`, as ``when()`` does.
        """
        return compile_pattern(pattern_from_mapping(self.to_mapping(), source="pattern")).match(request)

    def __repr__(self) -> str:
        return f"RequestPatternBuilder({self._spec!r})"


def request(
    method: str = "ANY", url: str | None = None, *, path_matching: str | None = None, url_matching: str | None = None
) -> RequestPatternBuilder:
    return RequestPatternBuilder(method, url, path_matching=path_matching, url_matching=url_matching)


# One function per method, not one made by a factory: each shows its real signature to type checkers,
# IDEs and help().
def get(
    url: str | None = None, *, path_matching: str | None = None, url_matching: str | None = None
) -> RequestPatternBuilder:
    """A pattern for GET requests: ``get('/path')``."""
    return RequestPatternBuilder("GET", url, path_matching=path_matching, url_matching=url_matching)


def post(
    url: str | None = None, *, path_matching: str | None = None, url_matching: str | None = None
) -> RequestPatternBuilder:
    """A pattern for POST requests: ``post('/path')``."""
    return RequestPatternBuilder("POST", url, path_matching=path_matching, url_matching=url_matching)


def put(
    url: str | None = None, *, path_matching: str | None = None, url_matching: str | None = None
) -> RequestPatternBuilder:
    """A pattern for PUT requests: ``put('/path')``."""
    return RequestPatternBuilder("PUT", url, path_matching=path_matching, url_matching=url_matching)


def patch(
    url: str | None = None, *, path_matching: str | None = None, url_matching: str | None = None
) -> RequestPatternBuilder:
    """A pattern for PATCH requests: ``patch('/path')``."""
    return RequestPatternBuilder("PATCH", url, path_matching=path_matching, url_matching=url_matching)


def delete(
    url: str | None = None, *, path_matching: str | None = None, url_matching: str | None = None
) -> RequestPatternBuilder:
    """A pattern for DELETE requests: ``delete('/path')``."""
    return RequestPatternBuilder("DELETE", url, path_matching=path_matching, url_matching=url_matching)


def head(
    url: str | None = None, *, path_matching: str | None = None, url_matching: str | None = None
) -> RequestPatternBuilder:
    """A pattern for HEAD requests: ``head('/path')``."""
    return RequestPatternBuilder("HEAD", url, path_matching=path_matching, url_matching=url_matching)


def options(
    url: str | None = None, *, path_matching: str | None = None, url_matching: str | None = None
) -> RequestPatternBuilder:
    """A pattern for OPTIONS requests: ``options('/path')``."""
    return RequestPatternBuilder("OPTIONS", url, path_matching=path_matching, url_matching=url_matching)


def graphql(
    operation: str | None = None,
    *,
    query: str | None = None,
    variables: Mapping[str, Any] | Matcher | None = None,
    type: Literal["query", "mutation", "subscription"] | None = None,
    url: str | None = "/graphql",
    method: str = "ANY",
) -> RequestPatternBuilder:
    """A pattern for GraphQL requests (POST JSON or GET ``?query=``) on ``url``::

        server.when(graphql("GetUser", variables={"id": "1"})).respond(json={"data": {"user": {"id": "1"}}})

    ``operation`` is the operation's name; ``query`` is compared normalised (whitespace, field order and
    fragments do not count); ``variables`` a dict (equal, as JSON) or a matcher such as
    ``equal_to_json({...}, ignore_extra_elements=True)``. Needs ``mockpit[graphql]``.
    """
    builder = RequestPatternBuilder(method, url)
    if isinstance(variables, Matcher):
        variables = _deep_copy(variables.spec)
    elif variables is not None:
        variables = {"equalToJson": _deep_copy(dict(variables))}
    fields = (("operationName", operation), ("operationType", type), ("query", query), ("variables", variables))
    builder._spec["graphql"] = {key: value for key, value in fields if value is not None}
    return builder


class StubBuilder:
    """Returned by ``server.when(pattern)``: say how to answer and the stub is added."""

    def __init__(
        self,
        register: Callable[[Stub], Stub],
        pattern: RequestPatternBuilder,
        *,
        name: str | None = None,
        priority: int | None = None,
        metadata: Mapping[str, Any] | None = None,
        stub_id: str | None = None,
    ) -> None:
        self._register = register
        self._mapping: dict[str, Any] = {"request": pattern.to_mapping()}
        for key, value in (("name", name), ("priority", priority), ("metadata", metadata), ("id", stub_id)):
            if value is not None:
                self._mapping[key] = dict(value) if isinstance(value, Mapping) else value

    def with_webhook(
        self,
        url: str,
        *,
        method: str = "POST",
        headers: HeadersInput | None = None,
        body: str | None = None,
        delay_ms: int | None = None,
    ) -> StubBuilder:
        """After each request this stub serves, call ``url`` (WireMock's ``webhook``; templated, Handlebars)."""
        parameters: dict[str, Any] = {"method": method, "url": url}
        if headers:
            parameters["headers"] = headers_to_mapping(headers)
        if body is not None:
            parameters["body"] = body
        if delay_ms is not None:
            parameters["delay"] = {"type": "fixed", "milliseconds": delay_ms}
        self._mapping.setdefault("serveEventListeners", []).append({"name": "webhook", "parameters": parameters})
        return self

    def in_scenario(self, name: str, state: str | None = STARTED, new_state: str | None = None) -> StubBuilder:
        """Put the stub in scenario ``name``: it matches only while the scenario is in ``state``
        (``None``: in any state) and, when it answers, moves the scenario to ``new_state``::

            server.when(get("/todo")).in_scenario("todo", new_state="added").respond(json=[])
            server.when(get("/todo")).in_scenario("todo", "added").respond(json=["milk"])
        """
        self._mapping["scenarioName"] = name
        for key, value in (("requiredScenarioState", state), ("newScenarioState", new_state)):
            if value is None:
                self._mapping.pop(key, None)
            else:
                self._mapping[key] = value
        return self

    def respond(
        self,
        status: int = 200,
        body: str | bytes | None = None,
        *,
        json: JSON = None,
        headers: HeadersInput | None = None,
        body_file: str | None = None,
        reason: str | None = None,
        delay_ms: int | None = None,
        delay: Mapping[str, Any] | None = None,
        dribble: tuple[int, int] | None = None,
        fault: Fault | None = None,
        template: bool | Literal["handlebars", "jinja"] = False,
        template_parameters: Mapping[str, Any] | None = None,
        sse: Iterable[SseEvent | Mapping[str, Any] | str] | None = None,
        sse_repeat: int | Literal["forever"] = 1,
        keep_open: bool = False,
        heartbeat_ms: int | None = None,
    ) -> Stub:
        """Answer with a fixed response; ``json=`` sends JSON, ``body_file=`` a file from ``__files/``.

        ``template=True`` renders body, headers and file with the request (Handlebars, as WireMock;
        ``"jinja"`` for Jinja2); ``delay=uniform_delay(50, 150)`` waits a random time, ``dribble=(4, 1000)``
        sends the body in 4 chunks over a second, ``fault="CONNECTION_RESET_BY_PEER"`` breaks the connection.

        ``sse=[SseEvent("Hel", delay_ms=50), {"event": "done", "data": {"ok": True}}, "text"]`` answers with
        Server-Sent Events (``text/event-stream``), each after its delay, templated per event with
        ``template=``; ``sse_repeat=3`` (or ``"forever"``) sends them again, ``keep_open=True`` then keeps
        the connection open with a heartbeat comment every ``heartbeat_ms`` until the client leaves.
        """
        given: Any = status  # the types say int; the common mistakes pass a body first, or JSON as the body
        if isinstance(given, (dict, list)) or isinstance(body, (dict, list)):
            value, status_first = (body, "200, ") if isinstance(body, (dict, list)) else (given, "")
            raise TypeError(
                f"respond() takes the body as text or bytes; for JSON pass json=: respond({status_first}json={value!r})"
            )
        if isinstance(given, str) and body is None and not given.isdigit():
            raise TypeError(f"respond() takes the status first: respond(200, {given!r})")
        response: dict[str, Any] = {"status": status}
        if isinstance(body, bytes):
            response["base64Body"] = base64.b64encode(body).decode("ascii")
        elif body is not None:
            response["body"] = body
        if json is not None:
            response["jsonBody"] = json
        if body_file is not None:
            response["bodyFileName"] = body_file
        if headers:
            response["headers"] = headers_to_mapping(headers)
        if reason is not None:
            response["statusMessage"] = reason
        if delay_ms is not None:
            response["fixedDelayMilliseconds"] = delay_ms
        if delay is not None:
            response["delayDistribution"] = dict(delay)
        if dribble is not None:
            response["chunkedDribbleDelay"] = {"numberOfChunks": dribble[0], "totalDuration": dribble[1]}
        if fault is not None:
            response["fault"] = fault
        if template:
            response["transformers"] = ["jinja" if template == "jinja" else "response-template"]
        if template_parameters is not None:
            response["transformerParameters"] = dict(template_parameters)
        if sse is not None:
            response["sse"] = _sse_mapping(sse, sse_repeat, keep_open, heartbeat_ms)
        return self._register(stub_from_mapping({**self._mapping, "response": response}, source="when()"))

    def respond_in_turn(self, *responses: Response, cycle: bool = False) -> Stub:
        """Answer with these responses one after another: the last repeats, or with ``cycle=True`` they start over.

        ``when(get("/flaky")).respond_in_turn(Response(503), Response(503), Response(200, json={"ok": True}))``
        """
        if not responses:
            raise ValueError("respond_in_turn() needs at least one Response")
        items = []
        for response in responses:
            if not isinstance(response, Response):
                raise TypeError(f"respond_in_turn() takes mockpit.Response objects, got {type(response).__name__}")
            items.append(_response_to_mapping(response))
        mapping = {**self._mapping, "responses": items, "responseSequence": "cycle" if cycle else "stopOnLast"}
        return self._register(stub_from_mapping(mapping, source="when()"))

    def proxy(
        self,
        base_url: str,
        *,
        add_headers: Mapping[str, str] | None = None,
        remove_headers: Sequence[str] = (),
        strip_prefix: str | None = None,
    ) -> Stub:
        """Forward matching requests to ``base_url`` + their path and query, and stream back the answer."""
        response: dict[str, Any] = {"proxyBaseUrl": base_url}
        if add_headers:
            response["additionalProxyRequestHeaders"] = dict(add_headers)
        if remove_headers:
            response["removeProxyRequestHeaders"] = list(remove_headers)
        if strip_prefix is not None:
            response["proxyUrlPrefixToRemove"] = strip_prefix
        return self._register(stub_from_mapping({**self._mapping, "response": response}, source="when()"))

    def respond_with(self, handler: Handler, *, delay_ms: int | None = None) -> Stub:
        """Answer by calling ``handler(request)`` (sync or async); it returns a Response, dict, str..."""
        if not callable(handler):
            raise TypeError(f"respond_with() takes a callable, got {type(handler).__name__}")
        response: dict[str, Any] = {} if delay_ms is None else {"fixedDelayMilliseconds": delay_ms}
        stub = stub_from_mapping({**self._mapping, "response": response}, source="when()")
        stub = dataclasses.replace(stub, response=dataclasses.replace(stub.response, handler=handler))
        return self._register(stub)


def uniform_delay(lower_ms: int, upper_ms: int) -> dict[str, Any]:
    """A delay drawn evenly between ``lower_ms`` and ``upper_ms`` (for ``respond(delay=...)``)."""
    return {"type": "uniform", "lower": lower_ms, "upper": upper_ms}


def lognormal_delay(median_ms: float, sigma: float, *, max_ms: float | None = None) -> dict[str, Any]:
    """A long-tailed delay around ``median_ms``, like real latency (for ``respond(delay=...)``)."""
    delay: dict[str, Any] = {"type": "lognormal", "median": median_ms, "sigma": sigma}
    if max_ms is not None:
        delay["maxValue"] = max_ms
    return delay


def _response_to_mapping(response: Response) -> dict[str, Any]:
    import base64

    out: dict[str, Any] = {"status": response.status}
    if response.headers:
        out["headers"] = headers_to_mapping(response.headers)
    if response.body:
        try:
            out["body"] = response.body.decode("utf-8")
        except UnicodeDecodeError:
            out["base64Body"] = base64.b64encode(response.body).decode("ascii")
    if response.reason is not None:
        out["statusMessage"] = response.reason
    if response.fault is not None:
        out["fault"] = response.fault
    if response.dribble is not None:
        out["chunkedDribbleDelay"] = {
            "numberOfChunks": response.dribble[0],
            "totalDuration": round(response.dribble[1] * 1000),
        }
    return out


def _deep_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep_copy(v) for v in value]
    return value


def _sse_mapping(
    events: Iterable[SseEvent | Mapping[str, Any] | str],
    repeat: int | Literal["forever"],
    keep_open: bool,
    heartbeat_ms: int | None,
) -> dict[str, Any]:
    items: list[dict[str, Any]] = []
    for event in events:
        if isinstance(event, SseEvent):
            items.append(sse_event_to_mapping(event))
        elif isinstance(event, str):
            items.append({"data": event})
        elif isinstance(event, Mapping):
            items.append(dict(event))
        else:
            raise TypeError(f"sse= takes mockpit.SseEvent, dict or str items, got {type(event).__name__}")
    out: dict[str, Any] = {"events": items, "repeat": repeat, "keepOpen": keep_open}
    if heartbeat_ms is not None:
        out["heartbeatMilliseconds"] = heartbeat_ms
    return out


class WebSocketStubBuilder:
    """Returned by ``server.websocket(path)``: what a connection's conversation holds.

    Each ``on_open()`` / ``on_message(...)`` starts a message stub; its ``send(...)`` and ``close(...)``
    calls add steps to it, in order (a script)::

        chat = server.websocket("/chat")
        chat.on_open().send("welcome")
        chat.on_message(equal_to("ping")).send("pong", delay_ms=50)
        chat.on_message(matches_json_path("$.subscribe")).send(json={"ok": True}).send("tick", every_ms=1000, times=3)
        chat.on_message("bye").close(1000, "see you")
    """

    def __init__(
        self,
        register: Callable[[MessageStub], MessageStub],
        pattern: RequestPatternBuilder,
        *,
        subprotocol: str | None = None,
        name: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        self._register = register
        channel: dict[str, Any] = {"type": "websocket", "initiatingRequestPattern": pattern.to_mapping()}
        if subprotocol is not None:
            channel["subprotocol"] = subprotocol
        self._channel = channel
        self._name = name
        self._metadata = metadata
        #: the stub that makes the connection accepted even before any rule is added
        self.stub = self._new({"type": "open", "channel": channel}, name).add()

    def _new(self, trigger: dict[str, Any], name: str | None, priority: int | None = None) -> MessageStubBuilder:
        mapping: dict[str, Any] = {"trigger": trigger, "actions": []}
        for key, value in (("name", name), ("priority", priority), ("metadata", self._metadata)):
            if value is not None:
                mapping[key] = dict(value) if isinstance(value, Mapping) else value
        return MessageStubBuilder(self._register, mapping)

    def on_open(self, *, name: str | None = None) -> MessageStubBuilder:
        """Steps run as each connection opens: a greeting, periodic pushes."""
        return self._new({"type": "open", "channel": self._channel}, name)

    def on_message(
        self, body: Matcher | str | None = None, *, name: str | None = None, priority: int | None = None
    ) -> MessageStubBuilder:
        """Steps run when a message arrives that matches ``body`` (a matcher, or text it must equal;
        ``None``: any message). The first matching stub by priority, then the newest, answers."""
        trigger: dict[str, Any] = {"type": "message", "channel": self._channel}
        if body is not None:
            trigger["message"] = {"body": _as_matcher(body).spec}
        return self._new(trigger, name, priority)

    def handle(self, handler: WebSocketHandler, *, name: str | None = None) -> MessageStub:
        """Hold the whole conversation in Python: ``async def handler(ws)`` awaits ``ws.receive()``,
        ``ws.send(...)`` and ``ws.close()`` (see :class:`mockpit.WebSocket`)."""
        if not callable(handler):
            raise TypeError(f"handle() takes an async function, got {type(handler).__name__}")
        builder = self._new({"type": "open", "channel": self._channel}, name)
        from ._mapping.messages import message_stub_from_mapping  # pydantic: off the start-up path

        stub = message_stub_from_mapping(builder._mapping, source="websocket().handle()")
        return self._register(dataclasses.replace(stub, handler=handler))


class MessageStubBuilder:
    """One message stub being built: each ``send`` / ``close`` adds a step and (re)registers the stub."""

    def __init__(self, register: Callable[[MessageStub], MessageStub], mapping: dict[str, Any]) -> None:
        self._register = register
        self._mapping = mapping
        self.stub: MessageStub | None = None

    def add(self) -> MessageStubBuilder:
        from ._mapping.messages import message_stub_from_mapping  # pydantic: off the start-up path

        stub = message_stub_from_mapping(self._mapping, source="websocket()")
        self._mapping["id"] = stub.id
        self.stub = self._register(stub)
        return self

    def send(
        self,
        text: str | None = None,
        *,
        json: JSON = None,
        binary: bytes | None = None,
        delay_ms: int = 0,
        every_ms: int | None = None,
        times: int | None = None,
        to: RequestPatternBuilder | str | None = None,
        syntax: Literal["handlebars", "jinja"] = "handlebars",
    ) -> MessageStubBuilder:
        """Send a message: ``text`` (a template: ``{{message.body}}``, ``{{request.query.id}}``...),
        ``json=`` or ``binary=``; ``delay_ms`` after the step before, repeated ``every_ms`` (``times``
        times, or until the connection closes); ``to=`` a path or pattern sends it to every open
        connection whose handshake matches instead of this one."""
        given = [name for name, value in (("text", text), ("json", json), ("binary", binary)) if value is not None]
        if len(given) != 1:
            raise ValueError(f"send() takes one of text, json= or binary=, got {' and '.join(given) or 'none'}")
        if text is not None:
            body: dict[str, Any] = {"data": text}
        elif binary is not None:
            body = {"base64Data": base64.b64encode(binary).decode("ascii")}
        else:
            body = {"jsonBody": _deep_copy(json)}
        action: dict[str, Any] = {"type": "send", "message": {"body": body}}
        if to is not None:
            pattern = to if isinstance(to, RequestPatternBuilder) else RequestPatternBuilder("ANY", to)
            action["channelTarget"] = {"type": "request-initiated", "requestPattern": pattern.to_mapping()}
        if syntax == "jinja":
            action["transformers"] = ["jinja"]
        return self._step(action, delay_ms, every_ms, times)

    def close(self, code: int = 1000, reason: str = "", *, delay_ms: int = 0) -> MessageStubBuilder:
        """Close the connection with ``code`` (1000 normal, 1001 going away, 1008 policy, 4000-4999 yours)."""
        action: dict[str, Any] = {"type": "close", "code": code}
        if reason:
            action["reason"] = reason
        return self._step(action, delay_ms, None, None)

    def _step(
        self, action: dict[str, Any], delay_ms: int, every_ms: int | None, times: int | None
    ) -> MessageStubBuilder:
        if delay_ms:
            action["delayMilliseconds"] = delay_ms
        if every_ms is not None:
            action["repeatEveryMilliseconds"] = every_ms
        if times is not None:
            action["repeatTimes"] = times
        self._mapping["actions"].append(action)
        try:
            return self.add()
        except Exception:
            self._mapping["actions"].pop()  # a refused step leaves the stub as it was
            raise
