"""Jinja2 templates, for mappings written in Python style (``"transformers": ["jinja"]``).

They run in Jinja's ``ImmutableSandboxedEnvironment``: no attribute starting with ``_`` (so no
``__class__``, ``__globals__``, ``__mro__``), no changing lists or dicts, no ``{% include %}``,
``{% import %}`` or ``{% extends %}`` (there is no loader; refused at load). Attribute access the sandbox
refuses is an error, not an empty string, so an attempt shows up in the test that made it.

Autoescape is off: these are API bodies, not HTML. A value that is not there (a missing header, a
query parameter not sent) renders as empty text, as in Handlebars; a top-level name that does not
exist (``reqest.path``) is an error at load, so typos are not silent. ``None`` renders as empty text.

The request view and the helpers are the Handlebars ones, in Python spelling: ``now(offset='3 days',
format='yyyy-MM-dd')`` (a Java pattern, or strftime's if it has ``%``), ``json_path(request.body,
'$.id')``, ``random_value(length=8)``, ``fake('first_name')`` ... (see :data:`GLOBALS`); most are
filters too (``request.body | json_path('$.id')``).
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from .context import TemplateContext
from .errors import HelperFailure, TemplateError
from .helpers.dates import date, now, parse_date, truncate_date
from .helpers.fake_data import fake
from .helpers.json_docs import format_json, json_array_add, json_merge, json_path, json_remove, parse_json
from .helpers.random_values import pick_random, random_decimal, random_int, random_value
from .helpers.text import (
    base64_text,
    contains,
    form_data,
    hostname,
    matches,
    math_operation,
    regex_extract,
    size,
    url_encode,
)
from .helpers.xml_docs import format_xml, x_path
from .values import _LOOKUPS, MISSING, write_json

#: the request's context while a Jinja template renders (helpers cache parsed bodies in it)
_CURRENT: ContextVar[TemplateContext | None] = ContextVar("mockpit_template_context", default=None)

#: names a Jinja template may start from (the Handlebars model's names)
ROOT_NAMES = ("request", "parameters", "originalRequest", "originalResponse", "response")


def _plain(value: Any) -> Any:
    """Jinja's Undefined as None, so that helpers see "absent" the way Handlebars gives it."""
    return None if isinstance(value, _undefined()) else value


@functools.cache
def _undefined() -> type:
    from jinja2 import Undefined

    return Undefined


def _context() -> TemplateContext | None:
    return _CURRENT.get()


def _regex_extract(text: Any, pattern: Any, groups: bool = False, default: Any = MISSING) -> Any:
    try:
        return regex_extract(text, pattern, all_groups=groups)
    except HelperFailure:
        if default is not MISSING:
            return default
        raise


def _pick_random(*items: Any, count: Any = None) -> Any:
    values = list(items[0]) if len(items) == 1 and isinstance(items[0], list | tuple) else list(items)
    return pick_random(values, count)


def _to_json(value: Any, pretty: bool = False) -> str:
    return write_json(value, pretty=pretty)


#: the helpers, by their Python names
GLOBALS: dict[str, Callable[..., Any]] = {
    "now": lambda offset=None, format=None, timezone=None: now(offset, format, timezone),
    "date": lambda value=None, offset=None, format=None, timezone=None: date(value, offset, format, timezone),
    "parse_date": lambda text, format=None: parse_date(text, format),
    "truncate_date": truncate_date,
    "json_path": lambda document, expression, default=MISSING: json_path(_context(), document, expression, default),
    "x_path": lambda document, expression: x_path(_context(), document, expression),
    "soap_x_path": lambda document, expression: x_path(_context(), document, expression, "/Envelope/Body/"),
    "random_value": lambda length=36, type="ALPHANUMERIC", uppercase=False: random_value(length, type, uppercase),
    "random_int": lambda lower=None, upper=None: random_int(lower, upper),
    "random_decimal": lambda lower=None, upper=None: random_decimal(lower, upper),
    "pick_random": _pick_random,
    "uuid": lambda: random_value(type="UUID"),
    "fake": fake,
    "hostname": hostname,
    "parse_json": parse_json,
    "to_json": _to_json,
    "format_json": lambda text, format="pretty": format_json(text, format),
    "format_xml": lambda text, format="pretty": format_xml(text, format),
    "json_array_add": lambda base, item, json_path=None, flatten=False, max_items=None: json_array_add(
        base, item, json_path=json_path, flatten=flatten, max_items=max_items
    ),
    "json_merge": json_merge,
    "json_remove": json_remove,
    "base64": lambda value, decode=False, padding=True: base64_text(value, decode=decode, padding=padding),
    "url_encode": lambda value, decode=False: url_encode(value, decode=decode),
    "regex_extract": _regex_extract,
    "matches": matches,
    "contains": contains,
    "form_data": lambda text, url_decode=False: form_data(text, url_decode=url_decode),
    "size": size,
    "math": math_operation,
}
#: helpers that read naturally as filters: ``request.body | json_path('$.id')``
FILTER_NAMES = (
    "json_path",
    "x_path",
    "soap_x_path",
    "parse_json",
    "to_json",
    "format_json",
    "format_xml",
    "base64",
    "url_encode",
    "regex_extract",
    "form_data",
    "date",
    "truncate_date",
    "parse_date",
    "json_merge",
    "json_remove",
    "json_array_add",
)


