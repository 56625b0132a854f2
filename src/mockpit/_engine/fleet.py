"""A fleet: this engine's state shared with other instances through a store (:mod:`mockpit._store`).

The engine keeps answering from its own structures (the compiled stub index above all), so matching
never waits on the store. What the fleet adds around them:

- stubs and global settings: a local change is written to the store, which tells the other instances;
  a notice from another instance makes this one read the stubs back and change its index to match;
- the journal: each serve event is appended to a local buffer on the request path and written in
  batches by a background thread; reading the journal reads every instance's entries from the store;
- scenarios and response sequences: each transition and step is one atomic operation in the store;
- a heartbeat, so that ``GET /__admin/cluster`` can list the live instances.

When the store is lost, requests are answered from the local copy, transitions and steps are taken
locally, journal entries wait in a bounded buffer (those past its bound are counted as dropped), and
the store's thread reconnects with a growing delay; once back, this instance reads the stubs again.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import os
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, replace
from typing import TYPE_CHECKING, Any

from mockpit._mapping.files import MappingFiles
from mockpit._model import STARTED, DelayDistribution, Request, Response, Stub
from mockpit._store.store import Store, StoreError, StubKind

from .journal import _ID_LOCK, Journal, ServeEvent
from .scenarios import Machine, Scenario, Scenarios

if TYPE_CHECKING:
    from .engine import Engine, Settings

#: seconds between journal batches: a request is in every instance's journal well within 200 ms
FLUSH_INTERVAL = 0.02
#: journal entries written in one round trip to the store
FLUSH_PART = 500
#: seconds between heartbeats; an instance is listed until three have been missed
HEARTBEAT_INTERVAL = 1.0
#: journal entries kept while the store is lost; the oldest are dropped (and counted) past this
BUFFER_LIMIT = 10_000


class SharedMachine(Machine):
    """A scenario whose state lives in the store: each transition is one atomic step there."""

    __slots__ = ("_store",)

    def __init__(self, name: str, lock: threading.Lock, store: Store) -> None:
        super().__init__(name, lock)
        self._store = store

    def serve(self, required: str | None, new: str | None) -> bool:
        try:
            served = self._store.transition(self.name, required, new)
        except StoreError:  # the store is lost: this instance goes on alone until it is back
            return super().serve(required, new)
        if served and new is not None:
            self.state = new  # the local copy, for when the store is lost
        return served


class SharedScenarios(Scenarios):
    """Scenarios whose states live in the store (the stubs that name them are still this engine's)."""

    shared = True

    def __init__(self, store: Store) -> None:
        super().__init__()
        self._store = store

    def _machine(self, name: str) -> Machine:
        return SharedMachine(name, self._lock, self._store)

    def _states(self) -> dict[str, str] | None:
        try:
            return self._store.scenario_states()
        except StoreError:
            return None

    def state(self, name: str) -> str | None:
        local = super().state(name)
        states = self._states()
        return local if local is None or states is None else states.get(name, STARTED)

    def all(self) -> list[Scenario]:
        states = self._states()
        return [self._shared(scenario, states) for scenario in super().all()]

    def get(self, name: str) -> Scenario | None:
        scenario = super().get(name)
        return None if scenario is None else self._shared(scenario, self._states())

    @staticmethod
    def _shared(scenario: Scenario, states: dict[str, str] | None) -> Scenario:
        return scenario if states is None else replace(scenario, state=states.get(scenario.name, STARTED))

    # While the store is lost, a reset or a state set changes this instance only (as a transition does).

    def reset(self) -> None:
        super().reset()
        with contextlib.suppress(StoreError):
            self._store.reset_scenarios()

    def set_state(self, name: str, state: str) -> None:
        super().set_state(name, state)  # checks the name and the state
        with contextlib.suppress(StoreError):
            self._store.set_scenario_state(name, state)

    def clear(self) -> None:
        super().clear()
        with contextlib.suppress(StoreError):  # a reset while the store is lost resets this instance only
            self._store.reset_scenarios()


class SharedJournal(Journal):
    """The journal of every instance: written in batches from a local buffer, read from the store.

    Reading first writes what is buffered, so that a test sees its own requests at once.
    """

    def __init__(self, fleet: Fleet, capacity: int, max_body_bytes: int, buffer_limit: int = BUFFER_LIMIT) -> None:
        super().__init__(capacity, max_body_bytes)
        self._fleet = fleet
        self._pending: deque[ServeEvent] = deque()
        self._flush_lock = threading.Lock()
        #: other instances' events as last read, by id: the same objects come back each time (this
        #: instance's own are found in the local journal, which is bounded; so is what the store holds)
        self._known: dict[str, ServeEvent] = {}
        self.buffer_limit = buffer_limit
        #: entries dropped because the buffer was full while the store was lost
        self.dropped = 0

    def record(self, event: ServeEvent) -> None:
        super().record(event)
        if self.capacity:
            pending = self._pending
            if len(pending) >= self.buffer_limit:
                pending.popleft()
                self.dropped += 1
            pending.append(event)

    @property
    def buffered(self) -> int:
        return len(self._pending)

    def flush(self) -> bool:
        """Write the buffered entries to the store; ``False`` if it cannot be reached (they stay buffered)."""
        with self._flush_lock:
            pending = self._pending
            left = len(pending)  # not those recorded meanwhile: they wait for the next flush
            while left > 0:
                # In parts: the thread holds the interpreter while it writes entries, and requests wait
                # meanwhile (a part is half a millisecond of it); each part's round trip lets them in.
                batch = list(itertools.islice(pending, min(left, FLUSH_PART)))
                try:
                    self._fleet.store.append_events(self._fleet.entries(batch), self.capacity)
                except StoreError:
                    return False
                left -= len(batch)
                # record() appends on the right meanwhile, and drops on the left while the buffer is full
                count, popleft = len(batch), pending.popleft
                if len(pending) >= count and pending[count - 1] is batch[-1]:  # nothing dropped: the usual case
                    for _ in range(count):
                        popleft()
                else:
                    for event in batch:
                        if pending and pending[0] is event:
                            popleft()
            return True

    def _shared(self) -> list[tuple[ServeEvent, bytes]] | None:
        if not self.flush():
            return None
        try:
            entries = self._fleet.store.load_events()
        except StoreError:
            return None
        own = {event._id: event for event in super().events() if event._id is not None}
        known, events = {}, []
        for entry in entries:
            event_id = entry[: entry.index(b"\n")].decode("ascii")
            event = own.get(event_id)
            if event is None:
                event = self._known.get(event_id) or self._fleet.event_from_entry(entry)
                known[event_id] = event
            events.append((event, entry))
        self._known = known
        return events

    def events(self) -> list[ServeEvent]:
        shared = self._shared()
        return super().events() if shared is None else [event for event, _ in shared]

    def remove(self, predicate: Callable[[ServeEvent], bool]) -> list[ServeEvent]:
        local = super().remove(predicate)
        shared = self._shared()
        if shared is None:
            return local
        removed = [event for event, _ in shared if predicate(event)]
        if removed:
            with contextlib.suppress(StoreError):  # lost meanwhile: removed here only
                self._fleet.store.replace_events([entry for event, entry in shared if not predicate(event)])
        return removed

    def clear(self) -> None:
        super().clear()
        with self._flush_lock:
            self._pending.clear()
            self._known.clear()
        with contextlib.suppress(StoreError):  # lost: cleared here only
            self._fleet.store.clear_events()


class SharedStubs:
    """One kind of stubs kept in step with the store: HTTP stubs (the fleet's), WebSocket stubs
    (:mod:`mockpit._protocols.shared_messages`).

    ``local()`` is this instance's stubs as id -> mapping JSON (oldest first); ``add(text)`` and
    ``remove(id)`` change them. What this instance last wrote or read is kept, so that a change made
    here and one heard from another instance are told apart.
    """

    def __init__(
        self,
        store: Store,
        kind: StubKind,
        *,
        origin: Callable[[], str],
        local: Callable[[], dict[str, str]],
        add: Callable[[str], object],
        remove: Callable[[str], object],
        what: str,
    ) -> None:
        self.store, self.kind, self.what = store, kind, what
        self._origin, self._local, self._add, self._remove = origin, local, add, remove
        #: what this instance last wrote to or read from the store: stub id -> mapping JSON
        self._published: dict[str, str] = {}
        self._applying = threading.local()

    @property
    def applying(self) -> bool:
        """This thread is taking the fleet's stubs: the changes it makes are not this instance's own."""
        return getattr(self._applying, "on", False)

    def load(self) -> dict[str, str] | None:
        return self.store.load_stubs(self.kind)

    def republish(self, *, unpublished: bool) -> bool:
        """Back after the store was lost: write everything if a change here was not written meanwhile
        (``unpublished``) or the store came back empty (a Redis restarted without persistence), so that
        an instance joining gets the stubs. Whether it wrote them."""
        if not unpublished and self.load() is not None:
            return False
        self._published = {}
        self.publish()
        return True

    def publish(self) -> None:
        """Write what changed here since the last write or read."""
        local = self._local()
        changed = {stub_id: text for stub_id, text in local.items() if self._published.get(stub_id) != text}
        removed = [stub_id for stub_id in self._published if stub_id not in local]
        if changed or removed or not self._published:
            self.store.save_stubs(changed, removed, origin=self._origin(), kind=self.kind)
        self._published = local

    def apply(self, remote: dict[str, str], *, joining: bool = False) -> None:
        """Take what other instances changed: ``remote`` against what this one last wrote or read.

        A change made here and not written yet is neither undone nor overwritten: it is written next.
        Joining, the fleet's stubs replace this instance's. A stub this instance cannot take (a body
        file it lacks) is said and skipped.
        """
        local = self._local()
        base = local if joining else self._published
        self._applying.on = True
        try:
            for stub_id in (base.keys() - remote.keys()) & local.keys():
                self._remove(stub_id)
            for stub_id, text in remote.items():
                if base.get(stub_id) == text or local.get(stub_id) == text:
                    continue
                try:
                    self._add(text)
                except ValueError as exc:  # e.g. a body file this instance does not have
                    print(f"mockpit: a {self.what} from the store was refused here: {exc}")
        finally:
            self._applying.on = False
        self._published = remote


class Fleet:
    """Shares ``engine``'s state through ``store``: :meth:`start` when serving begins, :meth:`stop` at the end."""

    def __init__(self, engine: Engine, store: Store, *, version: str = "", owns_store: bool = True) -> None:
        """``owns_store``: the fleet opened ``store`` and closes it when it stops (not one given to share)."""
        self.engine = engine
        self.store = store
        self._owns_store = owns_store
        self.version = version
        self.instance = uuid.uuid4().hex[:12]
        self._id_prefix = str(uuid.uuid4())[:24]
        self._ids = itertools.count()
        #: id(response) -> (the response, its stub, the answer's half of a journal entry, packed)
        self._answers: dict[int, tuple[Response, Stub | None, bytes]] = {}
        self.address = ""
        self.started = time.time()
        self._stubs = SharedStubs(
            store,
            "stubs",
            origin=lambda: self.instance,
            local=self._local_stubs,
            add=self._add_stub,
            remove=self._remove_stub,
            what="stub",
        )
        #: where this instance keeps persistent stubs' files (the server's mappings folder), if anywhere
        self.files: MappingFiles | None = None
        #: the stubs the last :meth:`_apply` added (or replaced) and removed
        self._heard: tuple[list[Stub], list[Stub]] = ([], [])
        #: a local change that could not be written (the store was lost): written when it is back
        self._unpublished = False
        self._sync = threading.RLock()
        self._applying = threading.local()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_total = 0
        self._load = 0.0
        #: called with a sentence when the store is lost and when it is back (``mockpit serve`` prints them)
        self.status_listeners: list[Callable[[str], None]] = []
        self._lost_at_drops: int | None = None
        self._drops_before = 0
        stubs = [e.compiled() for e in reversed(engine.index.entries())]
        engine.index.clear()  # drops the local scenarios: the stubs added back join the shared ones
        engine.scenarios = engine.index.scenarios = SharedScenarios(store)
        engine.index.add_compiled(stubs)
        engine.journal = SharedJournal(self, engine.journal.capacity, engine.journal.max_body_bytes)
        engine.shared_misses = self._misses

    def _misses(self) -> list[ServeEvent]:
        return [event for event in self.journal.events() if event.stub is None][-1000:]

    def renew(self) -> None:
        """A new identity, for a worker process forked from this one (it must not answer to its parent's)."""
        self.instance = uuid.uuid4().hex[:12]
        self._id_prefix = str(uuid.uuid4())[:24]
        self.started = time.time()

    @property
    def journal(self) -> SharedJournal:
        journal = self.engine.journal
        assert isinstance(journal, SharedJournal)
        return journal

    # --- lifecycle -----------------------------------------------------------------------------------

    def start(self, address: str = "") -> None:
        """Join: read the fleet's stubs (or publish this instance's, if it is the first), then keep in step."""
        self.address = address
        self._stop.clear()
        with self._sync:
            self.engine.change_listeners.append(self._changed)
            self.store.subscribe(self._notice)
            self._join()
        self._thread = threading.Thread(target=self._run, name=f"mockpit-fleet:{self.instance}", daemon=True)
        self._thread.start()

    def _join(self) -> None:
        remote = self._stubs.load()
        if remote is None:
            self._stubs.publish()
            self._publish_settings()
        else:
            self._apply(remote, joining=True)
            self._apply_settings()
        self._share_sequences()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        if self._changed in self.engine.change_listeners:
            self.engine.change_listeners.remove(self._changed)
        self.store.unsubscribe(self._notice)
        self.journal.flush()
        if self._owns_store:
            self.store.close()

    def _run(self) -> None:
        beat = 0.0
        while not self._stop.wait(FLUSH_INTERVAL):
            self._report(self.journal.flush())
            now = time.monotonic()
            if now - beat >= HEARTBEAT_INTERVAL:
                self._heartbeat(now - beat if beat else HEARTBEAT_INTERVAL)
                beat = now

    def _report(self, reachable: bool) -> None:
        journal = self.journal
        if reachable and self._lost_at_drops is None:
            self._drops_before = journal.dropped
        elif not reachable and self._lost_at_drops is None:
            # counted from the last write that worked: entries may have been dropped before this noticed
            self._lost_at_drops = self._drops_before
            self._say(
                f"lost the store at {self.store.url}: answering from the local stubs, keeping up to "
                f"{journal.buffer_limit} journal entries until it is back"
            )
        elif reachable and self._lost_at_drops is not None:
            dropped = journal.dropped - self._lost_at_drops
            self._lost_at_drops = None
            self._say(f"back on the store at {self.store.url}; {dropped} journal entries were dropped meanwhile")

    def _say(self, message: str) -> None:
        for listener in self.status_listeners:
            listener(message)

    def _heartbeat(self, elapsed: float) -> None:
        total = self.engine.journal.total
        self._load = max(0, total - self._last_total) / elapsed
        self._last_total = total
        # when the store is lost its thread reconnects; the journal buffer reports what waits meanwhile
        with contextlib.suppress(StoreError):
            self.store.heartbeat(self.instance, json.dumps(self.describe()), 3 * HEARTBEAT_INTERVAL)

    def describe(self) -> dict[str, Any]:
        """This instance, as ``GET /__admin/cluster`` lists it."""
        return {
            "id": self.instance,
            "address": self.address,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "version": self.version,
            "startedAt": self.started,
            "load": {"requestsPerSecond": round(self._load, 1), "stubs": len(self.engine.index)},
            "journal": {"buffered": self.journal.buffered, "dropped": self.journal.dropped},
        }

    def cluster(self) -> dict[str, Any]:
        """The live instances (from their heartbeats) and the store's health as this instance sees it."""
        try:
            instances = [json.loads(text) for text in self.store.instances().values()]
            connected = True
        except StoreError:
            instances, connected = [self.describe()], False
        if not any(item.get("id") == self.instance for item in instances):
            instances.append(self.describe())  # before its first heartbeat
        return {
            "self": self.instance,
            "store": {
                "url": self.store.url,
                "connected": connected,
                "disconnections": getattr(self.store, "disconnections", 0),
            },
            "instances": sorted(instances, key=lambda item: str(item.get("address"))),
        }

    # --- changes both ways ---------------------------------------------------------------------------

    def _changed(self, kind: str) -> None:
        if getattr(self._applying, "on", False) or self._stubs.applying:
            return
        with self._sync:
            try:
                if kind == "settings":
                    self._publish_settings()
                    return
                if kind == "reset":
                    self.store.reset_steps()
                self._stubs.publish()
            except StoreError:
                self._unpublished = True
            finally:
                self._share_sequences()

    def _notice(self, origin: str, kind: str) -> None:
        if origin == self.instance:
            return
        with self._sync:
            if kind == "resync":
                if self._stubs.republish(unpublished=self._unpublished):
                    self._publish_settings()
                    self._unpublished = False
                kind = "stubs"
            if kind == "stubs":
                remote = self._stubs.load()
                if remote is not None:
                    self._apply(remote)
                self._share_sequences()
            elif kind == "settings":
                self._apply_settings()

    def _local_stubs(self) -> dict[str, str]:
        from mockpit._mapping.write import stub_to_mapping

        local = {}
        for stub in reversed(self.engine.stubs()):  # oldest first, as the store keeps them
            if any(d.handler is not None for d in (stub.response, *stub.then)):
                continue  # Python code cannot travel: a handler's stub stays on the instance that has it
            local[stub.id] = json.dumps(stub_to_mapping(stub), sort_keys=True, separators=(",", ":"))
        return local

    def _add_stub(self, text: str) -> None:
        from mockpit._mapping.read import stub_from_mapping

        stub = stub_from_mapping(json.loads(text), source=f"the store at {self.store.url}")
        self.engine.add_stubs([stub])
        self._heard[0].append(stub)

    def _remove_stub(self, stub_id: str) -> None:
        stub = self.engine.remove_stub(stub_id)
        if stub is not None:
            self._heard[1].append(stub)

    def _apply(self, remote: dict[str, str], *, joining: bool = False) -> None:
        """Take the fleet's stubs, and keep this instance's folder in step with its persistent ones."""
        self._heard = ([], [])
        self._stubs.apply(remote, joining=joining)
        added, removed = self._heard
        # joining, a persistent stub this instance has and the fleet has not stays on disk: it may be a
        # file of this instance's own that the fleet never had, not one removed while it was away
        self._follow_files(added, [] if joining else removed)

    def _follow_files(self, added: list[Stub], removed: list[Stub]) -> None:
        """Write the persistent stubs another instance added or changed, and remove those it removed, as the
        instance that received the change did: every folder holds the fleet's persistent stubs, and they
        survive a reset on any instance."""
        files = self.files
        if files is None or files.folder is None:
            return
        persistent = [stub for stub in added if stub.persistent]
        try:
            if persistent:
                # the same names as on the instance that wrote them: a folder shared by instances gets one file
                files.save(persistent)
                self.engine.keep_on_reset(stub.id for stub in persistent)
            for stub in removed:
                if stub.persistent:
                    files.remove(stub.id)
                    self.engine.drop_on_reset([stub.id])
        except OSError as exc:
            print(f"mockpit: could not keep {files.folder} in step with the fleet's persistent stubs: {exc}")

    def _publish_settings(self) -> None:
        self.store.save_settings(json.dumps(settings_to_json(self.engine.settings)), origin=self.instance)

    def _apply_settings(self) -> None:
        text = self.store.load_settings()
        if text is None:
            return
        self._applying.on = True
        try:
            self.engine.update_settings(settings_from_json(json.loads(text)))
        finally:
            self._applying.on = False

    def _share_sequences(self) -> None:
        for entry in self.engine.index.entries():
            if not entry.stub.then:  # one answer, no sequence (and a plain stub stays uncompiled)
                continue
            responder = entry.payload
            if len(responder.renderers) > 1 and responder.shared_step is None:
                responder.shared_step = functools.partial(self._step, entry.stub.id)

    def _step(self, stub_id: str, last: int, cycle: bool) -> int | None:
        try:
            return self.store.step(stub_id, last, cycle)
        except StoreError:
            return None  # the store is lost: the local position answers

    # --- journal entries as bytes --------------------------------------------------------------------

    def entries(self, events: list[ServeEvent]) -> list[bytes]:
        """Each event as its id, a newline, then its fields packed by the store (so that readers find the
        id unpacked).

        Written by the journal's thread, not the request's, but on the same interpreter: kept cheap. The
        fields are what the request and response hold, as they hold them (header pairs as read from the
        wire, bytes as bytes); the stub goes by id, as every instance has the fleet's stubs; the id is a
        counter after a random prefix, in a UUID's shape (uuid4() took a third of the time).
        """
        with _ID_LOCK:  # once a batch: the admin API may ask an event for its id meanwhile
            for event in events:
                if event._id is None:
                    event._id = f"{self._id_prefix}{next(self._ids):012x}"
        pack, answers, instance = self.store.packer(), self._answers, self.instance
        packed = []
        for event in events:
            response, stub, request = event.response, event.stub, event.request
            # a static stub answers with the same Response object every time: its half of the entry is kept
            cached = answers.get(id(response))
            if cached is None or cached[0] is not response or cached[1] is not stub:
                answer = (response.status, response.headers, response.body, stub and stub.id, event.near_miss_report)
                if len(answers) >= 256:
                    answers.clear()
                cached = answers[id(response)] = (response, stub, pack(answer))
            headers = request.undecoded_headers()
            fields = (
                instance,
                request.method,
                request.path,
                request.query_string,
                request.headers.multi_items() if headers is None else headers,
                request.body,
                request.client,
                request.scheme,
                request.timestamp,
                request.path_params,
                cached[2],
            )
            packed.append(b"%s\n%s" % (event.id.encode(), pack(fields)))
        return packed

    def event_from_entry(self, entry: bytes) -> ServeEvent:
        event_id, _, data = entry.partition(b"\n")
        _, method, path, query, headers, body, client, scheme, timestamp, params, answer = self.store.unpack(data)
        status, answer_headers, answer_body, stub_id, report = self.store.unpack(answer)
        request = Request(
            method,
            path,
            query,
            [_text_pair(name, value) for name, value in headers],
            body,
            client=(client[0], client[1]) if client else None,
            scheme=scheme,
            timestamp=timestamp,
        )
        request.path_params = params
        response = Response(status, answer_body, headers=[(name, value) for name, value in answer_headers])
        event = ServeEvent(request, self._stub_of(stub_id), response)
        event.near_miss_report = report
        event._id = event_id.decode("ascii")
        return event

    def _stub_of(self, stub_id: str | None) -> Stub | None:
        if stub_id is None:
            return None
        local = self.engine.get_stub(stub_id)
        if local is not None:
            return local
        from mockpit._mapping.read import stub_from_mapping

        # removed since, or a Python handler's stub on another instance: known by its id only
        return stub_from_mapping({"id": stub_id, "request": {}, "response": {}}, source="a journal entry")


def _text_pair(name: str | bytes, value: str | bytes) -> tuple[str, str]:
    """A header as a journal entry holds it: as read from the wire (bytes) or as given (str)."""
    return (
        name if isinstance(name, str) else name.decode("latin-1"),
        value if isinstance(value, str) else value.decode("latin-1"),
    )


def settings_to_json(settings: Settings) -> dict[str, Any]:
    delay = settings.delay_distribution
    return {
        "fixedDelay": settings.fixed_delay_ms,
        "delayDistribution": None if delay is None else asdict(delay),
        "extended": settings.extended,
        "proxyPassThrough": settings.proxy_pass_through,
    }


def settings_from_json(data: dict[str, Any]) -> Settings:
    from .engine import Settings

    delay = data.get("delayDistribution")
    return Settings(
        fixed_delay_ms=data.get("fixedDelay"),
        delay_distribution=None if delay is None else DelayDistribution(**delay),
        extended=data.get("extended") or {},
        proxy_pass_through=data.get("proxyPassThrough", True),
    )
