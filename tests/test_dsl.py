"""The fluent Python API: builders, matchers, fixed responses and Python handlers, over the wire."""

from __future__ import annotations

import asyncio
import base64
import inspect
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from mockpit import (
    MappingError,
    Matcher,
    MockServer,
    Request,
    RequestPatternBuilder,
    Response,
    absent,
    contains,
    delete,
    does_not_contain,
    does_not_match,
    equal_to,
    equal_to_json,
    get,
    head,
    matches,
    matches_json_path,
    options,
    patch,
    post,
    put,
    request,
    stub_to_mapping,
)
from mockpit._server import internals

# one server for the module, reset around each test (see conftest.py)
SHARED_SERVER = True


def answered(response: httpx.Response, body: str = "ok") -> bool:
    """True if the stub answered; False if nothing matched (anything else fails the test)."""
    if response.status_code == 404:
        assert "no stub matched" in response.text
        return False
    assert response.status_code == 200, response.text
    assert response.text == body
    return True


# --- builders -------------------------------------------------------------------------------------

BUILDERS = [
    pytest.param(get, "GET", "POST", id="get"),
    pytest.param(post, "POST", "GET", id="post"),
    pytest.param(put, "PUT", "POST", id="put"),
    pytest.param(patch, "PATCH", "PUT", id="patch"),
    pytest.param(delete, "DELETE", "GET", id="delete"),
    pytest.param(head, "HEAD", "GET", id="head"),
    pytest.param(options, "OPTIONS", "GET", id="options"),
]


@pytest.mark.parametrize(("builder", "method", "other"), BUILDERS)
def test_method_builders(
    server: MockServer, client: httpx.Client, builder: Callable[..., RequestPatternBuilder], method: str, other: str
) -> None:
    server.when(builder("/m")).respond(201, "ok")
    hit = client.request(method, "/m")
    assert hit.status_code == 201
    assert hit.text == ("" if method == "HEAD" else "ok")
    assert client.request(other, "/m").status_code == 404
    assert client.request(method, "/other").status_code == 404


@pytest.mark.parametrize(("builder", "method", "other"), BUILDERS)
def test_method_builders_show_their_signature_and_docstring(
    builder: Callable[..., RequestPatternBuilder], method: str, other: str
) -> None:
    assert str(inspect.signature(builder)) == (
        "(url: 'str | None' = None, *, path_matching: 'str | None' = None, url_matching: 'str | None' = None)"
        " -> 'RequestPatternBuilder'"
    )
    assert builder.__name__ == method.lower()
    assert builder.__doc__ == f"A pattern for {method} requests: ``{method.lower()}('/path')``."


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE", "PATCH"])
def test_request_without_a_method_is_any_method(server: MockServer, client: httpx.Client, method: str) -> None:
    server.when(request(url="/any")).respond(body="ok")
    assert answered(client.request(method, "/any"))
    assert not answered(client.request(method, "/other"))


def test_request_without_a_url_is_any_url(server: MockServer, client: httpx.Client) -> None:
    server.when(request("put")).respond(body="ok")
    assert answered(client.put("/x/y?z=1"))
    assert answered(client.put("/"))
    assert not answered(client.get("/x"))


@pytest.mark.parametrize(
    ("pattern", "sent", "should_match"),
    [
        pytest.param(get("/users"), "/users", True, id="path"),
        pytest.param(get("/users"), "/users?page=2", True, id="path-ignores-query"),
        pytest.param(get("/users"), "/users/1", False, id="path-exact"),
        pytest.param(get("/users?page=2"), "/users?page=2", True, id="with-query-is-exact-url"),
        pytest.param(get("/users?page=2"), "/users", False, id="with-query-needs-it"),
        pytest.param(get("/users?page=2"), "/users?page=2&x=1", False, id="with-query-exactly"),
        pytest.param(get("/users/{id}"), "/users/7", True, id="template"),
        pytest.param(get("/users/{id}"), "/users/7/x", False, id="template-one-segment"),
        pytest.param(get(path_matching="/u/[0-9]+"), "/u/12?x=y", True, id="path_matching"),
        pytest.param(get(path_matching="/u/[0-9]+"), "/u/x", False, id="path_matching-miss"),
        pytest.param(get(url_matching="/u/[0-9]+\\?x=.*"), "/u/1?x=y", True, id="url_matching"),
        pytest.param(get(url_matching="/u/[0-9]+"), "/u/1?x=y", False, id="url_matching-includes-query"),
    ],
)
def test_url_forms(
    server: MockServer, client: httpx.Client, pattern: RequestPatternBuilder, sent: str, should_match: bool
) -> None:
    server.when(pattern).respond(body="ok")
    assert answered(client.get(sent)) is should_match


