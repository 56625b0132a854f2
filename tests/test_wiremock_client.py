"""WireMock's Python admin client (``wiremock`` on PyPI), used as its documentation shows, drives mockpit.

Nothing here adapts the client: it is pointed at mockpit's ``/__admin`` through ``Config.base_url`` and
called as WireMock users call it. Its models are Python classes that it turns into WireMock JSON, so
whatever mockpit refused from them would be a compatibility bug. Each test then checks the effect over
real HTTP: a created mapping answers requests, found requests are the ones sent, near misses name the
closest stub, scenarios move on.

The same tests hold for WireMock itself: set ``MOCKPIT_WIREMOCK_URL=http://127.0.0.1:PORT`` to run
them against a running WireMock (the few that need a mockpit started on a folder still use mockpit).
Two client calls fail against WireMock and pass against mockpit: ``GlobalSettings.update_global_settings``
parses the answer as JSON, which WireMock (2.35 and 3.13) leaves empty, and
``Requests.reset_request_journal`` posts to ``/__admin/requests/reset``, which WireMock 3 removed.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from wiremock.client import (
    AllMappings,
    BasicAuthCredentials,
    DelayDistribution,
    DelayDistributionMethods,
    GlobalSetting,
    GlobalSettings,
    HttpMethods,
    Mapping,
    MappingRequest,
    MappingResponse,
    Mappings,
    NearMisses,
    NearMissMatchPatternRequest,
    NearMissMatchRequest,
    NearMissMatchResponse,
    RequestCountResponse,
    RequestResponseAll,
    RequestResponseFindResponse,
    Requests,
    ResponseFaultType,
    Scenarios,
    WireMockMatchers,
)
from wiremock.constants import Config
from wiremock.exceptions import ClientException, NotFoundException

from _upstreams import Echoed
from _waiting import requests_to
from mockpit import MockServer

SHARED_SERVER = True
EXTERNAL = os.environ.get("MOCKPIT_WIREMOCK_URL", "").rstrip("/")


@dataclass
class Target:
    """The server the client drives: its base URL and an HTTP client on it."""

    url: str
    http: httpx.Client

    @property
    def admin(self) -> str:
        return self.url + "/__admin"


@pytest.fixture
def target(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Target]:
    """The server under test: mockpit, or the server at MOCKPIT_WIREMOCK_URL."""
    if EXTERNAL:
        with httpx.Client(base_url=EXTERNAL, timeout=10) as http:
            http.post("/__admin/reset")
            http.post("/__admin/settings", json={"fixedDelay": 0})
            monkeypatch.setattr(Config, "base_url", EXTERNAL + "/__admin")
            yield Target(EXTERNAL, http)
        return
    yield request.getfixturevalue("mockpit_target")


@pytest.fixture
def mockpit_target(server: MockServer, client: httpx.Client, monkeypatch: pytest.MonkeyPatch) -> Target:
    """mockpit, always: for what only mockpit is meant to do."""
    # the client reads Config.base_url on every call: this is how its users point it at a server
    monkeypatch.setattr(Config, "base_url", server.url + "/__admin")
    return Target(server.url, client)


@pytest.fixture
def own_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Start a mockpit of a test's own (e.g. on a folder) and point the client at it."""
    servers: list[MockServer] = []

    def start(**kwargs: Any) -> MockServer:
        server = MockServer(**kwargs).start()
        servers.append(server)
        monkeypatch.setattr(Config, "base_url", server.url + "/__admin")
        return server

    yield start
    for server in servers:
        server.stop()


def get_mapping(path: str, body: str, **request: Any) -> Mapping:
    return Mapping(
        request=MappingRequest(method=HttpMethods.GET, url_path=path, **request),
        response=MappingResponse(status=200, body=body),
        persistent=False,
    )


# --- mappings --------------------------------------------------------------------------------------


