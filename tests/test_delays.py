"""Delays: fixed, uniform and lognormal, per stub and per step of a sequence; none blocks other requests."""

from __future__ import annotations

import asyncio
import math
import time
from typing import Any

import httpx
import pytest

from mockpit import MockServer, Response, get, lognormal_delay, stub_from_mapping, stub_to_mapping, uniform_delay
from mockpit._engine.rendering import delay_sampler
from mockpit._model import DelayDistribution

SHARED_SERVER = True


def _timed_get(client: httpx.Client, path: str) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    response = client.get(path)
    return response, time.perf_counter() - started


def test_a_fixed_delay_holds_the_response(server: MockServer, client: httpx.Client) -> None:
    server.add_mapping({"request": {"url": "/slow"}, "response": {"body": "late", "fixedDelayMilliseconds": 150}})

    response, took = _timed_get(client, "/slow")

    assert response.text == "late"
    assert took >= 0.15


def test_a_uniform_delay_stays_within_its_bounds(server: MockServer, client: httpx.Client) -> None:
    server.when(get("/u")).respond(body="ok", delay=uniform_delay(60, 120))

    took = [_timed_get(client, "/u")[1] for _ in range(4)]

    assert all(t >= 0.06 for t in took), took
    assert all(t < 0.12 + 0.1 for t in took), took


def test_a_lognormal_delay_without_spread_is_its_median(server: MockServer, client: httpx.Client) -> None:
    server.add_mapping(
        {
            "request": {"url": "/ln"},
            "response": {"status": 204, "delayDistribution": {"type": "lognormal", "median": 100, "sigma": 0}},
        }
    )

    response, took = _timed_get(client, "/ln")

    assert response.status_code == 204
    assert 0.1 <= took < 0.2


def test_lognormal_delays_have_their_median_and_respect_the_cap() -> None:
    sample = delay_sampler(DelayDistribution("lognormal", median=80, sigma=0.5))
    assert sample is not None
    draws = sorted(sample() for _ in range(4001))
    assert math.isclose(draws[2000], 0.080, rel_tol=0.08)  # half the delays are under the median
    assert draws[-1] > 0.160  # and it has a long tail

    capped = delay_sampler(DelayDistribution("lognormal", median=80, sigma=2.0, max_value=120))
    assert capped is not None
    assert max(capped() for _ in range(2000)) <= 0.120


def test_uniform_delays_cover_their_range() -> None:
    sample = delay_sampler(DelayDistribution("uniform", lower=10, upper=20))
    assert sample is not None
    draws = [sample() for _ in range(2000)]
    assert 0.010 <= min(draws) < 0.0105
    assert 0.0195 < max(draws) <= 0.020


def test_a_delayed_request_does_not_hold_up_others() -> None:
    mappings = [
        {"request": {"url": "/slow"}, "response": {"body": "slow", "fixedDelayMilliseconds": 400}},
        {"request": {"url": "/fast"}, "response": {"body": "fast"}},
    ]

    async def both(url: str) -> tuple[float, float]:
        async with httpx.AsyncClient(base_url=url) as http:
            started = time.perf_counter()

            async def timed(path: str) -> float:
                await http.get(path)
                return time.perf_counter() - started

            slow = asyncio.create_task(timed("/slow"))
            await asyncio.sleep(0.02)
            fast = await timed("/fast")
            return fast, await slow

    with MockServer(mappings=mappings) as mock:
        fast, slow = asyncio.run(both(mock.url))

    assert slow >= 0.4
    assert fast < 0.2


def test_each_step_of_a_sequence_has_its_own_delay(server: MockServer, client: httpx.Client) -> None:
    server.add_mapping(
        {
            "request": {"url": "/steps"},
            "responses": [{"status": 503, "fixedDelayMilliseconds": 150}, {"status": 200}],
        }
    )

    first, first_took = _timed_get(client, "/steps")
    second, second_took = _timed_get(client, "/steps")

    assert (first.status_code, second.status_code) == (503, 200)
    assert first_took >= 0.15
    assert second_took < 0.1


@pytest.mark.parametrize(
    "delay",
    [
        {"fixedDelayMilliseconds": 5},
        {"delayDistribution": {"type": "uniform", "lower": 1, "upper": 9}},
        {"delayDistribution": {"type": "lognormal", "median": 20.0, "sigma": 0.3}},
        {"delayDistribution": {"type": "lognormal", "median": 20.0, "sigma": 0.3, "maxValue": 50.0}},
        {"chunkedDribbleDelay": {"numberOfChunks": 3, "totalDuration": 30}},
    ],
)
def test_delays_round_trip_through_the_mapping_format(delay: dict[str, Any]) -> None:
    mapping = {"request": {"url": "/d"}, "response": {"status": 200, **delay}}
    written = stub_to_mapping(stub_from_mapping(mapping))

    assert {k: v for k, v in written["response"].items() if k != "status"} == delay


def test_the_python_api_writes_the_same_delays(server: MockServer) -> None:
    stub = server.when(get("/d")).respond(delay=lognormal_delay(90, 0.1, max_ms=200), dribble=(2, 40))
    response = stub_to_mapping(stub)["response"]

    assert response["delayDistribution"] == {"type": "lognormal", "median": 90, "sigma": 0.1, "maxValue": 200}
    assert response["chunkedDribbleDelay"] == {"numberOfChunks": 2, "totalDuration": 40}
    assert stub.response.chunked_dribble_delay == (2, 40)
    assert Response(200, dribble=(2, 0.04)).dribble == (2, 0.04)
