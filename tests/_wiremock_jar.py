"""Where WireMock 3.13.2's standalone jar and the Node clients live, installed on first use.

The npm package ``wiremock`` ships WireMock's standalone jar: ``npm install`` puts it, with the Node
clients the compatibility suites drive, into a cache directory (``MOCKPIT_COMPAT_CACHE``, default
``~/.cache/mockpit-compat``). Standard library only, so that ``bench/peers.py`` uses the same jar as
the tests (``tests/_wiremock.py`` turns a missing tool into a test failure).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

WIREMOCK_VERSION = "3.13.2"
#: the npm packages the suites use: WireMock's jar and the two Node clients
NPM_PACKAGES = (f"wiremock@{WIREMOCK_VERSION}", "wiremock-captain@3", "wiremock-rest-client@1")
CACHE = Path(os.environ.get("MOCKPIT_COMPAT_CACHE", Path.home() / ".cache" / "mockpit-compat"))
NPM_INSTALL = "apt-get install nodejs npm (Node 18 or newer)"


class MissingToolError(RuntimeError):
    """A program the jar's installation needs is not on PATH."""


def npm_modules() -> Path:
    """``node_modules`` with WireMock's jar and the Node clients, installed on first use."""
    root = CACHE / "npm"
    modules = root / "node_modules"
    if not jar_in(modules).is_file() or not all((modules / n.rpartition("@")[0]).is_dir() for n in NPM_PACKAGES):
        npm = shutil.which("npm")
        if npm is None:
            raise MissingToolError(f"npm is not installed; WireMock's jar comes from npm: {NPM_INSTALL}")
        root.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--prefix", str(root), *NPM_PACKAGES],
            check=True,
            capture_output=True,
            timeout=300,
        )
    return modules


def jar_in(modules: Path) -> Path:
    return modules / "wiremock" / "build" / f"wiremock-standalone-{WIREMOCK_VERSION}.jar"


def wiremock_jar() -> Path:
    """WireMock's standalone jar, installed on first use."""
    return jar_in(npm_modules())
