"""XML for ``equalToXml``, ``matchesXPath`` and the templates' ``xPath``, through lxml (imported on first
use: it costs ~15 ms): one hardened parser per thread, and XPath compiled once.

Request bodies come from anyone, so the parser cannot be turned against the host: it loads no DTD, reaches
no network and expands no entity (no XXE, no entity bombs); an entity reference stays a reference.
``equalToXml``'s comparison is in ``xml_equal.py``.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from mockpit._extras import require

if TYPE_CHECKING:
    from lxml import etree

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
        except TypeError as exc:  # lxml's word for a namespace it cannot use: an empty prefix, say
            raise ValueError(f"xPathNamespaces {self.namespaces!r}: {exc}; give each namespace a prefix") from None
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
    require("lxml", "XPath (matchesXPath, the xPath template helper)")
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
