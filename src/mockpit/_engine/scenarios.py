"""Stateful scenarios, as WireMock defines them: named state machines that stubs match on and move.

A scenario exists while at least one stub names it (``scenarioName``) and starts in ``Started``. A stub
with ``requiredScenarioState`` matches only while its scenario is in that state; a stub that answers
moves its scenario to its ``newScenarioState``. Checking the state and moving it is one step under a
lock (:meth:`Scenarios.serve`), so two requests can never both take the same transition, even while a
test thread sets or resets states. Stubs outside any scenario never reach this module on the hot path.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from mockpit._matching.result import Difference
from mockpit._model import STARTED, Stub


@dataclass(frozen=True, slots=True)
class Scenario:
    """A snapshot of one scenario: its current state, the states its stubs name, their ids."""

    name: str
    state: str
    #: every state a stub of the scenario requires or moves to, in the order the stubs were added
    possible_states: list[str]
    #: the ids of the stubs in the scenario
    mappings: list[str]

    @property
    def id(self) -> str:
        """WireMock identifies a scenario by its name."""
        return self.name


class Machine:
    """One scenario's live state. Stubs in the index hold a reference; :class:`Scenarios` owns it."""

    __slots__ = ("_lock", "name", "state", "stubs")

    def __init__(self, name: str, lock: threading.Lock) -> None:
        self.name = name
        self.state = STARTED
        #: stub id -> stub, in the order they were added
        self.stubs: dict[str, Stub] = {}
        self._lock = lock

    def serve(self, required: str | None, new: str | None) -> bool:
        """Whether a stub requiring ``required`` may answer now; if so, move to ``new`` in the same step."""
        with self._lock:
            if required is not None and self.state != required:
                return False
            if new is not None:
                self.state = new
            return True

    def snapshot(self) -> Scenario:
        states: dict[str, None] = {}
        for stub in self.stubs.values():
            for state in (stub.required_scenario_state, stub.new_scenario_state):
                if state is not None:
                    states[state] = None
        return Scenario(self.name, self.state, list(states), list(self.stubs))


class Scenarios:
    """Every scenario of an engine, by name. The stub index attaches and detaches stubs as they come and go."""

    #: whether other instances move these scenarios too (a fleet's): a miss is then worth a second look
    shared = False

    def __init__(self) -> None:
        # one lock for all scenarios: a transition, a reset from a test thread and a set_state never interleave
        self._lock = threading.Lock()
        self._machines: dict[str, Machine] = {}

    def __len__(self) -> int:
        return len(self._machines)

    def all(self) -> list[Scenario]:
        """Every scenario, in the order they came into being."""
        with self._lock:
            return [machine.snapshot() for machine in self._machines.values()]

    def get(self, name: str) -> Scenario | None:
        with self._lock:
            machine = self._machines.get(name)
            return machine.snapshot() if machine else None

    def state(self, name: str) -> str | None:
        """The current state of scenario ``name`` (``None`` if no stub names it)."""
        machine = self._machines.get(name)
        return machine.state if machine else None

    def reset(self) -> None:
        """Every scenario back to ``Started``."""
        with self._lock:
            for machine in self._machines.values():
                machine.state = STARTED

    def set_state(self, name: str, state: str) -> None:
        """Move scenario ``name`` to ``state``.

        Raises :class:`KeyError` if no stub names the scenario and :class:`ValueError` if no stub of it
        mentions ``state`` (``Started`` is always allowed: every scenario can go back to the start).
        """
        with self._lock:
            machine = self._machines.get(name)
            if machine is None:
                known = ", ".join(repr(n) for n in self._machines) or "none"
                raise KeyError(f"no scenario named {name!r}; scenarios: {known}")
            possible = machine.snapshot().possible_states
            if state != STARTED and state not in possible:
                states = [STARTED, *(s for s in possible if s != STARTED)]
                raise ValueError(
                    f"no stub of scenario {name!r} requires or sets state {state!r}; "
                    f"its states are: {', '.join(repr(s) for s in states)}"
                )
            machine.state = state

    # --- kept in step with the stub index (which calls these under its own lock) ---------------------

    def attach(self, stub: Stub) -> Machine:
        """Add ``stub`` to its scenario, which starts in ``Started`` if the stub is its first."""
        name = stub.scenario_name
        if name is None:
            raise ValueError(f"stub {stub.describe()} is in no scenario")
        with self._lock:
            machine = self._machines.get(name)
            if machine is None:
                machine = self._machines[name] = self._machine(name)
            machine.stubs[stub.id] = stub
            return machine

    def _machine(self, name: str) -> Machine:
        """A new scenario in ``Started`` (a store shared by a fleet makes its own kind)."""
        return Machine(name, self._lock)

    def detach(self, stub: Stub) -> None:
        """Remove ``stub`` from its scenario; a scenario no stub names any more is forgotten, state and all."""
        name = stub.scenario_name
        if name is None:
            return
        with self._lock:
            machine = self._machines.get(name)
            # identity, not id: a stub replaced under the same id was attached again before this
            if machine is None or machine.stubs.get(stub.id) is not stub:
                return
            del machine.stubs[stub.id]
            if not machine.stubs:
                del self._machines[name]

    def clear(self) -> None:
        with self._lock:
            self._machines = {}

    def difference(self, stub: Stub) -> Difference | None:
        """The near-miss row for a stub whose scenario is not in the state it requires (else ``None``)."""
        required = stub.required_scenario_state
        if stub.scenario_name is None or required is None:
            return None
        current = self.state(stub.scenario_name)
        if current == required:
            return None
        return Difference(
            "scenario state",
            f"{required} (scenario {stub.scenario_name!r})",
            "(no such scenario)" if current is None else current,
            1.0,
        )
