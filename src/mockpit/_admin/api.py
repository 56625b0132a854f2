"""The admin API under ``/__admin``, in WireMock's JSON shapes and status codes, over the engine.

Routes are a method and a path template (``/mappings/{id}``). Among the templates that fit a path and
have its method, the most literal wins, as in WireMock: ``GET /requests/unmatched`` is never the request
whose id is "unmatched". A path no template fits is a 404; a method none of them has, a 405 with ``Allow``.

Errors are WireMock's ``{"errors": [{"code", "title", "detail", "source": {"pointer"}}]}``, the pointer
naming the payload field (a query parameter is named by ``source.parameter``). Payloads are validated
whole before anything changes: a request that fails changes nothing (an import checks every mapping
before adding any). Stubs marked ``persistent`` are written to (or removed from) the mappings folder at
once, as WireMock does; ``POST /__admin/mappings/save`` writes all of them.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import datetime, timezone
from typing import Any, Literal, NoReturn, TypeVar
from urllib.parse import parse_qs, unquote

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from mockpit import __version__
from mockpit._engine.engine import Engine, Settings
from mockpit._engine.journal import ServeEvent
from mockpit._errors import MappingError
from mockpit._mapping.files import MappingFiles, NoMappingsFolder
from mockpit._mapping.read import (
    check_base64,
    headers_to_mapping,
    pattern_from_mapping,
    stub_from_mapping,
    stub_to_mapping,
)
from mockpit._matching.pattern import compile_pattern
from mockpit._model import STARTED, Request, Response, Stub
from mockpit._recording.collector import RecordedStub
from mockpit._recording.recorder import Recorder, RecordingError
from mockpit._recording.spec import RecordSpec, parse_size

from .shapes import iso_timestamp, near_miss_to_json, request_to_json

#: answers one route: the request and the values of the template's variables
Handler = Callable[[Request, dict[str, str]], "Response | Awaitable[Response]"]
_M = TypeVar("_M", bound=BaseModel)


class AdminError(Exception):
    """Ends an admin request with a JSON error; raised by the handlers, answered by :meth:`AdminApi.handle`."""

    def __init__(
        self, status: int, title: str, detail: str, *, pointer: str | None = None, parameter: str | None = None
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.pointer = pointer
        self.parameter = parameter

    def to_response(self) -> Response:
        error: dict[str, Any] = {"code": 10 if self.status == 400 else self.status, "title": self.title}
        error["detail"] = self.detail
        if self.pointer is not None:
            error["source"] = {"pointer": self.pointer}
        elif self.parameter is not None:
            error["source"] = {"parameter": self.parameter}
        return _json({"errors": [error]}, self.status)


class Router:
    """Method + path template -> handler. Templates are ``/``-separated; ``{name}`` matches one segment."""

    def __init__(self) -> None:
        # template segments -> method -> handler; the templates stay in the order they were added
        self._routes: dict[tuple[str, ...], dict[str, Handler]] = {}
        self._templates: dict[tuple[str, ...], str] = {}

    def add(self, method: str, template: str, handler: Handler) -> None:
        segments = tuple(_split(template))
        methods = self._routes.setdefault(segments, {})
        if method in methods:
            raise ValueError(f"{method} {template} is routed twice")
        methods[method] = handler
        self._templates[segments] = template

    def routes(self) -> list[tuple[str, str]]:
        """Every (method, template) routed, e.g. ``("PUT", "/scenarios/{name}/state")``."""
        return [(method, self._templates[segments]) for segments, methods in self._routes.items() for method in methods]

    def resolve(self, method: str, path: str, shown: str) -> tuple[Handler, dict[str, str]]:
        """The handler for ``path`` (relative to the prefix) and its variables; ``shown`` names it in errors."""
        parts = [unquote(part) for part in _split(path)]
        fitting = [segments for segments in self._routes if _fits(segments, parts)]
        if not fitting:
            raise AdminError(404, "Not found", f"no admin endpoint at {shown}")
        with_method = [segments for segments in fitting if method in self._routes[segments]]
        if not with_method:
            allowed = ", ".join(sorted({m for segments in fitting for m in self._routes[segments]}))
            raise _MethodNotAllowed(method, shown, allowed)
        # the most literal template wins, as in WireMock: POST /mappings/save is not an update of stub "save"
        segments = max(with_method, key=lambda s: tuple(not _is_variable(part) for part in s))
        params = {s[1:-1]: p for s, p in zip(segments, parts, strict=True) if _is_variable(s)}
        return self._routes[segments][method], params


class _MethodNotAllowed(AdminError):
    def __init__(self, method: str, shown: str, allowed: str) -> None:
        super().__init__(405, "Method not allowed", f"{method} is not allowed on {shown}; use {allowed}")
        self.allowed = allowed

    def to_response(self) -> Response:
        response = super().to_response()
        response.headers.append(("Allow", self.allowed))
        return response


def _split(path: str) -> list[str]:
    """A path's segments; a trailing slash does not count, but the bare prefix (``""``) is not its root ``/``."""
    if not path:
        return [""]  # /__admin, which WireMock redirects to /__admin/
    stripped = path.strip("/")
    return stripped.split("/") if stripped else []


