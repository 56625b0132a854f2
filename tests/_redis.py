"""A real Redis for the fleet tests: Debian's ``redis-server``, installed with apt-get when missing.

:class:`RedisServer` runs one on a free loopback port in a temporary folder, with no persistence, and can
be stopped and started again on the same port (the fault tests lose Redis mid-load). ``conftest.py``'s
``redis_server`` fixture starts one per test session; each test takes its own namespace.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from _wire import accepts_connections, free_port


@functools.cache
def redis_server_binary() -> str:
    """The path of ``redis-server``; installs Debian's package when running as root where apt-get exists."""
    found = shutil.which("redis-server")
    if found is None and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", "redis-server"]
        if subprocess.run(install, env=env, capture_output=True, check=False).returncode != 0:
            subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, check=False)
            subprocess.run(install, env=env, capture_output=True, check=False)
        found = shutil.which("redis-server")
    if found is None:
        pytest.fail("the fleet tests need a real Redis: install it (Debian/Ubuntu: apt-get install redis-server)")
    return found


class RedisServer:
    """One ``redis-server`` process on 127.0.0.1 (``url``), in ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        command = [
            redis_server_binary(),
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", str(self.folder),
            "--save", "",
            "--appendonly", "no",
            "--daemonize", "no",
        ]  # fmt: skip
        with (self.folder / "redis.log").open("ab") as log:  # the child keeps its own copy of the handle
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while not accepts_connections(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"redis-server did not start: {(self.folder / 'redis.log').read_text()[-2000:]}")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None
