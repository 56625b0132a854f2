"""WireMock's Handlebars helpers: handlebars.java's built-in, conditional, string and number helpers and
WireMock's own, adapting the helper families (:mod:`mockpit._templating.helpers`) to Handlebars' calling
convention: a helper gets one :class:`Options`.

The helpers WireMock has that mockpit refuses or lacks are in :data:`UNSUPPORTED_HELPERS`, with what to
use instead; :func:`check_literals` finds at load what would fail on every request.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Mapping
from typing import Any

from mockpit._matching.xml import compile_xpath
from mockpit._templating.context import PathView, TemplateContext
from mockpit._templating.errors import HelperFailure, TemplateError
from mockpit._templating.helpers.arguments import as_int
from mockpit._templating.helpers.dates import (
    UTC,
    RenderableDate,
    check_date_format,
    check_truncation,
    compile_date_pattern,
    date,
    java_date_format,
    now,
    parse_date,
    parse_offset,
    truncate_date,
    zone,
)
from mockpit._templating.helpers.fake_data import fake, faker_method
from mockpit._templating.helpers.json_docs import (
    check_json_path,
    format_json,
    json_array_add,
    json_merge,
    json_path,
    json_remove,
    parse_json,
    to_json,
)
from mockpit._templating.helpers.random_values import (
    RANDOM_TYPES,
    pick_random,
    random_decimal,
    random_int,
    random_value,
)
from mockpit._templating.helpers.text import (
    MATH_OPERATORS,
    base64_text,
    check_regex,
    contains,
    form_data,
    hostname,
    java_string_format,
    matches,
    math_operation,
    number_range,
    regex_extract,
    size,
    url_encode,
)
from mockpit._templating.helpers.xml_docs import format_xml, x_path
from mockpit._templating.values import (
    MISSING,
    JsonList,
    JsonObject,
    ListOrSingle,
    SafeString,
    TemplateObject,
    is_empty,
    step,
    to_text,
    wrap_json,
)

from .scope import Scope
from .syntax import Literal


class Options:
    """What a helper gets: its arguments, the hash, the block (``fn``/``inverse``) and the scope."""

    __slots__ = ("args", "block", "block_params", "hash", "name", "program", "reverse", "scope")

    def __init__(
        self,
        name: str,
        scope: Scope,
        args: list[Any],
        hash: dict[str, Any],
        program: Callable[[Scope], str] | None,
        reverse: Callable[[Scope], str] | None,
        block_params: list[str],
    ) -> None:
        self.name = name
        self.scope = scope
        self.args = args
        self.hash = hash
        self.program = program
        self.reverse = reverse
        self.block_params = block_params
        self.block = program is not None

    @property
    def this(self) -> Any:
        return self.scope.value

    def arg(self, index: int, default: Any = None) -> Any:
        return self.args[index] if index < len(self.args) else default

    def option(self, name: str, default: Any = None) -> Any:
        value = self.hash.get(name, default)
        return default if value is None else value

    def fn(self, context: Any = MISSING, *, data: dict[str, Any] | None = None, params: list[Any] | None = None) -> str:
        if self.program is None:
            return ""
        return self.program(self._child(context, data, params))

    def inverse(self, context: Any = MISSING) -> str:
        if self.reverse is None:
            return ""
        return self.reverse(self._child(context, None, None))

    def _child(self, context: Any, data: dict[str, Any] | None, params: list[Any] | None) -> Scope:
        if context is MISSING and data is None and not params:
            return self.scope
        named = dict(zip(self.block_params, params, strict=False)) if params and self.block_params else None
        value = self.scope.value if context is MISSING else context
        return Scope(value, self.scope, data, named, self.scope.render)

    def assign(self, name: Any, value: Any) -> None:
        self.scope.render.variables[to_text(name)] = value

    @property
    def context(self) -> TemplateContext:
        return self.scope.render.context


Helper = Callable[[Options], Any]


def _string_helper(transform: Callable[[Any, Options], Any]) -> Helper:
    """handlebars.java's StringHelpers: an empty value gives the first argument after it (or nothing)."""

    def helper(o: Options) -> Any:
        value = o.arg(0)
        if is_empty(value):
            fallback = o.arg(1)
            return None if fallback is None else to_text(fallback)
        return transform(value, o)

    return helper