def test_create_mapping_answers_requests(target: Target) -> None:
    created = Mappings.create_mapping(
        Mapping(
            priority=1,
            request=MappingRequest(
                method=HttpMethods.GET,
                url_path="/client/users",
                query_parameters={"page": {WireMockMatchers.EQUAL_TO: "2"}},
                headers={"Accept": {WireMockMatchers.CONTAINS: "json"}},
            ),
            response=MappingResponse(status=200, json_body={"users": ["ada"]}, headers={"X-Served-By": "stub"}),
            persistent=False,
            metadata={"suite": "client"},
        )
    )
    assert isinstance(created, Mapping)
    assert uuid.UUID(created.id)
    assert created.priority == 1
    assert created.request.url_path == "/client/users"
    assert created.request.query_parameters == {"page": {"equalTo": "2"}}
    assert created.response.status == 200
    assert created.response.json_body == {"users": ["ada"]}
    assert created.metadata == {"suite": "client"}

    answer = target.http.get("/client/users?page=2", headers={"Accept": "application/json"})
    assert answer.status_code == 200
    assert answer.json() == {"users": ["ada"]}
    assert answer.headers["X-Served-By"] == "stub"
    assert target.http.get("/client/users?page=3", headers={"Accept": "application/json"}).status_code == 404
    assert target.http.get("/client/users?page=2", headers={"Accept": "text/html"}).status_code == 404


@dataclass(frozen=True)
class FieldCase:
    """A mapping built with the client's model classes and a request it must answer."""

    request: dict[str, Any]
    response: dict[str, Any]
    path: str
    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""


FIELD_CASES = {
    "url": FieldCase({"method": HttpMethods.GET, "url": "/client/fields/url?x=1"}, {}, "/client/fields/url?x=1"),
    "url_pattern": FieldCase(
        {"method": HttpMethods.GET, "url_pattern": "/client/fields/pattern/[0-9]+\\?q=.*"},
        {},
        "/client/fields/pattern/12?q=a",
    ),
    "url_path_pattern": FieldCase(
        {"method": HttpMethods.DELETE, "url_path_pattern": "/client/fields/items/[a-z]+"},
        {},
        "/client/fields/items/abc?x=1",
        method="DELETE",
    ),
    "method ANY": FieldCase(
        {"method": HttpMethods.ANY, "url_path": "/client/fields/any"}, {}, "/client/fields/any", "PATCH"
    ),
    "cookies": FieldCase(
        {
            "method": HttpMethods.GET,
            "url_path": "/client/fields/cookies",
            "cookies": {"session": {"matches": "s-[0-9]+"}},
        },
        {},
        "/client/fields/cookies",
        headers=(("Cookie", "session=s-42"),),
    ),
    "basic_auth_credentials": FieldCase(
        {
            "method": HttpMethods.GET,
            "url_path": "/client/fields/auth",
            "basic_auth_credentials": BasicAuthCredentials(username="ada", password="lovelace"),
        },
        {},
        "/client/fields/auth",
        headers=(("Authorization", "Basic YWRhOmxvdmVsYWNl"),),
    ),
    "body_patterns": FieldCase(
        {
            "method": HttpMethods.POST,
            "url_path": "/client/fields/body",
            "body_patterns": [
                {WireMockMatchers.EQUAL_TO_JSON: {"sku": "X1", "qty": 2}, WireMockMatchers.IGNORE_EXTRA_ELEMENTS: True},
                {WireMockMatchers.MATCHES_JSON_PATH: "$.sku"},
            ],
        },
        {},
        "/client/fields/body",
        method="POST",
        body=b'{"sku": "X1", "qty": 2, "note": "gift"}',
    ),
    "headers absent": FieldCase(
        {"method": HttpMethods.GET, "url_path": "/client/fields/absent", "headers": {"X-Debug": {"absent": True}}},
        {},
        "/client/fields/absent",
    ),
}


@pytest.mark.parametrize("case", FIELD_CASES.values(), ids=FIELD_CASES.keys())
def test_request_fields_of_the_client_model(case: FieldCase, target: Target) -> None:
    Mappings.create_mapping(
        Mapping(request=MappingRequest(**case.request), response=MappingResponse(status=200, body="matched"))
    )
    answer = target.http.request(case.method, case.path, headers=list(case.headers), content=case.body)
    assert (answer.status_code, answer.text) == (200, "matched")


