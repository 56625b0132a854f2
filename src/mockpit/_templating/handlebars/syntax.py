"""Handlebars syntax: the tokenizer that splits a template into text and tags, the tokens of the
expression inside a tag, and the syntax tree that :mod:`.parser` builds from them.

Positions are offsets into the source; :func:`line_col` turns one into the line and column errors name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from mockpit._templating.errors import TemplateError

# --- the syntax tree ----------------------------------------------------------------------------------------


@dataclass
class Literal:
    value: Any


@dataclass
class Path:
    original: str
    #: "context" (a name looked up through the enclosing contexts), "this", "parent", "data"
    kind: str
    parts: tuple[str, ...]
    depth: int = 0


@dataclass
class Call:
    name: str
    params: list[Any]
    hash: dict[str, Any]
    pos: int


Expr = Literal | Path | Call


@dataclass
class Mustache:
    expr: Expr
    escaped: bool
    pos: int


@dataclass
class Block:
    expr: Expr
    program: list[Any]
    inverse: list[Any] | None
    block_params: list[str]
    inverted: bool
    pos: int


@dataclass
class Tag:
    kind: str  # mustache, unescaped, open, inverse, close, else, comment, partial, decorator
    body: str
    pos: int
    strip_before: bool = False
    strip_after: bool = False
    #: where ``body`` starts in the source (for error positions)
    body_pos: int = 0


@dataclass
class Text:
    text: str
    pos: int


def line_col(source: str, pos: int) -> tuple[int, int]:
    line = source.count("\n", 0, pos) + 1
    column = pos - (source.rfind("\n", 0, pos) + 1) + 1
    return line, column


# --- tokenizer ----------------------------------------------------------------------------------------------

_COMMENT_LONG_END = re.compile(r"--(~?)\}\}")
_COMMENT_END = re.compile(r"(~?)\}\}")
_TRIPLE_END = re.compile(r"(~?)\}\}\}")


class Tokenizer:
    def __init__(self, source: str) -> None:
        self.source = source

    def error(self, message: str, pos: int) -> TemplateError:
        line, column = line_col(self.source, pos)
        return TemplateError(message, line, column)

    def tokens(self) -> list[Text | Tag]:
        source = self.source
        out: list[Text | Tag] = []
        i = 0
        n = len(source)
        while i < n:
            j = source.find("{{", i)
            if j < 0:
                out.append(Text(source[i:], i))
                break
            if j > 0 and source[j - 1] == "\\":
                if j > 1 and source[j - 2] == "\\":
                    # \\{{x}}: a literal backslash, then a real mustache
                    out.append(Text(source[i : j - 1], i))
                else:
                    # \{{x}}: the mustache itself is text
                    end = source.find("}}", j)
                    end = n if end < 0 else end + 2
                    out.append(Text(source[i : j - 1] + source[j:end], i))
                    i = end
                    continue
            elif j > i:
                out.append(Text(source[i:j], i))
            i = self._tag(j, out)
        return out

    def _tag(self, start: int, out: list[Text | Tag]) -> int:
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
            out.append(Tag("comment", "", start, strip_before, bool(m.group(1))))
            return m.end()
        if source.startswith("!", k):
            m = _COMMENT_END.search(source, k + 1)
            if m is None:
                raise self.error("the comment '{{!' is never closed; end it with '}}'", start)
            out.append(Tag("comment", "", start, strip_before, bool(m.group(1))))
            return m.end()
        if source.startswith("{", k):
            m = _TRIPLE_END.search(source, k + 1)
            if m is None:
                raise self.error("'{{{' is never closed; end it with '}}}'", start)
            out.append(Tag("unescaped", source[k + 1 : m.start()], start, strip_before, bool(m.group(1)), k + 1))
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
        out.append(Tag(kind, body, start, strip_before, strip_after, body_pos))
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

    def _raw_block(self, start: int, out: list[Text | Tag]) -> int:
        source = self.source
        open_end = source.find("}}}}", start)
        if open_end < 0:
            raise self.error("the raw block '{{{{' is never closed; end it with '}}}}'", start)
        name = source[start + 4 : open_end].strip().split(" ")[0]
        closing = "{{{{/" + name + "}}}}"
        close = source.find(closing, open_end + 4)
        if close < 0:
            raise self.error(f"the raw block '{{{{{{{{{name}}}}}}}}}' is never closed; end it with {closing!r}", start)
        out.append(Text(source[open_end + 4 : close], open_end + 4))
        return close + len(closing)


# --- expressions --------------------------------------------------------------------------------------------

_ID = r"[^\s!\"#%-,\.\/;->@\[-\^`\{-~]+"
_SEGMENT = rf"(?:{_ID}|\[[^\]]*\])"
EXPR_TOKEN = re.compile(
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
LITERAL_WORDS = {"true": True, "false": False, "null": None, "undefined": None}


def _split_path(text: str) -> list[str]:
    return [p[1:-1] if p.startswith("[") else p for p in re.findall(rf"{_SEGMENT}", text)]


def make_path(text: str) -> Path:
    if text.startswith("@"):
        parts = _split_path(text[1:])
        return Path(text, "data", tuple(parts))
    depth = 0
    rest = text
    while rest.startswith("../"):
        depth += 1
        rest = rest[3:]
    if rest == "..":
        return Path(text, "parent", (), depth + 1)
    if depth:
        return Path(text, "parent", tuple(_split_path(rest)), depth)
    if rest in ("this", "."):
        return Path(text, "this", ())
    if rest.startswith(("this.", "this/", "./")):
        return Path(text, "this", tuple(_split_path(rest.split("/", 1)[1] if rest.startswith("./") else rest[5:])))
    return Path(text, "context", tuple(_split_path(rest)))
