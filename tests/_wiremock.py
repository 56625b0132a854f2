"""WireMock 3.13.2 itself, as a reference server for the client compatibility suites.

The jar and the Node clients come from ``_wiremock_jar`` (npm, into a cache, on first use; the
benchmark's peers use it too). Missing tools fail the test with what to install, never a skip.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

import _wiremock_jar
from _wire import free_port


def need(tool: str, install: str) -> str:
    """The path of ``tool``, or the test fails saying how to install it."""
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} is not installed; the client compatibility suites need it: {install}")
    return path


def npm_modules() -> Path:
    """``node_modules`` with WireMock's jar and the Node clients, installed on first use."""
    try:
        return _wiremock_jar.npm_modules()
    except _wiremock_jar.MissingToolError as exc:
        pytest.fail(str(exc))


def wiremock_jar() -> Path:
    return _wiremock_jar.jar_in(npm_modules())


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
