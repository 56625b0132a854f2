"""The work behind template helpers, shared by the Handlebars and Jinja syntaxes.

Each function takes plain values and returns a value (see :mod:`._template_values` for the value
kinds). Where WireMock renders ``[ERROR: ...]`` into the body instead of failing (bad JSON in the
request, a regex that matches nothing), these raise :class:`HelperFailure` with WireMock's message;
Handlebars prints it as WireMock does, Jinja turns it into a :class:`TemplateError`.

Slow imports (lxml, Faker) happen on first use; Faker's is done when a template that uses it is
compiled, so no request pays for it.
"""

from __future__ import annotations

import base64 as _base64
import calendar
import datetime as _dt
import functools
import json
import random as _random
import re
import socket
import string
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from typing import Any
from urllib.parse import quote_plus, unquote_plus

from mockpit._templating.context import TemplateContext
from mockpit._templating.values import (
    MISSING,
    JsonList,
    JsonMap,
    JsonObject,
    ListOrSingle,
    TemplateObject,
    to_text,
    write_json,
)


class HelperFailure(Exception):
    """A helper could not do its work on this request's data (WireMock prints ``[ERROR: message]``)."""


#: a list a helper may build (``range``, ``randomValue length=``): beyond this it is a mistake or an attack
MAX_ITEMS = 100_000


# --- JSON -------------------------------------------------------------------------------------------------

_SIMPLE_PATH = re.compile(r"\$((?:\.[A-Za-z_$][\w$-]*|\[\d+\]|\['[^'\]]*'\]|\[\"[^\"\]]*\"\])*)")
_SIMPLE_STEP = re.compile(r"\.([A-Za-z_$][\w$-]*)|\[(\d+)\]|\['([^'\]]*)'\]|\[\"([^\"\]]*)\"\]")
_INDEFINITE = re.compile(r"\.\.|\*|\?\(|\[[^\]]*[,:][^\]]*\]")


@functools.lru_cache(maxsize=2048)
def compile_json_path(expression: str) -> tuple[Callable[[Any], list[Any]], bool]:
    """A finder for ``expression`` and whether the path is definite (selects one value, as Jayway says).

    Plain paths (``$.a.b[0]``) are walked directly: the common case costs well under a microsecond.
    Raises ValueError for an invalid path.
    """
    text = expression.strip()
    if not text.startswith("$"):
        text = "$." + text if not text.startswith("[") else "$" + text
    text = re.sub(r"\.(?=\[)", "", text)  # Jayway accepts $.[0] and $.['a']
    simple = _SIMPLE_PATH.fullmatch(text)
    if simple:
        steps: list[str | int] = []
        for m in _SIMPLE_STEP.finditer(simple.group(1)):
            name, index, quoted, dquoted = m.groups()
            steps.append(int(index) if index is not None else (name or quoted or dquoted or ""))

        def walk(document: Any) -> list[Any]:
            value = document
            for s in steps:
                if type(s) is int:
                    if not isinstance(value, list) or s >= len(value):
                        return []
                    value = value[s]
                elif isinstance(value, dict):
                    if s not in value:
                        return []
                    value = value[s]
                else:
                    return []
            return [value]

        return walk, True
    from mockpit._matching.jsonpath import compile_json_path as compile_jayway

    return compile_jayway(text), _INDEFINITE.search(text) is None


def check_json_path(expression: str) -> None:
    try:
        compile_json_path(expression)
    except ValueError as exc:
        raise ValueError(f"{exc}; WireMock's JSONPath looks like '$.items[0].name'") from None


def json_document(context: TemplateContext | None, text: str) -> Any:
    """``text`` parsed as JSON, once per request; HelperFailure (WireMock's words) if it is not JSON."""
    cache = context.cache("json") if context is not None else {}
    try:
        return cache[text]
    except KeyError:
        pass
    try:
        document = json.loads(text)
    except ValueError:
        raise HelperFailure(f"{text} is not valid JSON") from None
    if len(cache) < 16:
        cache[text] = document
    return document


def _as_document(context: TemplateContext | None, source: Any) -> Any:
    if isinstance(source, str):
        return json_document(context, source)
    if isinstance(source, ListOrSingle):
        return json_document(context, to_text(source))
    if isinstance(source, TemplateObject):
        return json.loads(write_json(source))
    return source


def json_path(context: TemplateContext | None, source: Any, expression: Any, default: Any = MISSING) -> Any:
    """WireMock's ``jsonPath``: one value for a definite path, a list otherwise; ``default`` or "" if none."""
    if source is None or source is MISSING or source == "":
        return ""
    if expression is None or expression is MISSING:
        raise HelperFailure("The JSONPath cannot be empty")
    expression = to_text(expression)
    try:
        finder, definite = compile_json_path(expression)
    except ValueError:
        raise HelperFailure(f"{expression} is not a valid JSONPath expression") from None
    document = _as_document(context, source)
    found = finder(document)
    fallback = "" if default is MISSING or default is None else default
    if definite:
        if not found or found[0] is None:
            return fallback
        value = found[0]
    else:
        value = found
    if isinstance(value, dict):
        return JsonMap(value)
    if isinstance(value, list):
        return JsonList(value)
    return value


def parse_json(text: Any) -> Any:
    """WireMock's ``parseJson``: ``{}`` for blank input; a list for ``[...]``, else an object."""
    if text is None or text is MISSING:
        return {}
    body = to_text(text).strip()
    if re.sub(r"\s", "", body) in ("", "{}"):
        return {}
    try:
        value = json.loads(body)
    except ValueError as exc:
        raise HelperFailure(f"{body} is not valid JSON: {exc}") from None
    if not isinstance(value, dict | list):
        raise HelperFailure(f"{body} is not a JSON object or array")
    return value


