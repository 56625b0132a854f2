"""WebSocket message stubs shared by a fleet, as the fleet shares HTTP stubs.

The fleet (:mod:`mockpit._engine.fleet`) sits below the WebSocket hub and cannot know it, so this does
for message stubs what it does for HTTP stubs, through the same store: it publishes this instance's
changes (admin API, Python, files), applies the other instances', and on joining takes the fleet's set
(or publishes its own if it is the first). Connections and the message journal stay with the instance
that has them: a socket is one process's.
"""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING, Final

from mockpit._engine.fleet import SharedStubs
from mockpit._store.store import StoreError, StubKind

if TYPE_CHECKING:
    from mockpit._engine.fleet import Fleet

    from .websocket import WebSocketHub

KIND: Final[StubKind] = "message-stubs"


class SharedMessageStubs:
    """Keeps ``hub``'s message stubs in step with the fleet's store: :meth:`start` with the fleet, :meth:`stop`."""

    def __init__(self, hub: WebSocketHub, fleet: Fleet) -> None:
        self.hub = hub
        self.fleet = fleet
        self._stubs = SharedStubs(
            fleet.store,
            KIND,
            origin=lambda: fleet.instance,
            local=self._local,
            add=self._add,
            remove=hub.remove,
            what="message stub",
        )
        self._unpublished = False
        self._sync = threading.RLock()

    def start(self) -> None:
        with self._sync:
            self.hub.change_listeners.append(self._changed)
            self.fleet.store.subscribe(self._notice)
            remote = self._stubs.load()
            if remote is None:
                self._stubs.publish()
            else:
                self._stubs.apply(remote, joining=True)

    def stop(self) -> None:
        if self._changed in self.hub.change_listeners:
            self.hub.change_listeners.remove(self._changed)
        self.fleet.store.unsubscribe(self._notice)

    def _changed(self) -> None:
        if self._stubs.applying:
            return
        with self._sync:
            try:
                self._stubs.publish()
            except StoreError:  # lost: written when the store is back (the "resync" notice)
                self._unpublished = True

    def _notice(self, origin: str, kind: str) -> None:
        if origin == self.fleet.instance:
            return
        with self._sync:
            if kind == "resync":
                if self._stubs.republish(unpublished=self._unpublished):
                    self._unpublished = False
                kind = KIND
            if kind == KIND:
                remote = self._stubs.load()
                if remote is not None:
                    self._stubs.apply(remote)

    def _local(self) -> dict[str, str]:
        from mockpit._mapping.write import message_stub_to_mapping

        return {
            stub.id: json.dumps(message_stub_to_mapping(stub), sort_keys=True, separators=(",", ":"))
            for stub in self.hub.stubs
            if stub.handler is None  # Python code cannot travel: a handler stays on the instance that has it
        }

    def _add(self, text: str) -> None:
        from mockpit._mapping.messages import message_stub_from_mapping

        self.hub.add([message_stub_from_mapping(json.loads(text), source=f"the store at {self.fleet.store.url}")])