class _HelperError(Exception):
    """A helper failed inside Jinja; carries the helper's name to the error message."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")


def _guard(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*(_plain(a) for a in args), **{k: _plain(v) for k, v in kwargs.items()})
        except HelperFailure as exc:
            raise _HelperError(name, str(exc)) from None

    return guarded


def _finalize(value: Any) -> Any:
    return "" if value is None or value is MISSING else value


@functools.cache
def _environment() -> Any:
    from jinja2 import ChainableUndefined
    from jinja2.exceptions import SecurityError
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class Sandbox(ImmutableSandboxedEnvironment):
        def unsafe_undefined(self, obj: Any, attribute: str) -> Any:
            # the default renders an empty string until used; refusing loudly shows the attempt
            raise SecurityError(f"access to {attribute!r} of a {type(obj).__name__} is refused")

        def getattr(self, obj: Any, attribute: str) -> Any:
            # request.path: straight to the view's own lookup (safe by construction) instead of a failed
            # Python getattr first; anything else takes the sandbox's checked way
            lookup = _LOOKUPS.get(type(obj))
            if lookup is not None and not attribute.startswith("_"):
                value = lookup(obj, attribute)
                if value is not MISSING:
                    return value
            return super().getattr(obj, attribute)

    environment = Sandbox(
        autoescape=False, undefined=ChainableUndefined, keep_trailing_newline=True, finalize=_finalize
    )
    guarded = {name: _guard(name, function) for name, function in GLOBALS.items()}
    environment.globals.update(guarded)
    environment.filters.update({name: guarded[name] for name in FILTER_NAMES})
    return environment


def _check(source: str, environment: Any) -> None:
    """Refuse at load what could never work or must never run: includes, private names, unknown roots."""
    from jinja2 import TemplateSyntaxError, meta, nodes

    try:
        tree = environment.parse(source)
    except TemplateSyntaxError as exc:
        raise TemplateError(f"Jinja syntax error: {exc.message}", exc.lineno) from None
    for node in tree.find_all((nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)):
        kind = type(node).__name__.lower()
        raise TemplateError(f"{{% {kind} %}} is not allowed in a mapping's template; put the text inline", node.lineno)
    for getattr_node in tree.find_all(nodes.Getattr):
        if getattr_node.attr.startswith("_"):
            raise TemplateError(
                f"'.{getattr_node.attr}' is refused: templates cannot reach Python internals", getattr_node.lineno
            )
    known = set(environment.globals) | set(ROOT_NAMES)
    for name in sorted(meta.find_undeclared_variables(tree)):
        if name not in known:
            near = difflib.get_close_matches(name, sorted(known), n=1)
            hint = f"did you mean '{near[0]}'?" if near else f"start from one of: {', '.join(ROOT_NAMES)}"
            raise TemplateError(f"unknown name '{name}' in the template; {hint}", _first_line(tree, name))


def _first_line(tree: Any, name: str) -> int | None:
    from jinja2 import nodes

    for node in tree.find_all(nodes.Name):
        if node.name == name:
            return int(node.lineno)
    return None


def _template_line(exc: BaseException) -> int | None:
    """The template line an exception came from (Jinja maps its frames to the template's lines)."""
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


class JinjaTemplate:
    """A compiled Jinja2 template."""

    __slots__ = ("_globals", "_template", "source")

    def __init__(self, source: str) -> None:
        from jinja2 import TemplateSyntaxError

        self.source = source
        environment = _environment()
        try:
            _check(source, environment)
            self._template = environment.from_string(source)
        except TemplateSyntaxError as exc:  # also an unknown filter or test (TemplateAssertionError)
            raise TemplateError(f"Jinja syntax error: {exc.message}", exc.lineno) from None
        self._globals = dict(self._template.globals)

    def render(self, context: TemplateContext) -> str:
        from jinja2 import TemplateError as JinjaError
        from jinja2.exceptions import SecurityError

        template = self._template
        # Template.render copies every global into a fresh dict through a ChainMap on each call: with the
        # helpers that is most of a small template's cost; one C-level dict merge does the same
        names = dict(self._globals)
        names.update(context.root)
        token = _CURRENT.set(context)
        try:
            try:
                return str(
                    template.environment.concat(template.root_render_func(template.new_context(names, shared=True)))
                )
            except Exception:
                template.environment.handle_exception()  # maps the traceback to template lines, re-raises
                raise
        except SecurityError as exc:
            raise TemplateError(f"refused by the template sandbox: {exc}", _template_line(exc)) from None
        except _HelperError as exc:
            raise TemplateError(str(exc), _template_line(exc)) from None
        except TemplateError:
            raise
        except JinjaError as exc:
            raise TemplateError(f"the template failed: {exc}", _template_line(exc)) from None
        except Exception as exc:  # a filter or test met data it cannot use
            raise TemplateError(f"the template failed: {type(exc).__name__}: {exc}", _template_line(exc)) from None
        finally:
            _CURRENT.reset(token)
