"""Jinja2 templates: the same request model and helpers in Python spelling, inside the immutable sandbox."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from mockpit._model import Request, Response
from mockpit._templating.template import TemplateError, compile_template, template_context

BODY = b'{"name":"Ann","items":[{"id":1,"name":"One"},{"id":2,"name":"Two"}],"outer":{"inner":"Stuff"}}'


def make_request(body: bytes = BODY) -> Request:
    request = Request(
        "POST",
        "/users/42",
        "page=2&tag=a&tag=b",
        [("Host", "api.example.com"), ("X-Request-Id", "req-1"), ("Cookie", "session=abc")],
        body,
        client=("10.1.2.3", 40000),
    )
    request.path_params = {"userId": "42"}
    return request


def render(source: str, request: Request | None = None) -> str:
    template = compile_template(source, "jinja")
    return template.render(template_context(request or make_request(), parameters={"greeting": "hi"}))


TABLE = [
    ("{{ request.method }} {{ request.url }}", "POST /users/42?page=2&tag=a&tag=b"),
    (
        "{{ request.path }} {{ request.path[0] }} {{ request.path.userId }} {{ request.path['userId'] }}",
        "/users/42 users 42 42",
    ),
    (
        "{{ request.query.page }} {{ request.query.tag }} {{ request.query.tag[1] }} {{ request.query.tag.last }}",
        "2 a b b",
    ),
    ("{% if request.query.page == '2' %}two{% endif %}", "two"),
    ("{{ request.headers['X-Request-Id'] }} {{ request.headers['x-request-id'] }}", "req-1 req-1"),
    (
        "{{ request.cookies.session }} {{ request.host }} {{ request.port }} {{ request.baseUrl }}",
        "abc api.example.com 80 http://api.example.com",
    ),
    ("{{ request.clientIp }} {{ parameters.greeting }}", "10.1.2.3 hi"),
    (
        "[{{ request.query.absent }}][{{ request.headers['Absent'] }}][{{ none }}][{{ request.nothing.deeper }}]",
        "[][][][]",
    ),
    ("{% for segment in request.path %}<{{ segment }}>{% endfor %}", "<users><42>"),
    ("{% for value in request.query.tag %}{{ value }}{% endfor %}", "ab"),
    ("{{ json_path(request.body, '$.name') }}", "Ann"),
    ("{{ request.body | json_path('$.items[1].name') }}", "Two"),
    ("{{ json_path(request.body, '$.missing', default='d') }}", "d"),
    ("{% for item in json_path(request.body, '$.items') %}{{ item.id }}{% endfor %}", "12"),
    ("{{ json_path(request.body, '$.outer') | to_json }}", '{"inner":"Stuff"}'),
    ("{{ to_json({'a': [1, 2]}, pretty=true) }}", '{\n  "a" : [ 1, 2 ]\n}'),
    ("{{ (request.body | parse_json).outer.inner }}", "Stuff"),
    ("{{ 'hello' | base64 }} {{ 'aGVsbG8=' | base64(decode=true) }}", "aGVsbG8= hello"),
    ("{{ 'a b&c' | url_encode }}", "a+b%26c"),
    ("{{ regex_extract('abc-123', '[0-9]+') }} {{ regex_extract('abc', '[0-9]+', default='none') }}", "123 none"),
    ("{{ matches('123', '[0-9]+') }} {{ contains('abc', 'b') }}", "True True"),
    ("{{ math(10, '/', 4) }} {{ 10 / 4 }}", "3 2.5"),
    ("{{ date(parse_date('2021-06-15T15:16:17Z'), format='yyyy-MM-dd') }}", "2021-06-15"),
    ("{{ parse_date('Tue, 15 Jun 2021 15:16:17 GMT') | date(format='%d.%m.%Y') }}", "15.06.2021"),
    ("{{ truncate_date(parse_date('2021-06-15T15:16:17Z'), 'first day of year') }}", "2021-01-01T00:00:00Z"),
    ("{{ json_merge('{\"a\":1}', '{\"b\":2}') }}", '{"a":1,"b":2}'),
    ("{{ json_array_add('[1]', '2') }} {{ json_remove('{\"a\":1,\"b\":2}', '$.a') }}", '[1,2] {"b":2}'),
    ("{{ format_json('{\"a\":1}') }}", '{\n  "a" : 1\n}'),
    ("{{ form_data('a=1&b=2&b=3').b[1] }}", "3"),
    ("{{ size('abc') }} {{ pick_random('only') }}", "3 only"),
    ("{{ x_path('<a><b>x</b></a>', '/a/b/text()') }}", "x"),
    ("{{ random_value(length=4, type='NUMERIC') | length }}", "4"),
    ("{% set n = random_int(lower=3, upper=4) %}{{ n }}", "3"),
    ("{{ originalRequest.method }}", "POST"),
    ("{# a comment #}text\n", "text\n"),  # a body's trailing newline is kept
    ("{{ '<b>&' }}", "<b>&"),  # no HTML escaping: these are API bodies
]


@pytest.mark.parametrize(("source", "expected"), TABLE)
def test_jinja_table(source: str, expected: str) -> None:
    assert render(source) == expected


PATTERNS = [
    ("{{ now() }}", r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"),
    ("{{ now(format='%Y') }}", str(dt.datetime.now(dt.timezone.utc).year)),
    ("{{ now(offset='1 years', format='yyyy') }}", str(dt.datetime.now(dt.timezone.utc).year + 1)),
    ("{{ now(format='epoch') }}", r"\d{13}"),
    ("{{ now(timezone='Asia/Kolkata', format='XXX') }}", r"\+05:30"),
    ("{{ uuid() }}", r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"),
    ("{{ random_value(length=8, uppercase=true) }}", r"[A-Z0-9]{8}"),
    ("{{ random_decimal(lower=1, upper=2) }}", r"1\.\d+"),
    ("{{ fake('first_name') }}", r"[A-Z][\w'-]+"),
    ("{{ fake('Internet.emailAddress') }}", r"[^@\s]+@[^@\s]+"),
    ("{{ pick_random('a', 'b') }}", r"[ab]"),
    ("{{ hostname() }}", r".+"),
]


@pytest.mark.parametrize(("source", "pattern"), PATTERNS)
def test_jinja_generated_values(source: str, pattern: str) -> None:
    assert re.fullmatch(pattern, render(source))


def test_a_webhook_template_sees_the_original_response() -> None:
    template = compile_template("{{ originalResponse.status }} {{ originalResponse.body }}", "jinja")
    context = template_context(make_request(), original_response=Response(202, "accepted"))
    assert template.render(context) == "202 accepted"


SANDBOX = [
    "{{ ''.__class__.__mro__ }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ request._request }}",
    "{{ request.__class__ }}",
    "{{ lipsum.__globals__['os'] }}",
    "{{ self.__init__ }}",
    "{{ request|attr('__class__') }}",
    "{{ request['__class__'] }}",
    "{{ ().__class__.__base__.__subclasses__() }}",
    "{{ request.query.tag.append('x') }}",
    "{{ parameters.update({'a': 1}) }}",
    "{{ range(10**9) | list }}",
    "{{ request.headers.__dict__ }}",
    "{% import 'os' as os %}",
    "{% from 'os' import path %}",
    "{% include 'secrets.txt' %}",
    "{% extends 'base.html' %}",
]


@pytest.mark.parametrize("source", SANDBOX)
def test_the_sandbox_refuses_escapes(source: str) -> None:
    with pytest.raises(TemplateError) as caught:
        render(source)
    message = str(caught.value)
    assert re.search(r"refused|not allowed|sandbox|unsafe|too big|immutable|cannot", message), message


def test_unknown_names_are_refused_at_load() -> None:
    with pytest.raises(TemplateError, match=r"line 2: unknown name 'reqest' in the template; did you mean 'request'\?"):
        compile_template("ok\n{{ reqest.path }}", "jinja")


def test_syntax_errors_have_a_line() -> None:
    with pytest.raises(TemplateError, match=r"line 3: Jinja syntax error: .*endif"):
        compile_template("a\nb\n{% if x %}", "jinja")


def test_helper_failures_are_template_errors_at_render() -> None:
    template = compile_template("line 1\n{{ json_path(request.body, '$.a') }}", "jinja")
    with pytest.raises(TemplateError, match=r"line 2: json_path: \{not json is not valid JSON"):
        template.render(template_context(make_request(b"{not json")))


def test_a_failing_filter_is_a_template_error() -> None:
    template = compile_template("{{ request.body | int(base=0) + 'x' }}", "jinja")
    with pytest.raises(TemplateError, match="the template failed"):
        template.render(template_context(make_request()))
