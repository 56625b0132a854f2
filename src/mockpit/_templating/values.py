"""What templates see: the lazy request view, value wrappers and how values turn into text.

Both template syntaxes share these. Everything a template can reach is one of: ``None``, ``bool``,
``int``, ``float``, ``str``, ``list``, ``dict`` or a :class:`TemplateObject` below. Handlebars steps
into values only through :func:`step` (dict keys, list indexes, and the keys a :class:`TemplateObject`
lists), never through Python attributes, so ``{{request.__class__}}`` finds nothing. Jinja reaches
the same objects through its sandbox; their internals are ``_``-prefixed, which the sandbox refuses.

Text follows WireMock (that is, Java): ``true``/``false``, ``1.0`` for a whole float, ``[a, b]`` for a
list and ``{k=v}`` for a map, because existing WireMock mappings were written against that output.
"""

from __future__ import annotations

import base64
import calendar
import datetime as _dt
import json
import math
import re
import uuid
import weakref
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

if TYPE_CHECKING:
    from mockpit._model import Headers, Request, Response


class TemplateError(ValueError):
    """A template is wrong (at load) or could not be rendered (per request).

    The message says what is wrong, where (``line L, column C`` in the template) and how to fix it.
    """

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        self.line = line
        self.column = column
        #: the message without the position
        self.reason = message
        if line is None:
            super().__init__(message)
        elif column is None:
            super().__init__(f"line {line}: {message}")
        else:
            super().__init__(f"line {line}, column {column}: {message}")


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
        index = _as_index(name)
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


def wrap_json(value: Any) -> Any:
    """``value`` from a JSON document, with containers marked so they render as JSON."""
    t = type(value)
    if t is dict:
        return JsonObject(value)
    if t is list:
        return JsonList(value)
    return value


def _as_index(name: str) -> int | None:
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
        index = _as_index(name)
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


# --- the request, as templates see it ----------------------------------------------------------------------


class PathView(TemplateObject):
    """``request.path``: prints the (decoded) path; ``.[n]`` is a segment, ``.name`` a path variable."""

    __slots__ = ("_params", "_path", "_segments")

    def __init__(self, path: str, params: Mapping[str, str]) -> None:
        self._path = path
        self._segments = [s for s in path.split("/") if s]
        self._params = params

    def _lookup(self, name: str) -> Any:
        index = _as_index(name)
        if index is not None:
            return self._segments[index] if 0 <= index < len(self._segments) else MISSING
        return self._params.get(name, MISSING)

    def _keys(self) -> list[str]:
        return [str(i) for i in range(len(self._segments))] + list(self._params)

    def _text(self) -> str:
        return self._path

    def __getitem__(self, name: str | int) -> Any:
        return super().__getitem__(str(name))

    def __iter__(self) -> Iterator[str]:
        return iter(self._segments)  # {{#each request.path}} walks the segments

    def __len__(self) -> int:
        return len(self._segments)


class MultiMapView(TemplateObject):
    """Headers, query parameters, cookies: each name gives a :class:`ListOrSingle`."""

    __slots__ = ("_case_insensitive", "_items")

    def __init__(self, items: Mapping[str, list[str]], *, case_insensitive: bool = False) -> None:
        self._items = items
        self._case_insensitive = case_insensitive

    def _lookup(self, name: str) -> Any:
        values = self._items.get(name.lower() if self._case_insensitive else name)
        if values is None:
            return MISSING
        return ListOrSingle(values)

    def _keys(self) -> list[str]:
        return list(self._items)

    def _text(self) -> str:
        return to_text({k: ListOrSingle(v) for k, v in self._items.items()})


class HeadersView(TemplateObject):
    """Headers by case-insensitive name; listed in the case they were sent, sorted (WireMock's TreeMap)."""

    __slots__ = ("_headers",)

    def __init__(self, headers: Headers) -> None:
        self._headers = headers

    def _lookup(self, name: str) -> Any:
        values = self._headers.get_all(name)
        return ListOrSingle(values) if values else MISSING

    def _keys(self) -> list[str]:
        names: dict[str, str] = {}
        for name, _ in self._headers.multi_items():
            names.setdefault(name.lower(), name)
        return sorted(names.values(), key=str.lower)

    def _text(self) -> str:
        return to_text({name: self._lookup(name) for name in self._keys()})