def _conditional(test: Callable[[Options], bool]) -> Helper:
    def helper(o: Options) -> Any:
        result = test(o)
        if o.block:
            return o.fn() if result else o.inverse()
        return o.option("yes", True) if result else o.option("no", False)

    return helper


def _equals(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, ListOrSingle) != isinstance(b, ListOrSingle):
        return False  # several values are not one value (WireMock: index them to compare)
    if isinstance(a, str) != isinstance(b, str) and (isinstance(a, int | float) or isinstance(b, int | float)):
        return False  # Java: "1" is not 1
    if isinstance(a, RenderableDate) and isinstance(b, RenderableDate):
        return a._instant == b._instant
    return bool(a == b)


def _compare(o: Options) -> int:
    a, b = o.arg(0), o.arg(1)
    numbers = isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool)
    if isinstance(a, RenderableDate) and isinstance(b, RenderableDate):
        a, b = a._instant, b._instant
    elif not numbers and not (isinstance(a, str) and isinstance(b, str)):
        try:
            a, b = float(to_text(a)), float(to_text(b))
        except ValueError:
            raise TemplateError(
                f"{o.name} compares two numbers, two texts or two dates; got {to_text(a)!r} and {to_text(b)!r}"
            ) from None
    return int(a > b) - int(a < b)


def _h_if(o: Options) -> Any:
    truthy = not is_empty(o.arg(0))
    if o.block:
        return o.fn() if truthy else o.inverse()
    return o.arg(1, "") if truthy else o.arg(2, "")


def _h_unless(o: Options) -> Any:
    truthy = not is_empty(o.arg(0))
    if o.block:
        return o.inverse() if truthy else o.fn()
    return o.arg(2, "") if truthy else o.arg(1, "")


def _entries(value: Any) -> list[tuple[Any, Any]] | None:
    if isinstance(value, PathView):
        return list(enumerate(value))
    if isinstance(value, TemplateObject):
        return [(k, value._lookup(k)) for k in value._keys()]
    if isinstance(value, JsonObject | JsonList):
        items = value.items() if isinstance(value, dict) else enumerate(value)
        return [(k, wrap_json(v)) for k, v in items]
    if isinstance(value, Mapping):
        return list(value.items())
    if isinstance(value, list | tuple):
        return list(enumerate(value))
    return None


def _h_each(o: Options) -> Any:
    value = o.arg(0) if o.args else o.this
    entries = _entries(value)
    if not entries:
        return o.inverse()
    last = len(entries) - 1
    out = []
    for i, (key, item) in enumerate(entries):
        data = {"index": i, "key": key, "first": i == 0, "last": i == last, "odd": i % 2 == 1, "even": i % 2 == 0}
        out.append(o.fn(item, data=data, params=[item, key]))
    return SafeString("".join(out))


def _h_with(o: Options) -> Any:
    value = o.arg(0)
    if is_empty(value):
        return o.inverse()
    return o.fn(value, params=[value])


def _h_lookup(o: Options) -> Any:
    target, key = o.arg(0), o.arg(1)
    if key is None:
        return None
    name = to_text(key)
    found = step(target, name)
    if found is MISSING and "." in name:
        found = target
        for part in name.split("."):
            found = step(found, part)
            if found is MISSING:
                break
    return None if found is MISSING else found


def _h_assign(o: Options) -> Any:
    o.assign(o.arg(0), o.fn().strip())
    return None


def _h_val(o: Options) -> Any:
    value = o.arg(0)
    if value is None:
        value = o.hash.get("or", o.hash.get("default"))
    if "assign" in o.hash and o.hash["assign"] is not None:
        o.assign(o.hash["assign"], value)
        return None
    return value


def _h_json_path(o: Options) -> Any:
    return json_path(o.context, o.arg(0), o.arg(1), o.hash.get("default", MISSING))


