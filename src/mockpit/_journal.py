"""The request journal: every request served, capped so a long run cannot exhaust memory."""

from __future__ import annotations

import threading
import uuid
from collections import deque
from collections.abc import Callable

from ._model import Request, Response, Stub

_ID_LOCK = threading.Lock()


class ServeEvent:
    """One request and what answered it: the stub (``None`` if nothing matched) and the response."""

    __slots__ = ("_id", "near_miss_report", "request", "response", "stub")

    def __init__(self, request: Request, stub: Stub | None, response: Response) -> None:
        self.request = request
        self.stub = stub
        self.response = response
        self.near_miss_report: str | None = None
        self._id: str | None = None

    @property
    def id(self) -> str:
        # A UUID costs microseconds; most events are never asked for theirs. The test thread and the
        # server thread (the admin API) may ask at once: the lock makes sure both get the same one.
        if self._id is None:
            with _ID_LOCK:
                if self._id is None:
                    self._id = str(uuid.uuid4())
        return self._id

    @property
    def matched(self) -> bool:
        return self.stub is not None

    @property
    def timestamp(self) -> float:
        return self.request.timestamp

    def __repr__(self) -> str:
        answered = self.stub.describe() if self.stub else "no stub"
        return f"<ServeEvent {self.request.method} {self.request.url} -> {self.response.status} by {answered}>"


class Journal:
    """The last ``capacity`` serve events, oldest first; older ones are dropped."""

    DEFAULT_CAPACITY = 10_000

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        if capacity < 0:
            raise ValueError(f"journal capacity must be 0 or more, got {capacity}")
        self.capacity = capacity
        self._events: deque[ServeEvent] = deque(maxlen=capacity)
        self._lock = threading.Lock()
        self.total = 0

    def record(self, event: ServeEvent) -> None:
        # Only the server's loop thread records; deque.append is atomic, so the hot path takes no lock.
        self._events.append(event)
        self.total += 1

    def events(self) -> list[ServeEvent]:
        with self._lock:
            return list(self._events)

    def find(self, predicate: Callable[[ServeEvent], bool]) -> list[ServeEvent]:
        return [event for event in self.events() if predicate(event)]

    def get(self, event_id: str) -> ServeEvent | None:
        return next((e for e in self.events() if e.id == event_id), None)

    def clear(self) -> None:
        with self._lock:
            self._events.clear()
            self.total = 0

    def __len__(self) -> int:
        return len(self._events)
