"""Real browsers for the tests that need one: Chromium and Firefox, found on the PATH or installed with apt-get.

Two ways to drive it: :func:`dump_dom` below, and Playwright (:func:`launch_playwright_chromium`, for the
dashboard's click-through tests), which starts this same system Chromium: the suite never runs
``playwright install`` nor downloads a browser of its own.

The browser runs headless with ``--dump-dom``: it loads a page, runs its scripts (up to a virtual time
budget) and prints the DOM, so a test sees what a user's browser would do, with no driver in between.

Firefox (Debian's ESR) is driven by puppeteer-core from npm over WebDriver BiDi, which Firefox speaks
natively: Playwright's Firefox is a patched build from its own CDN, and Selenium needs geckodriver from
GitHub, neither of which a machine limited to PyPI, Debian and npm can fetch.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

_NAMES = ("chromium", "chromium-browser", "google-chrome")
_FIREFOX_NAMES = ("firefox-esr", "firefox")
#: puppeteer-core drives Firefox over WebDriver BiDi; "-core" never downloads a browser of its own
PUPPETEER = "puppeteer-core@24"
CACHE = Path(os.environ.get("MOCKPIT_COMPAT_CACHE", Path.home() / ".cache" / "mockpit-compat"))


def _installed(names: tuple[str, ...], package: str, what: str) -> str:
    """The path of the first of ``names`` on the PATH; installs Debian's ``package`` when running as root
    where apt-get exists, else the test fails saying what to install."""
    found = next((path for path in map(shutil.which, names) if path), None)
    if found is None and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "-q", package]
        if subprocess.run(install, env=env, capture_output=True, check=False).returncode != 0:
            subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, check=False)
            subprocess.run(install, env=env, capture_output=True, check=False)
        found = next((path for path in map(shutil.which, names) if path), None)
    if found is None:
        pytest.fail(f"these tests need {what}: install it (Debian/Ubuntu: apt-get install {package})")
    return found


@functools.cache
def chromium() -> str:
    """The path of a Chromium; installs Debian's package when running as root where apt-get exists."""
    return _installed(_NAMES, "chromium", "Chromium")


@functools.cache
def firefox() -> str:
    """The path of a Firefox (Debian's ESR), installed as :func:`chromium` is."""
    return _installed(_FIREFOX_NAMES, "firefox-esr", "Firefox")


@functools.cache
def puppeteer_modules() -> Path:
    """``node_modules`` holding puppeteer-core, installed from npm into the cache on first use."""
    root = CACHE / "browser-npm"
    modules = root / "node_modules"
    if not (modules / "puppeteer-core").is_dir():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("the Firefox tests need Node and npm: apt-get install nodejs npm (Node 18 or newer)")
        root.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--prefix", str(root), PUPPETEER],
            env={**os.environ, "PUPPETEER_SKIP_DOWNLOAD": "1"},
            check=True,
            capture_output=True,
            timeout=300,
        )
    return modules


def dump_dom(url: str, *flags: str, budget_ms: int = 10_000) -> str:
    """The DOM of ``url`` once its scripts have run, as headless Chromium prints it."""
    command = [
        chromium(),
        "--headless=new",
        "--no-sandbox",  # tests run as root in CI, where Chromium's sandbox refuses to start
        "--disable-gpu",
        "--no-first-run",
        f"--virtual-time-budget={budget_ms}",
        *flags,
        "--dump-dom",
        url,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def launch_playwright_chromium(playwright: Any) -> Any:
    """Debian's Chromium under Playwright (headless): the system browser, never one ``playwright install`` fetched."""
    return playwright.chromium.launch(
        executable_path=chromium(),
        headless=True,
        args=["--no-sandbox", "--disable-gpu"],  # root in CI: Chromium's sandbox refuses to start
    )
