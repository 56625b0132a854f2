"""The corpus of WireMock mapping files (tests/corpus/) served as WireMock serves them.

Every file under ``corpus/mappings`` exercises one part of the mapping format. The table below sends,
for each part, requests that must match (and which stub must answer) and requests that must not,
with the behaviour WireMock documents ("Request Matching", "Stubbing", "Stateful Behaviour").

Each file is served by its own :class:`MockServer`, so a part mockpit gets wrong fails only its own
cases; ``test_mockpit_serve_loads_the_whole_corpus`` serves the whole folder with ``mockpit serve``.
What a response does has tests of its own, with what "Response Templating", "Simulating Faults" and
"Webhooks and Callbacks" document: ``templating.json``, ``faults.json``, ``delays.json`` and
``webhooks.json`` (whose webhooks call a server the test starts, its URL sent in the request).
``corpus/custom`` holds what needs mockpit: registered matchers, sequences (mockpit's addition) and
proxying, whose ``proxyBaseUrl`` is a placeholder the test points at an upstream it starts.

The table holds for WireMock itself: start WireMock on a copy of ``tests/corpus`` (WireMock reads JSON
only: convert the ``.yaml`` files to ``.json`` in the copy) and run this module with
``MOCKPIT_CORPUS_URL=http://127.0.0.1:PORT`` to send every case there instead.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from _upstreams import Echoed
from _waiting import requests_to
from _wire import exchange, get_request
from mockpit import MockServer
from mockpit._mapping.models import _ResponseModel, _StubModel

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(__file__).resolve().parent / "corpus"
MAPPINGS = CORPUS / "mappings"
DOCS = ROOT / "docs" / "wiremock-compatibility.md"
SHARED_SERVER = True  # the conftest ``server`` and ``client``: one for the module
#: send every case to this server instead (WireMock, to check the table itself)
EXTERNAL = os.environ.get("MOCKPIT_CORPUS_URL", "").rstrip("/")


# --- the table -------------------------------------------------------------------------------------

Headers = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Case:
    file: str
    method: str
    url: str
    #: the body of the stub that must answer, or None: no stub may match (404)
    expect: str | None
    why: str
    headers: Headers = ()
    body: bytes = b""
    status: int = 200

    @property
    def id(self) -> str:
        return f"{self.file}: {self.why}"


def hit(file: str, method: str, url: str, expect: str, why: str, **kwargs: object) -> Case:
    return Case(file, method, url, expect, why, **_request(**kwargs))


def miss(file: str, method: str, url: str, why: str, **kwargs: object) -> Case:
    return Case(file, method, url, None, why, **_request(**kwargs))


def _request(
    headers: Headers = (), body: str | bytes = b"", status: int = 200, json_body: object = None
) -> dict[str, object]:
    if json_body is not None:
        body = json.dumps(json_body)
        headers = (*headers, ("Content-Type", "application/json"))
    return {"headers": headers, "body": body.encode() if isinstance(body, str) else body, "status": status}


BOUNDARY = "corpus-boundary-7d1f"


def multipart(*parts: tuple[str, str | None, str]) -> dict[str, object]:
    """A multipart/form-data request built by hand: (name, Content-Type or None, body) per part."""
    chunks = []
    for name, content_type, text in parts:
        head = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n'
        if content_type:
            head += f"Content-Type: {content_type}\r\n"
        chunks.append(f"{head}\r\n{text}\r\n")
    body = "".join(chunks) + f"--{BOUNDARY}--\r\n"
    return {"headers": (("Content-Type", f"multipart/form-data; boundary={BOUNDARY}"),), "body": body}


def form(text: str) -> dict[str, object]:
    return {"headers": (("Content-Type", "application/x-www-form-urlencoded"),), "body": text}


def cookie(value: str) -> dict[str, object]:
    return {"headers": (("Cookie", value),)}


def header(name: str, value: str) -> dict[str, object]:
    return {"headers": ((name, value),)}


def xml(text: str) -> dict[str, object]:
    return {"headers": (("Content-Type", "application/xml"),), "body": text}


TODO_3 = "<todo-list><todo-item>a</todo-item><todo-item>b</todo-item><todo-item>c</todo-item></todo-list>"
ORDER = '<order id="7" currency="EUR"><item sku="X1">2</item><item sku="Y2">1</item></order>'
NS_DOC = (
    '<stuff:outer xmlns:stuff="http://stuff.example.com" xmlns:more="http://more.example.com">'
    "<more:inner>{}</more:inner></stuff:outer>"
)

CASES = [
    # urls.json
    hit("urls", "GET", "/urls/exact?page=1", "urls/url", "url matches path and query exactly"),
    miss("urls", "GET", "/urls/exact?page=2", "url compares the query value"),
    miss("urls", "GET", "/urls/exact?page=1&extra=x", "url refuses an extra query parameter"),
    miss("urls", "GET", "/urls/exact", "url refuses a missing query"),
    hit("urls", "GET", "/urls/path", "urls/urlPath", "urlPath matches the path"),
    hit("urls", "GET", "/urls/path?x=1&y=2", "urls/urlPath", "urlPath ignores the query"),
    miss("urls", "GET", "/urls/path/more", "urlPath is not a prefix"),
    miss("urls", "POST", "/urls/path", "the method must match too"),
    hit("urls", "GET", "/urls/regex/42?page=3", "urls/urlPattern", "urlPattern matches path and query"),
    miss("urls", "GET", "/urls/regex/42", "urlPattern must match the query part too"),
    miss("urls", "GET", "/urls/regex/abc?page=3", "urlPattern refuses what the regex refuses"),
    hit("urls", "GET", "/urls/items/abc", "urls/urlPathPattern", "urlPathPattern matches the path"),
    hit("urls", "GET", "/urls/items/abc?sort=asc", "urls/urlPathPattern", "urlPathPattern ignores the query"),
    miss("urls", "GET", "/urls/items/ABC", "urlPathPattern is case-sensitive"),
    miss("urls", "GET", "/urls/items/abc/def", "urlPathPattern must match the whole path"),
    hit("urls", "GET", "/urls/users/7", "urls/urlPathTemplate", "urlPathTemplate matches any value"),
    hit("urls", "GET", "/urls/users/7?expand=1", "urls/urlPathTemplate", "urlPathTemplate ignores the query"),
    miss("urls", "GET", "/urls/users/7/orders", "urlPathTemplate refuses more segments"),
    miss("urls", "GET", "/urls/users/", "urlPathTemplate refuses an empty variable"),
    hit("urls", "GET", "/urls/users/a%20b", "urls/urlPathTemplate", "urlPathTemplate takes an encoded value"),
    hit(
        "urls",
        "GET",
        "/urls/contacts/12345/addresses/99876",
        "urls/pathParameters",
        "pathParameters hold for each variable",
    ),
    miss("urls", "GET", "/urls/contacts/1/addresses/99876", "pathParameters equalTo refuses another value"),
    miss("urls", "GET", "/urls/contacts/12345/addresses/main", "pathParameters matches refuses a non-match"),
    # methods.json
    hit("methods", "POST", "/methods/post", "methods/POST", "a given method matches"),
    miss("methods", "GET", "/methods/post", "another method does not"),
    hit("methods", "GET", "/methods/any", "methods/ANY", "ANY matches GET"),
    hit("methods", "DELETE", "/methods/any", "methods/ANY", "ANY matches DELETE"),
    hit("methods", "PATCH", "/methods/any", "methods/ANY", "ANY matches PATCH"),
    hit("methods", "PUT", "/methods/unspecified", "methods/unspecified", "no method matches any method"),
    # headers.yaml
    hit("headers", "GET", "/headers/equal-to", "headers/equalTo", "equalTo", **header("X-Token", "abc123")),
    hit(
        "headers",
        "GET",
        "/headers/equal-to",
        "headers/equalTo",
        "header names are case-insensitive",
        **header("x-token", "abc123"),
    ),
    miss("headers", "GET", "/headers/equal-to", "equalTo is case-sensitive", **header("X-Token", "ABC123")),
    miss("headers", "GET", "/headers/equal-to", "equalTo refuses a missing header"),
    hit(
        "headers",
        "GET",
        "/headers/equal-to",
        "headers/equalTo",
        "a header sent twice matches if one value does",
        headers=(("X-Token", "other"), ("X-Token", "abc123")),
    ),
    hit(
        "headers",
        "GET",
        "/headers/equal-to-case-insensitive",
        "headers/equalTo+caseInsensitive",
        "caseInsensitive",
        **header("Accept", "application/json"),
    ),
    miss(
        "headers",
        "GET",
        "/headers/equal-to-case-insensitive",
        "caseInsensitive still compares the whole value",
        **header("Accept", "text/html"),
    ),
    hit("headers", "GET", "/headers/contains", "headers/contains", "contains", **header("Accept", "application/xml")),
    miss("headers", "GET", "/headers/contains", "contains refuses", **header("Accept", "application/json")),
    hit(
        "headers",
        "GET",
        "/headers/does-not-contain",
        "headers/doesNotContain",
        "doesNotContain",
        **header("X-Flags", "fast"),
    ),
    miss("headers", "GET", "/headers/does-not-contain", "doesNotContain refuses", **header("X-Flags", "xml-fast")),
    hit(
        "headers",
        "GET",
        "/headers/does-not-contain",
        "headers/doesNotContain",
        "doesNotContain holds for a missing header",
    ),
    hit("headers", "GET", "/headers/matches", "headers/matches", "matches", **header("X-Request-Id", "deadbeef")),
    miss(
        "headers",
        "GET",
        "/headers/matches",
        "matches must match the whole value",
        **header("X-Request-Id", "deadbeef00"),
    ),
    miss("headers", "GET", "/headers/matches", "matches is case-sensitive", **header("X-Request-Id", "DEADBEEF")),
    hit(
        "headers",
        "GET",
        "/headers/does-not-match",
        "headers/doesNotMatch",
        "doesNotMatch",
        **header("X-Request-Id", "abc"),
    ),
    miss("headers", "GET", "/headers/does-not-match", "doesNotMatch refuses", **header("X-Request-Id", "123")),
    hit("headers", "GET", "/headers/does-not-match", "headers/doesNotMatch", "doesNotMatch holds for a missing header"),
    hit("headers", "GET", "/headers/absent", "headers/absent", "absent"),
    miss("headers", "GET", "/headers/absent", "absent refuses a present header", **header("X-Debug", "1")),
    miss("headers", "GET", "/headers/absent", "absent refuses an empty header", **header("X-Debug", "")),
    hit(
        "headers",
        "GET",
        "/headers/both",
        "headers/both",
        "every header pattern holds",
        headers=(("X-One", "1"), ("X-Two", "2")),
    ),
    miss("headers", "GET", "/headers/both", "one header pattern fails", **header("X-One", "1")),
    # query_parameters.json
    hit(
        "query_parameters",
        "GET",
        "/query/equal-to?search_term=WireMock%20rocks",
        "query/equalTo",
        "equalTo compares the decoded value",
    ),
    hit(
        "query_parameters",
        "GET",
        "/query/equal-to?search_term=WireMock+rocks",
        "query/equalTo",
        "a + in the query is a space",
    ),
    miss("query_parameters", "GET", "/query/equal-to?search_term=wiremock%20rocks", "equalTo is case-sensitive"),
    miss("query_parameters", "GET", "/query/equal-to", "equalTo refuses a missing parameter"),
    hit(
        "query_parameters",
        "GET",
        "/query/equal-to-case-insensitive?q=wiremock",
        "query/equalTo+caseInsensitive",
        "caseInsensitive",
    ),
    miss("query_parameters", "GET", "/query/equal-to-case-insensitive?q=wiremocks", "caseInsensitive, other value"),
    hit("query_parameters", "GET", "/query/contains?q=wiremocked", "query/contains", "contains"),
    miss("query_parameters", "GET", "/query/contains?q=other", "contains refuses"),
    hit("query_parameters", "GET", "/query/does-not-contain?q=other", "query/doesNotContain", "doesNotContain"),
    miss("query_parameters", "GET", "/query/does-not-contain?q=mocking", "doesNotContain refuses"),
    hit(
        "query_parameters",
        "GET",
        "/query/does-not-contain",
        "query/doesNotContain",
        "doesNotContain holds for a missing parameter",
    ),
    hit("query_parameters", "GET", "/query/matches?search_term=thewiremockrocks", "query/matches", "matches"),
    miss("query_parameters", "GET", "/query/matches?search_term=wiremock1", "matches refuses"),
    hit("query_parameters", "GET", "/query/does-not-match?search_term=wiremock", "query/doesNotMatch", "doesNotMatch"),
    miss("query_parameters", "GET", "/query/does-not-match?search_term=xwiremocky", "doesNotMatch refuses"),
    hit(
        "query_parameters",
        "GET",
        "/query/does-not-match",
        "query/doesNotMatch",
        "doesNotMatch holds for a missing parameter",
    ),
    hit("query_parameters", "GET", "/query/absent", "query/absent", "absent"),
    miss("query_parameters", "GET", "/query/absent?debug=true", "absent refuses a present parameter"),
    miss("query_parameters", "GET", "/query/absent?debug=", "absent refuses an empty parameter"),
    miss("query_parameters", "GET", "/query/absent?debug", "absent refuses a parameter without a value"),
    # cookies.yaml
    hit("cookies", "GET", "/cookies/equal-to", "cookies/equalTo", "equalTo", **cookie("session=s3cr3t")),
    hit(
        "cookies",
        "GET",
        "/cookies/equal-to",
        "cookies/equalTo",
        "equalTo among other cookies",
        **cookie("other=1; session=s3cr3t"),
    ),
    miss("cookies", "GET", "/cookies/equal-to", "equalTo refuses", **cookie("session=other")),
    miss("cookies", "GET", "/cookies/equal-to", "equalTo refuses a missing cookie"),
    hit(
        "cookies",
        "GET",
        "/cookies/equal-to-case-insensitive",
        "cookies/equalTo+caseInsensitive",
        "caseInsensitive",
        **cookie("theme=dark"),
    ),
    hit(
        "cookies",
        "GET",
        "/cookies/contains",
        "cookies/contains",
        "contains",
        **cookie("my_profile=xx-johnsmith@example.com-yy"),
    ),
    miss("cookies", "GET", "/cookies/contains", "contains refuses", **cookie("my_profile=jane@example.com")),
    hit(
        "cookies",
        "GET",
        "/cookies/does-not-contain",
        "cookies/doesNotContain",
        "doesNotContain",
        **cookie("my_profile=jane@example.com"),
    ),
    miss(
        "cookies",
        "GET",
        "/cookies/does-not-contain",
        "doesNotContain refuses",
        **cookie("my_profile=johnsmith@example.com"),
    ),
    miss("cookies", "GET", "/cookies/does-not-contain", "doesNotContain refuses a missing cookie"),
    hit("cookies", "GET", "/cookies/matches", "cookies/matches", "matches", **cookie("session=abc12345def")),
    miss("cookies", "GET", "/cookies/matches", "matches refuses", **cookie("session=abc")),
    hit("cookies", "GET", "/cookies/does-not-match", "cookies/doesNotMatch", "doesNotMatch", **cookie("session=abc")),
    miss("cookies", "GET", "/cookies/does-not-match", "doesNotMatch refuses", **cookie("session=0123456")),
    miss("cookies", "GET", "/cookies/does-not-match", "doesNotMatch refuses a missing cookie"),
    hit("cookies", "GET", "/cookies/absent", "cookies/absent", "absent"),
    hit("cookies", "GET", "/cookies/absent", "cookies/absent", "absent, other cookies sent", **cookie("other=1")),
    miss("cookies", "GET", "/cookies/absent", "absent refuses a present cookie", **cookie("session=1")),
    # basic_auth.yaml
    hit(
        "basic_auth",
        "GET",
        "/basic-auth",
        "basic-auth/ok",
        "the right credentials",
        **header("Authorization", "Basic amVmZkBleGFtcGxlLmNvbTpqZWZmdGVlbmplZmZ0eWplZmY="),
    ),
    miss(
        "basic_auth",
        "GET",
        "/basic-auth",
        "a wrong password",
        **header("Authorization", "Basic amVmZkBleGFtcGxlLmNvbTp3cm9uZw=="),
    ),
    miss("basic_auth", "GET", "/basic-auth", "no credentials"),
    # basic_auth_alias.json
    hit(
        "basic_auth_alias",
        "GET",
        "/basic-auth-alias",
        "basic-auth/alias",
        "the right credentials",
        **header("Authorization", "Basic dXNlcjpwYXNz"),
    ),
    miss(
        "basic_auth_alias", "GET", "/basic-auth-alias", "a wrong password", **header("Authorization", "Basic dXNlcjp4")
    ),
    # form_parameters.json
    hit("form_parameters", "POST", "/form/mock", "form/equalTo", "equalTo", **form("tool=WireMock&other=1")),
    hit("form_parameters", "POST", "/form/mock", "form/equalTo", "values are decoded", **form("tool=Wire%4Dock")),
    miss("form_parameters", "POST", "/form/mock", "equalTo refuses", **form("tool=Other")),
    miss(
        "form_parameters",
        "POST",
        "/form/mock",
        "only a form body counts",
        body="tool=WireMock",
        headers=(("Content-Type", "text/plain"),),
    ),
    miss("form_parameters", "POST", "/form/mock?tool=WireMock", "the query is not the form", **form("")),
    hit(
        "form_parameters",
        "POST",
        "/form/several",
        "form/several",
        "several fields, includes over a repeated one",
        **form("name=Ada&tag=red&tag=blue&tag=green"),
    ),
    miss("form_parameters", "POST", "/form/several", "includes, a value missing", **form("name=Ada&tag=red")),
    miss("form_parameters", "POST", "/form/several", "absent, field sent", **form("name=Ada&tag=red&tag=blue&debug=1")),
    miss("form_parameters", "POST", "/form/several", "matches refuses", **form("name=ada&tag=red&tag=blue")),
    # request_origin.json
    hit("request_origin", "GET", "/origin/host", "origin/host", "host", **header("Host", "api.example.com")),
    hit(
        "request_origin",
        "GET",
        "/origin/host",
        "origin/host",
        "host without the port",
        **header("Host", "api.example.com:8443"),
    ),
    miss("request_origin", "GET", "/origin/host", "host refuses another host"),
    hit("request_origin", "GET", "/origin/port", "origin/port", "port", **header("Host", "api.example.com:8443")),
    miss(
        "request_origin", "GET", "/origin/port", "port refuses another port", **header("Host", "api.example.com:8080")
    ),
    miss("request_origin", "GET", "/origin/port", "port refuses the default port", **header("Host", "api.example.com")),
    hit("request_origin", "GET", "/origin/http", "origin/scheme-http", "scheme http"),
    miss("request_origin", "GET", "/origin/https", "scheme https, plain HTTP sent"),
    hit("request_origin", "GET", "/origin/client", "origin/clientIp", "clientIp"),
    miss("request_origin", "GET", "/origin/other-client", "clientIp refuses another address"),
    hit(
        "request_origin",
        "GET",
        "/origin/other-client",
        "origin/other-clientIp",
        "clientIp is the X-Forwarded-For address when there is one",
        **header("X-Forwarded-For", "10.1.2.3"),
    ),
    # not_binary_anything.json
    hit("not_binary_anything", "GET", "/not", "not", "not: the inner matcher fails", **header("X-Mode", "live")),
    miss("not_binary_anything", "GET", "/not", "not: the inner matcher holds", **header("X-Mode", "test")),
    hit("not_binary_anything", "GET", "/not", "not", "not: a missing header"),
    hit("not_binary_anything", "POST", "/not-body", "not-body", "not over a body", body="public"),
    miss("not_binary_anything", "POST", "/not-body", "not over a body refuses", body="top secret"),
    hit("not_binary_anything", "POST", "/binary", "binaryEqualTo", "binaryEqualTo", body=b"\x01\x02\x03"),
    miss("not_binary_anything", "POST", "/binary", "binaryEqualTo refuses more bytes", body=b"\x01\x02\x03\x04"),
    hit("not_binary_anything", "GET", "/anything?q=x", "anything", "anything"),
    hit("not_binary_anything", "GET", "/anything", "anything", "anything, even a missing parameter"),
    # body_strings.json
    hit("body_strings", "POST", "/body/equal-to", "body/equalTo", "equalTo", body="hello world"),
    miss("body_strings", "POST", "/body/equal-to", "equalTo refuses more", body="hello world!"),
    miss("body_strings", "POST", "/body/equal-to", "equalTo refuses an empty body"),
    hit(
        "body_strings",
        "POST",
        "/body/equal-to-case-insensitive",
        "body/equalTo+caseInsensitive",
        "caseInsensitive",
        body="HELLO WORLD",
    ),
    miss("body_strings", "POST", "/body/equal-to-case-insensitive", "caseInsensitive, other text", body="Hello Worlds"),
    hit(
        "body_strings",
        "POST",
        "/body/contains",
        "body/contains",
        "contains",
        body="please Cancel newspaper subscription now",
    ),
    miss("body_strings", "POST", "/body/contains", "contains is case-sensitive", body="cancel newspaper subscription"),
    hit("body_strings", "POST", "/body/does-not-contain", "body/doesNotContain", "doesNotContain", body="public"),
    miss("body_strings", "POST", "/body/does-not-contain", "doesNotContain refuses", body="top secret"),
    hit("body_strings", "POST", "/body/matches", "body/matches", "matches", body="id=42"),
    miss("body_strings", "POST", "/body/matches", "matches must match the whole body", body="id=42&x=1"),
    hit("body_strings", "POST", "/body/does-not-match", "body/doesNotMatch", "doesNotMatch", body="user=ada"),
    miss("body_strings", "POST", "/body/does-not-match", "doesNotMatch refuses", body="user=ada&password=x"),
    hit("body_strings", "POST", "/body/all", "body/all", "every body pattern holds", body="alpha and omega"),
    miss("body_strings", "POST", "/body/all", "one body pattern fails", body="alpha only"),
    # body_json.json
    hit(
        "body_json",
        "POST",
        "/json/equal",
        "json/equalToJson",
        "equalToJson",
        json_body={"total_results": 4, "tags": ["a", "b"]},
    ),
    hit(
        "body_json",
        "POST",
        "/json/equal",
        "json/equalToJson",
        "equalToJson ignores key order and spacing",
        body='{ "tags" : [ "a", "b" ],\n  "total_results" : 4 }',
    ),
    miss(
        "body_json",
        "POST",
        "/json/equal",
        "equalToJson compares array order",
        json_body={"total_results": 4, "tags": ["b", "a"]},
    ),
    miss(
        "body_json",
        "POST",
        "/json/equal",
        "equalToJson refuses extra elements",
        json_body={"total_results": 4, "tags": ["a", "b"], "more": 1},
    ),
    miss("body_json", "POST", "/json/equal", "equalToJson refuses a body that is not JSON", body="total_results=4"),
    hit(
        "body_json",
        "POST",
        "/json/equal-string",
        "json/equalToJson-string",
        "equalToJson given as a string",
        json_body={"total_results": 4},
    ),
    miss(
        "body_json",
        "POST",
        "/json/equal-string",
        "equalToJson given as a string, other value",
        json_body={"total_results": 5},
    ),
    hit(
        "body_json",
        "POST",
        "/json/ignore-array-order",
        "json/ignoreArrayOrder",
        "ignoreArrayOrder",
        json_body={"ids": [3, 1, 2]},
    ),
    miss(
        "body_json",
        "POST",
        "/json/ignore-array-order",
        "ignoreArrayOrder still counts the elements",
        json_body={"ids": [1, 2]},
    ),
    miss(
        "body_json",
        "POST",
        "/json/ignore-array-order",
        "ignoreArrayOrder still refuses extra fields",
        json_body={"ids": [1, 2, 3], "x": 1},
    ),
    hit(
        "body_json",
        "POST",
        "/json/ignore-extra-elements",
        "json/ignoreExtraElements",
        "ignoreExtraElements at every level",
        json_body={"user": {"name": "Ada", "age": 36}, "id": 1},
    ),
    miss(
        "body_json",
        "POST",
        "/json/ignore-extra-elements",
        "ignoreExtraElements still compares values",
        json_body={"user": {"name": "Bob"}},
    ),
    miss(
        "body_json",
        "POST",
        "/json/ignore-extra-elements",
        "ignoreExtraElements still needs the expected fields",
        json_body={"user": {}},
    ),
    hit(
        "body_json",
        "POST",
        "/json/ignore-both",
        "json/ignoreBoth",
        "ignoreArrayOrder and ignoreExtraElements",
        json_body={"ids": [2, 1], "total_results": 4, "more": True},
    ),
    hit(
        "body_json",
        "POST",
        "/json/ignore-both",
        "json/ignoreBoth",
        "ignoreExtraElements allows extra array items",
        json_body={"ids": [1, 2, 3], "total_results": 4},
    ),
    hit(
        "body_json",
        "POST",
        "/json/extra-array-items",
        "json/ignoreExtraElements-arrays",
        "ignoreExtraElements allows extra items at the end of an array",
        json_body={"ids": [1, 2, 3]},
    ),
    miss(
        "body_json",
        "POST",
        "/json/extra-array-items",
        "ignoreExtraElements alone still compares array order",
        json_body={"ids": [2, 1]},
    ),
    # body_json_placeholders.json (JsonUnit's, which WireMock's equalToJson uses)
    hit(
        "body_json_placeholders",
        "POST",
        "/json/placeholders",
        "json/placeholders",
        "placeholders stand for any value of their kind",
        json_body={"id": "abc", "count": 3, "active": True, "code": "EUR", "trace": [1, 2]},
    ),
    hit(
        "body_json_placeholders",
        "POST",
        "/json/placeholders",
        "json/placeholders",
        "placeholders: other values of the same kinds",
        json_body={"id": "abc", "count": 3.5, "active": False, "code": "USD", "trace": None},
    ),
    miss(
        "body_json_placeholders",
        "POST",
        "/json/placeholders",
        "any-string refuses a number",
        json_body={"id": 1, "count": 3, "active": True, "code": "EUR", "trace": 1},
    ),
    miss(
        "body_json_placeholders",
        "POST",
        "/json/placeholders",
        "any-number refuses a string",
        json_body={"id": "a", "count": "3", "active": True, "code": "EUR", "trace": 1},
    ),
    miss(
        "body_json_placeholders",
        "POST",
        "/json/placeholders",
        "any-boolean refuses a string",
        json_body={"id": "a", "count": 3, "active": "yes", "code": "EUR", "trace": 1},
    ),
    miss(
        "body_json_placeholders",
        "POST",
        "/json/placeholders",
        "regex must match the whole string",
        json_body={"id": "a", "count": 3, "active": True, "code": "eur", "trace": 1},
    ),
    miss(
        "body_json_placeholders",
        "POST",
        "/json/placeholders",
        "ignore still wants the field",
        json_body={"id": "a", "count": 3, "active": True, "code": "EUR"},
    ),
    miss(
        "body_json_placeholders",
        "POST",
        "/json/placeholders",
        "placeholders do not allow extra fields",
        json_body={"id": "a", "count": 3, "active": True, "code": "EUR", "trace": 1, "extra": 1},
    ),
    hit(
        "body_json_placeholders",
        "POST",
        "/json/ignore-element",
        "json/ignore-element",
        "ignore-element allows a missing field",
        json_body={"id": 1},
    ),
    hit(
        "body_json_placeholders",
        "POST",
        "/json/ignore-element",
        "json/ignore-element",
        "ignore-element allows any value",
        json_body={"id": 1, "trace": "x"},
    ),
    miss(
        "body_json_placeholders",
        "POST",
        "/json/ignore-element",
        "ignore-element: the rest still counts",
        json_body={"id": 2},
    ),
    # body_json_path.json
    hit("body_json_path", "POST", "/jsonpath/presence", "jsonpath/presence", "presence", json_body={"name": "Wm"}),
    miss("body_json_path", "POST", "/jsonpath/presence", "presence refuses", json_body={"price": 15}),
    miss("body_json_path", "POST", "/jsonpath/presence", "presence refuses a null value", json_body={"name": None}),
    miss("body_json_path", "POST", "/jsonpath/presence", "presence refuses an empty array", json_body={"name": []}),
    hit(
        "body_json_path",
        "POST",
        "/jsonpath/presence",
        "jsonpath/presence",
        "presence holds for an empty string",
        json_body={"name": ""},
    ),
    hit(
        "body_json_path",
        "POST",
        "/jsonpath/presence",
        "jsonpath/presence",
        "presence holds for false",
        json_body={"name": False},
    ),
    miss("body_json_path", "POST", "/jsonpath/presence", "presence refuses a body that is not JSON", body="name"),
    hit(
        "body_json_path",
        "POST",
        "/jsonpath/filter",
        "jsonpath/filter",
        "a filter over an array",
        json_body={"things": [{"name": "RequiredThing"}, {"name": "Wiremock"}]},
    ),
    hit(
        "body_json_path",
        "POST",
        "/jsonpath/filter",
        "jsonpath/filter",
        "a filter over a single object (the docs' example)",
        json_body={"things": {"name": "RequiredThing"}},
    ),
    miss(
        "body_json_path",
        "POST",
        "/jsonpath/filter",
        "a filter that selects nothing",
        json_body={"things": [{"name": "Wiremock"}]},
    ),
    hit(
        "body_json_path",
        "POST",
        "/jsonpath/compare",
        "jsonpath/compare",
        "a comparison filter",
        json_body={"items": [{"qty": 1}, {"qty": 3}]},
    ),
    miss(
        "body_json_path",
        "POST",
        "/jsonpath/compare",
        "a comparison filter that selects nothing",
        json_body={"items": [{"qty": 1}]},
    ),
    hit(
        "body_json_path",
        "POST",
        "/jsonpath/contains",
        "jsonpath/sub-contains",
        "a contains sub-matcher on a deep scan",
        json_body={"list": {"todoItem": "wash the dishes"}},
    ),
    miss(
        "body_json_path",
        "POST",
        "/jsonpath/contains",
        "a contains sub-matcher refuses",
        json_body={"todoItem": "cook"},
    ),
    hit(
        "body_json_path",
        "POST",
        "/jsonpath/equal-to",
        "jsonpath/sub-equalTo",
        "an equalTo sub-matcher",
        json_body={"status": "active"},
    ),
    miss(
        "body_json_path",
        "POST",
        "/jsonpath/equal-to",
        "an equalTo sub-matcher refuses",
        json_body={"status": "inactive"},
    ),
    miss("body_json_path", "POST", "/jsonpath/equal-to", "an equalTo sub-matcher, path missing", json_body={}),
    hit(
        "body_json_path",
        "POST",
        "/jsonpath/matches",
        "jsonpath/sub-matches",
        "a number is matched as its text",
        json_body={"order": {"id": 1234}},
    ),
    miss(
        "body_json_path",
        "POST",
        "/jsonpath/matches",
        "a matches sub-matcher refuses",
        json_body={"order": {"id": 12345}},
    ),
    hit(
        "body_json_path",
        "POST",
        "/jsonpath/absent",
        "jsonpath/sub-absent",
        "an absent sub-matcher, path missing",
        json_body={"other": 1},
    ),
    miss(
        "body_json_path",
        "POST",
        "/jsonpath/absent",
        "an absent sub-matcher, path present",
        json_body={"debug": True},
    ),
    # body_json_path_nested.json
    hit(
        "body_json_path_nested",
        "POST",
        "/jsonpath/nested-json",
        "jsonpath/sub-equalToJson",
        "an equalToJson sub-matcher",
        json_body={"outer": {"inner": 42}},
    ),
    miss(
        "body_json_path_nested",
        "POST",
        "/jsonpath/nested-json",
        "an equalToJson sub-matcher refuses",
        json_body={"outer": {"inner": 43}},
    ),
    # body_xml.json
    hit("body_xml", "POST", "/xml/equal", "xml/equalToXml", "equalToXml", **xml("<thing>Hello</thing>")),
    hit(
        "body_xml",
        "POST",
        "/xml/equal",
        "xml/equalToXml",
        "equalToXml ignores the XML declaration",
        **xml('<?xml version="1.0" encoding="UTF-8"?>\n<thing>Hello</thing>'),
    ),
    hit(
        "body_xml",
        "POST",
        "/xml/equal",
        "xml/equalToXml",
        "equalToXml trims text and ignores comments",
        **xml("<thing> <!-- greeting -->Hello </thing>"),
    ),
    miss("body_xml", "POST", "/xml/equal", "equalToXml compares text", **xml("<thing>Bye</thing>")),
    miss("body_xml", "POST", "/xml/equal", "equalToXml refuses a body that is not XML", **xml("Hello")),
    hit(
        "body_xml",
        "POST",
        "/xml/order",
        "xml/equalToXml-order",
        "equalToXml ignores attribute order and whitespace between elements",
        **xml('<order currency="EUR" id="7">\n  <item sku="X1">2</item>\n  <item sku="Y2">1</item>\n</order>'),
    ),
    miss(
        "body_xml",
        "POST",
        "/xml/order",
        "equalToXml compares the order of child elements",
        **xml('<order id="7" currency="EUR"><item sku="Y2">1</item><item sku="X1">2</item></order>'),
    ),
    miss(
        "body_xml",
        "POST",
        "/xml/order",
        "equalToXml compares attribute values",
        **xml(ORDER.replace("EUR", "USD")),
    ),
    miss(
        "body_xml",
        "POST",
        "/xml/order",
        "equalToXml refuses a missing attribute",
        **xml(ORDER.replace(' currency="EUR"', "")),
    ),
    # body_xml_options.json
    hit(
        "body_xml_options",
        "POST",
        "/xml/placeholders",
        "xml/enablePlaceholders",
        "a placeholder ignores a value",
        **xml("<message><id>123456</id><content>Hello</content></message>"),
    ),
    miss(
        "body_xml_options",
        "POST",
        "/xml/placeholders",
        "placeholders: the rest still counts",
        **xml("<message><id>1</id><content>Bye</content></message>"),
    ),
    miss(
        "body_xml_options",
        "POST",
        "/xml/placeholders",
        "placeholders: the element must be there",
        **xml("<message><content>Hello</content></message>"),
    ),
    hit(
        "body_xml_options",
        "POST",
        "/xml/delimiters",
        "xml/delimiters",
        "placeholder delimiters",
        **xml("<message><id>x</id><content>Hello</content></message>"),
    ),
    miss(
        "body_xml_options",
        "POST",
        "/xml/delimiters",
        "placeholder delimiters: the rest still counts",
        **xml("<message><id>x</id><content>Bye</content></message>"),
    ),
    hit(
        "body_xml_options",
        "POST",
        "/xml/exempted",
        "xml/exemptedComparisons",
        "exempted ELEMENT_TAG_NAME",
        **xml("<other>Hello</other>"),
    ),
    hit(
        "body_xml_options",
        "POST",
        "/xml/exempted",
        "xml/exemptedComparisons",
        "exempted NAMESPACE_URI",
        **xml('<thing xmlns="http://example.com">Hello</thing>'),
    ),
    miss("body_xml_options", "POST", "/xml/exempted", "exempted: text still counts", **xml("<thing>Bye</thing>")),
    hit(
        "body_xml_options",
        "POST",
        "/xml/same-node-order",
        "xml/ignoreOrderOfSameNode",
        "ignoreOrderOfSameNode",
        **xml("<body><entry>2</entry><entry>1</entry></body>"),
    ),
    miss(
        "body_xml_options",
        "POST",
        "/xml/same-node-order",
        "ignoreOrderOfSameNode: values still count",
        **xml("<body><entry>2</entry><entry>3</entry></body>"),
    ),
    # body_xpath.json
    hit("body_xpath", "POST", "/xpath/count", "xpath/count", "an XPath predicate", **xml(TODO_3)),
    miss(
        "body_xpath",
        "POST",
        "/xpath/count",
        "an XPath predicate that fails",
        **xml("<todo-list><todo-item>a</todo-item><todo-item>b</todo-item></todo-list>"),
    ),
    miss("body_xpath", "POST", "/xpath/count", "a body that is not XML", **xml("todo-list")),
    hit(
        "body_xpath",
        "POST",
        "/xpath/count",
        "xpath/count",
        "an XPath without prefixes selects by local name in a namespaced document",
        **xml(TODO_3.replace("<todo-list>", '<todo-list xmlns="http://todo.example.com">')),
    ),
    hit(
        "body_xpath",
        "POST",
        "/xpath/presence",
        "xpath/presence",
        "an element is present",
        **xml("<root><search-results/></root>"),
    ),
    miss("body_xpath", "POST", "/xpath/presence", "no element selected", **xml("<root/>")),
    hit(
        "body_xpath",
        "POST",
        "/xpath/namespaces",
        "xpath/xPathNamespaces",
        "xPathNamespaces",
        **xml(NS_DOC.format(111)),
    ),
    hit(
        "body_xpath",
        "POST",
        "/xpath/namespaces",
        "xpath/xPathNamespaces",
        "xPathNamespaces go by namespace URI, not by prefix",
        **xml(
            '<a:outer xmlns:a="http://stuff.example.com"><b:inner xmlns:b="http://more.example.com">111</b:inner>'
            "</a:outer>"
        ),
    ),
    miss("body_xpath", "POST", "/xpath/namespaces", "xPathNamespaces, other value", **xml(NS_DOC.format(112))),
    miss(
        "body_xpath",
        "POST",
        "/xpath/namespaces",
        "xPathNamespaces, other namespace URI",
        **xml(NS_DOC.format(111).replace("http://more.example.com", "http://other.example.com")),
    ),
    hit(
        "body_xpath",
        "POST",
        "/xpath/contains",
        "xpath/sub-contains",
        "a contains sub-matcher holds for one of the nodes",
        **xml("<todo-list><todo-item>Do the washing</todo-item><todo-item>Cook</todo-item></todo-list>"),
    ),
    miss(
        "body_xpath",
        "POST",
        "/xpath/contains",
        "a contains sub-matcher refuses",
        **xml("<todo-list><todo-item>Cook</todo-item></todo-list>"),
    ),
    hit(
        "body_xpath",
        "POST",
        "/xpath/equal-to",
        "xpath/sub-equalTo",
        "an equalTo sub-matcher on an attribute",
        **xml('<order status="paid"/>'),
    ),
    miss("body_xpath", "POST", "/xpath/equal-to", "an equalTo sub-matcher refuses", **xml('<order status="due"/>')),
    hit(
        "body_xpath",
        "POST",
        "/xpath/equal-to-xml",
        "xpath/sub-equalToXml",
        "an equalToXml sub-matcher",
        **xml("<todo-list><todo-item>Do the washing</todo-item></todo-list>"),
    ),
    miss(
        "body_xpath",
        "POST",
        "/xpath/equal-to-xml",
        "an equalToXml sub-matcher refuses",
        **xml("<todo-list><todo-item>Do the ironing</todo-item></todo-list>"),
    ),
    # body_json_schema.json
    hit("body_json_schema", "POST", "/schema/inline", "schema/inline", "a valid body", json_body={"name": "x"}),
    hit(
        "body_json_schema",
        "POST",
        "/schema/inline",
        "schema/inline",
        "a valid body with an optional field",
        json_body={"name": "x", "tag": "y"},
    ),
    miss("body_json_schema", "POST", "/schema/inline", "a required field missing", json_body={"tag": "y"}),
    miss("body_json_schema", "POST", "/schema/inline", "a field of the wrong type", json_body={"name": 1}),
    miss("body_json_schema", "POST", "/schema/inline", "a body that is not JSON", body="name=x"),
    hit("body_json_schema", "POST", "/schema/string", "schema/string", "a schema given as a string", json_body=[1, 2]),
    miss("body_json_schema", "POST", "/schema/string", "minItems", json_body=[]),
    miss("body_json_schema", "POST", "/schema/string", "minimum", json_body=[-1]),
    hit("body_json_schema", "POST", "/schema/v4", "schema/v4", "schemaVersion V4", json_body={"age": 1}),
    miss(
        "body_json_schema",
        "POST",
        "/schema/v4",
        "schemaVersion V4 reads a boolean exclusiveMinimum",
        json_body={"age": 0},
    ),
    # multipart.json
    hit(
        "multipart",
        "POST",
        "/multipart/any",
        "multipart/ANY",
        "ANY: one part matches",
        **multipart(("info", "application/json; charset=UTF-8", "{}"), ("other", "text/plain", "x")),
    ),
    miss(
        "multipart",
        "POST",
        "/multipart/any",
        "ANY: a part header differs",
        **multipart(("info", "application/json", "{}")),
    ),
    miss(
        "multipart",
        "POST",
        "/multipart/any",
        "ANY: a part body differs",
        **multipart(("info", "application/json; charset=UTF-8", '{"a": 1}')),
    ),
    miss(
        "multipart",
        "POST",
        "/multipart/any",
        "a body that is not multipart",
        body="{}",
        headers=(("Content-Type", "application/json; charset=UTF-8"),),
    ),
    hit(
        "multipart",
        "POST",
        "/multipart/all",
        "multipart/ALL",
        "ALL: every part matches",
        **multipart(("a", None, "abc"), ("b", None, "def")),
    ),
    miss(
        "multipart",
        "POST",
        "/multipart/all",
        "ALL: one part does not",
        **multipart(("a", None, "abc"), ("b", None, "DEF")),
    ),
    hit(
        "multipart",
        "POST",
        "/multipart/two",
        "multipart/two",
        "two patterns, each matched by a part",
        **multipart(("file", "image/png", "\x89PNG...."), ("title", None, "holiday")),
    ),
    miss(
        "multipart",
        "POST",
        "/multipart/two",
        "two patterns, one unmatched",
        **multipart(("file", "image/png", "\x89PNG...."), ("title", None, "work")),
    ),
    # and_or.json
    hit("and_or", "GET", "/logic/and", "logic/and", "and: both hold", **header("X-Some-Value", "xmagicvaluex")),
    miss("and_or", "GET", "/logic/and", "and: one fails", **header("X-Some-Value", "magicvalue1")),
    miss("and_or", "GET", "/logic/and", "and: the other fails", **header("X-Some-Value", "abc")),
    miss("and_or", "GET", "/logic/and", "and: header missing"),
    hit("and_or", "GET", "/logic/or", "logic/or", "or: the absent branch"),
    hit("and_or", "GET", "/logic/or?search=abc", "logic/or", "or: the matches branch"),
    miss("and_or", "GET", "/logic/or?search=ABC", "or: no branch holds"),
    hit("and_or", "POST", "/logic/or-body", "logic/or-body", "or over a body, first branch", body="my cat"),
    hit("and_or", "POST", "/logic/or-body", "logic/or-body", "or over a body, second branch", body="my dog"),
    miss("and_or", "POST", "/logic/or-body", "or over a body, no branch", body="my fish"),
    hit("and_or", "GET", "/logic/nested", "logic/nested", "nested: the equalTo branch", **cookie("plan=free")),
    hit("and_or", "GET", "/logic/nested", "logic/nested", "nested: the and branch", **cookie("plan=pro-annual")),
    miss("and_or", "GET", "/logic/nested", "nested: the and branch fails", **cookie("plan=pro-trial")),
    miss("and_or", "GET", "/logic/nested", "nested: no branch", **cookie("plan=basic")),
    # multi_value.json
    hit("multi_value", "GET", "/multi/exactly?id=1&id=2&id=3", "multi/hasExactly", "hasExactly"),
    hit("multi_value", "GET", "/multi/exactly?id=3&id=1&id=2", "multi/hasExactly", "hasExactly in any order"),
    miss("multi_value", "GET", "/multi/exactly?id=1&id=2", "hasExactly refuses a missing value"),
    miss("multi_value", "GET", "/multi/exactly?id=1&id=2&id=3&id=4", "hasExactly refuses another value"),
    miss("multi_value", "GET", "/multi/exactly", "hasExactly refuses a missing parameter"),
    hit(
        "multi_value",
        "GET",
        "/multi/exactly-patterns?id=1&id=2&id=4",
        "multi/hasExactly-patterns",
        "hasExactly with patterns",
    ),
    hit(
        "multi_value",
        "GET",
        "/multi/exactly-patterns?id=1&id=1&id=2",
        "multi/hasExactly-patterns",
        "hasExactly: as many values as patterns, each pattern matched by one",
    ),
    miss("multi_value", "GET", "/multi/exactly-patterns?id=1&id=2", "hasExactly with patterns, one value short"),
    miss("multi_value", "GET", "/multi/exactly?id=1&id=2&id=2", "hasExactly: a pattern no value matches"),
    hit("multi_value", "GET", "/multi/includes?id=1&id=2&id=3&id=4", "multi/includes", "includes, other values too"),
    hit("multi_value", "GET", "/multi/includes?id=3&id=1&id=2", "multi/includes", "includes in any order"),
    miss("multi_value", "GET", "/multi/includes?id=1&id=2", "includes refuses a missing value"),
    hit(
        "multi_value",
        "GET",
        "/multi/header-exactly",
        "multi/header-hasExactly",
        "hasExactly over a repeated header",
        headers=(("X-Role", "admin"), ("X-Role", "editor")),
    ),
    miss(
        "multi_value", "GET", "/multi/header-exactly", "hasExactly, header one value short", **header("X-Role", "admin")
    ),
    miss(
        "multi_value",
        "GET",
        "/multi/header-exactly",
        "hasExactly, header with another value",
        headers=(("X-Role", "admin"), ("X-Role", "editor"), ("X-Role", "viewer")),
    ),
    hit(
        "multi_value",
        "GET",
        "/multi/header-includes",
        "multi/header-includes",
        "includes over a repeated header",
        headers=(("X-Role", "viewer"), ("X-Role", "admin")),
    ),
    miss(
        "multi_value", "GET", "/multi/header-includes", "includes, header value missing", **header("X-Role", "viewer")
    ),
    hit("multi_value", "GET", "/multi/any-value?id=1&id=2", "multi/any-value", "equalTo holds for one of the values"),
    miss("multi_value", "GET", "/multi/any-value?id=1&id=3", "equalTo holds for none of the values"),
    # priority.json
    hit("priority", "GET", "/priority/specific-resource", "priority/specific", "priority 1 beats 5"),
    hit("priority", "GET", "/priority/other", "priority/catch-all", "the catch-all", status=401),
    hit("priority", "GET", "/priority/low", "priority/catch-all", "priority 5 beats 7, newer or not", status=401),
    hit("priority", "GET", "/priority/default", "priority/default", "no priority is 5: the newer wins"),
    hit("priority", "GET", "/priority/twice", "priority/twice-second", "of equal stubs, the later wins"),
    # stub_fields.json
    hit("stub_fields", "GET", "/stub-fields/with-id", "stub-fields/with-id", "a stub with id, metadata, persistent"),
    hit("stub_fields", "GET", "/stub-fields/with-uuid", "stub-fields/with-uuid", "a stub with uuid"),
]


# --- serving the corpus ----------------------------------------------------------------------------


def mapping_file(stem: str) -> Path:
    (path,) = [p for p in MAPPINGS.iterdir() if p.stem == stem]
    return path


@pytest.fixture(scope="module")
def corpus_url() -> Iterator[Callable[[str], str]]:
    """The base URL serving one corpus file: its own MockServer, or EXTERNAL for all of them."""
    servers: dict[str, MockServer] = {}

    def url(stem: str) -> str:
        if EXTERNAL:
            return EXTERNAL
        if stem not in servers:
            servers[stem] = MockServer(mappings=mapping_file(stem)).start()
        return servers[stem].url

    yield url
    for server in servers.values():
        server.stop()


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as client:
        yield client


def send(http: httpx.Client, base: str, case: Case) -> httpx.Response:
    http.cookies.clear()  # a Set-Cookie from one case must not reach the next
    return http.request(case.method, base + case.url, headers=list(case.headers), content=case.body)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_corpus_case(case: Case, http: httpx.Client, corpus_url: Callable[[str], str]) -> None:
    response = send(http, corpus_url(case.file), case)
    seen = f"{response.status_code} {response.text[:300]!r}"
    if case.expect is None:
        assert response.status_code == 404, f"no stub should match, but got {seen}"
    else:
        assert (response.status_code, response.text) == (case.status, case.expect), f"got {seen}"


def test_every_corpus_file_has_cases() -> None:
    own_tests = {"responses", "scenarios", SAVED, "templating", "faults", "delays", "webhooks"}
    files = {p.stem for p in MAPPINGS.iterdir()} - own_tests
    assert files == {c.file for c in CASES}
    for stem in files:
        kinds = {c.expect is None for c in CASES if c.file == stem}
        if stem not in {"priority", "stub_fields"}:  # every request there matches some stub by design
            assert kinds == {True, False}, f"{stem}: needs requests that match and requests that must not"


# --- responses -------------------------------------------------------------------------------------


def get(http: httpx.Client, corpus_url: Callable[[str], str], path: str) -> httpx.Response:
    http.cookies.clear()
    return http.get(corpus_url("responses") + path)


def test_status_and_status_message(http: httpx.Client, corpus_url: Callable[[str], str]) -> None:
    response = get(http, corpus_url, "/responses/status")
    assert (response.status_code, response.reason_phrase, response.content) == (
        201,
        "Everything was just fine!",
        b"",
    )


def test_headers_with_several_values(http: httpx.Client, corpus_url: Callable[[str], str]) -> None:
    response = get(http, corpus_url, "/responses/headers")
    assert response.headers.get_list("set-cookie") == ["session_id=91837492837", "split_test_group=B"]
    assert response.headers["content-type"] == "text/plain"
    assert response.headers["cache-control"] == "no-cache"
    assert response.text == "responses/headers"


def test_body(http: httpx.Client, corpus_url: Callable[[str], str]) -> None:
    assert get(http, corpus_url, "/responses/body").text == "Literal text to put in the body"


def test_json_body(http: httpx.Client, corpus_url: Callable[[str], str]) -> None:
    assert get(http, corpus_url, "/responses/json-body").json() == {"arbitrary_json": [1, 2, 3]}


def test_base64_body(http: httpx.Client, corpus_url: Callable[[str], str]) -> None:
    assert get(http, corpus_url, "/responses/base64-body").content == b"YES INDEED!"


def test_body_file_name(http: httpx.Client, corpus_url: Callable[[str], str]) -> None:
    response = get(http, corpus_url, "/responses/body-file")
    assert response.content == (CORPUS / "__files" / "responses" / "greeting.json").read_bytes()
    assert response.json() == {"greeting": "hello from a file"}
    assert get(http, corpus_url, "/responses/body-file-bytes").content == b"\x00\x01\xfe\xff"


def test_fixed_delay(http: httpx.Client, corpus_url: Callable[[str], str]) -> None:
    get(http, corpus_url, "/responses/body")  # connect first: the delay is what is measured
    started = time.perf_counter()
    response = get(http, corpus_url, "/responses/delayed")
    took = time.perf_counter() - started
    assert response.text == "responses/delayed"
    assert took >= 0.040


def test_error_status_with_a_body(http: httpx.Client, corpus_url: Callable[[str], str]) -> None:
    response = get(http, corpus_url, "/responses/teapot")
    assert (response.status_code, response.text) == (418, "responses/teapot")


# --- response behaviours: templates, faults, delays, webhooks (WireMock's own fields) ----------------


def test_template_request_model(http: httpx.Client, corpus_url: Callable[[str], str]) -> None:
    """The request model of WireMock's "Response Templating" page, in the body and in header values."""
    http.cookies.clear()
    response = http.post(
        corpus_url("templating") + "/templating/users/42?page=2&tag=a&tag=b",
        headers={"X-Request-Id": "abc-123", "Cookie": "session=s-9"},
        json={"name": "Ada", "address": {"city": "London"}},
    )
    assert response.status_code == 201, response.text
    assert response.headers["x-request-id"] == "abc-123"
    assert response.headers["location"] == "/users/42"
    assert response.text.split("\n") == [
        "url=/templating/users/42?page=2&tag=a&tag=b",
        "path=/templating/users/42",
        "id=42",
        "segment=users",
        "method=POST",
        "page=2",
        "second-tag=b",
        "header=abc-123",
        "cookie=s-9",
        "name=Ada",
        "city=London",
    ]


