"""Recording on a running server (WireMock's ``/__admin/recordings``): start, stop, status, snapshot.

``start`` adds a catch-all proxy stub to the target and wraps each proxied response's stream, so that
the whole body is kept (the journal keeps only its first MiB) and the exchange is complete when the
client has had the last byte; ``stop`` removes the proxy stub and adds the recorded stubs to the
server; ``snapshot`` turns the journal into stubs.

Incremental writing and dedupe agree because both are the collector's state: after each completed
exchange the collector says which stubs it created or changed (a new stub; or, with
``repeatsAsScenarios``, the new step of a scenario and the step before it, whose ``newScenarioState``
now points at it), and only those files are (re)written, on one writer thread, in order. Stub ids are
derived from the request (and its place in a scenario), so a rewrite replaces the same file. What is
on disk is therefore at every moment the stubs of the exchanges completed so far; ``stop`` makes one
last pass that writes whatever is not on disk as it should be (nothing, unless a write failed), so a
SIGKILL loses at most the exchange in flight and a clean stop leaves the same files a one-shot
:func:`write_recording` would.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from mockpit._engine.engine import Engine
from mockpit._errors import ServerError
from mockpit._mapping.files import LoadedSource, MappingFiles
from mockpit._model import RequestPattern, ResponseDefinition, Stub

from .collector import RecordedStub, StubCollector, stubs_from_exchanges
from .exchange import Exchange, exchange_from_event, exchange_with_body, header, request_of
from .spec import RecordSpec
from .writer import RecordingWriter

if TYPE_CHECKING:
    from mockpit._engine.journal import ServeEvent

RecordingStatus = Literal["NeverStarted", "Recording", "Stopped"]


class RecordingError(ServerError):
    """A recording was started twice, stopped when none runs, or cannot be saved anywhere."""


#: called on the writer thread after each recorded exchange: the exchange and the files written for it
#: (none for a repeat, or when the recording is not persisted)
ExchangeListener = Callable[[Exchange, list[Path]], None]


class RecordingShare(Protocol):
    """A recording shared by a fleet (:mod:`mockpit._recording.shared`): what the recorder tells it."""

    def started(self, spec: RecordSpec, proxy_id: str | None) -> None:
        """This instance started a recording: every instance records from now on."""

    def captured(self, exchange: Exchange) -> None:
        """An exchange this instance recorded (on the recorder's writer thread)."""

    def stopping(self, spec: RecordSpec) -> list[Exchange] | None:
        """This instance stops the fleet's recording: every exchange any instance recorded, in the order
        they were asked (``None`` when the store is lost: this instance's own are all there is)."""

    def proxy_id(self) -> str | None:
        """The recording's proxy stub, which the instance that started it added."""

    def spec(self) -> RecordSpec | None:
        """The recording's spec as the instance that started it has it (``None`` if the store is lost);
        :class:`RecordingError` if this instance lacks a transformer it names."""

    def stopped(self) -> None:
        """The recorded stubs are installed: the recording is over for every instance."""


class Recorder:
    """Records the exchanges of a running server into stubs (WireMock's ``/__admin/recordings``).

    ``mapping_files`` is where persisted recordings go (its folder, and the engine's ``__files`` root);
    recordings that persist are written as each exchange completes.
    """

    def __init__(self, engine: Engine, mapping_files: MappingFiles | None = None) -> None:
        self.engine = engine
        self.mapping_files = mapping_files or MappingFiles(None)
        self.listeners: list[ExchangeListener] = []
        #: called with the recorded stubs once a recording has stopped (by :meth:`stop`, from any thread)
        self.stop_listeners: list[Callable[[list[RecordedStub]], None]] = []
        self._status: RecordingStatus = "NeverStarted"
        self._spec: RecordSpec | None = None
        self._collector: StubCollector | None = None
        self._writer: RecordingWriter | None = None
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._proxy_id: str | None = None
        self._lock = threading.Lock()
        #: the fleet's share of the recordings, when the server is one of a fleet's instances
        self.share: RecordingShare | None = None

    @property
    def status(self) -> RecordingStatus:
        return self._status

    @property
    def spec(self) -> RecordSpec | None:
        """The spec of the recording running (or of the last one)."""
        return self._spec

    def folders(self) -> tuple[Path, Path] | None:
        """Where persisted stubs go: (mappings folder, files folder), or None without a mappings folder."""
        folder = self.mapping_files.folder
        if folder is None:
            return None
        files = self.engine.files_root or (folder.parent if folder.name == "mappings" else folder) / "__files"
        return folder, files

    def _writer_for(self, spec: RecordSpec) -> RecordingWriter | None:
        if not spec.persist:
            return None
        folders = self.folders()
        if folders is None:
            raise RecordingError(
                "this server has no mappings folder to save the recorded stubs to; start it with "
                '`mockpit serve DIR` or MockServer(root=DIR), or pass "persist": false to only add them to it'
            )
        return RecordingWriter(*folders)

    def start(self, spec: RecordSpec) -> None:
        """Start recording: with a ``target``, every request is proxied there (a catch-all proxy stub)."""
        with self._lock:
            if self._status == "Recording":
                raise RecordingError(
                    "a recording is already running; stop it (POST /__admin/recordings/stop) before starting another"
                )
            writer = self._writer_for(spec)
            self._spec = spec
            self._collector = StubCollector(spec)
            self._writer = writer
            self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="mockpit-recorder")
            if spec.target is not None:
                proxy = Stub(
                    request=RequestPattern(method="ANY"),
                    response=ResponseDefinition(proxy_base_url=spec.target),
                    metadata={"mockpit": {"recordingProxy": True}},
                )
                # initial: a reset while recording (the pytest plugin resets before each test) keeps it
                self.engine.add_stubs([proxy], initial=True)
                self._proxy_id = proxy.id
            self.engine.listeners.append(self._on_event)
            self._status = "Recording"
        if self.share is not None:
            self.share.started(spec, self._proxy_id)

    def follow(self, spec: RecordSpec, proxy_id: str | None) -> None:
        """Record for a recording another instance of the fleet started: exchanges go to the fleet only.

        Its proxy stub comes through the fleet; it is kept on a reset here too, as where it was added.
        """
        with self._lock:
            if self._status == "Recording":
                return
            self._spec = spec
            self._collector = self._writer = None
            self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="mockpit-recorder")
            if proxy_id is not None:
                self.engine.keep_on_reset([proxy_id])
            self.engine.listeners.append(self._on_event)
            self._status = "Recording"

    def unfollow(self, proxy_id: str | None) -> None:
        """Another instance stops the fleet's recording: stop recording here, once every exchange recorded
        here is with the fleet. Whatever this instance collected itself is left to the one that stops."""
        with self._lock:
            if self._status != "Recording":
                return
            self._status = "Stopped"
            with contextlib.suppress(ValueError):
                self.engine.listeners.remove(self._on_event)
            if proxy_id is not None:
                self.engine.drop_on_reset([proxy_id])
            pool = self._pool
            self._collector = self._writer = self._pool = None
            self._proxy_id = None
        if pool is not None:
            pool.shutdown(wait=True)

    def stop(self) -> list[RecordedStub]:
        """Stop recording: the proxy stub goes, the recorded stubs are added (and saved if ``persist``).

        Blocks until the files of every completed exchange are written. Exchanges still in flight are
        not recorded.
        """
        share = self.share
        with self._lock:
            if self._status != "Recording":
                raise RecordingError("no recording is running; start one with POST /__admin/recordings/start")
            spec = self._spec
            if share is not None and spec is not None:
                if self._collector is None:  # recording for another instance: the spec whole, transformers too
                    spec = self._spec = share.spec() or spec
                # the files go where this instance keeps its stubs: refused before anything stops
                writer = self._writer if self._writer is not None else self._writer_for(spec)
                proxy_id = self._proxy_id or share.proxy_id()
                self._collector, self._writer = self._collector or StubCollector(spec), writer
                self._proxy_id = proxy_id
            self._status = "Stopped"
            with contextlib.suppress(ValueError):
                self.engine.listeners.remove(self._on_event)
            if self._proxy_id is not None:
                self.engine.drop_on_reset([self._proxy_id])
                self.engine.remove_stub(self._proxy_id)
                self._proxy_id = None
            collector, writer, pool = self._collector, self._writer, self._pool
            self._collector = self._writer = self._pool = None
        if collector is None or pool is None:  # start() and stop() set both with the status: never happens
            raise RecordingError("the recording was not started properly; start it again")
        pool.shutdown(wait=True)  # this instance's exchanges are with the fleet now
        exchanges = share.stopping(spec) if share is not None and spec is not None else None
        if exchanges is not None:
            collector = StubCollector(collector.spec)
            for exchange in exchanges:
                collector.add(exchange)
        stubs = collector.stubs()
        if writer is not None:
            writer.write(stubs)  # whatever an incremental write missed (one that failed, say)
        self._install(stubs, writer)
        if share is not None:
            share.stopped()
        for listener in self.stop_listeners:
            listener(stubs)
        return stubs

    def snapshot(self, spec: RecordSpec) -> list[RecordedStub]:
        """Turn the journal's serve events into stubs (only proxied ones unless ``allow_non_proxied``)."""
        writer = self._writer_for(spec)
        ids = set(spec.ids)
        events = [
            event
            for event in self.engine.journal.events()
            if (not ids or event.id in ids) and self._records(event, spec) and event.response.fault is None
        ]
        stubs = stubs_from_exchanges((exchange_from_event(event) for event in events), spec)
        if writer is not None:
            writer.write(stubs)
        self._install(stubs, writer)
        return stubs

    def _records(self, event: ServeEvent, spec: RecordSpec) -> bool:
        if spec.allow_non_proxied:
            return True
        stub = event.stub
        return stub is not None and stub.response.proxy_base_url is not None

    def _install(self, stubs: list[RecordedStub], writer: RecordingWriter | None) -> None:
        """Serve the recorded stubs at once (as WireMock); saved ones survive a reset and are known saved."""
        if not stubs:
            return
        objects = [recorded.stub for recorded in stubs]
        if writer is None:
            self.engine.add_stubs(objects)
            return
        new = [stub for stub in objects if self.engine.get_stub(stub.id) is None]
        self.engine.add_stubs(objects, files_root=writer.files)
        if new:
            files = [writer.where[stub.id] for stub in new]
            self.mapping_files.track([LoadedSource(writer.mappings, writer.files, new, files, files)])
        self.engine.keep_on_reset(stub.id for stub in objects)

    # --- on the server's thread --------------------------------------------------------------------

    def _on_event(self, event: ServeEvent) -> None:
        spec = self._spec
        if spec is None or self._status != "Recording" or not self._records(event, spec):
            return
        response = event.response
        if response.fault is not None:
            return  # the client got a broken connection, not a response: nothing to replay
        stream = response.stream
        if stream is None or event.request.method == "HEAD":
            self._completed(exchange_from_event(event))
            return
        # The stream is wrapped before the transport reads it (listeners run before the response goes
        # out): the exchange is complete once the client has had the last byte, with all of the body.
        response.stream = self._capture(event, stream)

    async def _capture(self, event: ServeEvent, stream: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        chunks: list[bytes] = []
        size = 0
        length = header(event.response.headers, "content-length")
        expected = int(length) if length is not None and length.isdigit() else None
        done = False
        problem: str | None = None
        times: list[tuple[int, float]] = []
        started = time.monotonic()
        try:
            async for chunk in stream:
                chunks.append(chunk)
                size += len(chunk)
                times.append((size, time.monotonic() - started))
                if expected is not None and size >= expected and not done:
                    # Recorded before the last bytes go out: once the client has its whole answer, a stop
                    # must find the exchange recorded (the stream's own end comes a moment later).
                    done = True
                    self._completed(exchange_with_body(event, b"".join(chunks), None, tuple(times)))
                yield chunk
        except (GeneratorExit, asyncio.CancelledError):
            problem = f"the client left after {size} bytes of the body; this is the part it was sent"
            raise
        except BaseException as exc:
            problem = f"the response broke off after {size} bytes ({type(exc).__name__}: {exc})"
            raise
        finally:
            with contextlib.suppress(Exception):
                await _aclose(stream)
            if not done:
                self._completed(exchange_with_body(event, b"".join(chunks), problem, tuple(times)))

    def _completed(self, exchange: Exchange) -> None:
        with self._lock:
            if self._status != "Recording" or self._pool is None:
                return  # completed after the recording stopped: in flight at the stop
            if self.share is not None:
                self._pool.submit(self.share.captured, exchange)
            if self._collector is None:
                return  # recording for another instance of the fleet: it collects
            changed = self._collector.add(exchange)
            if changed is None:
                return
            self._pool.submit(self._write, exchange, changed, self._writer)

    def _write(self, exchange: Exchange, changed: list[RecordedStub], writer: RecordingWriter | None) -> None:
        # on the writer thread: fsync per file must not hold up the server's event loop
        paths: list[Path] = []
        if writer is not None:
            try:
                paths = writer.write(changed)
            except OSError as exc:
                # stop() tries again; meanwhile the test (or `mockpit record`) hears of it
                self.engine.record_error(
                    exc, request_of(exchange), f"mockpit: could not write the recording of this exchange: {exc}"
                )
                return
        for listener in self.listeners:
            try:
                listener(exchange, paths)
            except Exception as exc:  # a printing hook must not stop the recording
                print(f"mockpit: a recording listener raised {exc!r}")


async def _aclose(stream: AsyncIterator[bytes]) -> None:
    aclose = getattr(stream, "aclose", None)
    if aclose is not None:
        await aclose()