def test_response_fields_of_the_client_model(target: Target) -> None:
    Mappings.create_mapping(
        Mapping(
            request=MappingRequest(method=HttpMethods.GET, url="/client/response/status"),
            response=MappingResponse(
                status=202,
                status_message="Accepted for later",
                headers={"Set-Cookie": ["a=1", "b=2"], "Content-Type": "text/plain"},
                body="later",
            ),
        )
    )
    Mappings.create_mapping(
        Mapping(
            request=MappingRequest(method=HttpMethods.GET, url="/client/response/bytes"),
            response=MappingResponse(status=200, base64_body="AAEC/w==", fixed_delay_milliseconds=5),
        )
    )
    answer = target.http.get("/client/response/status")
    assert (answer.status_code, answer.reason_phrase, answer.text) == (202, "Accepted for later", "later")
    assert answer.headers.get_list("Set-Cookie") == ["a=1", "b=2"]
    assert target.http.get("/client/response/bytes").content == b"\x00\x01\x02\xff"


# --- response behaviours: the client's own fields for faults, delays, proxies, templates, webhooks ---

#: timers may fire a little early (uvloop rounds to milliseconds); a loaded machine may answer late
EARLY = 0.005
LATE = 0.25


FAULTS = [
    (ResponseFaultType.EMPTY_RESPONSE, httpx.RemoteProtocolError),
    (ResponseFaultType.MALFORMED_RESPONSE_CHUNK, httpx.RemoteProtocolError),
    (ResponseFaultType.RANDOM_DATA_THEN_CLOSE, httpx.RemoteProtocolError),
    ("CONNECTION_RESET_BY_PEER", httpx.ReadError),  # WireMock's fourth, missing from the client's constants
]


@pytest.mark.parametrize(("fault", "error"), FAULTS, ids=[fault for fault, _ in FAULTS])
def test_fault_of_the_client_model(fault: str, error: type[Exception], target: Target) -> None:
    created = Mappings.create_mapping(
        Mapping(
            request=MappingRequest(method=HttpMethods.GET, url="/client/fault"), response=MappingResponse(fault=fault)
        )
    )
    assert created.response.fault == fault
    with pytest.raises(error):
        target.http.get("/client/fault")
    Mappings.delete_mapping(created.id)
    assert target.http.get("/client/fault").status_code == 404  # and the server goes on


DELAYS = {
    "fixed_delay_milliseconds": (MappingResponse(status=200, body="late", fixed_delay_milliseconds=100), 0.100, 0.100),
    "uniform": (
        MappingResponse(
            status=200,
            body="late",
            delay_distribution=DelayDistribution(
                distribution_type=DelayDistributionMethods.UNIFORM, lower=60, upper=120
            ),
        ),
        0.060,
        0.120,
    ),
    "lognormal": (
        MappingResponse(
            status=200,
            body="late",
            # median 80 ms, sigma 0.1: under 45 ms is almost six sigmas away
            delay_distribution=DelayDistribution(
                distribution_type=DelayDistributionMethods.LOG_NORMAL, median=80, sigma=0.1
            ),
        ),
        0.045,
        None,
    ),
}


@pytest.mark.parametrize(("response", "at_least", "at_most"), DELAYS.values(), ids=DELAYS.keys())
def test_delay_of_the_client_model(
    response: MappingResponse, at_least: float, at_most: float | None, target: Target
) -> None:
    created = Mappings.create_mapping(
        Mapping(request=MappingRequest(method=HttpMethods.GET, url="/client/delayed"), response=response)
    )
    assert created.response.get_json_data() == response.get_json_data()  # read back into the client's models
    target.http.get("/client/warm-up")  # connect first: only the delay is measured
    started = time.perf_counter()
    assert target.http.get("/client/delayed").text == "late"
    took = time.perf_counter() - started
    assert took >= at_least - EARLY
    if at_most is not None:
        assert took <= at_most + LATE


def test_proxy_of_the_client_model(target: Target, echo_upstream: MockServer) -> None:
    echo_upstream.clear_requests()
    Mappings.create_mapping(
        Mapping(
            priority=10,
            request=MappingRequest(method=HttpMethods.ANY, url_path_pattern="/upstream/.*"),
            response=MappingResponse(
                proxy_base_url=echo_upstream.url, additional_proxy_request_headers={"X-Via": "client"}
            ),
        )
    )
    Mappings.create_mapping(get_mapping("/upstream/local", "answered here"))  # the default priority, 5, wins

    answer = target.http.post("/upstream/orders?id=7", content=b"one order", headers={"X-Trace": "t-1"})
    assert answer.status_code == 200, answer.text
    seen = Echoed.of(answer)
    assert (seen.method, seen.path, seen.query, seen.body) == (
        "POST",
        "/upstream/orders",
        "id=7",
        b"one order",
    )
    assert (seen.headers["x-trace"], seen.headers["x-via"]) == ("t-1", "client")
    assert target.http.get("/upstream/local").text == "answered here"
    assert [event.request.path for event in echo_upstream.requests()] == ["/upstream/orders"]


