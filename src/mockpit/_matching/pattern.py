"""Request patterns compiled into fast checks that return a :class:`MatchResult`.

A pattern is compiled once, when its stub is added: regexes, JSONPath and XPath expressions, JSON
schemas and expected XML documents are all prepared then. ``match()`` is the hot path: it stops at the
first failing check and allocates nothing but its own result (``match_captures()``, which finds
stubs, not even that); a stub pays only for the fields it uses. The
differences a near-miss report prints (field, expected, actual, distance) are worked out only when someone
asks for them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from mockpit._model import FieldPattern, Request, RequestPattern

from .checks import (
    BasicAuthCheck,
    BodyCheck,
    Check,
    ClientIpCheck,
    CookieCheck,
    CustomMatcherCheck,
    GetOrHeadCheck,
    HostCheck,
    MethodCheck,
    MultipartCheck,
    MultiValueCheck,
    PortCheck,
    SchemeCheck,
    form_values,
    header_values,
    query_values,
)
from .result import Difference, MatchResult
from .url import PathParameterCheck, UrlCheck
from .values import ValueMatcher, compile_field


class CompiledPattern:
    """A :class:`RequestPattern` ready to match: checks ordered cheapest first, the custom matcher last."""

    __slots__ = ("_checks", "_tests", "_url", "pattern", "weight")

    def __init__(self, pattern: RequestPattern) -> None:
        self.pattern = pattern
        checks: list[Check] = []
        if pattern.method == "GET_OR_HEAD":
            checks.append(GetOrHeadCheck(pattern.method))
        elif pattern.method != "ANY":
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
            ("query parameter", pattern.query_parameters, query_values),
            ("header", pattern.headers, header_values),
            ("form parameter", pattern.form_parameters, form_values),
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
        if pattern.graphql is not None:
            from .graphql import graphql_checks  # graphql-core is an extra; only GraphQL stubs load it

            checks.extend(graphql_checks(pattern.graphql))
        if pattern.custom_matcher is not None:
            checks.append(CustomMatcherCheck(pattern.custom_matcher))
        self._checks = tuple(checks)
        self._tests = tuple(check.predicate() for check in checks)
        self.weight = max(1.0, sum(check.weight for check in checks))

    def match(self, request: Request) -> MatchResult:
        """Whether ``request`` matches, what it captured, and (asked for later) what differed."""
        captures = self.match_captures(request)
        if captures is None:
            return MatchResult(False, self, request)
        return MatchResult(True, self, request, captures)

    def match_captures(self, request: Request) -> dict[str, str] | None:
        """The hot path: what a matching request's path template captured (``{}`` without a template), or
        ``None`` if it does not match. Finding a stub needs no more, so it makes no result object."""
        for test in self._tests:
            if not test(request):
                return None
        url = self._url
        if url is not None and url._regex is not None:
            return url.captures(request)
        return {}

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


def compile_pattern(pattern: RequestPattern) -> CompiledPattern:
    return CompiledPattern(pattern)
