"""Near misses: which stubs came closest to a request that matched none, and what differed.

The search is here; ``report.py`` prints its result as the side-by-side report, and the admin API
writes it in WireMock's JSON (``_admin/shapes.py``).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from mockpit._model import Request, RequestPattern, Stub

from .pattern import CompiledPattern, compile_pattern
from .result import Difference

#: how many stubs (or requests) are fully compared after the cheap first pass
_SHORTLIST = 25


@dataclass(frozen=True, slots=True)
class NearMiss:
    """How far ``request`` was from a stub (or, for journal searches, from ``pattern``) and what differed.

    ``distance`` runs from 0 (it matched) to 1 (nothing alike); ``differences`` lists each field that
    differed, including ``scenario state`` when the stub's scenario was in another state.
    """

    request: Request
    stub: Stub | None
    distance: float
    differences: tuple[Difference, ...]
    #: the pattern the request was compared with, when it is not a stub's (near misses for a pattern)
    pattern: RequestPattern | None = None

    @property
    def request_pattern(self) -> RequestPattern:
        """What the request was compared with: the stub's pattern, or the pattern searched for."""
        if self.stub is not None:
            return self.stub.request
        assert self.pattern is not None, "a near miss has a stub or a pattern"
        return self.pattern


def near_misses(
    request: Request,
    stubs: Iterable[tuple[Stub, CompiledPattern]],
    limit: int = 3,
    state_difference: Callable[[Stub], Difference | None] | None = None,
) -> list[NearMiss]:
    """The ``limit`` stubs closest to ``request``, closest first (as WireMock, a stub that matches is 0 away).

    ``state_difference`` (the engine's scenarios) says what else made a stub in a scenario miss: its
    scenario not in the state it requires counts as one more differing field, ``scenario state``.
    """
    # A cheap first pass keeps a miss among 10,000 stubs cheap; the shortlist gets the full comparison.
    shortlist = heapq.nsmallest(_SHORTLIST, stubs, key=lambda item: item[1].rough_distance(request))
    found = []
    for stub, pattern in shortlist:
        result = pattern.match(request)
        differences = result.differences
        distance = result.distance
        state = state_difference(stub) if state_difference is not None and stub.scenario_name else None
        if state is not None:
            differences = [*differences, state]
            distance = (distance * pattern.weight + state.distance) / (pattern.weight + 1)
        found.append(NearMiss(request, stub, distance, tuple(differences)))
    found.sort(key=lambda miss: miss.distance)
    return found[:limit]


def near_misses_for_pattern(pattern: RequestPattern, requests: Iterable[Request], limit: int = 3) -> list[NearMiss]:
    """The ``limit`` requests closest to ``pattern``, closest first (those that match it are 0 away)."""
    compiled = compile_pattern(pattern)
    shortlist = heapq.nsmallest(_SHORTLIST, requests, key=compiled.rough_distance)
    found = []
    for request in shortlist:
        result = compiled.match(request)
        found.append(NearMiss(request, None, result.distance, tuple(result.differences), pattern))
    found.sort(key=lambda miss: miss.distance)
    return found[:limit]