def test_template_of_the_client_model(target: Target) -> None:
    Mappings.create_mapping(
        Mapping(
            request=MappingRequest(method=HttpMethods.GET, url_path_pattern="/client/hello/[a-z]+"),
            response=MappingResponse(
                status=200,
                body="{{parameters.greeting}}, {{request.path.[2]}}! Page {{request.query.page}}.",
                headers={"X-Trace": "{{request.headers.X-Trace}}"},
                transformers=["response-template"],
                transformer_parameters={"greeting": "Hello"},
            ),
        )
    )
    answer = target.http.get("/client/hello/ada?page=3", headers={"X-Trace": "t-9"})
    assert (answer.status_code, answer.text) == (200, "Hello, ada! Page 3.")
    assert answer.headers["x-trace"] == "t-9"


def test_webhook_of_the_client_model(target: Target, echo_upstream: MockServer) -> None:
    """``post_serve_actions`` as a list, the form WireMock 3 writes (the client's model types it as a dict)."""
    echo_upstream.clear_requests()
    webhook = {
        "method": "POST",
        "url": echo_upstream.url + "/upstream/callback",
        "headers": {"Content-Type": "application/json"},
        # the space: Handlebars reads "}}}" as the end of a triple-stash, which WireMock refuses here
        "body": "{\"order\": {{jsonPath originalRequest.body '$.id'}} }",
    }
    Mappings.create_mapping(
        Mapping(
            request=MappingRequest(method=HttpMethods.POST, url="/client/orders"),
            response=MappingResponse(status=202),
            post_serve_actions=[{"name": "webhook", "parameters": webhook}],
        )
    )
    assert target.http.post("/client/orders", json={"id": 42}).status_code == 202
    (call,) = requests_to(echo_upstream)
    assert (call.request.method, call.request.path) == ("POST", "/upstream/callback")
    assert call.request.json() == {"order": 42}


def test_webhook_in_the_client_models_object_form(target: Target, echo_upstream: MockServer) -> None:
    """``post_serve_actions`` as the client types it: WireMock 2's ``{"webhook": {...}}``."""
    echo_upstream.clear_requests()
    webhook = {"method": "PUT", "url": echo_upstream.url + "/upstream/callback", "body": "{{request.method}}"}
    Mappings.create_mapping(
        Mapping(
            request=MappingRequest(method=HttpMethods.POST, url="/client/legacy"),
            response=MappingResponse(status=202),
            post_serve_actions={"webhook": webhook},
        )
    )
    assert target.http.post("/client/legacy").status_code == 202
    (call,) = requests_to(echo_upstream)
    assert (call.request.method, call.request.text) == ("PUT", "POST")


#: what mockpit does not support yet, each built with the client's models; docs/wiremock-compatibility.md
#: lists them as not supported
UNSUPPORTED = {
    "equalToDateTime": {"headers": {"X-Date": {"equalToDateTime": "2021-06-24T00:00:00Z"}}},
    "before": {"query_parameters": {"until": {"before": "now +3 days"}}},
    "after": {"cookies": {"since": {"after": "2021-05-01T00:00:00Z"}}},
    "matchesPathTemplate": {"query_parameters": {"next": {"matchesPathTemplate": "/items/{id}"}}},
}


@pytest.mark.parametrize(("field", "fields"), UNSUPPORTED.items(), ids=UNSUPPORTED.keys())
def test_what_mockpit_does_not_support_is_refused_not_ignored(
    field: str, fields: dict[str, Any], mockpit_target: Target
) -> None:
    with pytest.raises(ClientException) as refused:
        Mappings.create_mapping(
            Mapping(
                request=MappingRequest(method=HttpMethods.GET, url_path="/x", **fields),
                response=MappingResponse(status=200),
            )
        )
    assert refused.value.status_code == 400
    assert field in str(refused.value)
    assert "not supported" in str(refused.value)
    assert Mappings.retrieve_all_mappings().meta.total == 0
    docs = (Path(__file__).resolve().parent.parent / "docs" / "wiremock-compatibility.md").read_text(encoding="utf-8")
    assert f"`{field}`" in docs.split("## Not supported", 1)[1], f"docs/wiremock-compatibility.md does not list {field}"