def _is_variable(segment: str) -> bool:
    return segment.startswith("{") and segment.endswith("}")


def _fits(segments: tuple[str, ...], parts: list[str]) -> bool:
    if len(segments) != len(parts):
        return False
    return all(bool(p) if _is_variable(s) else s == p for s, p in zip(segments, parts, strict=True))


class AdminApi:
    """WireMock's admin API over ``engine``.

    ``mapping_files`` is where ``persistent`` stubs and ``mappings/save`` write (no folder: saving is a
    409 that says how to give one). ``on_shutdown`` is what ``POST /__admin/shutdown`` does: the front
    end decides what stopping means (MockServer stops its thread, ``mockpit serve`` exits); it is called
    on the server's event loop once the answer is on its way. ``recorder`` runs ``/recordings``
    (one is made over ``engine`` and ``mapping_files`` if not given).
    """

    def __init__(
        self,
        engine: Engine,
        prefix: str = "/__admin",
        *,
        mapping_files: MappingFiles | None = None,
        on_shutdown: Callable[[], None] | None = None,
        recorder: Recorder | None = None,
    ) -> None:
        self.engine = engine
        self.prefix = prefix
        self.files = mapping_files or MappingFiles(None)
        self.on_shutdown = on_shutdown
        self.recorder = recorder or Recorder(engine, self.files)
        self.started = time.time()
        self.router = Router()
        for method, template, handler in (
            ("GET", "", self.redirect_to_root),
            ("GET", "/", self.list_mappings),  # WireMock's admin root lists the stubs; the wiremock client probes it
            ("GET", "/mappings", self.list_mappings),
            ("POST", "/mappings", self.create_mapping),
            ("DELETE", "/mappings", self.delete_all_mappings),
            ("GET", "/mappings/{id}", self.get_mapping),
            ("PUT", "/mappings/{id}", self.update_mapping),
            ("DELETE", "/mappings/{id}", self.delete_mapping),
            ("POST", "/mappings/import", self.import_mappings),
            ("POST", "/mappings/reset", self.reset_mappings),
            ("POST", "/mappings/save", self.save_mappings),
            ("POST", "/mappings/find-by-metadata", self.find_mappings_by_metadata),
            ("POST", "/mappings/remove-by-metadata", self.remove_mappings_by_metadata),
            ("GET", "/mappings/unmatched", self.unmatched_mappings),
            ("DELETE", "/mappings/unmatched", self.remove_unmatched_mappings),
            ("GET", "/requests", self.list_requests),
            ("DELETE", "/requests", self.clear_requests),
            ("POST", "/requests/reset", self.clear_requests),  # deprecated in WireMock; its Python client uses it
            ("GET", "/requests/{id}", self.get_request),
            ("DELETE", "/requests/{id}", self.delete_request),
            ("POST", "/requests/count", self.count_requests),
            ("POST", "/requests/find", self.find_requests),
            ("POST", "/requests/remove", self.remove_requests),
            ("POST", "/requests/remove-by-metadata", self.remove_requests_by_metadata),
            ("GET", "/requests/unmatched", self.unmatched_requests),
            ("GET", "/requests/unmatched/near-misses", self.unmatched_near_misses),
            ("POST", "/near-misses/request", self.near_misses_for_request),
            ("POST", "/near-misses/request-pattern", self.near_misses_for_pattern),
            ("GET", "/scenarios", self.list_scenarios),
            ("POST", "/scenarios/reset", self.reset_scenarios),
            ("PUT", "/scenarios/{name}/state", self.set_scenario_state),
            ("POST", "/recordings/start", self.start_recording),
            ("GET", "/recordings/status", self.recording_status),
            ("POST", "/recordings/stop", self.stop_recording),
            ("POST", "/recordings/snapshot", self.snapshot_recording),
            ("GET", "/settings", self.get_settings),
            ("POST", "/settings", self.update_settings),
            ("PUT", "/settings", self.update_settings),
            ("POST", "/reset", self.reset),
            ("POST", "/shutdown", self.shutdown),
            ("GET", "/health", self.health),
            ("GET", "/version", self.version),
            ("GET", "/openapi.json", self.openapi),
        ):
            self.router.add(method, template, handler)

    async def handle(self, request: Request) -> Response:
        try:
            handler, params = self.router.resolve(
                request.method, request.path[len(self.prefix) :], request.path.rstrip("/") or "/"
            )
            answer = handler(request, params)
            return answer if isinstance(answer, Response) else await answer
        except AdminError as exc:
            return exc.to_response()

    # --- mappings ----------------------------------------------------------------------------------

    def redirect_to_root(self, request: Request, _: dict[str, str]) -> Response:
        response = _json({}, 302)
        response.headers.append(("Location", self.prefix + "/"))
        return response

    def list_mappings(self, request: Request, _: dict[str, str]) -> Response:
        stubs = self.engine.stubs()
        offset = _int_param(request, "offset") or 0
        limit = _int_param(request, "limit")
        page = stubs[offset:] if limit is None else stubs[offset : offset + limit]
        return _json(_mappings_json(page, total=len(stubs)))

    def create_mapping(self, request: Request, _: dict[str, str]) -> Response:
        stub = _stub(_payload(request))
        self._add([stub])
        return _json(stub_to_mapping(stub), 201)

    def delete_all_mappings(self, request: Request, _: dict[str, str]) -> Response:
        self._remove(self.engine.stubs())
        return _json({})

    def get_mapping(self, request: Request, params: dict[str, str]) -> Response:
        return _json(stub_to_mapping(self._stub_or_404(params["id"])))

    def update_mapping(self, request: Request, params: dict[str, str]) -> Response:
        stub_id = params["id"]
        self._stub_or_404(stub_id, f"; create it with POST {self.prefix}/mappings")
        stub = _stub(_payload(request), stub_id=stub_id)
        self._add([stub])
        return _json(stub_to_mapping(stub))

    def delete_mapping(self, request: Request, params: dict[str, str]) -> Response:
        self._remove([self._stub_or_404(params["id"])])
        return _json({})

    def import_mappings(self, request: Request, _: dict[str, str]) -> Response:
        payload = _payload(request)
        if not isinstance(payload, Mapping):
            raise AdminError(400, "Invalid import", 'the body must be {"mappings": [...], "importOptions": {...}}')
        model = _validate(_ImportModel, payload, "Invalid import")
        stubs: list[Stub] = []
        seen: dict[str, int] = {}
        for i, mapping in enumerate(model.mappings):
            stub = _stub(mapping, within=("mappings", i))
            if stub.id in seen:
                raise AdminError(
                    400,
                    "Invalid import",
                    f"id {stub.id} is also the id of mappings[{seen[stub.id]}]; ids must be unique",
                    pointer=f"/mappings/{i}/id",
                )
            seen[stub.id] = i
            stubs.append(stub)
        options = model.importOptions
        overwrite = options.duplicatePolicy == "OVERWRITE"
        # in reverse, as WireMock: the first mapping is added last, so it is listed first and, among equal
        # priorities, wins, which makes export (GET /__admin/mappings) then import a round trip
        self._add([s for s in reversed(stubs) if overwrite or self.engine.get_stub(s.id) is None])
        if options.deleteAllNotInImport:
            self._remove([s for s in self.engine.stubs() if s.id not in seen])
        return _json({})

    def reset_mappings(self, request: Request, _: dict[str, str]) -> Response:
        self.engine.reset_stubs()
        return _json({})

    async def save_mappings(self, request: Request, _: dict[str, str]) -> Response:
        stubs = self.engine.stubs()
        savable = [s for s in stubs if s.response.handler is None]
        try:
            # thousands of files, each synced to disk: off the event loop, which keeps serving meanwhile
            written = await asyncio.to_thread(self.files.save, list(reversed(savable)))
        except NoMappingsFolder as exc:
            raise AdminError(409, "No mappings folder", str(exc)) from None
        except OSError as exc:
            raise _write_failed(exc) from None
        self.engine.keep_on_reset(s.id for s in savable)
        return _json(
            {
                "written": [str(path) for path in written],
                "notSaved": [
                    {"id": s.id, "reason": "a Python handler answers it, and a handler has no JSON form"}
                    for s in stubs
                    if s.response.handler is not None
                ],
            }
        )

    def find_mappings_by_metadata(self, request: Request, _: dict[str, str]) -> Response:
        matches = _metadata_matcher(_payload(request))
        found = [s for s in self.engine.stubs() if matches(s)]
        return _json(_mappings_json(found, total=len(found)))

    def remove_mappings_by_metadata(self, request: Request, _: dict[str, str]) -> Response:
        matches = _metadata_matcher(_payload(request))
        self._remove([s for s in self.engine.stubs() if matches(s)])
        return _json({})

    def unmatched_mappings(self, request: Request, _: dict[str, str]) -> Response:
        found = self._unmatched_stubs()
        return _json(_mappings_json(found, total=len(found)))

    def remove_unmatched_mappings(self, request: Request, _: dict[str, str]) -> Response:
        self._remove(self._unmatched_stubs())
        return _json({})

    def _unmatched_stubs(self) -> list[Stub]:
        served = {event.stub.id for event in self.engine.journal.events() if event.stub is not None}
        return [stub for stub in self.engine.stubs() if stub.id not in served]

    def _stub_or_404(self, stub_id: str, hint: str = "") -> Stub:
        stub = self.engine.get_stub(stub_id)
        if stub is None:
            raise AdminError(404, "Not found", f"no stub mapping with id {stub_id}{hint}")
        return stub

    def _add(self, stubs: list[Stub]) -> None:
        """Add (or replace) stubs, all or none; the persistent ones are written to their files at once."""
        previous = {stub.id: self.engine.get_stub(stub.id) for stub in stubs}
        try:
            self.engine.add_stubs(stubs)
        except MappingError as exc:  # a bodyFileName that is not there: found while compiling
            raise _invalid_stub(exc) from None
        persistent = [stub for stub in stubs if stub.persistent]
        if not persistent or self.files.folder is None:
            return
        try:
            self.files.save(persistent)
        except OSError as exc:
            # undo, so that memory and disk agree: the request failed as a whole
            for stub_id, old in previous.items():
                if old is None:
                    self.engine.remove_stub(stub_id)
                else:
                    self.engine.add_stub(old)
            raise _write_failed(exc) from None
        self.engine.keep_on_reset(stub.id for stub in persistent)

    def _remove(self, stubs: Iterable[Stub]) -> None:
        """Remove stubs; the persistent ones' files are deleted (or rewritten without them) at once."""
        for stub in stubs:
            if stub.persistent and self.files.folder is not None:
                try:
                    self.files.remove(stub.id)
                except OSError as exc:
                    raise _write_failed(exc) from None
                self.engine.drop_on_reset([stub.id])
            self.engine.remove_stub(stub.id)

    # --- requests ----------------------------------------------------------------------------------

    def list_requests(self, request: Request, _: dict[str, str]) -> Response:
        events = self.engine.journal.events()
        events.reverse()  # newest first, as WireMock lists them
        query = _query(request)
        if query.get("unmatched", [""])[0].lower() == "true":
            events = [e for e in events if not e.matched]
        stub_id = query.get("matchingStub", [None])[0]
        if stub_id is not None:
            events = [e for e in events if e.stub is not None and e.stub.id == stub_id]
        total = len(events)
        since = _since_param(request)
        if since is not None:
            # in milliseconds, as loggedDate: since=<a request's loggedDateString> leaves that request out
            events = [e for e in events if int(e.timestamp * 1000) > since]
        limit = _int_param(request, "limit")
        if limit is not None:
            events = events[:limit]
        return _json(
            {
                "requests": [serve_event_to_json(e) for e in events],
                "meta": {"total": total},
                "requestJournalDisabled": self._journal_disabled,
            }
        )

    def clear_requests(self, request: Request, _: dict[str, str]) -> Response:
        self.engine.clear_requests()
        return _json({})

    def get_request(self, request: Request, params: dict[str, str]) -> Response:
        event = self.engine.journal.get(params["id"])
        if event is None:
            raise AdminError(404, "Not found", f"no request with id {params['id']} in the journal")
        return _json(serve_event_to_json(event))

    def delete_request(self, request: Request, params: dict[str, str]) -> Response:
        event_id = params["id"]
        if not self.engine.remove_requests(lambda event: event.id == event_id):
            raise AdminError(404, "Not found", f"no request with id {event_id} in the journal")
        return _json({})

    def count_requests(self, request: Request, _: dict[str, str]) -> Response:
        found = self.engine.find_requests(_request_pattern(_payload(request)))
        return _json({"count": len(found), "requestJournalDisabled": self._journal_disabled})

    def find_requests(self, request: Request, _: dict[str, str]) -> Response:
        found = self.engine.find_requests(_request_pattern(_payload(request)))
        return _json(
            {"requests": [request_to_json(e.request) for e in found], "requestJournalDisabled": self._journal_disabled}
        )

    def remove_requests(self, request: Request, _: dict[str, str]) -> Response:
        compiled = compile_pattern(_request_pattern(_payload(request)))
        removed = self.engine.remove_requests(lambda event: compiled.match(event.request).matched)
        return _json({"serveEvents": [serve_event_to_json(e) for e in removed]})

    def remove_requests_by_metadata(self, request: Request, _: dict[str, str]) -> Response:
        matches = _metadata_matcher(_payload(request))
        removed = self.engine.remove_requests(lambda event: event.stub is not None and matches(event.stub))
        return _json({"serveEvents": [serve_event_to_json(e) for e in removed]})

    def unmatched_requests(self, request: Request, _: dict[str, str]) -> Response:
        events = self.engine.unmatched()
        return _json(
            {"requests": [request_to_json(e.request) for e in events], "requestJournalDisabled": self._journal_disabled}
        )

    def unmatched_near_misses(self, request: Request, _: dict[str, str]) -> Response:
        misses = [miss for event in self.engine.unmatched() for miss in self.engine.near_misses(event.request)]
        return _json({"nearMisses": [near_miss_to_json(miss) for miss in misses]})

    def near_misses_for_request(self, request: Request, _: dict[str, str]) -> Response:
        logged = _logged_request(_payload(request))
        return _json({"nearMisses": [near_miss_to_json(m) for m in self.engine.near_misses(logged)]})

    def near_misses_for_pattern(self, request: Request, _: dict[str, str]) -> Response:
        pattern = _request_pattern(_payload(request))
        return _json({"nearMisses": [near_miss_to_json(m) for m in self.engine.near_misses_for_pattern(pattern)]})

    @property
    def _journal_disabled(self) -> bool:
        return self.engine.journal.capacity == 0

    # --- scenarios ---------------------------------------------------------------------------------

    def list_scenarios(self, request: Request, _: dict[str, str]) -> Response:
        out = []
        for scenario in self.engine.scenarios.all():
            stubs = [stub for stub in map(self.engine.get_stub, scenario.mappings) if stub is not None]
            out.append(
                {
                    "id": scenario.id,
                    "name": scenario.name,
                    "state": scenario.state,
                    "possibleStates": scenario.possible_states,
                    "mappings": [stub_to_mapping(stub) for stub in stubs],
                }
            )
        return _json({"scenarios": out})

    def reset_scenarios(self, request: Request, _: dict[str, str]) -> Response:
        self.engine.scenarios.reset()
        return _json({})

    def set_scenario_state(self, request: Request, params: dict[str, str]) -> Response:
        name = params["name"]
        # as WireMock: an empty body puts the scenario back in Started
        state = STARTED
        if request.body.strip():
            state = _validate(_ScenarioStateModel, _payload(request), "Invalid scenario state").state
        try:
            self.engine.scenarios.set_state(name, state)
        except KeyError as exc:
            raise AdminError(404, "Not found", str(exc.args[0])) from None
        except ValueError as exc:
            raise AdminError(400, "Invalid scenario state", str(exc), pointer="/state") from None
        return _json({})

    # --- recordings --------------------------------------------------------------------------------

    def start_recording(self, request: Request, _: dict[str, str]) -> Response:
        spec = _record_spec(request, recording=True)
        try:
            self.recorder.start(spec)
        except RecordingError as exc:
            raise AdminError(409, "Cannot start recording", str(exc)) from None
        return _json({})

    def recording_status(self, request: Request, _: dict[str, str]) -> Response:
        return _json({"status": self.recorder.status})

    async def stop_recording(self, request: Request, _: dict[str, str]) -> Response:
        try:
            # waits for the writer thread and syncs files to disk: off the event loop, which keeps serving
            stubs = await asyncio.to_thread(self.recorder.stop)
        except RecordingError as exc:
            raise AdminError(409, "Not recording", str(exc)) from None
        except OSError as exc:
            raise _write_failed(exc) from None
        spec = self.recorder.spec
        return _recorded_json(stubs, spec.output_format if spec is not None else "FULL")

    async def snapshot_recording(self, request: Request, _: dict[str, str]) -> Response:
        spec = _record_spec(request, recording=False)
        try:
            stubs = await asyncio.to_thread(self.recorder.snapshot, spec)
        except RecordingError as exc:
            raise AdminError(409, "Cannot snapshot", str(exc)) from None
        except OSError as exc:
            raise _write_failed(exc) from None
        return _recorded_json(stubs, spec.output_format)

    # --- settings and the server -------------------------------------------------------------------

    def get_settings(self, request: Request, _: dict[str, str]) -> Response:
        return _json({"settings": _settings_json(self.engine.settings)})

    def update_settings(self, request: Request, _: dict[str, str]) -> Response:
        payload = _payload(request)
        # WireMock takes the settings bare or as GET /__admin/settings gives them
        wrapped = isinstance(payload, Mapping) and set(payload) == {"settings"}
        model = _validate(_SettingsModel, payload["settings"] if wrapped else payload, "Invalid settings")
        settings = Settings(
            fixed_delay_ms=model.fixedDelay,
            extended=dict(model.extended or {}),
            proxy_pass_through=True if model.proxyPassThrough is None else model.proxyPassThrough,
        )
        self.engine.update_settings(settings)
        # WireMock answers with an empty body; the settings are more useful (and its Python client reads them)
        return _json(_settings_json(settings))

    def reset(self, request: Request, _: dict[str, str]) -> Response:
        self.engine.reset()
        return _json({})

    def shutdown(self, request: Request, _: dict[str, str]) -> Response:
        callback = self.on_shutdown
        if callback is None:
            raise AdminError(501, "Not implemented", "this server was started without a way to shut it down")
        # after this response is sent: the loop runs the callback once the handler has returned
        asyncio.get_running_loop().call_soon(callback)
        return _json({})

    def health(self, request: Request, _: dict[str, str]) -> Response:
        now = time.time()
        return _json(
            {
                "status": "healthy",
                "message": "mockpit is ok",
                "version": __version__,
                "uptimeInSeconds": int(now - self.started),
                "timestamp": iso_timestamp(now),
            }
        )

    def version(self, request: Request, _: dict[str, str]) -> Response:
        return _json({"version": __version__})

    def openapi(self, request: Request, _: dict[str, str]) -> Response:
        from .openapi import document

        return _json(document(self.prefix))


