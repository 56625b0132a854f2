"""What templates see: the kinds of value they reach, and how values turn into text and JSON.

Both template syntaxes share these. Everything a template can reach is one of: ``None``, ``bool``,
``int``, ``float``, ``str``, ``list``, ``dict`` or a :class:`TemplateObject` below. Handlebars steps
into values only through :func:`step` (dict keys, list indexes, and the keys a :class:`TemplateObject`
lists), never through Python attributes, so ``{{request.__class__}}`` finds nothing. Jinja reaches
the same objects through its sandbox; their internals are ``_``-prefixed, which the sandbox refuses.

Text follows WireMock (that is, Java): ``true``/``false``, ``1.0`` for a whole float, ``[a, b]`` for a
list and ``{k=v}`` for a map, because existing WireMock mappings were written against that output.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

#: exact type -> its ``_lookup``, for :func:`step`
_LOOKUPS: dict[type, Any] = {}


class Missing:
    """Nothing found: renders as empty text, is falsy."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Any = Missing()


# --- values with WireMock's rendering --------------------------------------------------------------------


class TemplateObject(Mapping[str, Any]):
    """A value with named parts a template may read: the request, its headers, a date ...

    Only the names ``_keys()`` gives are reachable, through ``_lookup`` (Handlebars) or ``[name]``
    (Jinja, whose sandbox hides the ``_``-prefixed internals).
    """

    __slots__ = ()

    def __init_subclass__(cls) -> None:
        # step() dispatches on the exact type: an ABC isinstance check per path step is too slow
        _LOOKUPS[cls] = cls._lookup

    def _lookup(self, name: str) -> Any:
        return MISSING

    def _keys(self) -> list[str]:
        return []

    def _text(self) -> str:
        return ""

    def __getitem__(self, name: str) -> Any:
        value = self._lookup(name) if isinstance(name, str) else self._lookup(str(name))
        if value is MISSING:
            raise KeyError(name)
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys())

    def __len__(self) -> int:
        return len(self._keys())

    def __str__(self) -> str:
        return self._text()

    def __repr__(self) -> str:
        return self._text()

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other


class ListOrSingle(list[Any]):
    """WireMock's one-or-many value (query parameters, headers, cookies): renders as its first value.

    ``.first``, ``.last`` and ``.[n]`` reach the others; ``.[-1]`` is the one before the last, as in
    WireMock (whose documentation shows exactly that).
    """

    __slots__ = ()

    def __str__(self) -> str:
        return to_text(self[0]) if self else ""

    # Jinja compares and reads these as the value they print as: request.query.page == '2'
    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            return str(self) == other
        return list.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = None

    @property
    def first(self) -> Any:
        return self[0] if self else None

    @property
    def last(self) -> Any:
        return self[-1] if self else None

    def _lookup(self, name: str) -> Any:
        if name == "first":
            return self[0] if self else MISSING
        if name == "last":
            return self[-1] if self else MISSING
        index = as_index(name)
        if index is None:
            return MISSING
        if index < 0:
            index = len(self) - 1 + index
        return self[index] if 0 <= index < len(self) else MISSING


_LOOKUPS[ListOrSingle] = ListOrSingle._lookup


class JsonObject(dict[str, Any]):
    """A JSON object taken from a document by a helper: renders as compact JSON."""

    __slots__ = ()

    def __str__(self) -> str:
        return write_json(self)


class JsonList(list[Any]):
    """A JSON array taken from a document by a helper: renders as compact JSON."""

    __slots__ = ()

    def __str__(self) -> str:
        return write_json(self)


class JsonMap(JsonObject):
    """The object ``jsonPath`` selected: renders as indented JSON (WireMock prints it so)."""

    __slots__ = ()

    def __str__(self) -> str:
        return write_json(self, pretty=True)


class SafeString(str):
    """Text a helper built that must not be HTML-escaped again (only matters with escaping on)."""

    __slots__ = ()


class FalseWithReason(SafeString):
    """A helper's false answer that prints why: ``matches`` whose pattern ran past its time budget is no
    match to ``{{#if}}`` (and Jinja's ``if``), and prints ``[ERROR: ...]`` where its output goes."""

    __slots__ = ()

    def __bool__(self) -> bool:
        return False


def wrap_json(value: Any) -> Any:
    """``value`` from a JSON document, with containers marked so they render as JSON."""
    t = type(value)
    if t is dict:
        return JsonObject(value)
    if t is list:
        return JsonList(value)
    return value


def as_index(name: str) -> int | None:
    if name.isdigit() or (name[:1] == "-" and name[1:].isdigit()):
        return int(name)
    return None


