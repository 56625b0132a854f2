"""HTTPS: a generated certificate that clients trust through ``ca_bundle``, or the user's own; the CLI's --https."""

from __future__ import annotations

import re
import signal
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import requests
import trustme

from _wire import connect, read_to_end
from mockpit import MockServer, Response, get
from mockpit._errors import ServerError
from mockpit._model import Fault

TIMEOUT = 5


@pytest.fixture(scope="module")
def tls_server() -> Iterator[MockServer]:
    with MockServer(https=True) as server:
        yield server


@pytest.fixture
def server(tls_server: MockServer) -> Iterator[MockServer]:
    tls_server.reset()
    yield tls_server
    errors = tls_server.errors
    tls_server.reset()
    assert not errors


def trust(server: MockServer) -> ssl.SSLContext:
    return server.client_ssl_context()


def trust_file(path: str | Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(path))


def echo_scheme(server: MockServer) -> None:
    server.when(get("/scheme")).respond_with(lambda request: {"scheme": request.scheme})


def test_the_url_is_https_and_httpx_trusts_the_ca_bundle(server: MockServer) -> None:
    echo_scheme(server)
    assert re.fullmatch(r"https://127\.0\.0\.1:\d+", server.url)
    assert server.ca_bundle is not None
    assert Path(server.ca_bundle).read_text().startswith("-----BEGIN CERTIFICATE-----")
    with httpx.Client(verify=server.client_ssl_context(), timeout=TIMEOUT) as client:
        response = client.get(server.url_for("/scheme"))
    assert response.json() == {"scheme": "https"}
    assert server.requests()[0].request.scheme == "https"


def test_requests_trusts_the_ca_bundle(server: MockServer) -> None:
    echo_scheme(server)
    response = requests.get(server.url_for("/scheme"), verify=server.ca_bundle, timeout=TIMEOUT)
    assert response.json()["scheme"] == "https"


def test_the_certificate_is_valid_for_localhost_too(server: MockServer) -> None:
    echo_scheme(server)
    url = server.url_for("/scheme").replace("127.0.0.1", "localhost")
    assert httpx.get(url, verify=trust(server), timeout=TIMEOUT).json()["scheme"] == "https"


def test_a_client_without_the_ca_bundle_refuses_the_certificate(server: MockServer) -> None:
    echo_scheme(server)
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(server.url_for("/scheme"), timeout=TIMEOUT)
    with pytest.raises(requests.exceptions.SSLError, match="CERTIFICATE_VERIFY_FAILED"):
        requests.get(server.url_for("/scheme"), timeout=TIMEOUT)
    assert server.requests() == []


def test_plain_http_to_the_https_port_gets_no_answer_and_the_server_goes_on(server: MockServer) -> None:
    echo_scheme(server)
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(server.url_for("/scheme").replace("https://", "http://"), timeout=TIMEOUT)
    assert httpx.get(server.url_for("/scheme"), verify=trust(server), timeout=TIMEOUT).status_code == 200


def test_the_status_message_and_a_dribble_over_tls(server: MockServer) -> None:
    server.when(get("/made")).respond(201, "abcdef", reason="Made Over TLS", dribble=(3, 60))
    response = httpx.get(server.url_for("/made"), verify=trust(server), timeout=TIMEOUT)
    assert (response.status_code, response.reason_phrase, response.text) == (201, "Made Over TLS", "abcdef")


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("EMPTY_RESPONSE", httpx.RemoteProtocolError),
        ("MALFORMED_RESPONSE_CHUNK", httpx.RemoteProtocolError),
        ("RANDOM_DATA_THEN_CLOSE", httpx.RemoteProtocolError),
        # Python's ssl module up to 3.12 reports a reset under TLS as an end of stream (the TCP layer sees
        # the RST: test_a_reset_over_tls_is_a_tcp_reset), so httpx says "disconnected"; 3.13's says reset
        ("CONNECTION_RESET_BY_PEER", (httpx.RemoteProtocolError, httpx.ReadError)),
    ],
)
def test_faults_over_tls(
    server: MockServer, fault: Fault, error: type[Exception] | tuple[type[Exception], ...]
) -> None:
    server.when(get("/broken")).respond_with(lambda request: Response(fault=fault))
    server.when(get("/fine")).respond(200, "fine")
    with httpx.Client(verify=trust(server), timeout=TIMEOUT) as client:
        with pytest.raises(error):
            client.get(server.url_for("/broken"))
        assert client.get(server.url_for("/fine")).text == "fine"