# --- JSON shapes -----------------------------------------------------------------------------------


def serve_event_to_json(event: ServeEvent) -> dict[str, Any]:
    """A serve event as WireMock lists it in ``/__admin/requests``: the request, the response, the stub."""
    out: dict[str, Any] = {
        "id": event.id,
        "request": request_to_json(event.request),
        "response": {
            "status": event.response.status,
            "headers": headers_to_mapping(event.response.headers),
            "bodyAsBase64": base64.b64encode(event.response.body).decode("ascii"),
            "body": event.response.text,
        },
        "wasMatched": event.matched,
    }
    if event.stub is not None:
        mapping = stub_to_mapping(event.stub)
        out["stubMapping"] = mapping
        out["responseDefinition"] = mapping["response"]
    return out


def _recorded_json(stubs: list[RecordedStub], output_format: str) -> Response:
    """What stop and snapshot answer, as WireMock: the stub mappings, or with ``"outputFormat": "IDS"`` their ids."""
    if output_format == "IDS":
        return _json({"ids": [recorded.stub.id for recorded in stubs]})
    return _json({"mappings": [stub_to_mapping(recorded.stub) for recorded in stubs]})


def _mappings_json(stubs: list[Stub], *, total: int) -> dict[str, Any]:
    return {"mappings": [stub_to_mapping(s) for s in stubs], "meta": {"total": total}}


