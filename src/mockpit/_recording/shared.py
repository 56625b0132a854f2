"""A recording in progress shared by a fleet: started on one instance, every instance records; stopped on
any instance, the stubs are made from what every instance recorded.

The recording's state is a value in the store (``recording``: its spec, its proxy stub, and whether it
is running), and each instance's recorded exchanges go to a list there as they complete (on the
recorder's writer thread, not the request's). The proxy stub is an ordinary stub, so the fleet already
shares it. A stop goes in two steps: the stopping instance says so, every other live instance stops
recording and answers once its exchanges are all in the store (or 2 s pass), then the stopping instance
makes the stubs from every exchange, in the order they were asked, and installs them (the fleet shares
them) and writes their files if the recording persists.
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from dataclasses import fields
from typing import TYPE_CHECKING, Any

from mockpit._errors import MappingError
from mockpit._store.store import StoreError

from .exchange import Exchange
from .spec import RecordSpec

if TYPE_CHECKING:
    from mockpit._engine.fleet import Fleet

    from .recorder import Recorder

#: the store's value holding the recording's state, and its lists of exchanges and of instances done
VALUE, EXCHANGES, DONE = "recording", "recording-exchanges", "recording-done"
#: seconds a stop waits for the other instances' exchanges
DONE_TIMEOUT = 2.0


class SharedRecordings:
    """Shares ``recorder``'s recordings with ``fleet``'s other instances: :meth:`start` with the fleet, :meth:`stop`."""

    def __init__(self, recorder: Recorder, fleet: Fleet) -> None:
        self.recorder = recorder
        self.fleet = fleet
        self.store = fleet.store

    def start(self) -> None:
        self.recorder.share = self
        self.store.subscribe(self._notice)
        self._notice("", VALUE)  # joining during a recording: record too

    def stop(self) -> None:
        self.store.unsubscribe(self._notice)
        if self.recorder.share is self:
            self.recorder.share = None

    # --- what the recorder tells ---------------------------------------------------------------------

    def started(self, spec: RecordSpec, proxy_id: str | None) -> None:
        state = {"state": "Recording", "id": str(uuid.uuid4()), "spec": spec_to_json(spec), "proxy": proxy_id}
        try:
            self.store.clear_items(EXCHANGES)
            self._say(state)
        except StoreError as exc:
            print(f"mockpit: the recording runs on this instance only: {exc}")

    def captured(self, exchange: Exchange) -> None:
        packed = self.store.packer()(exchange_to_fields(exchange))
        try:
            self.store.append_items(EXCHANGES, [packed])
        except StoreError as exc:
            print(f"mockpit: an exchange recorded here did not reach the fleet: {exc}")

    def proxy_id(self) -> str | None:
        with contextlib.suppress(StoreError):
            state = self._state()
            if state is not None and isinstance(state.get("proxy"), str):
                return str(state["proxy"])
        return None

    def spec(self) -> RecordSpec | None:
        from .recorder import RecordingError

        try:
            state = self._state()
        except StoreError:
            return None
        if state is None or not isinstance(state.get("spec"), dict):
            return None
        try:
            return spec_from_json(state["spec"])
        except MappingError as exc:
            raise RecordingError(
                f"this instance cannot make the recording's stubs: {exc.message}; stop the recording on the "
                "instance that started it"
            ) from None

    def stopping(self, spec: RecordSpec) -> list[Exchange] | None:
        me = self.fleet.instance
        try:
            state = self._state() or {"spec": spec_to_json(spec)}
            self.store.clear_items(DONE)
            self._say({**state, "state": "Stopping", "by": me})
            waiting = set(self.store.instances()) - {me}
            deadline = time.monotonic() + DONE_TIMEOUT
            while waiting and time.monotonic() < deadline:
                time.sleep(0.01)
                waiting -= {done.decode() for done in self.store.load_items(DONE)}
            entries = self.store.load_items(EXCHANGES)
        except StoreError as exc:
            print(f"mockpit: the recording is made of this instance's exchanges only: {exc}")
            return None
        unpack = self.store.unpack
        exchanges = [exchange_from_fields(unpack(entry)) for entry in entries]
        return sorted(exchanges, key=lambda exchange: exchange.timestamp)  # stable: one instance's keep their order

    def stopped(self) -> None:
        with contextlib.suppress(StoreError):
            state = self._state() or {}
            self._say({key: value for key, value in state.items() if key != "spec"} | {"state": "Stopped"})
            self.store.clear_items(EXCHANGES)
            self.store.clear_items(DONE)

    # --- what the other instances say ----------------------------------------------------------------

    def _notice(self, origin: str, kind: str) -> None:
        if kind not in (VALUE, "resync") or origin == self.fleet.instance:
            return
        try:
            state = self._state()
        except StoreError:
            return
        if state is None:
            return
        proxy = state.get("proxy") if isinstance(state.get("proxy"), str) else None
        if state.get("state") == "Recording":
            # what to record is all a follower needs: the transformers run where the recording stops
            self.recorder.follow(spec_from_json({**state["spec"], "transformers": []}), proxy)
        elif state.get("state") in ("Stopping", "Stopped") and state.get("by") != self.fleet.instance:
            self.recorder.unfollow(proxy)  # returns once this instance's exchanges are in the store
            if state.get("state") == "Stopping":
                with contextlib.suppress(StoreError):
                    self.store.append_items(DONE, [self.fleet.instance.encode()])

    def _state(self) -> dict[str, Any] | None:
        text = self.store.get_value(VALUE)
        state = None if text is None else json.loads(text)
        return state if isinstance(state, dict) else None

    def _say(self, state: dict[str, Any]) -> None:
        self.store.set_value(VALUE, json.dumps(state), origin=self.fleet.instance)


def exchange_to_fields(exchange: Exchange) -> tuple[Any, ...]:
    return tuple(getattr(exchange, field.name) for field in fields(Exchange))


def exchange_from_fields(values: list[Any] | tuple[Any, ...]) -> Exchange:
    (method, url, request_headers, request_body, status, response_headers, response_body, timestamp, incomplete,
     chunk_times) = values  # fmt: skip
    return Exchange(
        method=method,
        url=url,
        request_headers=tuple((name, value) for name, value in request_headers),
        request_body=request_body,
        status=status,
        response_headers=tuple((name, value) for name, value in response_headers),
        response_body=response_body,
        timestamp=timestamp,
        incomplete=incomplete,
        chunk_times=tuple((end, seconds) for end, seconds in chunk_times),
    )


def spec_to_json(spec: RecordSpec) -> dict[str, Any]:
    """``spec`` as JSON, for the instance that stops the recording (a pattern as its mapping)."""
    from mockpit._mapping.write import pattern_to_mapping

    data: dict[str, Any] = {}
    for field in fields(RecordSpec):
        value = getattr(spec, field.name)
        if field.name == "request_filter":
            value = None if value is None else pattern_to_mapping(value)
        elif isinstance(value, tuple):
            value = list(value)
        elif field.name in ("capture_headers", "transformer_parameters"):
            value = dict(value)
        data[field.name] = value
    return data


def spec_from_json(data: dict[str, Any]) -> RecordSpec:
    """The spec :func:`spec_to_json` wrote (checked again: a transformer must be registered here too)."""
    from mockpit._mapping.read import pattern_from_mapping

    values = dict(data)
    for field in fields(RecordSpec):
        if isinstance(values.get(field.name), list):
            values[field.name] = tuple(values[field.name])
    pattern = values.get("request_filter")
    values["request_filter"] = None if pattern is None else pattern_from_mapping(pattern)
    return RecordSpec(**{field.name: values[field.name] for field in fields(RecordSpec) if field.name in values})
