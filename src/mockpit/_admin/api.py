"""The admin API under ``/__admin``, in WireMock's JSON shapes and status codes, over the engine.

Payloads are validated whole before anything changes: a request that fails changes nothing. Routing
and the error answers are :mod:`.router`'s; each resource has its module (:mod:`.mappings` ...).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping

from mockpit import __version__
from mockpit._engine.engine import Engine, Settings
from mockpit._mapping.files import MappingFiles
from mockpit._model import STARTED, Request, Response
from mockpit._recording.recorder import Recorder

from .mappings import Mappings
from .payloads import (
    _ScenarioStateModel,
    _SettingsModel,
    read_json,
    validate,
)
from .recordings import Recordings
from .requests import Requests
from .router import AdminError, Router, json_response
from .shapes import (
    iso_timestamp,
    scenario_to_json,
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
        mappings = Mappings(engine, self.files, prefix)
        requests = Requests(engine)
        recordings = Recordings(self.recorder)
        self.router = Router()
        for method, template, handler in (
            ("GET", "", self.redirect_to_root),
            # WireMock's admin root lists the stubs; the wiremock client probes it
            ("GET", "/", mappings.list_mappings),
            ("GET", "/mappings", mappings.list_mappings),
            ("POST", "/mappings", mappings.create_mapping),
            ("DELETE", "/mappings", mappings.delete_all_mappings),
            ("GET", "/mappings/{id}", mappings.get_mapping),
            ("PUT", "/mappings/{id}", mappings.update_mapping),
            ("DELETE", "/mappings/{id}", mappings.delete_mapping),
            ("POST", "/mappings/import", mappings.import_mappings),
            ("POST", "/mappings/reset", mappings.reset_mappings),
            ("POST", "/mappings/save", mappings.save_mappings),
            ("POST", "/mappings/find-by-metadata", mappings.find_mappings_by_metadata),
            ("POST", "/mappings/remove-by-metadata", mappings.remove_mappings_by_metadata),
            ("GET", "/mappings/unmatched", mappings.unmatched_mappings),
            ("DELETE", "/mappings/unmatched", mappings.remove_unmatched_mappings),
            ("GET", "/requests", requests.list_requests),
            ("DELETE", "/requests", requests.clear_requests),
            ("POST", "/requests/reset", requests.clear_requests),  # deprecated in WireMock; its Python client uses it
            ("GET", "/requests/{id}", requests.get_request),
            ("DELETE", "/requests/{id}", requests.delete_request),
            ("POST", "/requests/count", requests.count_requests),
            ("POST", "/requests/find", requests.find_requests),
            ("POST", "/requests/remove", requests.remove_requests),
            ("POST", "/requests/remove-by-metadata", requests.remove_requests_by_metadata),
            ("GET", "/requests/unmatched", requests.unmatched_requests),
            ("GET", "/requests/unmatched/near-misses", requests.unmatched_near_misses),
            ("POST", "/near-misses/request", requests.near_misses_for_request),
            ("POST", "/near-misses/request-pattern", requests.near_misses_for_pattern),
            ("GET", "/scenarios", self.list_scenarios),
            ("POST", "/scenarios/reset", self.reset_scenarios),
            ("PUT", "/scenarios/{name}/state", self.set_scenario_state),
            ("POST", "/recordings/start", recordings.start_recording),
            ("GET", "/recordings/status", recordings.recording_status),
            ("POST", "/recordings/stop", recordings.stop_recording),
            ("POST", "/recordings/snapshot", recordings.snapshot_recording),
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

    # --- requests ----------------------------------------------------------------------------------

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
