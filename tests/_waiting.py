"""Waiting for what a server does after it has answered: webhook calls, journal entries, errors, a stop.

Each wait polls with a deadline and returns what it saw when the condition held or the deadline passed,
so the test's own assertion says what was missing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from mockpit import MockServer, ServeEvent

DEADLINE = 5.0
INTERVAL = 0.01

T = TypeVar("T")


def wait_until(probe: Callable[[], T], done: Callable[[T], object] = bool, deadline: float = DEADLINE) -> T:
    """``probe()`` once ``done`` holds for it, or its last value once ``deadline`` seconds have passed."""
    end = time.monotonic() + deadline
    while True:
        value = probe()
        if done(value) or time.monotonic() > end:
            return value
        time.sleep(INTERVAL)


def requests_to(server: MockServer, count: int = 1, deadline: float = DEADLINE) -> list[ServeEvent]:
    """The requests ``server`` has received, once there are ``count`` of them (or the deadline passed)."""
    return wait_until(server.requests, lambda events: len(events) >= count, deadline)


def errors_of(server: MockServer, deadline: float = DEADLINE) -> list[str]:
    """The errors ``server`` recorded, once there is one (or the deadline passed)."""
    return [str(error) for error in wait_until(lambda: server.errors, deadline=deadline)]