def test_only_one_url_form_at_a_time() -> None:
    with pytest.raises(ValueError, match="give one of"):
        get("/a", path_matching="/a")
    with pytest.raises(ValueError, match="give one of"):
        request(path_matching="/a", url_matching="/a")


# --- matchers on query, header, cookie, path parameter --------------------------------------------

MATCHERS = [
    pytest.param("red", "red", True, id="plain-str-is-equalTo"),
    pytest.param("red", "Red", False, id="plain-str-case-sensitive"),
    pytest.param(equal_to("red"), "red", True, id="equal_to"),
    pytest.param(equal_to("red"), "reds", False, id="equal_to-miss"),
    pytest.param(equal_to("red", case_insensitive=True), "RED", True, id="equal_to-caseless"),
    pytest.param(equal_to("red", case_insensitive=True), "REDS", False, id="equal_to-caseless-miss"),
    pytest.param(contains("ed"), "red", True, id="contains"),
    pytest.param(contains("ed"), "blue", False, id="contains-miss"),
    pytest.param(does_not_contain("ed"), "blue", True, id="does_not_contain"),
    pytest.param(does_not_contain("ed"), "red", False, id="does_not_contain-miss"),
    pytest.param(matches("[a-z]+"), "red", True, id="matches"),
    pytest.param(matches("[a-z]+"), "red1", False, id="matches-whole"),
    pytest.param(does_not_match("[0-9]+"), "red", True, id="does_not_match"),
    pytest.param(does_not_match("[0-9]+"), "42", False, id="does_not_match-miss"),
    pytest.param(absent(), None, True, id="absent"),
    pytest.param(absent(), "red", False, id="absent-miss"),
    pytest.param("red", None, False, id="missing-does-not-match"),
    # as in WireMock: a missing value contains nothing
    pytest.param(does_not_contain("x"), None, True, id="missing-does-not-contain"),
]


@pytest.mark.parametrize(("matcher", "value", "should_match"), MATCHERS)
def test_query(
    server: MockServer, client: httpx.Client, matcher: Matcher | str, value: str | None, should_match: bool
) -> None:
    server.when(get("/q").query("color", matcher)).respond(body="ok")
    params = {"color": value} if value is not None else {}
    assert answered(client.get("/q", params=params)) is should_match


@pytest.mark.parametrize(("matcher", "value", "should_match"), MATCHERS)
def test_header(
    server: MockServer, client: httpx.Client, matcher: Matcher | str, value: str | None, should_match: bool
) -> None:
    server.when(get("/h").header("X-Color", matcher)).respond(body="ok")
    headers = {"x-color": value} if value is not None else {}
    assert answered(client.get("/h", headers=headers)) is should_match


@pytest.mark.parametrize(("matcher", "value", "should_match"), MATCHERS)
def test_cookie(
    server: MockServer, client: httpx.Client, matcher: Matcher | str, value: str | None, should_match: bool
) -> None:
    server.when(get("/c").cookie("color", matcher)).respond(body="ok")
    headers = {"Cookie": f"a=b; color={value}"} if value is not None else {"Cookie": "a=b"}
    # WireMock: a missing cookie matches absent() only
    expected = (
        False if value is None and isinstance(matcher, Matcher) and "doesNotContain" in matcher.spec else should_match
    )
    assert answered(client.get("/c", headers=headers)) is expected


@pytest.mark.parametrize(
    ("matcher", "path", "should_match"),
    [
        pytest.param("7", "/users/7", True, id="plain"),
        pytest.param("7", "/users/8", False, id="plain-miss"),
        pytest.param(matches("[0-9]+"), "/users/42", True, id="matches"),
        pytest.param(matches("[0-9]+"), "/users/me", False, id="matches-miss"),
        pytest.param(equal_to("a b"), "/users/a%20b", True, id="decoded"),
    ],
)
def test_path_param(
    server: MockServer, client: httpx.Client, matcher: Matcher | str, path: str, should_match: bool
) -> None:
    server.when(get("/users/{id}").path_param("id", matcher)).respond(body="ok")
    assert answered(client.get(path)) is should_match


