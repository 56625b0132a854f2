"""Request patterns compiled into fast checks that return a :class:`MatchResult`.

A pattern is compiled once, when its stub is added: regexes, JSONPath and XPath expressions, JSON
schemas and expected XML documents are all prepared then. ``match()`` is the hot path: it stops at the
first failing check and allocates nothing but the result; a stub pays only for the fields it uses. The
differences a near-miss report prints (field, expected, actual, distance) are worked out only when someone
asks for them.
"""

from __future__ import annotations

import base64
import difflib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any
from urllib.parse import parse_qs, unquote

from mockpit._errors import MappingError
from mockpit._model import (
    CustomMatcherCall,
    FieldPattern,
    MultipartPattern,
    MultiValuePattern,
    Request,
    RequestPattern,
    UrlMatch,
    ValuePattern,
    XmlOptions,
)
from mockpit._types import JSON

from . import json_unit
from .custom import get_matcher, unknown_matcher_message
from .jsonpath import compile_json_path

_ABSENT = "(absent)"
#: how much a field counts in a near miss's distance (WireMock's weights: URL, host and port 10, method,
#: scheme and client IP 3, the others 1): a stub for another URL or method is rarely the one meant
URL_WEIGHT = 10.0
METHOD_WEIGHT = 3.0


@dataclass(frozen=True, slots=True)
class Difference:
    """One field of a request that a pattern wanted otherwise."""

    field: str
    expected: str
    actual: str
    #: 0 (almost right) to 1 (nothing alike)
    distance: float
    #: how much this field counts in a stub's distance (the URL counts most, as in WireMock)
    weight: float = 1.0


class MatchResult:
    """What matching a request against a pattern found.

    ``matched`` says whether it matched; ``captures`` holds ``urlPathTemplate`` values (``{"id": "7"}``);
    on a miss, ``differences`` lists each field that differed and ``distance`` sums them up (0 to 1).
    """

    __slots__ = ("_differences", "_pattern", "captures", "matched", "request")

    def __init__(
        self,
        matched: bool,
        pattern: CompiledPattern,
        request: Request,
        captures: dict[str, str] | None = None,
    ) -> None:
        self.matched = matched
        self.captures = captures or {}
        self._pattern = pattern
        self.request = request
        self._differences: list[Difference] | None = None

    def __bool__(self) -> bool:
        return self.matched

    @property
    def differences(self) -> list[Difference]:
        if self._differences is None:
            self._differences = [] if self.matched else self._pattern.differences(self.request)
        return self._differences

    @property
    def distance(self) -> float:
        if self.matched:
            return 0.0
        return sum(d.distance * d.weight for d in self.differences) / self._pattern.weight


def string_distance(expected: str, actual: str | None) -> float:
    """0 for equal strings, 1 for nothing in common (difflib's ratio on the first 200 characters)."""
    if actual is None:
        return 1.0
    if expected == actual:
        return 0.0
    return 1.0 - difflib.SequenceMatcher(None, expected[:200], actual[:200], autojunk=False).ratio()


# --- single values ---------------------------------------------------------------------------------


