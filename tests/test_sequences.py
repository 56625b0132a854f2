"""Several responses per stub: a sequence answered in turn, stopping on the last or cycling."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from mockpit import MockServer, Response, get, stub_from_mapping, stub_to_mapping

SHARED_SERVER = True


def _statuses(client: httpx.Client, path: str, n: int) -> list[int]:
    return [client.get(path).status_code for _ in range(n)]


def _sequence(mode: str | None = None) -> dict[str, Any]:
    mapping: dict[str, Any] = {
        "request": {"method": "GET", "url": "/flaky"},
        "responses": [
            {"status": 503, "body": "down"},
            {"status": 502, "body": "still down"},
            {"status": 200, "jsonBody": {"ok": True}},
        ],
    }
    if mode is not None:
        mapping["responseSequence"] = mode
    return mapping


@pytest.mark.parametrize("mode", [None, "stopOnLast"])
def test_a_sequence_stops_on_its_last_response(server: MockServer, client: httpx.Client, mode: str | None) -> None:
    server.add_mapping(_sequence(mode))

    assert _statuses(client, "/flaky", 6) == [503, 502, 200, 200, 200, 200]
    assert client.get("/flaky").json() == {"ok": True}


def test_a_cycling_sequence_starts_over(server: MockServer, client: httpx.Client) -> None:
    server.add_mapping(_sequence("cycle"))

    assert _statuses(client, "/flaky", 7) == [503, 502, 200, 503, 502, 200, 503]


def test_each_step_sends_its_own_body_and_headers(server: MockServer, client: httpx.Client) -> None:
    server.add_mapping(
        {
            "request": {"url": "/steps"},
            "responses": [
                {"status": 429, "headers": {"Retry-After": "1"}, "body": "slow down"},
                {"status": 201, "headers": {"Location": "/things/1"}, "jsonBody": {"id": 1}},
            ],
        }
    )

    first, second = client.get("/steps"), client.get("/steps")

    assert (first.status_code, first.headers["retry-after"], first.text) == (429, "1", "slow down")
    assert (second.status_code, second.headers["location"], second.json()) == (201, "/things/1", {"id": 1})
    assert second.headers["content-type"] == "application/json"


def test_reset_starts_a_loaded_sequence_again(client: httpx.Client) -> None:
    with MockServer(mappings=[_sequence()]) as mock, httpx.Client(base_url=mock.url) as http:
        assert _statuses(http, "/flaky", 3) == [503, 502, 200]
        mock.reset()
        assert _statuses(http, "/flaky", 2) == [503, 502]


def test_the_journal_shows_what_each_request_got(server: MockServer, client: httpx.Client) -> None:
    server.add_mapping(_sequence())
    _statuses(client, "/flaky", 3)

    assert [event.response.status for event in server.requests()] == [503, 502, 200]


def test_concurrent_requests_each_take_their_own_step() -> None:
    steps = [{"status": 200 + i, "body": str(i)} for i in range(20)]
    mapping = {"request": {"url": "/n"}, "responses": steps}

    async def twenty_at_once(url: str) -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=url) as http:
            return await asyncio.gather(*(http.get("/n") for _ in range(20)))

    with MockServer(mappings=[mapping]) as mock:
        answers = asyncio.run(twenty_at_once(mock.url))

    assert sorted(a.status_code for a in answers) == list(range(200, 220))


def test_respond_in_turn_builds_a_sequence_from_responses(server: MockServer, client: httpx.Client) -> None:
    server.when(get("/retry")).respond_in_turn(
        Response(503, "busy", headers={"Retry-After": "0"}),
        Response(200, json={"done": True}),
    )

    first = client.get("/retry")
    assert (first.status_code, first.text, first.headers["retry-after"]) == (503, "busy", "0")
    assert [client.get("/retry").json() for _ in range(2)] == [{"done": True}, {"done": True}]


def test_respond_in_turn_cycles_when_asked(server: MockServer, client: httpx.Client) -> None:
    server.when(get("/toggle")).respond_in_turn(Response(200, "on"), Response(200, "off"), cycle=True)

    assert [client.get("/toggle").text for _ in range(5)] == ["on", "off", "on", "off", "on"]


def test_respond_in_turn_sends_binary_bodies_unchanged(server: MockServer, client: httpx.Client) -> None:
    blob = bytes(range(256))
    server.when(get("/blob")).respond_in_turn(Response(200, blob))

    assert client.get("/blob").content == blob


def test_respond_in_turn_refuses_what_is_not_a_response(server: MockServer) -> None:
    with pytest.raises(TypeError, match=r"mockpit\.Response"):
        server.when(get("/x")).respond_in_turn({"status": 200})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least one"):
        server.when(get("/x")).respond_in_turn()


def test_a_sequence_round_trips_through_the_admin_api(server: MockServer, client: httpx.Client) -> None:
    created = client.post("/__admin/mappings", json=_sequence("cycle"))
    assert created.status_code == 201

    listed = client.get(f"/__admin/mappings/{created.json()['id']}").json()

    assert listed["responseSequence"] == "cycle"
    assert [r["status"] for r in listed["responses"]] == [503, 502, 200]
    assert "response" not in listed
    assert stub_to_mapping(stub_from_mapping(listed)) == listed


def test_a_sequence_step_with_a_missing_body_file_is_refused_naming_the_step(server: MockServer) -> None:
    mapping = {"request": {"url": "/f"}, "responses": [{"status": 200}, {"bodyFileName": "nope.json"}]}
    with pytest.raises(Exception, match=r"responses\[1\]\.bodyFileName"):
        server.add_mapping(mapping)