def step(value: Any, name: str) -> Any:
    """``value.name`` in a template: a dict key, a list index or a TemplateObject part; else MISSING."""
    t = type(value)
    if t is dict:
        return value.get(name, MISSING)
    lookup = _LOOKUPS.get(t)
    if lookup is not None:
        return lookup(value, name)
    if isinstance(value, TemplateObject | ListOrSingle):
        return value._lookup(name)
    if isinstance(value, dict):  # JsonObject, JsonMap
        return wrap_json(value.get(name, MISSING))
    if isinstance(value, list | tuple):
        if name in ("length", "size"):
            return len(value)
        index = as_index(name)
        if index is None or not -len(value) <= index < len(value):
            return MISSING
        item = value[index]
        return wrap_json(item) if isinstance(value, JsonList) else item
    return MISSING


def unwrap(value: Any) -> Any:
    """A single-valued ListOrSingle as its value: WireMock does this to every helper argument."""
    if type(value) is ListOrSingle and len(value) == 1:
        return value[0]
    return value


def is_empty(value: Any) -> bool:
    """Handlebars' falsiness: None, false, "", 0, an empty list. Maps are always true, as in Handlebars."""
    if value is None or value is False or value is MISSING:
        return True
    if value is True:
        return False
    if isinstance(value, str):
        return not value
    if isinstance(value, int | float):
        return value == 0
    if isinstance(value, list | tuple):
        return not value
    return False


def to_text(value: Any) -> str:
    """How a value prints in a Handlebars template (Java's ``toString`` as WireMock shows it)."""
    t = type(value)
    if t is str:
        return value  # type: ignore[no-any-return]
    if value is None or value is MISSING:
        return ""
    if t is bool:
        return "true" if value else "false"
    if t is int:
        return str(value)
    if t is float:
        return java_double(value)
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, TemplateObject | ListOrSingle | JsonObject | JsonList):
        return str(value)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{to_text(k)}={_element_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_element_text(v) for v in value) + "]"
    return ""  # anything else is not ours to print (never a Python repr)


def _element_text(value: Any) -> str:
    return "null" if value is None else to_text(value)


def java_double(value: float) -> str:
    """``Double.toString``: ``1.0``, ``0.5``, ``1.0E10``, ``1.0E-5`` (shortest digits that round-trip)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    number = Decimal(repr(value))
    if 1e-3 <= abs(value) < 1e7:
        text = format(number, "f")
        return text if "." in text else text + ".0"
    sign, digits, _ = number.normalize().as_tuple()
    shown = "".join(map(str, digits))
    return f"{'-' if sign else ''}{shown[0]}.{shown[1:] or '0'}E{number.adjusted()}"


_HTML_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;", "`": "&#x60;", "=": "&#x3D;"}
)


def escape_html(text: str) -> str:
    """Handlebars' HTML escaping (WireMock 2's default; WireMock 3 turned it off)."""
    return text.translate(_HTML_ESCAPES)


# --- JSON text as WireMock writes it ----------------------------------------------------------------------


def write_json(value: Any, *, pretty: bool = False) -> str:
    """JSON text: compact, or indented the way WireMock's Jackson does (``"k" : v``, ``[ 1, 2 ]``)."""
    out: list[str] = []
    _write(value, out, pretty, 0)
    return "".join(out)


def _write(value: Any, out: list[str], pretty: bool, level: int) -> None:
    if value is None or value is MISSING:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, float):
        out.append(java_double(value) if math.isfinite(value) else "null")
    elif isinstance(value, ListOrSingle):
        if len(value) == 1:
            _write(value[0], out, pretty, level)
        else:
            _write(list(value), out, pretty, level)
    elif isinstance(value, str):
        out.append(json.dumps(str.__str__(value), ensure_ascii=False))
    elif isinstance(value, Mapping):
        items = list(value.items())
        if not items:
            out.append("{ }" if pretty else "{}")
            return
        if not pretty:
            out.append("{")
            for i, (k, v) in enumerate(items):
                if i:
                    out.append(",")
                out.append(json.dumps(to_text(k), ensure_ascii=False))
                out.append(":")
                _write(v, out, pretty, level)
            out.append("}")
            return
        indent = "\n" + "  " * (level + 1)
        out.append("{")
        for i, (k, v) in enumerate(items):
            out.append("," + indent if i else indent)
            out.append(json.dumps(to_text(k), ensure_ascii=False))
            out.append(" : ")
            _write(v, out, pretty, level + 1)
        out.append("\n" + "  " * level + "}")
    elif isinstance(value, list | tuple):
        if not value:
            out.append("[ ]" if pretty else "[]")
            return
        out.append("[ " if pretty else "[")
        for i, v in enumerate(value):
            if i:
                out.append(", " if pretty else ",")
            _write(v, out, pretty, level)
        out.append(" ]" if pretty else "]")
    else:
        out.append(json.dumps(to_text(value), ensure_ascii=False))
