"""The dashboard in Firefox: ``compat/dashboard_firefox.js`` drives Debian's firefox-esr through
puppeteer-core (WebDriver BiDi) over the same paths the Chromium tests take (tests/test_dashboard.py):
the page goes live, the editor creates a stub and names a wrong field, requests arrive live, a miss
shows its near-miss diff, attacker-chosen strings stay text, and the console stays clean."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from _browser import firefox, puppeteer_modules
from mockpit import MockServer

SCRIPT = Path(__file__).resolve().parent / "compat" / "dashboard_firefox.js"
XSS = '<img src=x onerror="window.__pwned=1">'  # the script sends the same string


@pytest.mark.timeout(300)  # a first run installs Firefox and puppeteer-core
def test_the_dashboard_works_in_firefox() -> None:
    node = shutil.which("node")
    assert node, "the Firefox test needs Node: apt-get install nodejs (Node 18 or newer)"
    browser, modules = firefox(), puppeteer_modules()
    with MockServer() as server:
        server.add_mapping({"name": XSS, "request": {"urlPath": "/x"}, "response": {"status": 200, "body": XSS}})
        done = subprocess.run(
            [node, str(SCRIPT), browser, server.url],
            env={**os.environ, "NODE_PATH": str(modules)},
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        report = done.stdout + done.stderr
        passed = [line.removeprefix("PASS ") for line in done.stdout.splitlines() if line.startswith("PASS ")]
        assert done.returncode == 0, report
        assert len(passed) == 7, report
        # what the browser did, seen from the server: the stub it created answers, its requests are journaled
        assert httpx.get(f"{server.url}/hello", timeout=10).text == "hi"
        assert [s.name for s in server.stubs if s.name == "hello"] == ["hello"]
        assert server.count({"urlPath": "/helo"}) == 1
