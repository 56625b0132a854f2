"""The admin API's settings, scenarios, shutdown and version endpoints, over a real socket."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

import mockpit
from _waiting import wait_until
from _wire import accepts_connections
from mockpit import MockServer

SHARED_SERVER = True
ADMIN = "/__admin"
DELAY_MS = 200


@pytest.fixture(autouse=True)
def _default_settings(client: httpx.Client) -> Iterator[None]:
    # settings survive a reset (as in WireMock), so the shared server gets its defaults back by hand
    yield
    client.post(f"{ADMIN}/settings", json={})


def _create(client: httpx.Client, mapping: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"{ADMIN}/mappings", json=mapping)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    (error,) = response.json()["errors"]
    assert isinstance(error, dict)
    return error


def _timed(client: httpx.Client, path: str) -> tuple[float, httpx.Response]:
    start = time.perf_counter()
    response = client.get(path)
    return time.perf_counter() - start, response


# --- settings ------------------------------------------------------------------------------------


def test_settings_start_empty_and_read_back_what_was_set(client: httpx.Client) -> None:
    assert client.get(f"{ADMIN}/settings").json() == {"settings": {"extended": {}, "proxyPassThrough": True}}

    response = client.post(f"{ADMIN}/settings", json={"fixedDelay": 5, "extended": {"team": "checkout"}})

    assert response.status_code == 200
    assert response.json() == {"fixedDelay": 5, "extended": {"team": "checkout"}, "proxyPassThrough": True}
    expected = {"settings": {"fixedDelay": 5, "extended": {"team": "checkout"}, "proxyPassThrough": True}}
    assert client.get(f"{ADMIN}/settings").json() == expected
    # the shape GET gives is accepted back, as WireMock accepts it; PUT is POST's twin
    assert client.put(f"{ADMIN}/settings", json={"settings": {"fixedDelay": 7}}).status_code == 200
    assert client.get(f"{ADMIN}/settings").json()["settings"]["fixedDelay"] == 7
    # settings survive a reset, as in WireMock
    client.post(f"{ADMIN}/reset")
    assert client.get(f"{ADMIN}/settings").json()["settings"]["fixedDelay"] == 7


def test_a_global_random_delay_delays_stubs_without_their_own(client: httpx.Client) -> None:
    """WireMock's ``delayDistribution`` setting (the Java client's ``setGlobalRandomDelay``)."""
    uniform = {"type": "uniform", "lower": 200, "upper": 250}
    assert client.post(f"{ADMIN}/settings", json={"delayDistribution": uniform}).status_code == 200
    assert client.get(f"{ADMIN}/settings").json()["settings"]["delayDistribution"] == uniform
    client.post(f"{ADMIN}/mappings", json={"request": {"url": "/slow"}, "response": {"status": 200}})
    own = {"request": {"url": "/own"}, "response": {"status": 200, "fixedDelayMilliseconds": 0}}
    client.post(f"{ADMIN}/mappings", json=own)
    try:
        started = time.monotonic()
        assert client.get("/slow").status_code == 200
        assert time.monotonic() - started >= 0.19
        started = time.monotonic()
        assert client.get("/own").status_code == 200
        assert time.monotonic() - started < 0.19
    finally:
        client.post(f"{ADMIN}/settings", json={})


INVALID_SETTINGS = [
    pytest.param({"fixedDelay": "500"}, "/fixedDelay", "integer", id="delay-a-string"),
    pytest.param({"fixedDelay": 2.5}, "/fixedDelay", "integer", id="delay-a-fraction"),
    pytest.param({"fixedDelay": True}, "/fixedDelay", "integer", id="delay-a-bool"),
    pytest.param({"fixedDelay": -1}, "/fixedDelay", "greater than or equal to 0", id="delay-negative"),
    pytest.param({"extended": []}, "/extended", "dictionary", id="extended-a-list"),
    pytest.param({"proxyPassThrough": "yes"}, "/proxyPassThrough", "boolean", id="pass-through-a-string"),
    pytest.param({"fixedDelai": 5}, "/fixedDelai", "unknown field", id="misspelt"),
    pytest.param(
        {"delayDistribution": {"type": "uniform", "lower": 5, "upper": 1}},
        "/delayDistribution",
        "lower (5) is greater than upper (1)",
        id="random-delay-upside-down",
    ),
    pytest.param([500], "/", "", id="not-an-object"),
]


@pytest.mark.parametrize(("payload", "pointer", "detail"), INVALID_SETTINGS)
def test_bad_settings_are_a_400_naming_the_field_and_change_nothing(
    client: httpx.Client, payload: Any, pointer: str, detail: str
) -> None:
    client.post(f"{ADMIN}/settings", json={"fixedDelay": 1})
    for method in ("POST", "PUT"):
        error = _error(client.request(method, f"{ADMIN}/settings", json=payload), 400)
        assert error["title"] == "Invalid settings"
        assert error["source"]["pointer"] == pointer
        assert detail in error["detail"]
    assert client.get(f"{ADMIN}/settings").json()["settings"]["fixedDelay"] == 1


def test_the_global_delay_slows_stub_answers_that_have_no_delay_of_their_own(client: httpx.Client) -> None:
    _create(client, {"request": {"urlPath": "/plain"}, "response": {"body": "plain"}})
    _create(client, {"request": {"urlPath": "/own"}, "response": {"body": "own", "fixedDelayMilliseconds": 0}})
    fast, _ = _timed(client, "/plain")
    assert fast < DELAY_MS / 1000

    client.post(f"{ADMIN}/settings", json={"fixedDelay": DELAY_MS})

    slow, response = _timed(client, "/plain")
    assert response.text == "plain"
    assert slow >= DELAY_MS / 1000
    own, _ = _timed(client, "/own")  # a stub's own delay, even 0, wins (as in WireMock)
    assert own < DELAY_MS / 1000
    admin, _ = _timed(client, f"{ADMIN}/health")
    assert admin < DELAY_MS / 1000

    client.post(f"{ADMIN}/settings", json={})
    again, _ = _timed(client, "/plain")
    assert again < DELAY_MS / 1000


def test_the_global_delay_never_blocks_other_requests(server: MockServer, client: httpx.Client) -> None:
    _create(client, {"request": {"urlPath": "/slow"}, "response": {"body": "slow"}})
    client.post(f"{ADMIN}/settings", json={"fixedDelay": DELAY_MS})

    # clients made first: an httpx.Client costs milliseconds to make, which is not what is measured
    clients = [httpx.Client(base_url=server.url, timeout=10) for _ in range(8)]
    try:
        start = time.perf_counter()
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda own: own.get("/slow").text, clients))
        took = time.perf_counter() - start
    finally:
        for own in clients:
            own.close()
    assert answers == ["slow"] * 8
    # eight delays served at once, not one after another (that would take 8 x DELAY_MS)
    assert took < 4 * DELAY_MS / 1000


# --- scenarios -----------------------------------------------------------------------------------

TODO = "To do list"


def _todo_stubs(client: httpx.Client) -> list[dict[str, Any]]:
    return [
        _create(
            client,
            {
                "scenarioName": TODO,
                "requiredScenarioState": "Started",
                "request": {"method": "GET", "urlPath": "/todo"},
                "response": {"body": "empty"},
            },
        ),
        _create(
            client,
            {
                "scenarioName": TODO,
                "requiredScenarioState": "Started",
                "newScenarioState": "Item added",
                "request": {"method": "POST", "urlPath": "/todo"},
                "response": {"status": 201},
            },
        ),
        _create(
            client,
            {
                "scenarioName": TODO,
                "requiredScenarioState": "Item added",
                "request": {"method": "GET", "urlPath": "/todo"},
                "response": {"body": "one item"},
            },
        ),
    ]


STATE_URL = f"{ADMIN}/scenarios/To%20do%20list/state"


def test_scenarios_are_listed_with_their_state_and_stubs(client: httpx.Client) -> None:
    stubs = _todo_stubs(client)
    assert client.get(f"{ADMIN}/scenarios").json() == {
        "scenarios": [
            {
                "id": TODO,
                "name": TODO,
                "state": "Started",
                "possibleStates": ["Started", "Item added"],
                "mappings": stubs,
            }
        ]
    }
    client.post("/todo")
    (scenario,) = client.get(f"{ADMIN}/scenarios").json()["scenarios"]
    assert scenario["state"] == "Item added"


def test_a_scenario_state_is_set_reset_and_reset_all(client: httpx.Client) -> None:
    _todo_stubs(client)
    assert client.get("/todo").text == "empty"

    assert client.put(STATE_URL, json={"state": "Item added"}).status_code == 200
    assert client.get("/todo").text == "one item"

    assert client.put(STATE_URL).status_code == 200  # an empty body: back to Started, as WireMock
    assert client.get("/todo").text == "empty"

    client.post("/todo")
    assert client.get("/todo").text == "one item"
    assert client.post(f"{ADMIN}/scenarios/reset").status_code == 200
    assert client.get("/todo").text == "empty"


@pytest.mark.parametrize(
    ("url", "payload", "status", "pointer"),
    [
        (STATE_URL, {"state": "Nowhere"}, 400, "/state"),
        (STATE_URL, {"state": 5}, 400, "/state"),
        (STATE_URL, {"state": ""}, 400, "/state"),
        (STATE_URL, {"stat": "Item added"}, 400, "/stat"),
        (f"{ADMIN}/scenarios/no-such-scenario/state", {"state": "Started"}, 404, None),
    ],
)
def test_a_bad_scenario_state_request_changes_nothing(
    client: httpx.Client, url: str, payload: dict[str, Any], status: int, pointer: str | None
) -> None:
    _todo_stubs(client)
    error = _error(client.put(url, json=payload), status)
    if pointer is not None:
        assert error["source"]["pointer"] == pointer
    else:
        assert "no-such-scenario" in error["detail"]
    assert client.get(f"{ADMIN}/scenarios").json()["scenarios"][0]["state"] == "Started"


# --- the server ----------------------------------------------------------------------------------


def test_version_and_health_name_mockpits_version(client: httpx.Client) -> None:
    assert client.get(f"{ADMIN}/version").json() == {"version": mockpit.__version__}
    assert client.get(f"{ADMIN}/health").json()["version"] == mockpit.__version__


def test_reset_restores_stubs_empties_the_journal_and_restarts_scenarios(client: httpx.Client) -> None:
    _todo_stubs(client)
    client.post("/todo")
    assert client.post(f"{ADMIN}/reset").status_code == 200
    assert client.get(f"{ADMIN}/mappings").json()["meta"]["total"] == 0
    assert client.get(f"{ADMIN}/requests").json()["meta"]["total"] == 0
    assert client.get(f"{ADMIN}/scenarios").json() == {"scenarios": []}


def test_shutdown_stops_a_mock_server_which_can_start_again() -> None:
    server = MockServer()
    server.start()
    try:
        url = server.url
        response = httpx.post(f"{url}{ADMIN}/shutdown", timeout=10)
        assert (response.status_code, response.json()) == (200, {})
        assert wait_until(lambda: not server.is_running)
        assert not accepts_connections(url)

        server.start()
        assert httpx.get(f"{server.url}{ADMIN}/health", timeout=10).status_code == 200
    finally:
        server.stop()
