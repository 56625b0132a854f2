"""WireMock's Handlebars dialect: a parser and a compiler to Python closures.

Written by hand because no maintained Python Handlebars exists: pybars3 was last released in 2019 and
compiles templates to Python source that it ``exec``s, with no sandbox, so a mapping file could reach
anything. Here a template compiles once into nested closures; rendering walks only dicts, lists and
mockpit's own view objects (:func:`._template_values.step`), never Python attributes.

The dialect is handlebars.java's, which WireMock embeds, where it differs from handlebars.js:

- a name not found in the current context is looked up in the enclosing ones, then among the
  variables that ``assign``, ``val assign=``, ``parseJson``, ``regexExtract`` and ``formData`` set;
- lines holding only a block tag keep their whitespace (handlebars.java's default, not "standalone"
  removal); use ``~`` (``{{~#each}}``) to trim;
- ``{{x}}`` is not HTML-escaped, as in WireMock 3 (``escape_html=True`` gives WireMock 2's escaping);
- helpers receive one-valued query parameters, headers and cookies as the value itself (WireMock's
  "parameter normalising").

Supported: ``{{path}}``, ``{{{raw}}}``, ``{{& raw}}``, comments ``{{! }}`` / ``{{!-- --}}``, ``~`` whitespace
control, ``\\{{`` for a literal ``{{``, raw blocks ``{{{{raw}}}}...{{{{/raw}}}}``, paths ``a.b.[0]``,
``a.[x-y]``, ``a/b``, ``this``, ``../``, ``@index``/``@key``/``@first``/``@last``/``@root``, literals
(strings, numbers, true/false/null), sub-expressions, hash arguments, block parameters ``as |x i|``,
``{{else}}``, ``{{^}}``, ``{{else if ...}}`` chains, inverted sections ``{{^x}}``. Not supported (a
clear error at load): partials ``{{> x}}``, decorators and inline partials, and the helpers listed in
``UNSUPPORTED_HELPERS``. The helpers are listed in docs/templating.md.
"""

from __future__ import annotations

import difflib
import re
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

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
from mockpit._templating.helpers.xml_docs import compile_xpath, format_xml, x_path
from mockpit._templating.values import (
    MISSING,
    JsonList,
    JsonObject,
    ListOrSingle,
    SafeString,
    TemplateObject,
    escape_html,
    is_empty,
    step,
    to_text,
    unwrap,
    wrap_json,
)

# --- the syntax tree ----------------------------------------------------------------------------------------


@dataclass
class _Literal:
    value: Any


@dataclass
class _Path:
    original: str
    #: "context" (a name looked up through the enclosing contexts), "this", "parent", "data"
    kind: str
    parts: tuple[str, ...]
    depth: int = 0


@dataclass
class _Call:
    name: str
    params: list[Any]
    hash: dict[str, Any]
    pos: int


_Expr = _Literal | _Path | _Call


@dataclass
class _Mustache:
    expr: _Expr
    escaped: bool
    pos: int


@dataclass
class _Block:
    expr: _Expr
    program: list[Any]
    inverse: list[Any] | None
    block_params: list[str]
    inverted: bool
    pos: int


@dataclass
class _Tag:
    kind: str  # mustache, unescaped, open, inverse, close, else, comment, partial, decorator
    body: str
    pos: int
    strip_before: bool = False
    strip_after: bool = False
    #: where ``body`` starts in the source (for error positions)
    body_pos: int = 0


@dataclass
class _Text:
    text: str
    pos: int


def _line_col(source: str, pos: int) -> tuple[int, int]:
    line = source.count("\n", 0, pos) + 1
    column = pos - (source.rfind("\n", 0, pos) + 1) + 1
    return line, column


# --- tokenizer ----------------------------------------------------------------------------------------------

_COMMENT_LONG_END = re.compile(r"--(~?)\}\}")
_COMMENT_END = re.compile(r"(~?)\}\}")
_TRIPLE_END = re.compile(r"(~?)\}\}\}")