def test_template_transformer_parameters(http: httpx.Client, corpus_url: Callable[[str], str]) -> None:
    response = http.get(corpus_url("templating") + "/templating/parameters?name=Ada")
    assert response.text == "Hello, Ada! At most 3 items."


def test_template_now(http: httpx.Client, corpus_url: Callable[[str], str]) -> None:
    before = datetime.now(timezone.utc)
    text = http.get(corpus_url("templating") + "/templating/now").text
    after = datetime.now(timezone.utc)
    iso, day, in_three_days, epoch = text.split("|")
    # ISO 8601 in UTC to the second by default
    at = datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    assert before.replace(microsecond=0) <= at <= after, text
    days = {before.date(), after.date()}  # the request may straddle midnight
    assert day in {d.isoformat() for d in days}, text
    assert in_three_days in {(d + timedelta(days=3)).isoformat() for d in days}, text
    assert int(before.timestamp() * 1000) <= int(epoch) <= int(after.timestamp() * 1000) + 1, text


def test_template_random_values(http: httpx.Client, corpus_url: Callable[[str], str]) -> None:
    url = corpus_url("templating") + "/templating/random"
    first, second = http.get(url).text, http.get(url).text
    for text in (first, second):
        alphanumeric, numeric, alphabetic, hexadecimal, uuid_text = text.split("|")
        # WireMock's ALPHANUMERIC and HEXADECIMAL are lower case unless uppercase=true
        assert re.fullmatch(r"[a-z0-9]{12}", alphanumeric), text
        assert re.fullmatch(r"[0-9]{6}", numeric), text
        assert re.fullmatch(r"[A-Z]{8}", alphabetic), text
        assert re.fullmatch(r"[0-9a-f]{10}", hexadecimal), text
        assert uuid.UUID(uuid_text).version == 4, text
    assert first != second, "two requests got the same random values"


