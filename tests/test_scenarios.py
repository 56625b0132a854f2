"""Stateful scenarios, as WireMock's "Stateful Behaviour" defines them, driven through real requests."""

from __future__ import annotations

import asyncio
import json
import sys
import threading
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mockpit import MappingError, MockServer, Request, Stub, get, post, stub_from_mapping, stub_to_mapping
from mockpit._engine.index import StubIndex
from mockpit._server import internals

SHARED_SERVER = True
ADMIN = "/__admin"


def stub(
    body: str,
    scenario: str | None = "flow",
    required: str | None = None,
    new: str | None = None,
    *,
    method: str = "GET",
    url: str = "/state",
    **extra: Any,
) -> dict[str, Any]:
    mapping: dict[str, Any] = {"request": {"method": method, "urlPath": url}, "response": {"body": body}, **extra}
    for key, value in (("scenarioName", scenario), ("requiredScenarioState", required), ("newScenarioState", new)):
        if value is not None:
            mapping[key] = value
    return mapping


def states(server: MockServer) -> dict[str, str]:
    return {s.name: s.state for s in server.scenarios()}


# --- the state machine ---------------------------------------------------------------------------


def test_the_to_do_list_example_of_wiremocks_docs(server: MockServer, client: httpx.Client) -> None:
    server.add_mapping(
        {
            "scenarioName": "To do list",
            "requiredScenarioState": "Started",
            "request": {"method": "GET", "url": "/todo/items"},
            "response": {"status": 200, "body": "<items><item>Buy milk</item></items>"},
        }
    )
    server.add_mapping(
        {
            "scenarioName": "To do list",
            "requiredScenarioState": "Started",
            "newScenarioState": "Cancel newspaper item added",
            "request": {
                "method": "POST",
                "url": "/todo/items",
                "bodyPatterns": [{"contains": "Cancel newspaper subscription"}],
            },
            "response": {"status": 201},
        }
    )
    server.add_mapping(
        {
            "scenarioName": "To do list",
            "requiredScenarioState": "Cancel newspaper item added",
            "request": {"method": "GET", "url": "/todo/items"},
            "response": {
                "status": 200,
                "body": "<items><item>Buy milk</item><item>Cancel newspaper subscription</item></items>",
            },
        }
    )

    assert client.get("/todo/items").text == "<items><item>Buy milk</item></items>"
    assert states(server) == {"To do list": "Started"}
    assert client.post("/todo/items", content="Cancel newspaper subscription").status_code == 201
    assert states(server) == {"To do list": "Cancel newspaper item added"}
    for _ in range(2):  # the last stub sets no new state: it keeps answering
        assert "Cancel newspaper subscription" in client.get("/todo/items").text
    # the POST required Started: in the new state it matches nothing
    assert client.post("/todo/items", content="Cancel newspaper subscription").status_code == 404


def test_a_chain_of_states_answers_each_step_once_then_holds(server: MockServer, client: httpx.Client) -> None:
    server.add_mapping(stub("first", required="Started", new="two"))
    server.add_mapping(stub("second", required="two", new="three"))
    server.add_mapping(stub("third", required="three"))

    assert [client.get("/state").text for _ in range(4)] == ["first", "second", "third", "third"]


def test_a_stub_matches_only_in_its_required_state(server: MockServer, client: httpx.Client) -> None:
    server.add_mapping(stub("later", required="later"))
    assert client.get("/state").status_code == 404
    server.set_scenario_state("flow", "later")
    assert client.get("/state").text == "later"


def test_a_stub_in_a_scenario_without_a_required_state_matches_in_any_state_and_moves_it(
    server: MockServer, client: httpx.Client
) -> None:
    server.add_mapping(stub("go", url="/go", new="moved"))
    server.add_mapping(stub("in moved", url="/check", required="moved"))

    assert client.get("/check").status_code == 404
    assert client.get("/go").text == "go"
    assert client.get("/check").text == "in moved"
    assert client.get("/go").text == "go"  # in "moved" too
    assert states(server) == {"flow": "moved"}


def test_only_the_stub_that_answers_moves_the_scenario(server: MockServer, client: httpx.Client) -> None:
    # a request that fits the stub's URL but not its header is not answered by it: no transition
    server.add_mapping(
        stub(
            "with token",
            new="authorised",
            request={"method": "GET", "urlPath": "/state", "headers": {"X-Token": {"equalTo": "t"}}},
        )
    )
    assert client.get("/state").status_code == 404
    assert states(server) == {"flow": "Started"}
    assert client.get("/state", headers={"X-Token": "t"}).text == "with token"
    assert states(server) == {"flow": "authorised"}


