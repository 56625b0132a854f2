"""WireMock's own Java client (the ``WireMock`` class of its standalone jar) drives mockpit unchanged.

``compat/WireMockClientDriver.java`` calls the client call by call (stubbing, every verify form, find*,
near misses, scenarios, settings, metadata, import/edit, save/reset, recording, serve events) and prints
one line per check. It is compiled with ``javac`` against WireMock 3.13.2's jar and run against
``mockpit serve`` and against WireMock itself, so that every expectation holds on the reference.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from _processes import mockpit_command, started
from _wiremock import need, wiremock, wiremock_jar

DRIVER = Path(__file__).resolve().parent / "compat" / "WireMockClientDriver.java"
CHECKS = 25


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The compiled driver: the java command line, without host and port."""
    javac = need("javac", "apt-get install openjdk-17-jdk-headless")
    java = need("java", "apt-get install openjdk-17-jre-headless")
    jar = wiremock_jar()
    classes = tmp_path_factory.mktemp("java-driver")
    subprocess.run([javac, "-d", str(classes), "-cp", str(jar), str(DRIVER)], check=True, timeout=120)
    return [java, "-cp", f"{jar}:{classes}", "WireMockClientDriver"]


def run(driver: list[str], host: str, port: int) -> tuple[set[str], dict[str, str]]:
    done = subprocess.run([*driver, host, str(port)], check=False, capture_output=True, text=True, timeout=180)
    passed = set(re.findall(r"^PASS (.+)$", done.stdout, re.MULTILINE))
    failed = dict(re.findall(r"^FAIL ([^\t]+)\t(.*)$", done.stdout, re.MULTILINE))
    assert passed or failed, done.stdout + done.stderr
    return passed, failed


def test_the_java_client_against_wiremock(driver: list[str], tmp_path: Path) -> None:
    with wiremock(tmp_path) as url:
        passed, failed = run(driver, "127.0.0.1", int(url.rpartition(":")[2]))
    assert not failed, failed
    assert len(passed) == CHECKS


def test_the_java_client_against_mockpit(driver: list[str], tmp_path: Path) -> None:
    (tmp_path / "mappings").mkdir()
    args = mockpit_command("serve", str(tmp_path / "mappings"), "--port", "0")
    with started(args, re.compile(r"on http://127\.0\.0\.1:(\d+)")) as server:
        passed, failed = run(driver, "127.0.0.1", int(server.ready.group(1)))
    assert not failed, failed
    assert len(passed) == CHECKS