def to_json(value: Any) -> str:
    """WireMock's ``toJson``: indented JSON (Jackson's layout)."""
    return write_json(value, pretty=True)


def format_json(text: Any, format: Any = None) -> str:
    body = to_text(text).strip() if text is not None and text is not MISSING else ""
    if not body:
        raise HelperFailure("formatJson should take a block of JSON to format or a single parameter of type String")
    style = "pretty" if format is None or format is MISSING else to_text(format)
    if style not in ("pretty", "compact"):
        raise HelperFailure(f"formatJson: format [{style}] should be one of [pretty, compact]")
    try:
        value = json.loads(body)
    except ValueError:
        raise HelperFailure("There was an error parsing the json. Please make sure the json is valid") from None
    return write_json(value, pretty=style == "pretty")


def _json_input(value: Any, what: str) -> Any:
    if isinstance(value, JsonObject | JsonList):
        return json.loads(write_json(value))
    if isinstance(value, dict | list) and not isinstance(value, ListOrSingle):
        return json.loads(write_json(value))  # a copy: the caller's value stays as it was
    if not isinstance(value, str):
        raise HelperFailure(f"{what} must be a string")
    try:
        return json.loads(value)
    except ValueError:
        raise HelperFailure(f"{what} is not valid JSON ('{value}')") from None


def json_array_add(base: Any, item: Any, *, json_path: Any = None, flatten: Any = False, max_items: Any = None) -> str:
    """WireMock's ``jsonArrayAdd``: ``item`` (JSON) appended to the array ``base`` (or the one at ``json_path``)."""
    root = _json_input(base, "Base JSON")
    target = root
    if json_path is not None and json_path is not MISSING:
        try:
            finder, _ = compile_json_path(to_text(json_path))
        except ValueError:
            raise HelperFailure(f"jsonPath option is not valid JSONPath expression ('{json_path}')") from None
        found = finder(root)
        target = found[0] if found else None
    if not isinstance(target, list):
        raise HelperFailure(f"Target JSON is not a JSON array ('{base}')")
    addition = _json_input(item, "Item-to-add JSON")
    if flatten is True and isinstance(addition, list):
        target.extend(addition)
    else:
        target.append(addition)
    if max_items is not None and max_items is not MISSING:
        if type(max_items) is not int or max_items < 0:
            raise HelperFailure("maxItems option must be a positive integer")
        del target[: max(0, len(target) - max_items)]
    return write_json(root)


def json_merge(base: Any, other: Any) -> str:
    """WireMock's ``jsonMerge``: objects merged recursively; arrays and other values replaced."""
    left = _json_input(base, "Base JSON")
    if not isinstance(left, dict):
        raise HelperFailure(f"Base JSON is not a JSON object ('{base}')")
    right = _json_input(other, "JSON to merge")
    if not isinstance(right, dict):
        raise HelperFailure(f"JSON to merge is not a JSON object ('{other}')")

    def merge(into: dict[str, Any], source: dict[str, Any]) -> None:
        for key, value in source.items():
            if isinstance(value, dict) and isinstance(into.get(key), dict):
                merge(into[key], value)
            else:
                into[key] = value

    merge(left, right)
    return write_json(left)


def json_remove(base: Any, expression: Any) -> str:
    """WireMock's ``jsonRemove``: what ``expression`` selects, taken out of ``base``."""
    if base == "null":
        return "null"
    root = _json_input(base, "Input JSON")
    if not isinstance(expression, str) or not expression:
        raise HelperFailure("JSONPath parameter must be a string")
    import jsonpath

    text = re.sub(r"\.(?=\[)", "", expression)
    try:
        matches = list(jsonpath.finditer(text, root))
    except jsonpath.JSONPathError:
        raise HelperFailure(f"JSONPath parameter is not a valid JSONPath expression ('{expression}')") from None
    # remove from the end so that earlier list indexes stay right
    for match in reversed(matches):
        parent = match.parent.obj if match.parent is not None else None
        if parent is None or not match.parts:
            raise HelperFailure(f"Delete operation cannot be applied to JSONPath expression ('{expression}')")
        key = match.parts[-1]
        if (isinstance(parent, list) and isinstance(key, int) and key < len(parent)) or (
            isinstance(parent, dict) and key in parent
        ):
            del parent[key]  # type: ignore[arg-type]
    return write_json(root)


# --- XML --------------------------------------------------------------------------------------------------


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


@functools.cache
def _xml_parser() -> Any:
    from lxml import etree

    # no entity expansion, no DTD, no network: a request body must not read files or explode
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
    )


def _strip_namespaces(root: Any) -> None:
    """Drop namespaces so that ``/Envelope/Body/a`` finds ``soap:Envelope/soap:Body/m:a``, as in WireMock."""
    from lxml import etree

    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.startswith("{"):
            element.tag = etree.QName(element).localname
        for name in [n for n in element.attrib if n.startswith("{")]:
            element.attrib[etree.QName(name).localname] = element.attrib.pop(name)
    etree.cleanup_namespaces(root)


def xml_document(context: TemplateContext | None, text: str) -> Any:
    cache = context.cache("xml") if context is not None else {}
    try:
        return cache[text]
    except KeyError:
        pass
    from lxml import etree

    try:
        root = etree.fromstring(text.strip().encode("utf-8"), _xml_parser())
    except (etree.XMLSyntaxError, ValueError):
        raise HelperFailure(f"{text} is not valid XML") from None
    _strip_namespaces(root)
    if len(cache) < 16:
        cache[text] = root
    return root


@functools.lru_cache(maxsize=1024)
def compile_xpath(expression: str) -> Any:
    from lxml import etree

    try:
        return etree.XPath(expression)
    except etree.XPathSyntaxError as exc:
        raise ValueError(f"invalid XPath {expression!r}: {exc}") from None