def _settings_json(settings: Settings) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if settings.fixed_delay_ms is not None:
        out["fixedDelay"] = settings.fixed_delay_ms
    out["extended"] = settings.extended
    out["proxyPassThrough"] = settings.proxy_pass_through
    return out


def _json(value: Any, status: int = 200) -> Response:
    return Response(
        status, json.dumps(value, ensure_ascii=False, indent=2), headers=[("Content-Type", "application/json")]
    )


# --- reading payloads ------------------------------------------------------------------------------


def _payload(request: Request) -> Any:
    try:
        return json.loads(request.body, parse_constant=_reject_constant)
    except ValueError as exc:
        raise AdminError(400, "Error parsing JSON", f"the request body is not valid JSON: {exc}") from None


def _reject_constant(name: str) -> Any:
    # Python's json reads NaN and Infinity, which are not JSON: a stub holding one would be listed
    # back as invalid JSON by GET /__admin/mappings.
    raise ValueError(f"{name} is not a JSON value")


def _stub(data: Any, *, stub_id: str | None = None, within: tuple[str | int, ...] = ()) -> Stub:
    try:
        return stub_from_mapping(data, source="admin API", stub_id=stub_id)
    except MappingError as exc:
        raise _invalid_stub(exc.within(*within) if within else exc) from None


