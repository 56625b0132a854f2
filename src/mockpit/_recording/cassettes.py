"""Cassettes: the pytest plugin's record and playback, everything but the server it runs.

A test marked ``@pytest.mark.mockpit_record(cassette, target=...)`` has a cassette: a folder of mapping
files. This module decides where that folder is, whether the test records or replays it (the
``--mockpit-record`` mode and whether the folder exists), what the recording keeps (its
:class:`RecordSpec`), and what the test hears when it cannot do either; and it swaps a finished recording
in. The plugin builds the :class:`MockServer` that serves or records the cassette: the server is a layer
above this one.

Imported whenever pytest loads the plugin, so it imports only the standard library at first; the
record spec and pytest's types are loaded on use.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import pytest

    from .spec import RecordSpec

#: the values of ``--mockpit-record``
RECORD_MODES = ("none", "new", "all")
#: what ``@pytest.mark.mockpit_record`` takes, as its help and its errors show it
MARKER_SIGNATURE = "(cassette=None, *, target=None, keep_secrets=False, repeats_as_scenarios=True)"
#: the recording proxy answers what no stub of the test's own answers (lower numbers win; the default is 5)
PROXY_PRIORITY = 1000


class CassetteError(Exception):
    """Why a test cannot have its cassette; the plugin fails the test with the message alone."""


@dataclass(frozen=True)
class RecordOptions:
    """The arguments of ``@pytest.mark.mockpit_record``, checked."""

    cassette: str | None
    target: str | None
    keep_secrets: bool
    repeats_as_scenarios: bool


def _record_options(
    cassette: str | os.PathLike[str] | None = None,
    *,
    target: str | None = None,
    keep_secrets: bool = False,
    # a test that reads, changes, then reads again must see the change on replay too, as it did live
    repeats_as_scenarios: bool = True,
) -> RecordOptions:
    if target is not None:
        parts = urlsplit(target) if isinstance(target, str) else None
        if parts is None or parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ValueError(
                f"target must be an http:// or https:// URL such as https://api.example.com, got {target!r}"
            )
    return RecordOptions(None if cassette is None else os.fspath(cassette), target, keep_secrets, repeats_as_scenarios)


def record_options(*args: Any, **kwargs: Any) -> RecordOptions:
    """The marker's arguments as options; :class:`CassetteError` saying what is wrong and what it takes."""
    try:
        return _record_options(*args, **kwargs)
    except (TypeError, ValueError) as exc:
        detail = str(exc).replace(f"{_record_options.__name__}() ", "")
        raise CassetteError(f"@pytest.mark.mockpit_record: {detail}; it takes {MARKER_SIGNATURE}") from None


def cassette_path(item: pytest.Item, name: str | None) -> Path:
    """Where the cassette of test ``item`` is: ``name`` from the ``mockpit_cassette_dir`` ini option (or
    the rootdir), or without a name ``cassettes/<module>/<test>`` there (or beside the test file)."""
    config = item.config
    setting = str(config.getini("mockpit_cassette_dir"))
    base = (config.inipath.parent if config.inipath else config.rootpath) / setting if setting else None
    if name is None:
        test = re.sub(r"[^\w.-]+", "_", item.name).strip("_")
        return (base or item.path.parent / "cassettes") / item.path.stem / test
    path = Path(name)
    return path if path.is_absolute() else (base or config.rootpath) / path


@dataclass
class Cassette:
    """A test's cassette: where it is, and whether this run records it or replays it."""

    path: Path
    recording: bool
    options: RecordOptions
    #: set once the test body has run: only a passed test's recording is kept
    passed: bool = False

    @classmethod
    def for_test(cls, item: pytest.Item, mode: str) -> Cassette:
        """The cassette of ``item`` under ``--mockpit-record=mode``; :class:`CassetteError` if it has none.

        It records when the mode is ``all`` or the folder does not exist; that needs a ``target``, and
        a mode other than ``none``.
        """
        marker = item.get_closest_marker("mockpit_record")
        options = record_options(*marker.args, **marker.kwargs) if marker else record_options()
        path = cassette_path(item, options.cassette)
        recording = mode == "all" or not path.is_dir()
        if recording and mode == "none":
            raise CassetteError(
                f"mockpit: the cassette {path} does not exist and --mockpit-record=none only replays; record it "
                "with --mockpit-record=new (the default) and a target= in @pytest.mark.mockpit_record"
            )
        if recording and options.target is None:
            raise CassetteError(
                f"mockpit: the cassette {path} does not exist yet, and there is nothing to record it from: give the "
                'real API in @pytest.mark.mockpit_record(..., target="https://api.example.com")'
            )
        return cls(path, recording, options)

    @property
    def target(self) -> str:
        """The API a recording forwards to (:meth:`for_test` made sure a recording has one)."""
        return str(self.options.target)

    def spec(self) -> RecordSpec:
        """What the recording keeps. It has no target: it records what the plugin's proxy stub answers,
        so that the test's own stubs still win."""
        from .spec import RecordSpec

        return RecordSpec(
            keep_secrets=self.options.keep_secrets, repeats_as_scenarios=self.options.repeats_as_scenarios
        )

    def cannot_replay(self, error: Exception) -> str:
        """What the test hears when the cassette's mapping files cannot be loaded."""
        return f"mockpit: the cassette {self.path} cannot be replayed: {error}"

    def failure_note(self) -> str:
        """The report section of a failed test: what became of its recording, or what was replayed."""
        if self.recording:
            before = "the one recorded before stays" if self.path.is_dir() else "the next run records again"
            return f"The test failed, so its recording was not saved to {self.path}; {before}."
        return (
            f"Replayed the cassette {self.path} (no network). If the code now sends requests the "
            "cassette does not hold, record it again: pytest --mockpit-record=all"
        )

    @contextmanager
    def recording_folder(self) -> Iterator[Path]:
        """A fresh folder to record into, swapped in for the cassette at the end if the test passed.

        Recorded into a folder beside the cassette, then swapped in: a run that dies half way never
        leaves half a cassette, and re-recording (``--mockpit-record=all``) replaces the old one whole.
        """
        path = self.path
        path.parent.mkdir(parents=True, exist_ok=True)
        fresh = path.with_name(f".{path.name}.recording-{uuid.uuid4().hex[:8]}")
        try:
            yield fresh
            if self.passed:
                _swap_in(fresh, path)
        finally:
            shutil.rmtree(fresh, ignore_errors=True)


def _swap_in(fresh: Path, path: Path) -> None:
    (fresh / "mappings").mkdir(parents=True, exist_ok=True)  # a test that sent nothing still has its cassette
    if path.exists():
        old = path.with_name(f".{path.name}.old-{uuid.uuid4().hex[:8]}")
        path.rename(old)
        fresh.rename(path)
        shutil.rmtree(old, ignore_errors=True)
    else:
        fresh.rename(path)
