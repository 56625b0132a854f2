"""The interface of a store of shared state.

A store holds data, not models: stubs as their mapping JSON text, journal entries as bytes (packed by
the store's own :meth:`Store.packer`), scenario states and sequence steps as strings and numbers. The
engine above turns them into stubs and serve events and keeps its compiled index locally, so matching
never waits on a store; a store only tells it, through :meth:`Store.subscribe`, that another instance
changed something.

Every method may raise :class:`StoreError` when the store cannot be reached; callers that serve requests
fall back to their local copy.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal

from mockpit._errors import MockpitError

#: what a change notice names: the stubs, the global settings, or the scenario states changed
ChangeKind = str
#: the collections of stubs a store keeps: HTTP stubs, and WebSocket message stubs
StubKind = Literal["stubs", "message-stubs"]
#: scenario states keep WireMock's initial state implicit: a scenario not in the store is here
STARTED = "Started"


class StoreError(MockpitError, ConnectionError):
    """The store could not be reached or refused an operation; the message names its URL."""


class Store(ABC):
    """State shared by every instance attached to the same store (and namespace)."""

    #: where the store is, as the user gave it (credentials masked), for messages
    url: str

    # --- stubs and settings (written on admin changes; each write notifies the other instances) --------

    @abstractmethod
    def load_stubs(self, kind: StubKind = "stubs") -> dict[str, str] | None:
        """Every stub's mapping JSON by id, oldest first; ``None`` if no instance has published stubs yet.

        ``kind`` names the collection: HTTP ``stubs`` or WebSocket ``message-stubs``.
        """

    @abstractmethod
    def save_stubs(
        self, changed: Mapping[str, str], removed: Iterable[str], *, origin: str, kind: StubKind = "stubs"
    ) -> None:
        """Add or replace ``changed`` (id -> mapping JSON), remove ``removed``, then notify ``kind``."""

    @abstractmethod
    def load_settings(self) -> str | None:
        """The global settings as JSON text (``None`` if never set)."""

    @abstractmethod
    def save_settings(self, text: str, *, origin: str) -> None: ...

    @abstractmethod
    def subscribe(self, callback: Callable[[str, ChangeKind], None]) -> None:
        """Call ``callback(origin, kind)`` on every change notice, from a thread of the store's own."""

    @abstractmethod
    def unsubscribe(self, callback: Callable[[str, ChangeKind], None]) -> None: ...

    # --- scenarios and sequences (on the request path of stubs that have them: one atomic step each) ----

    @abstractmethod
    def transition(self, scenario: str, required: str | None, new: str | None) -> bool:
        """Atomically: whether ``scenario`` is in ``required`` (any state if ``None``); if so, move it to ``new``."""

    @abstractmethod
    def scenario_states(self) -> dict[str, str]:
        """The states of scenarios that left ``Started`` (the others are in ``Started``)."""

    @abstractmethod
    def set_scenario_state(self, scenario: str, state: str) -> None: ...

    @abstractmethod
    def reset_scenarios(self) -> None:
        """Every scenario back to ``Started``."""

    @abstractmethod
    def step(self, stub_id: str, last: int, cycle: bool) -> int:
        """Atomically: the response-sequence position of ``stub_id`` to answer with, moving it on.

        Positions go from 0 to ``last``, then stay on ``last`` or, if ``cycle``, start again at 0.
        """

    @abstractmethod
    def reset_steps(self) -> None:
        """Every response sequence back to its first response."""

    # --- the journal (written in batches, off the request path) ---------------------------------------

    @abstractmethod
    def packer(self) -> Callable[[Any], bytes]:
        """A function that packs plain values (str, bytes, numbers, None, lists, tuples, dicts) into bytes,
        as every reader of this store unpacks them (:meth:`unpack`); for one thread's use.

        Journal entries are packed on the journal's thread, which shares the interpreter with the
        requests: the store picks a codec written in C.
        """

    @abstractmethod
    def unpack(self, data: bytes) -> Any:
        """The values :meth:`packer`'s function packed into ``data`` (tuples may come back as lists)."""

    @abstractmethod
    def append_events(self, entries: list[bytes], capacity: int) -> None:
        """Append journal entries, keeping the newest ``capacity``."""

    @abstractmethod
    def load_events(self) -> list[bytes]:
        """Every instance's journal entries, oldest first."""

    @abstractmethod
    def replace_events(self, entries: list[bytes]) -> None:
        """Replace the journal (the admin API's ``requests/remove``)."""

    @abstractmethod
    def clear_events(self) -> None: ...

    # --- named values and lists (a recording in progress) ----------------------------------------------

    @abstractmethod
    def set_value(self, name: str, text: str | None, *, origin: str) -> None:
        """Set the value ``name`` (``None`` removes it), then notify ``name``."""

    @abstractmethod
    def get_value(self, name: str) -> str | None: ...

    @abstractmethod
    def append_items(self, name: str, entries: list[bytes]) -> None:
        """Append to the list ``name``."""

    @abstractmethod
    def load_items(self, name: str) -> list[bytes]:
        """The list ``name``, oldest first (empty if there is none)."""

    @abstractmethod
    def clear_items(self, name: str) -> None: ...

    # --- live instances ------------------------------------------------------------------------------

    @abstractmethod
    def heartbeat(self, instance: str, text: str, ttl: float) -> None:
        """Say that ``instance`` is alive (``text``: its JSON description) for the next ``ttl`` seconds."""

    @abstractmethod
    def instances(self) -> dict[str, str]:
        """The descriptions of the instances whose heartbeat has not expired, by instance id."""

    def ping(self) -> None:
        """Raise :class:`StoreError` unless the store answers."""
        self.instances()

    def close(self) -> None:  # noqa: B027 (a store with nothing to close need not say so)
        """Stop the store's threads and close its connections."""