class _Tokenizer:
    def __init__(self, source: str) -> None:
        self.source = source

    def error(self, message: str, pos: int) -> TemplateError:
        line, column = _line_col(self.source, pos)
        return TemplateError(message, line, column)

    def tokens(self) -> list[_Text | _Tag]:
        source = self.source
        out: list[_Text | _Tag] = []
        i = 0
        n = len(source)
        while i < n:
            j = source.find("{{", i)
            if j < 0:
                out.append(_Text(source[i:], i))
                break
            if j > 0 and source[j - 1] == "\\":
                if j > 1 and source[j - 2] == "\\":
                    # \\{{x}}: a literal backslash, then a real mustache
                    out.append(_Text(source[i : j - 1], i))
                else:
                    # \{{x}}: the mustache itself is text
                    end = source.find("}}", j)
                    end = n if end < 0 else end + 2
                    out.append(_Text(source[i : j - 1] + source[j:end], i))
                    i = end
                    continue
            elif j > i:
                out.append(_Text(source[i:j], i))
            i = self._tag(j, out)
        return out

    def _tag(self, start: int, out: list[_Text | _Tag]) -> int:
        source = self.source
        if source.startswith("{{{{", start):
            return self._raw_block(start, out)
        k = start + 2
        strip_before = source.startswith("~", k)
        if strip_before:
            k += 1
        if source.startswith("!--", k):
            m = _COMMENT_LONG_END.search(source, k + 3)
            if m is None:
                raise self.error("the comment '{{!--' is never closed; end it with '--}}'", start)
            out.append(_Tag("comment", "", start, strip_before, bool(m.group(1))))
            return m.end()
        if source.startswith("!", k):
            m = _COMMENT_END.search(source, k + 1)
            if m is None:
                raise self.error("the comment '{{!' is never closed; end it with '}}'", start)
            out.append(_Tag("comment", "", start, strip_before, bool(m.group(1))))
            return m.end()
        if source.startswith("{", k):
            m = _TRIPLE_END.search(source, k + 1)
            if m is None:
                raise self.error("'{{{' is never closed; end it with '}}}'", start)
            out.append(_Tag("unescaped", source[k + 1 : m.start()], start, strip_before, bool(m.group(1)), k + 1))
            return m.end()
        end = self._closing(k)
        if end < 0:
            raise self.error("'{{' is never closed; end the expression with '}}'", start)
        body = source[k:end]
        strip_after = body.endswith("~")
        if strip_after:
            body = body[:-1]
        kinds = {"#": "open", "/": "close", "^": "inverse", "&": "unescaped", ">": "partial", "*": "decorator"}
        kind = kinds.get(body[:1], "mustache")
        body_pos = k
        if kind != "mustache":
            body = body[1:]
            body_pos += 1
        stripped = body.strip()
        if kind == "inverse" and not stripped:
            kind, body = "else", ""
        elif kind == "mustache" and (stripped == "else" or stripped.startswith(("else ", "else\t", "else\n"))):
            kind = "else"
            body_pos += body.find("else") + 4
            body = body[body.find("else") + 4 :]
        elif kind == "open" and stripped.startswith((">", "*")):
            kind = "partial" if stripped.startswith(">") else "decorator"
        out.append(_Tag(kind, body, start, strip_before, strip_after, body_pos))
        return end + 2

    def _closing(self, k: int) -> int:
        """Where this tag's ``}}`` is, skipping quoted strings (a JSONPath may contain ``}``)."""
        source = self.source
        quote = ""
        i = k
        n = len(source)
        while i < n:
            c = source[i]
            if quote:
                if c == "\\":
                    i += 2
                    continue
                if c == quote:
                    quote = ""
            elif c in "'\"":
                quote = c
            elif c == "}" and source.startswith("}}", i):
                return i
            elif c == "{" and source.startswith("{{", i):
                return -1
            i += 1
        return -1

    def _raw_block(self, start: int, out: list[_Text | _Tag]) -> int:
        source = self.source
        open_end = source.find("}}}}", start)
        if open_end < 0:
            raise self.error("the raw block '{{{{' is never closed; end it with '}}}}'", start)
        name = source[start + 4 : open_end].strip().split(" ")[0]
        closing = "{{{{/" + name + "}}}}"
        close = source.find(closing, open_end + 4)
        if close < 0:
            raise self.error(f"the raw block '{{{{{{{{{name}}}}}}}}}' is never closed; end it with {closing!r}", start)
        out.append(_Text(source[open_end + 4 : close], open_end + 4))
        return close + len(closing)


