"""WireMock's Handlebars dialect, compiled to Python closures: :class:`HandlebarsTemplate`.

Written by hand because no maintained Python Handlebars exists: pybars3 was last released in 2019 and
compiles templates to Python source that it ``exec``s, with no sandbox, so a mapping file could reach
anything. Here a template compiles once into nested closures; rendering walks only dicts, lists and
mockpit's own view objects (:func:`mockpit._templating.values.step`), never Python attributes.

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
:data:`.helpers.UNSUPPORTED_HELPERS`. The helpers are listed in docs/templating.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mockpit._templating.context import COPYABLE_PARTS, TemplateContext, request_copier
from mockpit._templating.errors import HelperFailure, TemplateError
from mockpit._templating.values import (
    MISSING,
    SafeString,
    escape_html,
    is_empty,
    step,
    to_text,
    unwrap,
)

from .helpers import HELPERS, Options
from .parser import Parser
from .scope import Render, Scope
from .syntax import Block, Call, Expr, Literal, Mustache, Path, line_col

if TYPE_CHECKING:
    from mockpit._model import Request

Compiled = Callable[[Scope], Any]


#: helpers whose arguments keep a one-valued ListOrSingle as a list (the others get its value)
_LIST_HELPERS = frozenset({"each", "size"})


def _as_is(value: Any) -> Any:
    return value


class Compiler:
    def __init__(self, source: str, escape: bool) -> None:
        self.source = source
        self.escape = escape

    def program(self, nodes: list[Any]) -> Callable[[Scope], str]:
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

        def run(scope: Scope) -> str:
            return "".join([p if type(p) is str else p(scope) for p in frozen])

        return run

    def node(self, node: Any) -> Callable[[Scope], str]:
        if isinstance(node, Mustache):
            return self.mustache(node)
        return self.block(node)

    def mustache(self, node: Mustache) -> Callable[[Scope], str]:
        value = self.expr(node.expr)
        if node.escaped and self.escape:

            def escaped(scope: Scope) -> str:
                v = value(scope)
                text = to_text(v)
                return text if isinstance(v, SafeString) else escape_html(text)

            return escaped

        def plain(scope: Scope) -> str:
            v = value(scope)
            return v if type(v) is str else to_text(v)

        return plain

    def block(self, node: Block) -> Callable[[Scope], str]:
        program = self.program(node.program)
        inverse = self.program(node.inverse) if node.inverse is not None else None
        if node.inverted:
            program, inverse = inverse or (lambda scope: ""), program
        expr = node.expr
        if isinstance(expr, Call):
            return self._helper_block(expr, program, inverse, node.block_params)
        value = self.expr(expr)
        block_params = node.block_params
        each = HELPERS["each"]
        no_inverse: Callable[[Scope], str] = lambda scope: ""  # noqa: E731
        otherwise = inverse or no_inverse

        def section(scope: Scope) -> str:
            v = value(scope)
            if is_empty(v):
                return otherwise(scope)
            if v is True:
                return program(scope)
            if isinstance(v, list | tuple):
                options = Options("each", scope, [v], {}, program, inverse, block_params)
                return to_text(each(options))
            named = {block_params[0]: v} if block_params else None
            return program(Scope(v, scope, None, named, scope.render))

        return section

    def _helper_block(
        self,
        call: Call,
        program: Callable[[Scope], str],
        inverse: Callable[[Scope], str] | None,
        block_params: list[str],
    ) -> Callable[[Scope], str]:
        invoke = self.call(call, program, inverse, block_params)

        def run(scope: Scope) -> str:
            v = invoke(scope)
            return v if type(v) is str else to_text(v)

        return run

    def expr(self, expr: Expr) -> Compiled:
        if isinstance(expr, Literal):
            constant = expr.value
            return lambda scope: constant
        if isinstance(expr, Path):
            return self.path(expr)
        return self.call(expr, None, None, [])

    def path(self, path: Path) -> Compiled:
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

            def parent(scope: Scope) -> Any:
                s: Scope | None = scope
                for _ in range(depth):
                    s = s.parent if s is not None else None
                if s is None:
                    return None
                return walk(s.value, parts) if parts else s.value

            return parent
        if path.kind == "data":
            head = parts[0] if parts else ""

            def data(scope: Scope) -> Any:
                if head == "root":
                    return walk(scope.render.context.root, rest)
                s: Scope | None = scope
                while s is not None:
                    if s.data is not None and head in s.data:
                        return walk(s.data[head], rest)
                    s = s.parent
                return None

            return data
        head = parts[0]

        def lookup(scope: Scope) -> Any:
            s: Scope | None = scope
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
        call: Call,
        program: Callable[[Scope], str] | None,
        inverse: Callable[[Scope], str] | None,
        block_params: list[str],
    ) -> Compiled:
        helper = HELPERS[call.name]
        name = call.name
        params = [self.expr(p) for p in call.params]
        hash_items = [(k, self.expr(v)) for k, v in call.hash.items()]
        line, column = line_col(self.source, call.pos)

        # each and size take a one-valued query parameter, header or cookie as the list it is, as
        # WireMock's do (checked against 3.13.2: {{#each request.query.tag}} renders ?tag=z once)
        given = _as_is if name in _LIST_HELPERS else unwrap

        def invoke(scope: Scope) -> Any:
            args = [given(p(scope)) for p in params]
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


def request_copy(nodes: list[Any], escape: bool) -> Callable[[Request], str] | None:
    """The template as a function of the request alone, if it only copies request parts into text
    (``{{{request.body}}}``, ``{{request.headers.X-Id}}``...): most templated stubs are such echoes,
    and they then cost no context, scope or lookup through scopes. None for any other template."""
    pieces: list[Any] = []
    for node in nodes:
        if isinstance(node, str):
            pieces.append(node)
            continue
        if not isinstance(node, Mustache) or (node.escaped and escape):
            return None
        expr = node.expr
        # a name looked up from the top scope, whose "request" is always the request's view
        if not isinstance(expr, Path) or expr.kind != "context" or len(expr.parts) < 2:
            return None
        if expr.parts[0] != "request" or expr.parts[1] not in COPYABLE_PARTS:
            return None
        pieces.append(request_copier(expr.parts[1:]))
    frozen = tuple(pieces)

    def copy(request: Request) -> str:
        out = []
        for piece in frozen:
            if type(piece) is str:
                out.append(piece)
            else:
                v = piece(request)
                out.append(v if type(v) is str else to_text(v))
        return "".join(out)

    return copy


class HandlebarsTemplate:
    """A compiled Handlebars template; ``copy`` is set when it only copies request parts."""

    __slots__ = ("_run", "copy", "source")

    def __init__(self, source: str, *, escape_html: bool = False) -> None:
        self.source = source
        nodes = Parser(source).parse()
        self._run = Compiler(source, escape_html).program(nodes)
        self.copy = request_copy(nodes, escape_html)

    def render(self, context: TemplateContext) -> str:
        render = Render(context)
        scope = Scope(context.root, None, None, None, render)
        try:
            return self._run(scope)
        except TemplateError:
            raise
        except RecursionError:
            raise TemplateError("the template nests too deeply to render") from None
