"""The admin API's system resources: scenarios, global settings, reset, shutdown, health, version and
the API's own OpenAPI document."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping

from mockpit import __version__
from mockpit._engine.engine import Engine, Settings
from mockpit._model import STARTED, Request, Response

from .params import read_json
from .router import AdminError, json_response, reload_files
from .shapes import iso_timestamp, scenario_to_json, settings_to_json


class System:
    """The state of ``engine`` beyond its stubs and journal, and the server's own life.

    ``on_shutdown`` is what ``POST /shutdown`` does (none: a 501), called on the server's event loop
    once the answer is on its way.
    """

    def __init__(self, engine: Engine, prefix: str, on_shutdown: Callable[[], None] | None) -> None:
        self.engine = engine
        self.prefix = prefix
        self.on_shutdown = on_shutdown
        #: reads the mapping files again before a reset (None: nothing to read)
        self.on_reload: Callable[[], None] | None = None
        #: what else a full reset resets (the WebSocket stubs and message journal)
        self.on_reset: list[Callable[[], None]] = []
        self.started = time.time()
        self._openapi: Response | None = None

    def redirect_to_root(self, request: Request, _: dict[str, str]) -> Response:
        response = json_response({}, 302)
        response.headers.append(("Location", self.prefix + "/"))
        return response

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
            from .payloads import _ScenarioStateModel, validate

            state = validate(_ScenarioStateModel, read_json(request), "Invalid scenario state").state
        try:
            self.engine.scenarios.set_state(name, state)
        except KeyError as exc:
            raise AdminError(404, "Not found", str(exc.args[0])) from None
        except ValueError as exc:
            raise AdminError(400, "Invalid scenario state", str(exc), pointer="/state") from None
        return json_response({})

    def get_settings(self, request: Request, _: dict[str, str]) -> Response:
        return json_response({"settings": settings_to_json(self.engine.settings)})

    def update_settings(self, request: Request, _: dict[str, str]) -> Response:
        payload = read_json(request)
        # WireMock takes the settings bare or as GET /__admin/settings gives them
        wrapped = isinstance(payload, Mapping) and set(payload) == {"settings"}
        from .payloads import _SettingsModel, validate

        model = validate(_SettingsModel, payload["settings"] if wrapped else payload, "Invalid settings")
        settings = Settings(
            fixed_delay_ms=model.fixedDelay,
            delay_distribution=model.delayDistribution.to_model() if model.delayDistribution else None,
            extended=dict(model.extended or {}),
            proxy_pass_through=True if model.proxyPassThrough is None else model.proxyPassThrough,
        )
        self.engine.update_settings(settings)
        # WireMock answers with an empty body; the settings are more useful (and its Python client reads them)
        return json_response(settings_to_json(settings))

    async def reset(self, request: Request, _: dict[str, str]) -> Response:
        await reload_files(self.on_reload)
        self.engine.reset()
        for reset in self.on_reset:
            reset()
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
        # made once: the document (about 110 KB) never changes while serving, and writing it costs ms
        if self._openapi is None:
            from .openapi import document

            self._openapi = json_response(document(self.prefix))
        return self._openapi
