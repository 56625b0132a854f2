"""Webhooks (``serveEventListeners`` / ``postServeActions``): a call made after a stub has answered.

The target is a second mockpit server; a test waits for the call by polling the target's journal
with a deadline (``_waiting``).
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from _waiting import errors_of, requests_to
from _wire import free_port
from mockpit import MappingError, MockServer
from mockpit._engine.webhooks import compile_webhook
from mockpit._server import internals

SHARED_SERVER = True


@pytest.fixture(scope="module")
def target() -> Iterator[MockServer]:
    with MockServer() as mock:
        mock.add_mapping({"request": {"method": "ANY", "urlPathPattern": "/hook.*"}, "response": {"status": 204}})
        mock.add_mapping(
            {"request": {"method": "ANY", "urlPath": "/slow-hook"}, "response": {"fixedDelayMilliseconds": 400}}
        )
        yield mock


@pytest.fixture(autouse=True)
def _clear_target(target: MockServer) -> None:
    target.clear_requests()


def stub_with(webhook: dict[str, Any], *, key: str = "serveEventListeners", **request_json: Any) -> dict[str, Any]:
    return {
        "request": {"method": "ANY", "urlPath": "/trigger", **request_json},
        "response": {"status": 201, "body": "created", "headers": {"X-Original": "yes"}},
        key: [{"name": "webhook", "parameters": webhook}],
    }


def check_original(res: httpx.Response) -> None:
    assert res.status_code == 201
    assert res.text == "created"
    assert res.headers["x-original"] == "yes"


@pytest.mark.parametrize("key", ["serveEventListeners", "postServeActions"])
def test_a_webhook_calls_the_target_with_method_headers_and_body(
    server: MockServer, client: httpx.Client, target: MockServer, key: str
) -> None:
    server.add_mapping(
        stub_with(
            {
                "method": "POST",
                "url": target.url_for("/hook/simple"),
                "headers": {"Content-Type": "application/json", "X-Many": ["a", "b"]},
                "body": '{"result": "SUCCESS"}',
            },
            key=key,
        )
    )
    check_original(client.post("/trigger", json={"id": 1}))
    [event] = requests_to(target)
    got = event.request
    assert (got.method, got.path) == ("POST", "/hook/simple")
    assert got.headers["content-type"] == "application/json"
    assert got.headers.get_all("x-many") == ["a", "b"]
    assert got.body == b'{"result": "SUCCESS"}'


def test_the_method_defaults_to_get_and_no_body_is_sent(
    server: MockServer, client: httpx.Client, target: MockServer
) -> None:
    server.add_mapping(stub_with({"url": target.url_for("/hook/get?x=1")}))
    check_original(client.get("/trigger"))
    [event] = requests_to(target)
    assert (event.request.method, event.request.url) == ("GET", "/hook/get?x=1")
    assert event.request.body == b""


def test_a_base64_body_arrives_byte_for_byte(server: MockServer, client: httpx.Client, target: MockServer) -> None:
    body = bytes(range(256))
    server.add_mapping(
        stub_with({"method": "PUT", "url": target.url_for("/hook/bin"), "base64Body": base64.b64encode(body).decode()})
    )
    check_original(client.get("/trigger"))
    [event] = requests_to(target)
    assert event.request.method == "PUT"
    assert event.request.body == body


def test_every_webhook_of_a_stub_is_called_once_per_request(
    server: MockServer, client: httpx.Client, target: MockServer
) -> None:
    mapping = stub_with({"method": "POST", "url": target.url_for("/hook/one")})
    mapping["serveEventListeners"].append({"name": "webhook", "parameters": {"url": target.url_for("/hook/two")}})
    server.add_mapping(mapping)
    for _ in range(3):
        check_original(client.get("/trigger"))
    events = requests_to(target, 6)
    time.sleep(0.05)  # and no more than that
    assert sorted(event.request.path for event in target.requests()) == ["/hook/one"] * 3 + ["/hook/two"] * 3
    assert len(events) == 6


def test_templates_see_the_original_request_the_response_and_the_parameters(
    server: MockServer, client: httpx.Client, target: MockServer
) -> None:
    server.add_mapping(
        stub_with(
            {
                "method": "{{originalRequest.headers.X-Hook-Method}}",
                "url": target.url + "/hook/{{jsonPath originalRequest.body '$.id'}}?from={{originalRequest.path}}",
                "headers": {"X-Trace": "{{originalRequest.headers.X-Trace}}", "X-Static": "plain"},
                "body": "{{originalRequest.method}} {{originalRequest.url}} -> "
                "{{originalResponse.status}} {{originalResponse.body}} ({{parameters.note}})",
                "note": "extra keys are template data",
            }
        )
    )
    res = client.post("/trigger?q=1", json={"id": "order-7"}, headers={"X-Trace": "abc-123", "X-Hook-Method": "patch"})
    check_original(res)
    [event] = requests_to(target)
    got = event.request
    assert got.method == "PATCH"
    assert got.url == "/hook/order-7?from=/trigger"
    assert got.headers["x-trace"] == "abc-123"
    assert got.headers["x-static"] == "plain"
    assert got.text == "POST /trigger?q=1 -> 201 created (extra keys are template data)"


@pytest.mark.parametrize(
    "delay",
    [
        {"type": "fixed", "milliseconds": 300},
        {"type": "uniform", "lower": 300, "upper": 350},
        {"type": "lognormal", "median": 300, "sigma": 0},
    ],
    ids=["fixed", "uniform", "lognormal"],
)
def test_a_delayed_webhook_comes_after_its_delay_and_does_not_hold_up_the_response(
    server: MockServer, client: httpx.Client, target: MockServer, delay: dict[str, Any]
) -> None:
    server.add_mapping(stub_with({"method": "POST", "url": target.url_for("/hook/later"), "delay": delay}))
    started = time.time()
    check_original(client.get("/trigger"))
    answered = time.time() - started
    assert target.requests() == []  # not yet
    [event] = requests_to(target)
    assert answered < 0.25
    assert 0.3 <= event.request.timestamp - started < 1.5


def test_a_slow_target_does_not_hold_up_the_response(
    server: MockServer, client: httpx.Client, target: MockServer
) -> None:
    server.add_mapping(stub_with({"method": "POST", "url": target.url_for("/slow-hook")}))
    started = time.monotonic()
    check_original(client.get("/trigger"))
    assert time.monotonic() - started < 0.3
    assert len(requests_to(target)) == 1  # the target journals it once it has answered, 0.4 s later


# --- failures: reported, never felt by the original request ----------------------------------------


def test_a_target_that_is_down_is_reported_and_the_response_is_unchanged(http_client: httpx.Client) -> None:
    url = f"http://127.0.0.1:{free_port()}/callback"
    with MockServer() as mock:
        mock.add_mapping(stub_with({"method": "POST", "url": url}))
        check_original(http_client.get(mock.url_for("/trigger"), timeout=5))
        errors = errors_of(mock)
    assert len(errors) == 1
    assert f"POST {url}" in errors[0]
    assert "after GET /trigger" in errors[0]
    assert "ConnectError" in errors[0]
    assert "check that the target is running" in errors[0]


def test_a_template_that_renders_no_url_is_reported(target: MockServer, http_client: httpx.Client) -> None:
    with MockServer() as mock:
        mock.add_mapping(stub_with({"url": "{{originalRequest.headers.X-Callback}}"}))
        check_original(http_client.get(mock.url_for("/trigger"), headers={"X-Callback": "not a url"}, timeout=5))
        errors = errors_of(mock)
        check_original(http_client.get(mock.url_for("/trigger"), headers={"X-Callback": target.url_for("/hook/x")}))
        assert len(requests_to(target)) == 1
    assert len(errors) == 1
    assert "could not be rendered" in errors[0]
    assert "'not a url' is not an http(s) URL" in errors[0]


def test_stopping_the_server_waits_for_a_webhook_under_way(target: MockServer, http_client: httpx.Client) -> None:
    with MockServer() as mock:
        mock.add_mapping(
            stub_with({"url": target.url_for("/hook/last"), "delay": {"type": "fixed", "milliseconds": 200}})
        )
        check_original(http_client.get(mock.url_for("/trigger"), timeout=5))
    # stop() has returned: the webhook was sent before the server went away
    assert [event.request.path for event in target.requests()] == ["/hook/last"]


def test_stopping_the_server_cancels_a_webhook_that_would_wait_too_long(
    target: MockServer, http_client: httpx.Client
) -> None:
    with MockServer() as mock:
        internals(mock).engine.webhooks().close_grace = 0.1
        mock.add_mapping(
            stub_with({"url": target.url_for("/hook/never"), "delay": {"type": "fixed", "milliseconds": 60_000}})
        )
        check_original(http_client.get(mock.url_for("/trigger"), timeout=5))
        started = time.monotonic()
    assert time.monotonic() - started < 1.5
    assert target.requests() == []


# --- bad parameters: refused when the stub loads ---------------------------------------------------


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({}, "url: a webhook needs the URL to call"),
        ({"url": 7}, "url: a webhook needs the URL to call"),
        ({"url": "localhost:9000/x"}, "url: 'localhost:9000/x' is not an http(s) URL"),
        ({"url": "ftp://host/x"}, "is not an http(s) URL"),
        ({"url": "http://h/x", "method": "NOT A METHOD"}, "method: 'NOT A METHOD' is not an HTTP method"),
        ({"url": "http://h/x", "method": 5}, "method: must be an HTTP method"),
        ({"url": "http://h/x", "headers": ["X-A: 1"]}, "headers: must be an object"),
        ({"url": "http://h/x", "headers": {"X-A": {"v": 1}}}, "headers.X-A: a header value must be a string"),
        ({"url": "http://h/x", "body": "a", "base64Body": "YQ=="}, "give one of body, base64Body and jsonBody"),
        ({"url": "http://h/x", "body": 5}, "body: must be a string"),
        ({"url": "http://h/x", "base64Body": "not base64!"}, "base64Body: not valid base64"),
        ({"url": "http://h/x", "bodyFileName": "a.json"}, "bodyFileName is not supported by mockpit's webhooks yet"),
        ({"url": "http://h/x", "heders": {"A": "1"}}, "unknown webhook parameter 'heders': did you mean 'headers'?"),
        ({"url": "http://h/x", "delay": 100}, "delay: must be an object"),
        ({"url": "http://h/x", "delay": {"type": "gaussian"}}, "delay.type: must be fixed, uniform or lognormal"),
        ({"url": "http://h/x", "delay": {"type": "fixed"}}, "delay: a fixed delay needs milliseconds"),
        ({"url": "http://h/x", "delay": {"type": "uniform", "lower": 1}}, "delay: a uniform delay needs upper"),
        ({"url": "http://h/x", "delay": {"type": "fixed", "milliseconds": -1}}, "delay.milliseconds: must be a number"),
        (
            {"url": "http://h/x", "delay": {"type": "fixed", "milliseconds": 1, "sigma": 1}},
            "delay: sigma does not go with a fixed delay",
        ),
        (
            {"url": "http://h/x", "delay": {"type": "uniform", "lower": 9, "upper": 1}},
            "delay: lower (9) is greater than upper (1)",
        ),
        ({"url": "http://h/{{#if}}"}, "url: "),
    ],
)
def test_bad_parameters_are_refused_naming_the_field(parameters: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError) as caught:
        compile_webhook(parameters)
    assert message in str(caught.value)


def test_a_stub_with_a_bad_webhook_is_refused_with_the_field_path(server: MockServer) -> None:
    with pytest.raises(MappingError) as caught:
        server.add_mapping(stub_with({"url": "http://h/x", "delay": {"type": "fixed"}}))
    text = str(caught.value)
    assert "serveEventListeners" in text
    assert "a fixed delay needs milliseconds" in text
    assert server.stubs == []


def test_other_keys_are_kept_as_template_parameters() -> None:
    webhook = compile_webhook({"url": "http://h/x", "orderId": 7, "note": "n"})
    assert webhook.parameters["orderId"] == 7
    assert webhook.url == "http://h/x"
    assert not webhook.is_templated
