"""The pytest plugin (entry point ``pytest11``): ``mockpit`` and ``mockpit_factory`` fixtures.

One server serves the whole session and is reset before each test. After the test body, anything
that went wrong inside the server thread (a handler that raised) or a request that matched no stub
fails the test, with the traceback or the near-miss report. Mark a test
``@pytest.mark.mockpit(allow_unmatched=True)`` when unmatched requests are what it is about.

The ``mockpit_openapi`` ini option lists OpenAPI documents the session's server serves (they come back
after every reset); ``mockpit_factory(openapi="api.yaml", seed=3)`` makes a server of its own.

Record and playback: a test marked ``@pytest.mark.mockpit_record("tests/cassettes/users",
target="https://api.example.com")`` gets from ``mockpit_cassette`` a server that, the first time,
forwards every request to ``target`` and, once the test has passed, writes what it got to the cassette
folder as mapping files; later runs serve the folder, with no network. Being a real server, it covers
code in other processes and languages too. ``--mockpit-record=none|new|all`` says when to record.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from ._recording.cassettes import MARKER_SIGNATURE, PROXY_PRIORITY, RECORD_MODES, Cassette, CassetteError

if TYPE_CHECKING:
    from ._server import MockServer, MockServerFactory

_SERVERS = pytest.StashKey[list["MockServer"]]()
_CASSETTE = pytest.StashKey[Cassette]()
#: the plugin itself failed the test with its servers' report: no need to add it again
_REPORTED = pytest.StashKey[bool]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "mockpit_openapi",
        type="paths",
        default=[],
        help="OpenAPI documents the session's mockpit server serves (one per line, relative to the ini file)",
    )
    parser.addini("mockpit_admin", type="bool", default=True, help="Serve the admin API at /__admin (default: true)")
    parser.addini("mockpit_admin_token", default="", help="The token admin calls must send (Authorization: Bearer)")
    parser.addini("mockpit_admin_hosts", type="linelist", default=[], help="More Host names admin calls may use")
    parser.addini("mockpit_admin_origins", type="linelist", default=[], help="Web origins allowed to change things")
    parser.addini(
        "mockpit_show_credentials",
        type="bool",
        default=False,
        help="Show credentials of journaled requests in the admin API (default: masked)",
    )
    parser.addini(
        "mockpit_store",
        default="",
        help="A Redis the session's server shares stubs, journal and scenarios on (redis://host:port/db; "
        "docs/fleets.md)",
    )
    parser.addini("mockpit_namespace", default="mockpit", help="The key prefix of mockpit_store (default: mockpit)")
    parser.addini(
        "mockpit_cassette_dir",
        default="",
        help="Folder of the mockpit_record cassettes named by a relative path (relative to the ini file); "
        "default: the rootdir, and cassettes/ beside the test file for unnamed ones",
    )
    parser.getgroup("mockpit").addoption(
        "--mockpit-record",
        dest="mockpit_record",
        choices=RECORD_MODES,
        default="new",
        help="When mockpit_record tests record: none (replay only; a missing cassette is an error), "
        "new (record missing cassettes; the default), all (record every cassette again).",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "mockpit(allow_unmatched=False): let a test leave requests that matched no stub")
    config.addinivalue_line(
        "markers",
        f"mockpit_record{MARKER_SIGNATURE}: "
        "the mockpit_cassette fixture records the test's traffic to target once, then replays it",
    )


def _register(item: pytest.Item, server: MockServer) -> None:
    item.stash.setdefault(_SERVERS, []).append(server)


def _problems(server: MockServer, *, allow_unmatched: bool) -> str | None:
    """What went wrong in ``server`` during the test (a handler error, unmatched requests), or None."""
    from ._errors import MockpitError

    try:
        server.check(allow_unmatched=allow_unmatched)
    except MockpitError as exc:
        return str(exc)
    return None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    result = yield  # the test body; if it failed, makereport adds what the servers saw to its report
    marker = item.get_closest_marker("mockpit")
    allow_unmatched = bool(marker.kwargs.get("allow_unmatched", False)) if marker else False
    for server in item.stash.get(_SERVERS, []):
        failure = _problems(server, allow_unmatched=allow_unmatched)
        if failure is not None:
            item.stash[_REPORTED] = True
            # failed outside the except block, or the report would be printed twice ("During handling ...")
            pytest.fail(failure, pytrace=False)
    return result


def _failure_section(item: pytest.Item) -> str | None:
    """For a test that failed on its own (an assert, raise_for_status()): its servers' near-miss reports
    and handler errors, which are usually why. None when there were none, or the plugin failed it."""
    if item.stash.get(_REPORTED, False):
        return None
    found = [text for server in item.stash.get(_SERVERS, []) if (text := _problems(server, allow_unmatched=False))]
    return "\n\n".join(found) or None


@pytest.fixture(scope="session")
def mockpit_server(pytestconfig: pytest.Config) -> Iterator[MockServer]:
    """The session's server, shared by every test through ``mockpit``; override to configure it.

    It serves the OpenAPI documents listed in the ``mockpit_openapi`` ini option, if any, with the
    admin API's access options of the ``mockpit_admin*`` and ``mockpit_show_credentials`` ini options,
    sharing its state on the ``mockpit_store`` ini option's Redis if one is given.
    """
    from ._server import MockServer

    ini = pytestconfig.getini
    server = MockServer(
        openapi=list(ini("mockpit_openapi")) or None,
        admin=ini("mockpit_admin"),
        admin_token=ini("mockpit_admin_token") or None,
        admin_hosts=ini("mockpit_admin_hosts"),
        admin_origins=ini("mockpit_admin_origins"),
        show_credentials=ini("mockpit_show_credentials"),
        store=ini("mockpit_store") or None,
        namespace=ini("mockpit_namespace"),
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mockpit(mockpit_server: MockServer, request: pytest.FixtureRequest) -> Iterator[MockServer]:
    """A running :class:`MockServer`, with no stubs and an empty journal at the start of the test."""
    mockpit_server.reset()
    _register(request.node, mockpit_server)
    yield mockpit_server
    mockpit_server.reset()


@pytest.fixture
def mockpit_factory(request: pytest.FixtureRequest) -> Iterator[MockServerFactory]:
    """Make more servers (``mockpit_factory(mappings="tests/api")``); all stop after the test.

    It takes :class:`MockServer`'s parameters and returns the server, started. Annotate it with
    :class:`mockpit.MockServerFactory` for a type checker to check the calls::

        def test_two_apis(mockpit_factory: MockServerFactory) -> None: ...
    """
    from ._server import MockServer

    servers: list[MockServer] = []

    def make(*args: Any, **kwargs: Any) -> MockServer:  # typed for callers by MockServerFactory
        server = MockServer(*args, **kwargs)
        server.start()
        servers.append(server)
        _register(request.node, server)
        return server

    yield make
    for server in servers:
        server.stop()


# --- record and playback ----------------------------------------------------------------------------


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when == "call" and report.failed:
        section = _failure_section(item)
        if section is not None:
            report.sections.append(("mockpit: what the mock server saw", section))
    cassette = item.stash.get(_CASSETTE, None)
    if cassette is not None and report.when == "call":
        cassette.passed = report.passed
        if report.failed:
            report.sections.append(("mockpit cassette", cassette.failure_note()))
    return report


@pytest.fixture
def mockpit_cassette(request: pytest.FixtureRequest) -> Iterator[MockServer]:
    """A started :class:`MockServer` that replays the test's cassette, recording it first if need be.

    ::

        @pytest.mark.mockpit_record("tests/cassettes/users", target="https://api.example.com")
        def test_users(mockpit_cassette):
            assert my_client(base_url=mockpit_cassette.url).user(1)["name"] == "Ada"

    Without the cassette folder (or with ``--mockpit-record=all``), the server forwards every request
    to ``target`` and, once the test has passed, writes the answers as mapping files (secrets redacted
    unless ``keep_secrets=True``; a request made again answers as it did the second time, unless
    ``repeats_as_scenarios=False``). With the folder, it serves it and nothing goes to the network; a
    request the cassette does not hold fails the test with the near-miss report. Stubs the test adds
    itself win over both. Relative cassette paths start at the ``mockpit_cassette_dir`` ini option, or
    the rootdir; without a name, the cassette is ``cassettes/<module>/<test>`` beside the test file.
    """
    from ._dsl import request as any_request
    from ._errors import MappingError
    from ._server import MockServer, internals

    item = request.node
    # each failure is raised outside its except block, or pytest prints it twice ("During handling ...")
    problem = None
    try:
        cassette = item.stash[_CASSETTE] = Cassette.for_test(item, request.config.getoption("mockpit_record"))
    except CassetteError as exc:
        problem = str(exc)
    if problem is not None:
        pytest.fail(problem, pytrace=False)
    if not cassette.recording:
        try:
            server = MockServer(mappings=cassette.path)
        except MappingError as exc:
            problem = cassette.cannot_replay(exc)
        if problem is not None:
            pytest.fail(problem, pytrace=False)
        with server:
            _register(item, server)
            yield server
        return
    # The recorder (not the journal, which keeps 1 MiB of a proxied body) writes each exchange whole as
    # it completes.
    with cassette.recording_folder() as folder:
        server = MockServer(root=folder)
        server.when(any_request(), priority=PROXY_PRIORITY).proxy(cassette.target)
        recorder = internals(server).recorder
        recorder.start(cassette.spec())
        try:
            with server:
                _register(item, server)
                yield server
        finally:
            recorder.stop()  # after stop(): stopping ends every stream, so every exchange is complete
