"""``/__admin/mappings``: the stub mappings, read through the mapping format, kept on disk if persistent.

A payload is checked whole before anything changes: an import checks every mapping before adding any.
Stubs marked ``persistent`` are written to (or removed from) the mappings folder at once, as WireMock
does; ``POST /__admin/mappings/save`` writes all of them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from mockpit._engine.engine import Engine
from mockpit._errors import MappingError
from mockpit._mapping.files import MappingFiles, NoMappingsFolder
from mockpit._mapping.read import stub_from_mapping
from mockpit._mapping.write import pattern_to_mapping, stub_to_mapping
from mockpit._model import Request, Response, Stub

from .params import int_param, metadata_matcher, read_json
from .router import AdminError, json_response, reload_files, write_failed
from .shapes import mappings_to_json


class Mappings:
    """The stub mappings of ``engine``; ``files`` is where persistent ones and ``mappings/save`` write."""

    def __init__(self, engine: Engine, files: MappingFiles, prefix: str) -> None:
        self.engine = engine
        self.files = files
        self.prefix = prefix
        # stubs written by mappings/save: persistent from then on, as in WireMock, so that removing one
        # (DELETE /__admin/mappings included) deletes its file and a reset does not bring it back
        self._saved: set[str] = set()
        #: reads the mapping files again before a reset (None: nothing to read)
        self.on_reload: Callable[[], None] | None = None

    def list_mappings(self, request: Request, _: dict[str, str]) -> Response:
        # in the order they are tried, as WireMock lists them: priority, then newest (a stable sort of
        # the newest-first list)
        stubs = sorted(self.engine.stubs(), key=lambda stub: stub.effective_priority)
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

    def remove_mapping(self, request: Request, _: dict[str, str]) -> Response:
        """WireMock's ``removeStub(...)``: the stub with the posted stub's id, else those with its request."""
        posted = _stub(read_json(request))
        found = self.engine.get_stub(posted.id)
        if found is not None:
            self._remove([found])
        else:
            wanted = pattern_to_mapping(posted.request)
            self._remove([s for s in self.engine.stubs() if pattern_to_mapping(s.request) == wanted])
        return json_response({})

    def import_mappings(self, request: Request, _: dict[str, str]) -> Response:
        payload = read_json(request)
        if not isinstance(payload, Mapping):
            raise AdminError(400, "Invalid import", 'the body must be {"mappings": [...], "importOptions": {...}}')
        from .payloads import _ImportModel, validate

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

    async def reset_mappings(self, request: Request, _: dict[str, str]) -> Response:
        await reload_files(self.on_reload)
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
        self._saved.update(s.id for s in savable)
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
            if (stub.persistent or stub.id in self._saved) and self.files.folder is not None:
                try:
                    self.files.remove(stub.id)
                except OSError as exc:
                    raise write_failed(exc) from None
                self.engine.drop_on_reset([stub.id])
                self._saved.discard(stub.id)
            self.engine.remove_stub(stub.id)


def _stub(data: Any, *, stub_id: str | None = None, within: tuple[str | int, ...] = ()) -> Stub:
    try:
        return stub_from_mapping(data, source="admin API", stub_id=stub_id)
    except MappingError as exc:
        raise _invalid_stub(exc.within(*within) if within else exc) from None


def _invalid_stub(exc: MappingError) -> AdminError:
    return AdminError(400, "Invalid stub mapping", exc.message, pointer=exc.pointer)