@pytest.mark.parametrize(("language", "expected"), [("en", "Hello Ada"), ("fr", "Bonjour Ada")])
def test_template_body_file_name(
    language: str, expected: str, http: httpx.Client, corpus_url: Callable[[str], str]
) -> None:
    """The file is chosen by a template, and its content is a template too."""
    response = http.get(corpus_url("templating") + f"/templating/greeting/{language}?name=Ada")
    assert (response.status_code, response.text) == (200, expected)


def test_no_transformer_no_template(http: httpx.Client, corpus_url: Callable[[str], str]) -> None:
    assert http.get(corpus_url("templating") + "/templating/off").text == "{{request.path}}"


#: a head, then bytes that are no chunk (a chunk starts with its size in hex and CRLF)
A_HEAD_THEN_GARBAGE = rb"HTTP/1\.1 200 [^\r\n]*\r\n(?:[^\r\n]+\r\n)*\r\n(?![0-9a-fA-F]+\r\n).+"
FAULTS = [
    # (path, how the connection ends, what comes before (a regex), the error httpx raises)
    ("/faults/connection-reset-by-peer", "reset", rb"", httpx.ReadError),
    ("/faults/empty-response", "eof", rb"", httpx.RemoteProtocolError),
    ("/faults/malformed-response-chunk", "eof", A_HEAD_THEN_GARBAGE, httpx.RemoteProtocolError),
    ("/faults/random-data-then-close", "eof", rb"(?!HTTP/).+", httpx.RemoteProtocolError),
]


