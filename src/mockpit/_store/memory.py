"""A store in this process's memory: the instances of one process that name the same store share it.

It is the seam's reference implementation (the contract tests run against it and Redis alike) and lets
two ``MockServer``\\s in one test behave as a fleet. A single server needs no store at all: its engine's
own structures are its state, and that default path never touches this module.
"""

from __future__ import annotations

import marshal
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar

from .store import ChangeKind, Store, StubKind


class MemoryStore(Store):
    _named: ClassVar[dict[tuple[str, str], MemoryStore]] = {}
    _named_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, url: str = "memory://") -> None:
        self.url = url
        # one lock: each operation is atomic, as a Redis script is
        self._lock = threading.Lock()
        self._stubs: dict[StubKind, dict[str, str]] = {}
        self._settings: str | None = None
        self._states: dict[str, str] = {}
        self._steps: dict[str, int] = {}
        self._events: deque[bytes] = deque()
        self._values: dict[str, str] = {}
        self._items: dict[str, list[bytes]] = {}
        self._alive: dict[str, tuple[str, float]] = {}
        self._subscribers: list[Callable[[str, ChangeKind], None]] = []
        self._notices: queue.SimpleQueue[tuple[str, ChangeKind]] = queue.SimpleQueue()
        self._deliverer: threading.Thread | None = None

    @classmethod
    def named(cls, name: str, namespace: str) -> MemoryStore:
        """The store of this process called ``name`` in ``namespace``, created on first use."""
        with cls._named_lock:
            key = (name, namespace)
            if key not in cls._named:
                cls._named[key] = cls(f"memory://{name}")
            return cls._named[key]

    def _notify(self, origin: str, kind: ChangeKind) -> None:
        # delivered on a thread of the store's own, as Redis's are: two instances changing stubs at once
        # on two threads must not each wait, inside its change, for the other to take the notice
        if self._subscribers:
            self._notices.put((origin, kind))

    def _deliver(self) -> None:
        while True:
            origin, kind = self._notices.get()
            for callback in list(self._subscribers):
                try:
                    callback(origin, kind)
                except Exception as exc:  # one instance's failure to apply a change must not stop the others
                    print(f"mockpit: applying a change from the store failed: {exc!r}")

    def load_stubs(self, kind: StubKind = "stubs") -> dict[str, str] | None:
        with self._lock:
            stubs = self._stubs.get(kind)
            return None if stubs is None else dict(stubs)

    def save_stubs(
        self, changed: Mapping[str, str], removed: Iterable[str], *, origin: str, kind: StubKind = "stubs"
    ) -> None:
        with self._lock:
            stubs = self._stubs.setdefault(kind, {})
            for stub_id in removed:
                stubs.pop(stub_id, None)
            for stub_id, text in changed.items():
                stubs.pop(stub_id, None)  # a replaced stub counts as the newest, as in the index
                stubs[stub_id] = text
        self._notify(origin, kind)

    def load_settings(self) -> str | None:
        return self._settings

    def save_settings(self, text: str, *, origin: str) -> None:
        self._settings = text
        self._notify(origin, "settings")

    def subscribe(self, callback: Callable[[str, ChangeKind], None]) -> None:
        self._subscribers.append(callback)
        with self._lock:
            if self._deliverer is None:
                self._deliverer = threading.Thread(target=self._deliver, name=f"mockpit-store:{self.url}", daemon=True)
                self._deliverer.start()

    def unsubscribe(self, callback: Callable[[str, ChangeKind], None]) -> None:
        if callback in self._subscribers:
            self._subscribers.remove(callback)

    def transition(self, scenario: str, required: str | None, new: str | None) -> bool:
        with self._lock:
            if required is not None and self._states.get(scenario, "Started") != required:
                return False
            if new is not None:
                self._states[scenario] = new
            return True

    def scenario_states(self) -> dict[str, str]:
        with self._lock:
            return dict(self._states)

    def set_scenario_state(self, scenario: str, state: str) -> None:
        with self._lock:
            self._states[scenario] = state

    def reset_scenarios(self) -> None:
        with self._lock:
            self._states.clear()

    def step(self, stub_id: str, last: int, cycle: bool) -> int:
        with self._lock:
            index = self._steps.get(stub_id, 0)
            self._steps[stub_id] = index + 1 if index < last else 0 if cycle else last
            return min(index, last)

    def reset_steps(self) -> None:
        with self._lock:
            self._steps.clear()

    def packer(self) -> Callable[[Any], bytes]:
        # one process, one interpreter: marshal (C, and as fast as msgpack) needs no dependency, and what
        # it reads was written here
        return marshal.dumps

    def unpack(self, data: bytes) -> Any:
        return marshal.loads(data)

    def append_events(self, entries: list[bytes], capacity: int) -> None:
        with self._lock:
            self._events.extend(entries)
            while len(self._events) > capacity:
                self._events.popleft()

    def load_events(self) -> list[bytes]:
        with self._lock:
            return list(self._events)

    def replace_events(self, entries: list[bytes]) -> None:
        with self._lock:
            self._events = deque(entries)

    def clear_events(self) -> None:
        with self._lock:
            self._events.clear()

    def set_value(self, name: str, text: str | None, *, origin: str) -> None:
        with self._lock:
            if text is None:
                self._values.pop(name, None)
            else:
                self._values[name] = text
        self._notify(origin, name)

    def get_value(self, name: str) -> str | None:
        with self._lock:
            return self._values.get(name)

    def append_items(self, name: str, entries: list[bytes]) -> None:
        with self._lock:
            self._items.setdefault(name, []).extend(entries)

    def load_items(self, name: str) -> list[bytes]:
        with self._lock:
            return list(self._items.get(name, ()))

    def clear_items(self, name: str) -> None:
        with self._lock:
            self._items.pop(name, None)

    def heartbeat(self, instance: str, text: str, ttl: float) -> None:
        with self._lock:
            self._alive[instance] = (text, time.monotonic() + ttl)

    def instances(self) -> dict[str, str]:
        now = time.monotonic()
        with self._lock:
            return {key: text for key, (text, until) in self._alive.items() if until > now}
