"""Running mockpit's CLI as a subprocess the way a user does, for the CLI test modules."""

from __future__ import annotations

import queue
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

START_TIMEOUT = 20


def mockpit_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "mockpit", *args]


def refused_serve(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``mockpit serve ROOT --port 0`` for mappings it must refuse: it exits at once, its output captured.

    A server that starts instead would run until the timeout, failing the test with it.
    """
    return subprocess.run(
        mockpit_command("serve", str(root), "--port", "0", *args),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@dataclass
class Started:
    process: subprocess.Popen[str]
    #: the line that said it was ready
    ready: re.Match[str]
    #: stdout lines after the ready one, then None at the end
    lines: queue.Queue[str | None]
    #: stdout lines up to the ready one
    seen: list[str]


@contextmanager
def started(args: list[str], ready: re.Pattern[str], cwd: Path | None = None) -> Iterator[Started]:
    """Run ``args`` until a stdout line matches ``ready``; killed (if still running) at the end.

    stdout is read on a thread into a queue, so a test can wait for a line with a timeout.
    """
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd)
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    try:
        seen: list[str] = []
        while True:
            line = lines.get(timeout=START_TIMEOUT)
            if line is None:
                stderr = process.stderr.read() if process.stderr else ""
                raise AssertionError(f"{' '.join(args[2:4])} exited early: {seen} {stderr}")
            seen.append(line)
            if found := ready.search(line):
                break
        yield Started(process, found, lines, seen)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
