"""Who may drive the admin API: Host names (DNS rebinding), cross-site browser calls, a token off
loopback, ``--no-admin``, and credentials masked in the journal it hands out.

Each refusal is checked over a real socket, and so is the call that the same rule lets through, so
that a rule that refused everything (or nothing) would fail here.
"""

from __future__ import annotations

import base64
import re
import socket
import subprocess
import warnings
from collections.abc import Iterator

import httpx
import pytest
import requests

from _processes import mockpit_command, started
from mockpit import MockServer, get
from mockpit._errors import ServerError

STUB = {"request": {"method": "GET", "url": "/made"}, "response": {"status": 200}}


def local_address() -> str:
    """This machine's address on its network (not loopback): the route a packet to the outside would take."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("192.0.2.1", 9))  # TEST-NET-1; connect() on UDP sends nothing, it picks a route
        address: str = probe.getsockname()[0]
    assert not address.startswith("127."), "this machine needs a network interface besides loopback"
    return address


@pytest.fixture
def mock() -> Iterator[MockServer]:
    with MockServer() as server:
        yield server


# --- Host header: DNS rebinding -----------------------------------------------------------------------


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "LOCALHOST.", "app.localhost", "127.0.0.1:1"])
def test_admin_answers_for_loopback_names(mock: MockServer, host: str) -> None:
    response = httpx.get(mock.url_for("/__admin/mappings"), headers={"Host": host})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8080", "192.0.2.9", "localhost.evil.example"])
def test_admin_refuses_a_foreign_host_name(mock: MockServer, host: str) -> None:
    mock.add_mapping(STUB)
    response = httpx.get(mock.url_for("/__admin/requests"), headers={"Host": host})
    assert response.status_code == 403
    detail = response.json()["errors"][0]["detail"]
    assert repr(host) in detail
    assert "--admin-host" in detail
    deleted = httpx.delete(mock.url_for("/__admin/mappings"), headers={"Host": host})
    assert deleted.status_code == 403
    assert len(mock.stubs) == 1


def test_a_foreign_host_still_reaches_the_stubs(mock: MockServer) -> None:
    mock.when(get("/hello")).respond(body="hi")
    response = httpx.get(mock.url_for("/hello"), headers={"Host": "api.example.com"})
    assert (response.status_code, response.text) == (200, "hi")


def test_admin_hosts_allows_more_names() -> None:
    with MockServer(admin_hosts=["mock.internal"]) as server:
        assert httpx.get(server.url_for("/__admin/mappings"), headers={"Host": "mock.internal:80"}).status_code == 200
        assert httpx.get(server.url_for("/__admin/mappings"), headers={"Host": "other.internal"}).status_code == 403
    with MockServer(admin_hosts=["*"]) as server:
        assert httpx.get(server.url_for("/__admin/mappings"), headers={"Host": "any.example"}).status_code == 200


def test_an_http_10_request_without_host_is_answered(mock: MockServer) -> None:
    with socket.create_connection(("127.0.0.1", int(mock.url.rsplit(":", 1)[1])), timeout=5) as sock:
        sock.sendall(b"GET /__admin/health HTTP/1.0\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200 "), answer[:200]


# --- cross-site browser requests ---------------------------------------------------------------------


def test_a_cross_site_text_plain_post_creates_no_stub(mock: MockServer) -> None:
    # what a page on evil.example can send without a CORS preflight: fetch(url, {method: "POST", body})
    response = httpx.post(
        mock.url_for("/__admin/mappings"),
        content=b'{"request": {"url": "/pwned"}, "response": {"status": 200}}',
        headers={"Content-Type": "text/plain;charset=UTF-8", "Origin": "http://evil.example"},
    )
    assert response.status_code == 403
    assert "http://evil.example" in response.json()["errors"][0]["detail"]
    assert mock.stubs == []


def test_a_cross_site_shutdown_is_refused(mock: MockServer) -> None:
    response = httpx.post(mock.url_for("/__admin/shutdown"), headers={"Origin": "null"})
    assert response.status_code == 403
    assert mock.is_running
    assert httpx.get(mock.url_for("/__admin/health")).status_code == 200


def test_sec_fetch_site_alone_marks_a_cross_site_call(mock: MockServer) -> None:
    response = httpx.post(mock.url_for("/__admin/reset"), headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 403


def test_a_page_from_another_port_of_localhost_is_another_origin(mock: MockServer) -> None:
    response = httpx.post(mock.url_for("/__admin/mappings"), json=STUB, headers={"Origin": "http://localhost:3000"})
    assert response.status_code == 403


def test_the_servers_own_origin_may_change_things_with_json(mock: MockServer) -> None:
    origin = mock.url
    made = httpx.post(
        mock.url_for("/__admin/mappings"), json=STUB, headers={"Origin": origin, "Sec-Fetch-Site": "same-origin"}
    )
    assert made.status_code == 201, made.text
    as_text = httpx.post(
        mock.url_for("/__admin/mappings"),
        content=b'{"request": {"url": "/x"}, "response": {"status": 200}}',
        headers={"Origin": origin, "Content-Type": "text/plain"},
    )
    assert as_text.status_code == 415
    assert "application/json" in as_text.json()["errors"][0]["detail"]
    assert len(mock.stubs) == 1


def test_admin_origins_allows_a_named_origin() -> None:
    with MockServer(admin_origins=["https://ui.example"]) as server:
        made = httpx.post(server.url_for("/__admin/mappings"), json=STUB, headers={"Origin": "https://ui.example/"})
        assert made.status_code == 201
        other = httpx.post(server.url_for("/__admin/mappings"), json=STUB, headers={"Origin": "https://ui2.example"})
        assert other.status_code == 403


def test_cross_site_reads_are_left_to_the_browser(mock: MockServer) -> None:
    # a cross-site GET changes nothing, and without CORS headers the page cannot read the answer
    response = httpx.get(mock.url_for("/__admin/mappings"), headers={"Origin": "http://evil.example"})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


def test_plain_clients_send_no_origin_and_are_unaffected(mock: MockServer) -> None:
    # curl -d sends application/x-www-form-urlencoded, as WireMock's docs show it: no browser, no refusal
    response = requests.post(
        mock.url_for("/__admin/mappings"),
        data=b'{"request": {"url": "/curl"}, "response": {"status": 200}}',
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=10,
    )
    assert response.status_code == 201, response.text


# --- a token -----------------------------------------------------------------------------------------


@pytest.fixture
def guarded() -> Iterator[MockServer]:
    with MockServer(admin_token="s3cret-token") as server:
        yield server


def test_a_token_is_needed_once_set(guarded: MockServer) -> None:
    missing = httpx.get(guarded.url_for("/__admin/mappings"))
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert "Authorization: Bearer" in missing.json()["errors"][0]["detail"]
    wrong = httpx.get(guarded.url_for("/__admin/mappings"), headers={"Authorization": "Bearer guess"})
    assert wrong.status_code == 401
    shutdown = httpx.post(guarded.url_for("/__admin/shutdown"))
    assert shutdown.status_code == 401
    assert guarded.is_running


def test_the_token_as_bearer_or_basic_password(guarded: MockServer) -> None:
    bearer = httpx.post(
        guarded.url_for("/__admin/mappings"), json=STUB, headers={"Authorization": "Bearer s3cret-token"}
    )
    assert bearer.status_code == 201
    basic = requests.get(guarded.url_for("/__admin/mappings"), auth=("anyone", "s3cret-token"), timeout=10)
    assert basic.status_code == 200
    assert basic.json()["meta"]["total"] == 1
    not_base64 = httpx.get(guarded.url_for("/__admin/mappings"), headers={"Authorization": "Basic %%%"})
    assert not_base64.status_code == 401


def test_wiremocks_python_client_sends_the_token_in_its_headers(guarded: MockServer) -> None:
    from wiremock.constants import Config
    from wiremock.resources.mappings.resource import Mappings

    saved = (Config.base_url, dict(Config.headers))
    Config.base_url = guarded.url_for("/__admin")
    Config.headers = {**Config.headers, "Authorization": "Bearer s3cret-token"}
    try:
        assert Mappings.retrieve_all_mappings().meta.total == 0
    finally:
        Config.base_url, Config.headers = saved[0], saved[1]


def test_the_token_leaves_the_stubs_open(guarded: MockServer) -> None:
    guarded.when(get("/open")).respond(body="yes")
    assert httpx.get(guarded.url_for("/open")).text == "yes"


# --- off loopback -----------------------------------------------------------------------------------


def test_an_open_admin_api_off_loopback_is_refused() -> None:
    with pytest.raises(ServerError, match=r"refusing to serve the admin API on every interface without a token"):
        MockServer(host="0.0.0.0")


def test_off_loopback_with_a_token_from_another_address() -> None:
    address = local_address()
    with pytest.warns(UserWarning, match="the admin API needs the token"):
        server = MockServer(host="0.0.0.0", admin_token="tok")
    with server:
        port = server.url.rsplit(":", 1)[1]
        server.when(get("/hello")).respond(body="hi")
        base = f"http://{address}:{port}"
        # a client on this machine's network address, as another machine would reach it
        assert httpx.get(f"{base}/hello").text == "hi"
        assert httpx.get(f"{base}/__admin/requests").status_code == 401
        seen = httpx.get(f"{base}/__admin/requests", headers={"Authorization": "Bearer tok"})
        assert seen.status_code == 200
        assert seen.json()["requests"][0]["request"]["clientIp"] == address


def test_admin_insecure_serves_off_loopback_but_still_checks_host() -> None:
    address = local_address()
    with pytest.warns(UserWarning, match="admin API that needs NO token"):
        server = MockServer(host=address, admin_insecure=True)
    with server:
        assert httpx.get(server.url_for("/__admin/mappings")).status_code == 200
        foreign = httpx.get(server.url_for("/__admin/mappings"), headers={"Host": "rebound.example"})
        assert foreign.status_code == 403


def test_no_admin_serves_the_stubs_only() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the all-interfaces warning, checked in the CLI test
        server = MockServer(host="0.0.0.0", admin=False)
    with server:
        server.when(get("/hello")).respond(body="hi")
        assert httpx.get(server.url_for("/hello")).text == "hi"
        # no admin API: /__admin is a path like any other, which no stub matches
        assert httpx.post(server.url_for("/__admin/shutdown")).status_code == 404
        assert server.is_running


# --- credentials in the journal ----------------------------------------------------------------------

SECRETS = {
    "Authorization": "Bearer live-token-123",
    "Cookie": "session=abc123; theme=dark",
    "X-Api-Key": "key-456",
    "X-Trace": "not-a-secret",
}


def _logged(server: MockServer) -> dict[str, object]:
    listed = httpx.get(server.url_for("/__admin/requests")).json()["requests"]
    request: dict[str, object] = listed[0]["request"]
    return request


def test_credentials_are_masked_in_the_admin_api(mock: MockServer) -> None:
    httpx.get(mock.url_for("/private"), headers=SECRETS)
    logged = _logged(mock)
    headers = logged["headers"]
    assert isinstance(headers, dict)
    assert headers["Authorization"] == "Bearer ****"
    assert headers["Cookie"] == "****"
    assert headers["X-Api-Key"] == "****"
    assert headers["X-Trace"] == "not-a-secret"
    assert logged["cookies"] == {"session": "****", "theme": "****"}
    found = httpx.post(mock.url_for("/__admin/requests/find"), json={"url": "/private"}).json()["requests"]
    assert "live-token-123" not in str(found)
    assert "abc123" not in str(found)
    near = httpx.get(mock.url_for("/__admin/requests/unmatched/near-misses")).text
    assert "live-token-123" not in near
    # verification still sees the real values: masking is in what the API hands out, not the journal
    counted = httpx.post(
        mock.url_for("/__admin/requests/count"),
        json={"url": "/private", "headers": {"Authorization": {"equalTo": "Bearer live-token-123"}}},
    )
    assert counted.json()["count"] == 1
    mock.verify(get("/private").header("Authorization", "Bearer live-token-123"))


def test_show_credentials_shows_them() -> None:
    with MockServer(show_credentials=True) as server:
        httpx.get(server.url_for("/private"), headers=SECRETS)
        headers = _logged(server)["headers"]
        assert isinstance(headers, dict)
        assert headers["Authorization"] == "Bearer live-token-123"
        assert headers["X-Api-Key"] == "key-456"


# --- the CLI ------------------------------------------------------------------------------------------

READY = re.compile(r"serving \d+ stub\(s\) on \S*http://([\d.]+):(\d+)")


def test_cli_refuses_all_interfaces_without_a_token() -> None:
    done = subprocess.run(
        mockpit_command("serve", "--host", "0.0.0.0", "--port", "0"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "without a token" in done.stderr
    assert "--admin-token" in done.stderr
    assert "Traceback" not in done.stderr


def test_cli_token_from_the_environment_and_a_loud_warning(tmp_path: object) -> None:
    import os

    env = {**os.environ, "MOCKPIT_ADMIN_TOKEN": "from-env"}
    args = mockpit_command("serve", "--host", "0.0.0.0", "--port", "0")
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert process.stdout is not None
        assert process.stderr is not None
        line = process.stdout.readline()
        while line and not READY.search(line):
            line = process.stdout.readline()
        found = READY.search(line)
        assert found, line
        port = found.group(2)
        base = f"http://{local_address()}:{port}"
        assert httpx.get(f"{base}/__admin/mappings").status_code == 401
        assert httpx.get(f"{base}/__admin/mappings", headers={"Authorization": "Bearer from-env"}).status_code == 200
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=20)
    assert "warning:" in stderr
    assert "every interface" in stderr
    assert "needs the token" in stderr
    assert "from-env" not in stderr  # the token is never printed


def test_cli_no_admin() -> None:
    with started(mockpit_command("serve", "--port", "0", "--no-admin"), READY) as run:
        base = f"http://{run.ready.group(1)}:{run.ready.group(2)}"
        assert httpx.get(f"{base}/__admin/mappings").status_code == 404
        assert run.process.poll() is None


def test_basic_auth_header_is_what_wiremocks_java_authenticator_sends(guarded: MockServer) -> None:
    # com.github.tomakehurst.wiremock.security.BasicAuthenticator: "Basic " + base64(user:password)
    value = "Basic " + base64.b64encode(b"admin:s3cret-token").decode()
    assert httpx.get(guarded.url_for("/__admin/mappings"), headers={"Authorization": value}).status_code == 200


# --- the pytest plugin --------------------------------------------------------------------------------


def test_the_pytest_plugins_ini_options(pytester: pytest.Pytester) -> None:
    options = ["mockpit_admin_token = plugin-token", "mockpit_admin_hosts = mock.test", "mockpit_show_credentials = 1"]
    pytester.makeini("\n".join(["[pytest]", *options, ""]))
    pytester.makepyfile(
        """
        import httpx
        import pytest
        from mockpit import get

        def test_session_server(mockpit):
            mockpit.when(get("/me")).respond(body="me")
            httpx.get(mockpit.url_for("/me"), headers={"Authorization": "Bearer user-token"})
            admin = mockpit.url_for("/__admin/requests")
            assert httpx.get(admin).status_code == 401
            token = {"Authorization": "Bearer plugin-token"}
            assert httpx.get(admin, headers={**token, "Host": "mock.test"}).status_code == 200
            logged = httpx.get(admin, headers=token).json()["requests"][0]["request"]
            assert logged["headers"]["Authorization"] == "Bearer user-token"  # shown, as asked

        @pytest.mark.mockpit(allow_unmatched=True)
        def test_factory_takes_the_same_options(mockpit_factory):
            quiet = mockpit_factory(admin=False)
            assert httpx.get(quiet.url_for("/__admin/mappings")).status_code == 404
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