def x_path(context: TemplateContext | None, source: Any, expression: Any, prefix: str = "") -> Any:
    """WireMock's ``xPath`` (and ``soapXPath`` with a prefix): the nodes found, printed as the first one."""
    if source is None or source is MISSING:
        return ""
    if expression is None or expression is MISSING or expression == "":
        raise HelperFailure("The XPath expression cannot be empty")
    expression = to_text(expression)
    root = xml_document(context, to_text(source))
    try:
        result = compile_xpath(prefix + expression)(root)
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
    body = to_text(text).strip() if text is not None and text is not MISSING else ""
    if not body:
        raise HelperFailure("formatXml should take a block of XML to format or a single parameter of type String")
    style = "pretty" if format is None or format is MISSING else to_text(format)
    if style not in ("pretty", "compact"):
        raise HelperFailure(f"formatXml: format [{style}] should be one of [pretty, compact]")
    from lxml import etree

    try:
        root = etree.fromstring(body.encode("utf-8"), _xml_parser())
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


# --- random values ----------------------------------------------------------------------------------------

_ALPHABETS = {
    "ALPHANUMERIC": string.ascii_letters + string.digits,
    "ALPHABETIC": string.ascii_letters,
    "NUMERIC": string.digits,
    "ALPHANUMERIC_AND_SYMBOLS": "".join(chr(c) for c in range(33, 126)),
    "HEXADECIMAL": "ABCDEF0123456789",
}
RANDOM_TYPES = (*_ALPHABETS, "UUID")


def random_value(length: Any = 36, type: Any = "ALPHANUMERIC", uppercase: Any = False) -> str:
    """WireMock's ``randomValue``: lower case unless ``uppercase``; ``UUID`` ignores the length."""
    kind = to_text(type)
    if kind == "UUID":
        value = str(uuid.uuid4())
    else:
        alphabet = _ALPHABETS.get(kind)
        if alphabet is None:
            raise HelperFailure(f"randomValue type {kind!r} is not one of {', '.join(RANDOM_TYPES)}")
        count = as_int(length, "length")
        if not 0 <= count <= MAX_ITEMS:
            raise HelperFailure(f"randomValue length must be from 0 to {MAX_ITEMS}, got {count}")
        value = "".join(_random.choices(alphabet, k=count))
    return value.upper() if uppercase is True else value.lower()


_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1


def random_int(lower: Any = None, upper: Any = None) -> int:
    """WireMock's ``randomInt``: from ``lower`` (inclusive) to ``upper`` (exclusive)."""
    low = _INT_MIN if lower is None or lower is MISSING else as_int(lower, "lower")
    high = _INT_MAX if upper is None or upper is MISSING else as_int(upper, "upper")
    if low >= high:
        raise HelperFailure(f"randomInt needs lower < upper, got lower={low} upper={high}")
    return _random.randrange(low, high)


def random_decimal(lower: Any = None, upper: Any = None) -> float:
    low = 5e-324 if lower is None or lower is MISSING else as_float(lower, "lower")
    high = 1.7976931348623157e308 if upper is None or upper is MISSING else as_float(upper, "upper")
    if low >= high:
        raise HelperFailure(f"randomDecimal needs lower < upper, got lower={low} upper={high}")
    return _random.uniform(low, high)


def pick_random(items: list[Any], count: Any = None) -> Any:
    """WireMock's ``pickRandom``: one item (as text), or ``count`` different ones as a list."""
    if not items:
        raise HelperFailure("Must specify either a single list argument or a set of single value arguments.")
    if count is None or count is MISSING:
        return to_text(_random.choice(items))
    n = as_int(count, "count")
    return _random.sample(items, min(max(n, 0), len(items)))