class ValueMatcher:
    """A compiled :class:`ValuePattern`: call it with a value (``None`` for absent).

    ``test`` takes a present value; ``absent`` is the answer for an absent one. Operators that read JSON
    also offer ``json_test`` (the body's JSON is parsed once per request, not once per pattern) and those
    that read bytes ``bytes_test`` (bodies: XML keeps its declared encoding, binaryEqualTo its bytes).
    """

    __slots__ = ("_distance", "_explain", "absent", "bytes_test", "description", "json_test", "pattern", "test")

    def __init__(self, pattern: ValuePattern) -> None:
        self.pattern = pattern
        self.absent = False
        self.json_test: Callable[[JSON], bool] | None = None
        self.bytes_test: Callable[[bytes], bool] | None = None
        self._distance: Callable[[str], float] | None = None
        self._explain: Callable[[str], str | None] | None = None
        self.test: Callable[[str], bool]
        self.description: str
        _COMPILERS[pattern.operator](self, pattern)

    def __call__(self, value: str | None) -> bool:
        if value is None:
            return self.absent
        return self.test(value)

    def any_of(self, values: Sequence[str]) -> bool:
        """Multi-valued fields (headers, query parameters) match if any value does (WireMock's best match)."""
        if not values:
            return self.absent
        test = self.test
        return any(test(v) for v in values)

    match_values = any_of

    def distance(self, value: str | None) -> float:
        if self(value):
            return 0.0
        if value is None or self._distance is None:
            return 1.0
        return self._distance(value)

    def values_distance(self, values: Sequence[str]) -> float:
        return min((self.distance(v) for v in values), default=self.distance(None))

    def explain(self, value: str) -> str | None:
        """Why a present ``value`` fails, when that is more than "it differs" (a schema error, an XML difference)."""
        return None if self._explain is None else self._explain(value)


def _string_operator(m: ValueMatcher, pattern: ValuePattern) -> None:
    op, expected = pattern.operator, pattern.value or ""
    # WireMock: an absent value does not contain (or match) anything
    m.absent = op in {"absent", "doesNotContain", "doesNotMatch"}
    suffix = " (case-insensitive)" if pattern.case_insensitive else ""
    m.description = "absent" if op == "absent" else f"{op} {pattern.value!r}{suffix}"
    if op == "equalTo":
        if pattern.case_insensitive:
            folded = expected.casefold()
            m.test = lambda v: v.casefold() == folded
        else:
            m.test = expected.__eq__
    elif op == "contains":
        m.test = lambda v: expected in v
    elif op == "doesNotContain":
        m.test = lambda v: expected not in v
    elif op in {"matches", "doesNotMatch"}:
        # WireMock's regexes must match the whole value (Java's Matcher.matches()).
        regex = re.compile(expected, re.IGNORECASE if pattern.case_insensitive else 0)
        if op == "matches":
            m.test = lambda v: regex.fullmatch(v) is not None
        else:
            m.test = lambda v: regex.fullmatch(v) is None
    else:  # absent
        m.test = lambda v: False
    if op in {"equalTo", "contains"}:
        m._distance = lambda v: max(0.1, string_distance(str(pattern.value), v))


def _anything(m: ValueMatcher, pattern: ValuePattern) -> None:
    m.absent = True
    m.test = lambda v: True
    m.description = "anything"


def _parsed_json(text: str) -> tuple[bool, JSON]:
    try:
        return True, json.loads(text)
    except ValueError:
        return False, None


def _on_json(json_test: Callable[[JSON], bool]) -> Callable[[str], bool]:
    def test(value: str) -> bool:
        ok, data = _parsed_json(value)
        return ok and json_test(data)

    return test


def _equal_to_json(m: ValueMatcher, pattern: ValuePattern) -> None:
    expected = json.loads(pattern.value) if isinstance(pattern.value, str) else pattern.value
    order, extra = pattern.ignore_array_order, pattern.ignore_extra_elements
    placeholders = json_unit.has_placeholders(expected)
    m.json_test = lambda actual: json_equal(expected, actual, order, extra, placeholders)
    m.test = _on_json(m.json_test)
    options = [name for name, on in (("ignoreArrayOrder", order), ("ignoreExtraElements", extra)) if on]
    compact = _compact(expected)
    m.description = f"equalToJson {compact}" + (f" ({', '.join(options)})" if options else "")
    m._distance = lambda v: max(0.1, string_distance(compact, _normalised_json(v)))


def _matches_json_path(m: ValueMatcher, pattern: ValuePattern) -> None:
    find = compile_json_path(pattern.value)
    sub = ValueMatcher(pattern.sub_pattern) if pattern.sub_pattern else None
    m.json_test = lambda data: _json_path_matches(find(data), sub)
    m.test = _on_json(m.json_test)
    m.description = f"matchesJsonPath {pattern.value!r}" + (f" {sub.description}" if sub else "")


