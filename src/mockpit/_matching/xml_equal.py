"""``equalToXml``: XML compared as WireMock does (it delegates to XMLUnit, comparing "similar" documents):
whitespace between elements and around text, comments, namespace prefixes, the XML declaration and
attribute order do not matter; element and attribute names (local name and namespace URI), attribute
values, text and processing instructions do. Sibling elements of different names may come in any order;
those of the same name keep theirs unless ``ignoreOrderOfSameNode``. WireMock's ``exemptedComparisons``
(XMLUnit comparison types) switch single kinds of comparison off and ``enablePlaceholders`` turns
``${xmlunit.ignore}``, ``${xmlunit.isNumber}``, ``${xmlunit.matchesRegex(...)}`` and
``${xmlunit.isDateTime}`` in the expected document into wildcards. No Python library compares XML this
way (xmldiff computes edit scripts, lxml's doctest checker has other wildcards), so the comparison is
written here.
"""

from __future__ import annotations

import contextlib
import functools
import re
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from mockpit._extras import require
from mockpit._model import XmlOptions

from .user_regex import UserRegex
from .xml import XmlError, parse_xml

if TYPE_CHECKING:
    from lxml import etree

#: XMLUnit's comparison types, all of which WireMock accepts in ``exemptedComparisons``
COMPARISON_TYPES = (
    "ATTR_VALUE_EXPLICITLY_SPECIFIED",
    "HAS_DOCTYPE_DECLARATION",
    "DOCTYPE_NAME",
    "DOCTYPE_PUBLIC_ID",
    "DOCTYPE_SYSTEM_ID",
    "SCHEMA_LOCATION",
    "NO_NAMESPACE_SCHEMA_LOCATION",
    "NODE_TYPE",
    "NAMESPACE_PREFIX",
    "NAMESPACE_URI",
    "TEXT_VALUE",
    "PROCESSING_INSTRUCTION_TARGET",
    "PROCESSING_INSTRUCTION_DATA",
    "ELEMENT_TAG_NAME",
    "ELEMENT_NUM_ATTRIBUTES",
    "ATTR_VALUE",
    "CHILD_NODELIST_LENGTH",
    "CHILD_NODELIST_SEQUENCE",
    "CHILD_LOOKUP",
    "ATTR_NAME_LOOKUP",
    "XML_VERSION",
    "XML_STANDALONE",
    "XML_ENCODING",
)

_XSI = "{http://www.w3.org/2001/XMLSchema-instance}"
_SCHEMA_LOCATIONS = (
    (f"{_XSI}schemaLocation", "SCHEMA_LOCATION"),
    (f"{_XSI}noNamespaceSchemaLocation", "NO_NAMESPACE_SCHEMA_LOCATION"),
)


class _Stop(Exception):
    """Enough differences were found."""


class _Tally:
    """Counts comparisons and collects differences; comparison types WireMock was told to exempt count as equal."""

    __slots__ = ("comparisons", "differences", "exempt", "limit")

    def __init__(self, exempt: frozenset[str], limit: int) -> None:
        self.exempt = exempt
        self.limit = limit
        self.comparisons = 0
        self.differences: list[str] = []

    def differs(self, kind: str, equal: bool) -> bool:
        """Count a comparison of ``kind``; true if it is a difference (then :meth:`add` says what)."""
        if kind in self.exempt:
            return False
        self.comparisons += 1
        return not equal

    def add(self, message: str) -> None:
        self.differences.append(message)
        if self.limit and len(self.differences) >= self.limit:
            raise _Stop


_PLACEHOLDER_KEYWORDS = ("ignore", "isNumber", "matchesRegex", "isDateTime")
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_DATE_TIME = re.compile(r"-?(\d{4,})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?")