def _h_xpath(prefix: str) -> Helper:
    def helper(o: Options) -> Any:
        return x_path(o.context, o.arg(0), o.arg(1), prefix)

    return helper


def _h_parse_json(o: Options) -> Any:
    if o.block:
        text: Any = o.fn()
        variable = o.arg(0)
    else:
        if not o.args:
            raise HelperFailure("Missing required JSON string parameter")
        text, variable = o.arg(0), o.arg(1)
    value = parse_json(text)
    if variable is not None:
        o.assign(variable, value)
        return None
    return value


def _h_regex_extract(o: Options) -> Any:
    variable = o.arg(2)
    try:
        value = regex_extract(o.arg(0), o.arg(1), all_groups=variable is not None)
    except HelperFailure:
        if "default" in o.hash:
            return o.hash["default"]
        raise
    if variable is not None:
        o.assign(variable, value)
        return None
    return value


def _h_form_data(o: Options) -> Any:
    value = form_data(o.arg(0), url_decode=o.hash.get("urlDecode") is True)
    if o.arg(1) is not None:
        o.assign(o.arg(1), value)
        return None
    return value


def _block_or_arg(o: Options) -> Any:
    return o.fn() if o.block else o.arg(0)


def _h_contains(o: Options) -> Any:
    if len(o.args) < 2:
        raise HelperFailure("You must specify the string or array to be matched and the regular expression")
    result = contains(o.arg(0), o.arg(1))
    if o.block:
        return o.fn() if result else ""
    return result


def _h_matches(o: Options) -> Any:
    if len(o.args) < 2:
        raise HelperFailure("You must specify the string to be matched and the regular expression")
    result = matches(o.arg(0), o.arg(1))
    if o.block:
        return o.fn() if result else ""
    return result


def _h_pick_random(o: Options) -> Any:
    first = o.arg(0)
    items = list(first) if isinstance(first, list | tuple) and len(o.args) == 1 else list(o.args)
    return pick_random(items, o.hash.get("count"))


def _array_position(o: Options) -> int | None:
    spec = o.hash.get("position", "end")
    text = to_text(spec).lower()
    if text == "start":
        return 0
    if text == "end":
        return None
    try:
        return int(text)
    except ValueError:
        raise HelperFailure("position must be 'start', 'end' or an integer") from None


def _h_array_add(o: Options) -> Any:
    base = o.arg(0)
    if base is None:
        return []
    if len(o.args) < 2:
        raise HelperFailure("Missing required parameter: additional value to add to list")
    items = list(base) if isinstance(base, list | tuple) else [base]
    position = _array_position(o)
    if position is None:
        items.append(o.arg(1))
    else:
        items.insert(position, o.arg(1))
    return items


def _h_array_remove(o: Options) -> Any:
    base = o.arg(0)
    if base is None:
        return []
    items = list(base) if isinstance(base, list | tuple) else [base]
    if not items:
        return items
    position = _array_position(o)
    index = len(items) - 1 if position is None else position
    if 0 <= index < len(items):
        del items[index]
    return items


def _h_array_join(o: Options) -> Any:
    separator = o.arg(0)
    if not isinstance(separator, str):
        raise HelperFailure("Separator parameter must be a String")
    rest = o.args[1:]
    items = list(rest[0]) if len(rest) == 1 and isinstance(rest[0], list | tuple) else list(rest)
    if not items:
        return ""
    if o.block:
        body = separator.join(o.fn(item, params=[item]) for item in items)
    else:
        body = separator.join(to_text(item) for item in items)
    return to_text(o.hash.get("prefix", "")) + body + to_text(o.hash.get("suffix", ""))


def _h_join(o: Options) -> Any:
    value = o.arg(0)
    if is_empty(value):
        return ""
    if len(o.args) < 2 or not isinstance(o.args[-1], str):
        raise TemplateError("join needs a separator as its last argument: {{join list ', '}}")
    separator = o.args[-1]
    items = list(value) if isinstance(value, list | tuple) and len(o.args) == 2 else o.args[:-1]
    return (
        to_text(o.hash.get("prefix", ""))
        + separator.join(to_text(i) for i in items)
        + to_text(o.hash.get("suffix", ""))
    )


