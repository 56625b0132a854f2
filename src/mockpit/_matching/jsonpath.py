"""JSONPath for ``matchesJsonPath``, through python-jsonpath (imported on first use: it costs ~40 ms).

WireMock evaluates JSONPath with Jayway, whose dialect differs from RFC 9535 (python-jsonpath's) in
ways that WireMock's own documentation relies on; this module bridges them:

- a filter applied to an object tests the object itself (``$[?(@.total > 5)]`` on ``{"total": 7}``
  selects the root), where RFC 9535 tests each of its member values;
- ``@.things.size()`` / ``@.things.length()`` in a filter is the length of ``@.things``, and a path
  ending in ``.length()`` / ``.size()`` selects the length of what the rest selects;
- a document that is a JSON string is a string, not JSON text to parse again.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from mockpit._types import JSON

#: ``@.a.b.size()`` / ``@['a'].length()`` inside a filter -> ``length(@.a.b)``
_SIZE_IN_FILTER = re.compile(r"(@(?:\.[A-Za-z_][\w-]*|\[[^\[\]()]*\])*)\.(?:size|length)\(\)")
#: ``$.things.length()`` at the end of a whole path
_SIZE_AT_END = re.compile(r"\.(?:size|length)\(\)\s*$")


class _Boxed:
    """A string document, wrapped so that python-jsonpath does not parse it as JSON text."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value


@functools.lru_cache(maxsize=4096)
def compile_json_path(expression: str) -> Callable[[JSON], list[Any]]:
    """Compile ``expression`` (Jayway-style, as WireMock's: ``$.items[?(@.id == 3)]``).

    The result maps a parsed JSON document to the list of values the path selects (``[]`` for none,
    also when evaluating fails). Raises :class:`ValueError` with the parser's pointer at the bad character.
    """
    import jsonpath

    rewritten = _SIZE_IN_FILTER.sub(r"length(\1)", expression)
    size_at_end = _SIZE_AT_END.search(rewritten) is not None
    if size_at_end:
        rewritten = _SIZE_AT_END.sub("", rewritten)
    try:
        path = _environment().compile(rewritten)
    except jsonpath.JSONPathError as exc:
        raise ValueError(f"invalid JSONPath {expression!r}: {str(exc).splitlines()[0]}") from None

    def find(data: JSON) -> list[Any]:
        document = _Boxed(data) if isinstance(data, str) else data
        try:
            found = path.findall(document)
        except jsonpath.JSONPathError:
            return []
        values = [v.value if isinstance(v, _Boxed) else v for v in found]
        if size_at_end:
            return [len(v) for v in values if isinstance(v, (list, dict, str))]
        return values

    return find


@functools.cache
def _environment() -> Any:
    """A python-jsonpath environment whose filters follow Jayway on objects (built on first use)."""
    from jsonpath import JSONPathEnvironment
    from jsonpath.match import JSONPathMatch
    from jsonpath.parse import Parser
    from jsonpath.selectors import Filter, FilterContext, KeysFilter
    from jsonpath.stream import TokenStream

    class JaywayFilter(Filter):
        def resolve(self, node: JSONPathMatch) -> Iterable[JSONPathMatch]:
            if not isinstance(node.obj, Mapping):
                yield from super().resolve(node)
                return
            context = FilterContext(env=self.env, current=node.obj, root=node.root, extra_context=node.filter_context())
            if self.expression.evaluate(context):
                yield node

    class JaywayParser(Parser):
        def parse_filter_selector(self, stream: TokenStream, *, keys: bool = False) -> Filter | KeysFilter:
            selector = super().parse_filter_selector(stream, keys=keys)
            if type(selector) is Filter:
                return JaywayFilter(env=self.env, token=selector.token, expression=selector.expression)
            return selector

    class JaywayEnvironment(JSONPathEnvironment):
        parser_class = JaywayParser

    return JaywayEnvironment()