@pytest.mark.parametrize(("path", "end", "sent", "error"), FAULTS, ids=[f[0].rsplit("/", 1)[1] for f in FAULTS])
def test_fault(
    path: str,
    end: str,
    sent: bytes,
    error: type[Exception],
    http: httpx.Client,
    corpus_url: Callable[[str], str],
) -> None:
    """The four faults of WireMock's "Simulating Faults" page, on the wire and as a client sees them."""
    base = corpus_url("faults")
    received, how = exchange(base, get_request(path, host="corpus"))
    assert how == end, received
    assert re.fullmatch(sent, received, flags=re.DOTALL), received
    with pytest.raises(error):
        http.get(base + path)
    assert http.get(corpus_url("responses") + "/responses/body").status_code == 200  # the server goes on


#: timers may fire a little early (uvloop rounds to milliseconds); a loaded machine may answer late
EARLY = 0.005
# generous: a loaded CI machine answers late; lateness past this would mean the delays ran one by one
LATE = 0.6

DELAYS = [
    # (path, at least, at most) in seconds
    ("/delays/fixed", 0.100, 0.100),
    ("/delays/uniform", 0.060, 0.120),
    # median 80 ms, sigma 0.1: under 45 ms is almost six sigmas away
    ("/delays/lognormal", 0.045, None),
    # uncapped, median 100 ms and sigma 5 would put four delays in ten past 400 ms; maxValue holds all to 150
    ("/delays/lognormal-capped", 0.0, 0.150),
]