def test_a_stub_in_the_wrong_state_lets_the_next_candidate_answer(server: MockServer, client: httpx.Client) -> None:
    server.add_mapping(stub("fallback", scenario=None, priority=9))
    server.add_mapping(stub("once", required="Started", new="done", priority=1))

    assert [client.get("/state").text for _ in range(3)] == ["once", "fallback", "fallback"]


def test_scenarios_are_independent(server: MockServer, client: httpx.Client) -> None:
    server.add_mapping(stub("a1", scenario="a", url="/a", required="Started", new="a2"))
    server.add_mapping(stub("a2", scenario="a", url="/a", required="a2"))
    server.add_mapping(stub("b1", scenario="b", url="/b", required="Started", new="b2"))
    server.add_mapping(stub("b2", scenario="b", url="/b", required="b2"))

    assert [client.get("/a").text, client.get("/a").text, client.get("/b").text] == ["a1", "a2", "b1"]
    assert states(server) == {"a": "a2", "b": "b2"}


def test_a_handler_stub_moves_the_scenario_too(server: MockServer, client: httpx.Client) -> None:
    server.when(get("/calls")).in_scenario("calls", new_state="called").respond_with(lambda request: "first call")
    server.when(get("/calls")).in_scenario("calls", "called").respond_with(lambda request: "called before")
    assert [client.get("/calls").text for _ in range(2)] == ["first call", "called before"]


# --- the Python API ------------------------------------------------------------------------------


def test_in_scenario_builds_the_wiremock_fields(server: MockServer, client: httpx.Client) -> None:
    started = server.when(get("/s")).in_scenario("s").respond(body="started")
    moving = server.when(post("/s")).in_scenario("s", new_state="next").respond(201)
    anywhere = server.when(get("/any")).in_scenario("s", state=None).respond(body="any")

    assert (started.scenario_name, started.required_scenario_state, started.new_scenario_state) == (
        "s",
        "Started",
        None,
    )
    assert (moving.required_scenario_state, moving.new_scenario_state) == ("Started", "next")
    assert (anywhere.required_scenario_state, anywhere.new_scenario_state) == (None, None)
    assert client.get("/s").text == "started"
    assert client.post("/s").status_code == 201
    assert client.get("/s").status_code == 404
    assert client.get("/any").text == "any"


def test_scenarios_lists_each_with_its_state_possible_states_and_stubs(
    server: MockServer, client: httpx.Client
) -> None:
    first = server.add_mapping(stub("1", required="Started", new="two"))
    second = server.add_mapping(stub("2", required="two", new="three"))
    other = server.add_mapping(stub("x", scenario="other", url="/other"))
    server.add_mapping(stub("no scenario", scenario=None, url="/plain"))
    client.get("/state")

    flow, other_scenario = server.scenarios()

    assert (flow.id, flow.name, flow.state) == ("flow", "flow", "two")
    assert flow.possible_states == ["Started", "two", "three"]
    assert flow.mappings == [first.id, second.id]
    assert (other_scenario.name, other_scenario.state, other_scenario.possible_states) == ("other", "Started", [])
    assert other_scenario.mappings == [other.id]


def test_set_scenario_state(server: MockServer, client: httpx.Client) -> None:
    server.add_mapping(stub("one", required="Started", new="two"))
    server.add_mapping(stub("two", required="two"))

    server.set_scenario_state("flow", "two")
    assert client.get("/state").text == "two"
    server.set_scenario_state("flow", "Started")
    assert client.get("/state").text == "one"

    with pytest.raises(KeyError, match="no scenario named 'nope'; scenarios: 'flow'"):
        server.set_scenario_state("nope", "two")
    with pytest.raises(ValueError, match="no stub of scenario 'flow' requires or sets state 'three'"):
        server.set_scenario_state("flow", "three")
    assert states(server) == {"flow": "two"}


def test_started_can_always_be_set_even_if_no_stub_names_it(server: MockServer, client: httpx.Client) -> None:
    server.add_mapping(stub("go", new="gone"))
    client.get("/state")
    assert states(server) == {"flow": "gone"}
    server.set_scenario_state("flow", "Started")
    assert states(server) == {"flow": "Started"}


def test_reset_scenarios_keeps_the_stubs_and_the_journal(server: MockServer, client: httpx.Client) -> None:
    server.add_mapping(stub("one", required="Started", new="two"))
    server.add_mapping(stub("two", required="two"))
    client.get("/state")

    server.reset_scenarios()

    assert states(server) == {"flow": "Started"}
    assert len(server.stubs) == 2
    assert len(server.requests()) == 1
    assert client.get("/state").text == "one"


