"""WireMock's admin API under ``/__admin``: every route, and the resource that answers it.

Each resource has its module (:mod:`.mappings`, :mod:`.requests`, :mod:`.recordings`, :mod:`.system`,
:mod:`.messages` for WebSocket stubs)
over the engine; :mod:`.router` routes and answers errors, :mod:`.payloads` reads what requests send and
:mod:`.shapes` writes WireMock's JSON back. A payload is validated whole before anything changes: a
request that fails changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mockpit._engine.engine import Engine
from mockpit._mapping.files import MappingFiles
from mockpit._model import Request, Response
from mockpit._protocols.websocket import WebSocketHub
from mockpit._recording.recorder import Recorder

from .access import AdminAccess
from .dashboard import Dashboard
from .mappings import Mappings
from .messages import Messages
from .recordings import Recordings
from .requests import Requests
from .router import AdminError, Router, json_response
from .system import System


class AdminApi:
    """WireMock's admin API over ``engine``.

    ``mapping_files`` is where ``persistent`` stubs and ``mappings/save`` write (no folder: saving is a
    409 that says how to give one). ``on_reload`` reads the mapping files again (as WireMock's resets
    do); it runs before ``POST /__admin/mappings/reset`` and ``POST /__admin/reset`` restore the stubs
    from files. ``on_shutdown`` is what ``POST /__admin/shutdown`` does: the front
    end decides what stopping means (MockServer stops its thread, ``mockpit serve`` exits); it is called
    on the server's event loop once the answer is on its way. ``recorder`` runs ``/recordings``
    (one is made over ``engine`` and ``mapping_files`` if not given). ``access`` says who may call it
    (by default: loopback names only, no cross-site browser changes; see :mod:`.access`).
    """

    def __init__(
        self,
        engine: Engine,
        prefix: str = "/__admin",
        *,
        mapping_files: MappingFiles | None = None,
        on_shutdown: Callable[[], None] | None = None,
        on_reload: Callable[[], None] | None = None,
        recorder: Recorder | None = None,
        access: AdminAccess | None = None,
        websockets: WebSocketHub | None = None,
        cluster: Callable[[], dict[str, Any]] | None = None,
    ) -> None:
        self.engine = engine
        self.prefix = prefix
        self.access = access or AdminAccess()
        files = mapping_files or MappingFiles(None)
        mappings = Mappings(engine, files, prefix)
        requests = Requests(engine, show_credentials=self.access.show_credentials)
        recordings = Recordings(recorder or Recorder(engine, files))
        system = System(engine, prefix, on_shutdown)
        mappings.on_reload = system.on_reload = on_reload
        self.dashboard = dashboard = Dashboard(engine, files, prefix, show_credentials=self.access.show_credentials)
        self._page = prefix + "/ui"
        self.router = Router()
        for method, template, handler in (
            ("GET", "", system.redirect_to_root),
            # WireMock's admin root lists the stubs; the wiremock client probes it
            ("GET", "/", lambda request, params: dashboard.root(request, mappings.list_mappings(request, params))),
            ("GET", "/mappings", mappings.list_mappings),
            ("POST", "/mappings", mappings.create_mapping),
            ("DELETE", "/mappings", mappings.delete_all_mappings),
            ("GET", "/mappings/{id}", mappings.get_mapping),
            ("PUT", "/mappings/{id}", mappings.update_mapping),
            ("DELETE", "/mappings/{id}", mappings.delete_mapping),
            ("POST", "/mappings/import", mappings.import_mappings),
            ("POST", "/mappings/remove", mappings.remove_mapping),
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
            ("GET", "/scenarios", system.list_scenarios),
            ("POST", "/scenarios/reset", system.reset_scenarios),
            ("PUT", "/scenarios/{name}/state", system.set_scenario_state),
            ("POST", "/recordings/start", recordings.start_recording),
            ("GET", "/recordings/status", recordings.recording_status),
            ("POST", "/recordings/stop", recordings.stop_recording),
            ("POST", "/recordings/snapshot", recordings.snapshot_recording),
            ("GET", "/settings", system.get_settings),
            ("POST", "/settings", system.update_settings),
            ("PUT", "/settings", system.update_settings),
            ("POST", "/reset", system.reset),
            ("POST", "/shutdown", system.shutdown),
            ("GET", "/health", system.health),
            ("GET", "/version", system.version),
            ("GET", "/openapi.json", system.openapi),
            ("GET", "/ui", dashboard.page),
            ("GET", "/ui/{asset}", dashboard.asset),
            ("GET", "/dashboard/events", dashboard.events),
            ("GET", "/dashboard/stubs", dashboard.stubs),
        ):
            self.router.add(method, template, handler)
        # a fleet's instances; a server without a store is in no fleet
        alone: dict[str, Any] = {"self": None, "store": None, "instances": []}
        self.router.add("GET", "/cluster", lambda request, params: json_response(cluster() if cluster else alone))
        if websockets is not None:
            system.on_reset.append(websockets.reset)
            self._add_messaging(Messages(websockets, show_credentials=self.access.show_credentials))

    def _add_messaging(self, messages: Messages) -> None:
        """WireMock 4's messaging routes: WebSocket stubs, the message journal, channels."""
        for method, template, handler in (
            ("GET", "/message-mappings", messages.list_mappings),
            ("POST", "/message-mappings", messages.create_mapping),
            ("DELETE", "/message-mappings", messages.reset_mappings),
            ("GET", "/message-mappings/{id}", messages.get_mapping),
            ("PUT", "/message-mappings/{id}", messages.update_mapping),
            ("DELETE", "/message-mappings/{id}", messages.delete_mapping),
            ("POST", "/message-mappings/find-by-metadata", messages.find_by_metadata),
            ("POST", "/message-mappings/remove-by-metadata", messages.remove_by_metadata),
            ("GET", "/messages", messages.list_messages),
            ("DELETE", "/messages", messages.clear_messages),
            ("POST", "/messages/count", messages.count_messages),
            ("POST", "/messages/find", messages.find_messages),
            ("POST", "/messages/remove", messages.remove_messages),
            ("POST", "/messages/wait", messages.wait_for_message),
            ("POST", "/messages/wait-for-count", messages.wait_for_message),
            ("GET", "/messages/unmatched", messages.unmatched_messages),
            ("GET", "/messages/{id}", messages.get_message),
            ("GET", "/channels", messages.list_channels),
            ("GET", "/channels/{id}", messages.get_channel),
            ("DELETE", "/channels/{id}", messages.close_channel),
            ("POST", "/channels/send", messages.send_to_channels),
        ):
            self.router.add(method, template, handler)

    async def handle(self, request: Request) -> Response:
        path = request.path
        page = request.method == "GET" and (path == self._page or path.startswith(self._page + "/"))
        refused = self.access.page_refusal(request) if page else self.access.refusal(request)
        if refused is not None:
            return refused
        try:
            handler, params = self.router.resolve(
                request.method, request.path[len(self.prefix) :], request.path.rstrip("/") or "/"
            )
            answer = handler(request, params)
            return answer if isinstance(answer, Response) else await answer
        except AdminError as exc:
            return exc.to_response()
