"""Shared fixtures: a real server on a real port and a real HTTP client.

A test module that sets ``SHARED_SERVER = True`` gets one server (and one client) for the whole module,
reset around each test, which fails the test if the server recorded an error. Others get a fresh
server per test. ``http_client`` is a client for absolute URLs that behaves as ``httpx.get`` does.
``echo_upstream`` is a second server, for the first to proxy to or call.

Helpers that are no fixtures live beside this file: ``_wire`` (raw HTTP over a socket), ``_upstreams``
(the echo handler, hand-written upstreams that misbehave), ``_waiting`` (polling with a deadline) and
``_processes`` (the CLI as a subprocess).
"""

from __future__ import annotations

from collections.abc import Iterator
from http.cookiejar import CookieJar, DefaultCookiePolicy

# httpcore: httpx imports it on its first request. If that request is made by a test that pytester runs
# in-process, pytester drops httpcore from sys.modules afterwards, and httpx's map from httpcore's
# exceptions to its own no longer fits the httpcore imported next: clients would raise httpcore.ReadError
# instead of httpx.ReadError. Imported here, it is there before any inner run and stays.
import httpcore  # noqa: F401
import httpx
import pytest

from _redis import RedisServer
from _upstreams import echo
from mockpit import MockServer
from mockpit import request as request_pattern


def _shared(request: pytest.FixtureRequest) -> bool:
    return bool(getattr(request.module, "SHARED_SERVER", False))


@pytest.fixture(scope="module")
def shared_server() -> Iterator[MockServer]:
    with MockServer() as mock:
        yield mock


@pytest.fixture(scope="module")
def shared_client(shared_server: MockServer) -> Iterator[httpx.Client]:
    # an httpx.Client costs milliseconds to make (its TLS context): one per module, not per test
    with httpx.Client(base_url=shared_server.url, timeout=10) as http:
        yield http


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[MockServer]:
    """A started MockServer with no stubs and an empty journal."""
    if not _shared(request):
        with MockServer() as mock:
            yield mock
        return
    shared: MockServer = request.getfixturevalue("shared_server")
    shared.reset()
    yield shared
    errors = shared.errors
    shared.reset()
    assert not errors, f"the server recorded unexpected errors: {errors}"


@pytest.fixture
def client(server: MockServer, request: pytest.FixtureRequest) -> Iterator[httpx.Client]:
    """An httpx client whose base URL is ``server``."""
    if _shared(request):
        yield request.getfixturevalue("shared_client")
        return
    with httpx.Client(base_url=server.url, timeout=10) as http:
        yield http


@pytest.fixture(scope="session")
def http_client() -> Iterator[httpx.Client]:
    """A client for absolute URLs that behaves as ``httpx.get`` and its siblings do, without their cost.

    Each of those makes a client, whose TLS context costs about 15 ms. This one is made once; as they do, it
    opens a connection per request and closes it after the response, keeps no cookies and waits 5 s.
    """
    no_cookies = CookieJar(DefaultCookiePolicy(allowed_domains=[]))
    with httpx.Client(limits=httpx.Limits(max_keepalive_connections=0), cookies=no_cookies) as http:
        yield http


@pytest.fixture(scope="module")
def echo_upstream() -> Iterator[MockServer]:
    """A server that answers every request with what it received (``_upstreams.echo``), one per module.

    A module adds the stubs it needs on top (the newest stub wins); tests clear its journal themselves.
    """
    with MockServer() as upstream:
        upstream.when(request_pattern("ANY")).respond_with(echo)
        yield upstream


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A real redis-server on a free loopback port for the whole session (tests/_redis.py)."""
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()
