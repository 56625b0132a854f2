"""The admin API under ``/__admin``, in WireMock's JSON shapes and status codes, over the engine.

Payloads are validated whole before anything changes: a request that fails changes nothing (an import
checks every mapping before adding any). Stubs marked ``persistent`` are written to (or removed from)
the mappings folder at once, as WireMock does; ``POST /__admin/mappings/save`` writes all of them.
Routing and the error answers are :mod:`.router`'s.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from mockpit import __version__
from mockpit._engine.engine import Engine, Settings
from mockpit._errors import MappingError
from mockpit._mapping.files import MappingFiles, NoMappingsFolder
from mockpit._mapping.read import pattern_from_mapping, stub_from_mapping
from mockpit._mapping.write import stub_to_mapping
from mockpit._matching.pattern import compile_pattern
from mockpit._model import STARTED, Request, Response, Stub
from mockpit._recording.recorder import Recorder, RecordingError, RecordSpec, parse_size

from .payloads import (
    _ExtractBodyModel,
    _ImportModel,
    _LoggedRequestModel,
    _RecordSpecModel,
    _RequestBodyPatternModel,
    _ScenarioStateModel,
    _SettingsModel,
    int_param,
    metadata_matcher,
    query_parameters,
    read_json,
    since_param,
    validate,
)
from .router import AdminError, Router, json_response, write_failed
from .shapes import (
    iso_timestamp,
    mappings_to_json,
    near_miss_to_json,
    recorded_to_json,
    request_to_json,
    scenario_to_json,
    serve_event_to_json,
    settings_to_json,
)


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
        response = json_response({}, 302)
        response.headers.append(("Location", self.prefix + "/"))
        return response

    def list_mappings(self, request: Request, _: dict[str, str]) -> Response:
        stubs = self.engine.stubs()
        offset = int_param(request, "offset") or 0
        limit = int_param(request, "limit")
        page = stubs[offset:] if limit is None else stubs[offset : offset + limit]
        return json_response(mappings_to_json(page, total=len(stubs)))

    def create_mapping(self, request: Request, _: dict[str, str]) -> Response:
        stub = _stub(read_json(request))
        self._add([stub])
        return json_response(stub_to_mapping(stub), 201)

    def delete_all_mappings(self, request: Request, _: dict[str, str]) -> Response:
        self._remove(self.engine.stubs())
        return json_response({})

    def get_mapping(self, request: Request, params: dict[str, str]) -> Response:
        return json_response(stub_to_mapping(self._stub_or_404(params["id"])))

    def update_mapping(self, request: Request, params: dict[str, str]) -> Response:
        stub_id = params["id"]
        self._stub_or_404(stub_id, f"; create it with POST {self.prefix}/mappings")
        stub = _stub(read_json(request), stub_id=stub_id)
        self._add([stub])
        return json_response(stub_to_mapping(stub))

    def delete_mapping(self, request: Request, params: dict[str, str]) -> Response:
        self._remove([self._stub_or_404(params["id"])])
        return json_response({})

    def import_mappings(self, request: Request, _: dict[str, str]) -> Response:
        payload = read_json(request)
        if not isinstance(payload, Mapping):
            raise AdminError(400, "Invalid import", 'the body must be {"mappings": [...], "importOptions": {...}}')
        model = validate(_ImportModel, payload, "Invalid import")
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
        return json_response({})

    def reset_mappings(self, request: Request, _: dict[str, str]) -> Response:
        self.engine.reset_stubs()
        return json_response({})

    async def save_mappings(self, request: Request, _: dict[str, str]) -> Response:
        stubs = self.engine.stubs()
        savable = [s for s in stubs if s.response.handler is None]
        try:
            # thousands of files, each synced to disk: off the event loop, which keeps serving meanwhile
            written = await asyncio.to_thread(self.files.save, list(reversed(savable)))
        except NoMappingsFolder as exc:
            raise AdminError(409, "No mappings folder", str(exc)) from None
        except OSError as exc:
            raise write_failed(exc) from None
        self.engine.keep_on_reset(s.id for s in savable)
        return json_response(
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
        matches = metadata_matcher(read_json(request))
        found = [s for s in self.engine.stubs() if matches(s)]
        return json_response(mappings_to_json(found, total=len(found)))

    def remove_mappings_by_metadata(self, request: Request, _: dict[str, str]) -> Response:
        matches = metadata_matcher(read_json(request))
        self._remove([s for s in self.engine.stubs() if matches(s)])
        return json_response({})

    def unmatched_mappings(self, request: Request, _: dict[str, str]) -> Response:
        found = self._unmatched_stubs()
        return json_response(mappings_to_json(found, total=len(found)))

    def remove_unmatched_mappings(self, request: Request, _: dict[str, str]) -> Response:
        self._remove(self._unmatched_stubs())
        return json_response({})

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
            raise write_failed(exc) from None
        self.engine.keep_on_reset(stub.id for stub in persistent)

    def _remove(self, stubs: Iterable[Stub]) -> None:
        """Remove stubs; the persistent ones' files are deleted (or rewritten without them) at once."""
        for stub in stubs:
            if stub.persistent and self.files.folder is not None:
                try:
                    self.files.remove(stub.id)
                except OSError as exc:
                    raise write_failed(exc) from None
                self.engine.drop_on_reset([stub.id])
            self.engine.remove_stub(stub.id)

    # --- requests ----------------------------------------------------------------------------------

    def list_requests(self, request: Request, _: dict[str, str]) -> Response:
        events = self.engine.journal.events()
        events.reverse()  # newest first, as WireMock lists them
        query = query_parameters(request)
        if query.get("unmatched", [""])[0].lower() == "true":
            events = [e for e in events if not e.matched]
        stub_id = query.get("matchingStub", [None])[0]
        if stub_id is not None:
            events = [e for e in events if e.stub is not None and e.stub.id == stub_id]
        total = len(events)
        since = since_param(request)
        if since is not None:
            # in milliseconds, as loggedDate: since=<a request's loggedDateString> leaves that request out
            events = [e for e in events if int(e.timestamp * 1000) > since]
        limit = int_param(request, "limit")
        if limit is not None:
            events = events[:limit]
        return json_response(
            {
                "requests": [serve_event_to_json(e) for e in events],
                "meta": {"total": total},
                "requestJournalDisabled": self._journal_disabled,
            }
        )

    def clear_requests(self, request: Request, _: dict[str, str]) -> Response:
        self.engine.clear_requests()
        return json_response({})

    def get_request(self, request: Request, params: dict[str, str]) -> Response:
        event = self.engine.journal.get(params["id"])
        if event is None:
            raise AdminError(404, "Not found", f"no request with id {params['id']} in the journal")
        return json_response(serve_event_to_json(event))

    def delete_request(self, request: Request, params: dict[str, str]) -> Response:
        event_id = params["id"]
        if not self.engine.remove_requests(lambda event: event.id == event_id):
            raise AdminError(404, "Not found", f"no request with id {event_id} in the journal")
        return json_response({})

    def count_requests(self, request: Request, _: dict[str, str]) -> Response:
        found = self.engine.find_requests(_request_pattern(read_json(request)))
        return json_response({"count": len(found), "requestJournalDisabled": self._journal_disabled})

    def find_requests(self, request: Request, _: dict[str, str]) -> Response:
        found = self.engine.find_requests(_request_pattern(read_json(request)))
        return json_response(
            {"requests": [request_to_json(e.request) for e in found], "requestJournalDisabled": self._journal_disabled}
        )

    def remove_requests(self, request: Request, _: dict[str, str]) -> Response:
        compiled = compile_pattern(_request_pattern(read_json(request)))
        removed = self.engine.remove_requests(lambda event: compiled.match(event.request).matched)
        return json_response({"serveEvents": [serve_event_to_json(e) for e in removed]})

    def remove_requests_by_metadata(self, request: Request, _: dict[str, str]) -> Response:
        matches = metadata_matcher(read_json(request))
        removed = self.engine.remove_requests(lambda event: event.stub is not None and matches(event.stub))
        return json_response({"serveEvents": [serve_event_to_json(e) for e in removed]})

    def unmatched_requests(self, request: Request, _: dict[str, str]) -> Response:
        events = self.engine.unmatched()
        return json_response(
            {"requests": [request_to_json(e.request) for e in events], "requestJournalDisabled": self._journal_disabled}
        )

    def unmatched_near_misses(self, request: Request, _: dict[str, str]) -> Response:
        misses = [miss for event in self.engine.unmatched() for miss in self.engine.near_misses(event.request)]
        return json_response({"nearMisses": [near_miss_to_json(miss) for miss in misses]})

    def near_misses_for_request(self, request: Request, _: dict[str, str]) -> Response:
        logged = _logged_request(read_json(request))
        return json_response({"nearMisses": [near_miss_to_json(m) for m in self.engine.near_misses(logged)]})

    def near_misses_for_pattern(self, request: Request, _: dict[str, str]) -> Response:
        pattern = _request_pattern(read_json(request))
        return json_response(
            {"nearMisses": [near_miss_to_json(m) for m in self.engine.near_misses_for_pattern(pattern)]}
        )

    @property
    def _journal_disabled(self) -> bool:
        return self.engine.journal.capacity == 0

    # --- scenarios ---------------------------------------------------------------------------------

    def list_scenarios(self, request: Request, _: dict[str, str]) -> Response:
        out = []
        for scenario in self.engine.scenarios.all():
            stubs = [stub for stub in map(self.engine.get_stub, scenario.mappings) if stub is not None]
            out.append(scenario_to_json(scenario, stubs))
        return json_response({"scenarios": out})

    def reset_scenarios(self, request: Request, _: dict[str, str]) -> Response:
        self.engine.scenarios.reset()
        return json_response({})

    def set_scenario_state(self, request: Request, params: dict[str, str]) -> Response:
        name = params["name"]
        # as WireMock: an empty body puts the scenario back in Started
        state = STARTED
        if request.body.strip():
            state = validate(_ScenarioStateModel, read_json(request), "Invalid scenario state").state
        try:
            self.engine.scenarios.set_state(name, state)
        except KeyError as exc:
            raise AdminError(404, "Not found", str(exc.args[0])) from None
        except ValueError as exc:
            raise AdminError(400, "Invalid scenario state", str(exc), pointer="/state") from None
        return json_response({})

    # --- recordings --------------------------------------------------------------------------------

    def start_recording(self, request: Request, _: dict[str, str]) -> Response:
        spec = _record_spec(request, recording=True)
        try:
            self.recorder.start(spec)
        except RecordingError as exc:
            raise AdminError(409, "Cannot start recording", str(exc)) from None
        return json_response({})

    def recording_status(self, request: Request, _: dict[str, str]) -> Response:
        return json_response({"status": self.recorder.status})

    async def stop_recording(self, request: Request, _: dict[str, str]) -> Response:
        try:
            # waits for the writer thread and syncs files to disk: off the event loop, which keeps serving
            stubs = await asyncio.to_thread(self.recorder.stop)
        except RecordingError as exc:
            raise AdminError(409, "Not recording", str(exc)) from None
        except OSError as exc:
            raise write_failed(exc) from None
        spec = self.recorder.spec
        return json_response(recorded_to_json(stubs, spec.output_format if spec is not None else "FULL"))

    async def snapshot_recording(self, request: Request, _: dict[str, str]) -> Response:
        spec = _record_spec(request, recording=False)
        try:
            stubs = await asyncio.to_thread(self.recorder.snapshot, spec)
        except RecordingError as exc:
            raise AdminError(409, "Cannot snapshot", str(exc)) from None
        except OSError as exc:
            raise write_failed(exc) from None
        return json_response(recorded_to_json(stubs, spec.output_format))

    # --- settings and the server -------------------------------------------------------------------

    def get_settings(self, request: Request, _: dict[str, str]) -> Response:
        return json_response({"settings": settings_to_json(self.engine.settings)})

    def update_settings(self, request: Request, _: dict[str, str]) -> Response:
        payload = read_json(request)
        # WireMock takes the settings bare or as GET /__admin/settings gives them
        wrapped = isinstance(payload, Mapping) and set(payload) == {"settings"}
        model = validate(_SettingsModel, payload["settings"] if wrapped else payload, "Invalid settings")
        settings = Settings(
            fixed_delay_ms=model.fixedDelay,
            extended=dict(model.extended or {}),
            proxy_pass_through=True if model.proxyPassThrough is None else model.proxyPassThrough,
        )
        self.engine.update_settings(settings)
        # WireMock answers with an empty body; the settings are more useful (and its Python client reads them)
        return json_response(settings_to_json(settings))

    def reset(self, request: Request, _: dict[str, str]) -> Response:
        self.engine.reset()
        return json_response({})

    def shutdown(self, request: Request, _: dict[str, str]) -> Response:
        callback = self.on_shutdown
        if callback is None:
            raise AdminError(501, "Not implemented", "this server was started without a way to shut it down")
        # after this response is sent: the loop runs the callback once the handler has returned
        asyncio.get_running_loop().call_soon(callback)
        return json_response({})

    def health(self, request: Request, _: dict[str, str]) -> Response:
        now = time.time()
        return json_response(
            {
                "status": "healthy",
                "message": "mockpit is ok",
                "version": __version__,
                "uptimeInSeconds": int(now - self.started),
                "timestamp": iso_timestamp(now),
            }
        )

    def version(self, request: Request, _: dict[str, str]) -> Response:
        return json_response({"version": __version__})

    def openapi(self, request: Request, _: dict[str, str]) -> Response:
        from .openapi import document

        return json_response(document(self.prefix))


# --- reading payloads into the model -------------------------------------------------------------


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


def _logged_request(data: Any) -> Request:
    """A request as WireMock logs it (``url``, ``method``, ``headers``, ``body`` ...) back into a :class:`Request`."""
    if not isinstance(data, Mapping):
        raise AdminError(400, "Invalid logged request", 'the body must be a request such as {"url": "/x", ...}')
    model = validate(_LoggedRequestModel, data, "Invalid logged request")
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


def _record_spec(request: Request, *, recording: bool) -> RecordSpec:
    """The record spec of a start or snapshot request (an empty body is ``{}``), checked whole."""
    payload = read_json(request) if request.body.strip() else {}
    if not isinstance(payload, Mapping):
        raise AdminError(400, "Invalid recording spec", 'the body must be a record spec such as {"targetBaseUrl": ...}')
    model = validate(_RecordSpecModel, payload, "Invalid recording spec")
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
