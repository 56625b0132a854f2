"""Stubs indexed by path, so that finding the stub for a request does not scan every stub.

Exact paths (``url``, ``urlPath``) sit in a dict, ``urlPathTemplate`` stubs in a trie of path
segments; only regex and any-URL stubs are scanned. Within the candidates, selection follows
WireMock: the lowest priority number first, then the most recently added.

The server thread reads while a test thread may add or remove stubs: writers take a lock and swap in
new lists (copy on write), so readers never take a lock and never see a list change under them.

A stub in a scenario matches only in its scenario's required state and moves it when it answers. That
check is folded into the entry's ``match`` when the stub is added, so :meth:`StubIndex.find` treats all
stubs alike and stubs outside scenarios pay nothing for the feature.
"""

from __future__ import annotations

import bisect
import itertools
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Generic, TypeVar

from mockpit._matching.pattern import CompiledPattern, compile_pattern
from mockpit._model import Request, Stub

from .scenarios import Machine, Scenarios

T = TypeVar("T")


class IndexedStub(Generic[T]):
    """A stub with its compiled pattern and what the layer above attached to it (its renderer).

    Both may be compiled on first use (see :class:`_LazyStub`): 10,000 plain stubs loaded from files
    then cost their definitions only until a request reaches them (a compiled pattern and renderer
    take about 1.5 kB a stub).
    """

    __slots__ = ("_prepare", "match", "order", "pattern", "payload", "scenario", "sequence", "stub")

    pattern: CompiledPattern
    payload: T
    #: what find() calls: the pattern's match_captures (its captures, None on a miss), wrapped in the
    #: scenario check for stubs in a scenario
    match: Callable[[Request], dict[str, str] | None]

    def __new__(
        cls,
        stub: Stub,
        pattern: CompiledPattern | None,
        payload: T | None,
        sequence: int,
        prepare: Callable[[Stub], T] | None = None,
    ) -> IndexedStub[T]:
        lazy = pattern is None or (payload is None and prepare is not None)
        return object.__new__(_LazyStub if lazy and cls is IndexedStub else cls)

    def __init__(
        self,
        stub: Stub,
        pattern: CompiledPattern | None,
        payload: T | None,
        sequence: int,
        prepare: Callable[[Stub], T] | None = None,
    ) -> None:
        self.stub = stub
        self.sequence = sequence
        # priority first, then the newest: one int, not a tuple (10,000 stubs: half a megabyte)
        self.order = (stub.effective_priority << 48) - sequence
        #: the scenario the stub is in, if any
        self.scenario: Machine | None = None
        self._prepare = prepare
        if pattern is not None:
            self.pattern = pattern
            self.match = pattern.match_captures
        if payload is not None or prepare is None:
            self.payload = payload  # type: ignore[assignment]

    def compiled(self) -> tuple[Stub, CompiledPattern | None, T | None]:
        """The stub with what is compiled of it so far (None: not yet), to add again without compiling."""
        return self.stub, _slot(self, "pattern"), _slot(self, "payload")

    def join(self, scenario: Machine) -> None:
        """Match only in the stub's required state, moving the scenario on (one locked step) when it does."""
        self.scenario = scenario
        match = self.pattern.match_captures
        required, new = self.stub.required_scenario_state, self.stub.new_scenario_state

        def match_in_state(request: Request) -> dict[str, str] | None:
            captures = match(request)
            # the pattern first: only a request that would be answered may take the transition
            if captures is not None and not scenario.serve(required, new):
                return None
            return captures

        self.match = match_in_state


class _LazyStub(IndexedStub[T]):
    """An entry not compiled yet. The first read of an unset slot lands in :meth:`__getattr__`, which
    compiles what is missing and turns the entry into a plain :class:`IndexedStub`: a class with
    ``__getattr__`` makes every attribute read slower (no specialised slot reads), and the hot path
    must not pay that for the life of the stub.
    """

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        if name not in ("pattern", "match", "payload"):
            raise AttributeError(name)
        # Two threads may both get here; either result is the same, and the later assignment wins.
        if _slot(self, "pattern") is None:
            pattern = compile_pattern(self.stub.request)
            self.pattern = pattern
            self.match = pattern.match_captures
        if _slot(self, "payload") is None and self._prepare is not None:
            self.payload = self._prepare(self.stub)
        self.__class__ = IndexedStub  # type: ignore[assignment]
        return object.__getattribute__(self, name)


def _slot(entry: IndexedStub[T], slot: str) -> Any:
    """The slot's value, None if not set yet (object's own lookup: no compiling through ``__getattr__``)."""
    try:
        return object.__getattribute__(entry, slot)
    except AttributeError:
        return None


def _order(entry: IndexedStub[T]) -> int:
    return entry.order


class _TrieNode(Generic[T]):
    __slots__ = ("children", "entries", "wildcard")

    def __init__(self) -> None:
        self.children: dict[str, _TrieNode[T]] = {}
        self.wildcard: _TrieNode[T] | None = None
        self.entries: list[IndexedStub[T]] = []

    def collect(self, segments: Sequence[str], depth: int, out: list[list[IndexedStub[T]]]) -> None:
        if depth == len(segments):
            if self.entries:
                out.append(self.entries)
            return
        child = self.children.get(segments[depth])
        if child is not None:
            child.collect(segments, depth + 1, out)
        if self.wildcard is not None:
            self.wildcard.collect(segments, depth + 1, out)