@pytest.mark.parametrize(
    "how",
    [
        pytest.param(lambda server, client: server.reset(), id="MockServer.reset"),
        pytest.param(lambda server, client: internals(server).engine.reset(), id="Engine.reset"),
        pytest.param(lambda server, client: server.reset_scenarios(), id="reset_scenarios"),
        pytest.param(lambda server, client: client.post(f"{ADMIN}/reset").raise_for_status(), id="admin-reset"),
    ],
)
def test_every_reset_returns_loaded_scenarios_to_started(tmp_path: Path, how: Any) -> None:
    (tmp_path / "mappings").mkdir()
    (tmp_path / "mappings" / "flow.json").write_text(
        json.dumps({"mappings": [stub("one", required="Started", new="two"), stub("two", required="two")]})
    )
    with MockServer(mappings=tmp_path) as server, httpx.Client(base_url=server.url) as client:
        assert [client.get("/state").text for _ in range(2)] == ["one", "two"]
        how(server, client)
        assert states(server) == {"flow": "Started"}
        assert [client.get("/state").text for _ in range(2)] == ["one", "two"]


# --- a scenario lives as long as a stub names it ---------------------------------------------------


def test_a_scenario_exists_while_any_stub_names_it(server: MockServer, client: httpx.Client) -> None:
    one = server.add_mapping(stub("one", new="two"))
    two = server.add_mapping(stub("two", url="/two", required="two"))
    client.get("/state")

    server.remove(one)
    assert states(server) == {"flow": "two"}  # still named by the other stub: its state stays
    server.remove(two)
    assert server.scenarios() == []

    server.add_mapping(stub("two", url="/two", required="two"))
    assert states(server) == {"flow": "Started"}  # a new scenario of the same name starts afresh
    assert client.get("/two").status_code == 404


def test_a_stub_replaced_under_its_id_keeps_its_scenarios_state(server: MockServer, client: httpx.Client) -> None:
    only = server.add_mapping(stub("v1", new="moved"))
    client.get("/state")
    assert states(server) == {"flow": "moved"}

    response = client.put(f"{ADMIN}/mappings/{only.id}", json=stub("v2", required="moved"))
    assert response.status_code == 200, response.text

    assert states(server) == {"flow": "moved"}
    assert client.get("/state").text == "v2"


def test_a_stub_moved_to_another_scenario_leaves_the_old_one(server: MockServer, client: httpx.Client) -> None:
    moving = server.add_mapping(stub("a", scenario="a"))
    server.add_stub(stub_from_mapping(stub("b", scenario="b"), stub_id=moving.id))
    assert states(server) == {"b": "Started"}


def test_adding_the_same_stub_object_again_keeps_it_in_its_scenario(server: MockServer, client: httpx.Client) -> None:
    added = server.add_mapping(stub("again", new="moved"))
    client.get("/state")
    server.add_stub(added)
    assert states(server) == {"flow": "moved"}
    server.set_scenario_state("flow", "Started")
    assert client.get("/state").text == "again"
    assert states(server) == {"flow": "moved"}


# --- the mapping format --------------------------------------------------------------------------


def test_the_admin_api_round_trips_the_scenario_fields(server: MockServer, client: httpx.Client) -> None:
    mapping = stub("x", required="Started", new="next")
    created = client.post(f"{ADMIN}/mappings", json=mapping)
    assert created.status_code == 201, created.text
    stub_id = created.json()["id"]

    fetched = client.get(f"{ADMIN}/mappings/{stub_id}").json()

    assert (fetched["scenarioName"], fetched["requiredScenarioState"], fetched["newScenarioState"]) == (
        "flow",
        "Started",
        "next",
    )
    assert client.get("/state").text == "x"
    assert states(server) == {"flow": "next"}


@pytest.mark.parametrize(
    "fields",
    [
        {"scenarioName": "s"},
        {"scenarioName": "s", "requiredScenarioState": "Started"},
        {"scenarioName": "s", "newScenarioState": "n"},
        {"scenarioName": "s", "requiredScenarioState": "a", "newScenarioState": "b"},
    ],
)
def test_stub_to_mapping_and_back_keeps_the_scenario(fields: dict[str, str]) -> None:
    original = stub_from_mapping({"request": {"urlPath": "/x"}, **fields})
    mapping = stub_to_mapping(original)
    assert {k: v for k, v in mapping.items() if "cenario" in k} == fields
    assert stub_from_mapping(mapping) == original