class _Placeholder:
    """``${xmlunit.KEYWORD(ARGS)}`` in the expected document: what the actual value must be instead."""

    __slots__ = ("keyword", "regex")

    def __init__(self, keyword: str, argument: str | None) -> None:
        if keyword not in _PLACEHOLDER_KEYWORDS:
            raise ValueError(
                f"unknown placeholder xmlunit.{keyword}; the placeholders are {', '.join(_PLACEHOLDER_KEYWORDS)}"
            )
        if keyword == "isDateTime" and argument:
            raise ValueError(
                f"xmlunit.isDateTime({argument}): a date format (a Java pattern) is not supported by mockpit yet; "
                "use xmlunit.isDateTime without one (ISO 8601 dates) or xmlunit.matchesRegex(...)"
            )
        self.keyword = keyword
        self.regex: UserRegex | None = None
        if keyword == "matchesRegex":
            if argument is None:
                raise ValueError("xmlunit.matchesRegex needs a regular expression: ${xmlunit.matchesRegex(\\d+)}")
            try:
                self.regex = UserRegex(argument)
            except ValueError as exc:
                raise ValueError(f"xmlunit.matchesRegex({argument}): {exc}") from None

    def accepts(self, actual: str | None) -> bool:
        if self.keyword == "ignore":
            return True
        if actual is None:
            return False
        if self.keyword == "isNumber":
            return _NUMBER.fullmatch(actual.strip()) is not None
        if self.keyword == "isDateTime":
            return _is_date_time(actual.strip())
        assert self.regex is not None
        return self.regex.fullmatch(actual) is not None


def _is_date_time(text: str) -> bool:
    found = _DATE_TIME.fullmatch(text)
    if found is None:
        return False
    year, month, day, hour, minute, second = (int(g) if g else 0 for g in found.groups())
    try:
        date(year, month, day)
        datetime(2000, 1, 1, hour, minute, second)
    except ValueError:
        return False
    return True