def test_several_conditions_must_all_match(server: MockServer, client: httpx.Client) -> None:
    server.when(
        post("/orders")
        .query("dry", absent())
        .header("Content-Type", contains("json"))
        .header("X-Tenant", "acme")
        .cookie("session", matches("s-[0-9]+"))
        .json({"sku": "A-1"}, ignore_extra_elements=True)
    ).respond(body="ok")
    headers = {"X-Tenant": "acme", "Cookie": "session=s-1"}
    assert answered(client.post("/orders", json={"sku": "A-1", "qty": 2}, headers=headers))
    assert not answered(client.post("/orders?dry=1", json={"sku": "A-1"}, headers=headers))
    assert not answered(client.post("/orders", json={"sku": "B-2"}, headers=headers))
    assert not answered(client.post("/orders", json={"sku": "A-1"}, headers={**headers, "X-Tenant": "other"}))
    assert not answered(client.post("/orders", json={"sku": "A-1"}, headers={**headers, "Cookie": "session=x"}))
    assert not answered(
        client.post("/orders", content=b'{"sku": "A-1"}', headers={**headers, "Content-Type": "text/plain"})
    )


# --- bodies ---------------------------------------------------------------------------------------

BODIES = [
    pytest.param(lambda p: p.body("exact"), b"exact", True, id="plain-str-is-equalTo"),
    pytest.param(lambda p: p.body("exact"), b"exactly", False, id="plain-str-miss"),
    pytest.param(lambda p: p.body(equal_to("ABC", case_insensitive=True)), b"abc", True, id="equal_to-caseless"),
    pytest.param(lambda p: p.body(contains("needle")), b"hay needle hay", True, id="contains"),
    pytest.param(lambda p: p.body(contains("needle")), b"hay", False, id="contains-miss"),
    pytest.param(lambda p: p.body(does_not_contain("x")), b"abc", True, id="does_not_contain"),
    pytest.param(lambda p: p.body(matches("[0-9]+")), b"123", True, id="matches"),
    pytest.param(lambda p: p.body(does_not_match("[0-9]+")), b"123", False, id="does_not_match-miss"),
    pytest.param(lambda p: p.json({"a": 1, "b": [1, 2]}), b'{"b": [1, 2], "a": 1.0}', True, id="json"),
    pytest.param(lambda p: p.json({"a": 1}), b'{"a": 1, "b": 2}', False, id="json-extra"),
    pytest.param(lambda p: p.json({"a": 1}, ignore_extra_elements=True), b'{"a": 1, "b": 2}', True, id="json-extra-ok"),
    pytest.param(lambda p: p.json([1, 2]), b"[2, 1]", False, id="json-order"),
    pytest.param(lambda p: p.json([1, 2], ignore_array_order=True), b"[2, 1]", True, id="json-order-ignored"),
    pytest.param(lambda p: p.json({"a": True}), b'{"a": 1}', False, id="json-true-is-not-1"),
    pytest.param(lambda p: p.body(equal_to_json({"a": [1]})), b'{"a":[1]}', True, id="equal_to_json"),
    pytest.param(
        lambda p: p.body(equal_to_json([{"x": 1}, 2], ignore_array_order=True, ignore_extra_elements=True)),
        b'[2, {"x": 1, "y": 0}]',
        True,
        id="equal_to_json-both-options",
    ),
    pytest.param(lambda p: p.body(matches_json_path("$.id")), b'{"id": 3}', True, id="json_path"),
    pytest.param(lambda p: p.body(matches_json_path("$.id")), b'{"no": 3}', False, id="json_path-miss"),
    pytest.param(
        lambda p: p.body(matches_json_path("$.items[?(@.qty > 2)]")),
        b'{"items": [{"qty": 1}, {"qty": 5}]}',
        True,
        id="json_path-filter",
    ),
    pytest.param(lambda p: p.body(matches_json_path("$.name", "ada")), b'{"name": "ada"}', True, id="json_path-str"),
    pytest.param(
        lambda p: p.body(matches_json_path("$.name", "ada")), b'{"name": "bob"}', False, id="json_path-str-miss"
    ),
    pytest.param(
        lambda p: p.body(matches_json_path("$.name", contains("d"))), b'{"name": "ada"}', True, id="json_path-matcher"
    ),
    pytest.param(
        lambda p: p.body(matches_json_path("$.id", matches("[0-9]+"))),
        b'{"id": "x1"}',
        False,
        id="json_path-matcher-miss",
    ),
    pytest.param(lambda p: p.body(contains("a")).body(contains("b")), b"ab", True, id="two-bodies-both"),
    pytest.param(lambda p: p.body(contains("a")).body(contains("b")), b"a", False, id="two-bodies-one"),
]


@pytest.mark.parametrize(("build", "body", "should_match"), BODIES)
def test_body(
    server: MockServer,
    client: httpx.Client,
    build: Callable[[RequestPatternBuilder], RequestPatternBuilder],
    body: bytes,
    should_match: bool,
) -> None:
    server.when(build(post("/b"))).respond(body="ok")
    assert answered(client.post("/b", content=body)) is should_match


