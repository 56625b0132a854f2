"""A real Chromium for the tests that need a browser: found on the PATH, or installed with apt-get.

Two ways to drive it: :func:`dump_dom` below, and Playwright (:func:`launch_playwright_chromium`, for the
dashboard's click-through tests), which starts this same system Chromium: the suite never runs
``playwright install`` nor downloads a browser of its own.

The browser runs headless with ``--dump-dom``: it loads a page, runs its scripts (up to a virtual time
budget) and prints the DOM, so a test sees what a user's browser would do, with no driver in between.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from typing import Any

import pytest

_NAMES = ("chromium", "chromium-browser", "google-chrome")


@functools.cache
def chromium() -> str:
    """The path of a Chromium; installs Debian's package when running as root where apt-get exists."""
    found = next((path for path in map(shutil.which, _NAMES) if path), None)
    if found is None and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "-q", "chromium"]
        if subprocess.run(install, env=env, capture_output=True, check=False).returncode != 0:
            subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, check=False)
            subprocess.run(install, env=env, capture_output=True, check=False)
        found = next((path for path in map(shutil.which, _NAMES) if path), None)
    if found is None:
        pytest.fail("these tests need Chromium: install it (Debian/Ubuntu: apt-get install chromium)")
    return found


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
