"""The Handlebars parser: a template's tokens into a syntax tree of text, mustaches and blocks.

What can be known wrong at load fails here, with line and column: an unclosed or mismatched block, an
unknown helper (with "did you mean"), partials and decorators (not supported), and helper arguments
written as literals that could never work (:func:`.helpers.check_literals`). ``~`` trims the text next
to a tag; without it, lines holding only a block tag keep their whitespace (handlebars.java's default).
"""

from __future__ import annotations

import difflib
from typing import Any

from mockpit._templating.errors import TemplateError
from mockpit._templating.values import to_text

from .helpers import HELPERS, UNSUPPORTED_HELPERS, check_literals
from .syntax import (
    EXPR_TOKEN,
    LITERAL_WORDS,
    Block,
    Call,
    Expr,
    Literal,
    Mustache,
    Path,
    Tag,
    Text,
    Tokenizer,
    line_col,
    make_path,
)

#: blocks inside blocks (and else-if chains) beyond this are refused: each level costs stack when rendering
MAX_NESTING = 100


class Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        tokens = Tokenizer(source).tokens()
        for i, token in enumerate(tokens):
            if isinstance(token, Tag):
                if token.strip_before and i > 0 and isinstance(tokens[i - 1], Text):
                    previous = tokens[i - 1]
                    assert isinstance(previous, Text)
                    previous.text = previous.text.rstrip()
                if token.strip_after and i + 1 < len(tokens) and isinstance(tokens[i + 1], Text):
                    following = tokens[i + 1]
                    assert isinstance(following, Text)
                    following.text = following.text.lstrip()
        self.tokens = tokens
        self.index = 0
        self.depth = 0

    def error(self, message: str, pos: int) -> TemplateError:
        line, column = line_col(self.source, pos)
        return TemplateError(message, line, column)

    def parse(self) -> list[Any]:
        nodes, stop = self._body()
        if stop is not None:
            what = "{{else}}" if stop.kind == "else" else "{{/" + stop.body.strip() + "}}"
            raise self.error(f"{what} has no block to close; remove it or open the block with '{{{{#...}}}}'", stop.pos)
        return nodes

    def _body(self) -> tuple[list[Any], Tag | None]:
        nodes: list[Any] = []
        while self.index < len(self.tokens):
            token = self.tokens[self.index]
            self.index += 1
            if isinstance(token, Text):
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
                nodes.append(Mustache(expr, kind == "mustache", token.pos))
            else:  # open, inverse
                expr, block_params = self._expression(token, allow_params=True)
                nodes.append(self._finish_block(token, expr, block_params, _close_name(expr)))
        return nodes, None

    def _finish_block(self, opening: Tag, expr: Expr, block_params: list[str], close_name: str) -> Block:
        self.depth += 1
        try:
            return self._block_body(opening, expr, block_params, close_name)
        finally:
            self.depth -= 1

    def _block_body(self, opening: Tag, expr: Expr, block_params: list[str], close_name: str) -> Block:
        if self.depth > MAX_NESTING:
            raise self.error(f"blocks nest more than {MAX_NESTING} deep; flatten the template", opening.pos)
        program, stop = self._body()
        inverse: list[Any] | None = None
        if stop is not None and stop.kind == "else":
            if stop.body.strip():
                chained_expr, chained_params = self._expression(stop, allow_params=True)
                inner = self._finish_block(stop, chained_expr, chained_params, close_name)
                return Block(expr, program, [inner], block_params, opening.kind == "inverse", opening.pos)
            inverse, stop = self._body()
            if stop is not None and stop.kind == "else":
                raise self.error("a block has a second {{else}}; a block takes one {{else}}", stop.pos)
        if stop is None:
            raise self.error(
                f"'{{{{#{close_name}}}}}' is never closed; add '{{{{/{close_name}}}}}' after its content", opening.pos
            )
        closing = stop.body.strip()
        if closing != close_name:
            line, column = line_col(self.source, opening.pos)
            raise self.error(
                f"'{{{{/{closing}}}}}' does not close '{{{{#{close_name}}}}}' "
                f"(opened at line {line}, column {column}); close it with '{{{{/{close_name}}}}}'",
                stop.pos,
            )
        if opening.kind == "inverse":
            return Block(expr, program, inverse, block_params, True, opening.pos)
        return Block(expr, program, inverse, block_params, False, opening.pos)

    def _expression(self, tag: Tag, *, allow_params: bool) -> tuple[Expr, list[str]]:
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
            m = EXPR_TOKEN.match(body, i)
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

    def _call_or_value(self, tokens: list[tuple[str, str, int]], position: list[int], *, top: bool) -> Expr:
        """A helper call (``name args k=v``) or, at the top of a mustache, a single value."""
        _, text, at = tokens[position[0]]
        head = self._value(tokens, position)
        params: list[Expr] = []
        hash: dict[str, Expr] = {}
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
        name = head.original if isinstance(head, Path) and head.kind == "context" and len(head.parts) == 1 else None
        if name is not None and name in UNSUPPORTED_HELPERS:
            raise self.error(f"the helper '{name}' is refused: {UNSUPPORTED_HELPERS[name]}", at)
        if name is not None and name in HELPERS:
            try:
                check_literals(name, params, hash)
            except ValueError as exc:
                raise self.error(f"{name}: {exc}", at) from None
            return Call(name, params, hash, at)
        if params or hash or not top:
            if isinstance(head, Path):
                raise self.error(_unknown_helper(head.original), at)
            raise self.error(f"{text} is not a helper; a call starts with a helper name", at)
        return head

    def _value(self, tokens: list[tuple[str, str, int]], position: list[int]) -> Expr:
        kind, text, at = tokens[position[0]]
        position[0] += 1
        if kind == "string":
            quote = text[0]
            return Literal(text[1:-1].replace("\\" + quote, quote))
        if kind == "number":
            return Literal(float(text) if "." in text else int(text))
        if kind == "path":
            if text in LITERAL_WORDS:
                return Literal(LITERAL_WORDS[text])
            return make_path(text)
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


def _close_name(expr: Expr) -> str:
    if isinstance(expr, Call):
        return expr.name
    if isinstance(expr, Path):
        return expr.original
    return to_text(expr.value)


def _unknown_helper(name: str) -> str:
    near = difflib.get_close_matches(name, list(HELPERS), n=1)
    if near:
        return f"unknown helper '{name}'; did you mean '{near[0]}'? (helper names are case-sensitive)"
    return f"unknown helper '{name}'; see docs/templating.md for the helpers mockpit has"