@pytest.mark.parametrize(
    ("fields", "pointer", "message"),
    [
        ({"requiredScenarioState": "Started"}, "/requiredScenarioState", "needs a scenarioName"),
        ({"newScenarioState": "next"}, "/newScenarioState", "needs a scenarioName"),
        ({"scenarioName": ""}, "/scenarioName", "at least 1 character"),
        ({"scenarioName": 7}, "/scenarioName", "valid string"),
        ({"scenarioName": "s", "requiredScenarioState": ""}, "/requiredScenarioState", "at least 1 character"),
    ],
)
def test_a_bad_scenario_field_is_refused_naming_it(
    server: MockServer, client: httpx.Client, fields: dict[str, Any], pointer: str, message: str
) -> None:
    response = client.post(f"{ADMIN}/mappings", json={"request": {"urlPath": "/x"}, **fields})
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["source"]["pointer"] == pointer
    assert message in error["detail"]
    assert server.stubs == []
    assert server.scenarios() == []
    with pytest.raises(MappingError, match=message):
        server.add_mapping({"request": {"urlPath": "/x"}, **fields})


def test_a_stub_made_in_python_needs_a_scenario_name_for_a_state() -> None:
    with pytest.raises(ValueError, match="needs a scenario_name"):
        Stub(required_scenario_state="Started")


def test_scenarios_from_mapping_files_in_json_and_yaml(tmp_path: Path) -> None:
    mappings = tmp_path / "mappings"
    mappings.mkdir()
    (mappings / "light.yaml").write_text(
        "mappings:\n"
        + "".join(
            f"  - scenarioName: Traffic light\n"
            f"    requiredScenarioState: {state}\n"
            f"    newScenarioState: {following}\n"
            f"    request: {{method: GET, urlPath: /light}}\n"
            f"    response: {{body: {state.lower()}}}\n"
            for state, following in (("Started", "Amber"), ("Amber", "Red"), ("Red", "Started"))
        )
    )
    (mappings / "door.json").write_text(json.dumps(stub("open", scenario="Door", url="/door", new="Open")))
    with MockServer(mappings=tmp_path) as server, httpx.Client(base_url=server.url) as client:
        assert [client.get("/light").text for _ in range(4)] == ["started", "amber", "red", "started"]
        assert client.get("/door").text == "open"
        assert states(server) == {"Traffic light": "Amber", "Door": "Open"}


# --- concurrency ---------------------------------------------------------------------------------

STEPS = 20
REQUESTS = 60


def _chain(server: MockServer) -> None:
    """STEPS stubs, each answering once (its state) and moving the scenario on; then a fallback.

    Each answers after a delay: requests overlap in the server, and a transition taken only once the
    response is ready (after an await) would let several requests through on the same state.
    """
    server.add_mapping(stub("other", scenario=None, priority=9))
    for i in range(STEPS):
        mapping = stub(str(i), required="Started" if i == 0 else f"s{i}", new=f"s{i + 1}")
        mapping["response"]["fixedDelayMilliseconds"] = 5
        server.add_mapping(mapping)


def _assert_each_step_answered_once(answers: list[str]) -> None:
    counted = Counter(answers)
    assert counted.pop("other") == REQUESTS - STEPS
    assert counted == Counter(str(i) for i in range(STEPS))


def test_concurrent_requests_from_threads_take_each_transition_once(server: MockServer) -> None:
    _chain(server)
    start = threading.Barrier(12)
    answers: list[str] = []

    def send(n: int) -> None:
        start.wait()
        for _ in range(n):
            with urllib.request.urlopen(server.url_for("/state"), timeout=10) as response:
                answers.append(response.read().decode())

    threads = [threading.Thread(target=send, args=(REQUESTS // 12,)) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    _assert_each_step_answered_once(answers)
    assert states(server) == {"flow": f"s{STEPS}"}


def test_concurrent_async_requests_take_each_transition_once(server: MockServer) -> None:
    _chain(server)

    async def send_all() -> list[str]:
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
            responses = await asyncio.gather(*(http.get("/state") for _ in range(REQUESTS)))
        return [r.text for r in responses]

    _assert_each_step_answered_once(asyncio.run(send_all()))


@pytest.fixture
def fast_thread_switching() -> Iterator[None]:
    # switch threads as often as the interpreter can: a check-then-set without the lock would interleave
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


@pytest.mark.usefixtures("fast_thread_switching")
def test_the_state_check_and_the_transition_are_one_step_for_python_threads() -> None:
    """Threads calling the index directly (as a test thread may): no transition is ever taken twice."""
    index: StubIndex[None] = StubIndex()
    steps = 300
    for i in range(steps):
        index.add(stub_from_mapping(stub(str(i), required="Started" if i == 0 else f"s{i}", new=f"s{i + 1}")), None)
    request = Request("GET", "/state")
    served: list[str] = []
    start = threading.Barrier(8)

    def hammer() -> None:
        start.wait()
        while True:
            found = index.find(request)
            if found is None:
                return
            served.append(found[0].stub.response.body or "")

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(served, key=int) == [str(i) for i in range(steps)]
    assert index.scenarios.state("flow") == f"s{steps}"
