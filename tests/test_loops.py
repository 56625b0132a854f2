"""Loops between mockpit servers end: a proxy stub pointing at its own server, two servers proxying to
each other, and a webhook that calls the stub that fires it each stop after a few hops, with a 508
(or a webhook error) that says why, instead of forwarding for ever."""

from __future__ import annotations

import time

import httpx

from _waiting import errors_of, wait_until
from mockpit import MockServer
from mockpit._engine.hops import MAX_HOPS


def proxy_stub(target: str) -> dict[str, object]:
    return {"request": {"method": "ANY", "urlPathPattern": "/api/.*"}, "response": {"proxyBaseUrl": target}}


def test_a_proxy_stub_pointing_at_its_own_server_ends_with_508() -> None:
    with MockServer() as server:
        server.add_mapping(proxy_stub(server.url))
        started = time.monotonic()
        response = httpx.get(server.url_for("/api/users"), timeout=30)
        assert time.monotonic() - started < 10
        assert response.status_code == 508
        assert "going round in a loop" in response.text
        assert "proxyBaseUrl" in response.text
        # the first request and MAX_HOPS forwarded ones: bounded, not thousands
        assert len(server.requests()) == MAX_HOPS + 1
        # the server still answers everyone
        assert httpx.get(server.url_for("/__admin/health")).status_code == 200


def test_two_servers_proxying_to_each_other_end_with_508() -> None:
    with MockServer() as first, MockServer() as second:
        first.add_mapping(proxy_stub(second.url))
        second.add_mapping(proxy_stub(first.url))
        response = httpx.post(first.url_for("/api/orders"), json={"n": 1}, timeout=30)
        assert response.status_code == 508
        assert len(first.requests()) + len(second.requests()) == MAX_HOPS + 1


def test_a_chain_of_proxies_shorter_than_the_limit_works() -> None:
    with MockServer() as upstream, MockServer() as middle, MockServer() as front:
        upstream.add_mapping({"request": {"urlPath": "/api/x"}, "response": {"status": 200, "body": "real"}})
        middle.add_mapping(proxy_stub(upstream.url))
        front.add_mapping(proxy_stub(middle.url))
        response = httpx.get(front.url_for("/api/x"))
        assert (response.status_code, response.text) == (200, "real")
        # each hop says so, as RFC 9110's Via asks of a proxy
        assert upstream.requests()[0].request.headers.get_all("via") == ["1.1 mockpit", "1.1 mockpit"]


def test_a_webhook_calling_its_own_trigger_stops() -> None:
    with MockServer() as server:
        server.add_mapping(
            {
                "request": {"method": "POST", "urlPath": "/hook"},
                "response": {"status": 202},
                "serveEventListeners": [
                    {"name": "webhook", "parameters": {"method": "POST", "url": server.url_for("/hook"), "body": "x"}}
                ],
            }
        )
        httpx.post(server.url_for("/hook"), content=b"start")
        errors = errors_of(server)
        assert any("going round in a loop" in error for error in errors), errors
        time.sleep(0.3)  # anything still under way would show up now
        count = len(wait_until(server.requests, lambda events: len(events) >= MAX_HOPS + 1))
        assert count == MAX_HOPS + 1
