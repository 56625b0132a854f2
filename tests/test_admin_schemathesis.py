"""schemathesis, the property-based API tester, against the admin API's own OpenAPI document over a real
socket: whatever it sends, valid or not, the admin API never answers with a server error (5xx).

It runs as users run it, its command line against a running server. The shutdown endpoint is left out
(it would stop the server under test), and so is starting a recording (it would proxy to whatever URL
the generator makes up).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mockpit import MockServer

EXCLUDED = r"/__admin/(shutdown|recordings/start)$"


@pytest.mark.timeout(600)  # about 45 s alone; a loaded machine takes longer
def test_the_admin_api_answers_anything_without_a_server_error(tmp_path: Path) -> None:
    command = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    assert command, "the test extra installs schemathesis"
    with MockServer(root=tmp_path) as server:
        server.add_mapping({"request": {"url": "/x"}, "response": {}, "metadata": {"team": "a"}})
        done = subprocess.run(
            [
                command,
                "run",
                server.url_for("/__admin/openapi.json"),
                "--checks=not_a_server_error",
                "--phases=examples,fuzzing",
                "--mode=all",  # documented payloads and ones that break the schema on purpose
                "--max-examples=40",
                f"--exclude-path-regex={EXCLUDED}",
                "--suppress-health-check=all",
                "--generation-database=none",
                "--seed=20261205",
                "--no-color",
            ],
            capture_output=True,
            text=True,
            cwd=tmp_path,  # schemathesis keeps a cache in .schemathesis/ where it runs
            timeout=500,
            check=False,
        )
        assert server.is_running
    report = done.stdout + done.stderr
    assert "Server error" not in report, report[-5000:]
    assert done.returncode == 0, report[-5000:]
    selected = re.search(r"Selected: (\d+)/(\d+)", report)
    assert selected, report[-3000:]
    assert int(selected.group(2)) - int(selected.group(1)) == 2  # all but shutdown and recordings/start
    assert f"Tested: {selected.group(1)}" in report, report[-3000:]  # each selected one was reached
