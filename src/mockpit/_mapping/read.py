"""WireMock's mapping format -> mockpit's model: the entry points of the one (de)serialiser.

Mapping files, the admin API, recordings and the Python API read stubs and request patterns here; the
models in :mod:`.models` check them, :mod:`.errors` makes one error naming the field of what they find
(worded here for the mapping format), :mod:`.write` writes them back.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from mockpit._errors import MappingError
from mockpit._model import RequestPattern, Stub

from .errors import Location, did_you_mean, known_fields, lone_surrogate, mapping_error
from .fast import simple_stub

# WireMock features that a mapping may use and mockpit does not do yet. A mapping that uses one is
# refused with this message: silently ignoring it would make the stub answer differently than in WireMock.
_NOT_YET = {
    "equalToDateTime": "date matchers",
    "before": "date matchers",
    "after": "date matchers",
    "actualFormat": "date matchers",
    "truncateExpected": "date matchers",
    "truncateActual": "date matchers",
    "expectedOffset": "date matchers",
    "expectedOffsetUnit": "date matchers",
    "applyTruncationLast": "date matchers",
    "matchesPathTemplate": "path template value matchers",
}


def _unknown_field(loc: Location) -> str:
    from .models import _StubModel

    key = str(loc[-1]) if loc else "?"
    feature = _NOT_YET.get(key)
    if feature:
        return f"{feature} ({key}) is not supported by mockpit yet; remove it or see the docs' list of supported fields"
    hint = did_you_mean(key, known_fields(_StubModel, loc[:-1]))
    return f"unknown field {key!r}{hint or '; check its spelling against the WireMock mapping format'}"


_WORDING = {"extra_forbidden": _unknown_field}


def stub_from_mapping(data: Any, *, source: str = "mapping", stub_id: str | None = None) -> Stub:
    """Validate one WireMock stub mapping (a dict) and return the :class:`Stub` it defines.

    Raises :class:`MappingError` naming ``source`` and the offending field.
    """
    if not isinstance(data, Mapping):
        raise MappingError(f"a stub mapping must be a JSON object, got {type(data).__name__}", source=source)
    where = lone_surrogate(data)
    if where is not None:
        raise MappingError(
            "holds a lone surrogate (an escape such as \\udcff that is half of a character), which no "
            "response, header or file name can carry; use base64Body for bytes that are not text",
            source=source,
            field=where,
        )
    simple = simple_stub(data)
    if simple is not None:
        return dataclasses.replace(simple, id=stub_id) if stub_id else simple
    # pydantic and the models are imported on first need: a folder of simple stubs never needs them
    from pydantic import ValidationError

    from .models import _StubModel

    try:
        model = _StubModel.model_validate(data)
    except ValidationError as exc:
        raise mapping_error(exc, data, wording=_WORDING, source=source) from None
    kwargs: dict[str, Any] = {}
    chosen = stub_id or model.id or model.uuid
    if chosen:
        kwargs["id"] = chosen
    first, *then = model.definitions()
    return Stub(
        request=model.request.to_model(),
        response=first,
        name=model.name,
        priority=model.priority,
        metadata=model.metadata,
        persistent=model.persistent,
        then=tuple(then),
        cycle=model.responseSequence == "cycle",
        serve_event_listeners=model.listeners(),
        scenario_name=model.scenarioName,
        required_scenario_state=model.requiredScenarioState,
        new_scenario_state=model.newScenarioState,
        **kwargs,
    )


def stubs_from_document(data: Any, *, source: str) -> list[Stub]:
    """A mapping file's content: one stub, or ``{"mappings": [...]}``."""
    if isinstance(data, Mapping) and "mappings" in data:
        extra = sorted(set(data) - {"mappings", "meta"})
        if extra:
            raise MappingError(
                f"unexpected key(s) {', '.join(extra)} beside 'mappings'", source=source, field=(extra[0],)
            )
        items = data["mappings"]
        if not isinstance(items, list):
            raise MappingError("must be a list of stub mappings", source=source, field=("mappings",))
        stubs = []
        for i, item in enumerate(items):
            try:
                stubs.append(stub_from_mapping(item, source=source))
            except MappingError as exc:
                raise exc.within("mappings", i) from None
        return stubs
    return [stub_from_mapping(data, source=source)]


def pattern_from_mapping(data: Any, *, source: str = "request pattern") -> RequestPattern:
    """Validate a WireMock request pattern (the ``request`` part of a stub) on its own."""
    if not isinstance(data, Mapping):
        raise MappingError(f"a request pattern must be a JSON object, got {type(data).__name__}", source=source)
    from pydantic import ValidationError

    from .models import _RequestModel

    try:
        return _RequestModel.model_validate(data).to_model()
    except ValidationError as exc:
        raise mapping_error(exc, data, wording=_WORDING, source=source) from None
