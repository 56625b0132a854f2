"""Handlebars templates (WireMock's dialect): template -> output tables for the request model and every helper.

Driven through ``compile_template`` and ``template_context(Request(...))``; the wire is covered by
test_templating_server.py. Outputs quoted from WireMock's documentation are in ``WIREMOCK_DOCS``.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import socket
from zoneinfo import ZoneInfo

import pytest

from mockpit._model import Request, Response
from mockpit._templating.template import TemplateError, compile_template, template_context

BODY = (
    b'{"name":"Ann","age":31,"items":[{"id":1,"name":"One"},{"id":2,"name":"Two"}],'
    b'"outer":{"inner":"Stuff"},"flag":true,"none":null,"price":1.5,"names":["x","y"]}'
)
HEADERS = [
    ("Host", "api.example.com:8443"),
    ("X-Request-Id", "req-1"),
    ("Accept", "application/json"),
    ("Accept", "text/plain"),
    ("Cookie", "session=abc; theme=dark"),
    ("Content-Type", "application/json"),
    ("X-Padded", "  padded  "),
    ("MyDate", "Tue, 15 Jun 2021 15:16:17 GMT"),
]


def make_request(
    body: bytes = BODY,
    *,
    method: str = "POST",
    path: str = "/users/42/orders",
    query: str = "page=2&tag=a&tag=b&q=hello%20world",
    headers: list[tuple[str, str]] | None = None,
) -> Request:
    request = Request(
        method,
        path,
        query,
        HEADERS if headers is None else headers,
        body,
        client=("10.1.2.3", 40000),
        scheme="https",
    )
    request.path_params = {"userId": "42"}
    return request


def render(source: str, request: Request | None = None, **kwargs: object) -> str:
    escape = bool(kwargs.pop("escape_html", False))
    template = compile_template(source, escape_html=escape)
    return template.render(
        template_context(
            request or make_request(),
            parameters={"name": "Parameter Value", "nested": {"a": [1, 2]}},
            request_id="11111111-2222-3333-4444-555555555555",
        )
    )


REQUEST_MODEL = [
    ("{{request.url}}", "/users/42/orders?page=2&tag=a&tag=b&q=hello%20world"),
    ("{{request.path}}", "/users/42/orders"),
    ("{{request.path.[0]}}", "users"),
    ("{{request.path.1}}", "42"),
    ("{{request.path.userId}}", "42"),
    ("{{request.path.[9]}}", ""),
    ("{{request.pathSegments.[2]}}", "orders"),
    ("{{request.query.page}}", "2"),
    ("{{request.query.tag}}", "a"),
    ("{{request.query.tag.[1]}}", "b"),
    ("{{request.query.tag.0}}", "a"),
    ("{{request.query.tag.first}}", "a"),
    ("{{request.query.tag.last}}", "b"),
    ("{{request.query.q}}", "hello world"),
    ("{{request.query.absent}}", ""),
    ("{{request.method}}", "POST"),
    ("{{request.scheme}}", "https"),
    ("{{request.host}}", "api.example.com"),
    ("{{request.port}}", "8443"),
    ("{{request.baseUrl}}", "https://api.example.com:8443"),
    ("{{request.headers.X-Request-Id}}", "req-1"),
    ("{{request.headers.x-request-id}}", "req-1"),
    ("{{request.headers.[X-Request-Id]}}", "req-1"),
    ("{{request.headers.Accept}}", "application/json"),
    ("{{request.headers.Accept.[1]}}", "text/plain"),
    ("{{request.headers.Absent}}", ""),
    ("{{request.cookies.session}}", "abc"),
    ("{{request.cookies.theme}}", "dark"),
    ("{{request.body}}", BODY.decode()),
    ("{{request.bodyAsBase64}}", base64.b64encode(BODY).decode()),
    ("{{request.clientIp}}", "10.1.2.3"),
    ("{{request.id}}", "11111111-2222-3333-4444-555555555555"),
    ("{{request.multipart}}", "false"),
    ("{{parameters.name}}", "Parameter Value"),
    ("{{parameters.nested.a.[1]}}", "2"),
    ("{{request.nothing}}", ""),
    ("{{@root.request.method}}", "POST"),
    ("{{#each request.path}}[{{this}}]{{/each}}", "[users][42][orders]"),
    ("{{#each request.query.tag}}{{this}};{{/each}}", "a;b;"),
]


@pytest.mark.parametrize(("source", "expected"), REQUEST_MODEL)
def test_request_model(source: str, expected: str) -> None:
    assert render(source) == expected


#: templates that only copy request parts, which a response renders without a template context
COPY_ONLY = [
    source
    for source, _ in REQUEST_MODEL
    if source.startswith("{{request.") and source not in ("{{request.id}}", "{{request.nothing}}")
] + ["{{{request.body}}}", "echo: {{{request.body}}} from {{request.method}} {{request.path}}\n", "plain text"]


@pytest.mark.parametrize("source", COPY_ONLY)
def test_a_template_that_only_copies_request_parts_copies_what_it_renders(source: str) -> None:
    template = compile_template(source)
    assert template.copy is not None
    for request in (make_request(), make_request(b"\xff\xfe not utf-8", headers=[("X-Request-Id", "a b")])):
        assert template.copy(request) == template.render(template_context(request))


@pytest.mark.parametrize(
    "source",
    [
        "{{request.id}}",  # the journal's id: only the context knows it
        "{{request.nothing}}",
        "{{parameters.name}}",
        "{{@root.request.method}}",
        "{{#each request.path}}[{{this}}]{{/each}}",
        "{{jsonPath request.body '$.name'}}",
        "{{request.body}} {{now}}",
        "{{this.request.body}}",
    ],
)
def test_other_templates_take_the_template_engine(source: str) -> None:
    assert compile_template(source).copy is None


def test_an_html_escaping_template_copies_only_what_it_does_not_escape() -> None:
    assert compile_template("{{request.body}}", escape_html=True).copy is None
    template = compile_template("{{{request.body}}}", escape_html=True)
    assert template.copy is not None
    assert template.copy(make_request(b"<a>")) == "<a>"


def test_the_default_port_follows_the_scheme() -> None:
    request = make_request(headers=[("Host", "example.com")])
    assert render("{{request.port}} {{request.baseUrl}}", request) == "443 https://example.com"


def test_a_webhook_sees_the_original_request_and_response() -> None:
    template = compile_template(
        "{{originalRequest.method}} {{originalResponse.status}} {{originalResponse.headers.X-Out}} "
        "{{jsonPath originalResponse.body '$.ok'}}"
    )
    response = Response(201, '{"ok": true}', headers={"X-Out": "yes"})
    context = template_context(make_request(), original_response=response)
    assert template.render(context) == "POST 201 yes true"


SYNTAX = [
    ("plain text", "plain text"),
    ("{{#if true}}\nx\n{{/if}}\n", "\nx\n\n"),  # block-only lines keep their breaks (handlebars.java)
    ("a{{! comment }}b{{!-- a }} comment --}}c", "abc"),
    ("a  {{~ 'x' ~}}  b", "axb"),
    ("a\n  {{~#if true~}}\n  yes\n  {{~/if~}}\n b", "ayesb"),
    ("{{{request.query.q}}}", "hello world"),
    ("{{& request.query.q}}", "hello world"),
    ("{{\"double\"}} {{'single'}}", "double single"),
    ("{{'it\\'s'}}", "it's"),
    ("\\{{request.method}}", "{{request.method}}"),
    ("\\\\{{request.method}}", "\\POST"),
    ("{{{{raw}}}}{{request.method}} {{#if}}{{{{/raw}}}}", "{{request.method}} {{#if}}"),
    ("{{array 1 2.5 -3 true false null}}", "[1, 2.5, -3, true, false, null]"),
    ("{{math (math 1 '+' 2) '*' 3}}", "9"),
    ("{{eq 1 2 yes='Y' no='N'}}", "N"),
    ("{{#if true}}y{{else}}n{{/if}}", "y"),
    ("{{#if 0}}y{{else}}n{{/if}}", "n"),
    ("{{#if ''}}y{{^}}n{{/if}}", "n"),
    ("{{#if (array)}}y{{else}}n{{/if}}", "n"),
    ("{{#if (parseJson '{}')}}y{{else}}n{{/if}}", "y"),  # maps are true, as in Handlebars
    ("{{#unless request.query.absent}}none{{/unless}}", "none"),
    ("{{#if (eq request.query.page '1')}}one{{else if (eq request.query.page '2')}}two{{else}}other{{/if}}", "two"),
    ("{{#if false}}a{{else if false}}b{{else unless false}}c{{/if}}", "c"),
    ("{{#eq request.method 'POST'}}post{{else}}other{{/eq}}", "post"),
    ("{{#with request.path}}{{this.[0]}}{{/with}}", "users"),
    ("{{#with request.query.absent}}x{{else}}nothing{{/with}}", "nothing"),
    ("{{#with request.path as |p|}}{{p.userId}}{{/with}}", "42"),
    (
        "{{#each (array 'a' 'b' 'c')}}{{@index}}:{{this}}{{#if @first}}F{{/if}}{{#if @last}}L{{/if}} {{/each}}",
        "0:aF 1:b 2:cL ",
    ),
    ("{{#each (array 'a' 'b') as |letter i|}}{{i}}{{letter}}{{/each}}", "0a1b"),
    ('{{#each (parseJson \'{"a":1,"b":2}\')}}{{@key}}={{this}};{{/each}}', "a=1;b=2;"),
    ("{{#each (array)}}x{{else}}empty{{/each}}", "empty"),
    ("{{#each (array 1 2)}}{{../request.method}}{{/each}}", "POSTPOST"),
    ("{{#each (array 1)}}{{request.method}}{{/each}}", "POST"),  # names resolve up the contexts (handlebars.java)
    ("{{#each (array (array 1 2) (array 3))}}{{#each this}}{{this}}{{/each}};{{/each}}", "12;3;"),
    ("{{#request.query.tag}}[{{this}}]{{/request.query.tag}}", "[a][b]"),
    ("{{#request.path}}{{this.[0]}}{{/request.path}}", "users"),
    ("{{^request.query.absent}}absent{{/request.query.absent}}", "absent"),
    ("{{lookup request.query 'page'}}", "2"),
    ("{{lookup (array 'x' 'y') 1}}", "y"),
    ("{{log 'ignored'}}done", "done"),
    ("{{this.request.method}}", "POST"),
    ("{{request/method}}", "POST"),
    ('<a href="{{request.query.q}}">', '<a href="hello world">'),
]


@pytest.mark.parametrize(("source", "expected"), SYNTAX)
def test_syntax(source: str, expected: str) -> None:
    assert render(source) == expected


def test_html_escaping_is_off_by_default_as_in_wiremock_3_and_available() -> None:
    request = make_request(body=b'<a href="x">&\'`=')
    assert render("{{request.body}}", request) == '<a href="x">&\'`='
    escaped = "&lt;a href&#x3D;&quot;x&quot;&gt;&amp;&#x27;&#x60;&#x3D;"
    assert render("{{request.body}}", request, escape_html=True) == escaped
    assert render("{{{request.body}}}", request, escape_html=True) == '<a href="x">&\'`='


CONDITIONALS = [
    ("{{eq request.query.page '2'}}", "true"),  # one-valued query parameters compare as their value
    ("{{eq request.query.tag 'a'}}", "false"),  # several values: the list, as WireMock documents
    ("{{eq request.query.tag.[0] 'a'}}", "true"),
    ("{{eq 1 '1'}}", "false"),
    ("{{eq 2 2}}", "true"),
    ("{{neq 1 2}}", "true"),
    ("{{gt 3 2}}", "true"),
    ("{{gt request.query.page 1}}", "true"),
    ("{{gte 2 2}}", "true"),
    ("{{lt 'a' 'b'}}", "true"),
    ("{{lte 3 2}}", "false"),
    ("{{and true 1 'x'}}", "true"),
    ("{{and true 0}}", "false"),
    ("{{or false 0 ''}}", "false"),
    ("{{or false 'x'}}", "true"),
    ("{{not ''}}", "true"),
    ("{{not request.method}}", "false"),
    ("{{#gt 3 2}}bigger{{else}}smaller{{/gt}}", "bigger"),
    ("{{#and true false}}both{{else}}not both{{/and}}", "not both"),
    ("{{#not false}}negated{{/not}}", "negated"),
]


@pytest.mark.parametrize(("source", "expected"), CONDITIONALS)
def test_conditional_helpers(source: str, expected: str) -> None:
    assert render(source) == expected


XML = b'<things><item id="1">One</item><item id="2">Two</item><outer><inner>Stuff</inner></outer></things>'
SOAP = (
    b'<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope/"><soap:Body>'
    b'<m:a xmlns:m="urn:m"><m:test>success</m:test></m:a></soap:Body></soap:Envelope>'
)

JSON_AND_XML = [
    ("{{jsonPath request.body '$.name'}}", "Ann"),
    ("{{jsonPath request.body 'name'}}", "Ann"),
    ("{{jsonPath request.body '$.age'}}", "31"),
    ("{{jsonPath request.body '$.price'}}", "1.5"),
    ("{{jsonPath request.body '$.flag'}}", "true"),
    ("{{jsonPath request.body '$.none'}}", ""),
    ("{{jsonPath request.body '$.none' default='x'}}", "x"),
    ("{{jsonPath request.body '$.missing.deeper[0]' default='M'}}", "M"),
    ("{{jsonPath request.body '$.items[0].name'}}", "One"),
    ("{{jsonPath request.body \"$['outer']['inner']\"}}", "Stuff"),
    ("{{jsonPath request.body '$.items[*].id'}}", "[1,2]"),
    ("{{jsonPath request.body '$.names'}}", '["x","y"]'),
    ("{{jsonPath request.body '$.items[?(@.id == 2)].name'}}", '["Two"]'),
    ("{{jsonPath request.body '$.items.length()'}}", "2"),
    ("{{jsonPath request.body '$.outer'}}", '{\n  "inner" : "Stuff"\n}'),
    ("{{jsonPath request.body '$.items[0]'}}", '{\n  "id" : 1,\n  "name" : "One"\n}'),
    ("{{#each (jsonPath request.body '$.items') as |item|}}{{item.name}} {{/each}}", "One Two "),
    ("{{#each (jsonPath request.body '$.outer') as |value key|}}{{key}}={{value}}{{/each}}", "inner=Stuff"),
    ("{{#if (jsonPath request.body '$.flag')}}flagged{{/if}}", "flagged"),
    ("{{jsonPath (parseJson request.body) '$.outer.inner'}}", "Stuff"),
    ("{{jsonPath parameters.nested '$.a[1]'}}", "2"),
    ("{{size (jsonPath request.body '$.items')}}", "2"),
    ("{{jsonPath 'not json' '$.a'}}", "[ERROR: not json is not valid JSON]"),
    ("{{jsonPath '' '$.a'}}", ""),
    ("{{jsonPath request.body}}", "[ERROR: The JSONPath cannot be empty]"),
]


@pytest.mark.parametrize(("source", "expected"), JSON_AND_XML)
def test_json_path(source: str, expected: str) -> None:
    assert render(source) == expected


XPATHS = [
    ("{{xPath request.body '/things/outer/inner/text()'}}", "Stuff"),
    ("{{xPath request.body '/things/outer/inner'}}", "<inner>Stuff</inner>"),
    ("{{xPath request.body '/things/item/@id'}}", "1"),
    ("{{xPath request.body 'count(/things/item)'}}", "2"),
    ("{{xPath request.body '/things/nothing'}}", ""),
    (
        "{{#each (xPath request.body '/things/item') as |node|}}{{node.name}}:{{node.text}}:{{node.attributes.id}} "
        "{{/each}}",
        "item:One:1 item:Two:2 ",
    ),
    ("{{xPath 'not xml' '/a'}}", "[ERROR: not xml is not valid XML]"),
]


@pytest.mark.parametrize(("source", "expected"), XPATHS)
def test_xpath(source: str, expected: str) -> None:
    assert render(source, make_request(XML)) == expected


def test_soap_xpath_reads_the_body_of_the_envelope() -> None:
    assert render("{{soapXPath request.body '/a/test/text()'}}", make_request(SOAP)) == "success"


def test_xpath_does_not_expand_entities_or_read_files() -> None:
    attack = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>'
    assert "root:" not in render("{{xPath request.body '/r/text()'}}", make_request(attack))
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><r>&c;</r>'
    )
    assert len(render("{{xPath request.body '/r'}}", make_request(bomb))) < 100


HELPERS = [
    # math
    ("{{math 1 '+' 2}}", "3"),
    ("{{math 4 '-' 2}}", "2"),
    ("{{math 2 '*' 3}}", "6"),
    ("{{math 8 '/' 2}}", "4"),
    ("{{math 10 '%' 3}}", "1"),
    ("{{math 10 '/' 3}}", "3"),
    ("{{math 10.5 '/' 2}}", "5.3"),
    ("{{math 1.5 '+' 2.5}}", "4.0"),
    ("{{math '7' 'x' 6}}", "42"),
    ("{{math request.query.page '*' 10}}", "20"),
    ("{{math 'abc' '+' 1}}", "1"),
    ("{{math 1 '/' 0}}", "[ERROR: 1 / 0 has no result (division by zero?)]"),
    # size, range, array
    ("{{size 'abcde'}}", "5"),
    ("{{size request.query.tag}}", "2"),
    ("{{size (parseJson '{\"a\":1}')}}", "1"),
    ("{{range 3 8}}", "[3, 4, 5, 6, 7, 8]"),
    ("{{range -2 2}}", "[-2, -1, 0, 1, 2]"),
    ("{{array 1 'two' true}}", "[1, two, true]"),
    ("{{array}}", "[]"),
    # encodings
    ("{{base64 'hello'}}", "aGVsbG8="),
    ("{{base64 'aGVsbG8=' decode=true}}", "hello"),
    ("{{base64 'hi' padding=false}}", "aGk"),
    ("{{#base64}}Content to encode{{/base64}}", "Q29udGVudCB0byBlbmNvZGU="),
    ("{{#base64 decode=true}}Q29udGVudCB0byBkZWNvZGUK{{/base64}}", "Content to decode\n"),
    ("{{urlEncode 'a b&c=d~*é'}}", "a+b%26c%3Dd%7E*%C3%A9"),
    ("{{urlEncode 'Content%20to+decode' decode=true}}", "Content to decode"),
    ("{{#urlEncode}}a b{{/urlEncode}}", "a+b"),
    # regular expressions
    ("{{regexExtract 'abc-DEF-123' '[A-Z]+'}}", "DEF"),
    (
        "{{regexExtract 'abc-DEF-123' '([a-z]+)-([A-Z]+)-([0-9]+)' 'parts'}}{{parts.0}},{{parts.1}},{{parts.2}}",
        "abc,DEF,123",
    ),
    ("{{regexExtract 'abc' '[0-9]+' default='my default value'}}", "my default value"),
    ("{{regexExtract 'abc' '[0-9]+'}}", "[ERROR: Nothing matched [0-9]+]"),
    ("{{matches '123' '[0-9]+'}}", "true"),
    ("{{matches '123a' '[0-9]+'}}", "false"),
    ("{{#matches '123' '[0-9]+'}}YES{{/matches}}", "YES"),
    ("{{contains 'abcde' 'abc'}}", "true"),
    ("{{contains (array 'a' 'b' 'c') 'd'}}", "false"),
    ("{{#contains (array 'a' 'b' 'c') 'a'}}YES{{/contains}}", "YES"),
    ("{{#contains 'abc' 'z'}}YES{{/contains}}", ""),
    # strings (handlebars.java's StringHelpers)
    ("{{trim request.headers.X-Padded}}", "padded"),
    ("{{#trim}}\n\n    Some stuff with whitespace\n\n{{/trim}}", "Some stuff with whitespace"),
    ("{{upper 'Hello'}} {{lower 'Still MAD At Yoko'}}", "HELLO still mad at yoko"),
    ("{{capitalize 'my first post'}}", "My First Post"),
    ("{{capitalize 'mY fIRST' fully=true}}", "My First"),
    ("{{capitalizeFirst 'handlebars.java'}}", "Handlebars.java"),
    ("{{abbreviate 'Handlebars rocks' 13}}", "Handlebars..."),
    ("{{defaultIfEmpty request.query.absent 'nothing'}}", "nothing"),
    ("{{defaultIfEmpty 'something' 'nothing'}}", "something"),
    ("{{upper request.query.absent 'fallback'}}", "fallback"),
    ("{{replace 'Handlebars ...' '...' 'rocks'}}", "Handlebars rocks"),
    ("{{substring 'Handlebars.java' 11}}", "java"),
    ("{{substring 'Handlebars.java' 0 10}}", "Handlebars"),
    ("[{{center 'ab' size=6 pad='*'}}][{{ljust 'ab' size=4}}][{{rjust 'ab' size=4 pad='0'}}]", "[**ab**][ab  ][00ab]"),
    ("{{cut 'String with spaces'}}", "Stringwithspaces"),
    ("{{cut 'a-b-c' '-'}}", "abc"),
    ("{{slugify ' Joel is a slug '}}", "joel-is-a-slug"),
    ("{{stripTags '<b>bold</b> text'}}", "bold text"),
    ("{{stringFormat 'Hello %s, you are %d' 'Ann' 31}}", "Hello Ann, you are 31"),
    ("{{stringFormat '%.2f%%' 12.345}}", "12.35%"),
    ("{{yesno true}} {{yesno false no='nope'}} {{yesno null}}", "yes nope maybe"),
    ("{{join (array 'a' 'b' 'c') ' // '}}", "a // b // c"),
    ("{{join 'a' 'b' 'c' ', ' prefix='[' suffix=']'}}", "[a, b, c]"),
    ("{{split 'a,b,c' ','}}", "[a, b, c]"),
    ("{{#each (split 'x y' ' ')}}<{{this}}>{{/each}}", "<x><y>"),
    ("{{wordWrap 'Joel is a slug' 5}}", "Joel\nis a\nslug"),
    ("{{isOdd 3}} {{isOdd 3 'rightBox'}} {{isOdd 2}}", "odd rightBox "),
    ("{{isEven 2}} {{isEven 4 'leftBox'}}", "even leftBox"),
    ("{{stripes 3 'row-even' 'row-odd'}}", "row-odd"),
    # variables
    ("{{#assign 'myVar'}}  {{capitalize 'value'}}  {{/assign}}[{{myVar}}]", "[Value]"),
    ("{{val request.query.absent or='default'}}", "default"),
    ("{{val request.query.page default='default'}}", "2"),
    ("{{val request.query.absent}}", ""),
    ("{{val 'value for myVar' assign='myVar'}}{{myVar}}", "value for myVar"),
    ("{{val 10 assign='n'}}{{#lt n 20}}Less Than{{else}}More Than{{/lt}}", "Less Than"),
    ("{{formData 'a=1&b=x%20y&m=1&m=2' 'form' urlDecode=true}}{{form.b}} {{form.m.1}} {{form.m.last}}", "x y 2 2"),
    ("{{formData 'b=x%20y' 'form'}}{{form.b}}", "x%20y"),
    # JSON building
    ("{{toJson (array 1 2 3)}}", "[ 1, 2, 3 ]"),
    ("{{toJson 'null'}}", '"null"'),
    ("{{toJson null}}", "null"),
    ("{{toJson true}} {{toJson 123}}", "true 123"),
    ('{{toJson (parseJson \'{"a":{},"b":[]}\')}}', '{\n  "a" : { },\n  "b" : [ ]\n}'),
    ("{{toJson request.query}}", '{\n  "page" : "2",\n  "tag" : [ "a", "b" ],\n  "q" : "hello world"\n}'),
    ('{{formatJson \'{"foo":true,"bar":{"baz":false}}\' format=\'compact\'}}', '{"foo":true,"bar":{"baz":false}}'),
    ("{{formatJson 'not json'}}", "[ERROR: There was an error parsing the json. Please make sure the json is valid]"),
    (
        "{{formatJson ''}}",
        "[ERROR: formatJson should take a block of JSON to format or a single parameter of type String]",
    ),
    ("{{formatJson '{}' format='tiny'}}", "[ERROR: formatJson: format [tiny] should be one of [pretty, compact]]"),
    (
        "{{formatXml ''}}",
        "[ERROR: formatXml should take a block of XML to format or a single parameter of type String]",
    ),
    ("{{formatXml '<a/>' format='tiny'}}", "[ERROR: formatXml: format [tiny] should be one of [pretty, compact]]"),
    ('{{#parseJson \'parsed\'}}{"name": "transformed"}{{/parseJson}}{{parsed.name}}', "transformed"),
    ("{{parseJson request.body 'bodyJson'}}{{bodyJson.items.[1].name}}", "Two"),
    ("{{lookup (parseJson request.body) 'name'}}", "Ann"),
    ("{{parseJson '[1,2]' 'list'}}{{list.1}}", "2"),
    ('{{jsonRemove \'{"id": 456, "name": "bob"}\' \'$.name\'}}', '{"id":456}'),
    ("{{jsonRemove '{\"id\": 456}' '$.absent'}}", '{"id":456}'),
    ("{{jsonArrayAdd '[1]' '2'}}", "[1,2]"),
    ("{{jsonArrayAdd '[1]' '[2,3]' flatten=true}}", "[1,2,3]"),
    ("{{jsonArrayAdd '[1,2,3]' '4' maxItems=2}}", "[3,4]"),
    ("{{jsonArrayAdd '{\"a\":{\"list\":[]}}' '\"x\"' jsonPath='$.a.list'}}", '{"a":{"list":["x"]}}'),
    ("{{jsonArrayAdd '{}' '1'}}", "[ERROR: Target JSON is not a JSON array ('{}')]"),
    ("{{#jsonArrayAdd (val existing or='[]')}}{\"id\": 1}{{/jsonArrayAdd}}", '[{"id":1}]'),
    ("{{jsonMerge '{\"a\":1}' '[]'}}", "[ERROR: JSON to merge is not a JSON object ('[]')]"),
    # arrays
    ("{{arrayAdd (array 1 'three') 2 position=1}}", "[1, 2, three]"),
    ("{{arrayRemove (array 1 2 'three') position='start'}}", "[2, three]"),
    ("{{arrayJoin ',' (array 'One' 'Two' 'Three')}}", "One,Two,Three"),
    ("{{arrayJoin ' - ' 'a' 'b' 'c'}}", "a - b - c"),
    ("{{arrayJoin ' * ' (array 1 2 3) prefix='(' suffix=')'}}", "(1 * 2 * 3)"),
    ("{{#arrayJoin ',' (array 1 2) as |n|}}<{{n}}>{{/arrayJoin}}", "<1>,<2>"),
    ("{{pickRandom 'only'}}", "only"),
    ("{{pickRandom (array 7)}}", "7"),
    # dates with fixed inputs
    ("{{date (parseDate request.headers.MyDate)}}", "2021-06-15T15:16:17Z"),
    ("{{date (truncateDate (parseDate request.headers.MyDate) 'first day of month')}}", "2021-06-01T00:00:00Z"),
    ("{{date (truncateDate (parseDate request.headers.MyDate) 'last day of month')}}", "2021-06-30T00:00:00Z"),
    ("{{date (truncateDate (parseDate request.headers.MyDate) 'first day of next year')}}", "2022-01-01T00:00:00Z"),
    ("{{date (truncateDate (parseDate request.headers.MyDate) 'first hour of day')}}", "2021-06-15T00:00:00Z"),
    ("{{date (parseDate '15/06/2021' format='dd/MM/yyyy')}}", "2021-06-15T00:00:00Z"),
    ("{{date (parseDate '1623770177' format='unix')}}", "2021-06-15T15:16:17Z"),
    ("{{date (parseDate '1623770177123' format='epoch') format='epoch'}}", "1623770177123"),
    ("{{date (parseDate '2021-06-15T15:16:17+02:00')}}", "2021-06-15T13:16:17Z"),
    ("{{date (parseDate 'Tuesday, 15-Jun-21 15:16:17 GMT')}}", "2021-06-15T15:16:17Z"),
    ("{{date (parseDate 'Tue Jun 15 15:16:17 2021')}}", "2021-06-15T15:16:17Z"),
    ("{{date (parseDate '2021-01-31T00:00:00Z') offset='1 months'}}", "2021-02-28T00:00:00Z"),
    ("{{date (parseDate '2021-06-15T15:16:17Z') offset='-1 days' format='yyyy-MM-dd'}}", "2021-06-14"),
    (
        "{{date (parseDate '2021-06-15T15:16:17Z') format=\"EEE, d MMM yyyy HH:mm:ss 'GMT'\"}}",
        "Tue, 15 Jun 2021 15:16:17 GMT",
    ),
    (
        "{{date (parseDate '2021-06-15T15:16:17Z') format='yy-M-d h:mm a D EEEE MMMM'}}",
        "21-6-15 3:16 PM 166 Tuesday June",
    ),
    ("{{date (parseDate '2021-06-15T15:16:17Z') format=\"yyyy-MM-dd'T'HH:mm:ss.SSSXXX\"}}", "2021-06-15T15:16:17.000Z"),
    ("{{date (parseDate '2021-06-15T15:16:17Z') format='%Y/%m/%d'}}", "2021/06/15"),
    ("{{date (parseDate '2021-06-15T15:16:17Z') format='unix'}}", "1623770177"),
    ("{{dateFormat (parseDate '2012-06-19T10:00:00Z') 'full'}}", "Tuesday, June 19, 2012"),
    ("{{dateFormat (parseDate '2012-06-19T10:00:00Z') 'short'}}", "6/19/12"),
    ("{{dateFormat (parseDate '2012-06-19T10:00:00Z') format='yyyy' tz='Pacific/Kiritimati'}}", "2012"),
    ("{{#gt (parseDate '2021-06-16T00:00:00Z') (parseDate request.headers.MyDate)}}later{{/gt}}", "later"),
]


@pytest.mark.parametrize(("source", "expected"), HELPERS)
def test_helpers(source: str, expected: str) -> None:
    assert render(source) == expected


def test_a_date_that_cannot_be_parsed_renders_as_now() -> None:
    # WireMock: parseDate gives null, and date with no date prints the current time
    before = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    out = dt.datetime.fromisoformat(render("{{date (parseDate 'not a date')}}").replace("Z", "+00:00"))
    assert before <= out <= dt.datetime.now(dt.timezone.utc)


def test_date_in_a_time_zone() -> None:
    out = render("{{date (parseDate '2021-06-15T15:16:17Z') timezone='Australia/Sydney'}}")
    # a parsed date keeps its own zone (UTC) in WireMock; now takes the timezone
    assert out == "2021-06-15T15:16:17Z"
    now = render("{{now timezone='Australia/Sydney' format='yyyy-MM-dd HH:mm:ssZ'}}")
    expected = dt.datetime.now(ZoneInfo("Australia/Sydney")).strftime("%z")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[+-]\d{4}", now)
    assert now.endswith(expected)
    assert render("{{now timezone='+05:30' format='XXX'}}") == "+05:30"
    assert render("{{now timezone='UTC' format='XXX Z z'}}") == "Z +0000 UTC"


def _within(out: str, start: dt.datetime, end: dt.datetime) -> bool:
    return start - dt.timedelta(seconds=1) <= dt.datetime.fromisoformat(out.replace("Z", "+00:00")) <= end


def test_now_with_offsets_and_formats() -> None:
    start = dt.datetime.now(dt.timezone.utc)
    plain, later, earlier, epoch, unix, day = render(
        "{{now}}|{{now offset='3 days'}}|{{now offset='-24 seconds'}}|{{now format='epoch'}}|{{now format='unix'}}|"
        "{{now offset='10 years' format='yyyy-MM-dd'}}"
    ).split("|")
    end = dt.datetime.now(dt.timezone.utc)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", plain)
    assert _within(plain, start, end)
    assert _within(later, start + dt.timedelta(days=3), end + dt.timedelta(days=3))
    assert _within(earlier, start - dt.timedelta(seconds=24), end - dt.timedelta(seconds=24))
    assert start.timestamp() * 1000 - 1 <= int(epoch) <= end.timestamp() * 1000 + 1
    assert int(start.timestamp()) <= int(unix) <= int(end.timestamp())
    assert day[:4] == str(start.year + 10)
    assert render("{{now offset='now +1 years' format='yyyy'}}") == str(dt.datetime.now(dt.timezone.utc).year + 1)


RANDOM = [
    ("{{randomValue length=33 type='ALPHANUMERIC'}}", r"[a-z0-9]{33}"),
    ("{{randomValue length=12 type='ALPHANUMERIC' uppercase=true}}", r"[A-Z0-9]{12}"),
    ("{{randomValue length=55 type='ALPHABETIC'}}", r"[a-z]{55}"),
    ("{{randomValue length=27 type='ALPHABETIC' uppercase=true}}", r"[A-Z]{27}"),
    ("{{randomValue length=10 type='NUMERIC'}}", r"[0-9]{10}"),
    ("{{randomValue length=5 type='ALPHANUMERIC_AND_SYMBOLS'}}", r"[!-}]{5}"),
    ("{{randomValue type='UUID'}}", r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"),
    ("{{randomValue length=32 type='HEXADECIMAL' uppercase=true}}", r"[0-9A-F]{32}"),
    ("{{randomValue}}", r"[a-z0-9]{36}"),
    ("{{randomInt lower=5 upper=9}}", r"[5-8]"),
    ("{{randomInt upper=3}}", r"-?\d+"),
    ("{{randomDecimal lower=-10.1 upper=-0.9}}", r"-\d+\.\d+(E-?\d+)?"),
    ("{{pickRandom '1' '2' '3'}}", r"[123]"),
    ("{{pickRandom (jsonPath request.body '$.names')}}", r"[xy]"),
    ("{{pickRandom 1 2 3 4 5 count=3}}", r"\[[1-5], [1-5], [1-5]\]"),
    ("{{random 'Name.firstName'}}", r"[A-Z][\w'-]+"),
    ("{{random 'Name.first_name'}}", r"[A-Z][\w'-]+"),
    ("{{random 'Internet.emailAddress'}}", r"[^@\s]+@[^@\s]+"),
    ("{{random 'Address.city'}}", r".+"),
    ("{{random 'Internet.uuid'}}", r"[0-9a-f-]{36}"),
    ("{{random 'first_name'}}", r"[A-Z][\w'-]+"),
    ("{{hostname}}", re.escape(socket.gethostname())),
]


@pytest.mark.parametrize(("source", "pattern"), RANDOM)
def test_random_and_machine_values(source: str, pattern: str) -> None:
    assert re.fullmatch(pattern, render(source))


def test_random_values_differ_between_renders() -> None:
    template = compile_template("{{randomValue length=20}} {{randomInt}} {{randomValue type='UUID'}}")
    outputs = {template.render(template_context(make_request())) for _ in range(5)}
    assert len(outputs) == 5


def test_random_bounds_hold() -> None:
    template = compile_template("{{randomInt lower=5 upper=9}},{{randomDecimal lower=1.5 upper=2.5}}")
    for _ in range(200):
        integer, decimal = template.render(template_context(make_request())).split(",")
        assert 5 <= int(integer) < 9
        assert 1.5 <= float(decimal) <= 2.5


# Templates from WireMock's "Response Templating" documentation, with the output it documents.
WIREMOCK_DOCS = [
    ("{{request.query.things}}", "1"),
    ("{{request.query.things.0}}", "1"),
    ("{{request.query.things.first}}", "1"),
    ("{{request.query.things.1}}", "2"),
    ("{{request.query.things.[-1]}}", "2"),
    ("{{request.query.things.last}}", "3"),
    ("{{lookup request.query 'ids[].1'}}", "222"),
    ("{{val (array 1 2 3) default='123'}}", "[1, 2, 3]"),
    ("{{val null or='other value for myVar' assign='myVar'}}{{myVar}}", "other value for myVar"),
    ("{{toJson (array 1 2 3)}}", "[ 1, 2, 3 ]"),
    (
        '{{#formatJson}}{"foo":true,"bar":{"baz":false}}{{/formatJson}}',
        '{\n  "foo" : true,\n  "bar" : {\n    "baz" : false\n  }\n}',
    ),
    (
        '{{#formatJson format=\'compact\'}}\n{\n    "foo" : true,\n    "bar" : {\n        "baz" : false\n    }\n}\n'
        "{{/formatJson}}",
        '{"foo":true,"bar":{"baz":false}}',
    ),
    (
        '{{#assign \'someJson\'}} { "foo": true, "bar": { "baz": false } } {{/assign}}'
        "{{formatJson someJson format='compact'}}",
        '{"foo":true,"bar":{"baz":false}}',
    ),
    ("{{#formatXml}}\n<foo><bar\n>wh</bar></foo\n>\n{{/formatXml}}", "<foo>\n    <bar>wh</bar>\n</foo>"),
    ("{{#formatXml format='compact'}}\n<foo><bar\n>wh</bar></foo\n>\n{{/formatXml}}", "<foo><bar>wh</bar></foo>"),
    (
        "{{#assign 'someXml'}} <foo>  <bar>wh</bar>  </foo> {{/assign}}{{formatXml someXml format='compact'}}",
        "<foo><bar>wh</bar></foo>",
    ),
    (
        '{{#assign \'existingArray\'}}[{"id": 123, "name": "alice"}]{{/assign}}'
        '{{#assign \'newItem\'}}{"id": 321, "name": "sam"}{{/assign}}'
        "{{jsonArrayAdd existingArray newItem}}",
        '[{"id":123,"name":"alice"},{"id":321,"name":"sam"}]',
    ),
    (
        '{{#assign \'existingArray\'}}[{"id": 123, "name": "alice"}]{{/assign}}'
        '{{#jsonArrayAdd existingArray}}\n{\n    "id": 321,\n    "name": "sam"\n}\n{{/jsonArrayAdd}}',
        '[{"id":123,"name":"alice"},{"id":321,"name":"sam"}]',
    ),
    (
        '{{#assign \'object1\'}}{"id": 456, "forename": "Robert", "surname": "Smith", '
        '"address": {"number": "12"}, "hobbies": ["chess", "football"]}{{/assign}}'
        '{{#assign \'object2\'}}{"forename": "Robert", "nickname": "Bob", '
        '"address": {"street": "High Street"}, "hobbies": ["rugby"]}{{/assign}}'
        "{{jsonMerge object1 object2}}",
        '{"id":456,"forename":"Robert","surname":"Smith","address":{"number":"12","street":"High Street"},'
        '"hobbies":["rugby"],"nickname":"Bob"}',
    ),
    (
        '{{#assign \'object1\'}}{"id": 456, "address": {"number": "12"}}{{/assign}}'
        '{{#jsonMerge object1}}{"nickname": "Bob", "address": {"street": "High Street"}}{{/jsonMerge}}',
        '{"id":456,"address":{"number":"12","street":"High Street"},"nickname":"Bob"}',
    ),
    (
        '{{#assign \'existingArray\'}}[{ "id": 456, "name": "bob"}, { "id": 123, "name": "alice"}, '
        '{ "id": 321, "name": "sam"}]{{/assign}}{{jsonRemove existingArray \'$.[?(@.id == 123)]\'}}',
        '[{"id":456,"name":"bob"},{"id":321,"name":"sam"}]',
    ),
    (
        '{{#assign \'existingObject\'}}{ "id": 456, "name": "bob"}{{/assign}}{{jsonRemove existingObject \'$.name\'}}',
        '{"id":456}',
    ),
    ("{{range 3 8}}", "[3, 4, 5, 6, 7, 8]"),
    ("{{range -2 2}}", "[-2, -1, 0, 1, 2]"),
    ("{{array 1 'two' true}}", "[1, two, true]"),
    ("{{array}}", "[]"),
    ("{{arrayAdd (array 1 'three') 2 position=1}}", "[1, 2, three]"),
    ("{{arrayAdd (array 1 'three') 2 position='start'}}", "[2, 1, three]"),
    ("{{arrayAdd (array 1 'three') 2 position='end'}}", "[1, three, 2]"),
    ("{{arrayAdd (array 1 'three') 2}}", "[1, three, 2]"),
    ("{{arrayRemove (array 1 2 'three') position=1}}", "[1, three]"),
    ("{{arrayRemove (array 1 2 'three') position='start'}}", "[2, three]"),
    ("{{arrayRemove (array 1 2 'three') position='end'}}", "[1, 2]"),
    ("{{arrayRemove (array 1 2 'three')}}", "[1, 2]"),
    ("{{arrayJoin ',' (array 'One' 'Two' 'Three')}}", "One,Two,Three"),
    ("{{arrayJoin ' - ' 'a' 'b' 'c'}}", "a - b - c"),
    ("{{arrayJoin ', ' (range 1 5)}}", "1, 2, 3, 4, 5"),
    ("{{arrayJoin (pickRandom ':') (array 'One' 'Two' 'Three')}}", "One:Two:Three"),
    ("{{arrayJoin '' (array 'W' 'i' 'r' 'e' 'M' 'o' 'c' 'k' ' ' 'R' 'o' 'c' 'k' 's')}}", "WireMock Rocks"),
    ("{{arrayJoin ',' (array 'One' 'Two' 'Three') prefix='[' suffix=']'}}", "[One,Two,Three]"),
    ("{{arrayJoin ' * ' (array 1 2 3) prefix='(' suffix=')'}}", "(1 * 2 * 3)"),
    (
        '{{#parseJson \'myThings\'}}\n[\n  { "id": 1, "name": "One" },\n  { "id": 2, "name": "Two" }\n]\n'
        '{{/parseJson}}[{{#arrayJoin \',\' myThings as |item|}}{"name{{item.id}}": "{{item.name}}"}{{/arrayJoin}}]',
        '[{"name1": "One"},{"name2": "Two"}]',
    ),
    ("{{#if (contains 'abcde' 'abc')}}YES{{/if}}", "YES"),
    ("{{#if (contains (array 'a' 'b' 'c') 'a')}}YES{{/if}}", "YES"),
    ("{{#contains 'abcde' 'abc'}}YES{{/contains}}", "YES"),
    ("{{#if (matches '123' '[0-9]+')}}YES{{/if}}", "YES"),
    ("{{#matches '123' '[0-9]+'}}YES{{/matches}}", "YES"),
    ("{{regexExtract 'abc' '[0-9]+' default='my default value'}}", "my default value"),
    ("{{math 1 '+' 2}} {{math 4 '-' 2}} {{math 2 '*' 3}} {{math 8 '/' 2}} {{math 10 '%' 3}}", "3 2 6 4 1"),
    ("{{size 'abcde'}}", "5"),
    ("{{size request.query.things}}", "3"),
]


@pytest.mark.parametrize(("source", "expected"), WIREMOCK_DOCS)
def test_wiremock_documentation_examples(source: str, expected: str) -> None:
    request = make_request(query="things=1&things=2&things=3&ids[]=111&ids[]=222&ids[]=333")
    assert render(source, request) == expected


def test_wiremock_documentation_transformer_parameters() -> None:
    template = compile_template("<h1>The MyCustomParameter value is {{parameters.MyCustomParameter}}</h1>")
    context = template_context(make_request(), parameters={"MyCustomParameter": "Parameter Value"})
    assert template.render(context) == "<h1>The MyCustomParameter value is Parameter Value</h1>"


def test_wiremock_documentation_to_json_of_headers() -> None:
    request = make_request(headers=[("Authorization", "whatever"), ("Content-Type", "text/plain")])
    assert render("{{toJson request.headers}}", request) == (
        '{\n  "Authorization" : "whatever",\n  "Content-Type" : "text/plain"\n}'
    )


def test_wiremock_documentation_json_path_examples() -> None:
    request = make_request(b'{"outer": {"inner": "Stuff"}}')
    assert render("{{jsonPath request.body '$.outer.inner'}}", request) == "Stuff"
    assert json.loads(render("{{jsonPath request.body '$.outer'}}", request)) == {"inner": "Stuff"}
    assert render("{{jsonPath request.body '$.size' default='M'}}", request) == "M"


def test_wiremock_documentation_xpath_examples() -> None:
    request = make_request(b"<outer>\n    <inner>Stuff</inner>\n</outer>")
    assert render("{{xPath request.body '/outer/inner/text()'}}", request) == "Stuff"
    assert render("{{xPath request.body '/outer/inner'}}", request) == "<inner>Stuff</inner>"


def test_wiremock_documentation_each_over_a_random_range() -> None:
    out = render("{{#each (range 0 (randomInt lower=1 upper=10)) as |index|}}id: {{index}}\n{{/each}}")
    ids = [int(line[4:]) for line in out.splitlines()]
    assert 2 <= len(ids) <= 10
    assert ids == list(range(len(ids)))


# Nothing outside the model is reachable: no Python attributes, no internals.
ESCAPES = [
    "{{request.__class__}}",
    "{{request.body.__class__.__mro__}}",
    "{{request.body.__len__}}",
    "{{request._request}}",
    "{{request._values}}",
    "{{request._context.root}}",
    "{{request.body.upper}}",
    "{{request.headers._headers}}",
    "{{parameters.__class__}}",
    "{{parameters.keys}}",
    "{{lookup request '__class__'}}",
    "{{lookup request.body '__class__'}}",
    "{{lookup (array 1) '__class__'}}",
    "{{#with request.__class__}}{{__name__}}{{/with}}",
    "{{request.path.__init__.__globals__}}",
    "{{@root.__class__}}",
    "{{this.__class__.__subclasses__}}",
    "{{(lookup request 'constructor')}}",
]


@pytest.mark.parametrize("source", ESCAPES)
def test_templates_cannot_reach_python_internals(source: str) -> None:
    assert render(source) == ""


def test_each_over_the_request_lists_only_the_model() -> None:
    keys = render("{{#each request}}{{@key}},{{/each}}").rstrip(",").split(",")
    assert keys[:3] == ["id", "url", "path"]
    assert not any(k.startswith("_") for k in keys)


COMPILE_ERRORS = [
    ("{{#if request.body}}x", "'{{#if}}' is never closed; add '{{/if}}'", 1, 1),
    ("{{#if a}}x{{/each}}", "'{{/each}}' does not close '{{#if}}'", 1, 11),
    ("text {{/if}}", "{{/if}} has no block to close", 1, 6),
    ("a\n  {{else}}", "{{else}} has no block to close", 2, 3),
    ("{{#if a}}x{{else}}y{{else}}z{{/if}}", "a second {{else}}", 1, 20),
    ("{{jsonpath request.body '$.a'}}", "unknown helper 'jsonpath'; did you mean 'jsonPath'?", 1, 3),
    ("{{#each (nothere 1)}}{{/each}}", "unknown helper 'nothere'", 1, 10),
    ("line one\nline two {{request.body", "'{{' is never closed", 2, 10),
    ("{{!-- never closed", "the comment '{{!--' is never closed", 1, 1),
    ("{{{request.body}}", "'{{{' is never closed", 1, 1),
    ("{{> header}}", "partials ({{> name}}) are not supported", 1, 1),
    ("{{#> layout}}x{{/layout}}", "partials ({{> name}}) are not supported", 1, 1),
    ("{{#*inline 'x'}}y{{/inline}}", "decorators and inline partials are not supported", 1, 1),
    ("{{systemValue key='PATH'}}", "'systemValue' is refused: mockpit templates have no access to environment", 1, 3),
    ("{{systemValue type='PROPERTY' key='os.path' default='x'}}", "transformerParameters", 1, 3),
    ("{{numberFormat 1.5 'currency'}}", "numberFormat is not supported", 1, 3),
    ("{{jsonPath request.body '$[[['}}", "jsonPath: invalid JSONPath '$[[['", 1, 3),
    ("{{xPath request.body '//['}}", "xPath: invalid XPath '//['", 1, 3),
    ("{{regexExtract request.body '(['}}", "the regular expression '([' is invalid", 1, 3),
    ("{{now format='yyyy-qq'}}", "the letter 'q', which is not a Java date pattern letter", 1, 3),
    ("{{now timezone='Mars/Base'}}", "the time zone 'Mars/Base' is unknown", 1, 3),
    ("{{now offset='three days'}}", "the date offset 'three days' is not '<amount> <unit>'", 1, 3),
    ("{{parseDate request.body format='yyyy-qq'}}", "the letter 'q', which parseDate cannot read", 1, 3),
    ("{{truncateDate (now) 'first day of week'}}", "the date truncation 'first day of week' is not one of", 1, 3),
    ("{{randomValue type='WORDS'}}", "randomValue type 'WORDS' is not one of", 1, 3),
    ("{{math 1 '^' 2}}", "'^' is not a math operator", 1, 3),
    ("{{random 'Nonsense.nothingAtAll'}}", "the fake data key 'Nonsense.nothingAtAll' is unknown", 1, 3),
    ("{{}}", "'{{}}' is empty", 1, 1),
    ("{{request.body k=}}", "'k=' has no value", 1, 16),
    ("{{eq a=1 2}}", "positional arguments go before name=value arguments", 1, 10),
    ("{{(eq 1 1}}", "'(' is never closed", 1, 3),
    ("{{request.body as |x|}}", "'as |name|' belongs on a block", 1, 1),
    ("{{eq 1 #}}", "unexpected '#'", 1, 8),
]


@pytest.mark.parametrize(("source", "message", "line", "column"), COMPILE_ERRORS)
def test_compile_errors_say_what_where_and_how(source: str, message: str, line: int, column: int) -> None:
    with pytest.raises(TemplateError) as caught:
        compile_template(source)
    assert message in str(caught.value)
    assert (caught.value.line, caught.value.column) == (line, column)
    assert str(caught.value).startswith(f"line {line}, column {column}: ")


RENDER_ERRORS = [
    ("{{gt request.body 5}}", "gt compares two numbers, two texts or two dates"),
    ("{{abbreviate 'abcdef' 2}}", "abbreviate needs a width of at least 4"),
    ("{{substring 'abc' 5}}", "substring 5..3 is outside the text of length 3"),
    ("{{yesno 'maybe'}}", "yesno needs true or false"),
    ("{{center 'x'}}", "center needs size="),
    ("{{dateFormat 'x'}}", "dateFormat needs a date"),
    ("{{join (array 1 2)}}", "join needs a separator"),
]


@pytest.mark.parametrize(("source", "message"), RENDER_ERRORS)
def test_render_errors_are_template_errors_with_a_position(source: str, message: str) -> None:
    template = compile_template("\n" + source)
    with pytest.raises(TemplateError) as caught:
        template.render(template_context(make_request()))
    assert message in str(caught.value)
    assert caught.value.line == 2


WIREMOCK_ERRORS = [
    ("{{jsonPath request.body '$.a'}}", b"{not json", "[ERROR: {not json is not valid JSON]"),
    ("{{xPath request.body '/a'}}", b"<a>", "[ERROR: <a> is not valid XML]"),
    ("{{regexExtract request.body '[0-9]+'}}", b"abc", "[ERROR: Nothing matched [0-9]+]"),
    (
        "{{truncateDate request.body 'first day of month'}}",
        b"x",
        "[ERROR: A date object must be passed to the truncateDate helper]",
    ),
    ("{{range 1}}", b"", "[ERROR: The range helper requires both lower and upper bounds as integer parameters]"),
    ("{{randomInt lower=5 upper=5}}", b"", "[ERROR: randomInt needs lower < upper, got lower=5 upper=5]"),
    ("{{pickRandom}}", b"", "[ERROR: Must specify either a single list argument or a set of single value arguments.]"),
]


@pytest.mark.parametrize(("source", "body", "expected"), WIREMOCK_ERRORS)
def test_bad_request_data_renders_wiremocks_error_text(source: str, body: bytes, expected: str) -> None:
    assert render(source, make_request(body)) == expected


def test_the_request_body_is_not_decoded_unless_a_template_uses_it() -> None:
    context = template_context(make_request())
    compile_template("{{request.method}} {{request.path.userId}}").render(context)
    view = context.root["request"]
    assert "body" not in view._values
    assert set(view._values) == {"method", "path"}


def test_the_body_is_parsed_once_for_all_the_templates_of_a_response() -> None:
    context = template_context(make_request())
    for source in ("{{jsonPath request.body '$.name'}}", "{{jsonPath request.body '$.age'}}"):
        compile_template(source).render(context)
    assert len(context.caches["json"]) == 1


def test_a_template_renders_the_same_for_many_requests() -> None:
    template = compile_template("{{request.path.userId}}:{{jsonPath request.body '$.n'}}")
    for n in range(20):
        request = make_request(f'{{"n": {n}}}'.encode())
        request.path_params = {"userId": str(n)}
        assert template.render(template_context(request)) == f"{n}:{n}"


def test_variables_do_not_leak_between_renders() -> None:
    template = compile_template("[{{seen}}]{{#assign 'seen'}}yes{{/assign}}")
    assert template.render(template_context(make_request())) == "[]"
    assert template.render(template_context(make_request())) == "[]"


def test_deep_nesting_is_refused_at_load() -> None:
    source = "{{#with request}}" * 150 + "x" + "{{/with}}" * 150
    with pytest.raises(TemplateError, match="blocks nest more than 100 deep"):
        compile_template(source)
    nested = "{{#with request}}" * 90 + "{{method}}" + "{{/with}}" * 90
    assert compile_template(nested).render(template_context(make_request())) == "POST"