def test_a_reset_over_tls_is_a_tcp_reset(server: MockServer) -> None:
    server.when(get("/reset")).respond(fault="CONNECTION_RESET_BY_PEER")
    context = ssl.create_default_context(cafile=server.ca_bundle)
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_hostname="127.0.0.1")
    with connect(server) as sock:
        while True:  # TLS over a socket we read ourselves, to see what TCP reports below it
            try:
                tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                sock.sendall(outgoing.read())
                incoming.write(sock.recv(65536))
        tls.write(b"GET /reset HTTP/1.1\r\nHost: mock\r\n\r\n")
        sock.sendall(outgoing.read())
        _, end = read_to_end(sock)  # TLS 1.3 session tickets may come before the end
        assert end == "reset"
    assert server.count(get("/reset")) == 1


def test_the_generated_ca_is_made_once_per_process(tls_server: MockServer) -> None:
    with MockServer(https=True) as other:
        assert other.ca_bundle == tls_server.ca_bundle
        other.when(get("/x")).respond(200, "other")
        assert httpx.get(other.url_for("/x"), verify=trust(tls_server), timeout=TIMEOUT).text == "other"


@pytest.fixture(scope="module")
def own_ca() -> trustme.CA:
    return trustme.CA()


def test_a_certificate_and_key_of_ones_own(tmp_path: Path, own_ca: trustme.CA) -> None:
    issued = own_ca.issue_cert("127.0.0.1")
    certfile, keyfile, ca_file = tmp_path / "cert.pem", tmp_path / "key.pem", tmp_path / "ca.pem"
    issued.cert_chain_pems[0].write_to_path(str(certfile))
    issued.private_key_pem.write_to_path(str(keyfile))
    own_ca.cert_pem.write_to_path(str(ca_file))
    with MockServer(https=True, certfile=certfile, keyfile=keyfile) as server:
        server.when(get("/own")).respond(200, "own")
        assert server.url.startswith("https://")
        assert server.ca_bundle is None  # the CA is the user's
        with pytest.raises(ServerError, match="trust the CA of your own certfile"):
            server.client_ssl_context()
        assert httpx.get(server.url_for("/own"), verify=trust_file(ca_file), timeout=TIMEOUT).text == "own"
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            httpx.get(server.url_for("/own"), timeout=TIMEOUT)


def test_a_certfile_that_holds_the_key_too(tmp_path: Path, own_ca: trustme.CA) -> None:
    combined, ca_file = tmp_path / "both.pem", tmp_path / "ca.pem"
    own_ca.issue_cert("127.0.0.1").private_key_and_cert_chain_pem.write_to_path(str(combined))
    own_ca.cert_pem.write_to_path(str(ca_file))
    with MockServer(https=True, certfile=combined) as server:
        server.when(get("/own")).respond(200, "own")
        assert httpx.get(server.url_for("/own"), verify=trust_file(ca_file), timeout=TIMEOUT).text == "own"