@pytest.mark.parametrize(("path", "at_least", "at_most"), DELAYS, ids=[d[0].rsplit("/", 1)[1] for d in DELAYS])
def test_delay(
    path: str, at_least: float, at_most: float | None, http: httpx.Client, corpus_url: Callable[[str], str]
) -> None:
    url = corpus_url("delays") + path

    def timed(_: int) -> tuple[str, float]:
        started = time.perf_counter()
        text = http.get(url).text
        return text, time.perf_counter() - started

    with ThreadPoolExecutor(8) as pool:  # at once: eight delays take the time of one
        results = list(pool.map(timed, range(8)))
    for text, took in results:
        assert text == path.removeprefix("/")
        assert took >= at_least - EARLY, results
        if at_most is not None:
            assert took <= at_most + LATE, results


def test_chunked_dribble_delay(http: httpx.Client, corpus_url: Callable[[str], str]) -> None:
    """Four chunks over 200 ms: the body arrives in pieces, the last one after the whole duration."""
    pieces: list[tuple[float, bytes]] = []
    started = time.perf_counter()
    # identity: WireMock gzips a body for a client that accepts it, which would make it one piece
    with http.stream(
        "GET", corpus_url("delays") + "/delays/dribble", headers={"Accept-Encoding": "identity"}
    ) as response:
        for piece in response.iter_raw():
            pieces.append((time.perf_counter() - started, piece))
    assert b"".join(piece for _, piece in pieces) == b"aaaabbbbccccdddd"
    assert len(pieces) >= 2, pieces
    first, last = pieces[0][0], pieces[-1][0]
    assert last >= 0.200 - EARLY, pieces
    assert last - first >= 0.100, pieces  # spread over the time, not sent in one go


