"""Checks: one field of a request each (method, query, headers, cookies, form fields, basic auth, scheme,
host, port, client IP, body, multipart parts, a custom matcher). ``test`` is the fast path; ``difference``
explains a failure for the near-miss report. The URL's checks are in ``url.py``.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any
from urllib.parse import parse_qs

from mockpit._errors import MappingError
from mockpit._model import CustomMatcherCall, MultipartPattern, Request, ValuePattern
from mockpit._types import JSON

from .custom import get_matcher, unknown_matcher_message
from .result import METHOD_WEIGHT, URL_WEIGHT, Difference, string_distance
from .values import FieldMatcher, ValueMatcher, compact_json, compile_field

ABSENT = "(absent)"


class Check:
    """One test on a request. ``test`` is the fast path; ``difference`` explains a failure."""

    __slots__ = ()

    #: how much the field counts in a near miss's distance
    weight = 1.0

    def test(self, request: Request) -> bool:
        raise NotImplementedError

    def predicate(self) -> Callable[[Request], bool]:
        """The cheapest callable doing :meth:`test` (the hot path calls it without a method hop)."""
        return self.test

    def rough_distance(self, request: Request) -> float:
        """A cheap stand-in for the weighted distance of :meth:`difference`: a failing field counts fully."""
        return 0.0 if self.test(request) else self.weight

    def difference(self, request: Request) -> Difference | None:
        raise NotImplementedError


class MethodCheck(Check):
    __slots__ = ("method",)
    weight = METHOD_WEIGHT

    def __init__(self, method: str) -> None:
        self.method = method

    def test(self, request: Request) -> bool:
        return request.method == self.method

    def difference(self, request: Request) -> Difference | None:
        if self.test(request):
            return None
        return Difference("method", self.method, request.method, 1.0, METHOD_WEIGHT)


class GetOrHeadCheck(MethodCheck):
    """WireMock's ``GET_OR_HEAD``: either method."""

    __slots__ = ()

    def test(self, request: Request) -> bool:
        return request.method in ("GET", "HEAD")


class MultiValueCheck(Check):
    """A header, query parameter, form parameter or cookie: one pattern that any of its values may match,
    or ``hasExactly`` / ``includes`` on all of them."""

    __slots__ = ("getter", "label", "matcher", "name")

    def __init__(
        self, label: str, name: str, matcher: FieldMatcher, getter: Callable[[Request, str], list[str]]
    ) -> None:
        self.label, self.name, self.matcher, self.getter = label, name, matcher, getter

    def test(self, request: Request) -> bool:
        return self.matcher.match_values(self.getter(request, self.name))

    def difference(self, request: Request) -> Difference | None:
        values = self.getter(request, self.name)
        if self.matcher.match_values(values):
            return None
        actual = ABSENT if not values else values[0] if len(values) == 1 else repr(values)
        if len(values) == 1 and isinstance(self.matcher, ValueMatcher):
            actual = _with_reason(actual, self.matcher.explain(values[0]))
        return Difference(
            f"{self.label} {self.name}", self.matcher.description, actual, self.matcher.values_distance(values)
        )


def header_values(request: Request, name: str) -> list[str]:
    return request.headers.get_all(name)


def query_values(request: Request, name: str) -> list[str]:
    return request.query.get(name, [])


def _cookie_values(request: Request, name: str) -> list[str]:
    value = request.cookies.get(name)
    return [] if value is None else [value]


class CookieCheck(MultiValueCheck):
    """A cookie: as in WireMock, a missing cookie matches ``absent`` only (not doesNotContain ...)."""

    __slots__ = ("_when_missing",)

    def __init__(self, name: str, matcher: ValueMatcher) -> None:
        super().__init__("cookie", name, matcher, _cookie_values)
        self._when_missing = matcher.pattern.operator == "absent"

    def test(self, request: Request) -> bool:
        value = request.cookies.get(self.name)
        if value is None:
            return self._when_missing
        return self.matcher.match_values((value,))

    def difference(self, request: Request) -> Difference | None:
        if self.test(request):
            return None
        if request.cookies.get(self.name) is None:
            return Difference(f"cookie {self.name}", self.matcher.description, ABSENT, 1.0)
        return super().difference(request)


# the last request's form fields, kept while the other stubs look at the same request (one slot, replaced
# whole: a reader sees either the old pair or the new one)
_last_form: list[tuple[Request | None, dict[str, list[str]]]] = [(None, {})]


def form_values(request: Request, name: str) -> list[str]:
    """The values of form field ``name`` in an ``application/x-www-form-urlencoded`` body (none otherwise)."""
    cached_request, form = _last_form[0]
    if cached_request is not request:
        form = {}
        if request.content_type == "application/x-www-form-urlencoded":
            form = parse_qs(request.body.decode("utf-8", errors="replace"), keep_blank_values=True)
        _last_form[0] = (request, form)
    return form.get(name, [])


