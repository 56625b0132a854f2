"""The request journal: every request served, capped so a long run cannot exhaust memory."""

from __future__ import annotations

import threading
import uuid
from collections import deque
from collections.abc import Callable

from mockpit._matching.near_miss import NearMiss
from mockpit._model import Request, Response, Stub

_ID_LOCK = threading.Lock()


class ServeEvent:
    """One request and what answered it: the stub (``None`` if nothing matched) and the response."""

    __slots__ = ("_id", "near_miss_report", "near_misses", "request", "response", "stub")

    def __init__(self, request: Request, stub: Stub | None, response: Response) -> None:
        self.request = request
        self.stub = stub
        self.response = response
        self.near_miss_report: str | None = None
        #: for a request no stub matched: the closest stubs, closest first (the report is made of them)
        self.near_misses: list[NearMiss] | None = None
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
    def stream_outcome(self) -> str | None:
        """How a streamed response (Server-Sent Events) ended: ``"completed"``, ``"disconnected"`` (the
        client left first), ``"failed"``, or ``"streaming"`` while it goes on; ``None`` for other responses."""
        outcome = getattr(self.response.stream, "outcome", None)
        return outcome if isinstance(outcome, str) else None

    @property
    def timestamp(self) -> float:
        return self.request.timestamp

    def __repr__(self) -> str:
        answered = self.stub.describe() if self.stub else "no stub"
        return f"<ServeEvent {self.request.method} {self.request.url} -> {self.response.status} by {answered}>"


class Journal:
    """The last ``capacity`` serve events, oldest first; older ones are dropped.

    The request bodies kept are bounded too (``max_body_bytes``): 10,000 uploads of 10 MiB must not
    hold 100 GB. Whichever bound is reached first drops the oldest events.
    """

    DEFAULT_CAPACITY = 10_000
    DEFAULT_MAX_BODY_BYTES = 100 * 1024 * 1024

    def __init__(self, capacity: int = DEFAULT_CAPACITY, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        if capacity < 0:
            raise ValueError(f"journal capacity must be 0 or more, got {capacity}")
        if max_body_bytes < 0:
            raise ValueError(f"journal max_body_bytes must be 0 or more, got {max_body_bytes}")
        self.capacity = capacity
        self.max_body_bytes = max_body_bytes
        self._events: deque[ServeEvent] = deque()
        self._body_bytes = 0
        # uncontended (only the server's loop records), so it costs ~0.1 us; a reset from the test
        # thread must not interleave with the drop-oldest below
        self._lock = threading.Lock()
        self.total = 0

    def record(self, event: ServeEvent) -> None:
        with self._lock:
            self.total += 1
            if not self.capacity:
                return
            events = self._events
            if len(events) >= self.capacity:
                self._body_bytes -= len(events.popleft().request.body)
            events.append(event)
            size = len(event.request.body)
            if size:
                self._body_bytes += size
                while self._body_bytes > self.max_body_bytes and len(events) > 1:
                    self._body_bytes -= len(events.popleft().request.body)

    def events(self) -> list[ServeEvent]:
        with self._lock:
            return list(self._events)

    def find(self, predicate: Callable[[ServeEvent], bool]) -> list[ServeEvent]:
        return [event for event in self.events() if predicate(event)]

    def get(self, event_id: str) -> ServeEvent | None:
        return next((e for e in self.events() if e.id == event_id), None)

    def remove(self, predicate: Callable[[ServeEvent], bool]) -> list[ServeEvent]:
        """Remove the events ``predicate`` accepts (the admin API's ``requests/remove``); returns them."""
        with self._lock:
            kept: deque[ServeEvent] = deque()
            removed: list[ServeEvent] = []
            for event in self._events:
                (removed if predicate(event) else kept).append(event)
            if removed:
                self._events = kept
                self._body_bytes -= sum(len(event.request.body) for event in removed)
            return removed

    def clear(self) -> None:
        with self._lock:
            self._events.clear()
            self._body_bytes = 0
            self.total = 0

    def __len__(self) -> int:
        return len(self._events)