def _matches_json_schema(m: ValueMatcher, pattern: ValuePattern) -> None:
    from .json_schema import compile_schema, parse_schema

    schema = compile_schema(pattern.value, pattern.schema_version)
    m.test = lambda v: not schema.errors(v)
    m._distance = schema.distance
    m._explain = lambda v: "; ".join(schema.errors(v)[:3]) or None
    m.description = f"matchesJsonSchema {_compact(parse_schema(pattern.value))} ({schema.version})"


def _equal_to_xml(m: ValueMatcher, pattern: ValuePattern) -> None:
    from .xml import XmlError, compile_xml_comparison, parse_xml

    comparison = compile_xml_comparison(pattern.value, pattern.xml or XmlOptions())

    def on_bytes_or_text(data: str | bytes) -> bool:
        try:
            return comparison.equal(parse_xml(data))
        except XmlError:
            return False

    def distance(value: str) -> float:
        try:
            return max(0.1, comparison.distance(parse_xml(value)))
        except XmlError:
            return 1.0

    def explain(value: str) -> str | None:
        try:
            differences = comparison.compare(parse_xml(value), limit=3)[1]
        except XmlError as exc:
            return str(exc)
        return "; ".join(differences) or None

    m.test = on_bytes_or_text
    m.bytes_test = on_bytes_or_text
    m._distance = distance
    m._explain = explain
    options = pattern.xml or XmlOptions()
    notes = [
        *(["enablePlaceholders"] if options.enable_placeholders else []),
        *(["ignoreOrderOfSameNode"] if options.ignore_order_of_same_node else []),
        *([f"exempting {', '.join(options.exempted_comparisons)}"] if options.exempted_comparisons else []),
    ]
    m.description = f"equalToXml {pattern.value}" + (f" ({'; '.join(notes)})" if notes else "")


def _matches_xpath(m: ValueMatcher, pattern: ValuePattern) -> None:
    from .xml import XmlError, compile_xpath, parse_xml

    query = compile_xpath(pattern.value, pattern.namespaces)
    sub = ValueMatcher(pattern.sub_pattern) if pattern.sub_pattern else None

    def selected(data: str | bytes) -> list[str] | None:
        try:
            return query.select(parse_xml(data))
        except XmlError:
            return None

    def on_bytes_or_text(data: str | bytes) -> bool:
        nodes = selected(data)
        if not nodes:  # WireMock: nothing selected is no match, whatever the sub-pattern
            return False
        return sub is None or any(sub(node) for node in nodes)

    def distance(value: str) -> float:
        nodes = selected(value)
        if not nodes or sub is None:
            return 1.0
        return min(sub.distance(node) for node in nodes)

    def explain(value: str) -> str | None:
        nodes = selected(value)
        if nodes is None:
            try:
                parse_xml(value)
            except XmlError as exc:
                return str(exc)
        if not nodes:
            return "the XPath selects nothing"
        shown = ", ".join(repr(node[:60]) for node in nodes[:3]) + (", ..." if len(nodes) > 3 else "")
        return f"the XPath selects {shown}"

    m.test = on_bytes_or_text
    m.bytes_test = on_bytes_or_text
    m._distance = distance
    m._explain = explain
    namespaces = f" with {dict(pattern.namespaces)}" if pattern.namespaces else ""
    m.description = f"matchesXPath {pattern.value!r}{namespaces}" + (f" {sub.description}" if sub else "")


