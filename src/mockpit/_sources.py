"""What PATHs hold, loaded: WireMock's root layout (``mappings/`` and ``__files/``), a folder of mapping
files, one mapping file, or an OpenAPI document. Reading and writing the files themselves is
``_mapping/files.py``'s.

A file whose top level has an ``openapi`` or ``swagger`` key is an OpenAPI document: it is served as
one stub per operation (see ``_openapi/stubs.py``), with ``seed`` and ``validate`` passed on. A file
named ``*.graphql`` (``.graphqls``, ``.gql``) given as a PATH is a GraphQL schema, served on ``/graphql``
(see ``_graphql/stubs.py``) with ``seed``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ._engine.rendering import RenderError, resolve_body_file
from ._errors import MappingError, MappingErrors, collected
from ._graphql.schema import GRAPHQL_SUFFIXES  # the module imports graphql-core only when a schema loads
from ._mapping.files import LoadedSource, read_document
from ._mapping.read import stubs_from_document
from ._model import Stub

MAPPING_SUFFIXES = (".json", ".yaml", ".yml")


def load_sources(
    paths: Iterable[str | os.PathLike[str]], *, seed: int = 0, validate: bool = True
) -> list[LoadedSource]:
    """Read every mapping under ``paths``. Raises :class:`MappingError` naming the file and field.

    ``seed`` and ``validate`` are for the OpenAPI documents among them.
    """
    sources: list[LoadedSource] = []
    errors: list[MappingError] = []
    for path in paths:  # every broken file is reported, not only the first
        try:
            sources.append(load_source(Path(path), seed=seed, validate=validate))
        except MappingErrors as exc:
            errors.extend(exc.errors)
        except MappingError as exc:
            errors.append(exc)
    if errors:
        raise collected(errors)
    seen: dict[str, Path] = {}
    for source in sources:
        for stub, file in source.stub_files():
            if stub.id in seen:
                raise MappingError(
                    f"stub id {stub.id} is also used in {seen[stub.id]}; ids must be unique",
                    source=str(file),
                    field="id",
                )
            seen[stub.id] = file
    return sources


def load_source(path: Path, *, seed: int = 0, validate: bool = True) -> LoadedSource:
    """One PATH: a root holding ``mappings/`` (and ``__files/``), a folder of mapping files, or a file."""
    if not path.exists():
        raise MappingError(f"{path} does not exist; give a folder holding mappings/ or a mapping file")
    if path.is_dir():
        if (path / "mappings").is_dir():
            folder, files_root = path / "mappings", path / "__files"
        else:
            folder = path
            files_root = (path.parent if path.name == "mappings" else path) / "__files"
        # a folder of mappings may hold its __files/ too: the JSON bodies in there are not mappings
        files = sorted(
            p
            for p in folder.rglob("*")
            if p.suffix.lower() in MAPPING_SUFFIXES and not p.is_relative_to(files_root) and p.is_file()
        )
    else:
        parent = path.parent
        files_root = (parent.parent if parent.name == "mappings" else parent) / "__files"
        files = [path]
        folder = None
    messages = path / "message-mappings"
    if folder is not None and folder != path and messages.is_dir():  # WireMock 4's WebSocket stubs, beside mappings/
        files += sorted(p for p in messages.rglob("*") if p.suffix.lower() in MAPPING_SUFFIXES and p.is_file())
    source = LoadedSource(path=path, files_root=files_root, files=files, mappings_folder=folder)
    errors: list[MappingError] = []
    for file in files:
        try:
            _load_file(source, file, seed=seed, validate=validate)
        except MappingError as exc:
            errors.append(exc)
    if errors:
        raise collected(errors)
    return source


def _load_file(source: LoadedSource, file: Path, *, seed: int, validate: bool) -> None:
    """The stubs of one mapping file (or OpenAPI document, or GraphQL schema), added to ``source``."""
    if file.suffix.lower() in GRAPHQL_SUFFIXES:
        from ._graphql.stubs import graphql_stubs  # only then: graphql-core is an extra

        graphql = graphql_stubs(file, seed=seed)
        source.stubs.extend(graphql)
        source.origins.extend([file] * len(graphql))
        return
    document = read_document(file)
    if _is_openapi(document):
        from ._openapi.stubs import openapi_stubs  # only then: its modules cost start-up time

        openapi = openapi_stubs(file, contents=document, seed=seed, validate=validate)
        source.stubs.extend(openapi)
        source.origins.extend([file] * len(openapi))
        return
    if _is_message_mapping(document):
        from ._mapping.messages import message_stubs_from_document

        source.message_stubs.extend(message_stubs_from_document(document, source=str(file)))
        return
    stubs = stubs_from_document(document, source=str(file))
    listed = isinstance(document, Mapping) and "mappings" in document
    for i, stub in enumerate(stubs):
        _check_body_file(stub, source.files_root, file, ("mappings", i) if listed else ())
    source.stubs.extend(stubs)
    source.origins.extend([file] * len(stubs))


def load_openapi_source(path: Path, *, seed: int = 0, validate: bool = True) -> LoadedSource:
    """An OpenAPI document's stubs as a source (``MockServer(openapi=...)``); any other file is an error."""
    if not path.is_file():
        raise MappingError(f"{path} is not a file; give the path of an OpenAPI document (JSON or YAML)")
    document = read_document(path)
    if not _is_openapi(document):
        raise MappingError(
            "this is not an OpenAPI document: it has no top-level 'openapi' or 'swagger' key", source=str(path)
        )
    from ._openapi.stubs import openapi_stubs

    stubs = openapi_stubs(path, contents=document, seed=seed, validate=validate)
    return LoadedSource(path, path.parent / "__files", stubs, [path], [path] * len(stubs))


def _is_message_mapping(document: Any) -> bool:
    """A WebSocket stub (WireMock 4's message mapping, with a ``trigger``) or a list of them."""
    return isinstance(document, Mapping) and (
        "messageMappings" in document or ("trigger" in document and "request" not in document)
    )


def _is_openapi(document: Any) -> bool:
    """The same test as ``_openapi.document.is_openapi``, without importing that module for every file."""
    return isinstance(document, Mapping) and ("openapi" in document or "swagger" in document)


def _check_body_file(stub: Stub, files_root: Path, file: Path, prefix: tuple[str | int, ...]) -> None:
    """A missing or escaping ``bodyFileName`` is an error of the mapping file: say which file."""
    name = stub.response.body_file_name
    if name is None or stub.response.handler is not None or "{{" in name:  # a template names its file per request
        return
    field_name = (*prefix, "response", "bodyFileName")
    try:
        path = resolve_body_file(files_root, name)
    except RenderError as exc:
        raise MappingError(str(exc), source=str(file), field=field_name) from None
    if not path.is_file():
        raise MappingError(
            f"{name!r} does not exist under {files_root}; create it or fix the name", source=str(file), field=field_name
        )
