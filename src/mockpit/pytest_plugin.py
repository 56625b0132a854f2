"""The pytest plugin (entry point ``pytest11``): ``mockpit`` and ``mockpit_factory`` fixtures.

One server serves the whole session and is reset before each test. After the test body, anything
that went wrong inside the server thread (a handler that raised) or a request that matched no stub
fails the test, with the traceback or the near-miss report. Mark a test
``@pytest.mark.mockpit(allow_unmatched=True)`` when unmatched requests are what it is about.

The ``mockpit_openapi`` ini option lists OpenAPI documents the session's server serves (they come back
after every reset); ``mockpit_factory(openapi="api.yaml", seed=3)`` makes a server of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from ._server import MockServer

_SERVERS = pytest.StashKey[list["MockServer"]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "mockpit_openapi",
        type="paths",
        default=[],
        help="OpenAPI documents the session's mockpit server serves (one per line, relative to the ini file)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "mockpit(allow_unmatched=False): let a test leave requests that matched no stub")


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
def mockpit_factory(request: pytest.FixtureRequest) -> Iterator[Callable[..., MockServer]]:
    """Make more servers (``mockpit_factory(mappings="tests/api")``); all stop after the test."""
    from ._server import MockServer

    servers: list[MockServer] = []

    def make(**kwargs: Any) -> MockServer:
        server = MockServer(**kwargs)
        server.start()
        servers.append(server)
        _register(request.node, server)
        return server

    yield make
    for server in servers:
        server.stop()
