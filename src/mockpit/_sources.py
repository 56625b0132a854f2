"""Mapping files on disk: finding and reading them (WireMock's root layout, a folder of mappings, or
one file), and writing stubs back (:class:`MappingFiles`, for ``/__admin/mappings/save`` and
``persistent`` stubs).

A file whose top level has an ``openapi`` or ``swagger`` key is an OpenAPI document: it is served as
one stub per operation (see ``_openapi/stubs.py``), with ``seed`` and ``validate`` passed on.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import threading
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._engine.rendering import RenderError, resolve_body_file
from ._errors import MappingError, ServerError
from ._mapping.read import stub_to_mapping, stubs_from_document
from ._model import Stub

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
    #: the folder the mapping files were found in (``None`` when PATH is one file)
    mappings_folder: Path | None = None


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
        folder = None
    source = LoadedSource(path=path, files_root=files_root, files=files, mappings_folder=folder)
    for file in files:
        document = read_document(file)
        if _is_openapi(document):
            from ._openapi.stubs import openapi_stubs  # only then: its modules cost start-up time

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
    from ._openapi.stubs import openapi_stubs

    stubs = openapi_stubs(path, contents=document, seed=seed, validate=validate)
    return LoadedSource(path, path.parent / "__files", stubs, [path], [path] * len(stubs))


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


# --- writing --------------------------------------------------------------------------------------


class MappingFiles:
    """Where stubs are saved, and which file holds which stub as it is on disk.

    New stubs get one file each in ``folder``, named as WireMock names them (``get-users-<id>.json``,
    or the stub's name); a stub loaded from a file is written back to that file, with the other stubs
    the file holds. Every write is atomic (a temporary file in the same folder, then ``os.replace``),
    so a crash or a reader at the wrong moment never sees half a mapping. ``folder`` is ``None`` when
    the server has no mappings folder: then nothing can be saved.
    """

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        # file -> the stubs it holds, in order, as they are in the file
        self._files: dict[Path, list[Stub]] = {}
        # stub id -> the file that holds it
        self._where: dict[str, Path] = {}
        # the admin API (server thread) and MockServer.save_mappings() (test thread) may save at once
        self._lock = threading.Lock()

    def track(self, sources: Iterable[LoadedSource]) -> None:
        """Remember the files these stubs were loaded from: saving leaves them alone until a stub changes."""
        with self._lock:
            for source in sources:
                for stub, file in _stub_files(source):
                    self._files.setdefault(file, []).append(stub)
                    self._where[stub.id] = file

    def is_saved(self, stub: Stub) -> bool:
        """Whether ``stub``, exactly as it is, is in a file."""
        with self._lock:
            file = self._where.get(stub.id)
            return file is not None and any(held is stub for held in self._files[file])

    def save(self, stubs: Iterable[Stub]) -> list[Path]:
        """Write every stub that is not in a file as it is now; returns the files written.

        Raises :class:`OSError` if a file cannot be written (the files written before it stay written).
        """
        with self._lock:
            folder = self._require_folder()
            plan: dict[Path, list[Stub]] = {}
            for stub in stubs:
                file = self._where.get(stub.id)
                if file is None:
                    file = self._new_file(folder, stub, plan)
                    plan[file] = [stub]
                    continue
                held = plan.get(file) or list(self._files[file])
                position = next(i for i, s in enumerate(held) if s.id == stub.id)
                if held[position] is not stub:
                    held[position] = stub
                    plan[file] = held
            return [self._write(file, held) for file, held in plan.items()]

    def remove(self, stub_id: str) -> Path | None:
        """Take the stub out of its file (deleting the file if it held only that stub); returns the file."""
        with self._lock:
            file = self._where.get(stub_id)
            if file is None:
                return None
            held = [stub for stub in self._files[file] if stub.id != stub_id]
            if held:
                self._write(file, held)
            else:
                file.unlink(missing_ok=True)
                del self._files[file]
            self._where.pop(stub_id, None)
            return file

    def _require_folder(self) -> Path:
        if self.folder is None:
            raise NoMappingsFolder(
                "mockpit has no mappings folder to save to; start it with `mockpit serve DIR` "
                "(DIR holding mappings/) or MockServer(root=DIR)"
            )
        return self.folder

    def _new_file(self, folder: Path, stub: Stub, plan: Mapping[Path, Any]) -> Path:
        base = safe_file_name(stub)
        file = folder / f"{base}.json"
        n = 1
        # ids are what users give them: two may differ only in characters a file name cannot hold
        while file in self._files or file in plan or file.exists():
            n += 1
            file = folder / f"{base}-{n}.json"
        return file

    def _write(self, file: Path, held: list[Stub]) -> Path:
        target = file
        if file.suffix.lower() != ".json":
            # a YAML file is written back as JSON beside it: mockpit writes one format, and JSON loads anywhere
            target = file.with_suffix(".json")
            if target.exists() and target not in self._files:
                target = file.with_name(f"{file.stem}-{held[0].id}.json")
        mappings = [stub_to_mapping(stub) for stub in held]
        document: Any = mappings[0] if len(mappings) == 1 else {"mappings": mappings}
        write_atomically(target, json.dumps(document, ensure_ascii=False, indent=2) + "\n")
        if target != file:
            file.unlink(missing_ok=True)
            self._files.pop(file, None)
        self._files[target] = held
        for stub in held:
            self._where[stub.id] = target
        return target


class NoMappingsFolder(ServerError):
    """The server was started without a mappings folder, so stubs cannot be saved."""


_NOT_NAME_CHARACTERS = re.compile(r"[^\w-]")


def safe_file_name(stub: Stub) -> str:
    """WireMock's file name for a stub, without the extension: its name or URL as a slug, then its id."""
    label = stub.name or (stub.request.url.value or "").split("?", 1)[0].replace("/", "_")
    slug = _slug(label) or "mapping"
    return f"{slug[:200]}-{_slug(stub.id) or 'stub'}"


def _slug(text: str) -> str:
    text = unicodedata.normalize("NFKD", re.sub(r"\s", "-", text))
    return _NOT_NAME_CHARACTERS.sub("", text.encode("ascii", "ignore").decode("ascii")).strip("_").lower()


def write_atomically(file: Path, text: str | bytes) -> None:
    """Write ``text`` (or bytes, written as they are) to ``file`` so that the file is at all times either the
    old one or the whole new one."""
    file.parent.mkdir(parents=True, exist_ok=True)
    # the temporary file is in the same folder: os.replace is atomic only within one file system; its
    # .tmp suffix keeps a loader from reading it as a mapping should the process die before the rename
    fd, temporary = tempfile.mkstemp(dir=file.parent, prefix=f".{file.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(text.encode("utf-8") if isinstance(text, str) else text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o644)  # mkstemp makes it 0600; a mapping file is no secret
        os.replace(temporary, file)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