@pytest.fixture(scope="module")
def callbacks() -> Iterator[MockServer]:
    """The server webhooks call."""
    with MockServer() as target:
        target.add_mapping(
            {"request": {"method": "ANY", "urlPathPattern": "/callbacks/.*"}, "response": {"status": 204}}
        )
        yield target


def test_webhook(callbacks: MockServer, http: httpx.Client, corpus_url: Callable[[str], str]) -> None:
    """WireMock's "Webhooks and Callbacks": method, URL, headers and body from the request, after a delay."""
    callbacks.clear_requests()
    sent = time.time()
    response = http.post(
        corpus_url("webhooks") + "/webhooks/orders",
        json={"id": "o-7", "callbackMethod": "PATCH", "callbackUrl": callbacks.url_for("/callbacks/orders/o-7")},
    )
    responded = time.time()
    assert (response.status_code, response.text) == (202, "webhooks/accepted")
    (call,) = requests_to(callbacks)
    got = call.request
    assert (got.method, got.url) == ("PATCH", "/callbacks/orders/o-7")
    assert got.headers["content-type"] == "application/json"
    assert got.headers["x-order-id"] == "o-7"
    assert got.json() == {"order": "o-7", "status": "shipped"}
    assert got.timestamp - sent >= 0.150 - EARLY  # its delay
    assert responded < got.timestamp  # asynchronous: the response did not wait for it