@pytest.mark.parametrize(
    ("auth", "should_match"),
    [
        pytest.param(("ada", "pw"), True, id="right"),
        pytest.param(("ada", "PW"), False, id="wrong-password"),
        pytest.param(("bob", "pw"), False, id="wrong-user"),
        pytest.param(None, False, id="none"),
    ],
)
def test_basic_auth(server: MockServer, client: httpx.Client, auth: tuple[str, str] | None, should_match: bool) -> None:
    server.when(get("/secure").basic_auth("ada", "pw")).respond(body="ok")
    assert answered(client.get("/secure", auth=auth)) is should_match


def test_a_builder_used_again_does_not_change_the_first_stub(server: MockServer, client: httpx.Client) -> None:
    pattern = get("/x")
    server.when(pattern).respond(body="plain")
    pattern.header("X-Mode", "special")
    server.when(pattern, priority=1).respond(body="special")
    assert client.get("/x").text == "plain"
    assert client.get("/x", headers={"X-Mode": "special"}).text == "special"
    mapping = pattern.to_mapping()
    mapping["headers"]["X-Mode"]["equalTo"] = "changed"
    assert pattern.to_mapping()["headers"]["X-Mode"] == {"equalTo": "special"}


# --- fixed responses ------------------------------------------------------------------------------


def test_respond_json(server: MockServer, client: httpx.Client) -> None:
    server.when(get("/j")).respond(json={"id": 7, "tags": ["a"], "none": None})
    response = client.get("/j")
    assert response.json() == {"id": 7, "tags": ["a"], "none": None}
    assert response.headers.get_list("content-type") == ["application/json"]


def test_respond_json_list_and_content_type_override(server: MockServer, client: httpx.Client) -> None:
    server.when(get("/j")).respond(json=[1, 2], headers={"Content-Type": "application/problem+json"})
    response = client.get("/j")
    assert response.json() == [1, 2]
    assert response.headers.get_list("content-type") == ["application/problem+json"]


@pytest.mark.parametrize(
    ("status", "body"),
    [
        pytest.param(200, "text", id="200-text"),
        pytest.param(201, "créé ✓", id="201-utf8"),
        pytest.param(404, "stub says missing", id="404-from-the-stub"),
        pytest.param(500, "boom", id="500"),
    ],
)
def test_respond_status_and_text(server: MockServer, client: httpx.Client, status: int, body: str) -> None:
    server.when(get("/t")).respond(status, body)
    response = client.get("/t")
    assert (response.status_code, response.text) == (status, body)


def test_respond_bytes_exactly(server: MockServer, client: httpx.Client) -> None:
    data = bytes(range(256)) * 3
    stub = server.when(get("/bin")).respond(body=data, headers={"Content-Type": "application/octet-stream"})
    assert stub.response.base64_body == base64.b64encode(data).decode()
    response = client.get("/bin")
    assert response.content == data
    assert response.headers["content-type"] == "application/octet-stream"


@pytest.mark.parametrize(
    ("headers", "name", "values"),
    [
        pytest.param({"X-One": "1"}, "x-one", ["1"], id="dict"),
        pytest.param({"X-Many": ["a", "b"]}, "x-many", ["a", "b"], id="dict-with-list"),
        pytest.param([("X-P", "1"), ("X-P", "2")], "x-p", ["1", "2"], id="pairs-repeated"),
        pytest.param([("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")], "set-cookie", ["a=1", "b=2"], id="set-cookie"),
    ],
)
def test_respond_headers(server: MockServer, client: httpx.Client, headers: Any, name: str, values: list[str]) -> None:
    server.when(get("/hd")).respond(body="x", headers=headers)
    assert client.get("/hd").headers.get_list(name) == values


def test_respond_reason(server: MockServer, client: httpx.Client) -> None:
    server.when(get("/r")).respond(202, "queued", reason="Queued For Later")
    response = client.get("/r")
    assert (response.status_code, response.reason_phrase, response.text) == (202, "Queued For Later", "queued")


def test_respond_delay(server: MockServer, client: httpx.Client) -> None:
    server.when(get("/slow")).respond(body="late", delay_ms=150)
    started = time.perf_counter()
    assert client.get("/slow").text == "late"
    assert time.perf_counter() - started >= 0.15


def test_respond_returns_the_stub_it_added(server: MockServer, client: httpx.Client) -> None:
    stub = server.when(get("/s"), name="the s stub", metadata={"team": "core"}).respond(body="s")
    assert server.stubs == [stub]
    assert stub.name == "the s stub"
    assert stub.metadata == {"team": "core"}
    assert server.remove(stub)
    assert client.get("/s").status_code == 404


