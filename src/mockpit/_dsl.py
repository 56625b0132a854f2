"""The fluent Python API for stubs. It writes WireMock mapping JSON and hands it to the one
deserialiser, so a stub built here is the same object a mapping file or the admin API would give::

    server.when(get("/users/{id}")).respond(json={"id": 7})
    server.when(post("/orders").header("Content-Type", contains("json"))).respond_with(handler)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from ._mapping_format import stub_from_mapping
from ._model import Fault, Response, Stub
from ._types import JSON, Handler, HeadersInput


class Matcher:
    """A value test in WireMock's JSON form; build one with :func:`equal_to`, :func:`contains`..."""

    __slots__ = ("spec",)

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.spec = dict(spec)

    def __repr__(self) -> str:
        return f"Matcher({self.spec!r})"


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

    def to_mapping(self) -> dict[str, Any]:
        """This pattern as WireMock's ``request`` JSON."""
        copied: dict[str, Any] = _deep_copy(self._spec)
        return copied

    def __repr__(self) -> str:
        return f"RequestPatternBuilder({self._spec!r})"


def request(
    method: str = "ANY", url: str | None = None, *, path_matching: str | None = None, url_matching: str | None = None
) -> RequestPatternBuilder:
    return RequestPatternBuilder(method, url, path_matching=path_matching, url_matching=url_matching)


def _method_builder(method: str) -> Callable[..., RequestPatternBuilder]:
    def build(
        url: str | None = None, *, path_matching: str | None = None, url_matching: str | None = None
    ) -> RequestPatternBuilder:
        return RequestPatternBuilder(method, url, path_matching=path_matching, url_matching=url_matching)

    build.__name__ = method.lower()
    build.__doc__ = f"A pattern for {method} requests: ``{method.lower()}('/path')``."
    return build


get = _method_builder("GET")
post = _method_builder("POST")
put = _method_builder("PUT")
patch = _method_builder("PATCH")
delete = _method_builder("DELETE")
head = _method_builder("HEAD")
options = _method_builder("OPTIONS")


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
            parameters["headers"] = _headers_mapping(headers)
        if body is not None:
            parameters["body"] = body
        if delay_ms is not None:
            parameters["delay"] = {"type": "fixed", "milliseconds": delay_ms}
        self._mapping.setdefault("serveEventListeners", []).append({"name": "webhook", "parameters": parameters})
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
    ) -> Stub:
        """Answer with a fixed response; ``json=`` sends JSON, ``body_file=`` a file from ``__files/``.

        ``template=True`` renders body, headers and file with the request (Handlebars, as WireMock;
        ``"jinja"`` for Jinja2); ``delay=uniform_delay(50, 150)`` waits a random time, ``dribble=(4, 1000)``
        sends the body in 4 chunks over a second, ``fault="CONNECTION_RESET_BY_PEER"`` breaks the connection.
        """
        response: dict[str, Any] = {"status": status}
        if isinstance(body, bytes):
            import base64

            response["base64Body"] = base64.b64encode(body).decode("ascii")
        elif body is not None:
            response["body"] = body
        if json is not None:
            response["jsonBody"] = json
        if body_file is not None:
            response["bodyFileName"] = body_file
        if headers:
            response["headers"] = _headers_mapping(headers)
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
        out["headers"] = _headers_mapping(response.headers)
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


def _headers_mapping(headers: HeadersInput) -> dict[str, str | list[str]]:
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    out: dict[str, str | list[str]] = {}
    for name, value in pairs:
        values = [value] if isinstance(value, str) else list(value)
        previous = out.get(name)
        if previous is None:
            out[name] = values[0] if len(values) == 1 else values
        else:
            out[name] = [*([previous] if isinstance(previous, str) else previous), *values]
    return out


def _deep_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep_copy(v) for v in value]
    return value