def test_webhook_as_a_post_serve_action(
    callbacks: MockServer, http: httpx.Client, corpus_url: Callable[[str], str]
) -> None:
    callbacks.clear_requests()
    response = http.post(
        corpus_url("webhooks") + "/webhooks/legacy",
        headers={"X-Callback-Url": callbacks.url_for("/callbacks/legacy"), "X-Trace": "t-1"},
    )
    assert response.text == "webhooks/legacy"
    (call,) = requests_to(callbacks)
    assert (call.request.method, call.request.path, call.request.body) == ("PUT", "/callbacks/legacy", b"legacy t-1")


# --- stub fields, as the admin API gives them back -------------------------------------------------


def test_stub_fields_are_kept(http: httpx.Client, corpus_url: Callable[[str], str]) -> None:
    base = corpus_url("stub_fields")
    with_id = http.get(f"{base}/__admin/mappings/8c5db8b0-2db4-4ad7-a99f-38c9b00da3f7").json()
    assert with_id["id"] == "8c5db8b0-2db4-4ad7-a99f-38c9b00da3f7"
    assert with_id["name"] == "id, name, metadata and persistent"
    assert with_id["persistent"] is True
    assert with_id["metadata"] == {"team": "payments", "tags": ["corpus", "stub-fields"], "owner": {"name": "Ada"}}
    with_uuid = http.get(f"{base}/__admin/mappings/d8e0e5a3-5d4c-4d1b-8d2e-3b9e1f6f2a10").json()
    assert with_uuid["id"] == "d8e0e5a3-5d4c-4d1b-8d2e-3b9e1f6f2a10"
    assert with_uuid["metadata"] == {"team": "search"}


def test_stubs_are_found_by_metadata(http: httpx.Client, corpus_url: Callable[[str], str]) -> None:
    base = corpus_url("stub_fields")
    found = http.post(
        f"{base}/__admin/mappings/find-by-metadata",
        json={"matchesJsonPath": {"expression": "$.owner.name", "equalTo": "Ada"}},
    )
    assert found.status_code == 200, found.text
    assert [m["id"] for m in found.json()["mappings"]] == ["8c5db8b0-2db4-4ad7-a99f-38c9b00da3f7"]


# --- scenarios -------------------------------------------------------------------------------------


def reset_scenarios(http: httpx.Client, base: str) -> None:
    response = http.post(f"{base}/__admin/scenarios/reset")
    assert response.status_code == 200, response.text


def test_scenario_to_do_list(http: httpx.Client, corpus_url: Callable[[str], str]) -> None:
    """The "To do list" example of WireMock's Stateful Behaviour page, step by step."""
    base = corpus_url("scenarios")
    reset_scenarios(http, base)
    first = http.get(f"{base}/todo/items")
    assert (first.status_code, first.text) == (200, "<items><item>Buy milk</item></items>")
    assert http.post(f"{base}/todo/items", content=b"Walk the dog").status_code == 404  # body pattern fails
    assert http.get(f"{base}/todo/items").text == "<items><item>Buy milk</item></items>"  # state unchanged
    added = http.post(f"{base}/todo/items", content=b"Cancel newspaper subscription")
    assert added.status_code == 201
    after = http.get(f"{base}/todo/items")
    assert after.text == "<items><item>Buy milk</item><item>Cancel newspaper subscription</item></items>"
    # the POST stub requires "Started", which the scenario has left
    assert http.post(f"{base}/todo/items", content=b"Cancel newspaper subscription").status_code == 404
    scenarios = http.get(f"{base}/__admin/scenarios").json()["scenarios"]
    (todo,) = [s for s in scenarios if s["name"] == "To do list"]
    assert todo["state"] == "Cancel newspaper item added"
    assert set(todo["possibleStates"]) == {"Started", "Cancel newspaper item added"}
    reset_scenarios(http, base)
    assert http.get(f"{base}/todo/items").text == "<items><item>Buy milk</item></items>"


def test_scenario_stub_without_required_state(http: httpx.Client, corpus_url: Callable[[str], str]) -> None:
    """A stub of a scenario with no requiredScenarioState matches in every state, and still moves it on."""
    base = corpus_url("scenarios")
    reset_scenarios(http, base)
    assert http.get(f"{base}/light").text == "green"
    assert http.get(f"{base}/light").text == "green"
    assert http.post(f"{base}/light/stop").text == "light/stopped"
    assert http.get(f"{base}/light").text == "red"  # and back to Started
    assert http.get(f"{base}/light").text == "green"
    assert http.post(f"{base}/light/stop").text == "light/stopped"
    assert http.post(f"{base}/light/stop").text == "light/stopped"  # in state Red too
    assert http.get(f"{base}/light").text == "red"


# --- customMatcher: WireMock's extension matchers are registered Python functions ------------------


def body_too_long(request: Any, parameters: Mapping[str, Any]) -> bool:
    return len(request.body) > int(parameters["maxLength"])


def path_contains_param(request: Any, parameters: Mapping[str, Any]) -> bool:
    return str(parameters["path"]) in request.path


@pytest.fixture
def custom_matchers() -> Iterator[MockServer]:
    """The two matchers of WireMock's "Custom Matching" page, and a server on the file naming them."""
    import mockpit

    mockpit.register_matcher("body-too-long", body_too_long)
    mockpit.register_matcher("path-contains-param", path_contains_param)
    try:
        with MockServer(mappings=CORPUS / "custom" / "custom_matcher.json") as server:
            yield server
    finally:
        mockpit.unregister_matcher("body-too-long")
        mockpit.unregister_matcher("path-contains-param")


@pytest.mark.parametrize(
    ("method", "path", "body", "expected"),
    [
        ("POST", "/anything", b"x" * 2049, (422, "custom/body-too-long")),
        ("POST", "/anything", b"x" * 2048, (404, None)),
        ("GET", "/the/correct/one", b"", (200, "custom/path-contains-param")),
        ("GET", "/the/wrong/one", b"", (404, None)),
        ("POST", "/the/correct/one", b"", (404, None)),  # the standard matchers must hold too
    ],
)
def test_custom_matcher(
    method: str,
    path: str,
    body: bytes,
    expected: tuple[int, str | None],
    custom_matchers: MockServer,
    http: httpx.Client,
) -> None:
    response = http.request(method, custom_matchers.url_for(path), content=body)
    status, text = expected
    assert response.status_code == status, response.text
    if text is not None:
        assert response.text == text


def test_a_custom_matcher_that_is_not_registered_is_refused_at_load() -> None:
    import mockpit

    with pytest.raises(mockpit.MappingError, match="body-too-long"):
        MockServer(mappings=CORPUS / "custom" / "custom_matcher.json")


# --- proxying: custom/proxy.json, its upstream's URL a placeholder the test fills in -----------------

PLACEHOLDER = "http://upstream.invalid"


@pytest.fixture(scope="module")
def upstream(echo_upstream: MockServer) -> MockServer:
    echo_upstream.add_mapping(
        {
            "priority": 1,
            "request": {"url": "/approot/shop/teapot"},
            "response": {"status": 418, "body": "short and stout", "headers": {"X-Upstream": "teapot"}},
        }
    )
    return echo_upstream


@pytest.fixture(scope="module")
def proxying(upstream: MockServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockServer]:
    """A server on custom/proxy.json, its proxyBaseUrl pointing at ``upstream``."""
    text = (CORPUS / "custom" / "proxy.json").read_text(encoding="utf-8")
    assert PLACEHOLDER in text
    file = tmp_path_factory.mktemp("proxy") / "proxy.json"
    file.write_text(text.replace(PLACEHOLDER, upstream.url), encoding="utf-8")
    with MockServer(mappings=file) as server:
        yield server


def test_proxy_forwards_to_base_url_plus_path(proxying: MockServer, http: httpx.Client) -> None:
    """WireMock's "Proxying": /shop/items goes to {proxyBaseUrl}/shop/items, query and all."""
    seen = Echoed.of(
        http.get(proxying.url_for("/shop/items?page=2&sort=asc"), headers={"X-Internal-Token": "s3cr3t", "X-Kept": "1"})
    )
    assert (seen.method, seen.path, seen.query) == ("GET", "/approot/shop/items", "page=2&sort=asc")
    headers = seen.headers
    assert headers["x-kept"] == "1"
    assert headers["x-forwarded-by"] == "mockpit-corpus"  # additionalProxyRequestHeaders
    assert "x-internal-token" not in headers  # removeProxyRequestHeaders


def test_proxy_forwards_method_and_body(proxying: MockServer, http: httpx.Client) -> None:
    seen = Echoed.of(http.post(proxying.url_for("/shop/orders"), content=b'{"sku": "X1"}'))
    assert (seen.method, seen.path, seen.body) == ("POST", "/approot/shop/orders", b'{"sku": "X1"}')


def test_proxy_removes_the_url_prefix(proxying: MockServer, http: httpx.Client) -> None:
    seen = Echoed.of(http.get(proxying.url_for("/other/service/doc/123")))
    assert seen.path == "/approot/doc/123"


def test_proxy_passes_the_upstream_status_and_headers_back(proxying: MockServer, http: httpx.Client) -> None:
    response = http.get(proxying.url_for("/shop/teapot"))
    assert (response.status_code, response.text, response.headers["x-upstream"]) == (
        418,
        "short and stout",
        "teapot",
    )