def _logical(m: ValueMatcher, pattern: ValuePattern) -> None:
    operands = tuple(ValueMatcher(p) for p in pattern.operands)
    tests = tuple(o.test for o in operands)
    if pattern.operator == "and":
        m.absent = all(o.absent for o in operands)
        m.test = lambda v: all(t(v) for t in tests)
        m._distance = lambda v: sum(o.distance(v) for o in operands) / len(operands)
    elif pattern.operator == "or":
        m.absent = any(o.absent for o in operands)
        m.test = lambda v: any(t(v) for t in tests)
        m._distance = lambda v: min(o.distance(v) for o in operands)
    else:  # not
        (inner,) = operands
        m.absent = not inner.absent
        test = inner.test
        m.test = lambda v: not test(v)
    joined = ", ".join(o.description for o in operands)
    m.description = f"{pattern.operator}({joined})"


def _binary_equal_to(m: ValueMatcher, pattern: ValuePattern) -> None:
    expected = base64.b64decode(pattern.value)
    m.bytes_test = expected.__eq__
    m.test = lambda v: v.encode("utf-8") == expected
    m.description = f"binaryEqualTo {pattern.value} ({len(expected)} bytes)"


_COMPILERS: dict[str, Callable[[ValueMatcher, ValuePattern], None]] = {
    "equalTo": _string_operator,
    "contains": _string_operator,
    "doesNotContain": _string_operator,
    "matches": _string_operator,
    "doesNotMatch": _string_operator,
    "absent": _string_operator,
    "anything": _anything,
    "equalToJson": _equal_to_json,
    "matchesJsonPath": _matches_json_path,
    "matchesJsonSchema": _matches_json_schema,
    "equalToXml": _equal_to_xml,
    "matchesXPath": _matches_xpath,
    "and": _logical,
    "or": _logical,
    "not": _logical,
    "binaryEqualTo": _binary_equal_to,
}


class MultiValueMatcher:
    """A compiled :class:`MultiValuePattern` (``hasExactly`` / ``includes``) over all values of a field.

    As in WireMock, each pattern must match one of the values (not necessarily a different one), and for
    ``hasExactly`` the number of values must be the number of patterns.
    """

    __slots__ = ("description", "exactly", "matchers")

    def __init__(self, pattern: MultiValuePattern) -> None:
        self.matchers = tuple(ValueMatcher(p) for p in pattern.patterns)
        self.exactly = pattern.operator == "hasExactly"
        self.description = f"{pattern.operator} [{', '.join(m.description for m in self.matchers)}]"

    def match_values(self, values: Sequence[str]) -> bool:
        if not values or (self.exactly and len(values) != len(self.matchers)):
            return False
        return all(m.any_of(values) for m in self.matchers)

    def values_distance(self, values: Sequence[str]) -> float:
        if self.match_values(values):
            return 0.0
        if not values:
            return 1.0
        parts = [m.values_distance(values) for m in self.matchers]
        if self.exactly:
            parts.append(0.0 if len(values) == len(self.matchers) else 1.0)
        return max(0.1, sum(parts) / len(parts))


FieldMatcher = ValueMatcher | MultiValueMatcher


def compile_field(pattern: FieldPattern) -> FieldMatcher:
    """The matcher for a header, query or form parameter pattern (``.description`` says what it wants)."""
    return MultiValueMatcher(pattern) if isinstance(pattern, MultiValuePattern) else ValueMatcher(pattern)


# --- checks: one field of a request each -----------------------------------------------------------


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