def _h_split(o: Options) -> Any:
    value = o.arg(0)
    if value is None:
        return []
    separator = o.arg(1, ",")
    return to_text(value).split(to_text(separator))


def _h_date_format(o: Options) -> Any:
    value = o.arg(0)
    if not isinstance(value, RenderableDate):
        raise TemplateError(f"dateFormat needs a date (from now, parseDate ...), got {to_text(value)!r}")
    pattern = to_text(o.arg(1, o.hash.get("format", "medium")))
    styles = {"full": "EEEE, MMMM d, yyyy", "long": "MMMM d, yyyy", "medium": "MMM d, yyyy", "short": "M/d/yy"}
    instant = value._instant
    tz = o.hash.get("tz")
    instant = instant.astimezone(zone(to_text(tz)) if tz is not None else UTC)
    return java_date_format(styles.get(pattern, pattern), instant)


def _capitalize(value: Any, o: Options) -> str:
    words = re.split(r"(\s+)", to_text(value))
    fully = o.hash.get("fully") is True
    return "".join(w if not w or w.isspace() else w[0].upper() + (w[1:].lower() if fully else w[1:]) for w in words)


def _abbreviate(value: Any, o: Options) -> str:
    text = to_text(value)
    width = as_int(o.arg(1), "width")
    if width < 4:
        raise TemplateError(f"abbreviate needs a width of at least 4, got {width}")
    return text if len(text) <= width else text[: width - 3] + "..."


def _substring(value: Any, o: Options) -> str:
    text = to_text(value)
    start = as_int(o.arg(1), "start")
    end = as_int(o.arg(2, len(text)), "end")
    if not 0 <= start <= end <= len(text):
        raise TemplateError(f"substring {start}..{end} is outside the text of length {len(text)}")
    return text[start:end]


def _pad(kind: str) -> Callable[[Any, Options], str]:
    def pad(value: Any, o: Options) -> str:
        size = o.hash.get("size")
        if size is None:
            raise TemplateError(f"{kind} needs size=: {{{{{kind} value size=20}}}}")
        width = as_int(size, "size")
        filler = to_text(o.hash.get("pad", " ")) or " "
        text = to_text(value)
        missing = max(0, width - len(text))
        if kind == "ljust":
            return text + (filler * missing)[:missing]
        if kind == "rjust":
            return (filler * missing)[:missing] + text
        left = missing // 2
        return (filler * left)[:left] + text + (filler * (missing - left))[: missing - left]

    return pad


def _yesno(o: Options) -> Any:
    value = o.arg(0)
    if value is None:
        return o.hash.get("maybe", "maybe")
    if not isinstance(value, bool):
        raise TemplateError(f"yesno needs true or false, got {to_text(value)!r}")
    return o.hash.get("yes", "yes") if value else o.hash.get("no", "no")


def _number_helper(parity: int, default: str) -> Helper:
    def helper(o: Options) -> Any:
        value = o.arg(0)
        if isinstance(value, int) and not isinstance(value, bool) and value % 2 == parity:
            return o.arg(1, default)
        return None

    return helper


def _stripes(o: Options) -> Any:
    value = as_int(o.arg(0), "index")
    return o.arg(1, "even") if value % 2 == 0 else o.arg(2, "odd")


def _no_op(o: Options) -> Any:
    return None