# --- expressions --------------------------------------------------------------------------------------------

_ID = r"[^\s!\"#%-,\.\/;->@\[-\^`\{-~]+"
_SEGMENT = rf"(?:{_ID}|\[[^\]]*\])"
_EXPR_TOKEN = re.compile(
    rf"""
    (?P<ws>\s+)
    |(?P<open>\()
    |(?P<close>\))
    |(?P<string>"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*')
    |(?P<number>-?\d+(?:\.\d+)?)(?=[\s()]|$)
    |(?P<params>\|[^|]*\|)
    |(?P<hash>{_ID})=
    |(?P<path>@?(?:\.\./)*(?:\.\.|\.(?=[\s()/]|$)|{_SEGMENT}(?:[./]{_SEGMENT})*))
    """,
    re.VERBOSE,
)
_LITERAL_WORDS = {"true": True, "false": False, "null": None, "undefined": None}


def _split_path(text: str) -> list[str]:
    return [p[1:-1] if p.startswith("[") else p for p in re.findall(rf"{_SEGMENT}", text)]


def _make_path(text: str) -> _Path:
    if text.startswith("@"):
        parts = _split_path(text[1:])
        return _Path(text, "data", tuple(parts))
    depth = 0
    rest = text
    while rest.startswith("../"):
        depth += 1
        rest = rest[3:]
    if rest == "..":
        return _Path(text, "parent", (), depth + 1)
    if depth:
        return _Path(text, "parent", tuple(_split_path(rest)), depth)
    if rest in ("this", "."):
        return _Path(text, "this", ())
    if rest.startswith(("this.", "this/", "./")):
        return _Path(text, "this", tuple(_split_path(rest.split("/", 1)[1] if rest.startswith("./") else rest[5:])))
    return _Path(text, "context", tuple(_split_path(rest)))


# --- helpers ----------------------------------------------------------------------------------------------