def test_retrieve_all_mappings(target: Target) -> None:
    first = Mappings.create_mapping(get_mapping("/client/one", "one"))
    second = Mappings.create_mapping(get_mapping("/client/two", "two"))
    listed = Mappings.retrieve_all_mappings()
    assert isinstance(listed, AllMappings)
    assert listed.meta.total == 2
    assert {m.id for m in listed.mappings} == {first.id, second.id}
    assert {m.request.url_path for m in listed.mappings} == {"/client/one", "/client/two"}
    page = Mappings.retrieve_all_mappings(parameters={"limit": 1})
    assert len(page.mappings) == 1
    assert page.meta.total == 2


def test_retrieve_update_and_delete_one_mapping(target: Target) -> None:
    created = Mappings.create_mapping(get_mapping("/client/edit", "original"))
    fetched = Mappings.retrieve_mapping(created.id)
    assert fetched.id == created.id
    assert fetched.response.body == "original"

    # what the client sends back is what mockpit gave it, with one change: a round trip
    fetched.response.body = "modified"
    updated = Mappings.update_mapping(fetched)
    assert updated.id == created.id
    assert updated.response.body == "modified"
    assert target.http.get("/client/edit").text == "modified"
    assert Mappings.retrieve_all_mappings().meta.total == 1

    Mappings.delete_mapping(created.id)
    assert target.http.get("/client/edit").status_code == 404
    with pytest.raises(NotFoundException):
        Mappings.retrieve_mapping(created.id)
    with pytest.raises(NotFoundException):
        Mappings.delete_mapping(created.id)


def test_create_mapping_with_its_own_id(target: Target) -> None:
    stub_id = str(uuid.uuid4())
    created = Mappings.create_mapping(
        Mapping(
            id=stub_id,
            request=MappingRequest(method=HttpMethods.GET, url="/client/own-id"),
            response=MappingResponse(status=200, body="own id"),
        )
    )
    assert created.id == stub_id
    assert Mappings.retrieve_mapping(stub_id).request.url == "/client/own-id"
    assert target.http.get("/client/own-id").text == "own id"


def test_delete_all_mappings(target: Target) -> None:
    Mappings.create_mapping(get_mapping("/client/a", "a"))
    Mappings.create_mapping(get_mapping("/client/b", "b"))
    Mappings.delete_all_mappings()
    assert Mappings.retrieve_all_mappings().mappings == []
    assert target.http.get("/client/a").status_code == 404


def test_delete_mappings_by_metadata(target: Target) -> None:
    keep = Mappings.create_mapping(
        Mapping(
            request=MappingRequest(method=HttpMethods.GET, url="/client/keep"),
            response=MappingResponse(status=200, body="kept"),
            metadata={"team": "search"},
        )
    )
    Mappings.create_mapping(
        Mapping(
            request=MappingRequest(method=HttpMethods.GET, url="/client/drop"),
            response=MappingResponse(status=200),
            metadata={"team": "payments"},
        )
    )
    Mappings.delete_mapping_by_metadata({"matchesJsonPath": {"expression": "$.team", "equalTo": "payments"}})
    assert [m.id for m in Mappings.retrieve_all_mappings().mappings] == [keep.id]
    assert target.http.get("/client/drop").status_code == 404
    assert target.http.get("/client/keep").text == "kept"


def test_reset_mappings_restores_the_loaded_ones(own_server: Any) -> None:
    server = own_server(
        mappings={"request": {"method": "GET", "url": "/client/loaded"}, "response": {"status": 200, "body": "loaded"}}
    )
    Mappings.create_mapping(get_mapping("/client/added", "added"))
    loaded = next(m for m in Mappings.retrieve_all_mappings().mappings if m.request.url == "/client/loaded")
    Mappings.delete_mapping(loaded.id)
    assert [m.request.url_path for m in Mappings.retrieve_all_mappings().mappings] == ["/client/added"]
    Mappings.reset_mappings()
    assert [m.request.url for m in Mappings.retrieve_all_mappings().mappings] == ["/client/loaded"]
    with httpx.Client(base_url=server.url) as http:
        assert http.get("/client/loaded").text == "loaded"
        assert http.get("/client/added").status_code == 404