class XmlComparison:
    """``equalToXml``: an expected document, parsed and checked once, compared with actual documents."""

    __slots__ = ("_exempt", "_placeholder", "expected", "options")

    def __init__(self, expected: str, options: XmlOptions) -> None:
        self.options = options
        unknown = sorted(set(options.exempted_comparisons) - set(COMPARISON_TYPES))
        if unknown:
            raise ValueError(
                f"unknown comparison type {', '.join(unknown)} in exemptedComparisons; "
                f"XMLUnit's are {', '.join(COMPARISON_TYPES)}"
            )
        self._exempt = frozenset(options.exempted_comparisons)
        self._placeholder: re.Pattern[str] | None = None
        if options.enable_placeholders:
            opening = options.placeholder_opening or r"\$\{"
            closing = options.placeholder_closing or r"\}"
            self._placeholder = re.compile(rf"\s*{opening}\s*xmlunit\.(\w+)(?:\((.*)\))?\s*{closing}\s*", re.DOTALL)
        try:
            self.expected = parse_xml(expected)
        except XmlError as exc:
            raise ValueError(f"the expected document is {exc}") from None
        self._check_placeholders()

    def equal(self, actual: etree._Element) -> bool:
        return not self.compare(actual, limit=1)[1]

    def compare(self, actual: etree._Element, limit: int = 0) -> tuple[int, list[str]]:
        """(comparisons made, differences found), stopping after ``limit`` differences (0: all of them)."""
        tally = _Tally(self._exempt, limit)
        with contextlib.suppress(_Stop):
            self._element(self.expected, actual, "", tally)
        return tally.comparisons, tally.differences

    def distance(self, actual: etree._Element) -> float:
        comparisons, differences = self.compare(actual)
        return min(1.0, len(differences) / comparisons) if comparisons else float(bool(differences))

    # --- the comparison, element by element ---------------------------------------------------------

    def _placeholder_in(self, text: str | None) -> _Placeholder | None:
        if self._placeholder is None or text is None:
            return None
        found = self._placeholder.fullmatch(text)
        return None if found is None else _Placeholder(found.group(1), found.group(2))

    def _check_placeholders(self) -> None:
        """Unknown keywords and bad regexes fail when the stub loads, not on every request."""
        if self._placeholder is None:
            return
        for element in self.expected.iter():
            for text in (element.text, *element.attrib.values()):
                self._placeholder_in(text)

    def _element(self, expected: etree._Element, actual: etree._Element, path: str, tally: _Tally) -> None:
        from lxml import etree

        want, got = etree.QName(expected), etree.QName(actual)
        here = f"{path}/{want.localname}"
        if tally.differs("ELEMENT_TAG_NAME", want.localname == got.localname):
            tally.add(f"{here}: element <{got.localname}> where <{want.localname}> was expected")
        if tally.differs("NAMESPACE_URI", want.namespace == got.namespace):
            tally.add(f"{here}: namespace {got.namespace or '(none)'} where {want.namespace or '(none)'} was expected")
        self._attributes(expected, actual, here, tally)
        self._children(expected, actual, here, tally)

    def _attributes(self, expected: etree._Element, actual: etree._Element, here: str, tally: _Tally) -> None:
        want, got = dict(expected.attrib), dict(actual.attrib)
        for name, kind in _SCHEMA_LOCATIONS:
            wanted, found = want.pop(name, None), got.pop(name, None)
            # as WireMock: only what the expected document has is compared
            if wanted is not None and tally.differs(kind, wanted == found):
                tally.add(f"{here}: {_attribute_name(name)} {found!r}, expected {wanted!r}")
        optional = {name for name, value in want.items() if name not in got and self._ignores(value)}
        if tally.differs("ELEMENT_NUM_ATTRIBUTES", len(want) - len(optional) == len(got)):
            tally.add(f"{here}: {len(got)} attribute(s) where {len(want)} were expected")
        for name, value in want.items():
            shown = _attribute_name(name)
            if name not in got:
                if name not in optional and tally.differs("ATTR_NAME_LOOKUP", False):
                    tally.add(f"{here}: attribute {shown} is missing")
                continue
            actual_value = got[name]
            placeholder = self._placeholder_in(value)
            equal = placeholder.accepts(actual_value) if placeholder else value == actual_value
            if tally.differs("ATTR_VALUE", equal):
                tally.add(f"{here}: attribute {shown}={actual_value!r}, expected {value!r}")

    def _ignores(self, value: str) -> bool:
        placeholder = self._placeholder_in(value)
        return placeholder is not None and placeholder.keyword == "ignore"

    def _children(self, expected: etree._Element, actual: etree._Element, here: str, tally: _Tally) -> None:
        want_texts, want_elements, want_pis = _children_of(expected)
        got_texts, got_elements, got_pis = _children_of(actual)
        placeholder = self._placeholder_in(want_texts[0]) if len(want_texts) == 1 else None
        if placeholder is not None:
            got_text = " ".join(got_texts) if got_texts else None
            if tally.differs("TEXT_VALUE", placeholder.accepts(got_text)):
                tally.add(f"{here}: text {got_text!r} is not what xmlunit.{placeholder.keyword} allows")
            want_texts, got_texts = [], []  # the placeholder stands for all of the text, or none
        want_count = len(want_texts) + len(want_elements) + len(want_pis)
        got_count = len(got_texts) + len(got_elements) + len(got_pis)
        if tally.differs("CHILD_NODELIST_LENGTH", want_count == got_count):
            tally.add(f"{here}: {got_count} child node(s) where {want_count} were expected")
        for i, text in enumerate(want_texts):
            if i >= len(got_texts):
                if tally.differs("CHILD_LOOKUP", False):
                    tally.add(f"{here}: text {text!r} is missing")
            elif tally.differs("TEXT_VALUE", text == got_texts[i]):
                tally.add(f"{here}: text {got_texts[i]!r}, expected {text!r}")
        self._child_elements(want_elements, got_elements, here, tally)
        for i, pi in enumerate(want_pis):
            if i >= len(got_pis):
                if tally.differs("CHILD_LOOKUP", False):
                    tally.add(f"{here}: processing instruction <?{pi.target}?> is missing")
                continue
            other = got_pis[i]
            if tally.differs("PROCESSING_INSTRUCTION_TARGET", pi.target == other.target):
                tally.add(f"{here}: <?{other.target}?> where <?{pi.target}?> was expected")
            if tally.differs("PROCESSING_INSTRUCTION_DATA", (pi.text or "") == (other.text or "")):
                tally.add(f"{here}: <?{pi.target} {other.text}?> where <?{pi.target} {pi.text}?> was expected")

    def _child_elements(self, want: list[etree._Element], got: list[etree._Element], here: str, tally: _Tally) -> None:
        # Elements pair up by name (XMLUnit's default element selector), whatever the order of the names.
        key = self._key
        groups: dict[tuple[str | None, str | None], list[etree._Element]] = {}
        for element in got:
            groups.setdefault(key(element), []).append(element)
        wanted: dict[tuple[str | None, str | None], list[etree._Element]] = {}
        for element in want:
            wanted.setdefault(key(element), []).append(element)
        for name, elements in wanted.items():
            candidates = groups.get(name, [])
            pairs = (
                self._pair_in_any_order(elements, candidates)
                if self.options.ignore_order_of_same_node
                else list(zip(elements, candidates, strict=False))
            )
            for expected, actual in pairs:
                self._element(expected, actual, here, tally)
            for missing in elements[len(pairs) :]:
                if tally.differs("CHILD_LOOKUP", False):
                    tally.add(f"{here}: element <{_local_name(missing)}> is missing")

    def _key(self, element: etree._Element) -> tuple[str | None, str | None]:
        from lxml import etree

        name = etree.QName(element)
        return (
            None if "NAMESPACE_URI" in self._exempt else name.namespace,
            None if "ELEMENT_TAG_NAME" in self._exempt else name.localname,
        )

    def _pair_in_any_order(
        self, want: list[etree._Element], got: list[etree._Element]
    ) -> list[tuple[etree._Element, etree._Element]]:
        """Each expected element with an equal actual one if there is one, then the rest in order."""
        free = list(got)
        pairs: list[tuple[etree._Element, etree._Element] | None] = []
        for expected in want:
            match = next((a for a in free if self._equal_elements(expected, a)), None)
            if match is not None:
                free.remove(match)
                pairs.append((expected, match))
            else:
                pairs.append(None)
        out = []
        for expected, pair in zip(want, pairs, strict=True):
            if pair is not None:
                out.append(pair)
            elif free:
                out.append((expected, free.pop(0)))
        return out

    def _equal_elements(self, expected: etree._Element, actual: etree._Element) -> bool:
        tally = _Tally(self._exempt, 1)
        try:
            self._element(expected, actual, "", tally)
        except _Stop:
            return False
        return True


