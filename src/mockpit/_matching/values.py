"""Value matchers: one compiled :class:`~mockpit._model.ValuePattern` (equalTo, contains, matches,
equalToJson, matchesJsonPath, matchesJsonSchema, equalToXml, matchesXPath, and/or/not, binaryEqualTo),
or ``hasExactly`` / ``includes`` over all values of a field.

Each operator is compiled once, into the fastest test it allows; a heavy library (jsonschema, lxml) is
imported by the operator that needs it, when a stub uses it.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from typing import Any

from mockpit._json import loads
from mockpit._model import FieldPattern, MultiValuePattern, ValuePattern, XmlOptions
from mockpit._types import JSON

from . import json_unit
from .json_equal import json_equal
from .jsonpath import compile_json_path
from .result import string_distance
from .user_regex import UserRegex


class ValueMatcher:
    """A compiled :class:`ValuePattern`: call it with a value (``None`` for absent).

    ``test`` takes a present value; ``absent`` is the answer for an absent one. Operators that read JSON
    also offer ``json_test`` (the body's JSON is parsed once per request, not once per pattern) and those
    that read bytes ``bytes_test`` (bodies: XML keeps its declared encoding, binaryEqualTo its bytes).
    """

    __slots__ = ("_distance", "_explain", "absent", "bytes_test", "description", "json_test", "pattern", "test")

    def __init__(self, pattern: ValuePattern) -> None:
        self.pattern = pattern
        self.absent = False
        self.json_test: Callable[[JSON], bool] | None = None
        self.bytes_test: Callable[[bytes], bool] | None = None
        self._distance: Callable[[str], float] | None = None
        self._explain: Callable[[str], str | None] | None = None
        self.test: Callable[[str], bool]
        self.description: str
        _COMPILERS[pattern.operator](self, pattern)

    def __call__(self, value: str | None) -> bool:
        if value is None:
            return self.absent
        return self.test(value)

    def any_of(self, values: Sequence[str]) -> bool:
        """Multi-valued fields (headers, query parameters) match if any value does (WireMock's best match)."""
        if not values:
            return self.absent
        test = self.test
        return any(test(v) for v in values)

    match_values = any_of

    def distance(self, value: str | None) -> float:
        if self(value):
            return 0.0
        if value is None or self._distance is None:
            return 1.0
        return self._distance(value)

    def values_distance(self, values: Sequence[str]) -> float:
        return min((self.distance(v) for v in values), default=self.distance(None))

    def explain(self, value: str) -> str | None:
        """Why a present ``value`` fails, when that is more than "it differs" (a schema error, an XML difference)."""
        return None if self._explain is None else self._explain(value)


def _string_operator(m: ValueMatcher, pattern: ValuePattern) -> None:
    op, expected = pattern.operator, pattern.value or ""
    # WireMock: an absent value does not contain (or match) anything
    m.absent = op in {"absent", "doesNotContain", "doesNotMatch"}
    suffix = " (case-insensitive)" if pattern.case_insensitive else ""
    m.description = "absent" if op == "absent" else f"{op} {pattern.value!r}{suffix}"
    if op == "equalTo":
        if pattern.case_insensitive:
            folded = expected.casefold()
            m.test = lambda v: v.casefold() == folded
        else:
            m.test = expected.__eq__
    elif op == "contains":
        m.test = lambda v: expected in v
    elif op == "doesNotContain":
        m.test = lambda v: expected not in v
    elif op in {"matches", "doesNotMatch"}:
        # WireMock's regexes must match the whole value (Java's Matcher.matches()); bounded in time
        regex = UserRegex(expected, ignore_case=bool(pattern.case_insensitive))
        if op == "matches":
            m.test = regex.matches
        else:
            # a value the pattern ran out of time on is no match either way: it does not "not match"
            m.test = lambda v: regex.fullmatch(v) is None and not regex.timed_out(v)
        m._explain = regex.explain
    else:  # absent
        m.test = lambda v: False
    if op in {"equalTo", "contains"}:
        m._distance = lambda v: max(0.1, string_distance(str(pattern.value), v))


def _anything(m: ValueMatcher, pattern: ValuePattern) -> None:
    m.absent = True
    m.test = lambda v: True
    m.description = "anything"


def _parsed_json(text: str) -> tuple[bool, JSON]:
    try:
        return True, loads(text)
    except ValueError:
        return False, None


def _json_problem(text: str) -> str | None:
    """Why ``text`` is no JSON a JSON matcher can read (for the near-miss report), or None."""
    try:
        loads(text)
    except ValueError as exc:
        return f"not JSON: {exc}"
    return None


def _on_json(json_test: Callable[[JSON], bool]) -> Callable[[str], bool]:
    def test(value: str) -> bool:
        ok, data = _parsed_json(value)
        return ok and json_test(data)

    return test


def _equal_to_json(m: ValueMatcher, pattern: ValuePattern) -> None:
    expected = loads(pattern.value) if isinstance(pattern.value, str) else pattern.value
    order, extra = pattern.ignore_array_order, pattern.ignore_extra_elements
    placeholders = json_unit.has_placeholders(expected)
    m.json_test = lambda actual: json_equal(expected, actual, order, extra, placeholders)
    m.test = _on_json(m.json_test)
    options = [name for name, on in (("ignoreArrayOrder", order), ("ignoreExtraElements", extra)) if on]
    compact = compact_json(expected)
    m.description = f"equalToJson {compact}" + (f" ({', '.join(options)})" if options else "")
    m._distance = lambda v: max(0.1, string_distance(compact, _normalised_json(v)))
    m._explain = _json_problem


def _matches_json_path(m: ValueMatcher, pattern: ValuePattern) -> None:
    find = compile_json_path(pattern.value)
    sub = ValueMatcher(pattern.sub_pattern) if pattern.sub_pattern else None
    m.json_test = lambda data: _json_path_matches(find(data), sub)
    m.test = _on_json(m.json_test)
    m.description = f"matchesJsonPath {pattern.value!r}" + (f" {sub.description}" if sub else "")
    m._explain = _json_problem


def _matches_json_schema(m: ValueMatcher, pattern: ValuePattern) -> None:
    from .json_schema import compile_schema, parse_schema

    schema = compile_schema(pattern.value, pattern.schema_version)
    m.test = lambda v: not schema.errors(v)
    m._distance = schema.distance
    m._explain = lambda v: "; ".join(schema.errors(v)[:3]) or None
    m.description = f"matchesJsonSchema {compact_json(parse_schema(pattern.value))} ({schema.version})"


def _equal_to_xml(m: ValueMatcher, pattern: ValuePattern) -> None:
    from .xml import XmlError, parse_xml
    from .xml_equal import compile_xml_comparison

    comparison = compile_xml_comparison(pattern.value, pattern.xml or XmlOptions())

    def on_bytes_or_text(data: str | bytes) -> bool:
        try:
            return comparison.equal(parse_xml(data))
        except XmlError:
            return False

    def distance(value: str) -> float:
        try:
            return max(0.1, comparison.distance(parse_xml(value)))
        except XmlError:
            return 1.0

    def explain(value: str) -> str | None:
        try:
            differences = comparison.compare(parse_xml(value), limit=3)[1]
        except XmlError as exc:
            return str(exc)
        return "; ".join(differences) or None

    m.test = on_bytes_or_text
    m.bytes_test = on_bytes_or_text
    m._distance = distance
    m._explain = explain
    options = pattern.xml or XmlOptions()
    notes = [
        *(["enablePlaceholders"] if options.enable_placeholders else []),
        *(["ignoreOrderOfSameNode"] if options.ignore_order_of_same_node else []),
        *([f"exempting {', '.join(options.exempted_comparisons)}"] if options.exempted_comparisons else []),
    ]
    m.description = f"equalToXml {pattern.value}" + (f" ({'; '.join(notes)})" if notes else "")


def _matches_xpath(m: ValueMatcher, pattern: ValuePattern) -> None:
    from .xml import XmlError, compile_xpath, parse_xml

    query = compile_xpath(pattern.value, pattern.namespaces)
    sub = ValueMatcher(pattern.sub_pattern) if pattern.sub_pattern else None

    def selected(data: str | bytes) -> list[str] | None:
        try:
            return query.select(parse_xml(data))
        except XmlError:
            return None

    def on_bytes_or_text(data: str | bytes) -> bool:
        nodes = selected(data)
        if not nodes:  # WireMock: nothing selected is no match, whatever the sub-pattern
            return False
        return sub is None or any(sub(node) for node in nodes)

    def distance(value: str) -> float:
        nodes = selected(value)
        if not nodes or sub is None:
            return 1.0
        return min(sub.distance(node) for node in nodes)

    def explain(value: str) -> str | None:
        nodes = selected(value)
        if nodes is None:
            try:
                parse_xml(value)
            except XmlError as exc:
                return str(exc)
        if not nodes:
            return "the XPath selects nothing"
        shown = ", ".join(repr(node[:60]) for node in nodes[:3]) + (", ..." if len(nodes) > 3 else "")
        return f"the XPath selects {shown}"

    m.test = on_bytes_or_text
    m.bytes_test = on_bytes_or_text
    m._distance = distance
    m._explain = explain
    namespaces = f" with {dict(pattern.namespaces)}" if pattern.namespaces else ""
    m.description = f"matchesXPath {pattern.value!r}{namespaces}" + (f" {sub.description}" if sub else "")


def _logical(m: ValueMatcher, pattern: ValuePattern) -> None:
    operands = tuple(ValueMatcher(p) for p in pattern.operands)
    tests = tuple(o.test for o in operands)
    if pattern.operator == "and":
        m.absent = all(o.absent for o in operands)
        m.test = lambda v: all(t(v) for t in tests)
        m._distance = lambda v: sum(o.distance(v) for o in operands) / len(operands)
    elif pattern.operator == "or":
        m.absent = any(o.absent for o in operands)
        m.test = lambda v: any(t(v) for t in tests)
        m._distance = lambda v: min(o.distance(v) for o in operands)
    else:  # not
        (inner,) = operands
        m.absent = not inner.absent
        test = inner.test
        m.test = lambda v: not test(v)
    joined = ", ".join(o.description for o in operands)
    m.description = f"{pattern.operator}({joined})"


def _binary_equal_to(m: ValueMatcher, pattern: ValuePattern) -> None:
    expected = base64.b64decode(pattern.value)
    m.bytes_test = expected.__eq__
    m.test = lambda v: v.encode("utf-8") == expected
    m.description = f"binaryEqualTo {pattern.value} ({len(expected)} bytes)"


_COMPILERS: dict[str, Callable[[ValueMatcher, ValuePattern], None]] = {
    "equalTo": _string_operator,
    "contains": _string_operator,
    "doesNotContain": _string_operator,
    "matches": _string_operator,
    "doesNotMatch": _string_operator,
    "absent": _string_operator,
    "anything": _anything,
    "equalToJson": _equal_to_json,
    "matchesJsonPath": _matches_json_path,
    "matchesJsonSchema": _matches_json_schema,
    "equalToXml": _equal_to_xml,
    "matchesXPath": _matches_xpath,
    "and": _logical,
    "or": _logical,
    "not": _logical,
    "binaryEqualTo": _binary_equal_to,
}


class MultiValueMatcher:
    """A compiled :class:`MultiValuePattern` (``hasExactly`` / ``includes``) over all values of a field.

    As in WireMock, each pattern must match one of the values (not necessarily a different one), and for
    ``hasExactly`` the number of values must be the number of patterns.
    """

    __slots__ = ("description", "exactly", "matchers")

    def __init__(self, pattern: MultiValuePattern) -> None:
        self.matchers = tuple(ValueMatcher(p) for p in pattern.patterns)
        self.exactly = pattern.operator == "hasExactly"
        self.description = f"{pattern.operator} [{', '.join(m.description for m in self.matchers)}]"

    def match_values(self, values: Sequence[str]) -> bool:
        if not values or (self.exactly and len(values) != len(self.matchers)):
            return False
        return all(m.any_of(values) for m in self.matchers)

    def values_distance(self, values: Sequence[str]) -> float:
        if self.match_values(values):
            return 0.0
        if not values:
            return 1.0
        parts = [m.values_distance(values) for m in self.matchers]
        if self.exactly:
            parts.append(0.0 if len(values) == len(self.matchers) else 1.0)
        return max(0.1, sum(parts) / len(parts))


FieldMatcher = ValueMatcher | MultiValueMatcher


def compile_field(pattern: FieldPattern) -> FieldMatcher:
    """The matcher for a header, query or form parameter pattern (``.description`` says what it wants)."""
    return MultiValueMatcher(pattern) if isinstance(pattern, MultiValuePattern) else ValueMatcher(pattern)


def _json_path_matches(found: list[Any], sub: ValueMatcher | None) -> bool:
    if sub is None:
        # WireMock: a path that selects nothing, null, or an empty list/object does not match.
        return any(v is not None and v not in ([], {}) for v in found)
    if not found:  # WireMock: only absent itself matches a path that selects nothing
        return sub.pattern.operator == "absent"
    if any(sub(_json_text(v)) for v in found):
        return True
    return len(found) > 1 and sub(_json_text(found))


def _json_text(value: JSON) -> str:
    return value if isinstance(value, str) else compact_json(value)


def compact_json(value: JSON) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _normalised_json(text: str) -> str:
    ok, data = _parsed_json(text)
    return compact_json(data) if ok else text