def test_persist_mappings_writes_the_mappings_folder(own_server: Any, tmp_path: Path) -> None:
    (tmp_path / "mappings").mkdir()
    own_server(mappings=tmp_path)
    created = Mappings.create_mapping(get_mapping("/client/saved", "saved"))
    Mappings.persist_mappings()
    files = list((tmp_path / "mappings").iterdir())
    assert len(files) == 1, files
    assert created.id in files[0].read_text(encoding="utf-8")
    with MockServer(mappings=tmp_path) as restarted, httpx.Client() as http:
        assert http.get(restarted.url_for("/client/saved")).text == "saved"


def test_persistent_mappings_are_written_at_once(own_server: Any, tmp_path: Path) -> None:
    """WireMock writes a ``persistent`` stub to the mappings folder on create, update and delete."""
    folder = tmp_path / "mappings"
    folder.mkdir()
    server = own_server(mappings=tmp_path)
    kept = Mappings.create_mapping(
        Mapping(
            request=MappingRequest(method=HttpMethods.GET, url="/client/kept"),
            response=MappingResponse(status=200, body="kept"),
            persistent=True,
        )
    )
    Mappings.create_mapping(get_mapping("/client/passing", "passing"))  # persistent=False: memory only
    files = list(folder.iterdir())
    assert len(files) == 1, files
    assert kept.id in files[0].read_text(encoding="utf-8")

    Mappings.reset_mappings()  # back to what the folder holds, which now includes the persistent stub
    assert [m.request.url for m in Mappings.retrieve_all_mappings().mappings] == ["/client/kept"]

    kept.response.body = "kept, edited"
    Mappings.update_mapping(kept)
    assert "kept, edited" in next(folder.iterdir()).read_text(encoding="utf-8")
    with httpx.Client() as http:
        assert http.get(server.url_for("/client/kept")).text == "kept, edited"

    Mappings.delete_mapping(kept.id)
    assert list(folder.iterdir()) == []


# --- the request journal ---------------------------------------------------------------------------


def send_some(target: Target) -> None:
    Mappings.create_mapping(
        Mapping(
            request=MappingRequest(method=HttpMethods.POST, url_path="/client/orders"),
            response=MappingResponse(status=201, body="created"),
        )
    )
    assert target.http.post("/client/orders", content=b'{"sku": "sku-1"}', headers={"X-Trace": "t1"}).status_code == 201
    assert target.http.post("/client/orders", content=b'{"sku": "sku-2"}', headers={"X-Trace": "t2"}).status_code == 201
    assert target.http.get("/client/nowhere").status_code == 404


def test_get_all_received_requests(target: Target) -> None:
    send_some(target)
    # parameters={} each time: the client's default is one dict shared by every call, which limit= fills
    everything = Requests.get_all_received_requests(parameters={})
    assert isinstance(everything, RequestResponseAll)
    assert everything.meta.total == 3
    assert [(r.request.method, r.request.url) for r in everything.requests] == [
        ("GET", "/client/nowhere"),
        ("POST", "/client/orders"),
        ("POST", "/client/orders"),
    ]  # newest first
    newest_post = everything.requests[1]
    assert newest_post.request.body == '{"sku": "sku-2"}'
    assert newest_post.request.headers["X-Trace"] == "t2"
    assert newest_post.response_definition.status == 201
    assert uuid.UUID(newest_post.id)

    two = Requests.get_all_received_requests(limit=2, parameters={})
    assert [r.request.url for r in two.requests] == ["/client/nowhere", "/client/orders"]

    one = Requests.get_request(newest_post.id)
    assert (one.id, one.request.body) == (newest_post.id, '{"sku": "sku-2"}')


def test_get_requests_since(target: Target) -> None:
    assert target.http.get("/client/before").status_code == 404
    time.sleep(0.005)  # the journal's clock has milliseconds
    since = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    time.sleep(0.005)
    assert target.http.get("/client/after").status_code == 404
    found = Requests.get_all_received_requests(since=since, parameters={})
    assert [r.request.url for r in found.requests] == ["/client/after"]


