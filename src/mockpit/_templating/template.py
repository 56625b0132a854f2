"""Response templating: compile once when a stub loads, render per request.

Two syntaxes, one request model (:mod:`.context`, :mod:`.values`):

- ``"handlebars"``: WireMock's dialect (``"transformers": ["response-template"]``), so mappings written
  for WireMock render the same text (:mod:`.handlebars`);
- ``"jinja"``: Jinja2 in its immutable sandbox, for people writing new mappings in Python style
  (:mod:`.jinja`).

::

    template = compile_template('{"id": "{{request.path.id}}", "at": "{{now format=\\'yyyy-MM-dd\\'}}"}')
    body = template.render(template_context(request, parameters=definition.transformer_parameters))

Compiling raises :class:`TemplateError` (with line and column) for anything that would fail on every
request; ``render`` raises nothing but :class:`TemplateError`. Response templates see ``request`` and
``parameters`` (WireMock's ``transformerParameters``); webhook templates also ``originalRequest`` and
``originalResponse``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal

from .context import TemplateContext
from .errors import TemplateError

if TYPE_CHECKING:
    from mockpit._model import Request, Response

__all__ = [
    "Syntax",
    "Template",
    "TemplateContext",
    "TemplateError",
    "compile_template",
    "is_template",
    "syntax_of",
    "template_context",
]

Syntax = Literal["handlebars", "jinja"]
SYNTAXES: tuple[Syntax, ...] = ("handlebars", "jinja")

#: transformer names in a mapping's ``transformers`` and the syntax each selects
TRANSFORMERS: dict[str, Syntax] = {"response-template": "handlebars", "jinja": "jinja"}


class Template:
    """A compiled template: ``render(context)`` per request costs microseconds."""

    __slots__ = ("_compiled", "copy", "source", "syntax")

    def __init__(self, source: str, syntax: Syntax, compiled: Any) -> None:
        self.source = source
        self.syntax = syntax
        self._compiled = compiled
        #: what ``render`` gives, from the request alone, when the template only copies request parts
        self.copy: Callable[[Request], str] | None = getattr(compiled, "copy", None)

    def render(self, context: TemplateContext) -> str:
        try:
            return str(self._compiled.render(context))
        except TemplateError:
            raise
        except Exception as exc:  # a bug of ours must still reach the client as a clear error
            raise TemplateError(f"the template could not be rendered: {type(exc).__name__}: {exc}") from None

    def __repr__(self) -> str:
        return f"<Template {self.syntax} {self.source[:40]!r}>"


def compile_template(source: str, syntax: Syntax = "handlebars", *, escape_html: bool = False) -> Template:
    """Compile ``source``; raises :class:`TemplateError` saying what is wrong, where, and how to fix it.

    ``escape_html`` (Handlebars only) HTML-escapes ``{{x}}`` as WireMock 2 did; WireMock 3, and mockpit,
    do not by default.
    """
    if syntax == "handlebars":
        from .handlebars.compiler import HandlebarsTemplate

        return Template(source, syntax, HandlebarsTemplate(source, escape_html=escape_html))
    if syntax == "jinja":
        from .jinja import JinjaTemplate

        return Template(source, syntax, JinjaTemplate(source))
    raise TemplateError(f"unknown template syntax {syntax!r}; use one of: {', '.join(SYNTAXES)}")


def template_context(
    request: Request,
    *,
    parameters: Mapping[str, Any] | None = None,
    original_response: Response | None = None,
    request_id: str | None = None,
) -> TemplateContext:
    """The data one request's templates render with. Cheap: every field is computed on first use.

    Make one per request and render all its templates (body, headers, file name) with it: the body is
    then decoded and parsed once. ``request_id`` is ``request.id`` (the journal's id for the request;
    a new UUID if not given).
    """
    return TemplateContext(request, parameters, original_response, request_id)


def is_template(source: str, syntax: Syntax | None = None) -> bool:
    """Whether ``source`` has template syntax at all; text without it can be sent as it is."""
    if "{{" in source:
        return True
    if syntax == "handlebars":
        return False
    return "{%" in source or "{#" in source


def syntax_of(transformers: Iterable[str]) -> Syntax | None:
    """The syntax a mapping's ``transformers`` select (``response-template``, ``jinja``), or None."""
    for name in transformers:
        syntax = TRANSFORMERS.get(name)
        if syntax is not None:
            return syntax
    return None
