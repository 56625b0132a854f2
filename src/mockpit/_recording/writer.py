"""Recorded stubs on disk: one mapping file each in ``mappings/``, their large or binary bodies in
``__files/``, every file written atomically; ``mockpit serve DIR`` replays them.

The writer remembers what it wrote, so that a recording can hand it the stubs each exchange changed as
the exchange completes, and all of them when it stops: only what differs from the disk is written.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from pathlib import Path

from mockpit._mapping.files import safe_file_name, write_atomically
from mockpit._mapping.write import stub_to_mapping

from .collector import RecordedStub


class RecordingWriter:
    """Writes recorded stubs to a mappings folder and their bodies to a files folder, atomically.

    It remembers what it wrote, so writing a stub again costs nothing unless the stub changed (a
    scenario step that now moves the scenario on); body files, named after their stub, never change.
    """

    def __init__(self, mappings: Path, files: Path) -> None:
        self.mappings = mappings
        self.files = files
        self._written: dict[Path, str] = {}
        self._bodies: set[str] = set()
        #: stub id -> the mapping file that holds it
        self.where: dict[str, Path] = {}
        self._lock = threading.Lock()

    def write(self, stubs: Iterable[RecordedStub]) -> list[Path]:
        """Write what is not yet on disk as it is now; returns the files written. Raises :class:`OSError`."""
        written: list[Path] = []
        with self._lock:
            for recorded in stubs:
                # the body first: a mapping is never on disk before the file it names
                for name, content in recorded.files:
                    if name not in self._bodies:
                        target = self.files / name
                        write_atomically(target, content)
                        self._bodies.add(name)
                        written.append(target)
                file = self.mappings / f"{safe_file_name(recorded.stub)}.json"
                text = json.dumps(stub_to_mapping(recorded.stub), ensure_ascii=False, indent=2) + "\n"
                if self._written.get(file) != text:
                    write_atomically(file, text)
                    self._written[file] = text
                    written.append(file)
                self.where[recorded.stub.id] = file
        return written


def write_recording(stubs: list[RecordedStub], root: Path) -> list[Path]:
    """Write ``stubs`` under ``root``: one mapping file each in ``root/mappings/``, bodies in ``root/__files/``.

    Every file is written atomically (whole or not at all). Returns the files written; ``mockpit serve
    root`` replays them.
    """
    return RecordingWriter(root / "mappings", root / "__files").write(stubs)