class UrlCheck(Check):
    __slots__ = ("_names", "_regex", "_test", "url")
    weight = URL_WEIGHT

    def __init__(self, url: UrlMatch) -> None:
        self.url = url
        value = url.value or ""
        self._regex: re.Pattern[str] | None = None
        self._names: tuple[str, ...] = ()
        if url.kind == "url":
            self._test: Callable[[Request], bool] = lambda r: r.url == value
        elif url.kind == "urlPath":
            self._test = lambda r: r.path == value
        elif url.kind == "urlPattern":
            regex = re.compile(value)
            self._test = lambda r: regex.fullmatch(r.url) is not None
        elif url.kind == "urlPathPattern":
            regex = re.compile(value)
            self._test = lambda r: regex.fullmatch(r.path) is not None
        elif url.kind == "urlPathTemplate":
            self._regex = template_regex(value)
            self._names = template_variables(value)
            template = self._regex
            self._test = lambda r: template.fullmatch(r.path) is not None
        else:
            raise ValueError(f"unknown url kind {url.kind!r}")

    def test(self, request: Request) -> bool:
        return self._test(request)

    def predicate(self) -> Callable[[Request], bool]:
        return self._test

    def captures(self, request: Request) -> dict[str, str]:
        if self._regex is None:
            return {}
        found = self._regex.fullmatch(request.path)
        return {} if found is None else dict(zip(self._names, map(unquote, found.groups()), strict=True))

    def difference(self, request: Request) -> Difference | None:
        if self.test(request):
            return None
        actual = request.path if self.url.kind in {"urlPath", "urlPathPattern", "urlPathTemplate"} else request.url
        expected = self.url.value or ""
        is_regex = self.url.kind in {"urlPattern", "urlPathPattern"}
        distance = 1.0 if is_regex else max(0.1, string_distance(expected, actual))
        return Difference(self.url.kind, expected, actual, distance, URL_WEIGHT)

    def rough_distance(self, request: Request) -> float:
        # the share of the URL that matches as a prefix: no string distance, so 10,000 stubs stay cheap
        if self._test(request):
            return 0.0
        if self.url.kind in {"urlPattern", "urlPathPattern"}:
            return URL_WEIGHT
        expected = self.url.value or ""
        actual = request.url if self.url.kind == "url" else request.path
        common = 0
        for x, y in zip(expected, actual, strict=False):
            if x != y:
                break
            common += 1
        return URL_WEIGHT * max(0.1, 1.0 - common / max(len(expected), len(actual), 1))


_TEMPLATE_PART = re.compile(r"\{([^{}/]+)\}")


def template_regex(template: str) -> re.Pattern[str]:
    """``/users/{id}`` -> a regex with one group per variable (one path segment each), in order.

    Groups are numbered, not named: WireMock takes any variable name (``{user-id}``), Python's named
    groups only identifiers. :func:`template_variables` gives the names in the same order.
    """
    out, last = [], 0
    for found in _TEMPLATE_PART.finditer(template):
        out.append(re.escape(template[last : found.start()]))
        out.append("([^/]+)")
        last = found.end()
    out.append(re.escape(template[last:]))
    return re.compile("".join(out))


def template_variables(template: str) -> tuple[str, ...]:
    """The variable names of a path template, in order: ``/u/{org}/{id}`` -> ``("org", "id")``."""
    return tuple(found.group(1) for found in _TEMPLATE_PART.finditer(template))


class PathParameterCheck(Check):
    __slots__ = ("matcher", "name", "url")

    def __init__(self, url: UrlCheck, name: str, matcher: ValueMatcher) -> None:
        self.url, self.name, self.matcher = url, name, matcher

    def test(self, request: Request) -> bool:
        return self.matcher(self.url.captures(request).get(self.name))

    def difference(self, request: Request) -> Difference | None:
        value = self.url.captures(request).get(self.name)
        if self.matcher(value):
            return None
        return Difference(
            f"path parameter {self.name}", self.matcher.description, _shown(value), self.matcher.distance(value)
        )


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
        actual = _ABSENT if not values else values[0] if len(values) == 1 else repr(values)
        if len(values) == 1 and isinstance(self.matcher, ValueMatcher):
            actual = _with_reason(actual, self.matcher.explain(values[0]))
        return Difference(
            f"{self.label} {self.name}", self.matcher.description, actual, self.matcher.values_distance(values)
        )


def _header_values(request: Request, name: str) -> list[str]:
    return request.headers.get_all(name)


def _query_values(request: Request, name: str) -> list[str]:
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
            return Difference(f"cookie {self.name}", self.matcher.description, _ABSENT, 1.0)
        return super().difference(request)


