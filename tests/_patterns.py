"""Matcher truth tables without a socket: a WireMock request pattern compiled and asked directly.

The tables run whole against the compiled pattern (what the server asks for every request), and a
sample of each runs over the wire too, so the path from socket to matcher stays covered.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from mockpit import Request
from mockpit._mapping.read import pattern_from_mapping
from mockpit._matching.pattern import compile_pattern

T = TypeVar("T")


def matches(pattern: Mapping[str, Any], sent: Request) -> bool:
    """Whether the request pattern ``pattern`` (the ``request`` of a WireMock stub) matches ``sent``."""
    return compile_pattern(pattern_from_mapping(dict(pattern))).match(sent).matched


def sample(cases: Sequence[T], every: int = 4) -> list[T]:
    """The rows of a truth table that also run over HTTP: every ``every``-th one, and the last."""
    rows = list(cases[::every])
    if cases and cases[-1] is not rows[-1]:
        rows.append(cases[-1])
    return rows