class BasicAuthCheck(Check):
    __slots__ = ("expected", "username")

    def __init__(self, username: str, password: str) -> None:
        self.username = username
        token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
        self.expected = f"Basic {token}"

    def test(self, request: Request) -> bool:
        return self.expected in request.headers.get_all("authorization")

    def difference(self, request: Request) -> Difference | None:
        if self.test(request):
            return None
        actual = request.headers.get("authorization")
        shown = ABSENT if actual is None else _describe_basic_auth(actual)
        return Difference("basic auth", f"user {self.username!r} with the stub's password", shown, 1.0)


def _describe_basic_auth(header: str) -> str:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "basic":
        return f"{scheme} credentials"
    try:
        user = base64.b64decode(token).decode("utf-8", "replace").partition(":")[0]
    except ValueError:
        return "malformed Basic credentials"
    return f"user {user!r} (password not shown)"


class SchemeCheck(Check):
    __slots__ = ("scheme",)
    weight = 3.0

    def __init__(self, scheme: str) -> None:
        self.scheme = scheme

    def test(self, request: Request) -> bool:
        return request.scheme == self.scheme

    def difference(self, request: Request) -> Difference | None:
        return None if self.test(request) else Difference("scheme", self.scheme, request.scheme, 1.0, self.weight)


def host_and_port(request: Request) -> tuple[str | None, int | None]:
    """The Host header's host and port (the scheme's default port when it names none)."""
    host = request.headers.get("host")
    if not host:
        return None, None
    name, port = host, ""
    if host.startswith("["):  # [::1]:8080
        end = host.find("]")
        name, port = host[: end + 1], host[end + 2 :] if host[end + 1 : end + 2] == ":" else ""
    elif ":" in host:
        name, _, port = host.rpartition(":")
    if port.isdigit():
        return name, int(port)
    return name, 443 if request.scheme == "https" else 80


class HostCheck(Check):
    __slots__ = ("matcher",)
    weight = URL_WEIGHT

    def __init__(self, matcher: ValueMatcher) -> None:
        self.matcher = matcher

    def test(self, request: Request) -> bool:
        return self.matcher(host_and_port(request)[0])

    def difference(self, request: Request) -> Difference | None:
        host = host_and_port(request)[0]
        if self.matcher(host):
            return None
        return Difference("host", self.matcher.description, shown(host), self.matcher.distance(host), self.weight)


class PortCheck(Check):
    __slots__ = ("port",)
    weight = URL_WEIGHT

    def __init__(self, port: int) -> None:
        self.port = port

    def test(self, request: Request) -> bool:
        return host_and_port(request)[1] == self.port

    def difference(self, request: Request) -> Difference | None:
        port = host_and_port(request)[1]
        if port == self.port:
            return None
        return Difference("port", str(self.port), ABSENT if port is None else str(port), 1.0, self.weight)


def client_ip(request: Request) -> str | None:
    """As WireMock: the X-Forwarded-For header as sent when there is one, else the peer's address."""
    forwarded = request.headers.get("x-forwarded-for")
    if forwarded:
        return forwarded
    return request.client[0] if request.client else None


class ClientIpCheck(Check):
    __slots__ = ("matcher",)
    weight = 3.0

    def __init__(self, matcher: ValueMatcher) -> None:
        self.matcher = matcher

    def test(self, request: Request) -> bool:
        return self.matcher(client_ip(request))

    def difference(self, request: Request) -> Difference | None:
        ip = client_ip(request)
        if self.matcher(ip):
            return None
        return Difference("client IP", self.matcher.description, shown(ip), self.matcher.distance(ip), self.weight)


class BodyCheck(Check):
    __slots__ = ("_test", "description", "matcher", "pattern")

    def __init__(self, pattern: ValuePattern) -> None:
        self.pattern = pattern
        matcher = self.matcher = ValueMatcher(pattern)
        self.description = matcher.description
        self._test: Callable[[Request], bool]
        bytes_test, json_test, test = matcher.bytes_test, matcher.json_test, matcher.test
        if bytes_test is not None:
            self._test = lambda r: bytes_test(r.body)
        elif json_test is not None:
            self._test = lambda r: _with_json(r, json_test)
        else:
            self._test = lambda r: test(r.text)

    def test(self, request: Request) -> bool:
        return self._test(request)

    def predicate(self) -> Callable[[Request], bool]:
        return self._test

    def difference(self, request: Request) -> Difference | None:
        if self.test(request):
            return None
        op = self.pattern.operator
        actual = request.text or "(empty)"
        if op == "equalTo":
            distance = max(0.1, string_distance(str(self.pattern.value), request.text))
        elif op == "equalToJson":
            distance = self.matcher.distance(_normalised_json_text(request))
        elif op in {"contains", "matches", "doesNotMatch", "doesNotContain", "matchesJsonPath", "binaryEqualTo"}:
            distance = 1.0
        else:
            distance = self.matcher.distance(request.text)
        reason = self.matcher.explain(request.text) if request.body else None
        # with a reason, less of the body: the report shows a few lines of a cell, and the reason says more
        return Difference(
            "body", self.description, _with_reason(_truncate(actual, 80 if reason else 300), reason), distance
        )