def test_bad_tls_arguments_fail_early_and_say_why(tmp_path: Path, own_ca: trustme.CA) -> None:
    cert = tmp_path / "cert.pem"
    own_ca.issue_cert("127.0.0.1").cert_chain_pems[0].write_to_path(str(cert))
    other_key = tmp_path / "other.key"
    own_ca.issue_cert("127.0.0.1").private_key_pem.write_to_path(str(other_key))
    with pytest.raises(ValueError, match=r"pass https=True as well"):
        MockServer(certfile=cert)
    with pytest.raises(ValueError, match=r"keyfile= needs its certificate: pass certfile="):
        MockServer(https=True, keyfile=other_key)
    with pytest.raises(ServerError, match=r"certfile='.*missing.pem': no such file"):
        MockServer(https=True, certfile=tmp_path / "missing.pem")
    with pytest.raises(ServerError, match=r"cannot load the certificate and its private key .*key goes in keyfile="):
        MockServer(https=True, certfile=cert)  # no key anywhere
    with pytest.raises(ServerError, match=r"keyfile='.*other.key': cannot load the certificate and its private key"):
        MockServer(https=True, certfile=cert, keyfile=other_key)  # a key, but not this certificate's


def test_plain_servers_have_no_ca_bundle() -> None:
    plain = MockServer()
    assert (plain.url.startswith("http://"), plain.ca_bundle) == (True, None)
    with pytest.raises(ServerError, match="this one serves plain HTTP"):
        plain.client_ssl_context()


# --- the CLI ---------------------------------------------------------------------------------------


def serve_https(*args: str) -> tuple[subprocess.Popen[str], str, str]:
    """``mockpit serve --port 0 ARGS``: the process, its URL and the CA bundle path it printed."""
    process = subprocess.Popen(
        [sys.executable, "-m", "mockpit", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    printed = []
    for line in process.stdout:
        printed.append(line)
        if (found := re.search(r"on (https://127\.0\.0\.1:\d+)", line)) is not None:
            bundle = re.search(r"CA bundle (\S+)", "".join(printed))
            return process, found.group(1), bundle.group(1) if bundle else ""
    process.kill()
    raise AssertionError(f"mockpit serve never said it was ready: {printed} {process.stderr}")


def stop(process: subprocess.Popen[str]) -> int:
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=10)
    finally:
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def test_cli_https_prints_the_ca_bundle_that_clients_trust() -> None:
    process, url, bundle = serve_https("--https")
    try:
        assert Path(bundle).is_file()
        response = httpx.get(url + "/__admin/mappings", verify=trust_file(bundle), timeout=TIMEOUT)
        assert response.status_code == 200
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            httpx.get(url + "/__admin/mappings", timeout=TIMEOUT)
    finally:
        assert stop(process) == 0
    assert not Path(bundle).exists()  # the throwaway CA goes with the process


def test_cli_cert_and_key(tmp_path: Path, own_ca: trustme.CA) -> None:
    issued = own_ca.issue_cert("127.0.0.1")
    cert, key, ca_file = tmp_path / "cert.pem", tmp_path / "key.pem", tmp_path / "ca.pem"
    issued.cert_chain_pems[0].write_to_path(str(cert))
    issued.private_key_pem.write_to_path(str(key))
    own_ca.cert_pem.write_to_path(str(ca_file))
    process, url, bundle = serve_https("--cert", str(cert), "--key", str(key))
    try:
        assert bundle == ""  # nothing generated, nothing to print
        assert httpx.get(url + "/__admin/mappings", verify=trust_file(ca_file), timeout=TIMEOUT).status_code == 200
    finally:
        assert stop(process) == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--key", "{key}"], "--key needs the certificate it belongs to"),
        (["--cert", "{cert}"], "cannot load the certificate and its private key"),
    ],
)
def test_cli_bad_tls_options(tmp_path: Path, own_ca: trustme.CA, args: list[str], message: str) -> None:
    issued = own_ca.issue_cert("127.0.0.1")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    issued.cert_chain_pems[0].write_to_path(str(cert))
    issued.private_key_pem.write_to_path(str(key))
    argv = [a.format(cert=cert, key=key) for a in args]
    done = subprocess.run(
        [sys.executable, "-m", "mockpit", "serve", "--port", "0", *argv],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2
    assert message in done.stderr