# the last request's form fields, kept while the other stubs look at the same request (one slot, replaced
# whole: a reader sees either the old pair or the new one)
_last_form: list[tuple[Request | None, dict[str, list[str]]]] = [(None, {})]


def _form_values(request: Request, name: str) -> list[str]:
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
        shown = _ABSENT if actual is None else _describe_basic_auth(actual)
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
        return Difference("host", self.matcher.description, _shown(host), self.matcher.distance(host), self.weight)


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
        return Difference("port", str(self.port), _ABSENT if port is None else str(port), 1.0, self.weight)


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
        return Difference("client IP", self.matcher.description, _shown(ip), self.matcher.distance(ip), self.weight)


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
        return Difference("body", self.description, _with_reason(_truncate(actual), reason), distance)


def _with_json(request: Request, test: Callable[[JSON], bool]) -> bool:
    try:
        data = request.json()
    except ValueError:
        return False
    return test(data)


def _json_path_matches(found: list[Any], sub: ValueMatcher | None) -> bool:
    if sub is None:
        # WireMock: a path that selects nothing, null, or an empty list/object does not match.
        return any(v is not None and v not in ([], {}) for v in found)
    if not found:  # WireMock: only absent itself matches a path that selects nothing
        return sub.pattern.operator == "absent"
    if any(sub(_json_text(v)) for v in found):
        return True
    return len(found) > 1 and sub(_json_text(found))


def _json_text(value: JSON) -> str:
    return value if isinstance(value, str) else _compact(value)


def _compact(value: JSON) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _normalised_json(text: str) -> str:
    ok, data = _parsed_json(text)
    return _compact(data) if ok else text


def _normalised_json_text(request: Request) -> str:
    try:
        return _compact(request.json())
    except ValueError:
        return request.text


def _truncate(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} characters)"


def _with_reason(actual: str, reason: str | None) -> str:
    return actual if not reason else f"{actual} ({reason})"


def _shown(value: str | None) -> str:
    return _ABSENT if value is None else value


def json_equal(
    expected: JSON,
    actual: JSON,
    ignore_array_order: bool,
    ignore_extra_elements: bool,
    placeholders: bool = False,
) -> bool:
    """JSON equality as WireMock's ``equalToJson`` defines it (numbers by value, booleans not numbers).

    With ``placeholders``, JsonUnit's ``${json-unit...}`` strings in ``expected`` are wildcards (only
    expected documents that have some pay for looking for them).
    """
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return False
        missing_allowed = 0
        for key, value in expected.items():
            if key not in actual:
                if placeholders and value == json_unit.OPTIONAL:
                    missing_allowed += 1
                    continue
                return False
            if not json_equal(value, actual[key], ignore_array_order, ignore_extra_elements, placeholders):
                return False
        return ignore_extra_elements or len(expected) - missing_allowed == len(actual)
    if isinstance(expected, list):
        # ignoreExtraElements also allows extra array items (WireMock sets JsonUnit's IGNORING_EXTRA_ARRAY_ITEMS)
        if not isinstance(actual, list) or len(actual) < len(expected):
            return False
        if not ignore_extra_elements and len(actual) != len(expected):
            return False
        if not ignore_array_order:
            return all(
                json_equal(e, a, ignore_array_order, ignore_extra_elements, placeholders)
                for e, a in zip(expected, actual, strict=False)
            )
        remaining = list(actual)
        for item in expected:
            for i, candidate in enumerate(remaining):
                if json_equal(item, candidate, ignore_array_order, ignore_extra_elements, placeholders):
                    del remaining[i]
                    break
            else:
                return False
        return True
    if placeholders and isinstance(expected, str) and expected.startswith(json_unit.PREFIX):
        return json_unit.placeholder_test(expected)(actual)
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual) and expected == actual
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        return expected == actual
    return type(expected) is type(actual) and bool(expected == actual)


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


# --- whole patterns ---------------------------------------------------------------------------------


