"""Request patterns compiled into fast checks that return a :class:`MatchResult`.

A pattern is compiled once, when its stub is added. ``match()`` is the hot path: it stops at the first
failing check and allocates nothing but the result. The differences a near-miss report prints (field,
expected, actual, distance) are worked out only when someone asks for them.
"""

from __future__ import annotations

import base64
import difflib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from ._jsonpath import compile_json_path
from ._model import BodyPattern, Request, RequestPattern, UrlMatch, ValuePattern
from ._types import JSON

_ABSENT = "(absent)"
#: the URL's and the method's share of a near miss's distance (WireMock's weights: 10 and 3, other fields 1):
#: a stub for another URL or method is rarely the one meant
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
    """A compiled :class:`ValuePattern`: call it with a value (``None`` for absent)."""

    __slots__ = ("absent", "description", "pattern", "test")

    def __init__(self, pattern: ValuePattern) -> None:
        self.pattern = pattern
        self.absent = pattern.operator == "absent"
        self.test: Callable[[str], bool] = _compile_value_test(pattern)
        suffix = " (case-insensitive)" if pattern.case_insensitive else ""
        self.description = "absent" if self.absent else f"{pattern.operator} {pattern.value!r}{suffix}"

    def __call__(self, value: str | None) -> bool:
        if value is None:
            return self.absent
        return not self.absent and self.test(value)

    def any_of(self, values: Sequence[str]) -> bool:
        """Multi-valued fields (headers, query parameters) match if any value does."""
        if self.absent:
            return not values
        test = self.test
        return any(test(v) for v in values)

    def distance(self, value: str | None) -> float:
        if self(value):
            return 0.0
        if self.pattern.operator in {"equalTo", "contains"} and value is not None:
            return max(0.1, string_distance(str(self.pattern.value), value))
        return 1.0


def _compile_value_test(pattern: ValuePattern) -> Callable[[str], bool]:
    op, expected = pattern.operator, pattern.value or ""
    if op == "equalTo":
        if pattern.case_insensitive:
            folded = expected.casefold()
            return lambda v: v.casefold() == folded
        return expected.__eq__
    if op == "contains":
        return lambda v: expected in v
    if op == "doesNotContain":
        return lambda v: expected not in v
    if op in {"matches", "doesNotMatch"}:
        # WireMock's regexes must match the whole value (Java's Matcher.matches()).
        regex = re.compile(expected, re.IGNORECASE if pattern.case_insensitive else 0)
        if op == "matches":
            return lambda v: regex.fullmatch(v) is not None
        return lambda v: regex.fullmatch(v) is None
    if op == "absent":
        return lambda v: False
    raise ValueError(f"unknown string operator {op!r}")


# --- checks: one field of a request each -----------------------------------------------------------


class Check:
    """One test on a request. ``test`` is the fast path; ``difference`` explains a failure."""

    __slots__ = ()

    def test(self, request: Request) -> bool:
        raise NotImplementedError

    def predicate(self) -> Callable[[Request], bool]:
        """The cheapest callable doing :meth:`test` (the hot path calls it without a method hop)."""
        return self.test

    def rough_distance(self, request: Request) -> float:
        """A cheap stand-in for the weighted distance of :meth:`difference`: a failing field counts fully."""
        return 0.0 if self.test(request) else 1.0

    def difference(self, request: Request) -> Difference | None:
        raise NotImplementedError


class MethodCheck(Check):
    __slots__ = ("method",)

    def __init__(self, method: str) -> None:
        self.method = method

    def test(self, request: Request) -> bool:
        return request.method == self.method

    def difference(self, request: Request) -> Difference | None:
        if self.test(request):
            return None
        return Difference("method", self.method, request.method, 1.0, METHOD_WEIGHT)

    def rough_distance(self, request: Request) -> float:
        return 0.0 if self.test(request) else METHOD_WEIGHT


class UrlCheck(Check):
    __slots__ = ("_names", "_regex", "_test", "url")

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
    """A header, query parameter or cookie: matches if any of its values does."""

    __slots__ = ("getter", "label", "matcher", "name")

    def __init__(
        self, label: str, name: str, matcher: ValueMatcher, getter: Callable[[Request, str], list[str]]
    ) -> None:
        self.label, self.name, self.matcher, self.getter = label, name, matcher, getter

    def test(self, request: Request) -> bool:
        return self.matcher.any_of(self.getter(request, self.name))

    def difference(self, request: Request) -> Difference | None:
        values = self.getter(request, self.name)
        if self.matcher.any_of(values):
            return None
        distance = min((self.matcher.distance(v) for v in values), default=self.matcher.distance(None))
        actual = _ABSENT if not values else values[0] if len(values) == 1 else repr(values)
        return Difference(f"{self.label} {self.name}", self.matcher.description, actual, distance)


def _header_values(request: Request, name: str) -> list[str]:
    return request.headers.get_all(name)


def _query_values(request: Request, name: str) -> list[str]:
    return request.query.get(name, [])


def _cookie_values(request: Request, name: str) -> list[str]:
    value = request.cookies.get(name)
    return [] if value is None else [value]


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