def _invalid_stub(exc: MappingError) -> AdminError:
    return AdminError(400, "Invalid stub mapping", exc.message, pointer=exc.pointer)


def _request_pattern(data: Any) -> Any:
    try:
        return pattern_from_mapping(data, source="admin API")
    except MappingError as exc:
        raise AdminError(400, "Invalid request pattern", exc.message, pointer=exc.pointer) from None


def _metadata_matcher(data: Any) -> Callable[[Stub], bool]:
    """WireMock's metadata search: a content pattern (``matchesJsonPath``, ``equalToJson`` ...) tested
    on each stub's metadata as JSON. Stubs without metadata never match."""
    if not isinstance(data, Mapping):
        raise AdminError(
            400,
            "Invalid metadata pattern",
            'the body must be a pattern such as {"matchesJsonPath": "$.team"} or {"equalToJson": {...}}',
            pointer="/",
        )
    try:
        # the body patterns are exactly WireMock's content patterns: reuse their validation and matchers
        pattern = pattern_from_mapping({"bodyPatterns": [data]}, source="admin API")
    except MappingError as exc:
        location = exc.location[2:] if exc.location[:2] == ("bodyPatterns", 0) else exc.location
        raise AdminError(
            400, "Invalid metadata pattern", exc.message, pointer=MappingError("", field=location).pointer
        ) from None
    compiled = compile_pattern(pattern)

    def matches(stub: Stub) -> bool:
        if stub.metadata is None:
            return False
        probe = Request("POST", "/", headers=[("Content-Type", "application/json")], body=_dump(stub.metadata))
        return compiled.match(probe).matched

    return matches