def test_proxy_intercepted_by_a_higher_priority_stub(
    proxying: MockServer, upstream: MockServer, http: httpx.Client
) -> None:
    upstream.clear_requests()
    assert http.get(proxying.url_for("/shop/specials")).text == "proxy/intercepted"
    assert Echoed.of(http.get(proxying.url_for("/shop/other"))).path == "/approot/shop/other"
    assert [event.request.path for event in upstream.requests()] == ["/approot/shop/other"]


# --- sequences: custom/sequences.json, mockpit's addition to the format ------------------------------


def test_sequences(http: httpx.Client) -> None:
    """``responses`` answered in turn: the last one repeats, or with ``responseSequence: cycle`` they start over."""
    with MockServer(mappings=CORPUS / "custom" / "sequences.json") as server:
        flaky = [http.get(server.url_for("/sequence/flaky")) for _ in range(4)]
        assert [(r.status_code, r.text) for r in flaky] == [
            (503, "down"),
            (503, "still down"),
            (200, '{"ok":true}'),
            (200, '{"ok":true}'),
        ]
        assert [http.get(server.url_for("/sequence/round-robin")).text for _ in range(7)] == list("abcabca")
        assert http.post(server.url_for("/__admin/mappings/reset")).status_code == 200
        assert http.get(server.url_for("/sequence/flaky")).text == "down"  # a reset starts them again
        assert http.get(server.url_for("/sequence/round-robin")).text == "a"


# --- a file as WireMock writes it (POST /__admin/mappings/save) --------------------------------------

SAVED = "saved-by-wiremock-0d74dee4-acfc-4a9a-abd8-0902afc90a97"


def test_a_mapping_file_saved_by_wiremock(http: httpx.Client, corpus_url: Callable[[str], str]) -> None:
    """WireMock 3 writes uuid, persistent and insertionIndex beside the stub; mockpit reads it as is."""
    base = corpus_url(SAVED)
    reset_scenarios(http, base)
    json_type = {"Content-Type": "application/json"}
    assert http.post(f"{base}/saved/42?v=1&v=2", json={"a": "b"}).status_code == 404  # hasExactly
    assert http.post(f"{base}/saved/x?v=1", json={"a": "b"}).status_code == 404  # pathParameters
    assert (
        http.post(f"{base}/saved/42?v=1", content=b'{"a": "b"}', headers={"Content-Type": "text/plain"}).status_code
        == 404
    )
    answer = http.post(f"{base}/saved/42?v=1", content=b'{"a": "b"}', headers=json_type)
    assert (answer.status_code, answer.json()) == (200, {"ok": True})
    assert answer.headers.get_list("X-Multi") == ["1", "2"]
    # its scenario has moved from Started to Done, where the stub no longer matches
    assert http.post(f"{base}/saved/42?v=1", content=b'{"a": "b"}', headers=json_type).status_code == 404
    mapping = http.get(f"{base}/__admin/mappings/0d74dee4-acfc-4a9a-abd8-0902afc90a97").json()
    assert (mapping["name"], mapping["priority"], mapping["metadata"]) == (
        "Saved by WireMock",
        3,
        {"origin": "wiremock"},
    )


# --- the whole corpus with `mockpit serve` ---------------------------------------------------------


def corpus_stub_count() -> int:
    total = 0
    for path in MAPPINGS.iterdir():
        text = path.read_text(encoding="utf-8")
        document = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
        total += len(document["mappings"]) if "mappings" in document else 1
    return total


def test_mockpit_serve_loads_the_whole_corpus(http: httpx.Client) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "mockpit", "serve", str(CORPUS), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = []
        for line in process.stdout:
            lines.append(line)
            ready = re.search(r"serving (\d+) stub\(s\) on (http://\S+)", line)
            if ready:
                break
        else:
            assert process.stderr is not None
            raise AssertionError(f"mockpit serve did not start: {''.join(lines)}{process.stderr.read()}")
        assert int(ready.group(1)) == corpus_stub_count()
        base = ready.group(2)
        for stem in sorted({c.file for c in CASES}):
            case = next(c for c in CASES if c.file == stem and c.expect is not None)
            response = send(http, base, case)
            assert (response.status_code, response.text) == (case.status, case.expect), case.id
        assert http.get(base + "/responses/json-body").json() == {"arbitrary_json": [1, 2, 3]}
        assert http.get(base + "/todo/items").status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=10)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


# --- the rest of WireMock's format is refused, never ignored ---------------------------------------

#: WireMock fields mockpit does not support yet (``_NOT_YET`` in _mapping/read.py, and JsonUnit's
#: other placeholders), each in a stub that uses it; docs/wiremock-compatibility.md lists the same fields
UNSUPPORTED: list[tuple[str, dict[str, object]]] = [
    ("equalToDateTime", {"request": {"url": "/x", "headers": {"X-Date": {"equalToDateTime": "2021-06-24T00:00:00Z"}}}}),
    ("before", {"request": {"url": "/x", "headers": {"X-Date": {"before": "now +3 days"}}}}),
    ("after", {"request": {"url": "/x", "headers": {"X-Date": {"after": "2021-05-01T00:00:00Z"}}}}),
    (
        "actualFormat",
        {
            "request": {
                "url": "/x",
                "headers": {"X-Date": {"equalToDateTime": "2021-06-24", "actualFormat": "dd/MM/yyyy"}},
            }
        },
    ),
    (
        "expectedOffset",
        {
            "request": {
                "url": "/x",
                "queryParameters": {"from": {"after": "now", "expectedOffset": -1, "expectedOffsetUnit": "days"}},
            }
        },
    ),
    (
        "expectedOffsetUnit",
        {"request": {"url": "/x", "cookies": {"since": {"before": "now", "expectedOffsetUnit": "hours"}}}},
    ),
    (
        "truncateExpected",
        {"request": {"url": "/x", "headers": {"X-Date": {"before": "now", "truncateExpected": "first day of month"}}}},
    ),
    (
        "truncateActual",
        {"request": {"url": "/x", "headers": {"X-Date": {"equalToDateTime": "now", "truncateActual": "first hour"}}}},
    ),
    (
        "applyTruncationLast",
        {"request": {"url": "/x", "headers": {"X-Date": {"after": "now", "applyTruncationLast": True}}}},
    ),
    (
        "${json-unit.matches:",
        {"request": {"url": "/x", "bodyPatterns": [{"equalToJson": {"id": "${json-unit.matches:positive}"}}]}},
    ),
    (
        "matchesPathTemplate",
        {"request": {"urlPathTemplate": "/t/{id}", "pathParameters": {"id": {"matchesPathTemplate": "x"}}}},
    ),
]


@pytest.mark.parametrize(("field", "mapping"), UNSUPPORTED, ids=[f.strip("${:") for f, _ in UNSUPPORTED])
def test_unsupported_field_is_refused_with_its_name(
    field: str, mapping: dict[str, object], client: httpx.Client
) -> None:
    response = client.post("/__admin/mappings", json=mapping)
    assert response.status_code in {400, 422}, f"{field} was accepted: {response.text}"
    assert field in response.text, response.text
    assert "not supported" in response.text, response.text


def test_the_docs_list_every_refused_field() -> None:
    text = DOCS.read_text(encoding="utf-8")
    unsupported = text[text.index("## Not supported") :]
    missing = [field for field, _ in UNSUPPORTED if f"`{field}" not in unsupported]
    assert not missing, f"docs/wiremock-compatibility.md does not list {missing} as unsupported"


#: WireMock forms refused otherwise than by the "not supported" message: (how the docs name it, where the
#: request goes, the payload, the field the error points at)
REFUSED_FORMS = [
    (
        "a template in `proxyBaseUrl`",
        "/__admin/mappings",
        {"request": {"url": "/x"}, "response": {"proxyBaseUrl": "{{request.headers.X-Upstream}}"}},
        "/response/proxyBaseUrl",
    ),
    (
        "`bodyFileName` in a webhook's parameters",
        "/__admin/mappings",
        {
            "request": {"url": "/x"},
            "serveEventListeners": [
                {"name": "webhook", "parameters": {"url": "http://localhost:1/hook", "bodyFileName": "hook.json"}}
            ],
        },
        "/serveEventListeners/0/parameters",
    ),
]


@pytest.mark.parametrize(("documented", "path", "payload", "pointer"), REFUSED_FORMS, ids=[f[3] for f in REFUSED_FORMS])
def test_a_wiremock_form_mockpit_lacks_is_refused_and_documented(
    documented: str, path: str, payload: dict[str, object], pointer: str, client: httpx.Client
) -> None:
    response = client.post(path, json=payload)
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["source"]["pointer"] == pointer
    text = DOCS.read_text(encoding="utf-8")
    assert documented in text[text.index("## Not supported") :], (
        f"docs/wiremock-compatibility.md does not list {documented}"
    )


def first_cells(start: str, end: str) -> list[str]:
    """The first cells of the table rows of docs/wiremock-compatibility.md between two headings."""
    text = DOCS.read_text(encoding="utf-8")
    begin = text.index(start)
    return re.findall(r"^\| ([^|]+) \|", text[begin : text.index(end, begin)], flags=re.MULTILINE)


@pytest.mark.parametrize(
    ("section", "fields"),
    [
        ("### Stub\n", set(_StubModel.model_fields) - {"request", "response"}),
        ("### Response\n", set(_ResponseModel.model_fields)),
    ],
)
def test_the_docs_list_every_supported_field(section: str, fields: set[str]) -> None:
    """Each field mockpit reads is in its table, and none of them is listed as unsupported."""
    documented = {name for cell in first_cells(section, "\n#") for name in re.findall(r"`(\w+)`", cell)}
    assert fields - documented == set(), f"docs/wiremock-compatibility.md, {section.strip()}: not listed"
    # a row naming fields and nothing else ("`a`, `b`"), not "`postServeActions` as an object"
    refused = {
        name
        for cell in first_cells("### Mapping fields", "### Admin API")
        if re.fullmatch(r"`\w+`(, `\w+`)*", cell)
        for name in re.findall(r"`(\w+)`", cell)
    }
    assert "matchesPathTemplate" in refused  # the table is read at all
    assert fields & refused == set(), f"listed as unsupported: {fields & refused}"
