"""URL checks: the five ways a stub names its URL (``url``, ``urlPath``, ``urlPattern``, ``urlPathPattern``,
``urlPathTemplate``), path templates with the variables they capture, and checks on those variables.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import unquote

from mockpit._model import Request, UrlMatch

from .checks import Check, shown
from .result import URL_WEIGHT, Difference, string_distance
from .user_regex import UserRegex
from .values import ValueMatcher


class UrlCheck(Check):
    __slots__ = ("_names", "_regex", "_test", "_user_regex", "url")
    weight = URL_WEIGHT

    def __init__(self, url: UrlMatch) -> None:
        self.url = url
        value = url.value or ""
        self._regex: re.Pattern[str] | None = None
        self._user_regex: UserRegex | None = None
        self._names: tuple[str, ...] = ()
        if url.kind == "url":
            self._test: Callable[[Request], bool] = lambda r: r.url == value
        elif url.kind == "urlPath":
            self._test = lambda r: r.path == value
        elif url.kind == "urlPattern":
            regex = self._user_regex = UserRegex(value)
            self._test = lambda r: regex.fullmatch(r.url) is not None
        elif url.kind == "urlPathPattern":
            regex = self._user_regex = UserRegex(value)
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
        note = self._user_regex.explain(actual) if self._user_regex is not None else None
        if note is not None:
            actual = f"{actual} ({note})"
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
            f"path parameter {self.name}", self.matcher.description, shown(value), self.matcher.distance(value)
        )