class CompiledPattern:
    """A :class:`RequestPattern` ready to match: checks ordered cheapest first, the custom matcher last."""

    __slots__ = ("_checks", "_tests", "_url", "pattern", "weight")

    def __init__(self, pattern: RequestPattern) -> None:
        self.pattern = pattern
        checks: list[Check] = []
        if pattern.method != "ANY":
            checks.append(MethodCheck(pattern.method))
        self._url: UrlCheck | None = None
        if pattern.url.kind != "anyUrl":
            self._url = UrlCheck(pattern.url)
            checks.append(self._url)
            for name, value_pattern in pattern.path_parameters.items():
                checks.append(PathParameterCheck(self._url, name, ValueMatcher(value_pattern)))
        if pattern.scheme is not None:
            checks.append(SchemeCheck(pattern.scheme))
        if pattern.host is not None:
            checks.append(HostCheck(ValueMatcher(pattern.host)))
        if pattern.port is not None:
            checks.append(PortCheck(pattern.port))
        if pattern.client_ip is not None:
            checks.append(ClientIpCheck(ValueMatcher(pattern.client_ip)))
        fields: tuple[tuple[str, Mapping[str, FieldPattern], Callable[[Request, str], list[str]]], ...] = (
            ("query parameter", pattern.query_parameters, _query_values),
            ("header", pattern.headers, _header_values),
            ("form parameter", pattern.form_parameters, _form_values),
        )
        for label, patterns, getter in fields:
            for name, field_pattern in patterns.items():
                checks.append(MultiValueCheck(label, name, compile_field(field_pattern), getter))
        for name, value_pattern in pattern.cookies.items():
            checks.append(CookieCheck(name, ValueMatcher(value_pattern)))
        if pattern.basic_auth:
            checks.append(BasicAuthCheck(*pattern.basic_auth))
        checks.extend(BodyCheck(body) for body in pattern.body_patterns)
        checks.extend(MultipartCheck(part, i) for i, part in enumerate(pattern.multipart_patterns))
        if pattern.custom_matcher is not None:
            checks.append(CustomMatcherCheck(pattern.custom_matcher))
        self._checks = tuple(checks)
        self._tests = tuple(check.predicate() for check in checks)
        self.weight = max(1.0, sum(check.weight for check in checks))

    def match(self, request: Request) -> MatchResult:
        for test in self._tests:
            if not test(request):
                return MatchResult(False, self, request)
        url = self._url
        if url is not None and url._regex is not None:
            return MatchResult(True, self, request, url.captures(request))
        return _MATCHED

    def differences(self, request: Request) -> list[Difference]:
        checks = self._checks
        custom = checks[-1] if checks and isinstance(checks[-1], CustomMatcherCheck) else None
        if custom is not None:
            checks = checks[:-1]
        found = [d for d in (check.difference(request) for check in checks) if d is not None]
        if custom is not None and not found:  # as WireMock: asked only when everything else matched
            difference = custom.difference(request)
            if difference is not None:
                found.append(difference)
        return found

    def rough_distance(self, request: Request) -> float:
        """An estimate of ``match(request).distance`` that is cheap enough to run on every stub.

        Every field counts, not just method and URL: among many stubs on one URL (GraphQL, JSON-RPC)
        the one that differs in a single header must not lose its place to newer ones for that URL.
        """
        checks = self._checks
        if checks and isinstance(checks[-1], CustomMatcherCheck):
            # as in matching, the custom matcher is asked only when everything else matched
            rough = sum(check.rough_distance(request) for check in checks[:-1])
            return (rough or checks[-1].rough_distance(request)) / self.weight
        return sum(check.rough_distance(request) for check in checks) / self.weight


_MATCHED = MatchResult(True, CompiledPattern(RequestPattern()), Request("GET", "/"))
"""The result of every match without captures: nothing in it depends on the request."""


def compile_pattern(pattern: RequestPattern) -> CompiledPattern:
    return CompiledPattern(pattern)
