"""The Node clients ``wiremock-captain`` and ``wiremock-rest-client`` (from npm) drive mockpit unchanged.

``compat/node_clients.js`` calls each client as its README shows and prints one line per check; it runs
against ``mockpit serve`` and against WireMock 3.13.2 itself, so that every expectation holds on the
reference. The clients are installed with ``npm install`` into the cache of :mod:`_wiremock`.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from _processes import mockpit_command, started
from _wiremock import need, npm_modules, wiremock

SCRIPT = Path(__file__).resolve().parent / "compat" / "node_clients.js"
CHECKS = 18


def run(base_url: str) -> tuple[set[str], dict[str, str]]:
    node = need("node", "apt-get install nodejs (Node 18 or newer)")
    env = {**os.environ, "NODE_PATH": str(npm_modules())}
    done = subprocess.run(
        [node, str(SCRIPT), base_url], check=False, capture_output=True, text=True, timeout=180, env=env
    )
    passed = set(re.findall(r"^PASS (.+)$", done.stdout, re.MULTILINE))
    failed = dict(re.findall(r"^FAIL ([^\t]+)\t(.*)$", done.stdout, re.MULTILINE))
    assert passed or failed, done.stdout + done.stderr
    return passed, failed


def test_the_node_clients_against_wiremock(tmp_path: Path) -> None:
    with wiremock(tmp_path) as url:
        passed, failed = run(url)
    assert not failed, failed
    assert len(passed) == CHECKS


def test_the_node_clients_against_mockpit(tmp_path: Path) -> None:
    (tmp_path / "mappings").mkdir()
    args = mockpit_command("serve", str(tmp_path / "mappings"), "--port", "0")
    with started(args, re.compile(r"on (http://127\.0\.0\.1:\d+)")) as server:
        passed, failed = run(server.ready.group(1))
    assert not failed, failed
    assert len(passed) == CHECKS