class Options:
    """What a helper gets: its arguments, the hash, the block (``fn``/``inverse``) and the scope."""

    __slots__ = ("args", "block", "block_params", "hash", "name", "program", "reverse", "scope")

    def __init__(
        self,
        name: str,
        scope: _Scope,
        args: list[Any],
        hash: dict[str, Any],
        program: Callable[[_Scope], str] | None,
        reverse: Callable[[_Scope], str] | None,
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

    def _child(self, context: Any, data: dict[str, Any] | None, params: list[Any] | None) -> _Scope:
        if context is MISSING and data is None and not params:
            return self.scope
        named = dict(zip(self.block_params, params, strict=False)) if params and self.block_params else None
        value = self.scope.value if context is MISSING else context
        return _Scope(value, self.scope, data, named, self.scope.render)

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
    return expr.value if isinstance(expr, _Literal) and isinstance(expr.value, str) else None


def _check_literals(name: str, params: list[Any], hash: dict[str, Any]) -> None:
    """Find at load what would fail on every request: a bad JSONPath, regex, date format, offset ..."""
    if name in ("jsonPath",) and len(params) > 1 and (path := _literal_text(params[1])) is not None:
        check_json_path(path)
    if name in ("xPath", "soapXPath") and len(params) > 1 and (xp := _literal_text(params[1])) is not None:
        compile_xpath(("/Envelope/Body/" if name == "soapXPath" else "") + xp)
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


#: blocks inside blocks (and else-if chains) beyond this are refused: each level costs stack when rendering
MAX_NESTING = 100

# --- parser -------------------------------------------------------------------------------------------------


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        tokens = _Tokenizer(source).tokens()
        for i, token in enumerate(tokens):
            if isinstance(token, _Tag):
                if token.strip_before and i > 0 and isinstance(tokens[i - 1], _Text):
                    previous = tokens[i - 1]
                    assert isinstance(previous, _Text)
                    previous.text = previous.text.rstrip()
                if token.strip_after and i + 1 < len(tokens) and isinstance(tokens[i + 1], _Text):
                    following = tokens[i + 1]
                    assert isinstance(following, _Text)
                    following.text = following.text.lstrip()
        self.tokens = tokens
        self.index = 0
        self.depth = 0

    def error(self, message: str, pos: int) -> TemplateError:
        line, column = _line_col(self.source, pos)
        return TemplateError(message, line, column)

    def parse(self) -> list[Any]:
        nodes, stop = self._body()
        if stop is not None:
            what = "{{else}}" if stop.kind == "else" else "{{/" + stop.body.strip() + "}}"
            raise self.error(f"{what} has no block to close; remove it or open the block with '{{{{#...}}}}'", stop.pos)
        return nodes

    def _body(self) -> tuple[list[Any], _Tag | None]:
        nodes: list[Any] = []
        while self.index < len(self.tokens):
            token = self.tokens[self.index]
            self.index += 1
            if isinstance(token, _Text):
                if token.text:
                    nodes.append(token.text)
                continue
            kind = token.kind
            if kind == "comment":
                continue
            if kind in ("close", "else"):
                return nodes, token
            if kind == "partial":
                raise self.error(
                    "partials ({{> name}}) are not supported by mockpit; inline the text instead", token.pos
                )
            if kind == "decorator":
                raise self.error("decorators and inline partials are not supported by mockpit", token.pos)
            if kind in ("mustache", "unescaped"):
                expr, block_params = self._expression(token, allow_params=False)
                nodes.append(_Mustache(expr, kind == "mustache", token.pos))
            else:  # open, inverse
                expr, block_params = self._expression(token, allow_params=True)
                nodes.append(self._finish_block(token, expr, block_params, _close_name(expr)))
        return nodes, None

    def _finish_block(self, opening: _Tag, expr: _Expr, block_params: list[str], close_name: str) -> _Block:
        self.depth += 1
        try:
            return self._block_body(opening, expr, block_params, close_name)
        finally:
            self.depth -= 1

    def _block_body(self, opening: _Tag, expr: _Expr, block_params: list[str], close_name: str) -> _Block:
        if self.depth > MAX_NESTING:
            raise self.error(f"blocks nest more than {MAX_NESTING} deep; flatten the template", opening.pos)
        program, stop = self._body()
        inverse: list[Any] | None = None
        if stop is not None and stop.kind == "else":
            if stop.body.strip():
                chained_expr, chained_params = self._expression(stop, allow_params=True)
                inner = self._finish_block(stop, chained_expr, chained_params, close_name)
                return _Block(expr, program, [inner], block_params, opening.kind == "inverse", opening.pos)
            inverse, stop = self._body()
            if stop is not None and stop.kind == "else":
                raise self.error("a block has a second {{else}}; a block takes one {{else}}", stop.pos)
        if stop is None:
            raise self.error(
                f"'{{{{#{close_name}}}}}' is never closed; add '{{{{/{close_name}}}}}' after its content", opening.pos
            )
        closing = stop.body.strip()
        if closing != close_name:
            line, column = _line_col(self.source, opening.pos)
            raise self.error(
                f"'{{{{/{closing}}}}}' does not close '{{{{#{close_name}}}}}' "
                f"(opened at line {line}, column {column}); close it with '{{{{/{close_name}}}}}'",
                stop.pos,
            )
        if opening.kind == "inverse":
            return _Block(expr, program, inverse, block_params, True, opening.pos)
        return _Block(expr, program, inverse, block_params, False, opening.pos)

    def _expression(self, tag: _Tag, *, allow_params: bool) -> tuple[_Expr, list[str]]:
        body, pos = tag.body, tag.pos
        tokens = self._lex(body, tag.body_pos)
        if not tokens:
            raise self.error("'{{}}' is empty: put a name or a helper call between the braces", pos)
        block_params: list[str] = []
        if len(tokens) >= 2 and tokens[-1][0] == "params" and tokens[-2] == ("path", "as", tokens[-2][2]):
            if not allow_params:
                raise self.error("'as |name|' belongs on a block: {{#each items as |item|}}", pos)
            block_params = tokens[-1][1][1:-1].split()
            tokens = tokens[:-2]
            if not tokens:
                raise self.error("'as |name|' needs a block helper before it: {{#each items as |item|}}", pos)
        position = [0]
        expr = self._call_or_value(tokens, position, top=True)
        if position[0] != len(tokens):
            raise self.error(f"unexpected {tokens[position[0]][1]!r} in '{{{{{body.strip()}}}}}'", pos)
        return expr, block_params

    def _lex(self, body: str, offset: int) -> list[tuple[str, str, int]]:
        tokens: list[tuple[str, str, int]] = []
        i = 0
        while i < len(body):
            m = _EXPR_TOKEN.match(body, i)
            if m is None or m.end() == i:
                raise self.error(
                    f"unexpected {body[i]!r} in '{{{{{body.strip()}}}}}'; quote text arguments ('like this')",
                    offset + i,
                )
            kind = m.lastgroup or ""
            if kind != "ws":
                tokens.append((kind, m.group(kind), offset + i))
            i = m.end()
        return tokens

    def _call_or_value(self, tokens: list[tuple[str, str, int]], position: list[int], *, top: bool) -> _Expr:
        """A helper call (``name args k=v``) or, at the top of a mustache, a single value."""
        _, text, at = tokens[position[0]]
        head = self._value(tokens, position)
        params: list[_Expr] = []
        hash: dict[str, _Expr] = {}
        while position[0] < len(tokens) and tokens[position[0]][0] != "close":
            token_kind, token_text, token_at = tokens[position[0]]
            if token_kind == "hash":
                position[0] += 1
                if position[0] >= len(tokens) or tokens[position[0]][0] == "close":
                    raise self.error(f"'{token_text}=' has no value; write {token_text}='value'", token_at)
                hash[token_text] = self._value(tokens, position)
            else:
                if hash:
                    raise self.error("positional arguments go before name=value arguments", token_at)
                params.append(self._value(tokens, position))
        name = head.original if isinstance(head, _Path) and head.kind == "context" and len(head.parts) == 1 else None
        if name is not None and name in UNSUPPORTED_HELPERS:
            raise self.error(f"the helper '{name}' is refused: {UNSUPPORTED_HELPERS[name]}", at)
        if name is not None and name in HELPERS:
            try:
                _check_literals(name, params, hash)
            except ValueError as exc:
                raise self.error(f"{name}: {exc}", at) from None
            return _Call(name, params, hash, at)
        if params or hash or not top:
            if isinstance(head, _Path):
                raise self.error(_unknown_helper(head.original), at)
            raise self.error(f"{text} is not a helper; a call starts with a helper name", at)
        return head

    def _value(self, tokens: list[tuple[str, str, int]], position: list[int]) -> _Expr:
        kind, text, at = tokens[position[0]]
        position[0] += 1
        if kind == "string":
            quote = text[0]
            return _Literal(text[1:-1].replace("\\" + quote, quote))
        if kind == "number":
            return _Literal(float(text) if "." in text else int(text))
        if kind == "path":
            if text in _LITERAL_WORDS:
                return _Literal(_LITERAL_WORDS[text])
            return _make_path(text)
        if kind == "open":
            if position[0] >= len(tokens):
                raise self.error("'(' is never closed; end the sub-expression with ')'", at)
            expr = self._call_or_value(tokens, position, top=False)
            if position[0] >= len(tokens) or tokens[position[0]][0] != "close":
                raise self.error("'(' is never closed; end the sub-expression with ')'", at)
            position[0] += 1
            return expr
        if kind == "params":
            raise self.error("block parameters go at the end of a block: {{#each items as |item i|}}", at)
        raise self.error(f"unexpected {text!r}", at)


def _close_name(expr: _Expr) -> str:
    if isinstance(expr, _Call):
        return expr.name
    if isinstance(expr, _Path):
        return expr.original
    return to_text(expr.value)


def _unknown_helper(name: str) -> str:
    near = difflib.get_close_matches(name, list(HELPERS), n=1)
    if near:
        return f"unknown helper '{name}'; did you mean '{near[0]}'? (helper names are case-sensitive)"
    return f"unknown helper '{name}'; see docs/templating.md for the helpers mockpit has"


# --- compiler -----------------------------------------------------------------------------------------------


class _Render:
    __slots__ = ("context", "variables")

    def __init__(self, context: TemplateContext) -> None:
        self.context = context
        self.variables: dict[str, Any] = {}


class _Scope:
    __slots__ = ("data", "params", "parent", "render", "value")

    def __init__(
        self,
        value: Any,
        parent: _Scope | None,
        data: dict[str, Any] | None,
        params: dict[str, Any] | None,
        render: _Render,
    ) -> None:
        self.value = value
        self.parent = parent
        self.data = data
        self.params = params
        self.render = render


Compiled = Callable[[_Scope], Any]


class _Compiler:
    def __init__(self, source: str, escape: bool) -> None:
        self.source = source
        self.escape = escape

    def program(self, nodes: list[Any]) -> Callable[[_Scope], str]:
        parts = [n if isinstance(n, str) else self.node(n) for n in nodes]
        merged: list[Any] = []
        for part in parts:
            if isinstance(part, str) and merged and isinstance(merged[-1], str):
                merged[-1] += part
            else:
                merged.append(part)
        if not merged:
            return lambda scope: ""
        if len(merged) == 1:
            only = merged[0]
            if isinstance(only, str):
                return lambda scope: only
            return only  # type: ignore[no-any-return]
        frozen = tuple(merged)

        def run(scope: _Scope) -> str:
            return "".join([p if type(p) is str else p(scope) for p in frozen])

        return run

    def node(self, node: Any) -> Callable[[_Scope], str]:
        if isinstance(node, _Mustache):
            return self.mustache(node)
        return self.block(node)

    def mustache(self, node: _Mustache) -> Callable[[_Scope], str]:
        value = self.expr(node.expr)
        if node.escaped and self.escape:

            def escaped(scope: _Scope) -> str:
                v = value(scope)
                text = to_text(v)
                return text if isinstance(v, SafeString) else escape_html(text)

            return escaped

        def plain(scope: _Scope) -> str:
            v = value(scope)
            return v if type(v) is str else to_text(v)

        return plain

    def block(self, node: _Block) -> Callable[[_Scope], str]:
        program = self.program(node.program)
        inverse = self.program(node.inverse) if node.inverse is not None else None
        if node.inverted:
            program, inverse = inverse or (lambda scope: ""), program
        expr = node.expr
        if isinstance(expr, _Call):
            return self._helper_block(expr, program, inverse, node.block_params)
        value = self.expr(expr)
        block_params = node.block_params
        no_inverse: Callable[[_Scope], str] = lambda scope: ""  # noqa: E731
        otherwise = inverse or no_inverse

        def section(scope: _Scope) -> str:
            v = value(scope)
            if is_empty(v):
                return otherwise(scope)
            if v is True:
                return program(scope)
            if isinstance(v, list | tuple):
                options = Options("each", scope, [v], {}, program, inverse, block_params)
                return to_text(_h_each(options))
            named = {block_params[0]: v} if block_params else None
            return program(_Scope(v, scope, None, named, scope.render))

        return section

    def _helper_block(
        self,
        call: _Call,
        program: Callable[[_Scope], str],
        inverse: Callable[[_Scope], str] | None,
        block_params: list[str],
    ) -> Callable[[_Scope], str]:
        invoke = self.call(call, program, inverse, block_params)

        def run(scope: _Scope) -> str:
            v = invoke(scope)
            return v if type(v) is str else to_text(v)

        return run

    def expr(self, expr: _Expr) -> Compiled:
        if isinstance(expr, _Literal):
            constant = expr.value
            return lambda scope: constant
        if isinstance(expr, _Path):
            return self.path(expr)
        return self.call(expr, None, None, [])

    def path(self, path: _Path) -> Compiled:
        parts = path.parts
        rest = parts[1:]

        def walk(value: Any, steps: tuple[str, ...]) -> Any:
            for name in steps:
                value = step(value, name)
                if value is MISSING:
                    return None
            return value

        if path.kind == "this":
            if not parts:
                return lambda scope: scope.value
            return lambda scope: walk(scope.value, parts)
        if path.kind == "parent":
            depth = path.depth

            def parent(scope: _Scope) -> Any:
                s: _Scope | None = scope
                for _ in range(depth):
                    s = s.parent if s is not None else None
                if s is None:
                    return None
                return walk(s.value, parts) if parts else s.value

            return parent
        if path.kind == "data":
            head = parts[0] if parts else ""

            def data(scope: _Scope) -> Any:
                if head == "root":
                    return walk(scope.render.context.root, rest)
                s: _Scope | None = scope
                while s is not None:
                    if s.data is not None and head in s.data:
                        return walk(s.data[head], rest)
                    s = s.parent
                return None

            return data
        head = parts[0]

        def lookup(scope: _Scope) -> Any:
            s: _Scope | None = scope
            value: Any = MISSING
            while s is not None:
                if s.params is not None and head in s.params:
                    value = s.params[head]
                    break
                value = step(s.value, head)
                if value is not MISSING:
                    break
                s = s.parent
            if value is MISSING:
                value = scope.render.variables.get(head, MISSING)
                if value is MISSING:
                    return None
            if not rest:
                return value
            return walk(value, rest)

        return lookup

    def call(
        self,
        call: _Call,
        program: Callable[[_Scope], str] | None,
        inverse: Callable[[_Scope], str] | None,
        block_params: list[str],
    ) -> Compiled:
        helper = HELPERS[call.name]
        name = call.name
        params = [self.expr(p) for p in call.params]
        hash_items = [(k, self.expr(v)) for k, v in call.hash.items()]
        line, column = _line_col(self.source, call.pos)

        def invoke(scope: _Scope) -> Any:
            args = [unwrap(p(scope)) for p in params]
            hash = {k: unwrap(v(scope)) for k, v in hash_items} if hash_items else {}
            options = Options(name, scope, args, hash, program, inverse, block_params)
            try:
                return helper(options)
            except HelperFailure as exc:
                return SafeString(f"[ERROR: {exc}]")
            except TemplateError as exc:
                if exc.line is not None:
                    raise
                raise TemplateError(exc.reason, line, column) from None
            except RecursionError:
                raise TemplateError(f"{name}: the template nests too deeply", line, column) from None
            except Exception as exc:  # a helper met data it cannot use: say which helper and where
                raise TemplateError(f"the helper '{name}' failed: {exc}", line, column) from None

        return invoke


class HandlebarsTemplate:
    """A compiled Handlebars template."""

    __slots__ = ("_run", "source")

    def __init__(self, source: str, *, escape_html: bool = False) -> None:
        self.source = source
        nodes = _Parser(source).parse()
        self._run = _Compiler(source, escape_html).program(nodes)

    def render(self, context: TemplateContext) -> str:
        render = _Render(context)
        scope = _Scope(context.root, None, None, None, render)
        try:
            return self._run(scope)
        except TemplateError:
            raise
        except RecursionError:
            raise TemplateError("the template nests too deeply to render") from None
