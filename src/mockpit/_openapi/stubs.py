"""An OpenAPI document as stubs: one per operation, answering like the API it describes.

Each operation becomes a stub matching its method and path template (``/pets/{petId}``), with priority
10 so that hand-written stubs (priority 5 by default) override what they match, and an id stable across
runs and machines. Its handler is the operation's :class:`~.answers.OperationHandler`.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mockpit._model import RequestPattern as _RequestPattern
from mockpit._model import ResponseDefinition, Stub, UrlMatch

from .answers import OperationHandler
from .data import DataGenerator
from .document import OpenApiDocument, Operation, load_openapi

#: generated stubs lose to hand-written ones, whose priority is 5 unless they say otherwise
OPENAPI_PRIORITY = 10
#: ``mockpit generate``'s mapping files are meant to be edited: served beside their document, they win
GENERATED_PRIORITY = 9
_TEMPLATE_VARIABLE = re.compile(r"\{[^{}/]+\}")
_NAMESPACE = uuid.UUID("6f0c9b2e-5d1a-4c52-9a57-0e3c1f3d2a10")


def openapi_stubs(
    source: str | os.PathLike[str] | Mapping[str, Any],
    *,
    seed: int = 0,
    validate: bool = True,
    contents: Any = None,
) -> list[Stub]:
    """Load an OpenAPI document and return its operations as stubs (see :func:`stubs_from_document`)."""
    return stubs_from_document(load_openapi(source, contents=contents), seed=seed, validate=validate)


def stubs_from_document(document: OpenApiDocument, *, seed: int = 0, validate: bool = True) -> list[Stub]:
    """One stub per operation of ``document``, whose handler answers as described above.

    The stubs come in the order to add them in: among stubs of equal priority the newest wins, so a
    path with fewer template variables (``/pets/mine``) comes after one that also matches it
    (``/pets/{id}``), as OpenAPI says the concrete path wins.
    """
    return _stubs(document, seed=seed, validate=validate, answering=True)


def static_stubs(document: OpenApiDocument, *, seed: int = 0) -> list[Stub]:
    """The stubs ``mockpit generate`` writes: each operation's default answer, without a handler.

    They keep no validation and no ``Prefer`` handling (mapping files cannot express them). They have
    ids of their own and priority 9, so that served beside the document they came from, they win.
    """
    return _stubs(document, seed=seed, validate=False, answering=False)


def _stubs(document: OpenApiDocument, *, seed: int, validate: bool, answering: bool) -> list[Stub]:
    """One stub per operation, most specific path last; ``answering``: each keeps its handler."""
    generator = DataGenerator(document)
    priority = OPENAPI_PRIORITY if answering else GENERATED_PRIORITY
    stubs = []
    for operation in _by_specificity(document.operations()):
        handler = OperationHandler(document, operation, generator, seed=seed, validate=validate)
        stubs.append(_stub(document, operation, handler.default_definition(handler if answering else None), priority))
    return stubs


def _by_specificity(operations: list[Operation]) -> list[Operation]:
    return sorted(operations, key=lambda op: -len(_TEMPLATE_VARIABLE.findall(op.path)))


def _stub(document: OpenApiDocument, operation: Operation, response: ResponseDefinition, priority: int) -> Stub:
    path = operation.path
    url = UrlMatch("urlPathTemplate", path) if _TEMPLATE_VARIABLE.search(path) else UrlMatch("urlPath", path)
    # stable across runs and machines (not the absolute path), so generated files keep their ids
    key = f"mockpit:openapi:{priority}:{Path(document.source).name}:{document.title}:{operation.method} {path}"
    metadata: dict[str, Any] = {"document": document.source, "method": operation.method, "path": path}
    if operation.operation_id:
        metadata["operationId"] = operation.operation_id
    return Stub(
        request=_RequestPattern(method=operation.method, url=url),
        response=response,
        id=str(uuid.uuid5(_NAMESPACE, key)),
        name=operation.label,
        priority=priority,
        metadata={"openapi": metadata},
    )
