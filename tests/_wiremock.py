"""WireMock 3.13.2 itself, as a reference server for the client compatibility suites.

The npm package ``wiremock`` ships WireMock's standalone jar: it is installed with ``npm install`` into
a cache directory (``MOCKPIT_COMPAT_CACHE``, default ``~/.cache/mockpit-compat``) the first time, with
the Node clients the suites drive. Missing tools fail the test with what to install, never a skip.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from _wire import free_port

WIREMOCK_VERSION = "3.13.2"
#: the npm packages the suites use: WireMock's jar and the two Node clients
NPM_PACKAGES = (f"wiremock@{WIREMOCK_VERSION}", "wiremock-captain@3", "wiremock-rest-client@1")
CACHE = Path(os.environ.get("MOCKPIT_COMPAT_CACHE", Path.home() / ".cache" / "mockpit-compat"))


def need(tool: str, install: str) -> str:
    """The path of ``tool``, or the test fails saying how to install it."""
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} is not installed; the client compatibility suites need it: {install}")
    return path


def npm_modules() -> Path:
    """``node_modules`` with WireMock's jar and the Node clients, installed on first use."""
    root = CACHE / "npm"
    modules = root / "node_modules"
    jar = modules / "wiremock" / "build" / f"wiremock-standalone-{WIREMOCK_VERSION}.jar"
    if not jar.is_file() or not all((modules / name.rpartition("@")[0]).is_dir() for name in NPM_PACKAGES):
        npm = need("npm", "apt-get install nodejs npm (Node 18 or newer)")
        root.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--prefix", str(root), *NPM_PACKAGES],
            check=True,
            capture_output=True,
            timeout=300,
        )
    return modules


def wiremock_jar() -> Path:
    return npm_modules() / "wiremock" / "build" / f"wiremock-standalone-{WIREMOCK_VERSION}.jar"


@contextmanager
def wiremock(root: Path) -> Iterator[str]:
    """WireMock 3.13.2 on a free port, its mappings under ``root``; yields its base URL."""
    java = need("java", "apt-get install openjdk-17-jre-headless")
    (root / "mappings").mkdir(parents=True, exist_ok=True)
    port = free_port()
    process = subprocess.Popen(
        [java, "-jar", str(wiremock_jar()), "--port", str(port), "--root-dir", str(root), "--disable-banner"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/__admin/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"WireMock did not start on port {port} (exit code {process.poll()})")
            time.sleep(0.2)
        yield url
    finally:
        process.kill()
        process.wait(timeout=10)