def test_count_and_find_requests(target: Target) -> None:
    send_some(target)
    orders = NearMissMatchPatternRequest(url_path="/client/orders", method=HttpMethods.POST)
    count = Requests.get_matching_request_count(orders)
    assert isinstance(count, RequestCountResponse)
    assert count.count == 2

    sku_1 = NearMissMatchPatternRequest(
        url_path="/client/orders",
        method=HttpMethods.POST,
        body_patterns=[{"matchesJsonPath": "$[?(@.sku == 'sku-1')]"}],
    )
    assert Requests.get_matching_request_count(sku_1).count == 1
    found = Requests.get_matching_requests(sku_1)
    assert isinstance(found, RequestResponseFindResponse)
    assert [(r.method, r.url, r.body) for r in found.requests] == [("POST", "/client/orders", '{"sku": "sku-1"}')]
    assert found.requests[0].headers["X-Trace"] == "t1"

    nothing = NearMissMatchPatternRequest(url="/client/none", method=HttpMethods.GET)
    assert Requests.get_matching_request_count(nothing).count == 0
    assert Requests.get_matching_requests(nothing).requests == []


def test_unmatched_requests(target: Target) -> None:
    send_some(target)
    unmatched = Requests.get_unmatched_requests()
    assert [(r.method, r.url) for r in unmatched.requests] == [("GET", "/client/nowhere")]


def test_reset_request_journal(target: Target) -> None:
    send_some(target)
    Requests.reset_request_journal()
    assert Requests.get_all_received_requests(parameters={}).requests == []
    assert target.http.post("/client/orders").status_code == 201  # the stubs stay


# --- near misses -----------------------------------------------------------------------------------


def two_stubs() -> tuple[Mapping, Mapping]:
    hello = Mappings.create_mapping(get_mapping("/client/hello", "hello"))
    goodbye = Mappings.create_mapping(get_mapping("/client/goodbye/for/now", "goodbye"))
    return hello, goodbye


def raw_near_misses(target: Target, path: str, **kwargs: Any) -> list[dict[str, Any]]:
    """The same query sent as plain JSON: the client's NearMissMatch model drops ``stubMapping``."""
    response = target.http.request(kwargs.pop("method", "POST"), "/__admin" + path, **kwargs)
    assert response.status_code == 200, response.text
    misses: list[dict[str, Any]] = response.json()["nearMisses"]
    return misses


def test_near_misses_of_unmatched_requests(target: Target) -> None:
    hello, _ = two_stubs()
    assert target.http.get("/client/helo").status_code == 404
    misses = Requests.get_unmatched_requests_near_misses()
    assert isinstance(misses, NearMissMatchResponse)
    assert misses.near_misses, "no near misses for an unmatched request"
    closest = misses.near_misses[0]
    assert (closest.request.method, closest.request.url) == ("GET", "/client/helo")
    assert 0 < closest.match_result.distance < 1
    distances = [m.match_result.distance for m in misses.near_misses]
    assert distances == sorted(distances)
    raw = raw_near_misses(target, "/requests/unmatched/near-misses", method="GET")
    assert raw[0]["stubMapping"]["id"] == hello.id


def test_near_misses_for_a_request(target: Target) -> None:
    hello, goodbye = two_stubs()
    request = NearMissMatchRequest(url="/client/helo", absolute_url="http://localhost/client/helo", method="GET")
    misses = NearMisses.find_nearest_misses_by_request(request)
    assert len(misses.near_misses) == 2
    assert [m.request.url for m in misses.near_misses] == ["/client/helo", "/client/helo"]
    first, second = (m.match_result.distance for m in misses.near_misses)
    assert 0 < first < second <= 1
    raw = raw_near_misses(target, "/near-misses/request", json=request.get_json_data())
    assert [m["stubMapping"]["id"] for m in raw] == [hello.id, goodbye.id]


def test_near_misses_for_a_request_pattern(target: Target) -> None:
    for path in ("/client/helo", "/client/something/else/entirely"):
        assert target.http.get(path).status_code == 404
    pattern = NearMissMatchPatternRequest(url="/client/hello", method=HttpMethods.GET)
    misses = NearMisses.find_nearest_misses_by_request_pattern(pattern)
    assert [m.request.url for m in misses.near_misses] == ["/client/helo", "/client/something/else/entirely"]
    assert misses.near_misses[0].request_pattern.url == "/client/hello"
    assert misses.near_misses[0].match_result.distance < misses.near_misses[1].match_result.distance


# --- scenarios and settings ------------------------------------------------------------------------


