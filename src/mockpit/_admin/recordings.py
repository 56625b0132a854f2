"""``/__admin/recordings``: record by proxying, or snapshot the journal, into stubs.

A start or snapshot request carries WireMock's record spec, read here into mockpit's
:class:`~mockpit._recording.recorder.RecordSpec`: checked whole, errors naming the field.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from mockpit._errors import MappingError
from mockpit._mapping.read import pattern_from_mapping
from mockpit._model import Request, Response
from mockpit._recording.recorder import Recorder, RecordingError
from mockpit._recording.spec import RecordSpec, parse_size

from .params import read_json
from .router import AdminError, json_response, write_failed
from .shapes import recorded_to_json


class Recordings:
    """What ``recorder`` records, started, stopped and snapshot over the admin API."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder

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


def _record_spec(request: Request, *, recording: bool) -> RecordSpec:
    """The record spec of a start or snapshot request (an empty body is ``{}``), checked whole."""
    payload = read_json(request) if request.body.strip() else {}
    if not isinstance(payload, Mapping):
        raise AdminError(400, "Invalid recording spec", 'the body must be a record spec such as {"targetBaseUrl": ...}')
    from .payloads import _ExtractBodyModel, _RecordSpecModel, _RequestBodyPatternModel, validate

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
        body = model.requestBodyPattern or model.requestBodyPatternFactory or _RequestBodyPatternModel()
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
