"""Mapping files on disk: reading one (JSON or YAML), and writing stubs back (:class:`MappingFiles`, for
``/__admin/mappings/save`` and ``persistent`` stubs), atomically and with names a file system can hold.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import threading
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mockpit._errors import MappingError, ServerError
from mockpit._json import TooBig, TooDeep, check_size, loads
from mockpit._model import MessageStub, Stub

from .write import stub_to_mapping


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
    #: WebSocket stubs (message mappings), from ``message-mappings/`` or files holding them
    message_stubs: list[MessageStub] = field(default_factory=list)

    def stub_files(self) -> Iterable[tuple[Stub, Path]]:
        """Each stub with the file it came from."""
        return zip(self.stubs, self.origins, strict=True)


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
            return loads(text)
        except json.JSONDecodeError as exc:
            raise MappingError(
                f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}", source=str(file)
            ) from None
        except TooDeep as exc:
            raise MappingError(f"invalid JSON: {exc}", source=str(file)) from None
    import yaml

    try:
        value = yaml.safe_load(text)
    except RecursionError:
        raise MappingError(f"invalid YAML: {TooDeep('the document')}", source=str(file)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise MappingError(f"invalid YAML{where}: {problem}", source=str(file)) from None
    try:
        check_size(value, "the document")
    except (TooDeep, TooBig) as exc:
        raise MappingError(f"invalid YAML: {exc}", source=str(file)) from None
    return value


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
        #: told the files each save wrote (the CLI says where they went when it happens, not at start)
        self.save_listeners: list[Callable[[list[Path]], None]] = []

    def track(self, sources: Iterable[LoadedSource]) -> None:
        """Remember the files these stubs were loaded from: saving leaves them alone until a stub changes."""
        with self._lock:
            for source in sources:
                for stub, file in source.stub_files():
                    self._files.setdefault(file, []).append(stub)
                    self._where[stub.id] = file

    def retrack(self, sources: Iterable[LoadedSource]) -> None:
        """Forget the files tracked so far and track these (the files were read again)."""
        with self._lock:
            self._files.clear()
            self._where.clear()
        self.track(sources)

    def is_saved(self, stub: Stub) -> bool:
        """Whether ``stub``, exactly as it is, is in a file."""
        with self._lock:
            file = self._where.get(stub.id)
            return file is not None and any(held is stub for held in self._files[file])

    def file_of(self, stub: Stub) -> Path | None:
        """The file ``stub``, exactly as it is, was loaded from or saved to (None: it is in none)."""
        with self._lock:
            file = self._where.get(stub.id)
            return file if file is not None and any(held is stub for held in self._files[file]) else None

    def save(self, stubs: Iterable[Stub]) -> list[Path]:
        """Write every stub that is not in a file as it is now; returns the files written.

        A stub not in a file known here whose own file name holds that stub alone (written by another
        instance of a fleet sharing the folder, or by an earlier run) is written over, not beside. Raises
        :class:`OSError` if a file cannot be written (the files written before it stay written).
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
            written = [self._write(file, held) for file, held in plan.items()]
        for listener in self.save_listeners:
            listener(written)
        return written

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
        if file not in self._files and file not in plan and _holds_only(file, stub.id):
            return file
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


#: the longest slug of a stub's name or URL in its file name; with the id, ".json" and the temporary
#: file's affixes, the name stays far below the 255 bytes file systems allow
_NAME_SLUG = 80
_ID_SLUG = 64


def _holds_only(file: Path, stub_id: str) -> bool:
    """Whether ``file`` is one stub's mapping, the one with ``stub_id``."""
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(document, dict) and document.get("id") == stub_id


def safe_file_name(stub: Stub) -> str:
    """WireMock's file name for a stub, without the extension: its name or URL as a slug, then its id.

    A name or URL too long for a file name is cut; an id too long (or with nothing a file name can
    hold) is replaced by a hash of itself, so that the name stays unique and the same at every save.
    """
    label = stub.name or (stub.request.url.value or "").split("?", 1)[0].replace("/", "_")
    slug = _slug(label)[:_NAME_SLUG].strip("-_") or "mapping"
    ident = _slug(stub.id)
    if not ident or len(ident) > _ID_SLUG:
        ident = hashlib.sha256(stub.id.encode("utf-8")).hexdigest()[:16]
    return f"{slug}-{ident}"


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
