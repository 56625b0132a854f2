"""The XML helpers: ``xPath``, ``soapXPath`` and ``formatXml``, through lxml (imported on first use) with
matching's hardened parser and compiled XPath (:mod:`mockpit._matching.xml`)."""

from __future__ import annotations

from typing import Any

from mockpit._matching.xml import compile_xpath, drop_namespaces, xml_parser
from mockpit._templating.context import TemplateContext
from mockpit._templating.errors import HelperFailure
from mockpit._templating.helpers.arguments import format_arguments
from mockpit._templating.values import (
    MISSING,
    ListOrSingle,
    TemplateObject,
    to_text,
)


class XmlNode(TemplateObject):
    """A node ``xPath`` found: prints as its XML; ``.name``, ``.text``, ``.attributes`` (as in WireMock)."""

    __slots__ = ("_element",)

    def __init__(self, element: Any) -> None:
        self._element = element

    def _keys(self) -> list[str]:
        return ["name", "text", "attributes"]

    def _lookup(self, name: str) -> Any:
        element = self._element
        if name == "name":
            return element.tag
        if name == "text":
            return "".join(element.itertext())
        if name == "attributes":
            return dict(element.attrib)
        return MISSING

    def _text(self) -> str:
        from lxml import etree

        return str(etree.tostring(self._element, encoding="unicode", with_tail=False))


def xml_document(context: TemplateContext | None, text: str) -> Any:
    """``text`` parsed as XML without namespaces, once per request; HelperFailure if it is not XML."""
    return _parse_xml(text) if context is None else context.parsed("xml", text, _parse_xml)


def _parse_xml(text: str) -> Any:
    from lxml import etree

    try:
        root = etree.fromstring(text.strip().encode("utf-8"), xml_parser(keep_comments=True))
    except (etree.XMLSyntaxError, ValueError):
        raise HelperFailure(f"{text} is not valid XML") from None
    drop_namespaces(root)
    return root


def x_path(context: TemplateContext | None, source: Any, expression: Any, prefix: str = "") -> Any:
    """WireMock's ``xPath`` (and ``soapXPath`` with a prefix): the nodes found, printed as the first one."""
    if source is None or source is MISSING:
        return ""
    if expression is None or expression is MISSING or expression == "":
        raise HelperFailure("The XPath expression cannot be empty")
    expression = to_text(expression)
    root = xml_document(context, to_text(source))
    try:
        result = compile_xpath(prefix + expression, selects_nodes=False).evaluate(root)
    except ValueError:
        raise HelperFailure(f"{expression} is not a valid XPath expression") from None
    except Exception:  # lxml's XPathEvalError: an unknown function, a wrong type
        raise HelperFailure(f"{expression} is not a valid XPath expression") from None
    if isinstance(result, bool):
        return result
    if isinstance(result, float):
        return int(result) if result.is_integer() else result
    if isinstance(result, str):
        return str(result)
    nodes = [str(r) if isinstance(r, str) else XmlNode(r) for r in result if isinstance(r, str) or _is_element(r)]
    return ListOrSingle(nodes) if nodes else ""


def _is_element(node: Any) -> bool:
    return isinstance(getattr(node, "tag", None), str)


def format_xml(text: Any, format: Any = None) -> str:
    body, style = format_arguments("formatXml", "XML", text, format)
    from lxml import etree

    try:
        root = etree.fromstring(body.encode("utf-8"), xml_parser(keep_comments=True))
    except (etree.XMLSyntaxError, ValueError):
        raise HelperFailure("There was an error parsing the xml. Please make sure the xml is valid") from None
    for element in root.iter():
        if element.text is not None and not element.text.strip() and len(element):
            element.text = None
        if element.tail is not None and not element.tail.strip():
            element.tail = None
    if style == "pretty":
        etree.indent(root, space="    ")
    return str(etree.tostring(root, encoding="unicode"))