HELPERS: dict[str, Helper] = {
    # handlebars built-ins
    "if": _h_if,
    "unless": _h_unless,
    "each": _h_each,
    "with": _h_with,
    "lookup": _h_lookup,
    "log": _no_op,
    # handlebars.java ConditionalHelpers
    "eq": _conditional(lambda o: _equals(o.arg(0), o.arg(1))),
    "neq": _conditional(lambda o: not _equals(o.arg(0), o.arg(1))),
    "gt": _conditional(lambda o: _compare(o) > 0),
    "gte": _conditional(lambda o: _compare(o) >= 0),
    "lt": _conditional(lambda o: _compare(o) < 0),
    "lte": _conditional(lambda o: _compare(o) <= 0),
    "and": _conditional(lambda o: bool(o.args) and all(not is_empty(a) for a in o.args)),
    "or": _conditional(lambda o: any(not is_empty(a) for a in o.args)),
    "not": _conditional(lambda o: is_empty(o.arg(0))),
    # handlebars.java NumberHelper and AssignHelper
    "isEven": _number_helper(0, "even"),
    "isOdd": _number_helper(1, "odd"),
    "stripes": _stripes,
    "assign": _h_assign,
    # handlebars.java StringHelpers
    "capitalizeFirst": _string_helper(lambda v, o: to_text(v)[:1].upper() + to_text(v)[1:]),
    "capitalize": _string_helper(_capitalize),
    "center": _string_helper(_pad("center")),
    "ljust": _string_helper(_pad("ljust")),
    "rjust": _string_helper(_pad("rjust")),
    "cut": _string_helper(lambda v, o: to_text(v).replace(to_text(o.arg(1, " ")), "")),
    "defaultIfEmpty": lambda o: to_text(o.arg(1, "")) if is_empty(o.arg(0)) else to_text(o.arg(0)),
    "join": _h_join,
    "substring": _string_helper(_substring),
    "lower": _string_helper(lambda v, o: to_text(v).lower()),
    "upper": _string_helper(lambda v, o: to_text(v).upper()),
    "slugify": _string_helper(
        lambda v, o: "".join(
            c.lower() if c.isalpha() else "-" for c in to_text(v).strip() if c.isalpha() or c.isspace()
        )
    ),
    "stringFormat": _string_helper(lambda v, o: java_string_format(to_text(v), o.args[1:])),
    "stripTags": _string_helper(lambda v, o: re.sub(r"<[^>]*>", "", to_text(v), flags=re.DOTALL)),
    "abbreviate": _string_helper(_abbreviate),
    "wordWrap": _string_helper(
        lambda v, o: textwrap.fill(
            to_text(v), as_int(o.arg(1), "length"), break_long_words=False, break_on_hyphens=False
        )
    ),
    "replace": _string_helper(lambda v, o: to_text(v).replace(to_text(o.arg(1, "")), to_text(o.arg(2, "")))),
    "yesno": _yesno,
    "dateFormat": _h_date_format,
    # WireMock's helpers
    "jsonPath": _h_json_path,
    "xPath": _h_xpath(""),
    "soapXPath": _h_xpath("/Envelope/Body/"),
    "randomValue": lambda o: random_value(
        o.option("length", 36), o.option("type", "ALPHANUMERIC"), o.option("uppercase", False)
    ),
    "randomInt": lambda o: random_int(o.hash.get("lower"), o.hash.get("upper")),
    "randomDecimal": lambda o: random_decimal(o.hash.get("lower"), o.hash.get("upper")),
    "pickRandom": _h_pick_random,
    "hostname": lambda o: hostname(),
    "now": lambda o: now(o.hash.get("offset"), o.hash.get("format"), o.hash.get("timezone")),
    "date": lambda o: date(o.arg(0), o.hash.get("offset"), o.hash.get("format"), o.hash.get("timezone")),
    "parseDate": lambda o: parse_date(o.arg(0), o.hash.get("format")),
    "truncateDate": lambda o: truncate_date(o.arg(0), o.arg(1)),
    "trim": lambda o: to_text(_block_or_arg(o)).strip(),
    "base64": lambda o: base64_text(
        _block_or_arg(o), decode=o.hash.get("decode") is True, padding=o.hash.get("padding") is not False
    ),
    "urlEncode": lambda o: url_encode(_block_or_arg(o), decode=o.hash.get("decode") is True),
    "formData": _h_form_data,
    "regexExtract": _h_regex_extract,
    "size": lambda o: size(o.arg(0)),
    "range": lambda o: number_range(o.arg(0), o.arg(1)),
    "array": lambda o: list(o.args),
    "arrayAdd": _h_array_add,
    "arrayRemove": _h_array_remove,
    "arrayJoin": _h_array_join,
    "split": _h_split,
    "parseJson": _h_parse_json,
    "toJson": lambda o: to_json(o.arg(0)),
    "formatJson": lambda o: format_json(_block_or_arg(o), o.hash.get("format")),
    "formatXml": lambda o: format_xml(_block_or_arg(o), o.hash.get("format")),
    "jsonArrayAdd": lambda o: json_array_add(
        o.arg(0),
        o.fn() if o.block else o.arg(1),
        json_path=o.hash.get("jsonPath"),
        flatten=o.hash.get("flatten", False),
        max_items=o.hash.get("maxItems"),
    ),
    "jsonMerge": lambda o: json_merge(o.arg(0), o.fn() if o.block else o.arg(1)),
    "jsonRemove": lambda o: json_remove(o.arg(0), o.arg(1)),
    "matches": _h_matches,
    "contains": _h_contains,
    "math": lambda o: math_operation(o.arg(0), o.arg(1), o.arg(2)),
    "val": _h_val,
    "random": lambda o: fake(o.arg(0)),
}
HELPERS["maths"] = HELPERS["math"]