class BodyCheck(Check):
    __slots__ = ("_test", "description", "pattern")

    def __init__(self, pattern: BodyPattern) -> None:
        self.pattern = pattern
        self._test: Callable[[Request], bool]
        op = pattern.operator
        if op == "equalToJson":
            expected = pattern.value
            order, extra = pattern.ignore_array_order, pattern.ignore_extra_elements
            self._test = lambda r: _with_json(r, lambda actual: json_equal(expected, actual, order, extra))
            options = [name for name, on in (("ignoreArrayOrder", order), ("ignoreExtraElements", extra)) if on]
            self.description = f"equalToJson {_compact(expected)}" + (f" ({', '.join(options)})" if options else "")
        elif op == "matchesJsonPath":
            find = compile_json_path(pattern.value)
            sub = ValueMatcher(pattern.sub_pattern) if pattern.sub_pattern else None
            self._test = lambda r: _with_json(r, lambda data: _json_path_matches(find(data), sub))
            self.description = f"matchesJsonPath {pattern.value!r}" + (f" {sub.description}" if sub else "")
        else:
            matcher = ValueMatcher(ValuePattern(op, pattern.value, pattern.case_insensitive))
            self._test = lambda r: matcher(r.text)
            self.description = matcher.description

    def test(self, request: Request) -> bool:
        return self._test(request)

    def predicate(self) -> Callable[[Request], bool]:
        return self._test

    def difference(self, request: Request) -> Difference | None:
        if self.test(request):
            return None
        actual = request.text or "(empty)"
        if self.pattern.operator in {"equalTo", "equalToJson"}:
            expected = self.pattern.value if self.pattern.operator == "equalTo" else _compact(self.pattern.value)
            distance = max(0.1, string_distance(str(expected), _normalised_json_text(request)))
        else:
            distance = 1.0
        return Difference("body", self.description, _truncate(actual), distance)


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
    if not found:
        return sub.absent
    if any(sub(_json_text(v)) for v in found):
        return True
    return len(found) > 1 and sub(_json_text(found))


def _json_text(value: JSON) -> str:
    return value if isinstance(value, str) else _compact(value)


def _compact(value: JSON) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _normalised_json_text(request: Request) -> str:
    try:
        return _compact(request.json())
    except ValueError:
        return request.text


def _truncate(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} characters)"


def _shown(value: str | None) -> str:
    return _ABSENT if value is None else value


def json_equal(expected: JSON, actual: JSON, ignore_array_order: bool, ignore_extra_elements: bool) -> bool:
    """JSON equality as WireMock's ``equalToJson`` defines it (numbers by value, booleans not numbers)."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return False
        if not ignore_extra_elements and len(expected) != len(actual):
            return False
        return all(
            key in actual and json_equal(value, actual[key], ignore_array_order, ignore_extra_elements)
            for key, value in expected.items()
        )
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(expected) != len(actual):
            return False
        if not ignore_array_order:
            return all(
                json_equal(e, a, ignore_array_order, ignore_extra_elements)
                for e, a in zip(expected, actual, strict=True)
            )
        remaining = list(actual)
        for item in expected:
            for i, candidate in enumerate(remaining):
                if json_equal(item, candidate, ignore_array_order, ignore_extra_elements):
                    del remaining[i]
                    break
            else:
                return False
        return True
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual) and expected == actual
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        return expected == actual
    return type(expected) is type(actual) and bool(expected == actual)


# --- whole patterns ---------------------------------------------------------------------------------


class CompiledPattern:
    """A :class:`RequestPattern` ready to match: checks ordered cheapest first."""

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
        for label, patterns, getter in (
            ("query parameter", pattern.query_parameters, _query_values),
            ("header", pattern.headers, _header_values),
            ("cookie", pattern.cookies, _cookie_values),
        ):
            for name, value_pattern in patterns.items():
                checks.append(MultiValueCheck(label, name, ValueMatcher(value_pattern), getter))
        if pattern.basic_auth:
            checks.append(BasicAuthCheck(*pattern.basic_auth))
        checks.extend(BodyCheck(body) for body in pattern.body_patterns)
        self._checks = tuple(checks)
        self._tests = tuple(check.predicate() for check in checks)
        extra = (URL_WEIGHT - 1 if self._url is not None else 0.0) + (
            METHOD_WEIGHT - 1 if pattern.method != "ANY" else 0.0
        )
        self.weight = max(1.0, len(checks) + extra)

    def match(self, request: Request) -> MatchResult:
        for test in self._tests:
            if not test(request):
                return MatchResult(False, self, request)
        url = self._url
        if url is not None and url._regex is not None:
            return MatchResult(True, self, request, url.captures(request))
        return _MATCHED

    def differences(self, request: Request) -> list[Difference]:
        return [d for d in (check.difference(request) for check in self._checks) if d is not None]

    def rough_distance(self, request: Request) -> float:
        """An estimate of ``match(request).distance`` that is cheap enough to run on every stub.

        Every field counts, not just method and URL: among many stubs on one URL (GraphQL, JSON-RPC)
        the one that differs in a single header must not lose its place to newer ones for that URL.
        """
        return sum(check.rough_distance(request) for check in self._checks) / self.weight


_MATCHED = MatchResult(True, CompiledPattern(RequestPattern()), Request("GET", "/"))
"""The result of every match without captures: nothing in it depends on the request."""


def compile_pattern(pattern: RequestPattern) -> CompiledPattern:
    return CompiledPattern(pattern)
