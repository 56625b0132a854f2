"""equalToXml and matchesXPath over the wire, against WireMock's documented semantics; XXE is impossible."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import pytest

from _patterns import matches, sample
from mockpit import MappingError, MockServer, Request, stub_from_mapping

SHARED_SERVER = True
MATCHED = "matched"


def add(server: MockServer, body_pattern: dict[str, Any], **request: Any) -> None:
    server.add_mapping(
        {
            "request": {"method": "POST", "urlPath": "/x", "bodyPatterns": [body_pattern], **request},
            "response": {"body": MATCHED},
        }
    )


def outcome(client: httpx.Client, body: str | bytes, **headers: str) -> bool:
    response = client.post("/x", content=body.encode() if isinstance(body, str) else body, headers=headers)
    assert response.status_code in {200, 404}, response.text
    return response.status_code == 200


# --- equalToXml ------------------------------------------------------------------------------------

EQUAL_TO_XML = [
    pytest.param("<a>x</a>", "<a>x</a>", {}, True, id="same"),
    pytest.param("<a>x</a>", "<a>y</a>", {}, False, id="text-differs"),
    pytest.param("<a>x</a>", "<b>x</b>", {}, False, id="root-name-differs"),
    pytest.param("<a><b>1</b><c>2</c></a>", "<a>\n  <b>1</b>\n  <c>2</c>\n</a>\n", {}, True, id="whitespace-between"),
    pytest.param("<a><b>1</b></a>", "<a><b>  1  </b></a>", {}, True, id="text-trimmed"),
    pytest.param('<a p="1" q="2"/>', '<a q="2" p="1"/>', {}, True, id="attribute-order"),
    pytest.param('<a p="1"/>', '<a p="2"/>', {}, False, id="attribute-value"),
    pytest.param('<a p="1"/>', '<a p="1" q="2"/>', {}, False, id="extra-attribute"),
    pytest.param('<a p="1" q="2"/>', '<a p="1"/>', {}, False, id="missing-attribute"),
    pytest.param("<a/>", "<a></a>", {}, True, id="empty-element-forms"),
    pytest.param("<a>x</a>", "<?xml version='1.0' encoding='UTF-8'?><a>x</a>", {}, True, id="declaration"),
    pytest.param("<a>x</a>", "<a><!-- note -->x</a>", {}, True, id="comments-ignored"),
    pytest.param("<a>x</a>", "<a><![CDATA[x]]></a>", {}, True, id="cdata-is-text"),
    pytest.param(
        '<p:a xmlns:p="urn:n"><p:b>1</p:b></p:a>', '<q:a xmlns:q="urn:n"><q:b>1</q:b></q:a>', {}, True, id="prefix"
    ),
    pytest.param('<a xmlns="urn:n"><b/></a>', '<n:a xmlns:n="urn:n"><n:b/></n:a>', {}, True, id="default-ns"),
    pytest.param('<a xmlns="urn:n"/>', '<a xmlns="urn:other"/>', {}, False, id="namespace-uri-differs"),
    pytest.param('<a xmlns="urn:n"/>', "<a/>", {}, False, id="namespace-missing"),
    pytest.param("<a><b/><c/></a>", "<a><c/><b/></a>", {}, True, id="different-names-any-order"),
    pytest.param("<a><e>1</e><e>2</e></a>", "<a><e>2</e><e>1</e></a>", {}, False, id="same-names-keep-order"),
    pytest.param(
        "<a><e>1</e><e>2</e></a>",
        "<a><e>2</e><e>1</e></a>",
        {"ignoreOrderOfSameNode": True},
        True,
        id="ignoreOrderOfSameNode",
    ),
    pytest.param(
        "<a><e>1</e><e>2</e></a>",
        "<a><e>2</e><e>3</e></a>",
        {"ignoreOrderOfSameNode": True},
        False,
        id="ignoreOrderOfSameNode-values-differ",
    ),
    pytest.param("<a><b/></a>", "<a><b/><b/></a>", {}, False, id="extra-child"),
    pytest.param("<a><b/><c/></a>", "<a><b/></a>", {}, False, id="missing-child"),
    pytest.param("<a><?pi data?></a>", "<a><?pi other?></a>", {}, False, id="processing-instruction"),
    pytest.param("<a>x</a>", "not xml", {}, False, id="not-xml"),
    pytest.param("<a>x</a>", "", {}, False, id="empty-body"),
    pytest.param("<a>x</a>", "<a>x</a><b/>", {}, False, id="not-well-formed"),
    pytest.param("<a>é</a>", "<a>é</a>", {}, True, id="utf8"),
    # placeholders (XMLUnit's, as WireMock documents them)
    pytest.param(
        "<m><id>${xmlunit.ignore}</id><c>Hello</c></m>",
        "<m><id>123456</id><c>Hello</c></m>",
        {"enablePlaceholders": True},
        True,
        id="placeholder-ignore",
    ),
    pytest.param(
        "<m><id>${xmlunit.ignore}</id><c>Hello</c></m>",
        "<m><id/><c>Hello</c></m>",
        {"enablePlaceholders": True},
        True,
        id="placeholder-ignore-empty",
    ),
    pytest.param(
        "<m><id>${xmlunit.ignore}</id><c>Hello</c></m>",
        "<m><id>1</id><c>Bye</c></m>",
        {"enablePlaceholders": True},
        False,
        id="placeholder-ignore-rest-compared",
    ),
    pytest.param(
        "<m><id>${xmlunit.ignore}</id></m>",
        "<m><id>1</id></m>",
        {},
        False,
        id="placeholders-off-by-default",
    ),
    pytest.param(
        "<m><id>[[xmlunit.ignore]]</id></m>",
        "<m><id>7</id></m>",
        {
            "enablePlaceholders": True,
            "placeholderOpeningDelimiterRegex": "\\[\\[",
            "placeholderClosingDelimiterRegex": "]]",
        },
        True,
        id="custom-delimiters",
    ),
    pytest.param(
        "<m><n>${xmlunit.isNumber}</n></m>", "<m><n>-1.5e3</n></m>", {"enablePlaceholders": True}, True, id="isNumber"
    ),
    pytest.param(
        "<m><n>${xmlunit.isNumber}</n></m>", "<m><n>one</n></m>", {"enablePlaceholders": True}, False, id="isNumber-no"
    ),
    pytest.param(
        "<m><n>${xmlunit.matchesRegex(^[A-Z]{3}$)}</n></m>",
        "<m><n>ABC</n></m>",
        {"enablePlaceholders": True},
        True,
        id="matchesRegex",
    ),
    pytest.param(
        "<m><n>${xmlunit.matchesRegex([A-Z]{3})}</n></m>",
        "<m><n>ABCD</n></m>",
        {"enablePlaceholders": True},
        False,
        id="matchesRegex-whole-value",
    ),
    pytest.param(
        "<m><d>${xmlunit.isDateTime}</d></m>",
        "<m><d>2024-02-29T12:30:00Z</d></m>",
        {"enablePlaceholders": True},
        True,
        id="isDateTime",
    ),
    pytest.param(
        "<m><d>${xmlunit.isDateTime}</d></m>",
        "<m><d>2023-02-29T12:30:00Z</d></m>",
        {"enablePlaceholders": True},
        False,
        id="isDateTime-no-such-day",
    ),
    pytest.param(
        '<m id="${xmlunit.ignore}"/>', '<m id="42"/>', {"enablePlaceholders": True}, True, id="placeholder-attribute"
    ),
    # exemptedComparisons
    pytest.param("<a>x</a>", "<a>y</a>", {"exemptedComparisons": ["TEXT_VALUE"]}, True, id="exempt-TEXT_VALUE"),
    pytest.param('<a xmlns="urn:n"/>', "<a/>", {"exemptedComparisons": ["NAMESPACE_URI"]}, True, id="exempt-NS_URI"),
    pytest.param('<a p="1"/>', '<a p="2"/>', {"exemptedComparisons": ["ATTR_VALUE"]}, True, id="exempt-ATTR_VALUE"),
    pytest.param(
        '<a p="1"/>', '<a p="1" q="2"/>', {"exemptedComparisons": ["ELEMENT_NUM_ATTRIBUTES"]}, True, id="exempt-NUM"
    ),
    pytest.param(
        "<a><b/></a>",
        "<a><b/><c/></a>",
        {"exemptedComparisons": ["CHILD_NODELIST_LENGTH"]},
        True,
        id="exempt-CHILD_NODELIST_LENGTH",
    ),
    pytest.param(
        "<thing>Hello</thing>",
        "<other>Hello</other>",
        {"exemptedComparisons": ["NAMESPACE_URI", "ELEMENT_TAG_NAME"]},
        True,
        id="exempt-ELEMENT_TAG_NAME",
    ),
    pytest.param("<a>x</a>", "<a>y</a>", {"exemptedComparisons": ["ATTR_VALUE"]}, False, id="exempt-other-kind"),
]


def _sent(body: str | bytes) -> Request:
    return Request("POST", "/x", body=body.encode() if isinstance(body, str) else body)


def _pattern(body_pattern: dict[str, Any]) -> dict[str, Any]:
    return {"method": "POST", "urlPath": "/x", "bodyPatterns": [body_pattern]}


@pytest.mark.parametrize(("expected", "body", "options", "should_match"), EQUAL_TO_XML)
def test_equal_to_xml_table(expected: str, body: str, options: dict[str, Any], should_match: bool) -> None:
    assert matches(_pattern({"equalToXml": expected, **options}), _sent(body)) is should_match


@pytest.mark.parametrize(("expected", "body", "options", "should_match"), sample(EQUAL_TO_XML))
def test_equal_to_xml(
    server: MockServer, client: httpx.Client, expected: str, body: str, options: dict[str, Any], should_match: bool
) -> None:
    add(server, {"equalToXml": expected, **options})
    assert outcome(client, body) is should_match


def test_equal_to_xml_reads_the_declared_encoding(server: MockServer, client: httpx.Client) -> None:
    add(server, {"equalToXml": "<a>été</a>"})
    body = "<?xml version='1.0' encoding='ISO-8859-1'?><a>été</a>".encode("latin-1")
    assert outcome(client, body, **{"Content-Type": "application/xml"})
    assert not outcome(client, "<a>ete</a>")


def test_equal_to_xml_on_a_header(server: MockServer, client: httpx.Client) -> None:
    server.add_mapping(
        {"request": {"headers": {"X-Doc": {"equalToXml": "<a p='1'><b/></a>"}}}, "response": {"body": MATCHED}}
    )
    assert client.get("/", headers={"X-Doc": '<a p="1"> <b></b> </a>'}).status_code == 200
    assert client.get("/", headers={"X-Doc": "<a/>"}).status_code == 404
    assert client.get("/").status_code == 404


# --- matchesXPath ----------------------------------------------------------------------------------

TODO = "<todo-list><todo-item id='1'>Do the washing</todo-item><todo-item id='2'>Walk</todo-item></todo-list>"

XPATH = [
    pytest.param("//todo-item", TODO, True, id="presence"),
    pytest.param("//missing", TODO, False, id="absence"),
    pytest.param("/todo-list[count(todo-item) = 2]", TODO, True, id="predicate"),
    pytest.param("/todo-list[count(todo-item) = 3]", TODO, False, id="predicate-miss"),
    pytest.param("//todo-item[@id='2']", TODO, True, id="attribute-predicate"),
    pytest.param("//todo-item[@id='3']", TODO, False, id="attribute-predicate-miss"),
    pytest.param("/todo-list", '<todo-list xmlns="urn:todo"/>', True, id="default-namespace-by-local-name"),
    pytest.param("/todo-list", '<t:todo-list xmlns:t="urn:todo"/>', True, id="prefixed-by-local-name"),
    pytest.param("//todo-item", "not xml", False, id="not-xml"),
    pytest.param("//todo-item", "", False, id="empty"),
    pytest.param("//todo-item", '{"todo-item": 1}', False, id="json"),
]


@pytest.mark.parametrize(("expression", "body", "should_match"), XPATH)
def test_matches_xpath_table(expression: str, body: str, should_match: bool) -> None:
    assert matches(_pattern({"matchesXPath": expression}), _sent(body)) is should_match


@pytest.mark.parametrize(("expression", "body", "should_match"), sample(XPATH))
def test_matches_xpath(
    server: MockServer, client: httpx.Client, expression: str, body: str, should_match: bool
) -> None:
    add(server, {"matchesXPath": expression})
    assert outcome(client, body) is should_match


XPATH_SUB = [
    pytest.param({"expression": "//todo-item/text()", "contains": "wash"}, TODO, True, id="text-contains"),
    pytest.param({"expression": "//todo-item/text()", "contains": "iron"}, TODO, False, id="text-contains-miss"),
    pytest.param({"expression": "//todo-item/text()", "equalTo": "Walk"}, TODO, True, id="any-node-may-match"),
    pytest.param({"expression": "//todo-item/@id", "matches": "[0-9]+"}, TODO, True, id="attribute-value"),
    pytest.param({"expression": "//todo-item/@id", "equalTo": "3"}, TODO, False, id="attribute-value-miss"),
    pytest.param(
        {"expression": "//todo-item[1]", "equalToXml": "<todo-item id='1'>Do the washing</todo-item>"},
        TODO,
        True,
        id="element-equalToXml",
    ),
    pytest.param(
        {"expression": "//todo-item[1]", "equalToXml": "<todo-item id='1'>Walk</todo-item>"},
        TODO,
        False,
        id="element-equalToXml-miss",
    ),
    pytest.param({"expression": "//todo-item", "contains": 'id="2"'}, TODO, True, id="element-rendered-as-xml"),
    pytest.param({"expression": "//none", "absent": True}, TODO, False, id="nothing-selected-never-matches"),
    pytest.param(
        {"expression": "//todo-item/text()", "and": [{"contains": "Do"}, {"doesNotContain": "ironing"}]},
        TODO,
        True,
        id="and-sub-pattern",
    ),
]


@pytest.mark.parametrize(("xpath", "body", "should_match"), XPATH_SUB)
def test_matches_xpath_with_a_sub_pattern_table(xpath: dict[str, Any], body: str, should_match: bool) -> None:
    assert matches(_pattern({"matchesXPath": xpath}), _sent(body)) is should_match


@pytest.mark.parametrize(("xpath", "body", "should_match"), sample(XPATH_SUB))
def test_matches_xpath_with_a_sub_pattern(
    server: MockServer, client: httpx.Client, xpath: dict[str, Any], body: str, should_match: bool
) -> None:
    add(server, {"matchesXPath": xpath})
    assert outcome(client, body) is should_match


NAMESPACED = (
    '<s:outer xmlns:s="http://stuff.example.com"><m:inner xmlns:m="http://more.example.com">111</m:inner></s:outer>'
)


@pytest.mark.parametrize(
    ("body", "should_match"),
    [
        pytest.param(NAMESPACED, True, id="same-uris"),
        pytest.param(NAMESPACED.replace(">111<", ">112<"), False, id="value-differs"),
        pytest.param(NAMESPACED.replace("http://more.example.com", "urn:other"), False, id="uri-differs"),
        pytest.param("<outer><inner>111</inner></outer>", False, id="no-namespaces"),
        pytest.param(
            '<x:outer xmlns:x="http://stuff.example.com"><inner xmlns="http://more.example.com">111</inner></x:outer>',
            True,
            id="other-prefixes",
        ),
    ],
)
def test_matches_xpath_with_namespaces(server: MockServer, client: httpx.Client, body: str, should_match: bool) -> None:
    add(
        server,
        {
            "matchesXPath": "/stuff:outer/more:inner[.=111]",
            "xPathNamespaces": {"stuff": "http://stuff.example.com", "more": "http://more.example.com"},
        },
    )
    assert outcome(client, body) is should_match


def test_matches_xpath_on_a_query_parameter(server: MockServer, client: httpx.Client) -> None:
    server.add_mapping(
        {"request": {"queryParameters": {"doc": {"matchesXPath": "/a[@v > 2]"}}}, "response": {"body": MATCHED}}
    )
    assert client.get("/", params={"doc": "<a v='3'/>"}).status_code == 200
    assert client.get("/", params={"doc": "<a v='1'/>"}).status_code == 404


# --- bad definitions ---------------------------------------------------------------------------------

BAD = [
    pytest.param({"equalToXml": "<a>"}, "request.bodyPatterns[0].equalToXml", "not well-formed", id="xml-broken"),
    pytest.param({"equalToXml": None}, "request.bodyPatterns[0]", "must be a string", id="xml-null"),
    pytest.param(
        {"equalToXml": "<a/>", "exemptedComparisons": ["TEXT"]},
        "request.bodyPatterns[0].exemptedComparisons",
        "TEXT_VALUE",
        id="unknown-comparison-type",
    ),
    pytest.param(
        {"equalToXml": "<a>${xmlunit.whatever}</a>", "enablePlaceholders": True},
        "request.bodyPatterns[0].equalToXml",
        "xmlunit.whatever",
        id="unknown-placeholder",
    ),
    pytest.param(
        {"equalToXml": "<a>${xmlunit.matchesRegex([)}</a>", "enablePlaceholders": True},
        "request.bodyPatterns[0].equalToXml",
        "invalid regular expression",
        id="placeholder-bad-regex",
    ),
    pytest.param(
        {"equalToXml": "<a/>", "placeholderOpeningDelimiterRegex": "\\[\\["},
        "request.bodyPatterns[0]",
        "enablePlaceholders",
        id="delimiters-without-placeholders",
    ),
    pytest.param(
        {"equalToXml": "<a/>", "enablePlaceholders": True, "placeholderOpeningDelimiterRegex": "(["},
        "request.bodyPatterns[0].placeholderOpeningDelimiterRegex",
        "invalid regular expression",
        id="delimiter-bad-regex",
    ),
    pytest.param({"matchesXPath": "//a["}, "request.bodyPatterns[0].matchesXPath", "invalid XPath", id="xpath-syntax"),
    pytest.param(
        {"matchesXPath": "//p:a"},
        "request.bodyPatterns[0].matchesXPath",
        "xPathNamespaces",
        id="xpath-undeclared-prefix",
    ),
    pytest.param(
        {"matchesXPath": "nosuchfunction(//a)"}, "request.bodyPatterns[0].matchesXPath", "invalid XPath", id="xpath-fn"
    ),
    pytest.param(
        {"matchesXPath": "count(//a) = 3"}, "request.bodyPatterns[0].matchesXPath", "/*[count(//a) = 3]", id="boolean"
    ),
    pytest.param(
        {"matchesXPath": {"expression": "//a[", "equalTo": "x"}},
        "request.bodyPatterns[0].matchesXPath",
        "invalid XPath",
        id="xpath-object-syntax",
    ),
    pytest.param(
        {"matchesXPath": {"expression": "//a", "equalTo": "x", "contains": "y"}},
        "request.bodyPatterns[0].matchesXPath",
        "at most one",
        id="xpath-two-sub-operators",
    ),
    pytest.param(
        {"equalTo": "x", "xPathNamespaces": {"a": "urn:a"}},
        "request.bodyPatterns[0]",
        "xPathNamespaces only goes with matchesXPath",
        id="namespaces-without-xpath",
    ),
    pytest.param(
        {"contains": "x", "enablePlaceholders": True},
        "request.bodyPatterns[0]",
        "enablePlaceholders only goes with equalToXml",
        id="xml-option-on-contains",
    ),
]


@pytest.mark.parametrize(("pattern", "field", "fragment"), BAD)
def test_bad_definitions_name_the_field(pattern: dict[str, Any], field: str, fragment: str) -> None:
    with pytest.raises(MappingError) as info:
        stub_from_mapping({"request": {"bodyPatterns": [pattern]}}, source="x.json")
    assert info.value.field == field
    assert fragment in info.value.message


# --- the parser cannot be turned against the host ------------------------------------------------------


def test_an_external_entity_is_never_read(server: MockServer, client: httpx.Client, tmp_path: Any) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    body = f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]><r>&x;</r>'
    add(server, {"matchesXPath": {"expression": "/r", "contains": "TOP-SECRET"}})
    add(server, {"equalToXml": "<r>TOP-SECRET</r>"})
    assert not outcome(client, body)


def test_an_external_entity_or_dtd_never_reaches_the_network(server: MockServer, client: httpx.Client) -> None:
    # the "attacker" URLs point at this very server: any fetch would show in its journal
    leak = server.url_for("/leak")
    server.add_mapping({"request": {"urlPathPattern": "/leak.*"}, "response": {"body": "<!ENTITY y 'LEAKED'>"}})
    add(server, {"matchesXPath": {"expression": "/r", "contains": "LEAKED"}})
    bodies = [
        f'<!DOCTYPE r [<!ENTITY x SYSTEM "{leak}/entity">]><r>&x;</r>',
        f'<!DOCTYPE r SYSTEM "{leak}/dtd"><r>LEAK</r>',
        f'<!DOCTYPE r [<!ENTITY % p SYSTEM "{leak}/parameter"> %p;]><r>&y;</r>',
        f'<r xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="{leak}/xinclude" parse="text"/></r>',
    ]
    for body in bodies:
        assert not outcome(client, body)
    assert [e.request.path for e in server.requests() if e.request.path.startswith("/leak")] == []


def test_an_entity_bomb_is_not_expanded(server: MockServer, client: httpx.Client) -> None:
    entities = '<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8)
    )
    body = f"<!DOCTYPE r [{entities}]><r>&i;</r>"
    add(server, {"matchesXPath": {"expression": "/r/text()", "contains": "aaaa"}})
    started = time.perf_counter()
    assert not outcome(client, body)
    assert time.perf_counter() - started < 2


# --- near misses ---------------------------------------------------------------------------------------


def test_near_miss_says_what_differs_in_the_xml(server: MockServer, client: httpx.Client) -> None:
    add(server, {"equalToXml": "<order><item sku='A-1'>2</item></order>"})
    assert not outcome(client, "<order><item sku='B-2'>2</item></order>")
    (event,) = server.unmatched
    (miss,) = server.near_misses(event)
    (difference,) = miss.differences
    assert difference.field == "body"
    assert difference.expected.startswith("equalToXml <order>")
    assert "/order/item: attribute sku='B-2', expected 'A-1'" in difference.actual
    assert 0 < difference.distance < 1


def test_near_miss_says_what_the_xpath_selected(server: MockServer, client: httpx.Client) -> None:
    add(server, {"matchesXPath": {"expression": "//item/@sku", "equalTo": "A-1"}})
    assert not outcome(client, "<order><item sku='B-2'/></order>")
    (event,) = server.unmatched
    (difference,) = server.near_misses(event)[0].differences
    assert difference.expected == "matchesXPath '//item/@sku' equalTo 'A-1'"
    assert "the XPath selects 'B-2'" in difference.actual


# --- one parser per thread: templates render on the event loop and on handler threads ---------------------


def test_templates_and_matchers_parse_xml_on_many_threads_at_once() -> None:
    from mockpit._matching.values import ValueMatcher
    from mockpit._model import Request, ValuePattern
    from mockpit._templating.template import compile_template, template_context

    threads, rounds, items = 6, 40, 300
    template = compile_template("{{xPath request.body '/order/id/text()'}} {{xPath request.body 'count(//item)'}}")
    selects_id = ValueMatcher(ValuePattern("matchesXPath", "/order/id"))
    barrier = threading.Barrier(threads)
    failures: list[str] = []

    def work(n: int) -> None:
        barrier.wait()
        for i in range(rounds):
            name = f"{n}-{i}"
            filler = "".join(f"<item n='{k}'>{name}</item>" for k in range(items))
            body = f"<order><!--{name}--><id>{name}</id>{filler}</order>"
            rendered = template.render(template_context(Request("POST", "/", body=body.encode())))
            if rendered != f"{name} {items}":
                failures.append(f"template on thread {n}: {rendered[:80]!r}")
            same = ValueMatcher(ValuePattern("equalToXml", body))
            if not (selects_id(body) and same(body.replace(name, "comment", 1)) and not same(body.replace(name, "x"))):
                failures.append(f"matcher on thread {n}, round {i}")

    pool = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    assert failures == []