class StubIndex(Generic[T]):
    def __init__(self, scenarios: Scenarios | None = None) -> None:
        #: the scenarios of the stubs indexed, kept in step as stubs come and go
        self.scenarios = Scenarios() if scenarios is None else scenarios
        self._lock = threading.Lock()
        self._sequence = itertools.count()
        self._by_id: dict[str, IndexedStub[T]] = {}
        self._exact: dict[str, list[IndexedStub[T]]] = {}
        self._templates: _TrieNode[T] = _TrieNode()
        self._has_templates = False
        self._scan: list[IndexedStub[T]] = []
        #: makes a stub's payload on first use when it was added with None (see :class:`IndexedStub`)
        self.prepare: Callable[[Stub], T] | None = None

    def __len__(self) -> int:
        return len(self._by_id)

    def add(self, stub: Stub, payload: T) -> IndexedStub[T]:
        """Add ``stub``, replacing a stub with the same id (which then counts as newest)."""
        return self.add_many([(stub, payload)])[0]

    def add_many(self, items: Iterable[tuple[Stub, T]]) -> list[IndexedStub[T]]:
        return self.add_compiled([(stub, compile_pattern(stub.request), payload) for stub, payload in items])

    def add_compiled(self, compiled: Iterable[tuple[Stub, CompiledPattern | None, T | None]]) -> list[IndexedStub[T]]:
        """Add stubs whose patterns are compiled already (a reset puts the loaded ones back this way).

        A pattern given as None is compiled on first use, and so is a payload given as None when the
        index has a :attr:`prepare` function.
        """
        prepare = self.prepare
        with self._lock:
            added = []
            for stub, pattern, payload in compiled:
                entry = IndexedStub(stub, pattern, payload, next(self._sequence), prepare)
                old = self._by_id.get(stub.id)
                if stub.scenario_name is not None:
                    # attached before the old stub leaves: a stub replaced within its scenario keeps the
                    # scenario (and its state) alive even if it is the scenario's only stub
                    entry.join(self.scenarios.attach(stub))
                if old is not None:
                    self._remove_locked(stub.id, detach=old.stub.scenario_name != stub.scenario_name)
                self._by_id[stub.id] = entry
                self._bucket_insert(entry)
                added.append(entry)
            return added

    def remove(self, stub_id: str) -> IndexedStub[T] | None:
        with self._lock:
            return self._remove_locked(stub_id)

    def clear(self) -> None:
        """Remove every stub; their scenarios go too (stubs added again start them in ``Started``)."""
        with self._lock:
            self.scenarios.clear()
            self._by_id = {}
            self._exact = {}
            self._templates = _TrieNode()
            self._has_templates = False
            self._scan = []

    def get(self, stub_id: str) -> IndexedStub[T] | None:
        return self._by_id.get(stub_id)

    def entries(self) -> list[IndexedStub[T]]:
        """Every stub, newest first (the order WireMock's admin API lists them in)."""
        return sorted(self._by_id.values(), key=lambda e: -e.sequence)

    def find(self, request: Request) -> tuple[IndexedStub[T], dict[str, str]] | None:
        """The stub that answers ``request`` and what its path template captured: the first match among
        the candidates, in WireMock order."""
        for entry in self.candidates(request):
            captures = entry.match(request)
            if captures is not None:
                return entry, captures
        return None

    def candidates(self, request: Request) -> Sequence[IndexedStub[T]]:
        path = request.path
        buckets: list[list[IndexedStub[T]]] = []
        exact = self._exact.get(path)
        if exact:
            buckets.append(exact)
        if self._has_templates:
            self._templates.collect(path.split("/"), 0, buckets)
        if self._scan:
            buckets.append(self._scan)
        if len(buckets) == 1:
            return buckets[0]
        if not buckets:
            return ()
        return sorted(itertools.chain.from_iterable(buckets), key=_order)

    # --- writers (hold the lock) ---------------------------------------------------------------

    def _bucket_insert(self, entry: IndexedStub[T]) -> None:
        owner, key = self._bucket_of(entry, create=True)
        assert owner is not None
        bucket = list(owner[key]) if isinstance(owner, dict) else list(getattr(owner, key))
        bisect.insort(bucket, entry, key=_order)
        self._store(owner, key, bucket)

    def _remove_locked(self, stub_id: str, *, detach: bool = True) -> IndexedStub[T] | None:
        entry = self._by_id.pop(stub_id, None)
        if entry is None:
            return None
        if detach and entry.scenario is not None:
            self.scenarios.detach(entry.stub)
        owner, key = self._bucket_of(entry, create=False)
        if owner is not None:
            current = owner.get(key, []) if isinstance(owner, dict) else getattr(owner, key)
            self._store(owner, key, [e for e in current if e is not entry])
        return entry

    def _store(self, owner: object, key: str, bucket: list[IndexedStub[T]]) -> None:
        if isinstance(owner, dict):
            if bucket:
                owner[key] = bucket
            else:
                owner.pop(key, None)
        else:
            setattr(owner, key, bucket)

    def _bucket_of(self, entry: IndexedStub[T], *, create: bool) -> tuple[object | None, str]:
        """Where a stub lives: (a dict and its key) or (an object and the attribute holding the list)."""
        url = entry.stub.request.url
        if url.kind in {"url", "urlPath"}:
            path = (url.value or "").split("?", 1)[0] if url.kind == "url" else url.value or ""
            if create:
                self._exact.setdefault(path, [])
            return self._exact, path
        if url.kind == "urlPathTemplate":
            node: _TrieNode[T] | None = self._templates
            for segment in (url.value or "").split("/"):
                assert node is not None
                if "{" in segment:
                    if node.wildcard is None and create:
                        node.wildcard = _TrieNode()
                    node = node.wildcard
                else:
                    if segment not in node.children and create:
                        node.children[segment] = _TrieNode()
                    node = node.children.get(segment)
                if node is None:
                    return None, ""
            if create:
                self._has_templates = True
            return node, "entries"
        return self, "_scan"