def _dump(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, default=str).encode("utf-8")


def _logged_request(data: Any) -> Request:
    """A request as WireMock logs it (``url``, ``method``, ``headers``, ``body`` ...) back into a :class:`Request`."""
    if not isinstance(data, Mapping):
        raise AdminError(400, "Invalid logged request", 'the body must be a request such as {"url": "/x", ...}')
    model = _validate(_LoggedRequestModel, data, "Invalid logged request")
    headers: list[tuple[str, str]] = []
    for name, value in (model.headers or {}).items():
        headers.extend((name, v) for v in ([value] if isinstance(value, str) else value))
    names = {name.lower() for name, _ in headers}
    if model.cookies and "cookie" not in names:
        pairs = [(k, v) for k, vs in model.cookies.items() for v in ([vs] if isinstance(vs, str) else vs)]
        headers.append(("Cookie", "; ".join(f"{k}={v}" for k, v in pairs)))
    auth = model.basicAuthCredentials
    if auth is not None and "authorization" not in names:
        token = base64.b64encode(f"{auth.username}:{auth.password}".encode()).decode("ascii")
        headers.append(("Authorization", f"Basic {token}"))
    body = base64.b64decode(model.bodyAsBase64) if model.bodyAsBase64 else (model.body or "").encode("utf-8")
    path, _, query = model.url.partition("?")
    client = (model.clientIp, 0) if model.clientIp else None
    timestamp = model.loggedDate / 1000 if model.loggedDate is not None else None
    return Request(model.method, path, query, headers, body, client=client, timestamp=timestamp)