def as_int(value: Any, what: str) -> int:
    if isinstance(value, bool):
        raise HelperFailure(f"{what} must be a whole number, got {to_text(value)}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    try:
        return int(to_text(value).strip())
    except ValueError:
        raise HelperFailure(f"{what} must be a whole number, got {to_text(value)!r}") from None


def as_float(value: Any, what: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    try:
        return float(to_text(value).strip())
    except ValueError:
        raise HelperFailure(f"{what} must be a number, got {to_text(value)!r}") from None


def number_range(lower: Any, upper: Any) -> list[int]:
    """WireMock's ``range``: the integers from ``lower`` to ``upper``, both included."""
    if lower is None or lower is MISSING or upper is None or upper is MISSING:
        raise HelperFailure("The range helper requires both lower and upper bounds as integer parameters")
    low, high = as_int(lower, "lower"), as_int(upper, "upper")
    if high - low >= MAX_ITEMS:
        raise HelperFailure(f"range {low}..{high} has more than {MAX_ITEMS} numbers")
    return list(range(low, high + 1))


# --- dates ------------------------------------------------------------------------------------------------

UTC = _dt.timezone.utc


class RenderableDate(TemplateObject):
    """A point in time with the format and zone it prints in (WireMock's ``now``, ``date``, ``parseDate``).

    Without a format it prints ISO 8601 to the second (``2024-05-01T12:00:00Z``); ``epoch`` prints
    milliseconds, ``unix`` seconds; any other format is a Java ``SimpleDateFormat`` pattern
    (``yyyy-MM-dd``), or a Python ``strftime`` one if it contains ``%``.
    """

    __slots__ = ("_format", "_instant", "_timezone")

    def __init__(self, instant: _dt.datetime, format: str | None = None, timezone: _dt.tzinfo | None = None) -> None:
        self._instant = instant
        self._format = format
        self._timezone = timezone

    def _text(self) -> str:
        fmt = self._format
        millis = epoch_millis(self._instant)
        if fmt == "epoch":
            return str(millis)
        if fmt == "unix":
            return str(millis // 1000)
        local = self._instant.astimezone(self._timezone or UTC)
        if fmt is None:
            text = local.strftime("%Y-%m-%dT%H:%M:%S")
            offset = local.utcoffset()
            if not offset:
                return text + "Z"
            return text + format_offset(offset, colon=True)
        if "%" in fmt:
            return local.strftime(fmt)
        return java_date_format(fmt, local)

    def _keys(self) -> list[str]:
        return []

    def __bool__(self) -> bool:
        return True


def epoch_millis(instant: _dt.datetime) -> int:
    delta = instant - _dt.datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def format_offset(offset: _dt.timedelta, *, colon: bool) -> str:
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{mins:02d}" if colon else f"{sign}{hours:02d}{mins:02d}"


_JAVA_PATTERN = re.compile(r"'(?:[^']|'')*'|([A-Za-z])\1*|[^A-Za-z']+|'")
JAVA_FORMAT_LETTERS = frozenset("GyYMLwWDdFEuaHkKhmsSzZX")
_MONTHS = list(calendar.month_name)
_MONTHS_SHORT = list(calendar.month_abbr)
_DAYS = list(calendar.day_name)
_DAYS_SHORT = list(calendar.day_abbr)


def check_java_date_pattern(pattern: str) -> None:
    """Raise ValueError naming the first letter ``SimpleDateFormat`` does not know."""
    for match in _JAVA_PATTERN.finditer(pattern):
        letter = match.group(1)
        if letter and letter not in JAVA_FORMAT_LETTERS:
            raise ValueError(
                f"the date format {pattern!r} has the letter {letter!r}, which is not a Java date pattern letter; "
                "quote literal text ('T') or use letters such as yyyy MM dd HH mm ss SSS Z"
            )
        if match.group(0) == "'":
            raise ValueError(f"the date format {pattern!r} has an unclosed quote")


def java_date_format(pattern: str, moment: _dt.datetime) -> str:
    """Format ``moment`` with a Java ``SimpleDateFormat`` pattern (English names)."""
    out: list[str] = []
    for match in _JAVA_PATTERN.finditer(pattern):
        token = match.group(0)
        letter = match.group(1)
        if not letter:
            if token.startswith("'"):
                out.append("'" if token == "''" else token[1:-1].replace("''", "'"))
            else:
                out.append(token)
            continue
        out.append(_java_field(letter, len(token), moment))
    return "".join(out)


def _java_field(letter: str, n: int, m: _dt.datetime) -> str:
    if letter in "yY":
        return f"{m.year % 100:02d}" if n == 2 else str(m.year).zfill(n)
    if letter in "ML":
        if n >= 4:
            return _MONTHS[m.month]
        if n == 3:
            return _MONTHS_SHORT[m.month]
        return str(m.month).zfill(n)
    if letter == "d":
        return str(m.day).zfill(n)
    if letter == "H":
        return str(m.hour).zfill(n)
    if letter == "k":
        return str(m.hour or 24).zfill(n)
    if letter == "K":
        return str(m.hour % 12).zfill(n)
    if letter == "h":
        return str(m.hour % 12 or 12).zfill(n)
    if letter == "m":
        return str(m.minute).zfill(n)
    if letter == "s":
        return str(m.second).zfill(n)
    if letter == "S":
        return str(m.microsecond // 1000).zfill(n)
    if letter == "E":
        return _DAYS[m.weekday()] if n >= 4 else _DAYS_SHORT[m.weekday()]
    if letter == "u":
        return str(m.isoweekday()).zfill(n)
    if letter == "a":
        return "AM" if m.hour < 12 else "PM"
    if letter == "D":
        return str(m.timetuple().tm_yday).zfill(n)
    if letter == "F":
        return str((m.day - 1) // 7 + 1).zfill(n)
    if letter == "w":
        first = m.replace(month=1, day=1)
        shift = (first.weekday() + 1) % 7  # weeks start on Sunday (US)
        return str((m.timetuple().tm_yday - 1 + shift) // 7 + 1).zfill(n)
    if letter == "W":
        first = m.replace(day=1)
        shift = (first.weekday() + 1) % 7
        return str((m.day - 1 + shift) // 7 + 1).zfill(n)
    if letter == "G":
        return "AD"
    offset = m.utcoffset() or _dt.timedelta(0)
    if letter == "Z":
        return format_offset(offset, colon=False)
    if letter == "X":
        if not offset:
            return "Z"
        if n == 1:
            return format_offset(offset, colon=False)[:3]
        return format_offset(offset, colon=n >= 3)
    # z: the zone's short name; Java's long names (zzzz) are not in Python's zone data
    name = m.tzname()
    if name and not name.startswith(("+", "-")):
        return name
    return "GMT" + format_offset(offset, colon=True)


_OFFSET_UNITS = {
    "millisecond": "milliseconds",
    "second": "seconds",
    "minute": "minutes",
    "hour": "hours",
    "day": "days",
    "week": "weeks",
    "month": "months",
    "year": "years",
}
_OFFSET = re.compile(r"(?:now\s+)?([+-]?\d+)\s+([A-Za-z]+)", re.IGNORECASE)


@functools.lru_cache(maxsize=256)
def parse_offset(text: str) -> tuple[int, str]:
    """``'3 days'``, ``'-24 seconds'``, ``'now +5 years'`` -> (amount, unit). Raises ValueError."""
    stripped = text.strip()
    if stripped.lower() == "now":
        return 0, "seconds"
    match = _OFFSET.fullmatch(stripped)
    unit = _OFFSET_UNITS.get(match.group(2).lower().rstrip("s")) if match else None
    if match is None or unit is None:
        raise ValueError(
            f"the date offset {text!r} is not '<amount> <unit>' such as '3 days', '-24 seconds' or 'now +1 years' "
            "(units: milliseconds, seconds, minutes, hours, days, weeks, months, years)"
        )
    return int(match.group(1)), unit


def shift(instant: _dt.datetime, offset: str) -> _dt.datetime:
    amount, unit = parse_offset(offset)
    if unit in ("months", "years"):
        months = amount * (12 if unit == "years" else 1)
        total = instant.year * 12 + instant.month - 1 + months
        year, month = divmod(total, 12)
        if not 1 <= year <= 9999:
            raise HelperFailure(f"the date offset {offset!r} leads outside the years 1 to 9999")
        day = min(instant.day, calendar.monthrange(year, month + 1)[1])  # Jan 31 + 1 month = Feb 28/29
        return instant.replace(year=year, month=month + 1, day=day)
    try:
        return instant + _dt.timedelta(**{unit: amount})
    except OverflowError:
        raise HelperFailure(f"the date offset {offset!r} leads outside the years 1 to 9999") from None


_FIXED_ZONE = re.compile(r"(?:UTC|GMT)?([+-])(\d{1,2})(?::?(\d{2}))?")


@functools.lru_cache(maxsize=256)
def zone(name: str) -> _dt.tzinfo:
    """A time zone by IANA name (``Australia/Sydney``), ``UTC``/``Z`` or a fixed offset (``+05:30``)."""
    if name in ("Z", "UTC", "GMT", "UT"):
        return UTC
    fixed = _FIXED_ZONE.fullmatch(name)
    if fixed:
        sign, hours, minutes = fixed.groups()
        delta = _dt.timedelta(hours=int(hours), minutes=int(minutes or 0))
        return _dt.timezone(-delta if sign == "-" else delta)
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"the time zone {name!r} is unknown; use an IANA name such as 'Europe/Paris', 'UTC' or an offset '+02:00'"
        ) from None


def check_date_format(fmt: str) -> None:
    if fmt in ("epoch", "unix") or "%" in fmt:
        return
    check_java_date_pattern(fmt)


def current_instant() -> _dt.datetime:
    # milliseconds, as a Java Date has
    millis = time.time_ns() // 1_000_000
    return _dt.datetime.fromtimestamp(millis / 1000, UTC)


def _options(fmt: Any, timezone: Any) -> tuple[str | None, _dt.tzinfo | None]:
    text_format = None if fmt is None or fmt is MISSING else to_text(fmt)
    if text_format is not None:
        try:
            check_date_format(text_format)
        except ValueError as exc:
            raise HelperFailure(str(exc)) from None
    tz = None
    if timezone is not None and timezone is not MISSING:
        try:
            tz = zone(to_text(timezone))
        except ValueError as exc:
            raise HelperFailure(str(exc)) from None
    return text_format, tz


def now(offset: Any = None, format: Any = None, timezone: Any = None) -> RenderableDate:
    """WireMock's ``now``: the current time, shifted by ``offset``, printed with ``format`` in ``timezone``."""
    fmt, tz = _options(format, timezone)
    instant = current_instant()
    if offset is not None and offset is not MISSING:
        instant = _shift_checked(instant, offset)
    return RenderableDate(instant, fmt, tz)


def _shift_checked(instant: _dt.datetime, offset: Any) -> _dt.datetime:
    try:
        return shift(instant, to_text(offset))
    except ValueError as exc:
        raise HelperFailure(str(exc)) from None


def date(value: Any, offset: Any = None, format: Any = None, timezone: Any = None) -> RenderableDate:
    """WireMock's ``date``: a date (from ``parseDate``, ``now`` ...) printed again; not a date: now."""
    fmt, tz = _options(format, timezone)
    instant: _dt.datetime
    if isinstance(value, RenderableDate):
        instant, tz = value._instant, value._timezone  # WireMock keeps the date's own zone
    elif isinstance(value, _dt.datetime):
        instant = value if value.tzinfo else value.replace(tzinfo=UTC)
    else:
        instant = current_instant()
    if offset is not None and offset is not MISSING:
        instant = _shift_checked(instant, offset)
    return RenderableDate(instant, fmt, tz)


_JAVA_PARSE_FIELDS: dict[str, str] = {
    "y": r"(?P<year>\d{4}|\d{2}|\d+)",
    "u": r"(?P<year>\d{4}|\d{2}|\d+)",
    "M": r"(?P<month>\d{1,2}|[A-Za-z]+)",
    "d": r"(?P<day>\d{1,2})",
    "H": r"(?P<hour>\d{1,2})",
    "h": r"(?P<hour12>\d{1,2})",
    "m": r"(?P<minute>\d{1,2})",
    "s": r"(?P<second>\d{1,2})",
    "S": r"(?P<fraction>\d+)",
    "a": r"(?P<ampm>AM|PM|am|pm)",
    "E": r"[A-Za-z]+",
    "Z": r"(?P<offset>Z|[+-]\d{2}:?\d{2})",
    "X": r"(?P<offset>Z|[+-]\d{2}(?::?\d{2})?)",
    "x": r"(?P<offset>[+-]\d{2}(?::?\d{2})?)",
    "z": r"(?P<zone>[A-Za-z_/+-]+)",
    "V": r"(?P<zone>[A-Za-z_/+-]+)",
}
_PARSE_TOKEN = re.compile(r"'(?:[^']|'')*'|([A-Za-z])\1*|[^A-Za-z']+")


@functools.lru_cache(maxsize=256)
def compile_date_pattern(pattern: str) -> re.Pattern[str]:
    """A regex reading dates written in the Java ``DateTimeFormatter`` pattern. Raises ValueError."""
    parts: list[str] = []
    seen: set[str] = set()
    for match in _PARSE_TOKEN.finditer(pattern):
        token, letter = match.group(0), match.group(1)
        if not letter:
            text = token[1:-1].replace("''", "'") if token.startswith("'") else token
            parts.append(re.escape(text))
            continue
        field = _JAVA_PARSE_FIELDS.get(letter)
        if field is None:
            raise ValueError(f"the date pattern {pattern!r} has the letter {letter!r}, which parseDate cannot read")
        if len(token) == 2 and letter in "yu":
            field = r"(?P<year2>\d{2})"
        group = re.search(r"\?P<(\w+)>", field)
        if group and group.group(1) in seen:
            field = re.sub(r"\?P<\w+>", "?:", field)
        elif group:
            seen.add(group.group(1))
        parts.append(field)
    return re.compile("".join(parts), re.IGNORECASE)


_ISO_LOCAL = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")


def parse_date(text: Any, format: Any = None) -> RenderableDate | None:
    """WireMock's ``parseDate``: ISO 8601, RFC 1123, RFC 1036 or asctime; or ``format`` (Java, unix, epoch)."""
    if text is None or text is MISSING:
        return None
    value = to_text(text).strip()
    fmt = None if format is None or format is MISSING else to_text(format)
    instant: _dt.datetime | None
    try:
        if fmt is not None and fmt.lower() in ("unix", "epoch"):
            number = int(value)
            instant = _dt.datetime.fromtimestamp(number if fmt.lower() == "unix" else number / 1000, UTC)
        elif fmt is not None:
            instant = _parse_with_pattern(value, fmt)
        else:
            instant = _parse_standard(value)
    except (ValueError, OverflowError, OSError):
        return None
    return None if instant is None else RenderableDate(instant)


def _parse_standard(value: str) -> _dt.datetime | None:
    iso = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    iso = re.sub(r"\[[^\]]*\]$", "", iso)  # 2021-06-15T15:16:17+01:00[Europe/London]
    try:
        parsed = _dt.datetime.fromisoformat(iso)
    except ValueError:
        parsed = None
    if parsed is not None and (parsed.tzinfo is not None or _ISO_LOCAL.fullmatch(value)):
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    for pattern in ("%a, %d %b %Y %H:%M:%S %Z", "%A, %d-%b-%y %H:%M:%S %Z", "%a %b %d %H:%M:%S %Y"):
        try:
            return _dt.datetime.strptime(value, pattern).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def _parse_with_pattern(value: str, pattern: str) -> _dt.datetime:
    match = compile_date_pattern(pattern).fullmatch(value)
    if match is None:
        raise ValueError(value)
    fields = {k: v for k, v in match.groupdict().items() if v is not None}
    if "year" in fields:
        year = int(fields["year"])
    elif "year2" in fields:
        year = 2000 + int(fields["year2"])  # DateTimeFormatter reads 'yy' as 2000-2099
    else:
        year = 1970
    month_text = fields.get("month", "1")
    month = int(month_text) if month_text.isdigit() else _month_number(month_text)
    hour = int(fields.get("hour", 0))
    if "hour12" in fields:
        hour = int(fields["hour12"]) % 12 + (12 if fields.get("ampm", "AM").upper() == "PM" else 0)
    fraction = fields.get("fraction", "0")
    micro = int((fraction + "000000")[:6])
    tz: _dt.tzinfo = UTC
    if "offset" in fields and fields["offset"].upper() != "Z":
        tz = zone(fields["offset"] if ":" in fields["offset"] else fields["offset"][:3] + ":" + fields["offset"][3:])
    elif "zone" in fields:
        tz = zone(fields["zone"])
    return _dt.datetime(
        year,
        month,
        int(fields.get("day", 1)),
        hour,
        int(fields.get("minute", 0)),
        int(fields.get("second", 0)),
        micro,
        tzinfo=tz,
    ).astimezone(UTC)


def _month_number(name: str) -> int:
    lowered = name.lower()
    for number in range(1, 13):
        if calendar.month_name[number].lower() == lowered or calendar.month_abbr[number].lower() == lowered:
            return number
    raise ValueError(name)


_TRUNCATIONS: dict[str, Callable[[_dt.datetime], _dt.datetime]] = {
    "first second of minute": lambda d: d.replace(second=0, microsecond=0),
    "first minute of hour": lambda d: d.replace(minute=0, second=0, microsecond=0),
    "first hour of day": lambda d: d.replace(hour=0, minute=0, second=0, microsecond=0),
    "first day of month": lambda d: _midnight(d.replace(day=1)),
    "first day of next month": lambda d: _midnight(_next_month(d)),
    "last day of month": lambda d: _midnight(d.replace(day=calendar.monthrange(d.year, d.month)[1])),
    "first day of year": lambda d: _midnight(d.replace(month=1, day=1)),
    "first day of next year": lambda d: _midnight(d.replace(year=d.year + 1, month=1, day=1)),
    "last day of year": lambda d: _midnight(d.replace(month=12, day=31)),
}
TRUNCATIONS = tuple(_TRUNCATIONS)


def _midnight(d: _dt.datetime) -> _dt.datetime:
    return d.replace(hour=0, minute=0, second=0, microsecond=0)


def _next_month(d: _dt.datetime) -> _dt.datetime:
    return d.replace(year=d.year + d.month // 12, month=d.month % 12 + 1, day=1)


def check_truncation(name: str) -> None:
    if name.lower().replace("_", " ") not in _TRUNCATIONS:
        raise ValueError(f"the date truncation {name!r} is not one of: {', '.join(TRUNCATIONS)}")


def truncate_date(value: Any, truncation: Any) -> RenderableDate:
    """WireMock's ``truncateDate``: e.g. ``'first day of month'`` (in UTC)."""
    if not isinstance(value, RenderableDate):
        raise HelperFailure("A date object must be passed to the truncateDate helper")
    name = to_text(truncation).lower().replace("_", " ")
    truncate = _TRUNCATIONS.get(name)
    if truncate is None:
        raise HelperFailure(f"the date truncation {to_text(truncation)!r} is not one of: {', '.join(TRUNCATIONS)}")
    return RenderableDate(truncate(value._instant.astimezone(UTC)), value._format, value._timezone)


# --- numbers, text, encodings -------------------------------------------------------------------------------

MATH_OPERATORS = ("+", "-", "*", "x", "/", "%")


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        return Decimal(0)
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    try:
        return Decimal(to_text(value).strip())
    except InvalidOperation:
        return Decimal(0)  # as WireMock: what is not a number counts as 0


def math_operation(left: Any, operator: Any, right: Any) -> int | float:
    """WireMock's ``math``: decimal arithmetic; a whole result is an int, else a float."""
    op = to_text(operator)
    a, b = _decimal(left), _decimal(right)
    with localcontext() as ctx:
        ctx.prec = 60
        try:
            if op == "+":
                result = a + b
            elif op == "-":
                result = a - b
            elif op in ("*", "x"):
                result = a * b
            elif op == "/":
                scale = a.as_tuple().exponent
                exponent = min(scale, 0) if isinstance(scale, int) else 0
                result = (a / b).quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_UP)
            elif op == "%":
                result = a % b
            else:
                raise HelperFailure(f"{op} is not a valid mathematical operator")
        except (ArithmeticError, InvalidOperation):
            raise HelperFailure(f"{to_text(left)} {op} {to_text(right)} has no result (division by zero?)") from None
    result_exponent = result.as_tuple().exponent
    if isinstance(result_exponent, int) and result_exponent >= 0:
        return int(result)
    return float(result)


def base64_text(value: Any, *, decode: bool = False, padding: bool = True) -> str:
    text = to_text(value)
    if decode:
        cleaned = "".join(text.split())
        cleaned += "=" * (-len(cleaned) % 4)
        try:
            raw = _base64.b64decode(cleaned, validate=False)
        except ValueError:
            raise HelperFailure(f"{text} is not valid base64") from None
        return raw.decode("utf-8", errors="replace")
    encoded = _base64.b64encode(text.encode("utf-8")).decode("ascii")
    return encoded if padding else encoded.rstrip("=")


def url_encode(value: Any, *, decode: bool = False) -> str:
    """Java's ``URLEncoder``/``URLDecoder`` (form encoding: a space is ``+``), as WireMock uses."""
    text = to_text(value)
    if decode:
        return unquote_plus(text)
    return quote_plus(text, safe="*").replace("~", "%7E")


def regex_extract(text: Any, pattern: Any, *, all_groups: bool) -> Any:
    """The first match of ``pattern`` in ``text``, or the groups of every match (``all_groups``)."""
    regex = to_text(pattern)
    try:
        compiled = re.compile(regex)
    except re.error:
        raise HelperFailure(f"Invalid regex string {regex}") from None
    subject = to_text(text)
    if not all_groups:
        match = compiled.search(subject)
        if match is None:
            raise HelperFailure(f"Nothing matched {regex}")
        return match.group(0)
    groups = [g for m in compiled.finditer(subject) for g in m.groups()]
    if not groups:
        raise HelperFailure(f"Nothing matched {regex}")
    return ListOrSingle(groups)


def check_regex(pattern: str) -> None:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"the regular expression {pattern!r} is invalid: {exc}") from None


def size(value: Any) -> int | None:
    if isinstance(value, str | list | tuple | Mapping):
        return len(value)
    return None


def form_data(text: Any, *, url_decode: bool = False) -> dict[str, ListOrSingle]:
    """WireMock's ``formData``: ``a=1&b=2&b=3`` as fields with all their values."""
    fields: dict[str, list[str]] = {}
    for pair in to_text(text).split("&"):
        if not pair:
            continue
        name, _, value = pair.partition("=")
        if url_decode:
            name, value = unquote_plus(name), unquote_plus(value)
        fields.setdefault(name, []).append(value)
    return {k: ListOrSingle(v) for k, v in fields.items()}


def contains(container: Any, expected: Any) -> bool:
    if container is None or container is MISSING or expected is None or expected is MISSING:
        return False
    if isinstance(container, list | tuple):
        return expected in container
    return to_text(expected) in to_text(container)


def matches(value: Any, pattern: Any) -> bool:
    try:
        return re.fullmatch(to_text(pattern), to_text(value)) is not None
    except re.error:
        raise HelperFailure(f"Invalid regex string {to_text(pattern)}") from None


@functools.cache
def hostname() -> str:
    return socket.gethostname()


def java_string_format(fmt: str, args: Iterable[Any]) -> str:
    """Java's ``String.format`` for the common conversions (%s %d %f %.2f %x %n %%)."""
    values = list(args)
    position = 0

    def convert(match: re.Match[str]) -> str:
        nonlocal position
        spec, kind = match.group(1), match.group(2)
        if kind == "%":
            return "%"
        if kind == "n":
            return "\n"
        if position >= len(values):
            raise HelperFailure(f"stringFormat: the format {fmt!r} needs more arguments")
        value = values[position]
        position += 1
        if kind in "sS":
            text = ("%" + spec + "s") % to_text(value)
            return text.upper() if kind == "S" else text
        if kind == "b":
            return ("%" + spec + "s") % ("false" if value is None or value is False else "true")
        try:
            return ("%" + spec + kind) % (float(value) if kind in "feEgG" else int(value))
        except (TypeError, ValueError):
            raise HelperFailure(f"stringFormat: {to_text(value)!r} does not fit %{spec}{kind}") from None

    return re.sub(r"%([-#+ 0,(]*\d*(?:\.\d+)?)([sSdfeExXobgGn%])", convert, fmt)


# --- fake data (Faker) ------------------------------------------------------------------------------------

#: WireMock's faker extension names (Datafaker's ``Category.method``) -> Python Faker methods
FAKER_NAMES: dict[str, str] = {
    "name.firstname": "first_name",
    "name.lastname": "last_name",
    "name.fullname": "name",
    "name.name": "name",
    "name.namewithmiddle": "name",
    "name.prefix": "prefix",
    "name.suffix": "suffix",
    "name.title": "job",
    "name.username": "user_name",
    "address.city": "city",
    "address.cityname": "city",
    "address.country": "country",
    "address.countrycode": "country_code",
    "address.fulladdress": "address",
    "address.streetaddress": "street_address",
    "address.streetname": "street_name",
    "address.buildingnumber": "building_number",
    "address.secondaryaddress": "secondary_address",
    "address.zipcode": "postcode",
    "address.postcode": "postcode",
    "address.state": "state",
    "address.stateabbr": "state_abbr",
    "address.latitude": "latitude",
    "address.longitude": "longitude",
    "address.timezone": "timezone",
    "internet.emailaddress": "email",
    "internet.safeemailaddress": "safe_email",
    "internet.domainname": "domain_name",
    "internet.url": "url",
    "internet.ipv4address": "ipv4",
    "internet.ipv6address": "ipv6",
    "internet.macaddress": "mac_address",
    "internet.password": "password",
    "internet.uuid": "uuid4",
    "internet.slug": "slug",
    "internet.useragent": "user_agent",
    "internet.username": "user_name",
    "phonenumber.phonenumber": "phone_number",
    "phonenumber.cellphone": "phone_number",
    "company.name": "company",
    "company.industry": "bs",
    "company.catchphrase": "catch_phrase",
    "company.bs": "bs",
    "company.suffix": "company_suffix",
    "company.url": "url",
    "lorem.word": "word",
    "lorem.sentence": "sentence",
    "lorem.paragraph": "paragraph",
    "lorem.characters": "pystr",
    "number.digit": "random_digit",
    "number.randomdigit": "random_digit",
    "number.randomnumber": "random_number",
    "color.name": "color_name",
    "color.hex": "hex_color",
    "commerce.color": "color_name",
    "finance.creditcard": "credit_card_number",
    "finance.iban": "iban",
    "finance.bic": "swift",
    "business.creditcardnumber": "credit_card_number",
    "job.title": "job",
    "job.field": "job",
    "date.birthday": "date_of_birth",
    "code.isbn10": "isbn10",
    "code.isbn13": "isbn13",
    "code.ean13": "ean13",
    "currency.code": "currency_code",
    "currency.name": "currency_name",
    "bool.bool": "pybool",
    "idnumber.ssnvalid": "ssn",
    "idnumber.valid": "ssn",
    "crypto.md5": "md5",
    "crypto.sha1": "sha1",
    "crypto.sha256": "sha256",
    "country.name": "country",
    "country.countrycode2": "country_code",
    "file.filename": "file_name",
    "file.mimetype": "mime_type",
}
#: Faker methods that return bulky or binary data, or change the generator: never from a template
_FAKER_REFUSED = frozenset(
    {
        "binary",
        "tar",
        "zip",
        "image",
        "xml",
        "csv",
        "tsv",
        "psv",
        "dsv",
        "json",
        "json_bytes",
        "fixed_width",
        "seed",
        "seed_instance",
        "seed_locale",
        "add_provider",
        "get_providers",
        "provider",
        "format",
        "parse",
        "set_formatter",
        "get_formatter",
        "set_arguments",
        "get_arguments",
        "del_arguments",
        "enum",
        "pyobject",
        "pystruct",
        "pyiterable",
        "pylist",
        "pyset",
        "pytuple",
        "pydict",
    }
)
_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")


@functools.cache
def _faker() -> Any:
    from faker import Faker

    return Faker()


@functools.cache
def _faker_methods() -> frozenset[str]:
    faker = _faker()
    names = set()
    for provider in faker.get_providers():
        for name in dir(provider):
            if not name.startswith("_") and name not in _FAKER_REFUSED and callable(getattr(provider, name, None)):
                names.add(name)
    return frozenset(names)


@functools.lru_cache(maxsize=512)
def faker_method(key: str) -> str:
    """The Faker method for ``key``: WireMock's ``'Name.firstName'`` or Faker's own ``'first_name'``.

    Raises ValueError with suggestions when nothing fits. Imports Faker (slow) on first call.
    """
    cleaned = key.strip()
    parts = cleaned.split(".")
    mapped = FAKER_NAMES.get(".".join(parts[:2]).lower().replace("_", "")) if len(parts) >= 2 else None
    candidates = [mapped] if mapped else []
    method = parts[1] if len(parts) >= 2 else parts[0]
    candidates.append(_CAMEL.sub(r"_\1", method).lower())
    available = _faker_methods()
    for candidate in candidates:
        if candidate in available:
            return candidate
    import difflib

    near = difflib.get_close_matches(candidates[-1], sorted(available), n=3)
    hint = f"; did you mean {', '.join(repr(n) for n in near)}?" if near else ""
    raise ValueError(
        f"the fake data key {key!r} is unknown: use a WireMock name such as 'Name.firstName' or "
        f"a Python Faker method such as 'first_name'{hint}"
    )


def fake(key: Any) -> str:
    """Fake data from the Faker library: ``fake('Name.firstName')`` or ``fake('first_name')``."""
    try:
        method = faker_method(to_text(key))
    except ValueError as exc:
        raise HelperFailure(str(exc)) from None
    value = getattr(_faker(), method)()
    if isinstance(value, _dt.date | _dt.datetime):
        return value.isoformat()
    return to_text(value) if isinstance(value, str | int | float | bool) else str(value)
