"""Templated responses on the wire: mappings posted to a running MockServer, answered to a real client."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from mockpit import MockServer
from mockpit._server import internals

SHARED_SERVER = True


def add(client: httpx.Client, mapping: dict[str, Any]) -> None:
    response = client.post("/__admin/mappings", json=mapping)
    assert response.status_code == 201, response.text


def test_a_wiremock_mapping_renders_body_and_headers(client: httpx.Client) -> None:
    add(
        client,
        {
            "request": {"method": "POST", "urlPathTemplate": "/users/{id}/orders"},
            "response": {
                "status": 201,
                "headers": {"Content-Type": "application/json", "X-Request-Id": "{{request.headers.X-Request-Id}}"},
                "body": '{"user": "{{request.path.id}}", "first": "{{request.path.[0]}}", '
                '"page": {{request.query.page}}, "item": "{{jsonPath request.body \'$.items[1].name\'}}", '
                '"method": "{{request.method}}", "greeting": "{{parameters.greeting}}"}',
                "transformers": ["response-template"],
                "transformerParameters": {"greeting": "hello"},
            },
        },
    )
    response = client.post(
        "/users/42/orders?page=3",
        json={"items": [{"name": "one"}, {"name": "two"}]},
        headers={"X-Request-Id": "abc-123"},
    )
    assert response.status_code == 201
    assert response.headers["x-request-id"] == "abc-123"
    assert response.json() == {
        "user": "42",
        "first": "users",
        "page": 3,
        "item": "two",
        "method": "POST",
        "greeting": "hello",
    }


def test_an_echo_that_only_copies_request_parts(server: MockServer, client: httpx.Client) -> None:
    # rendered without the template engine (the copy path); the answer is the engine's
    add(
        client,
        {
            "request": {"method": "POST", "urlPathTemplate": "/copy/{id}"},
            "response": {
                "headers": {"Content-Type": "application/json", "X-Id": "{{request.path.id}}-{{request.headers.X-A}}"},
                "body": "{{{request.body}}}",
                "transformers": ["response-template"],
            },
        },
    )
    body = '{"name": "Zoë", "n": [1, 2]}'.encode()
    response = client.post("/copy/7", content=body, headers={"X-A": "q"})
    assert response.status_code == 200
    assert response.content == body
    assert response.headers["x-id"] == "7-q"
    assert response.headers["content-type"] == "application/json"
    assert client.get("/__admin/requests").json()["requests"][0]["response"]["body"] == body.decode()
    # the journal keeps the echoed body once: the response's is the request's
    event = internals(server).engine.journal.events()[-1]
    assert event.response.body is event.request.body


def test_a_json_body_with_templates_in_its_strings(client: httpx.Client) -> None:
    add(
        client,
        {
            "request": {"urlPath": "/echo"},
            "response": {
                "jsonBody": {"q": "{{request.query.q}}", "list": ["{{upper request.query.q}}"], "n": 1},
                "transformers": ["response-template"],
            },
        },
    )
    response = client.get("/echo", params={"q": "hi"})
    assert response.json() == {"q": "hi", "list": ["HI"], "n": 1}
    assert response.headers["content-type"] == "application/json"


def test_a_jinja_mapping(client: httpx.Client) -> None:
    add(
        client,
        {
            "request": {"urlPathPattern": "/jinja/.*"},
            "response": {
                "body": "{% for s in request.path %}[{{ s }}]{% endfor %} {{ request.body | json_path('$.n') * 2 }}",
                "transformers": ["jinja"],
            },
        },
    )
    response = client.post("/jinja/a/b", json={"n": 21})
    assert response.text == "[jinja][a][b] 42"


def test_each_request_gets_its_own_values(client: httpx.Client) -> None:
    add(
        client,
        {
            "request": {"urlPath": "/ids"},
            "response": {"body": "{{randomValue type='UUID'}}", "transformers": ["response-template"]},
        },
    )
    ids = {client.get("/ids").text for _ in range(5)}
    assert len(ids) == 5


def test_a_bad_template_is_refused_when_the_mapping_is_added(client: httpx.Client) -> None:
    response = client.post(
        "/__admin/mappings",
        json={
            "request": {"urlPath": "/bad"},
            "response": {"body": "ok\n{{#each request.query}}", "transformers": ["response-template"]},
        },
    )
    assert response.status_code == 400
    assert "line 2, column 1: '{{#each}}' is never closed; add '{{/each}}'" in response.text


def test_a_sandbox_escape_renders_nothing(client: httpx.Client) -> None:
    add(
        client,
        {
            "request": {"urlPath": "/escape"},
            "response": {
                "body": "[{{request.__class__.__mro__}}][{{lookup request.body '__class__'}}]",
                "transformers": ["response-template"],
            },
        },
    )
    assert client.get("/escape").text == "[][]"


def test_a_render_failure_is_a_500_with_the_reason_and_the_server_goes_on() -> None:
    with MockServer() as server, httpx.Client(base_url=server.url) as http:
        add(
            http,
            {
                "request": {"urlPath": "/compare"},
                "response": {"body": "{{#gt request.body 5}}big{{/gt}}", "transformers": ["response-template"]},
            },
        )
        failed = http.post("/compare", content=b"not a number")
        assert failed.status_code == 500
        assert "line 1, column 4: gt compares two numbers" in failed.text
        assert http.post("/compare", content=b"7").text == "big"


def test_a_templated_body_file_name(tmp_path: Path) -> None:
    (tmp_path / "__files").mkdir()
    (tmp_path / "__files" / "ann.json").write_text('{"name": "{{request.pathSegments.[1]}}"}')
    with MockServer(files_root=tmp_path / "__files") as server, httpx.Client(base_url=server.url) as http:
        add(
            http,
            {
                "request": {"urlPathPattern": "/people/.*"},
                "response": {
                    "bodyFileName": "{{request.pathSegments.[1]}}.json",
                    "transformers": ["response-template"],
                },
            },
        )
        response = http.get("/people/ann")
        assert response.status_code == 200
        assert json.loads(response.text) == {"name": "ann"}


def test_disable_body_file_templating_sends_the_file_as_it_is(tmp_path: Path) -> None:
    (tmp_path / "__files").mkdir()
    (tmp_path / "__files" / "ann.txt").write_text("{{request.method}} stays as written")
    with MockServer(files_root=tmp_path / "__files") as server, httpx.Client(base_url=server.url) as http:
        add(
            http,
            {
                "request": {"urlPathPattern": "/raw/.*"},
                "response": {
                    "bodyFileName": "{{request.pathSegments.[1]}}.txt",
                    "transformers": ["response-template"],
                    "transformerParameters": {"disableBodyFileTemplating": True},
                },
            },
        )
        assert http.get("/raw/ann").text == "{{request.method}} stays as written"
        add(
            http,
            {
                "request": {"urlPath": "/rendered"},
                "response": {"bodyFileName": "ann.txt", "transformers": ["response-template"]},
            },
        )
        assert http.get("/rendered").text == "GET stays as written"


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        # WireMock 3.13.2's answers to GET /one?tag=abc with X-A: q and Cookie: c=1
        ("{{#each request.query.tag}}[{{this}}]{{/each}}", "[abc]"),
        ("{{#each request.query.tag as |v|}}<{{v}}>{{/each}}", "<abc>"),
        ("{{#each request.headers.X-A}}<{{this}}>{{/each}}", "<q>"),
        ("{{#each request.cookies.c}}<{{this}}>{{/each}}", "<1>"),
        ("{{size request.query.tag}}", "1"),
        ("{{request.query.tag}}", "abc"),
        ("{{#with request.query.tag}}<{{this}}>{{/with}}", "<abc>"),
        ("{{#if (contains request.query.tag 'abc')}}Y{{else}}N{{/if}}", "Y"),
    ],
)
def test_a_one_valued_parameter_is_a_list_to_each_and_size_and_its_value_elsewhere(
    client: httpx.Client, template: str, expected: str
) -> None:
    add(client, {"request": {"urlPath": "/one"}, "response": {"body": template, "transformers": ["response-template"]}})
    assert client.get("/one?tag=abc", headers={"X-A": "q", "Cookie": "c=1"}).text == expected