def _children_of(element: etree._Element) -> tuple[list[str], list[etree._Element], list[Any]]:
    """(texts, elements, processing instructions) under ``element``; whitespace-only text is dropped and
    text is trimmed (XMLUnit's ignoreWhitespace), comments were dropped by the parser."""
    from lxml import etree

    texts: list[str] = []
    elements: list[etree._Element] = []
    pis: list[Any] = []

    def add_text(text: str | None) -> None:
        if text and text.strip():
            texts.append(text.strip())

    add_text(element.text)
    for child in element:
        if isinstance(child, etree._Entity):
            texts.append(f"&{child.name};")  # unexpanded on purpose: see the module docstring
        elif isinstance(child, etree._ProcessingInstruction):
            pis.append(child)
        elif isinstance(child.tag, str):
            elements.append(child)
        add_text(child.tail)
    return texts, elements, pis


def _local_name(element: etree._Element) -> str:
    from lxml import etree

    return str(etree.QName(element).localname)


def _attribute_name(name: str) -> str:
    return name.split("}", 1)[1] if name.startswith("{") else name


@functools.lru_cache(maxsize=1024)
def compile_xml_comparison(expected: str, options: XmlOptions) -> XmlComparison:
    """An :class:`XmlComparison`, built once per expected document and options (loading and matching share it)."""
    require("lxml", "XML comparison (equalToXml)")
    return XmlComparison(expected, options)