def _query(request: Request) -> dict[str, list[str]]:
    return parse_qs(request.query_string, keep_blank_values=True)


def _int_param(request: Request, name: str) -> int | None:
    values = _query(request).get(name)
    if not values:
        return None
    value = values[0]
    if not value.isdigit():
        raise AdminError(
            400, "Invalid query parameter", f"{name} must be a whole number of 0 or more, got {value!r}", parameter=name
        )
    return int(value)


def _since_param(request: Request) -> int | None:
    """The ``since`` query parameter in milliseconds since the epoch."""
    values = _query(request).get("since")
    if not values:
        return None
    value = values[0]
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise AdminError(
            400,
            "Invalid query parameter",
            f"since must be an ISO 8601 date-time such as 2024-05-01T12:00:00Z, got {value!r}",
            parameter="since",
        ) from None
    if moment.tzinfo is None:  # WireMock reads a date without a zone as UTC
        moment = moment.replace(tzinfo=timezone.utc)
    return round(moment.timestamp() * 1000)


def _write_failed(exc: OSError) -> AdminError:
    where = f" {exc.filename}" if exc.filename else ""
    return AdminError(
        500,
        "Could not save",
        f"cannot write the mapping file{where}: {exc.strerror or exc}; nothing was changed for this request",
    )


# --- payload models: validated whole, so that an error names the field -----------------------------


class _Payload(BaseModel):
    # built on the first admin call, not at import: `mockpit serve` starts faster, most runs never need them
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)


class _SettingsModel(_Payload):
    fixedDelay: int | None = Field(None, ge=0)
    extended: dict[str, Any] | None = None
    proxyPassThrough: bool | None = None
    delayDistribution: Any = None

    @field_validator("delayDistribution")
    @classmethod
    def _not_yet(cls, value: Any) -> Any:
        if value is not None:
            raise ValueError(
                "random delays (delayDistribution) are not supported by mockpit yet; use fixedDelay (milliseconds)"
            )
        return value


class _ImportOptionsModel(_Payload):
    duplicatePolicy: Literal["OVERWRITE", "IGNORE"] = "OVERWRITE"
    deleteAllNotInImport: bool = False


class _ImportModel(_Payload):
    mappings: list[Any]
    importOptions: _ImportOptionsModel = Field(default_factory=_ImportOptionsModel)
    meta: Any = None  # GET /__admin/mappings writes it: an export imports unchanged


class _ScenarioStateModel(_Payload):
    state: str = Field(min_length=1)


class _CredentialsModel(_Payload):
    username: str
    password: str


class _LoggedRequestModel(BaseModel):
    # a logged request has many more fields (loggedDate, queryParams, id ...), all derived from these
    model_config = ConfigDict(extra="ignore", strict=True, frozen=True, defer_build=True)

    url: str
    method: str
    headers: dict[str, str | list[str]] | None = None
    cookies: dict[str, str | list[str]] | None = None
    body: str | None = None
    bodyAsBase64: str | None = None
    clientIp: str | None = None
    basicAuthCredentials: _CredentialsModel | None = None
    loggedDate: int | None = None

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError(f"must be a path (and query) starting with '/', got {value!r}")
        return value

    @field_validator("method")
    @classmethod
    def _method(cls, value: str) -> str:
        if not value.isalpha():
            raise ValueError(f"{value!r} is not an HTTP method; use e.g. GET or POST")
        return value.upper()

    _base64 = field_validator("bodyAsBase64")(check_base64)


class _CaptureHeaderModel(_Payload):
    caseInsensitive: bool = False


class _RequestBodyPatternModel(_Payload):
    matcher: Literal["auto", "equalToJson", "equalTo", "equalToXml", "none"] = "auto"
    ignoreArrayOrder: bool = True
    ignoreExtraElements: bool = True
    caseInsensitive: bool = False


class _ExtractBodyModel(_Payload):
    # WireMock's sizes are strings ("2048", "2 kb", "1 Mb"); a number is taken too
    textSizeThreshold: int | str | None = None
    binarySizeThreshold: int | str | None = None


