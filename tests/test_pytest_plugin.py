"""The pytest plugin, run the way users run it: test files in a pytester sandbox, loaded via pytest11.

The sandbox's test files run in one inner session (each session costs pytest's and the plugins' start-up):
every test here checks the outcomes of its own inner tests and the part of the report about them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from _inner import Report, run

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

#: the sandbox: file path -> content (test and module names unique: see Report.of_files)
SANDBOX: dict[str, str] = {
    "test_sandbox_stub.py": """
        import httpx
        from mockpit import MockServer, get

        def test_stub(mockpit):
            assert isinstance(mockpit, MockServer)
            assert mockpit.is_running
            mockpit.when(get("/users/1")).respond(json={"id": 1})
            assert httpx.get(mockpit.url_for("/users/1")).json() == {"id": 1}
            mockpit.verify(get("/users/1"), count=1)
        """,
    "test_sandbox_session.py": """
        import httpx
        import pytest
        from mockpit import get

        seen = {}

        def test_first(mockpit):
            seen["url"] = mockpit.url
            seen["server"] = mockpit
            mockpit.when(get("/first")).respond(body="first")
            assert httpx.get(mockpit.url_for("/first")).text == "first"

        @pytest.mark.mockpit(allow_unmatched=True)
        def test_second(mockpit):
            assert mockpit.url == seen["url"]
            assert mockpit is seen["server"]
            assert mockpit.stubs == []
            assert mockpit.requests() == []
            assert httpx.get(mockpit.url_for("/first")).status_code == 404
        """,
    "test_sandbox_unmatched.py": """
        import httpx
        from mockpit import post

        def test_sends_the_wrong_thing(mockpit):
            mockpit.when(post("/orders").json({"item": "book"})).respond(201)
            answer = httpx.post(mockpit.url_for("/orders"), json={"item": "boot"})
            # the code under test may well swallow the 404; the plugin still catches the miss
            assert answer.status_code in (201, 404)
        """,
    "test_sandbox_allowed.py": """
        import httpx
        import pytest

        @pytest.mark.mockpit(allow_unmatched=True)
        def test_expects_a_404(mockpit):
            assert httpx.get(mockpit.url_for("/missing")).status_code == 404
            assert len(mockpit.unmatched) == 1
        """,
    "test_sandbox_own_failure.py": """
        import httpx

        def test_fails_itself(mockpit):
            httpx.get(mockpit.url_for("/missing"))
            assert 1 + 1 == 3, "the test's own assertion"
        """,
    "test_sandbox_raise_for_status.py": """
        import httpx
        from mockpit import post

        def test_creates_a_user(mockpit):
            mockpit.when(post("/users").json({"name": "Ada"})).respond(201)
            httpx.post(mockpit.url_for("/users"), json={"name": "Bob"}).raise_for_status()

        def test_a_factory_servers_misses_too(mockpit_factory):
            billing = mockpit_factory()
            response = httpx.get(billing.url_for("/invoices/7"))
            assert response.status_code == 200
        """,
    "test_sandbox_handler_raises.py": """
        import httpx
        from mockpit import get

        def price_handler(request):
            return {"price": 10 / int(request.query["qty"][0])}

        def test_uses_a_handler(mockpit):
            mockpit.when(get("/price")).respond_with(price_handler)
            answer = httpx.get(mockpit.url_for("/price"), params={"qty": "0"})
            assert answer.status_code == 500
        """,
    "test_sandbox_factory.py": """
        import socket
        import httpx
        from mockpit import get

        made = []

        def test_two_servers(mockpit_factory, mockpit):
            users = mockpit_factory()
            billing = mockpit_factory(mappings={"request": {"urlPath": "/invoices"}, "response": {"body": "[]"}})
            made.extend([users, billing])
            assert len({users.url, billing.url, mockpit.url}) == 3
            users.when(get("/me")).respond(json={"name": "Ada"})
            assert httpx.get(users.url_for("/me")).json() == {"name": "Ada"}
            assert httpx.get(billing.url_for("/invoices")).text == "[]"
            assert billing.stubs[0].request.url.value == "/invoices"
            assert len(users.stubs) == 1
            assert mockpit.stubs == []
            assert users.requests()[0].request.path == "/me"
            assert billing.requests()[0].request.path == "/invoices"

        def test_they_were_stopped():
            assert len(made) == 2
            for server in made:
                assert not server.is_running
                port = int(server.url.rsplit(":", 1)[1])
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=2).close()
                except OSError:
                    continue
                raise AssertionError(f"{server.url} still accepts connections")

        def test_a_miss_on_a_factory_server_fails_the_test(mockpit_factory):
            other = mockpit_factory()
            httpx.get(other.url_for("/nothing-here"))
        """,
    "test_sandbox_factory_signature.py": """
        import httpx
        from mockpit import MockServerFactory

        def test_positional_and_keyword(mockpit_factory: MockServerFactory):
            server = mockpit_factory("127.0.0.1", 0, {"request": {"urlPath": "/p"}, "response": {"body": "p"}}, seed=1)
            assert httpx.get(server.url_for("/p")).text == "p"
        """,
    # a conftest of its own folder: the tests elsewhere keep the plugin's server
    "overridden/conftest.py": f"""
        import pytest
        from mockpit import MockServer

        @pytest.fixture(scope="session")
        def mockpit_server():
            with MockServer(mappings={str(EXAMPLES)!r}) as server:
                yield server
        """,
    "overridden/test_sandbox_overridden.py": """
        import httpx
        from mockpit import get

        def test_mappings_are_loaded(mockpit):
            assert httpx.get(mockpit.url_for("/hello")).json() == {"message": "hello"}
            mockpit.when(get("/extra")).respond(body="extra")
            assert len(mockpit.stubs) == 8

        def test_reset_keeps_the_mappings_and_drops_the_extra(mockpit):
            assert len(mockpit.stubs) == 7
            assert mockpit.requests() == []
            assert httpx.get(mockpit.url_for("/users/3")).json()["name"] == "Ada Lovelace"
        """,
    "test_sandbox_no_mockpit.py": """
        import httpx
        from mockpit import MockServer

        def test_own_server():
            with MockServer() as server:
                assert httpx.get(server.url_for("/unmatched")).status_code == 404
        """,
    "test_sandbox_diff.py": """
        import httpx
        from mockpit import post

        def test_sends_the_wrong_tenant(mockpit):
            orders = post("/orders").header("X-Tenant", "acme").json({"sku": "A-1"})
            mockpit.when(orders, name="create order").respond(201)
            httpx.post(mockpit.url_for("/orders"), json={"sku": "A-1"}, headers={"X-Tenant": "globex"})
        """,
    "test_sandbox_scenario_state.py": """
        import httpx
        from mockpit import get, post

        def test_skips_paying(mockpit):
            mockpit.when(post("/pay")).in_scenario("checkout", new_state="Paid").respond(200)
            mockpit.when(get("/receipt"), name="receipt").in_scenario("checkout", "Paid").respond(json={})
            assert httpx.get(mockpit.url_for("/receipt")).status_code == 404
        """,
    "test_sandbox_scenario_afresh.py": """
        import httpx
        import pytest
        from mockpit import get

        @pytest.mark.parametrize("run", [1, 2])
        def test_a_scenario_per_test(mockpit, run):
            mockpit.when(get("/once")).in_scenario("once", new_state="used").respond(body="first")
            mockpit.when(get("/once")).in_scenario("once", "used").respond(body="again")
            assert [httpx.get(mockpit.url_for("/once")).text for _ in range(2)] == ["first", "again"]
        """,
}


@pytest.fixture(scope="module")
def _reports() -> dict[str, Report]:
    return {}


@pytest.fixture
def report(pytester: pytest.Pytester, _reports: dict[str, Report]) -> Report:
    """The inner session of the whole sandbox, run by the first test that asks (pytester is per test)."""
    if "sandbox" not in _reports:
        _reports["sandbox"] = Report.of_files(pytester, SANDBOX, "-p", "no:randomly", "--strict-markers")
    return _reports["sandbox"]


def test_the_mockpit_fixture_serves_a_stub(report: Report) -> None:
    assert report.outcomes("test_sandbox_stub.py") == {"test_stub": ["PASSED"]}


def test_one_server_per_session_reset_between_tests(report: Report) -> None:
    assert report.outcomes("test_sandbox_session.py") == {"test_first": ["PASSED"], "test_second": ["PASSED"]}


def test_an_unmatched_request_fails_the_test_with_the_near_miss_report(report: Report) -> None:
    assert report.outcomes("test_sandbox_unmatched.py") == {"test_sends_the_wrong_thing": ["FAILED"]}
    about = report.about("test_sends_the_wrong_thing")
    about.fnmatch_lines(
        [
            "*1 request(s) matched no stub*",
            "*POST /orders*",
            "*Closest stubs:*",
            '*! body*| equalToJson {"item":"book"} | {"item":"boot"}',
        ]
    )
    about.no_fnmatch_line("*During handling of the above exception*")


def test_allow_unmatched_lets_the_test_pass(report: Report) -> None:
    # the session runs with --strict-markers: the marker is registered
    assert report.outcomes("test_sandbox_allowed.py") == {"test_expects_a_404": ["PASSED"]}


def test_the_tests_own_failure_comes_first_then_what_the_server_saw(report: Report) -> None:
    # the usual failure: the test's own assert (assert 404 == 201); the near-miss report says why
    assert report.outcomes("test_sandbox_own_failure.py") == {"test_fails_itself": ["FAILED"]}
    about = report.about("test_fails_itself")
    about.fnmatch_lines(
        [
            "*the test's own assertion*",
            "*mockpit: what the mock server saw*",
            "*1 request(s) matched no stub*",
            "*GET /missing*",
        ]
    )


def test_raise_for_status_failures_carry_the_near_miss_report(report: Report) -> None:
    assert report.outcomes("test_sandbox_raise_for_status.py") == {
        "test_creates_a_user": ["FAILED"],
        "test_a_factory_servers_misses_too": ["FAILED"],
    }
    about = report.about("test_creates_a_user")
    about.fnmatch_lines(
        ["*HTTPStatusError*404*", "*mockpit: what the mock server saw*", "*POST /users*", '*"name"*Ada*Bob*']
    )
    report.about("test_a_factory_servers_misses_too").fnmatch_lines(
        ["*assert 404 == 200*", "*mockpit: what the mock server saw*", "*GET /invoices/7*"]
    )


def test_the_report_is_not_repeated_when_the_plugin_failed_the_test(report: Report) -> None:
    about = report.about("test_sends_the_wrong_thing")
    assert sum("what the mock server saw" in line for line in about.lines) == 0


def test_a_handler_that_raises_fails_the_test_with_the_server_side_traceback(report: Report) -> None:
    assert report.outcomes("test_sandbox_handler_raises.py") == {"test_uses_a_handler": ["FAILED"]}
    about = report.about("test_uses_a_handler")
    about.fnmatch_lines(
        [
            "*raised ZeroDivisionError: division by zero*",
            "*Server-side traceback:*",
            "*in price_handler*",
            '*return {"price": 10 / int(request.query*',  # the handler's line, from the server thread
            "ZeroDivisionError: division by zero",
        ]
    )
    about.no_fnmatch_line("*During handling of the above exception*")


def test_mockpit_factory_makes_independent_servers_stopped_after_the_test(report: Report) -> None:
    assert report.outcomes("test_sandbox_factory.py") == {
        "test_two_servers": ["PASSED"],
        "test_they_were_stopped": ["PASSED"],
        "test_a_miss_on_a_factory_server_fails_the_test": ["FAILED"],
    }
    report.about("test_a_miss_on_a_factory_server_fails_the_test").fnmatch_lines(
        ["*test_a_miss_on_a_factory_server_fails_the_test*", "*GET /nothing-here*"]
    )


def test_mockpit_factory_takes_mock_servers_parameters_as_mock_server_does(report: Report) -> None:
    assert report.outcomes("test_sandbox_factory_signature.py") == {"test_positional_and_keyword": ["PASSED"]}


def test_mockpit_server_can_be_overridden_in_a_conftest(report: Report) -> None:
    assert report.outcomes("overridden/test_sandbox_overridden.py") == {
        "test_mappings_are_loaded": ["PASSED"],
        "test_reset_keeps_the_mappings_and_drops_the_extra": ["PASSED"],
    }


def test_the_marker_is_registered(pytester: pytest.Pytester) -> None:
    result = run(pytester, "--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.mockpit(allow_unmatched=False)*"])


def test_the_plugin_leaves_tests_without_mockpit_alone(report: Report) -> None:
    assert report.outcomes("test_sandbox_no_mockpit.py") == {"test_own_server": ["PASSED"]}


def test_the_failure_report_shows_each_near_miss_as_a_side_by_side_diff(report: Report) -> None:
    assert report.outcomes("test_sandbox_diff.py") == {"test_sends_the_wrong_tenant": ["FAILED"]}
    report.about("test_sends_the_wrong_tenant").fnmatch_lines(
        [
            "*1 request(s) matched no stub*",
            "Closest stubs:",
            '1. "create order" (*)  distance 0.*',
            "     field *| expected (stub) *| actual (request)",
            "     ---*-+-*-+-*",
            "     method *| POST *| POST",
            "     urlPath *| /orders *| /orders",
            "   ! header X-Tenant | equalTo 'acme' *| globex",
            '     body *| equalToJson {"sku":"A-1"} | {"sku":"A-1"}',
        ]
    )
    assert not [line for line in report.lines if "\x1b" in line]  # no colour codes anywhere in the report


def test_the_failure_report_says_when_a_scenario_was_in_another_state(report: Report) -> None:
    assert report.outcomes("test_sandbox_scenario_state.py") == {"test_skips_paying": ["FAILED"]}
    report.about("test_skips_paying").fnmatch_lines(
        [
            '1. "receipt" (*)  distance 0.*',
            "     method *| GET *| GET",
            "     urlPath *| /receipt *| /receipt",
            "   ! scenario state | Paid (scenario 'checkout') | Started",
        ]
    )


def test_scenarios_start_afresh_in_each_test(report: Report) -> None:
    assert report.outcomes("test_sandbox_scenario_afresh.py") == {
        "test_a_scenario_per_test[1]": ["PASSED"],
        "test_a_scenario_per_test[2]": ["PASSED"],
    }