def _with_json(request: Request, test: Callable[[JSON], bool]) -> bool:
    try:
        data = request.json()
    except ValueError:
        return False
    return test(data)


def _normalised_json_text(request: Request) -> str:
    try:
        return compact_json(request.json())
    except ValueError:
        return request.text


def _truncate(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} characters)"


def _with_reason(actual: str, reason: str | None) -> str:
    return actual if not reason else f"{actual} ({reason})"


def shown(value: str | None) -> str:
    return ABSENT if value is None else value


# --- multipart bodies -------------------------------------------------------------------------------


class MultipartCheck(Check):
    """One of ``multipartPatterns``: ``ANY`` part (the default) or ``ALL`` parts match its headers and bodies.

    As in WireMock, a request whose body is not multipart, or has no parts, never matches.
    """

    __slots__ = ("_all", "bodies", "description", "headers", "index")

    def __init__(self, pattern: MultipartPattern, index: int) -> None:
        self.index = index
        self._all = pattern.matching_type == "ALL"
        self.headers = tuple((name, compile_field(p)) for name, p in pattern.headers.items())
        self.bodies = tuple(ValueMatcher(p) for p in pattern.body_patterns)
        wants = [f"header {name} {m.description}" for name, m in self.headers]
        wants += [f"body {m.description}" for m in self.bodies]
        self.description = f"{'ALL' if self._all else 'ANY'} part with {' and '.join(wants) or 'anything'}"

    def test(self, request: Request) -> bool:
        from .multipart import MultipartError, request_parts

        parts = request_parts(request)
        if isinstance(parts, MultipartError) or not parts:
            return False
        part_matches = self._part_matches
        if self._all:
            return all(part_matches(p) for p in parts)
        return any(part_matches(p) for p in parts)

    def _part_matches(self, part: Any) -> bool:
        for name, matcher in self.headers:
            if not matcher.match_values(part.headers.get_all(name)):
                return False
        for body in self.bodies:
            if body.bytes_test is not None:
                if not body.bytes_test(part.body):
                    return False
            elif not body.test(part.text):
                return False
        return True

    def difference(self, request: Request) -> Difference | None:
        from .multipart import MultipartError, request_parts

        if self.test(request):
            return None
        parts = request_parts(request)
        if isinstance(parts, MultipartError):
            actual = f"no multipart body: {parts}"
        else:
            shown = "; ".join(p.describe() for p in parts[:5]) + ("; ..." if len(parts) > 5 else "")
            actual = f"{len(parts)} part(s): {shown}" if parts else "no parts"
        return Difference(f"multipart pattern {self.index + 1}", self.description, actual, 1.0)


# --- custom matchers --------------------------------------------------------------------------------


class CustomMatcherCheck(Check):
    """``customMatcher``: a registered Python function, asked last (only when every other field matched)."""

    __slots__ = ("fn", "name", "parameters")

    def __init__(self, call: CustomMatcherCall) -> None:
        fn = call.fn or get_matcher(call.name)
        if fn is None:
            raise MappingError(unknown_matcher_message(call.name), field=("request", "customMatcher", "name"))
        self.fn = fn
        self.name = call.name
        # one read-only view for every call: a matcher cannot change what the next request sees
        self.parameters: Mapping[str, Any] = MappingProxyType(dict(call.parameters))

    def test(self, request: Request) -> bool:
        try:
            return bool(self.fn(request, self.parameters))
        except Exception:  # a user's function: a bug in it is a no match, explained by difference()
            return False

    def difference(self, request: Request) -> Difference | None:
        try:
            if self.fn(request, self.parameters):
                return None
            reason = "it rejected the request"
        except Exception as exc:  # a user's function
            reason = f"it raised {type(exc).__name__}: {exc}"
        parameters = f" with {dict(self.parameters)}" if self.parameters else ""
        return Difference("custom matcher", f"{self.name!r}{parameters} accepts the request", reason, 1.0)