class RequestView(TemplateObject):
    """``request`` (and a webhook's ``originalRequest``): every part computed on first use."""

    __slots__ = ("_context", "_request", "_values")

    KEYS = (
        "id",
        "url",
        "path",
        "pathSegments",
        "query",
        "method",
        "host",
        "port",
        "scheme",
        "baseUrl",
        "headers",
        "cookies",
        "body",
        "bodyAsBase64",
        "clientIp",
        "multipart",
    )

    def __init__(self, request: Request, context: TemplateContext) -> None:
        self._request = request
        # weakly: the context holds this view, and a cycle per request would leave every request's
        # objects to the cyclic collector (full collections of a busy journal: 40 ms p99 spikes)
        self._context = weakref.ref(context)
        self._values: dict[str, Any] = {}

    def _keys(self) -> list[str]:
        return list(self.KEYS)

    def _text(self) -> str:
        return ""

    def _lookup(self, name: str) -> Any:
        value = self._values.get(name, MISSING)
        if value is MISSING:
            compute = _REQUEST_PARTS.get(name)
            if compute is None:
                return MISSING
            value = self._values[name] = compute(self)
        return value

    @property
    def _host_and_port(self) -> tuple[str, int]:
        request = self._request
        host = request.headers.get("host", "")
        default_port = 443 if request.scheme in ("https", "wss") else 80
        if host.startswith("["):  # an IPv6 literal: [::1]:8080
            end = host.find("]") + 1
            name, port = host[:end], host[end + 1 :] if host[end : end + 1] == ":" else ""
        else:
            name, _, port = host.partition(":")
        return name, int(port) if port.isdigit() else default_port

    def _path_text(self) -> str:
        return unquote(self._request.path)


def _request_id(view: RequestView) -> str:
    context = view._context()
    return context.request_id if context is not None else str(uuid.uuid4())


def _base_url(view: RequestView) -> str:
    host, port = view._host_and_port
    scheme = view._request.scheme
    standard = (scheme == "http" and port == 80) or (scheme == "https" and port == 443)
    return f"{scheme}://{host}" if standard else f"{scheme}://{host}:{port}"


_REQUEST_PARTS: dict[str, Any] = {
    "id": _request_id,
    "url": lambda v: v._request.url,
    "path": lambda v: PathView(v._path_text(), v._request.path_params),
    "pathSegments": lambda v: PathView(v._path_text(), {}),
    "query": lambda v: MultiMapView(v._request.query),
    "method": lambda v: v._request.method,
    "host": lambda v: v._host_and_port[0],
    "port": lambda v: v._host_and_port[1],
    "scheme": lambda v: v._request.scheme,
    "baseUrl": _base_url,
    "headers": lambda v: HeadersView(v._request.headers),
    "cookies": lambda v: MultiMapView({k: [c] for k, c in v._request.cookies.items()}),
    "body": lambda v: v._request.text,
    "bodyAsBase64": lambda v: base64.b64encode(v._request.body).decode("ascii"),
    "clientIp": lambda v: v._request.client[0] if v._request.client else "",
    "multipart": lambda v: v._request.content_type.startswith("multipart/"),
}


class ResponseView(TemplateObject):
    """A webhook's ``originalResponse``: ``status``, ``headers``, ``body``."""

    __slots__ = ("_response", "_values")

    def __init__(self, response: Response) -> None:
        self._response = response
        self._values: dict[str, Any] = {}

    def _keys(self) -> list[str]:
        return ["status", "headers", "body", "bodyAsBase64"]

    def _lookup(self, name: str) -> Any:
        if name in self._values:
            return self._values[name]
        response = self._response
        value: Any
        if name == "status":
            value = response.status
        elif name == "headers":
            from mockpit._model import Headers

            value = HeadersView(Headers(response.headers))
        elif name == "body":
            value = response.text
        elif name == "bodyAsBase64":
            value = base64.b64encode(response.body).decode("ascii")
        else:
            return MISSING
        self._values[name] = value
        return value


class TemplateContext:
    """What one request's templates render with; cheap to make, every part computed on first use.

    The same context serves every template of a response (body, headers, file name), so the request
    body is decoded and parsed at most once for all of them.
    """

    __slots__ = ("__weakref__", "_request_id", "caches", "original_response", "parameters", "request", "root")

    def __init__(
        self,
        request: Request,
        parameters: Mapping[str, Any] | None = None,
        original_response: Response | None = None,
        request_id: str | None = None,
    ) -> None:
        self.request = request
        self.parameters = parameters
        self.original_response = original_response
        self._request_id = request_id
        #: per-request parse results shared by helpers (JSON and XML documents by their text)
        self.caches: dict[str, dict[Any, Any]] = {}
        view = RequestView(request, self)
        # templates cannot change what they are given (Handlebars has no way to, Jinja's sandbox is immutable)
        root: dict[str, Any] = {"request": view, "originalRequest": view, "parameters": parameters or {}}
        if original_response is not None:
            root["originalResponse"] = root["response"] = ResponseView(original_response)
        self.root = root

    @property
    def request_id(self) -> str:
        if self._request_id is None:
            self._request_id = str(uuid.uuid4())
        return self._request_id

    def cache(self, name: str) -> dict[Any, Any]:
        found = self.caches.get(name)
        if found is None:
            found = self.caches[name] = {}
        return found


# --- dates ---------------------------------------------------------------------------------------------------

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