def test_when_priority_and_id(server: MockServer, client: httpx.Client) -> None:
    server.when(get("/p"), priority=2).respond(body="two")
    server.when(get("/p"), priority=1).respond(body="one")
    server.when(get("/p"), priority=3).respond(body="three")
    assert client.get("/p").text == "one"
    stub_id = "7d4b2a10-0000-4000-8000-000000000003"
    server.when(get("/i"), id=stub_id).respond(body="first")
    server.when(get("/i"), id=stub_id).respond(body="second")
    assert client.get("/i").text == "second"
    assert sum(s.id == stub_id for s in server.stubs) == 1


def test_invalid_builder_input_is_a_mapping_error(server: MockServer) -> None:
    with pytest.raises(MappingError) as info:
        server.when(get(path_matching="/a(")).respond()
    assert info.value.field == "request.urlPathPattern"
    assert info.value.source == "when()"
    with pytest.raises(MappingError) as info:
        server.when(get("/a")).respond(status=700)
    assert info.value.field == "response.status"
    with pytest.raises(MappingError) as info:
        server.when(get("/users/{id}").path_param("name", "ada")).respond()
    assert info.value.field == "request.pathParameters"
    assert "name" in info.value.message
    assert server.stubs == []


def test_when_and_respond_with_check_their_arguments(server: MockServer) -> None:
    with pytest.raises(TypeError, match="when"):
        server.when("/path")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="callable"):
        server.when(get("/x")).respond_with({"not": "callable"})  # type: ignore[arg-type]
    assert server.stubs == []


# --- Python handlers ------------------------------------------------------------------------------


def _sync_response(request: Request) -> Response:
    return Response(201, json={"got": request.json()}, headers={"X-Handler": "sync"}, reason="Made By Hand")


async def _async_response(request: Request) -> Response:
    await asyncio.sleep(0)
    return Response(201, json={"got": request.json()}, headers={"X-Handler": "async"}, reason="Made By Hand")


def test_sync_handler_returning_a_response(server: MockServer, client: httpx.Client) -> None:
    server.when(post("/h")).respond_with(_sync_response)
    response = client.post("/h", json={"a": 1})
    assert (response.status_code, response.reason_phrase) == (201, "Made By Hand")
    assert response.json() == {"got": {"a": 1}}
    assert response.headers["x-handler"] == "sync"


def test_async_handler_returning_a_response(server: MockServer, client: httpx.Client) -> None:
    server.when(post("/h")).respond_with(_async_response)
    response = client.post("/h", json=[1, 2])
    assert (response.status_code, response.reason_phrase) == (201, "Made By Hand")
    assert response.json() == {"got": [1, 2]}
    assert response.headers["x-handler"] == "async"


def _returning(value: Any, is_async: bool) -> Callable[[Request], Any]:
    if is_async:

        async def handler(request: Request) -> Any:
            return value

        return handler
    return lambda request: value


@pytest.mark.parametrize("is_async", [pytest.param(False, id="sync"), pytest.param(True, id="async")])
@pytest.mark.parametrize(
    ("value", "status", "content", "content_type"),
    [
        pytest.param({"a": 1}, 200, b'{"a":1}', "application/json", id="dict"),
        pytest.param([1, "x"], 200, b'[1,"x"]', "application/json", id="list"),
        pytest.param("héllo", 200, "héllo".encode(), None, id="str"),
        pytest.param(b"\x00\xff", 200, b"\x00\xff", None, id="bytes"),
        pytest.param(None, 204, b"", None, id="none-is-204"),
        pytest.param(Response(418, "short and stout"), 418, b"short and stout", None, id="response"),
    ],
)
def test_handler_return_values(
    server: MockServer,
    client: httpx.Client,
    is_async: bool,
    value: Any,
    status: int,
    content: bytes,
    content_type: str | None,
) -> None:
    server.when(get("/v")).respond_with(_returning(value, is_async))
    response = client.get("/v")
    assert response.status_code == status
    assert response.content == content
    if content_type is not None:
        assert response.headers["content-type"] == content_type


def test_handler_sees_the_request(server: MockServer, client: httpx.Client) -> None:
    def echo(req: Request) -> dict[str, Any]:
        return {
            "method": req.method,
            "path": req.path,
            "url": req.url,
            "query": req.query,
            "header": req.headers["x-trace"],
            "cookies": req.cookies,
            "path_params": req.path_params,
            "json": req.json(),
            "text": req.text,
        }

    server.when(put("/orgs/{org}/users/{id}")).respond_with(echo)
    response = client.put(
        "/orgs/acme/users/a%20b?tag=x&tag=y",
        content=b'{"n": 1}',
        headers={"X-Trace": "t-1", "Cookie": "session=s1; theme=dark"},
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "method": "PUT",
        "path": "/orgs/acme/users/a%20b",
        "url": "/orgs/acme/users/a%20b?tag=x&tag=y",
        "query": {"tag": ["x", "y"]},
        "header": "t-1",
        "cookies": {"session": "s1", "theme": "dark"},
        "path_params": {"org": "acme", "id": "a b"},
        "json": {"n": 1},
        "text": '{"n": 1}',
    }


