"""What matching a request against a pattern found: a result, never a bare bool.

:class:`MatchResult` says whether the request matched and what a path template captured; on a miss its
differences (field, expected, actual, distance: :class:`Difference`) are worked out only when someone asks, from the
pattern that made it. The weights say how much a field counts in a near miss's distance.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Protocol

from mockpit._model import Request

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


class Explains(Protocol):
    """What a result asks its pattern on a miss (a compiled pattern is one)."""

    @property
    def weight(self) -> float: ...

    def differences(self, request: Request) -> list[Difference]: ...


class MatchResult:
    """What matching a request against a pattern found.

    ``matched`` says whether it matched; ``captures`` holds ``urlPathTemplate`` values (``{"id": "7"}``);
    on a miss, ``differences`` lists each field that differed and ``distance`` sums them up (0 to 1).
    """

    __slots__ = ("_differences", "_pattern", "captures", "matched", "request")

    def __init__(
        self,
        matched: bool,
        pattern: Explains,
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
