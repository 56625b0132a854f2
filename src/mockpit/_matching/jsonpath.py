"""JSONPath as WireMock evaluates it (Jayway's dialect), for ``matchesJsonPath`` and the templates' ``jsonPath``.

Plain paths (``$.a.b[0]``, ``$['a b']``), the common case, are walked directly: well under a microsecond.
The rest go through python-jsonpath (imported on first use: it costs ~40 ms). The walk gives exactly what
python-jsonpath gives for every path it takes (``tests/test_matchers_jsonpath.py`` compares them).

WireMock evaluates JSONPath with Jayway, whose dialect differs from RFC 9535 (python-jsonpath's) in
ways that WireMock's own documentation relies on; this module bridges them:

- a filter applied to an object tests the object itself (``$[?(@.total > 5)]`` on ``{"total": 7}``
  selects the root), where RFC 9535 tests each of its member values;
- ``@.things.size()`` / ``@.things.length()`` in a filter is the length of ``@.things``, and a path
  ending in ``.length()`` / ``.size()`` selects the length of what the rest selects;
- a document that is a JSON string is a string, not JSON text to parse again;
- a name after a dot may hold ``$`` (``$.$id``, ``$._id.$oid``);
- an index selects from an array only: python-jsonpath also reads ``$[0]`` as the key ``"0"`` of an object.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from mockpit._types import JSON

from .user_regex import cached

#: ``@.a.b.size()`` / ``@['a'].length()`` inside a filter -> ``length(@.a.b)``
_SIZE_IN_FILTER = re.compile(r"(@(?:\.[A-Za-z_][\w-]*|\[[^\[\]()]*\])*)\.(?:size|length)\(\)")
#: ``$.things.length()`` at the end of a whole path
_SIZE_AT_END = re.compile(r"\.(?:size|length)\(\)\s*$")

# What the walk takes is exactly what python-jsonpath reads the same way: names in its (and Jayway's)
# characters, indexes without a leading zero and below its 2**53 limit, quoted names without escapes
# (python-jsonpath decodes those as JSON, which also refuses control characters).
#: outside ASCII, inside the Basic Multilingual Plane (written negated: a class of that range is slow to compile)
_BMP = r"[^\x00-\x7f\U00010000-\U0010ffff]"
_NAME = rf"(?:[A-Za-z_$]|{_BMP})(?:[A-Za-z0-9_$-]|{_BMP})*"
_INDEX = r"0|[1-9][0-9]{0,14}"
_STEP = re.compile(
    rf"\.({_NAME})|\[({_INDEX})\]|\['([^'\\\]\x00-\x1f]*)'\]|\[\"([^\"\\\]\x00-\x1f]*)\"\]",
)
_PLAIN_PATH = re.compile(rf"\$(?:\.{_NAME}|\[(?:{_INDEX})\]|\['[^'\\\]\x00-\x1f]*'\]|\[\"[^\"\\\]\x00-\x1f]*\"\])*")
#: what makes a path select a list rather than one value (Jayway: not "definite")
_INDEFINITE = re.compile(r"\.\.|\*|\?\(|\[[^\]]*[,:][^\]]*\]")


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
    steps = _plain_steps(expression)
    if steps is not None:
        return _walker(steps)
    return _compile_jayway(expression)


def is_definite(expression: str) -> bool:
    """Whether ``expression`` selects at most one value (Jayway's "definite" path): no deep scan,
    wildcard, filter, list of indexes or names, or slice."""
    return _plain_steps(expression) is not None or _INDEFINITE.search(expression) is None


def _plain_steps(expression: str) -> list[str | int] | None:
    """The names and indexes of a plain path, or None if the path is not one."""
    if _PLAIN_PATH.fullmatch(expression) is None:
        return None
    steps: list[str | int] = []
    for m in _STEP.finditer(expression, 1):
        name, index, quoted, double_quoted = m.groups()
        steps.append(int(index) if index is not None else (name or quoted or double_quoted or ""))
    return steps


def _walker(steps: list[str | int]) -> Callable[[JSON], list[Any]]:
    def walk(document: JSON) -> list[Any]:
        value: Any = document
        for step in steps:
            if type(step) is int:
                if not isinstance(value, list) or step >= len(value):
                    return []
                value = value[step]
            elif isinstance(value, dict):
                if step not in value:
                    return []
                value = value[step]
            else:
                return []
        return [value]

    return walk


def _compile_jayway(expression: str) -> Callable[[JSON], list[Any]]:
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
    """A python-jsonpath environment that speaks Jayway's dialect (built on first use)."""
    from jsonpath import JSONPathEnvironment
    from jsonpath.function_extensions import Match
    from jsonpath.lex import Lexer
    from jsonpath.match import JSONPathMatch
    from jsonpath.parse import Parser
    from jsonpath.selectors import Filter, FilterContext, IndexSelector, JSONPathSelector, KeysFilter
    from jsonpath.stream import TokenStream

    class JaywayFilter(Filter):
        def resolve(self, node: JSONPathMatch) -> Iterable[JSONPathMatch]:
            if not isinstance(node.obj, Mapping):
                yield from super().resolve(node)
                return
            context = FilterContext(env=self.env, current=node.obj, root=node.root, extra_context=node.filter_context())
            if self.expression.evaluate(context):
                yield node

    class JaywayIndex(IndexSelector):
        def resolve(self, node: JSONPathMatch) -> Iterable[JSONPathMatch]:
            if isinstance(node.obj, Sequence) and not isinstance(node.obj, str):
                yield from super().resolve(node)

    class JaywayLexer(Lexer):
        key_pattern = r"[\u0080-\uFFFFa-zA-Z_$][\u0080-\uFFFFa-zA-Z0-9_$-]*"

    class JaywayParser(Parser):
        def parse_filter_selector(self, stream: TokenStream, *, keys: bool = False) -> Filter | KeysFilter:
            selector = super().parse_filter_selector(stream, keys=keys)
            if type(selector) is Filter:
                return JaywayFilter(env=self.env, token=selector.token, expression=selector.expression)
            return selector

        def parse_bracketed_selection(self, stream: TokenStream) -> list[JSONPathSelector]:
            return [
                JaywayIndex(env=self.env, token=s.token, index=s.index) if type(s) is IndexSelector else s
                for s in super().parse_bracketed_selection(stream)
            ]

    # Filters' patterns (``=~ /.../``, ``match()``, ``search()``) run within the regex time budget: the
    # library runs them unbounded, and a hostile one held the server from every client. Past the budget
    # the comparison is false: no match, as for every user pattern.
    class BudgetedRegexFunction(Match):
        """``match()`` (the whole value) or ``search()`` (a part of it); Match's checks and arguments."""

        def __init__(self, *, whole: bool) -> None:
            super().__init__()
            self.whole = whole

        def __call__(self, value: object, pattern: object) -> bool:
            if not isinstance(value, str) or not isinstance(pattern, str):
                return False
            found = self.check_cache(pattern)  # the library's checks and its I-Regexp translation
            if found is None:
                return False
            regex = cached(found.pattern, found.flags)
            return (regex.fullmatch(value) if self.whole else regex.search(value)) is not None

    class JaywayEnvironment(JSONPathEnvironment):
        lexer_class = JaywayLexer
        parser_class = JaywayParser

        def setup_function_extensions(self) -> None:
            super().setup_function_extensions()
            self.function_extensions["match"] = BudgetedRegexFunction(whole=True)
            self.function_extensions["search"] = BudgetedRegexFunction(whole=False)

        def compare(self, left: object, operator: str, right: object) -> bool:
            if operator == "=~":
                pattern = getattr(right, "pattern", None)
                if not isinstance(left, str) or not isinstance(pattern, str):
                    return False
                return cached(pattern, getattr(right, "flags", 0)).fullmatch(left) is not None
            return bool(super().compare(left, operator, right))

    return JaywayEnvironment()