def test_handler_is_called_per_request(server: MockServer, client: httpx.Client) -> None:
    calls: list[str] = []

    def count(req: Request) -> str:
        calls.append(req.query["n"][0])
        return f"call {len(calls)}"

    server.when(get("/count")).respond_with(count)
    assert [client.get(f"/count?n={n}").text for n in range(3)] == ["call 1", "call 2", "call 3"]
    assert calls == ["0", "1", "2"]


def test_handler_with_delay(server: MockServer, client: httpx.Client) -> None:
    server.when(get("/slow")).respond_with(lambda r: "late", delay_ms=150)
    started = time.perf_counter()
    assert client.get("/slow").text == "late"
    assert time.perf_counter() - started >= 0.15


def test_a_handler_stub_is_noted_in_its_mapping(server: MockServer) -> None:
    stub = server.when(get("/h")).respond_with(_sync_response)
    assert stub.response.handler is _sync_response
    assert stub_to_mapping(stub)["metadata"]["mockpitHandler"] == "_sync_response"


def _raise_sync(request: Request) -> str:
    raise ValueError("the sync handler broke")


async def _raise_async(request: Request) -> str:
    raise KeyError("async-missing-key")


@pytest.mark.parametrize(
    ("handler", "exception", "text"),
    [
        pytest.param(_raise_sync, ValueError, "the sync handler broke", id="sync"),
        pytest.param(_raise_async, KeyError, "async-missing-key", id="async"),
        pytest.param(lambda r: 42, TypeError, "returned int", id="bad-return-type"),
    ],
)
def test_a_handler_that_raises_gives_500_and_is_recorded(
    server: MockServer, client: httpx.Client, handler: Any, exception: type[BaseException], text: str
) -> None:
    server.when(get("/broken"), name="broken").respond_with(handler)
    response = client.get("/broken?x=1")
    assert response.status_code == 500
    assert exception.__name__ in response.text
    assert text in response.text
    assert '"broken"' in response.text  # names the stub
    errors = server.errors
    assert len(errors) == 1
    assert isinstance(errors[0].__cause__, exception)
    assert errors[0].request.url == "/broken?x=1"
    assert text in errors[0].traceback_text
    # the server carries on: the next request to another stub is fine
    server.when(get("/fine")).respond(body="fine")
    assert client.get("/fine").text == "fine"
    internals(server).engine.clear_errors()


# --- the richer matchers --------------------------------------------------------------------------

from mockpit import (  # noqa: E402  (grouped with the tests that use them)
    and_,
    anything,
    binary_equal_to,
    equal_to_xml,
    has_exactly,
    includes,
    matches_json_schema,
    matches_xpath,
    multipart,
    not_,
    or_,
    register_matcher,
    unregister_matcher,
)