#: helpers WireMock has that mockpit refuses or lacks, with what to do instead
UNSUPPORTED_HELPERS = {
    "systemValue": "mockpit templates have no access to environment variables or system properties; "
    "put the value in transformerParameters and use {{parameters.NAME}}",
    "numberFormat": "numberFormat is not supported by mockpit yet; format the number with math, or in a Python handler",
    "jwt": "JWT helpers are not supported by mockpit yet; use a Python handler",
    "jwks": "JWT helpers are not supported by mockpit yet; use a Python handler",
    "jsonSort": "jsonSort is not supported by mockpit yet",
    "i18n": "i18n is not supported by mockpit",
    "i18nJs": "i18n is not supported by mockpit",
    "block": "partials are not supported by mockpit",
    "partial": "partials are not supported by mockpit",
    "embedded": "embedded templates are not supported by mockpit",
    "precompile": "precompile is not supported by mockpit",
}


def _literal_text(expr: Any) -> str | None:
    return expr.value if isinstance(expr, Literal) and isinstance(expr.value, str) else None


def check_literals(name: str, params: list[Any], hash: dict[str, Any]) -> None:
    """Find at load what would fail on every request: a bad JSONPath, regex, date format, offset ..."""
    if name in ("jsonPath",) and len(params) > 1 and (path := _literal_text(params[1])) is not None:
        check_json_path(path)
    if name in ("xPath", "soapXPath") and len(params) > 1 and (xp := _literal_text(params[1])) is not None:
        compile_xpath(("/Envelope/Body/" if name == "soapXPath" else "") + xp, selects_nodes=False)
    if name in ("regexExtract", "matches") and len(params) > 1 and (rx := _literal_text(params[1])) is not None:
        check_regex(rx)
    if name in ("now", "date", "parseDate"):
        if (fmt := _literal_text(hash.get("format"))) is not None and name != "parseDate":
            check_date_format(fmt)
        if (
            (fmt := _literal_text(hash.get("format"))) is not None
            and name == "parseDate"
            and fmt.lower()
            not in (
                "unix",
                "epoch",
            )
        ):
            compile_date_pattern(fmt)
        if (offset := _literal_text(hash.get("offset"))) is not None:
            parse_offset(offset)
        if (tz := _literal_text(hash.get("timezone"))) is not None:
            zone(tz)
    if name == "truncateDate" and len(params) > 1 and (t := _literal_text(params[1])) is not None:
        check_truncation(t)
    if name == "randomValue" and (kind := _literal_text(hash.get("type"))) is not None and kind not in RANDOM_TYPES:
        raise ValueError(f"randomValue type {kind!r} is not one of {', '.join(RANDOM_TYPES)}")
    if (
        name in ("math", "maths")
        and len(params) > 1
        and (op := _literal_text(params[1])) not in (None, *MATH_OPERATORS)
    ):
        raise ValueError(f"{op!r} is not a math operator; use one of {' '.join(MATH_OPERATORS)}")
    if name == "random" and params and (key := _literal_text(params[0])) is not None:
        faker_method(key)  # imports Faker now, at load, so that no request waits for it
