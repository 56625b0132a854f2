"""Server-Sent Events: a response whose body is an event stream, from mapping files, Python and the admin API.

Real clients: httpx streaming, httpx-sse, and sseclient-py (an EventSource-style client over requests).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
import sseclient
from httpx_sse import aconnect_sse, connect_sse

from _waiting import wait_until
from mockpit import MockServer, Request, SseEvent, get, head, stub_from_mapping, stub_to_mapping
from mockpit._engine.sse import frame
from mockpit._errors import MappingError


def test_events_arrive_framed_with_the_sse_headers(server: MockServer, client: httpx.Client) -> None:
    server.when(get("/events")).respond(
        sse=[
            SseEvent({"token": "Hel"}, event="delta", id="1"),
            SseEvent("two\nlines", id="2", retry_ms=1500),
            {"comment": "just a comment"},
            "plain",
        ]
    )
    with client.stream("GET", "/events") as response:
        chunks = list(response.iter_raw())
        headers = response.headers
    assert headers["content-type"] == "text/event-stream"
    assert headers["cache-control"] == "no-cache"
    assert headers["x-accel-buffering"] == "no"
    assert "content-length" not in headers
    assert b"".join(chunks) == (
        b'event: delta\nid: 1\ndata: {"token":"Hel"}\n\n'
        b"id: 2\nretry: 1500\ndata: two\ndata: lines\n\n"
        b": just a comment\n\n"
        b"data: plain\n\n"
    )


def test_httpx_sse_reads_every_field(server: MockServer, client: httpx.Client) -> None:
    server.when(get("/events")).respond(
        sse=[SseEvent({"n": 1}, event="tick", id="a", retry_ms=3000), SseEvent("done", event="end")]
    )
    with connect_sse(client, "GET", "/events") as source:
        events = list(source.iter_sse())
    assert [(e.event, e.data, e.id) for e in events] == [("tick", '{"n":1}', "a"), ("end", "done", "a")]
    assert events[0].retry == 3000
    assert events[0].json() == {"n": 1}


def test_sseclient_an_eventsource_style_client(server: MockServer) -> None:
    server.when(get("/feed")).respond(sse=[SseEvent("one", id="1"), SseEvent("two", event="update", id="2")])
    response = requests.get(server.url + "/feed", stream=True, timeout=10, headers={"Accept": "text/event-stream"})
    events = list(sseclient.SSEClient(response).events())
    assert [(e.event, e.data, e.id) for e in events] == [("message", "one", "1"), ("update", "two", "2")]


def test_each_event_waits_for_its_delay_and_is_flushed_at_once(server: MockServer, client: httpx.Client) -> None:
    server.when(get("/slow")).respond(sse=[SseEvent("a"), SseEvent("b", delay_ms=400), SseEvent("c", delay_ms=400)])
    arrivals: list[tuple[bytes, float]] = []
    start = time.monotonic()
    with client.stream("GET", "/slow") as response:
        for chunk in response.iter_raw():
            arrivals.append((chunk, time.monotonic() - start))
    assert [chunk for chunk, _ in arrivals] == [b"data: a\n\n", b"data: b\n\n", b"data: c\n\n"]
    first, second, third = (at for _, at in arrivals)
    assert first < 0.35  # sent with the headers, not held back for the next one
    assert 0.3 < second - first < 2.0
    assert 0.3 < third - second < 2.0


def test_templated_per_event_with_the_request_and_last_event_id(server: MockServer, client: httpx.Client) -> None:
    server.when(get("/resume").header("Last-Event-ID", "41")).respond(
        sse=[
            {"id": "{{math request.headers.Last-Event-ID '+' 1}}", "data": {"user": "{{request.query.user}}"}},
            {"event": "{{request.query.user}}-done", "data": "after {{request.headers.Last-Event-ID}}"},
        ],
        template=True,
    )
    with connect_sse(client, "GET", "/resume?user=ada", headers={"Last-Event-ID": "41"}) as source:
        events = list(source.iter_sse())
    assert [(e.id, e.event, e.data) for e in events] == [
        ("42", "message", '{"user":"ada"}'),
        ("42", "ada-done", "after 41"),
    ]


def test_jinja_templates_per_event(server: MockServer, client: httpx.Client) -> None:
    server.when(get("/j")).respond(
        sse=["{{ request.query.a }}", "{{ request.path }}?{{ request.query.a }}"], template="jinja"
    )
    with connect_sse(client, "GET", "/j?a=xy") as source:
        assert [e.data for e in source.iter_sse()] == ["xy", "/j?xy"]


def test_repeat_sends_the_events_again(server: MockServer, client: httpx.Client) -> None:
    server.when(get("/r")).respond(sse=["a", "b"], sse_repeat=3)
    with connect_sse(client, "GET", "/r") as source:
        assert [e.data for e in source.iter_sse()] == ["a", "b"] * 3


def test_keep_open_sends_heartbeats_until_the_client_leaves(server: MockServer, client: httpx.Client) -> None:
    server.when(get("/live")).respond(sse=["hello"], keep_open=True, heartbeat_ms=100)
    with client.stream("GET", "/live") as response:
        chunks = response.iter_raw()
        assert next(chunks) == b"data: hello\n\n"
        assert next(chunks) == b": heartbeat\n\n"
        assert next(chunks) == b": heartbeat\n\n"
    event = wait_until(server.requests, lambda found: found and found[0].stream_outcome == "disconnected")[0]
    assert event.stream_outcome == "disconnected"


def test_repeat_forever_until_the_client_leaves(server: MockServer, client: httpx.Client) -> None:
    server.when(get("/ticks")).respond(sse=[SseEvent("tick", delay_ms=20)], sse_repeat="forever")
    with connect_sse(client, "GET", "/ticks") as source:
        seen = []
        for event in source.iter_sse():
            seen.append(event.data)
            if len(seen) == 5:
                break
    assert seen == ["tick"] * 5
    wait_until(lambda: server.requests()[0].stream_outcome, lambda outcome: outcome == "disconnected")


def test_the_journal_says_whether_the_client_stayed_to_the_end(server: MockServer, client: httpx.Client) -> None:
    server.when(get("/short")).respond(sse=["a", "b"])
    server.when(get("/long")).respond(sse=["a", SseEvent("never read", delay_ms=5000)])
    with connect_sse(client, "GET", "/short") as source:
        list(source.iter_sse())
    with client.stream("GET", "/long") as response:
        assert next(response.iter_raw()) == b"data: a\n\n"
    outcomes = wait_until(
        lambda: {event.request.path: event.stream_outcome for event in server.requests()},
        lambda found: found.get("/long") == "disconnected",
    )
    assert outcomes == {"/short": "completed", "/long": "disconnected"}
    assert server.requests(get("/short"))[0].response.stream.sent == b"data: a\n\ndata: b\n\n"  # type: ignore[union-attr]
    listed = {e["request"]["url"]: e["response"] for e in client.get("/__admin/requests").json()["requests"]}
    assert listed["/long"]["streamOutcome"] == "disconnected"
    assert listed["/short"]["body"] == "data: a\n\ndata: b\n\n"


def test_last_event_id_is_a_header_to_match_on(server: MockServer, client: httpx.Client) -> None:
    server.when(get("/s")).respond(sse=["from the start"])
    server.when(get("/s").header("Last-Event-ID", "5")).respond(sse=["from 6"])
    with connect_sse(client, "GET", "/s", headers={"Last-Event-ID": "5"}) as source:
        assert [e.data for e in source.iter_sse()] == ["from 6"]
    with connect_sse(client, "GET", "/s") as source:
        assert [e.data for e in source.iter_sse()] == ["from the start"]


def test_an_async_generator_handler_streams_events(server: MockServer) -> None:
    async def countdown(request: Request) -> AsyncIterator[Any]:
        for n in range(int(request.query["from"][0]), 0, -1):
            yield SseEvent(n, id=str(n), delay_ms=10)
        yield {"event": "liftoff", "data": {"ok": True}}
        yield "bye"

    async def read() -> list[tuple[str, str]]:
        async with (
            httpx.AsyncClient(base_url=server.url) as client,
            aconnect_sse(client, "GET", "/countdown?from=3") as source,
        ):
            return [(e.event, e.data) async for e in source.aiter_sse()]

    server.when(get("/countdown")).respond_with(countdown)
    events = asyncio.run(read())
    assert events == [
        ("message", "3"),
        ("message", "2"),
        ("message", "1"),
        ("liftoff", '{"ok":true}'),
        ("message", "bye"),
    ]


def test_an_async_generator_handler_is_closed_when_the_client_leaves(server: MockServer, client: httpx.Client) -> None:
    closed: list[bool] = []

    async def endless(request: Request) -> AsyncIterator[str]:
        try:
            while True:
                yield "x"
                await asyncio.sleep(0.01)
        finally:
            closed.append(True)

    server.when(get("/endless")).respond_with(endless)
    with client.stream("GET", "/endless") as response:
        assert next(response.iter_raw()).startswith(b"data: x")
    wait_until(lambda: closed)
    wait_until(lambda: server.requests()[0].stream_outcome, lambda outcome: outcome == "disconnected")


def test_a_mapping_file_stub_round_trips_and_serves(server: MockServer, client: httpx.Client) -> None:
    mapping = {
        "request": {"method": "GET", "url": "/m"},
        "response": {
            "status": 200,
            "headers": {"X-Stream": "yes"},
            "sse": {
                "events": [
                    {"event": "a", "data": {"x": [1, 2]}, "id": "1", "retry": 10, "delayMilliseconds": 5},
                    {"comment": "c"},
                ],
                "repeat": 2,
                "keepOpen": True,
                "heartbeatMilliseconds": 50,
            },
        },
    }
    stub = stub_from_mapping(mapping)
    written = stub_to_mapping(stub)
    assert written["response"]["sse"] == mapping["response"]["sse"]  # type: ignore[index]
    assert stub_from_mapping(written) == stub
    server.add_stub(stub)
    with client.stream("GET", "/m") as response:
        assert response.headers["x-stream"] == "yes"
        raw = response.iter_raw()
        got = [next(raw) for _ in range(5)]
    assert got == [b'event: a\nid: 1\nretry: 10\ndata: {"x":[1,2]}\n\n', b": c\n\n"] * 2 + [b": heartbeat\n\n"]


@pytest.mark.parametrize(
    ("sse", "message"),
    [
        ({"events": [{"event": "a\nb", "data": "x"}]}, "must be one line"),
        ({"events": [{}]}, "needs at least one of data"),
        ({"events": [{"data": "x"}], "repeat": 0}, 'must be 1 or more, or "forever"'),
        ({"events": [{"data": "x"}], "repeat": "forever"}, "needs a delayMilliseconds"),
        ({"events": [{"data": "x", "delayMilliseconds": -1}]}, "greater than or equal to 0"),
        ({"events": [{"data": "x", "unknown": 1}]}, "unknown"),
    ],
)
def test_bad_sse_mappings_are_refused_with_the_field(sse: dict[str, Any], message: str) -> None:
    with pytest.raises(MappingError, match="sse") as error:
        stub_from_mapping({"request": {"url": "/x"}, "response": {"sse": sse}})
    assert message in str(error.value)


def test_sse_with_a_body_is_refused() -> None:
    with pytest.raises(MappingError, match="an sse response is its events; remove body"):
        stub_from_mapping({"request": {"url": "/x"}, "response": {"body": "x", "sse": {"events": [{"data": "y"}]}}})


def test_sse_stubs_through_the_admin_api(server: MockServer, client: httpx.Client) -> None:
    mapping = {"request": {"url": "/admin-made"}, "response": {"sse": {"events": [{"data": "via admin"}]}}}
    created = client.post("/__admin/mappings", json=mapping)
    assert created.status_code == 201, created.text
    assert created.json()["response"]["sse"] == {"events": [{"data": "via admin"}]}
    listed = client.get("/__admin/mappings").json()["mappings"]
    assert listed[0]["response"]["sse"] == {"events": [{"data": "via admin"}]}
    with connect_sse(client, "GET", "/admin-made") as source:
        assert [e.data for e in source.iter_sse()] == ["via admin"]
    refused = client.post("/__admin/mappings", json={"request": {"url": "/x"}, "response": {"sse": {"events": [{}]}}})
    assert refused.status_code == 400
    assert "sse" in refused.text


def test_head_gets_the_headers_and_no_events(server: MockServer, client: httpx.Client) -> None:
    server.when(head("/h")).respond(sse=["x"])
    response = client.head("/h")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream"
    assert response.content == b""


def test_many_concurrent_streams(server: MockServer) -> None:
    server.when(get("/many")).respond(sse=[SseEvent(str(i), delay_ms=5) for i in range(20)])

    async def one(client: httpx.AsyncClient) -> list[str]:
        async with aconnect_sse(client, "GET", "/many") as source:
            return [e.data async for e in source.aiter_sse()]

    async def all_of_them() -> list[list[str]]:
        limits = httpx.Limits(max_connections=100)
        async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=30) as client:
            return await asyncio.gather(*(one(client) for _ in range(50)))

    results = asyncio.run(all_of_them())
    assert results == [[str(i) for i in range(20)]] * 50


@pytest.mark.parametrize(
    ("fields", "wire"),
    [
        ({"data": ""}, b"data: \n\n"),
        ({"data": "a\r\nb\rc"}, b"data: a\ndata: b\ndata: c\n\n"),
        ({"data": None, "comment": "x\ny"}, b": x\n: y\n\n"),
        ({"data": None, "comment": ""}, b":\n\n"),
        ({"data": None, "id": ""}, b"id: \n\n"),
    ],
)
def test_frame(fields: dict[str, Any], wire: bytes) -> None:
    assert frame(**fields) == wire


def test_a_proxied_stream_is_recorded_event_by_event_and_replays_with_its_timing(tmp_path: Path) -> None:
    with MockServer() as upstream, MockServer(root=tmp_path) as server:
        upstream.when(get("/ticker")).respond(
            sse=[
                SseEvent({"p": 1}, event="tick", id="1"),
                SseEvent({"p": 2}, event="tick", id="2", delay_ms=300),
                {"comment": "still here", "delayMilliseconds": 300},
                SseEvent("bye", event="end", retry_ms=500),
            ]
        )
        with httpx.Client(base_url=server.url, timeout=10) as client:
            assert client.post("/__admin/recordings/start", json={"targetBaseUrl": upstream.url}).status_code == 200
            with client.stream("GET", "/ticker") as response:
                proxied = b"".join(response.iter_raw())
            stopped = client.post("/__admin/recordings/stop")
    assert stopped.status_code == 200, stopped.text
    (mapping,) = stopped.json()["mappings"]
    sse = mapping["response"]["sse"]
    assert [{k: v for k, v in e.items() if k != "delayMilliseconds"} for e in sse["events"]] == [
        {"event": "tick", "id": "1", "data": '{"p":1}'},
        {"event": "tick", "id": "2", "data": '{"p":2}'},
        {"comment": "still here"},
        {"event": "end", "data": "bye", "retry": 500},
    ]
    delays = [e.get("delayMilliseconds", 0) for e in sse["events"]]
    assert delays[0] < 150
    assert 200 < delays[1] < 1000
    assert 200 < delays[2] < 1000
    assert delays[3] < 150

    with MockServer() as replay, httpx.Client(base_url=replay.url, timeout=10) as client:
        replay.add_mapping(mapping)
        start = time.monotonic()
        with client.stream("GET", "/ticker") as response:
            assert response.headers["content-type"] == "text/event-stream"
            arrivals = [(chunk, time.monotonic() - start) for chunk in response.iter_raw()]
    assert b"".join(chunk for chunk, _ in arrivals) == proxied
    assert 0.4 < arrivals[-1][1] < 3.0


def test_a_bad_event_template_is_refused_when_the_stub_loads_naming_the_event(server: MockServer) -> None:
    with pytest.raises(MappingError, match=r"response\.sse\.events\[1\]: .*never closed"):
        server.when(get("/x")).respond(sse=["fine", "{{#each}}"], template=True)