RICH_BODIES = [
    pytest.param(lambda p: p.body(equal_to_xml("<a><b>1</b></a>")), b"<a>\n <b>1</b>\n</a>", True, id="xml"),
    pytest.param(lambda p: p.body(equal_to_xml("<a><b>1</b></a>")), b"<a><b>2</b></a>", False, id="xml-miss"),
    pytest.param(
        lambda p: p.body(equal_to_xml("<a>${xmlunit.ignore}</a>", enable_placeholders=True)),
        b"<a>7</a>",
        True,
        id="xml-placeholder",
    ),
    pytest.param(
        lambda p: p.body(
            equal_to_xml(
                "<a>[[xmlunit.isNumber]]</a>",
                enable_placeholders=True,
                placeholder_opening=r"\[\[",
                placeholder_closing="]]",
            )
        ),
        b"<a>7</a>",
        True,
        id="xml-delimiters",
    ),
    pytest.param(
        lambda p: p.body(equal_to_xml("<a>x</a>", exempted_comparisons=["TEXT_VALUE"])), b"<a>y</a>", True, id="exempt"
    ),
    pytest.param(
        lambda p: p.body(equal_to_xml("<a><e>1</e><e>2</e></a>", ignore_order_of_same_node=True)),
        b"<a><e>2</e><e>1</e></a>",
        True,
        id="xml-any-order",
    ),
    pytest.param(lambda p: p.body(matches_xpath("//b")), b"<a><b/></a>", True, id="xpath"),
    pytest.param(lambda p: p.body(matches_xpath("//b/text()", "1")), b"<a><b>1</b></a>", True, id="xpath-str"),
    pytest.param(
        lambda p: p.body(matches_xpath("//b/text()", contains("x"))), b"<a><b>1</b></a>", False, id="xpath-matcher"
    ),
    pytest.param(
        lambda p: p.body(matches_xpath("/n:a", namespaces={"n": "urn:n"})), b'<a xmlns="urn:n"/>', True, id="xpath-ns"
    ),
    pytest.param(
        lambda p: p.body(matches_json_schema({"type": "object", "required": ["id"]})), b'{"id": 1}', True, id="schema"
    ),
    pytest.param(
        lambda p: p.body(matches_json_schema({"required": ["id"]}, version="V4")), b"{}", False, id="schema-miss"
    ),
    pytest.param(lambda p: p.body(binary_equal_to(b"\x00\xff")), b"\x00\xff", True, id="binary"),
    pytest.param(lambda p: p.body(binary_equal_to(b"\x00\xff")), b"\x00", False, id="binary-miss"),
    pytest.param(lambda p: p.body(and_(contains("a"), not_(contains("b")))), b"ac", True, id="and-not"),
    pytest.param(lambda p: p.body(and_(contains("a"), not_(contains("b")))), b"ab", False, id="and-not-miss"),
    pytest.param(lambda p: p.body(or_("x", "y")), b"y", True, id="or-strings"),
    pytest.param(lambda p: p.body(or_("x", "y")), b"z", False, id="or-miss"),
]


@pytest.mark.parametrize(("build", "body", "should_match"), RICH_BODIES)
def test_rich_body_matchers(
    server: MockServer,
    client: httpx.Client,
    build: Callable[[RequestPatternBuilder], RequestPatternBuilder],
    body: bytes,
    should_match: bool,
) -> None:
    server.when(build(post("/b"))).respond(body="ok")
    assert answered(client.post("/b", content=body)) is should_match


@pytest.mark.parametrize(
    ("matcher", "values", "should_match"),
    [
        pytest.param(has_exactly("1", "2"), ["2", "1"], True, id="has_exactly"),
        pytest.param(has_exactly("1", "2"), ["1", "2", "3"], False, id="has_exactly-extra"),
        pytest.param(includes("1", matches("[0-9]{2}")), ["1", "22", "x"], True, id="includes"),
        pytest.param(includes("1", matches("[0-9]{2}")), ["1", "x"], False, id="includes-miss"),
        pytest.param(or_(absent(), "x"), [], True, id="or-absent"),
        pytest.param(anything(), [], True, id="anything"),
    ],
)
def test_multi_valued_query_and_header(
    server: MockServer, client: httpx.Client, matcher: Matcher, values: list[str], should_match: bool
) -> None:
    server.when(get("/m").query("id", matcher).header("X-Id", matcher)).respond(body="ok")
    response = client.get("/m", params=[("id", v) for v in values], headers=[("X-Id", v) for v in values])
    assert answered(response) is should_match


def test_form_host_port_scheme_client_ip(server: MockServer, client: httpx.Client) -> None:
    port = httpx.URL(server.url).port
    assert port is not None
    pattern = (
        post("/f").form("tool", "WireMock").host("127.0.0.1").port(port).scheme("http").client_ip(matches("127\\..*"))
    )
    server.when(pattern).respond(body="ok")
    assert answered(client.post("/f", data={"tool": "WireMock"}))
    assert not answered(client.post("/f", data={"tool": "other"}))
    assert not answered(client.post("/f", data={"tool": "WireMock"}, headers={"Host": "localhost:1"}))


def test_multipart(server: MockServer, client: httpx.Client) -> None:
    part = multipart("file", body=contains("hello"), headers={"Content-Type": "text/plain"})
    server.when(post("/u").multipart(part)).respond(body="ok")
    assert answered(client.post("/u", files={"file": ("a.txt", b"hello there", "text/plain")}))
    assert not answered(client.post("/u", files={"other": ("a.txt", b"hello there", "text/plain")}))
    assert not answered(client.post("/u", files={"file": ("a.txt", b"bye", "text/plain")}))


def test_multipart_all_parts(server: MockServer, client: httpx.Client) -> None:
    server.when(
        post("/u").multipart(multipart(body=[contains("a"), does_not_contain("z")], matching_type="ALL"))
    ).respond(body="ok")
    assert answered(client.post("/u", files={"x": (None, b"a1"), "y": (None, b"a2")}))
    assert not answered(client.post("/u", files={"x": (None, b"a1"), "y": (None, b"b2")}))


