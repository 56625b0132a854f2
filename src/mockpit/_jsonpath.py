"""JSONPath for ``matchesJsonPath``, through python-jsonpath (imported on first use: it costs ~40 ms)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from ._types import JSON


@functools.lru_cache(maxsize=4096)
def compile_json_path(expression: str) -> Callable[[JSON], list[Any]]:
    """Compile ``expression`` (Jayway-style, as WireMock's: ``$.items[?(@.id == 3)]``).

    Raises :class:`ValueError` with the parser's pointer at the bad character.
    """
    import jsonpath

    try:
        path = jsonpath.compile(expression)
    except jsonpath.JSONPathError as exc:
        raise ValueError(f"invalid JSONPath {expression!r}: {str(exc).splitlines()[0]}") from None
    return path.findall  # type: ignore[no-any-return,unused-ignore]
