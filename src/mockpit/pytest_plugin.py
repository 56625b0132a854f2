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

import os
import re
import shutil
import uuid
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

if TYPE_CHECKING:
    from ._server import MockServer, MockServerFactory

_SERVERS = pytest.StashKey[list["MockServer"]]()
_CASSETTE = pytest.StashKey["_Cassette"]()
RECORD_MODES = ("none", "new", "all")
#: the recording proxy answers what no stub of the test's own answers (lower numbers win; the default is 5)
_PROXY_PRIORITY = 1000
_MARKER_SIGNATURE = "(cassette=None, *, target=None, keep_secrets=False, repeats_as_scenarios=True)"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "mockpit_openapi",
        type="paths",
        default=[],
        help="OpenAPI documents the session's mockpit server serves (one per line, relative to the ini file)",
    )
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
        f"mockpit_record{_MARKER_SIGNATURE}: "
        "the mockpit_cassette fixture records the test's traffic to target once, then replays it",
    )


def _register(item: pytest.Item, server: MockServer) -> None:
    item.stash.setdefault(_SERVERS, []).append(server)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    result = yield  # the test body; if it failed, its own error is the one to report
    servers = item.stash.get(_SERVERS, [])
    if servers:
        marker = item.get_closest_marker("mockpit")
        allow_unmatched = bool(marker.kwargs.get("allow_unmatched", False)) if marker else False
        from ._errors import MockpitError

        for server in servers:
            try:
                server.check(allow_unmatched=allow_unmatched)
            except MockpitError as exc:
                failure = str(exc)
            else:
                continue
            # failed outside the except block, or the report would be printed twice ("During handling ...")
            pytest.fail(failure, pytrace=False)
    return result


@pytest.fixture(scope="session")
def mockpit_server(pytestconfig: pytest.Config) -> Iterator[MockServer]:
    """The session's server, shared by every test through ``mockpit``; override to configure it.

    It serves the OpenAPI documents listed in the ``mockpit_openapi`` ini option, if any.
    """
    from ._server import MockServer

    server = MockServer(openapi=list(pytestconfig.getini("mockpit_openapi")) or None)
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


@dataclass
class _Cassette:
    path: Path
    recording: bool
    passed: bool = False


@dataclass(frozen=True)
class _RecordOptions:
    cassette: str | None
    target: str | None
    keep_secrets: bool
    repeats_as_scenarios: bool


def _record_options(
    cassette: str | os.PathLike[str] | None = None,
    *,
    target: str | None = None,
    keep_secrets: bool = False,
    # a test that reads, changes, then reads again must see the change on replay too, as it did live
    repeats_as_scenarios: bool = True,
) -> _RecordOptions:
    if target is not None:
        parts = urlsplit(target) if isinstance(target, str) else None
        if parts is None or parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ValueError(
                f"target must be an http:// or https:// URL such as https://api.example.com, got {target!r}"
            )
    return _RecordOptions(None if cassette is None else os.fspath(cassette), target, keep_secrets, repeats_as_scenarios)


def _cassette_path(item: pytest.Item, name: str | None) -> Path:
    config = item.config
    setting = str(config.getini("mockpit_cassette_dir"))
    base = (config.inipath.parent if config.inipath else config.rootpath) / setting if setting else None
    if name is None:
        test = re.sub(r"[^\w.-]+", "_", item.name).strip("_")
        return (base or item.path.parent / "cassettes") / item.path.stem / test
    path = Path(name)
    return path if path.is_absolute() else (base or config.rootpath) / path


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    cassette = item.stash.get(_CASSETTE, None)
    if cassette is not None and report.when == "call":
        cassette.passed = report.passed
        if report.failed:
            if cassette.recording:
                before = "the one recorded before stays" if cassette.path.is_dir() else "the next run records again"
                note = f"The test failed, so its recording was not saved to {cassette.path}; {before}."
            else:
                note = (
                    f"Replayed the cassette {cassette.path} (no network). If the code now sends requests the "
                    "cassette does not hold, record it again: pytest --mockpit-record=all"
                )
            report.sections.append(("mockpit cassette", note))
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
    from ._server import MockServer

    item = request.node
    marker = item.get_closest_marker("mockpit_record")
    # each failure is raised outside its except block, or pytest prints it twice ("During handling ...")
    problem = None
    try:
        options = _record_options(*marker.args, **marker.kwargs) if marker else _record_options()
    except (TypeError, ValueError) as exc:
        detail = str(exc).replace(f"{_record_options.__name__}() ", "")
        problem = f"@pytest.mark.mockpit_record: {detail}; it takes {_MARKER_SIGNATURE}"
    if problem is not None:
        pytest.fail(problem, pytrace=False)
    path = _cassette_path(item, options.cassette)
    mode = request.config.getoption("mockpit_record")
    recording = mode == "all" or not path.is_dir()
    if recording and mode == "none":
        pytest.fail(
            f"mockpit: the cassette {path} does not exist and --mockpit-record=none only replays; record it "
            "with --mockpit-record=new (the default) and a target= in @pytest.mark.mockpit_record",
            pytrace=False,
        )
    if recording and options.target is None:
        pytest.fail(
            f"mockpit: the cassette {path} does not exist yet, and there is nothing to record it from: give the "
            'real API in @pytest.mark.mockpit_record(..., target="https://api.example.com")',
            pytrace=False,
        )
    cassette = item.stash[_CASSETTE] = _Cassette(path, recording)
    if not recording:
        try:
            server = MockServer(mappings=path)
        except MappingError as exc:
            problem = f"mockpit: the cassette {path} cannot be replayed: {exc}"
        if problem is not None:
            pytest.fail(problem, pytrace=False)
        with server:
            _register(item, server)
            yield server
        return
    from ._recording.recorder import RecordSpec

    # Recorded into a folder beside the cassette, then swapped in: a run that dies half way never leaves
    # half a cassette, and re-recording (--mockpit-record=all) replaces the old one whole. The recorder
    # (not the journal, which keeps 1 MiB of a proxied body) writes each exchange whole as it completes.
    path.parent.mkdir(parents=True, exist_ok=True)
    fresh = path.with_name(f".{path.name}.recording-{uuid.uuid4().hex[:8]}")
    try:
        server = MockServer(root=fresh)
        server.when(any_request(), priority=_PROXY_PRIORITY).proxy(str(options.target))
        # no target of its own: it records what the proxy stub above answers, and the test's stubs still win
        server.recorder.start(
            RecordSpec(keep_secrets=options.keep_secrets, repeats_as_scenarios=options.repeats_as_scenarios)
        )
        try:
            with server:
                _register(item, server)
                yield server
        finally:
            server.recorder.stop()  # after stop(): stopping ends every stream, so every exchange is complete
        if cassette.passed:
            _swap_in(fresh, path)
    finally:
        shutil.rmtree(fresh, ignore_errors=True)


def _swap_in(fresh: Path, path: Path) -> None:
    (fresh / "mappings").mkdir(parents=True, exist_ok=True)  # a test that sent nothing still has its cassette
    if path.exists():
        old = path.with_name(f".{path.name}.old-{uuid.uuid4().hex[:8]}")
        path.rename(old)
        fresh.rename(path)
        shutil.rmtree(old, ignore_errors=True)
    else:
        fresh.rename(path)