def test_custom(server: MockServer, client: httpx.Client) -> None:
    register_matcher("even-length", lambda request, parameters: len(request.body) % parameters["n"] == 0)
    try:
        server.when(post("/c").custom("even-length", {"n": 2})).respond(body="ok")
    finally:
        unregister_matcher("even-length")
    assert answered(client.post("/c", content=b"ab"))
    assert not answered(client.post("/c", content=b"abc"))


def test_rich_matchers_write_wiremock_json() -> None:
    pattern = (
        post("/x")
        .header("X", and_(matches("[a-z]+"), not_("b")))
        .query("id", has_exactly("1", contains("2")))
        .body(matches_xpath("//a", equal_to_xml("<a/>"), namespaces={"p": "urn:p"}))
        .body(matches_json_schema('{"type": "object"}', version="V7"))
        .multipart(multipart("info", matching_type="ALL"))
    )
    assert pattern.to_mapping() == {
        "method": "POST",
        "urlPath": "/x",
        "headers": {"X": {"and": [{"matches": "[a-z]+"}, {"not": {"equalTo": "b"}}]}},
        "queryParameters": {"id": {"hasExactly": [{"equalTo": "1"}, {"contains": "2"}]}},
        "bodyPatterns": [
            {"matchesXPath": {"expression": "//a", "equalToXml": "<a/>"}, "xPathNamespaces": {"p": "urn:p"}},
            {"matchesJsonSchema": '{"type": "object"}', "schemaVersion": "V7"},
        ],
        "multipartPatterns": [{"matchingType": "ALL", "headers": {"Content-Disposition": {"contains": 'name="info"'}}}],
    }


def test_rich_matcher_mistakes_are_clear(server: MockServer) -> None:
    with pytest.raises(ValueError, match=r"and_\(\) needs at least one matcher"):
        and_()
    with pytest.raises(ValueError, match="not both"):
        multipart("file", headers={"content-disposition": contains("x")})
    with pytest.raises(MappingError, match="invalid XPath"):
        server.when(post("/x").body(matches_xpath("//a["))).respond()
    with pytest.raises(MappingError, match=r"customMatcher\.name: no custom matcher named 'nope'"):
        server.when(post("/x").custom("nope")).respond()


# --- match(): a pattern tested against a request, without a server ---------------------------------


def test_match_says_a_request_matched_and_captures_the_path_template() -> None:
    sent = Request("GET", "/users/7", "page=2", [("Accept", "application/json")])
    result = get("/users/{id}").query("page", "2").header("Accept", contains("json")).match(sent)
    assert result
    assert result.matched
    assert result.captures == {"id": "7"}
    assert result.request is sent
    assert result.differences == []
    assert result.distance == 0.0


def test_match_on_a_miss_lists_each_difference() -> None:
    pattern = get("/users/{id}").header("Accept", contains("json")).json({"name": "Ada"})
    result = pattern.match(Request("POST", "/users/7", headers=[("Accept", "text/html")], body=b'{"name": "Bob"}'))
    assert not result
    assert [(d.field, d.expected, d.actual) for d in result.differences] == [
        ("method", "GET", "POST"),
        ("header Accept", "contains 'json'", "text/html"),
        ("body", 'equalToJson {"name":"Ada"}', '{"name": "Bob"}'),
    ]
    assert 0 < result.distance <= 1
    assert result.request.method == "POST"


def test_match_is_what_a_stub_does(server: MockServer, client: httpx.Client) -> None:
    pattern = post(path_matching="/orders/[0-9]+").form("qty", matches("[1-9][0-9]*"))
    form = [("Content-Type", "application/x-www-form-urlencoded")]
    assert pattern.match(Request("POST", "/orders/12", headers=form, body=b"qty=3"))
    assert not pattern.match(Request("POST", "/orders/12", headers=form, body=b"qty=0"))
    server.when(pattern).respond(body="ok")
    assert answered(client.post("/orders/12", data={"qty": "3"}))
    assert not answered(client.post("/orders/12", data={"qty": "0"}))


def test_match_refuses_a_pattern_mockpit_cannot_use() -> None:
    with pytest.raises(MappingError, match=r"pattern: urlPathPattern: invalid regular expression '\['"):
        get(path_matching="[").match(Request("GET", "/"))


def test_match_without_captures_names_the_request_it_was_given() -> None:
    sent = Request("GET", "/users")
    result = get("/users").match(sent)
    assert result.request is sent
    assert result.captures == {}
    result.captures["x"] = "changed"  # a result of its own: nothing shared with the next match
    assert get("/users").match(Request("GET", "/users")).captures == {}
