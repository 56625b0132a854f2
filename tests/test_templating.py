"""The templating facade: compile, contexts, which text is a template, and robustness against any input."""

from __future__ import annotations

import contextlib
import random
import re
from pathlib import Path

import pytest

from mockpit._model import Request
from mockpit._templating.template import (
    Template,
    TemplateError,
    compile_template,
    is_template,
    syntax_of,
    template_context,
)


def make_request(body: bytes = b'{"a": 1}') -> Request:
    return Request("GET", "/p", "q=1", [("Host", "h")], body)


@pytest.mark.parametrize(
    ("source", "syntax", "expected"),
    [
        ("plain", None, False),
        ('{"a": {"b": 1}}', None, False),
        ("{{x}}", None, True),
        ("{{x}}", "handlebars", True),
        ("{% if x %}", None, True),
        ("{% if x %}", "jinja", True),
        ("{% if x %}", "handlebars", False),
        ("{# note #}", "jinja", True),
        ("{ {x} }", None, False),
    ],
)
def test_is_template(source: str, syntax: str | None, expected: bool) -> None:
    assert is_template(source, syntax) is expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("transformers", "expected"),
    [
        ((), None),
        (("response-template",), "handlebars"),
        (("jinja",), "jinja"),
        (("something-else", "jinja"), "jinja"),
    ],
)
def test_syntax_of_transformers(transformers: tuple[str, ...], expected: str | None) -> None:
    assert syntax_of(transformers) == expected


def test_compile_returns_a_reusable_template() -> None:
    template = compile_template("{{request.query.q}}")
    assert isinstance(template, Template)
    assert template.syntax == "handlebars"
    assert [template.render(template_context(make_request())) for _ in range(3)] == ["1", "1", "1"]


def test_an_unknown_syntax_is_an_error() -> None:
    with pytest.raises(TemplateError, match="unknown template syntax 'mustache'; use one of: handlebars, jinja"):
        compile_template("x", "mustache")  # type: ignore[arg-type]


def test_template_error_is_a_value_error_with_its_position() -> None:
    with pytest.raises(ValueError, match="line 1, column 3") as caught:
        compile_template("{{nothelper 1}}")
    assert isinstance(caught.value, TemplateError)
    assert caught.value.reason.startswith("unknown helper 'nothelper'")


def test_the_context_is_lazy_and_shared_by_both_syntaxes() -> None:
    context = template_context(make_request(), parameters={"p": "v"}, request_id="rid")
    view = context.root["request"]
    assert view._values == {}
    hb = compile_template("{{request.id}} {{parameters.p}}").render(context)
    jj = compile_template("{{ request.id }} {{ parameters.p }}", "jinja").render(context)
    assert hb == jj == "rid v"
    assert set(view._values) == {"id"}


def test_a_request_id_is_made_when_none_is_given() -> None:
    context = template_context(make_request())
    first = compile_template("{{request.id}}").render(context)
    assert len(first) == 36
    assert compile_template("{{request.id}}").render(context) == first  # one id per request


# Pieces of Handlebars syntax, shuffled into templates: each must compile or fail with a TemplateError,
# and render to text or fail with a TemplateError; nothing else may escape.
PIECES = [
    "{{",
    "}}",
    "{{{",
    "}}}",
    "{{#",
    "{{/",
    "{{^",
    "{{else}}",
    "{{~",
    "~}}",
    "if",
    "each",
    "with",
    "unless",
    "eq",
    "(",
    ")",
    "'",
    '"',
    "=",
    "as |x|",
    "@index",
    "../",
    "this",
    ".",
    "[",
    "]",
    "request",
    "request.body",
    "jsonPath",
    "'$.a'",
    "1",
    "-2.5",
    "true",
    "null",
    " ",
    "\n",
    "text",
    "{{!--",
    "--}}",
    "\\{{",
    "{{{{raw}}}}",
    "{{{{/raw}}}}",
    "math",
    "'+'",
    "lookup",
    "__class__",
    "date",
    "now",
    "format='yyyy'",
    "x=",
    "|",
    "{{>",
]


def test_any_handlebars_input_compiles_or_fails_cleanly() -> None:
    rng = random.Random(1234)
    compiled = 0
    for _ in range(3000):
        source = "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 12)))
        try:
            template = compile_template(source)
        except TemplateError:
            continue
        compiled += 1
        with contextlib.suppress(TemplateError):
            assert isinstance(template.render(template_context(make_request())), str)
    assert compiled > 300  # the generator reaches valid templates too


JINJA_PIECES = [
    "{{",
    "}}",
    "{%",
    "%}",
    "if",
    "endif",
    "for",
    "in",
    "endfor",
    "request",
    ".",
    "body",
    "query",
    "q",
    "(",
    ")",
    "'",
    "json_path",
    ",",
    "'$.a'",
    "|",
    "upper",
    "__class__",
    " ",
    "1",
    "+",
    "none",
    "[",
    "]",
    "set",
    "=",
    "x",
]


def test_any_jinja_input_compiles_or_fails_cleanly() -> None:
    rng = random.Random(4321)
    for _ in range(300):  # Jinja compiles in milliseconds: fewer rounds than Handlebars
        source = "".join(rng.choice(JINJA_PIECES) for _ in range(rng.randint(1, 12)))
        try:
            template = compile_template(source, "jinja")
        except TemplateError:
            continue
        with contextlib.suppress(TemplateError):
            assert isinstance(template.render(template_context(make_request())), str)


DOCS = Path(__file__).resolve().parent.parent / "docs" / "templating.md"


def _doc_examples() -> list[tuple[str, str]]:
    text = DOCS.read_text(encoding="utf-8")
    table = text.split("| template | output |", 1)[1].split("\n\n", 1)[0]
    rows = re.findall(r"^\| `(.+?)` \| `(.+?)` \|$", table, flags=re.MULTILINE)
    assert len(rows) >= 10
    return rows


@pytest.mark.parametrize(("source", "expected"), _doc_examples())
def test_the_examples_in_docs_templating_md(source: str, expected: str) -> None:
    request = Request("POST", "/users/42", "tag=a&tag=b", [], b'{"name": "Ann", "items": [{"id": 1}, {"id": 2}]}')
    request.path_params = {"id": "42"}
    assert compile_template(source).render(template_context(request)) == expected