class _RecordSpecModel(_Payload):
    targetBaseUrl: str | None = None
    filters: dict[str, Any] | None = None
    captureHeaders: dict[str, _CaptureHeaderModel] | None = None
    requestBodyPattern: _RequestBodyPatternModel | None = None
    extractBodyCriteria: _ExtractBodyModel | None = None
    outputFormat: Literal["FULL", "IDS"] = "FULL"
    persist: bool = True
    repeatsAsScenarios: bool = False
    transformers: list[str] | None = None
    transformerParameters: dict[str, Any] | None = None
    #: mockpit's own: keep the values of secret headers (Authorization, cookies, API keys) in the stubs
    keepSecrets: bool = False


def _record_spec(request: Request, *, recording: bool) -> RecordSpec:
    """The record spec of a start or snapshot request (an empty body is ``{}``), checked whole."""
    payload = _payload(request) if request.body.strip() else {}
    if not isinstance(payload, Mapping):
        raise AdminError(400, "Invalid recording spec", 'the body must be a record spec such as {"targetBaseUrl": ...}')
    model = _validate(_RecordSpecModel, payload, "Invalid recording spec")
    try:
        filters = dict(model.filters or {})
        ids = filters.pop("ids", [])
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise MappingError("must be a list of serve event ids", field=("filters", "ids"))
        allow_non_proxied = filters.pop("allowNonProxied", False)
        if not isinstance(allow_non_proxied, bool):
            raise MappingError("must be true or false", field=("filters", "allowNonProxied"))
        request_filter = None
        if filters:
            try:
                request_filter = pattern_from_mapping(filters, source="record spec")
            except MappingError as exc:
                raise exc.within("filters") from None
        body = model.requestBodyPattern or _RequestBodyPatternModel()
        extract = model.extractBodyCriteria or _ExtractBodyModel()
        sizes: dict[str, Any] = {}
        if extract.textSizeThreshold is not None:
            where = "extractBodyCriteria.textSizeThreshold"
            sizes["extract_body_min_size"] = parse_size(extract.textSizeThreshold, where)
        if extract.binarySizeThreshold is not None:
            where = "extractBodyCriteria.binarySizeThreshold"
            sizes["extract_binary_min_size"] = parse_size(extract.binarySizeThreshold, where)
        return RecordSpec(
            # WireMock ignores it when snapshotting: nothing is proxied then
            target=model.targetBaseUrl if recording else None,
            request_filter=request_filter,
            # WireMock ignores ids when recording: they name journal events, which a recording does not read
            ids=() if recording else tuple(ids),
            allow_non_proxied=allow_non_proxied,
            capture_headers={name: header.caseInsensitive for name, header in (model.captureHeaders or {}).items()},
            request_body_pattern=body.matcher,
            ignore_array_order=body.ignoreArrayOrder,
            ignore_extra_elements=body.ignoreExtraElements,
            case_insensitive=body.caseInsensitive,
            output_format=model.outputFormat,
            persist=model.persist,
            repeats_as_scenarios=model.repeatsAsScenarios,
            transformers=tuple(model.transformers or ()),
            transformer_parameters=dict(model.transformerParameters or {}),
            keep_secrets=model.keepSecrets,
            **sizes,
        )
    except MappingError as exc:
        raise AdminError(400, "Invalid recording spec", exc.message, pointer=exc.pointer) from None


def _validate(model: type[_M], data: Any, title: str) -> _M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        _raise_invalid(exc, model, title)


def _raise_invalid(exc: ValidationError, model: type[BaseModel], title: str) -> NoReturn:
    messages: list[str] = []
    first: tuple[str | int, ...] | None = None
    # a misspelt field is also a missing one: name the field the user wrote first
    for error in sorted(exc.errors(include_url=False), key=lambda e: e["type"] != "extra_forbidden"):
        # pydantic names union branches in locations ("str", "list[str]"); users never wrote those
        loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and ("[" in p or p in {"str", "int"})))
        if first is None:
            first = loc
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = f"unknown field; {_expected_fields(model, loc[:-1])}"
        elif error["type"] == "missing":
            message = "is required"
        elif "input" in error and error["type"] not in {"value_error", "assertion_error"}:
            message += f" (got {json.dumps(error['input'], default=str)[:80]})"
        field = MappingError("", field=loc).field
        entry = f"{field}: {message}" if field else message
        if entry not in messages:  # one message per field, not one per union branch
            messages.append(entry)
    raise AdminError(400, title, "; ".join(messages), pointer=MappingError("", field=first or ()).pointer)


def _expected_fields(model: type[BaseModel], parent: tuple[str | int, ...]) -> str:
    for part in parent:
        field = model.model_fields.get(str(part))
        annotation = field.annotation if field else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return "check its spelling"
        model = annotation
    return f"expected one of: {', '.join(model.model_fields)}"