def scenario_mapping(state: str, new_state: str | None, method: str, body: str) -> Mapping:
    return Mapping(
        scenario_name="checkout",
        required_scenario_state=state,
        new_scenario_state=new_state,
        request=MappingRequest(method=method, url="/client/cart"),
        response=MappingResponse(status=200, body=body),
    )


def test_scenarios_progress_and_reset(target: Target) -> None:
    created = Mappings.create_mapping(scenario_mapping("Started", None, HttpMethods.GET, "empty"))
    assert (created.scenario_name, created.required_scenario_state) == ("checkout", "Started")
    Mappings.create_mapping(scenario_mapping("Started", "Has items", HttpMethods.POST, "added"))
    Mappings.create_mapping(scenario_mapping("Has items", None, HttpMethods.GET, "one item"))

    assert target.http.get("/client/cart").text == "empty"
    assert target.http.post("/client/cart").text == "added"
    assert target.http.get("/client/cart").text == "one item"
    assert target.http.post("/client/cart").status_code == 404  # only in state Started
    scenarios = target.http.get("/__admin/scenarios").json()["scenarios"]
    assert [(s["name"], s["state"]) for s in scenarios] == [("checkout", "Has items")]
    assert set(scenarios[0]["possibleStates"]) == {"Started", "Has items"}

    Scenarios.reset_all_scenarios()
    assert target.http.get("/client/cart").text == "empty"
    assert target.http.get("/__admin/scenarios").json()["scenarios"][0]["state"] == "Started"


def test_global_fixed_delay(target: Target) -> None:
    Mappings.create_mapping(get_mapping("/client/slow", "slow"))
    target.http.get("/client/slow")  # connect first: only the delay is measured
    try:
        GlobalSettings.update_global_settings(GlobalSetting(fixed_delay=60))
        started = time.perf_counter()
        assert target.http.get("/client/slow").text == "slow"
        assert time.perf_counter() - started >= 0.060
    finally:
        GlobalSettings.update_global_settings(GlobalSetting(fixed_delay=0))
    started = time.perf_counter()
    assert target.http.get("/client/slow").text == "slow"
    assert time.perf_counter() - started < 0.060


# --- the admin API around the client ---------------------------------------------------------------


def test_the_admin_root_answers_like_wiremock(target: Target) -> None:
    """``GET /__admin`` is the probe of the ``wiremock`` package's own WireMockServer.start(), and of health checks."""
    Mappings.create_mapping(get_mapping("/client/root", "root"))
    response = target.http.get("/__admin", follow_redirects=True)
    assert response.status_code == 200, response.text
    assert [m["request"]["urlPath"] for m in response.json()["mappings"]] == ["/client/root"]


#: (method, path, how docs/wiremock-compatibility.md names it)
NOT_SUPPORTED = [
    ("GET", "/__admin/files", "`/__admin/files`"),
    ("GET", "/__admin/files/x.json", "`/__admin/files/{id}`"),
    ("GET", "/__admin/docs", "`/__admin/docs`"),
    ("GET", "/__admin/docs/swagger", "`/__admin/docs/swagger`"),
    ("GET", "/__admin/certs/wiremock-ca.crt", "`/__admin/certs/wiremock-ca.crt`"),
    ("GET", "/__admin/settings/extended", "`/__admin/settings/extended`"),
    ("POST", "/__admin/mappings/new", "`POST /__admin/mappings/new`"),
    ("POST", "/__admin/mappings/edit", "`/__admin/mappings/edit`"),
    ("POST", "/__admin/socket-delay", "`POST /__admin/socket-delay`"),
]


@pytest.mark.parametrize(("method", "path", "documented"), NOT_SUPPORTED, ids=[f"{m} {p}" for m, p, _ in NOT_SUPPORTED])
def test_unsupported_admin_endpoints_say_so(method: str, path: str, documented: str, mockpit_target: Target) -> None:
    Mappings.create_mapping(get_mapping("/client/kept", "kept"))
    response = mockpit_target.http.request(method, path, json={})
    assert response.status_code in {404, 405}
    assert response.json()["errors"][0]["detail"]
    assert Mappings.retrieve_all_mappings().meta.total == 1
    docs = (Path(__file__).resolve().parent.parent / "docs" / "wiremock-compatibility.md").read_text(encoding="utf-8")
    assert documented in docs.split("## Not supported", 1)[1], f"docs/wiremock-compatibility.md does not list {path}"
