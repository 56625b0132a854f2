"""Finding and reading mapping files: WireMock's root layout, a folder of mappings, or one file.

A file whose top level has an ``openapi`` or ``swagger`` key is an OpenAPI document: it is served as
one stub per operation (see ``_openapi.py``), with ``seed`` and ``validate`` passed on.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._errors import MappingError
from ._mapping_format import stubs_from_document
from ._model import Stub
from ._rendering import RenderError, resolve_body_file

MAPPING_SUFFIXES = (".json", ".yaml", ".yml")


@dataclass
class LoadedSource:
    """Stubs read from one PATH, and the ``__files`` folder their ``bodyFileName``\\s are under."""

    path: Path
    files_root: Path
    stubs: list[Stub] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    #: the file each stub came from, parallel to ``stubs``
    origins: list[Path] = field(default_factory=list)


def load_sources(
    paths: Iterable[str | os.PathLike[str]], *, seed: int = 0, validate: bool = True
) -> list[LoadedSource]:
    """Read every mapping under ``paths``. Raises :class:`MappingError` naming the file and field.

    ``seed`` and ``validate`` are for the OpenAPI documents among them.
    """
    sources = [load_source(Path(p), seed=seed, validate=validate) for p in paths]
    seen: dict[str, Path] = {}
    for source in sources:
        for stub, file in _stub_files(source):
            if stub.id in seen:
                raise MappingError(
                    f"stub id {stub.id} is also used in {seen[stub.id]}; ids must be unique",
                    source=str(file),
                    field="id",
                )
            seen[stub.id] = file
    return sources


def _stub_files(source: LoadedSource) -> Iterable[tuple[Stub, Path]]:
    return zip(source.stubs, source.origins, strict=True)


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
    source = LoadedSource(path=path, files_root=files_root, files=files)
    for file in files:
        document = read_document(file)
        if _is_openapi(document):
            from ._openapi import openapi_stubs  # only then: its modules cost start-up time

            openapi = openapi_stubs(file, contents=document, seed=seed, validate=validate)
            source.stubs.extend(openapi)
            source.origins.extend([file] * len(openapi))
            continue
        stubs = stubs_from_document(document, source=str(file))
        listed = isinstance(document, Mapping) and "mappings" in document
        for i, stub in enumerate(stubs):
            _check_body_file(stub, files_root, file, ("mappings", i) if listed else ())
        source.stubs.extend(stubs)
        source.origins.extend([file] * len(stubs))
    return source


def load_openapi_source(path: Path, *, seed: int = 0, validate: bool = True) -> LoadedSource:
    """An OpenAPI document's stubs as a source (``MockServer(openapi=...)``); any other file is an error."""
    if not path.is_file():
        raise MappingError(f"{path} is not a file; give the path of an OpenAPI document (JSON or YAML)")
    document = read_document(path)
    if not _is_openapi(document):
        raise MappingError(
            "this is not an OpenAPI document: it has no top-level 'openapi' or 'swagger' key", source=str(path)
        )
    from ._openapi import openapi_stubs

    stubs = openapi_stubs(path, contents=document, seed=seed, validate=validate)
    return LoadedSource(path, path.parent / "__files", stubs, [path], [path] * len(stubs))


def _is_openapi(document: Any) -> bool:
    """The same test as ``_openapi_document.is_openapi``, without importing that module for every file."""
    return isinstance(document, Mapping) and ("openapi" in document or "swagger" in document)


def _check_body_file(stub: Stub, files_root: Path, file: Path, prefix: tuple[str | int, ...]) -> None:
    """A missing or escaping ``bodyFileName`` is an error of the mapping file: say which file."""
    name = stub.response.body_file_name
    if name is None or stub.response.handler is not None:
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


def read_document(file: Path) -> Any:
    """A JSON or YAML file's content, with a message naming the line on a syntax error."""
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise MappingError(f"cannot read the file: {exc}", source=str(file)) from None
    if not text.strip():
        raise MappingError('the file is empty; a mapping file holds one stub or {"mappings": [...]}', source=str(file))
    if file.suffix.lower() == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise MappingError(
                f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}", source=str(file)
            ) from None
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise MappingError(f"invalid YAML{where}: {problem}", source=str(file)) from None
