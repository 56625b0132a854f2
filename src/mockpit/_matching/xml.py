"""XML for ``equalToXml``, ``matchesXPath`` and the templates' ``xPath``, through lxml (imported on first
use: it costs ~15 ms): one hardened parser per thread, XPath compiled once, XML compared as WireMock does.

Request bodies come from anyone, so the parser cannot be turned against the host: it loads no DTD, reaches
no network and expands no entity (no XXE, no entity bombs); an entity reference stays a reference.

``equalToXml`` compares as WireMock does (it delegates to XMLUnit, comparing "similar" documents):
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
import threading
from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from mockpit._model import XmlOptions

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
_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_local = threading.local()


class XmlError(ValueError):
    """A document that is not well-formed XML."""


#: what no parser here does: load a DTD, reach the network, expand an entity, build a huge tree
_HARDENED: dict[str, bool] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
}
#: matching drops what never counts (comments; CDATA is text) and looks up no xml:id
_FOR_MATCHING = {**_HARDENED, "remove_comments": True, "strip_cdata": True, "collect_ids": False}


def xml_parser(*, keep_comments: bool = False) -> etree.XMLParser:
    """This thread's hardened parser (lxml parsers must not be shared between threads).

    ``keep_comments`` keeps the document as written, comments and xml:ids included, for what prints it
    back (the templates' ``xPath`` and ``formatXml``); matching leaves comments out.
    """
    name = "as_written" if keep_comments else "for_matching"
    parser: etree.XMLParser | None = getattr(_local, name, None)
    if parser is None:
        from lxml import etree

        parser = etree.XMLParser(**(_HARDENED if keep_comments else _FOR_MATCHING))
        setattr(_local, name, parser)
    return parser


def parse_xml(data: str | bytes) -> etree._Element:
    """The root element of ``data``; raises :class:`XmlError` if it is not well-formed XML."""
    from lxml import etree

    if isinstance(data, str):
        # the text is decoded already: a declaration naming another encoding would make lxml refuse it
        data = _DECLARATION.sub("", data, count=1).encode("utf-8")
    try:
        return etree.fromstring(data, xml_parser())
    except etree.XMLSyntaxError as exc:
        raise XmlError(f"not well-formed XML: {exc}") from None


# --- XPath -------------------------------------------------------------------------------------------


class XPathQuery:
    """A compiled XPath 1.0 expression (WireMock's engine, Java's, does XPath 1.0 too).

    Without ``namespaces`` the document's namespaces are dropped before :meth:`select` evaluates, so that
    ``/order`` selects ``<order xmlns="urn:x">`` (WireMock selects by local name then); with them, the
    expression uses their prefixes.
    """

    __slots__ = ("_lock", "_xpath", "expression", "namespaces")

    def __init__(
        self, expression: str, namespaces: Mapping[str, str] | None = None, *, selects_nodes: bool = True
    ) -> None:
        from lxml import etree

        self.expression = expression
        self.namespaces = dict(namespaces) if namespaces else None
        try:
            self._xpath = etree.XPath(expression, namespaces=self.namespaces)
        except etree.XPathSyntaxError as exc:
            raise ValueError(f"invalid XPath {expression!r}: {exc}") from None
        if selects_nodes:
            self._check_selects_nodes()
        # compiled XPath objects are not documented as thread-safe; evaluation is short
        self._lock = threading.Lock()

    def _check_selects_nodes(self) -> None:
        from lxml import etree

        # What fails whatever the document (an undeclared prefix, an unknown function) fails on any one.
        try:
            result = self._xpath(etree.fromstring(b"<mockpit/>"))
        except etree.XPathEvalError as exc:
            hint = "; declare its prefix in xPathNamespaces" if "prefix" in str(exc) else ""
            raise ValueError(f"invalid XPath {self.expression!r}: {exc}{hint}") from None
        if not isinstance(result, list):
            kind = "boolean" if isinstance(result, bool) else "number" if isinstance(result, float) else "string"
            raise ValueError(
                f"XPath {self.expression!r} gives a {kind}, not nodes: it must select nodes (as in WireMock); "
                f"to test a condition, select the root element with it: /*[{self.expression}]"
            )

    def evaluate(self, root: etree._Element) -> Any:
        """What the expression gives on ``root``: nodes, or a number, text or boolean; raises lxml's errors."""
        with self._lock:
            return self._xpath(root)

    def select(self, root: etree._Element) -> list[str]:
        """The selected nodes as text: elements as XML, text nodes and attributes as their values.

        ``root`` is changed when the query has no namespaces (they are dropped): pass a fresh parse.
        """
        from lxml import etree

        if self.namespaces is None:
            drop_namespaces(root)
        try:
            found = self.evaluate(root)
        except etree.XPathError:
            return []
        assert isinstance(found, list)
        return [_node_text(node) for node in found]


@functools.lru_cache(maxsize=1024)
def _cached_query(expression: str, namespaces: tuple[tuple[str, str], ...], selects_nodes: bool) -> XPathQuery:
    return XPathQuery(expression, dict(namespaces), selects_nodes=selects_nodes)


def compile_xpath(
    expression: str, namespaces: Mapping[str, str] | None = None, *, selects_nodes: bool = True
) -> XPathQuery:
    """An :class:`XPathQuery`, compiled once per expression (loading and matching or rendering share it).

    ``selects_nodes`` (``matchesXPath``) refuses at compile what gives no nodes or fails on any document;
    templates' ``xPath`` prints numbers, text and booleans too, and says what fails when it renders.
    """
    return _cached_query(expression, tuple(sorted(namespaces.items())) if namespaces else (), selects_nodes)


def drop_namespaces(root: etree._Element) -> None:
    """Drop namespaces from ``root``'s tree: ``/Envelope/Body/a`` then finds ``soap:Envelope/soap:Body/m:a``,
    as in WireMock."""
    from lxml import etree

    for element in root.iter():
        tag = element.tag
        if isinstance(tag, str) and tag.startswith("{"):
            element.tag = tag.split("}", 1)[1]
        for name in [name for name in element.attrib if name.startswith("{")]:
            value = element.attrib.pop(name)
            element.attrib[name.split("}", 1)[1]] = value
    etree.cleanup_namespaces(root)


def _node_text(node: Any) -> str:
    from lxml import etree

    if isinstance(node, etree._Element):
        return str(etree.tostring(node, encoding="unicode", with_tail=False))
    if isinstance(node, tuple):  # namespace::* gives (prefix, uri)
        return str(node[1])
    return str(node)


# --- equalToXml ----------------------------------------------------------------------------------------


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
        self.regex: re.Pattern[str] | None = None
        if keyword == "matchesRegex":
            if argument is None:
                raise ValueError("xmlunit.matchesRegex needs a regular expression: ${xmlunit.matchesRegex(\\d+)}")
            try:
                self.regex = re.compile(argument)
            except re.error as exc:
                raise ValueError(f"xmlunit.matchesRegex({argument}): invalid regular expression: {exc}") from None

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
    return XmlComparison(expected, options)
