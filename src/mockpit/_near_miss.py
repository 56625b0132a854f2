"""Near misses: which stubs came closest to a request that matched none, and what differed."""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass

from ._matching import CompiledPattern, Difference
from ._model import Request, Stub

#: how many stubs are fully compared after the cheap first pass
_SHORTLIST = 25


@dataclass(frozen=True, slots=True)
class NearMiss:
    """A stub that did not match ``request``, how far off it was (0-1) and the fields that differed."""

    request: Request
    stub: Stub
    distance: float
    differences: tuple[Difference, ...]


def near_misses(request: Request, stubs: Iterable[tuple[Stub, CompiledPattern]], limit: int = 3) -> list[NearMiss]:
    """The ``limit`` stubs closest to ``request``, closest first."""
    # A cheap first pass keeps a miss among 10,000 stubs cheap; the shortlist gets the full comparison.
    shortlist = heapq.nsmallest(_SHORTLIST, stubs, key=lambda item: item[1].rough_distance(request))
    found = []
    for stub, pattern in shortlist:
        result = pattern.match(request)
        if result.matched:
            continue
        found.append(NearMiss(request, stub, result.distance, tuple(result.differences)))
    found.sort(key=lambda miss: miss.distance)
    return found[:limit]


def format_report(request: Request, misses: list[NearMiss]) -> str:
    """The plain-text report mockpit answers an unmatched request with (and prints, and fails tests with)."""
    lines = ["mockpit: no stub matched this request", "", f"  {request.method} {request.url}"]
    if request.content_type:
        lines.append(f"  Content-Type: {request.headers.get('content-type')}")
    if request.body:
        body = request.text
        lines.append(f"  body: {body if len(body) <= 200 else body[:200] + '...'}")
    lines.append("")
    if not misses:
        lines.append("There are no stubs at all: add one (MockServer.add_mapping, .when(...), or mappings/*.json).")
        return "\n".join(lines) + "\n"
    lines.append("Closest stubs:")
    for rank, miss in enumerate(misses, 1):
        lines.append(f"{rank}. {miss.stub.describe()}  distance {miss.distance:.2f}")
        width = max(len(d.field) for d in miss.differences) if miss.differences else 0
        for diff in miss.differences:
            lines.append(f"     {diff.field:<{width}}  expected: {diff.expected}")
            lines.append(f"     {'':<{width}}  actual:   {diff.actual}")
    return "\n".join(lines) + "\n"
