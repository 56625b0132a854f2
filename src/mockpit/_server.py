"""MockServer: mockpit in-process, on a background thread, on a free loopback port."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import os
import signal
import socket
import ssl
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Protocol, Union

from ._admin.access import AdminAccess, bind_warning, check_bind
from ._admin.api import AdminApi
from ._dsl import Matcher, RequestPatternBuilder, StubBuilder, WebSocketStubBuilder, _as_matcher
from ._engine.engine import Engine
from ._engine.journal import Journal, ServeEvent
from ._engine.scenarios import Scenario
from ._errors import HandlerError, MappingError, MockpitError, ServerError, VerificationError, collected
from ._mapping.files import LoadedSource, MappingFiles
from ._mapping.read import pattern_from_mapping, stub_from_mapping
from ._mapping.write import pattern_to_mapping
from ._matching.near_miss import NearMiss
from ._matching.pattern import compile_pattern
from ._model import MessageStub, RequestPattern, Stub, ValuePattern, dump_json
from ._protocols.websocket import Channel, MessageEvent, WebSocketHub
from ._recording.recorder import Recorder
from ._sources import load_openapi_source, load_sources
from ._transport.asgi import DEFAULT_MAX_BODY_SIZE, MockpitApp
from ._transport.limits import ConnectionLimits
from ._types import JSON

if TYPE_CHECKING:
    from ._engine.fleet import Fleet
    from ._llm.mocks import LlmMocks
    from ._store.store import Store
    from ._transport.tls import TlsFiles

#: what ``verify``/``count``/``requests`` take: a builder (``post("/x")``), a model, or WireMock JSON
PatternLike = Union[RequestPatternBuilder, RequestPattern, Mapping[str, Any]]
#: mapping sources: folders and files, or stub mappings as dicts
_Source = Union[str, "os.PathLike[str]", Mapping[str, Any]]
MappingsLike = Union[_Source, Sequence[_Source]]
#: OpenAPI documents: file paths, or documents as dicts
OpenApiLike = Union[_Source, Sequence[_Source]]

_START_TIMEOUT = 10.0
_STOP_TIMEOUT = 30.0


def parse_port(port: int | str) -> int:
    """A TCP port from an int or a string of digits (``"8080"``); 0 means pick a free one."""
    if isinstance(port, bool) or not isinstance(port, (int, str)):
        raise ValueError(f"port must be a number from 0 to 65535, got {port!r}")
    try:
        number = int(port)
    except ValueError:
        raise ValueError(f"port must be a number from 0 to 65535, got {port!r}") from None
    if not 0 <= number <= 65535:
        raise ValueError(f"port must be a number from 0 to 65535, got {port!r}")
    return number


class MockServer:
    """An HTTP mock server on a background thread.

    ::

        with MockServer() as server:
            server.when(get("/users/1")).respond(json={"id": 1})
            httpx.get(server.url_for("/users/1")).json()   # {"id": 1}
            server.verify(get("/users/1"), count=1)

    ``mappings`` takes WireMock-format sources: a root folder (with ``mappings/`` and ``__files/``),
    a folder of mapping files, one file, stub dicts, or a list of these. They are loaded (and
    validated) at once and come back on :meth:`reset`.

    ``openapi`` takes OpenAPI 3.0/3.1 or Swagger 2.0 documents (paths, or dicts): each operation
    answers with the document's example or data generated from its schema (the same for the same
    ``seed``), and requests are checked against the document unless ``validate=False``. Stubs added by
    hand override what they match.

    ``root`` is WireMock's root folder: ``POST /__admin/mappings/save`` and ``persistent`` stubs write
    to ``root/mappings/``, and stubs added later find their ``bodyFileName`` under ``root/__files/``;
    without ``mappings``, the stubs already in ``root`` are loaded. By default it is the first folder in
    ``mappings``; with neither, nothing can be saved. ``POST /__admin/shutdown`` stops the server, as
    :meth:`stop` does.
    ``https=True`` serves HTTPS with a certificate made for 127.0.0.1 and localhost, signed by a CA
    made for this process; clients trust it with :attr:`ca_bundle` or :meth:`client_ssl_context`::

        with MockServer(https=True) as server:
            requests.get(server.url_for("/x"), verify=server.ca_bundle)
            httpx.get(server.url_for("/x"), verify=server.client_ssl_context())

    With ``certfile=`` (PEM chain) and ``keyfile=`` (unless the key is in ``certfile``) it serves
    that certificate instead.

    The admin API (``/__admin``; ``admin=False`` turns it off) answers only this machine's callers: a
    ``Host`` naming localhost or the bound address (``admin_hosts=["mock.internal"]`` adds names, ``"*"``
    any), and no changes asked for by another site's web page (``admin_origins`` allows origins). Bound
    off loopback it needs ``admin_token=`` (sent as ``Authorization: Bearer TOKEN``), unless
    ``admin_insecure=True``. Credentials in journaled requests are masked in its answers unless
    ``show_credentials=True``. ``docs/security.md`` explains each rule.

    ``watch=True`` reloads the mapping files and OpenAPI documents when they change (needs
    ``mockpit[watch]``); :meth:`reload` does it on demand.

    ``limits`` bounds what a client may take (:class:`ConnectionLimits`): the time to send a request's
    head and body, how long a kept-alive connection may idle, and how many connections are open at once.

    ``store="redis://host:port/db"`` shares the stubs, journal, scenario states and settings with every
    instance on the same store and ``namespace`` (a fleet: ``docs/fleets.md``); the store is reached
    here, and a :class:`~mockpit.StoreError` names it if it cannot be.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int | str = 0,
        mappings: MappingsLike | None = None,
        *,
        files_root: str | os.PathLike[str] | None = None,
        journal_size: int = Journal.DEFAULT_CAPACITY,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        admin: bool = True,
        admin_token: str | None = None,
        admin_hosts: Sequence[str] = (),
        admin_origins: Sequence[str] = (),
        admin_insecure: bool = False,
        show_credentials: bool = False,
        openapi: OpenApiLike | None = None,
        seed: int = 0,
        validate: bool = True,
        root: str | os.PathLike[str] | None = None,
        templating: bool | Literal["handlebars", "jinja"] = False,
        https: bool = False,
        certfile: str | os.PathLike[str] | None = None,
        keyfile: str | os.PathLike[str] | None = None,
        watch: bool = False,
        limits: ConnectionLimits | None = None,
        store: str | Store | None = None,
        namespace: str = "mockpit",
    ) -> None:
        self.host = host
        self._limits = limits
        self._port = parse_port(port)
        check_bind(host, admin=admin, token=admin_token, insecure=admin_insecure)
        warning = bind_warning(host, admin=admin, token=admin_token)
        if warning is not None:
            warnings.warn(f"mockpit: {warning}", UserWarning, stacklevel=2)
        self._tls = _tls_files(host, https, certfile, keyfile)
        root_path = Path(root) if root is not None else None
        if files_root is None and root_path is not None:
            files_root = root_path / "__files"
        self._engine = Engine(
            files_root=Path(files_root) if files_root is not None else None,
            journal_capacity=journal_size,
            templating="jinja" if templating == "jinja" else "handlebars" if templating else None,
        )
        #: the WebSocket stubs, connections and message journal
        self._websockets = WebSocketHub(self._engine, capacity=journal_size)
        self._sources: list[LoadedSource] = []
        # what reload() reads again: the mapping paths and OpenAPI document paths given
        self._paths: list[Path] = []
        self._openapi_paths: list[Path] = []
        self._seed, self._validate = seed, validate
        self._reload_lock = threading.Lock()
        self._reload_listeners: list[Callable[[list[LoadedSource] | MappingError], None]] = []
        if watch:
            from ._extras import require

            require("watchfiles", "Reloading changed mapping files (watch=True, --watch)")
        self._watch = watch
        self._watcher: tuple[threading.Thread, threading.Event] | None = None
        self._bound_port: int | None = None
        if (
            mappings is None
            and root_path is not None
            and any((root_path / name).is_dir() for name in ("mappings", "message-mappings"))
        ):
            mappings = root_path
        with _collector_paused():
            self._load(mappings, seed=seed, validate=validate)
        self._load_openapi(openapi, seed=seed, validate=validate)
        folder = next((s.mappings_folder for s in self._sources if s.mappings_folder is not None), None)
        self._mapping_files = MappingFiles(root_path / "mappings" if root_path is not None else folder)
        self._mapping_files.track(self._sources)
        self._recorder = Recorder(self._engine, self._mapping_files)
        self._fleet = _fleet(self._engine, store, namespace)
        if self._fleet is not None:
            self._fleet.files = self._mapping_files
        self._admin = (
            AdminApi(
                self._engine,
                mapping_files=self._mapping_files,
                on_shutdown=self._shutdown_requested,
                on_reload=self.reload if self._paths or self._openapi_paths else None,
                cluster=self._fleet.cluster if self._fleet is not None else None,
                recorder=self._recorder,
                websockets=self._websockets,
                access=AdminAccess.for_bind(
                    host,
                    token=admin_token,
                    hosts=admin_hosts,
                    origins=admin_origins,
                    show_credentials=show_credentials,
                ),
            )
            if admin
            else None
        )
        self._app = MockpitApp(
            self._engine,
            admin=self._admin.handle if self._admin is not None else None,
            max_body_size=max_body_size,
            websockets=self._websockets,
        )
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_event: asyncio.Event | None = None
        self._lock = threading.Lock()

    def _load(self, mappings: MappingsLike | None, *, seed: int, validate: bool) -> None:
        if mappings is None:
            return
        items: Sequence[Any] = [mappings] if isinstance(mappings, (str, os.PathLike, Mapping)) else list(mappings)
        paths = [item for item in items if not isinstance(item, Mapping)]
        self._paths = [Path(item) for item in paths]
        self._sources = load_sources(paths, seed=seed, validate=validate)
        if self._engine.files_root is None:
            # stubs added later (dicts here, the admin API) find their bodyFileName where the first folder's do
            self._engine.files_root = next((s.files_root for s in self._sources if s.mappings_folder is not None), None)
        for source in self._sources:
            try:
                self._engine.add_stubs(source.stubs, initial=True, files_root=source.files_root)
            except MappingError as exc:
                # a template that does not compile: name its file and place, and every other one too
                raise collected(_located_errors(self._engine, [source]) or [exc]) from None
        self._websockets.add([stub for source in self._sources for stub in source.message_stubs], initial=True)
        for i, item in enumerate(items):
            if isinstance(item, Mapping):
                where = "mappings" if isinstance(mappings, Mapping) else f"mappings[{i}]"
                stub = stub_from_mapping(item, source=where)
                try:  # a bodyFileName is checked here, where the error does not know the source yet
                    self._engine.add_stubs([stub], initial=True)
                except MappingError as exc:
                    raise exc.with_source(where) from None

    def _load_openapi(self, openapi: OpenApiLike | None, *, seed: int, validate: bool) -> None:
        if openapi is None:
            return
        from ._openapi.stubs import openapi_stubs

        items: Sequence[Any] = [openapi] if isinstance(openapi, (str, os.PathLike, Mapping)) else list(openapi)
        for item in items:
            if isinstance(item, Mapping):
                self._engine.add_stubs(openapi_stubs(item, seed=seed, validate=validate), initial=True)
            else:
                source = load_openapi_source(Path(item), seed=seed, validate=validate)
                self._openapi_paths.append(Path(item))
                self._sources.append(source)
                self._engine.add_stubs(source.stubs, initial=True)

    def reload(self) -> None:
        """Read the mapping files and OpenAPI documents given at construction again, and serve what they hold now.

        Stubs from files that changed, appeared or were deleted are updated, added or removed; stubs added
        through the admin API or from Python stay, and so do connections. A broken file raises
        :class:`MappingError` naming the file and the field, and the server keeps the stubs it had.
        ``watch=True`` (``mockpit serve --watch``) calls this whenever a file under those paths changes.
        """
        with self._reload_lock:
            try:
                fresh = load_sources(self._paths, seed=self._seed, validate=self._validate)
                fresh += [load_openapi_source(p, seed=self._seed, validate=self._validate) for p in self._openapi_paths]
                old_ids = {stub.id for source in self._sources for stub in source.stubs}
                try:
                    self._engine.replace_initial(old_ids, [(source.stubs, source.files_root) for source in fresh])
                except MappingError as exc:
                    raise collected(_located_errors(self._engine, fresh) or [exc]) from None
            except MappingError as exc:
                self._tell_reload(exc)
                raise
            self._websockets.replace_initial([stub for source in fresh for stub in source.message_stubs])
            self._sources = fresh
            self._mapping_files.retrack(fresh)
        self._tell_reload(fresh)

    def _tell_reload(self, outcome: list[LoadedSource] | MappingError) -> None:
        for listener in self._reload_listeners:
            listener(outcome)

    def _start_watching(self) -> None:
        """With ``watch=True``: a thread that reloads when a file under the given paths changes."""
        if not self._watch or self._watcher is not None:
            return
        roots = {p for p in self._paths + self._openapi_paths if p.exists()}
        roots |= {source.files_root for source in self._sources if source.files_root.is_dir()}
        if not roots:
            return
        stop = threading.Event()
        thread = threading.Thread(
            target=self._watch_files, args=(sorted(roots), stop), name="mockpit:watch", daemon=True
        )
        self._watcher = (thread, stop)
        thread.start()

    def _watch_files(self, roots: list[Path], stop: threading.Event) -> None:
        from watchfiles import watch

        # changes are grouped until 50 ms pass without one: an editor's save (write, rename) reloads once
        for _ in watch(*roots, stop_event=stop, debounce=400, step=50, raise_interrupt=False):
            with contextlib.suppress(MappingError):  # told to the listeners; the old stubs stay
                self.reload()

    def _stop_watching(self) -> None:
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            thread, stop = watcher
            stop.set()
            thread.join(5)

    # --- life cycle --------------------------------------------------------------------------------

    def _bind(self) -> socket.socket:
        from ._transport.serve import bind_socket

        try:
            sock = bind_socket(self.host, self._port)
        except OSError as exc:
            raise ServerError(
                f"cannot listen on {self.host}:{self._port}: {exc.strerror or exc}; use port=0 to pick a free port"
            ) from exc
        self._bound_port = sock.getsockname()[1]
        return sock

    def start(self) -> MockServer:
        """Start serving; returns once the port accepts requests. Starting twice is an error."""
        from ._transport.serve import new_event_loop

        self._reap()
        with self._lock:
            if self._thread is not None:
                raise ServerError(f"this MockServer is already running at {self.url}; stop() it first")
            sock = self._bind()
            port = self._bound_port
            ready = threading.Event()
            failure: list[BaseException] = []
            # made here, not in the thread, so that a start that fails always has the loop to stop
            loop = new_event_loop()
            stop = asyncio.Event()
            self._loop, self._stop_event = loop, stop
            thread = threading.Thread(
                target=self._run, args=(loop, sock, stop, ready, failure), name=f"mockpit:{port}", daemon=True
            )
            thread.start()
            if not ready.wait(_START_TIMEOUT) or failure:
                cause = failure[0] if failure else None  # read first: cancelling adds a CancelledError
                if not loop.is_closed():
                    with contextlib.suppress(RuntimeError):  # the loop closed between the check and the call
                        # cancelled, not stopped: the stop event is not watched until start-up is done
                        loop.call_soon_threadsafe(_cancel_tasks, loop)
                thread.join(_STOP_TIMEOUT)
                sock.close()
                self._bound_port = None
                self._loop = self._stop_event = None
                reason = repr(cause) if cause else f"it did not accept connections within {_START_TIMEOUT:g} s"
                raise ServerError(f"mockpit could not start on {self.host}:{port}: {reason}") from cause
            self._thread = thread
            self._sock = sock
        self._start_watching()
        return self

    def _run(
        self,
        loop: asyncio.AbstractEventLoop,
        sock: socket.socket,
        stop: asyncio.Event,
        ready: threading.Event,
        failure: list[BaseException],
    ) -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._serve(sock, stop, ready.set))
        except BaseException as exc:
            failure.append(exc)
            ready.set()
        finally:
            _close_loop(loop)

    async def _serve(self, sock: Any, stop: asyncio.Event, on_ready: Callable[[], None] | None) -> None:
        from ._transport.serve import serve

        ending = asyncio.ensure_future(self._end_streams(stop))
        shared_messages = shared_recordings = None
        if self._fleet is not None:  # joins before the port answers: the first request sees the fleet's stubs
            from ._protocols.shared_messages import SharedMessageStubs

            self._fleet.start(f"{self.host}:{self._bound_port}")
            shared_messages = SharedMessageStubs(self._websockets, self._fleet)
            shared_messages.start()
            from ._recording.shared import SharedRecordings

            shared_recordings = SharedRecordings(self._recorder, self._fleet)
            shared_recordings.start()
        try:
            certfile, keyfile = (None, None) if self._tls is None else (self._tls.certfile, self._tls.keyfile)
            await serve(
                self._app, sock, stop, on_ready=on_ready, certfile=certfile, keyfile=keyfile, limits=self._limits
            )
        finally:
            ending.cancel()
            if shared_messages is not None:
                shared_messages.stop()
            if shared_recordings is not None:
                shared_recordings.stop()
            if self._fleet is not None:
                self._fleet.stop()
            await self._engine.aclose()  # webhook calls in flight, the proxy's connections

    async def _end_streams(self, stop: asyncio.Event) -> None:
        # an open dashboard's live log never ends by itself: without this, stopping waits out the grace period
        await stop.wait()
        if self._admin is not None:
            self._admin.dashboard.close()

    def serve_forever(self, *, on_ready: Callable[[], None] | None = None, workers: int = 1) -> None:
        """Serve in the calling thread until SIGINT or SIGTERM (what ``mockpit serve`` does).

        ``on_ready`` is called once the port accepts requests; ``url`` then has the bound port.
        ``workers`` > 1 serves the port from that many processes (POSIX; it needs a ``store``).
        """
        if workers > 1 and self._fleet is None:
            raise ServerError(
                "several workers need a shared store for their stubs, journal and scenarios: "
                "give store='redis://host:port/db' (mockpit serve --store)"
            )
        self._reap()
        with self._lock:
            if self._thread is not None:
                raise ServerError(f"this MockServer is already running at {self.url}; stop() it first")
            sock = self._bind()
        children = self._fork_workers(workers - 1) if workers > 1 else []
        if children is None:  # a worker: the parent says when the port is ready
            on_ready = None
        try:
            self._serve_socket(sock, on_ready)
        finally:
            for pid in children or ():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM)
            for pid in children or ():
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, 0)
        if children is None:  # the worker ends here: what follows serve_forever() is the parent's
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(0)

    def _fork_workers(self, count: int) -> list[int] | None:
        """Fork ``count`` processes that serve the bound socket too: their pids, or ``None`` in a worker.

        Forked after loading and binding, before any loop or thread starts: the workers share the loaded
        stubs' memory and the listening socket, and the kernel spreads connections among them."""
        assert self._fleet is not None
        pids = []
        for _ in range(count):
            pid = os.fork()
            if pid == 0:
                _end_with_parent()
                self._fleet.renew()
                return None
            pids.append(pid)
        return pids

    def _serve_socket(self, sock: socket.socket, on_ready: Callable[[], None] | None) -> None:
        from ._transport.serve import new_event_loop

        loop = new_event_loop()
        asyncio.set_event_loop(loop)
        stop = self._stop_event = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        self._start_watching()
        try:
            loop.run_until_complete(self._serve(sock, stop, on_ready))
        finally:
            self._stop_watching()
            sock.close()
            _close_loop(loop)
            self._bound_port = None
            self._stop_event = None

    def stop(self) -> None:
        """Stop serving and release the port. Safe to call twice, or without start()."""
        self._stop_watching()
        with self._lock:
            thread, loop, event = self._thread, self._loop, self._stop_event
            if thread is None:
                return
            if loop is not None and event is not None and not loop.is_closed():
                with contextlib.suppress(RuntimeError):  # the loop closed between the check and the call
                    loop.call_soon_threadsafe(event.set)
            thread.join(_STOP_TIMEOUT)
            self._sock.close()
            self._thread = None
            self._bound_port = None

    def _shutdown_requested(self) -> None:
        # POST /__admin/shutdown, on the server's own loop: stop serving; the thread ends by itself
        if self._stop_event is not None:
            self._stop_event.set()

    def _reap(self) -> None:
        """Release the port of a server stopped through the admin API, so that it can start again."""
        thread = self._thread
        if thread is not None and not thread.is_alive():
            self.stop()

    @property
    def is_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def port(self) -> int:
        """The port the server listens on once started (the free one picked for 0); before, the one asked for."""
        return self._port if self._bound_port is None else self._bound_port

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (the bound port once started); ``https://`` with ``https=True``."""
        port = self.port
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'http' if self._tls is None else 'https'}://{host}:{port}"

    @property
    def ca_bundle(self) -> str | None:
        """With ``https=True``: the PEM file of the CA that signed the server's certificate.

        Clients pass it to trust the server: ``requests.get(url, verify=server.ca_bundle)``,
        ``curl --cacert``, ``SSL_CERT_FILE``; httpx takes :meth:`client_ssl_context`. None for plain
        HTTP and for a ``certfile=`` of your own (your CA is yours to give).
        """
        return None if self._tls is None else self._tls.ca_bundle

    def client_ssl_context(self) -> ssl.SSLContext:
        """An SSLContext for clients that trusts this server's generated certificate (and nothing else).

        For clients that take a context rather than a path, such as httpx 0.28 and later:
        ``httpx.Client(verify=server.client_ssl_context())``.
        """
        if self.ca_bundle is None:
            raise ServerError(
                "client_ssl_context() is for a server with https=True and a generated certificate; "
                + ("this one serves plain HTTP" if self._tls is None else "trust the CA of your own certfile instead")
            )
        return ssl.create_default_context(cafile=self.ca_bundle)

    def url_for(self, path: str) -> str:
        """The absolute URL of ``path`` on this server: ``url_for("/users")``."""
        return self.url + (path if path.startswith("/") else "/" + path)

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    async def __aenter__(self) -> MockServer:
        return await asyncio.to_thread(self.start)

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await asyncio.to_thread(self.stop)

    def __repr__(self) -> str:
        state = "running" if self.is_running else "stopped"
        return f"<MockServer {self.url} {state}, {len(self._engine.index)} stubs>"

    # --- stubs -------------------------------------------------------------------------------------

    def when(
        self,
        pattern: RequestPatternBuilder,
        *,
        name: str | None = None,
        priority: int | None = None,
        metadata: Mapping[str, Any] | None = None,
        id: str | None = None,
    ) -> StubBuilder:
        """Start a stub: ``server.when(get("/x")).respond(json={...})`` or ``.respond_with(fn)``."""
        if not isinstance(pattern, RequestPatternBuilder):
            raise TypeError(f"when() takes a pattern such as get('/path'), got {type(pattern).__name__}")
        return StubBuilder(self._engine.add_stub, pattern, name=name, priority=priority, metadata=metadata, stub_id=id)

    def add_mapping(self, mapping: Mapping[str, Any]) -> Stub:
        """Add one stub given in WireMock's JSON format (as a dict)."""
        return self._engine.add_stub(stub_from_mapping(mapping, source="add_mapping()"))

    def add_stub(self, stub: Stub) -> Stub:
        return self._engine.add_stub(stub)

    @property
    def llm(self) -> LlmMocks:
        """LLM APIs mocked in a line: ``server.llm.openai("Hello!")``, ``server.llm.anthropic(ToolCall(...))``.

        Each returns a mock whose ``requests`` are the JSON bodies the code under test sent.
        """
        from ._llm.mocks import LlmMocks

        return LlmMocks(self._engine.add_stub, self._engine.find_requests)

    def remove(self, stub: Stub | str) -> bool:
        """Remove a stub (or its id); False if there was none."""
        return self._engine.remove_stub(stub if isinstance(stub, str) else stub.id) is not None

    @property
    def stubs(self) -> list[Stub]:
        """All stubs, newest first."""
        return self._engine.stubs()

    def reset(self) -> None:
        """Back to the stubs given at construction, with an empty journal and no recorded errors."""
        self._engine.reset()
        self._websockets.reset()

    # --- scenarios ---------------------------------------------------------------------------------

    def scenarios(self) -> list[Scenario]:
        """Every scenario some stub names, with its current state: ``{s.name: s.state for s in ...}``."""
        return self._engine.scenarios.all()

    def set_scenario_state(self, name: str, state: str) -> None:
        """Move scenario ``name`` to ``state`` (``"Started"`` or a state one of its stubs requires or sets).

        Raises :class:`KeyError` for a scenario no stub names and :class:`ValueError` for an unknown state.
        """
        self._engine.scenarios.set_state(name, state)

    def reset_scenarios(self) -> None:
        """Every scenario back to ``"Started"`` (the stubs and the journal stay as they are)."""
        self._engine.scenarios.reset()

    # --- the journal -------------------------------------------------------------------------------

    def requests(self, pattern: PatternLike | None = None) -> list[ServeEvent]:
        """Requests received (oldest first), optionally only those matching ``pattern``."""
        return self._engine.find_requests(None if pattern is None else _pattern(pattern))

    def count(self, pattern: PatternLike) -> int:
        return len(self.requests(pattern))

    def clear_requests(self) -> None:
        self._engine.clear_requests()

    @property
    def unmatched(self) -> list[ServeEvent]:
        """Requests that no stub matched."""
        return self._engine.unmatched()

    def near_misses(self, event: ServeEvent) -> list[NearMiss]:
        return self._engine.near_misses(event.request)

    def verify(
        self,
        pattern: PatternLike,
        count: int | None = None,
        *,
        at_least: int | None = None,
        at_most: int | None = None,
    ) -> list[ServeEvent]:
        """Check how many requests matched ``pattern`` (default: at least one) and return them.

        Raises :class:`VerificationError` listing the requests received and, for the closest ones,
        what differed from the pattern.
        """
        wanted = _bounds(count, at_least, at_most)
        request_pattern = _pattern(pattern)
        found = self._engine.find_requests(request_pattern)
        failure = wanted(len(found))
        if failure is not None:
            raise VerificationError(self._verification_message(request_pattern, failure, len(found)))
        return found

    def wait_for(self, pattern: PatternLike, count: int = 1, *, timeout: float = 5.0) -> list[ServeEvent]:
        """Wait until ``count`` requests matching ``pattern`` have arrived, and return them.

        For requests that arrive after the code under test returns: webhooks, background jobs, retries::

            server.wait_for(post("/callbacks"), timeout=2)

        Raises :class:`VerificationError` after ``timeout`` seconds, listing what did arrive and what
        came closest, as :meth:`verify` does.
        """
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError(f"wait_for(count=...) takes a whole number of 1 or more, got {count!r}")
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout >= 0:
            raise ValueError(f"wait_for(timeout=...) takes seconds, 0 or more, got {timeout!r}")
        request_pattern = _pattern(pattern)
        compiled = compile_pattern(request_pattern)
        journal = self._engine.journal
        deadline = time.monotonic() + timeout
        pause = 0.001  # short at first: most waits end within milliseconds
        while True:
            found = journal.find(lambda event: compiled.match(event.request).matched)
            left = deadline - time.monotonic()
            if len(found) >= count or left <= 0:
                break
            time.sleep(min(pause, left))
            pause = min(pause * 2, 0.02)
        if len(found) < count:
            wanted = f"at least {count} within {timeout:g} s"
            raise VerificationError(self._verification_message(request_pattern, wanted, len(found)))
        return found

    def _verification_message(self, pattern: RequestPattern, wanted: str, n: int) -> str:
        described = json.dumps(pattern_to_mapping(pattern), ensure_ascii=False)
        events = self._engine.journal.events()
        lines = [f"expected {wanted} request(s) matching {described}, but {n} matched."]
        if not events:
            lines.append("The server received no requests at all.")
            return "\n".join(lines)
        shown = events[-20:]
        count = f"the last {len(shown)} of {len(events)}" if len(shown) < len(events) else str(len(events))
        lines.append(f"Requests received ({count}):")
        for event in shown:
            answered = event.stub.describe() if event.stub else "no stub"
            lines.append(f"  {event.request.method} {event.request.url} -> {event.response.status} ({answered})")
        compiled = compile_pattern(pattern)
        results = sorted(
            (r for r in (compiled.match(e.request) for e in events) if not r.matched), key=lambda r: r.distance
        )
        if results:
            lines.append("Closest requests that did not match:")
            for result in results[:3]:
                req = result.request
                lines.append(f"  {req.method} {req.url}")
                for diff in result.differences:
                    lines.append(f"    {diff.field}: expected {diff.expected}, got {diff.actual}")
        return "\n".join(lines)

    # --- WebSocket ---------------------------------------------------------------------------------

    def websocket(
        self,
        path: str | RequestPatternBuilder,
        *,
        subprotocol: str | None = None,
        name: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> WebSocketStubBuilder:
        """Accept WebSocket connections whose handshake matches ``path`` (a path, a path template, or a
        pattern such as ``request("GET", "/feed").query("room", "7")``), and say what they get::

            chat = server.websocket("/chat")
            chat.on_message("ping").send("pong")

        ``subprotocol``: accepted only if the client offers it, and selected.
        """
        pattern = path if isinstance(path, RequestPatternBuilder) else RequestPatternBuilder("ANY", path)
        return WebSocketStubBuilder(
            self._add_message_stub, pattern, subprotocol=subprotocol, name=name, metadata=metadata
        )

    def add_message_mapping(self, mapping: Mapping[str, Any]) -> MessageStub:
        """Add one WebSocket stub given in WireMock 4's message mapping format (as a dict)."""
        from ._mapping.messages import message_stub_from_mapping  # pydantic: on use, off the start-up path

        return self._add_message_stub(message_stub_from_mapping(mapping, source="add_message_mapping()"))

    def _add_message_stub(self, stub: MessageStub) -> MessageStub:
        return self._websockets.add([stub])[0]

    @property
    def message_stubs(self) -> list[MessageStub]:
        """The WebSocket stubs, in the order they are tried."""
        return self._websockets.stubs

    @property
    def websocket_connections(self) -> list[Channel]:
        """WebSocket connections: those closed (oldest first), then those open."""
        return [*self._websockets.closed, *self._websockets.channels.values()]

    def broadcast(self, to: str | RequestPatternBuilder | None, message: str | bytes | JSON) -> int:
        """Send ``message`` to every open WebSocket connection whose handshake matches ``to`` (a path or a
        pattern; ``None``: every connection) and return how many got it. Text, bytes, or JSON."""
        if not isinstance(message, (str, bytes)):
            message = dump_json(message).decode("utf-8")
        pattern = None if to is None else _channel(to)
        return len(self._websockets.broadcast_threadsafe(pattern, message))

    def messages(
        self,
        body: Matcher | str | None = None,
        *,
        path: str | RequestPatternBuilder | None = None,
        direction: Literal["received", "sent"] | None = "received",
    ) -> list[MessageEvent]:
        """WebSocket messages journaled (oldest first): received from clients by default, ``"sent"`` to
        them, or both (``None``); only those whose body matches ``body`` on connections matching ``path``."""
        value, channel = self._message_query(body, path)
        return self._websockets.find(value, channel=channel, direction=_direction(direction))

    def verify_messages(
        self,
        body: Matcher | str | None = None,
        count: int | None = None,
        *,
        path: str | RequestPatternBuilder | None = None,
        direction: Literal["received", "sent"] | None = "received",
        at_least: int | None = None,
        at_most: int | None = None,
        timeout: float = 0.0,
    ) -> list[MessageEvent]:
        """Check how many WebSocket messages matched (default: at least one), waiting up to ``timeout``
        seconds for them to arrive; raises :class:`VerificationError` with the closest messages."""
        wanted = _bounds(count, at_least, at_most)
        value, channel = self._message_query(body, path)
        deadline = time.monotonic() + timeout
        pause = 0.001
        while True:
            found = self._websockets.find(value, channel=channel, direction=_direction(direction))
            failure = wanted(len(found))
            left = deadline - time.monotonic()
            if failure is None or left <= 0:
                break
            time.sleep(min(pause, left))
            pause = min(pause * 2, 0.02)
        if failure is not None:
            described = None if body is None else json.dumps(_as_matcher(body).spec, ensure_ascii=False)
            raise VerificationError(self._message_failure(value, described, channel, direction, failure, len(found)))
        return found

    def _message_query(
        self, body: Matcher | str | None, path: str | RequestPatternBuilder | None
    ) -> tuple[ValuePattern | None, RequestPattern | None]:
        value = None
        if body is not None:
            value = pattern_from_mapping({"bodyPatterns": [_as_matcher(body).spec]}, source="body").body_patterns[0]
        return value, None if path is None else _channel(path)

    def _message_failure(
        self,
        value: ValuePattern | None,
        described: str | None,
        channel: RequestPattern | None,
        direction: Literal["received", "sent"] | None,
        wanted: str,
        n: int,
    ) -> str:
        what = f"{direction or 'received or sent'} WebSocket message(s)"
        lines = [f"expected {wanted} {what}" + (f" matching {described}" if described else "") + f", but {n} matched."]
        events = [e for e in self._websockets.journal if direction is None or e.direction == direction.upper()]
        if not events:
            lines.append(f"No WebSocket messages were {direction or 'received or sent'} at all.")
            return "\n".join(lines)
        lines.append("Closest messages:")
        for event, miss in self._websockets.near_misses(value, channel, _direction(direction)):
            lines.append(f"  {event.direction} on {event.channel.request.url}: {event.text[:200]}")
            for diff in miss.differences:
                lines.append(f"    {diff.field}: expected {diff.expected}, got {diff.actual}")
        return "\n".join(lines)

    @property
    def unmatched_messages(self) -> list[MessageEvent]:
        """WebSocket messages that no message stub matched (each with its ``near_miss_report``)."""
        return list(self._websockets.misses)

    # --- errors from the server thread -------------------------------------------------------------

    @property
    def errors(self) -> list[HandlerError]:
        """Exceptions raised while answering requests (handlers, unreadable files), oldest first."""
        return list(self._engine.errors)

    def check(self, *, allow_unmatched: bool = False) -> None:
        """Raise in the calling thread what went wrong in the server thread.

        Re-raises the first handler error (with its request); unless ``allow_unmatched``, a request
        that matched no stub raises :class:`MockpitError` with its near-miss report.
        """
        errors = self.errors
        if errors:
            first = errors[0]
            later = len(errors) - 1 + self._engine.errors_dropped
            more = f"\n({later} more error(s) after this one)" if later else ""
            raise HandlerError(
                f"{first}\n\nServer-side traceback:\n{first.traceback_text}{more}",
                first.request,
                first.traceback_text,
            ) from first.__cause__
        if not allow_unmatched:
            unmatched = self.unmatched
            if unmatched:
                reports = "\n".join(e.near_miss_report or "" for e in unmatched[:3])
                more = f"\n... and {len(unmatched) - 3} more unmatched request(s)" if len(unmatched) > 3 else ""
                raise MockpitError(f"{len(unmatched)} request(s) matched no stub:\n\n{reports}{more}")
            messages = self.unmatched_messages
            if messages:
                reports = "\n".join(e.near_miss_report or "" for e in messages[:3])
                more = f"\n... and {len(messages) - 3} more" if len(messages) > 3 else ""
                raise MockpitError(f"{len(messages)} WebSocket message(s) matched no message stub:\n\n{reports}{more}")


class MockServerFactory(Protocol):
    """What the pytest plugin's ``mockpit_factory`` fixture gives: it takes :class:`MockServer`'s
    parameters and returns the server, started (it stops after the test). Annotate the fixture with it::

        from mockpit import MockServerFactory

        def test_two_apis(mockpit_factory: MockServerFactory) -> None:
            users = mockpit_factory(mappings="tests/users")
            billing = mockpit_factory(openapi="billing.yaml", seed=3)

    A Protocol rather than a ``ParamSpec`` over ``MockServer.__init__``: pytest passes fixtures by name,
    so the annotation on the test's parameter is all a type checker sees, and it needs a name to write.
    Its parameters are ``MockServer.__init__``'s, word for word (a test holds them equal).
    """

    def __call__(
        self,
        host: str = "127.0.0.1",
        port: int | str = 0,
        mappings: MappingsLike | None = None,
        *,
        files_root: str | os.PathLike[str] | None = None,
        journal_size: int = Journal.DEFAULT_CAPACITY,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        admin: bool = True,
        admin_token: str | None = None,
        admin_hosts: Sequence[str] = (),
        admin_origins: Sequence[str] = (),
        admin_insecure: bool = False,
        show_credentials: bool = False,
        openapi: OpenApiLike | None = None,
        seed: int = 0,
        validate: bool = True,
        root: str | os.PathLike[str] | None = None,
        templating: bool | Literal["handlebars", "jinja"] = False,
        https: bool = False,
        certfile: str | os.PathLike[str] | None = None,
        keyfile: str | os.PathLike[str] | None = None,
        watch: bool = False,
        limits: ConnectionLimits | None = None,
        store: str | Store | None = None,
        namespace: str = "mockpit",
    ) -> MockServer: ...


@dataclass(frozen=True)
class ServerInternals:
    """The parts a :class:`MockServer` is assembled from: the seam for mockpit's own front ends.

    The CLI and the pytest plugin (and tests) reach them through :func:`internals`, never through
    attributes of the server, so that ``MockServer``'s public surface stays what its docstring
    promises. Not public API: users drive a server through its methods.
    """

    #: resolves requests to answers: the stubs, the journal, scenarios, listeners
    engine: Engine
    #: the folders and files the stubs were loaded from, with their stubs
    sources: tuple[LoadedSource, ...]
    #: where saved and ``persistent`` stubs are written (its ``folder`` is ``None`` without one)
    mapping_files: MappingFiles
    #: records exchanges into stubs (``/__admin/recordings``; ``mockpit record``)
    recorder: Recorder
    #: the ASGI app the server runs
    app: MockpitApp
    #: told the outcome of every reload (the fresh sources, or the error that kept the old stubs)
    reload_listeners: list[Callable[[list[LoadedSource] | MappingError], None]]
    #: the WebSocket stubs, connections and message journal (``miss_listeners`` for unmatched messages)
    websockets: WebSocketHub
    #: the fleet the server shares its state with (``store=``), or ``None``
    fleet: Fleet | None = None


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while stubs load: they are all kept, yet every full collection
    rescans them all (a third of the time 10,000 stubs took to load). Loading makes no cyclic
    garbage (measured: 0 objects collected after 10,000 stubs, 5 after one)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def internals(server: MockServer) -> ServerInternals:
    """The parts ``server`` is assembled from (see :class:`ServerInternals`); they live as long as it does."""
    return ServerInternals(
        engine=server._engine,
        sources=tuple(server._sources),
        mapping_files=server._mapping_files,
        recorder=server._recorder,
        app=server._app,
        reload_listeners=server._reload_listeners,
        websockets=server._websockets,
        fleet=server._fleet,
    )


def _located_errors(engine: Engine, sources: Sequence[LoadedSource]) -> list[MappingError]:
    """Each stub of ``sources`` that the engine refuses, its error naming the file and the stub's place."""
    errors: list[MappingError] = []
    for source in sources:
        position: dict[Path, int] = {}
        listed = {file for file in source.files if _lists_mappings(file)}
        for stub, file in source.stub_files():
            index = position[file] = position.get(file, -1) + 1
            try:
                engine.check_stub(stub, source.files_root)
            except MappingError as exc:
                located = exc.within("mappings", index) if file in listed else exc
                errors.append(located.with_source(str(file)))
    return errors


def _lists_mappings(file: Path) -> bool:
    from ._mapping.files import read_document

    try:
        document = read_document(file)
    except MappingError:
        return False
    return isinstance(document, Mapping) and "mappings" in document


def _close_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Close ``loop`` once the connections aborted at shutdown have finished closing.

    An aborted transport closes on the loop's next turn; closing the loop before that leaves its handle
    open, and uvloop's close then fails (EBUSY) and warns of an unclosed transport.
    """
    if not loop.is_closed():
        # a start that failed may leave a cancellation pending, which lands on the settling: nothing to settle
        with contextlib.suppress(Exception, asyncio.CancelledError):
            loop.run_until_complete(_settle())
        # On a loaded machine a transport may still be closing after the settling turns: uvloop has
        # asked every handle to close, and refuses only to free its own loop (EBUSY). A stopping
        # server must not raise that into the user's test (seen once in 3,700 tests under load).
        with contextlib.suppress(OSError):
            loop.close()


async def _settle() -> None:
    # generators left unfinished (a proxied body's) close their upstream connections when finalised
    await asyncio.get_running_loop().shutdown_asyncgens()
    for _ in range(3):  # a turn for the close callbacks, one for what they schedule, one to spare
        await asyncio.sleep(0)


def _cancel_tasks(loop: asyncio.AbstractEventLoop) -> None:
    for task in asyncio.all_tasks(loop):
        task.cancel()


def _end_with_parent() -> None:
    """In a forked worker: be sent SIGTERM when the parent dies, even of SIGKILL (Linux), so none is orphaned."""
    if sys.platform == "linux":
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # 1: PR_SET_PDEATHSIG


def _fleet(engine: Engine, store: str | Store | None, namespace: str) -> Fleet | None:
    """The fleet ``engine`` joins when serving, or ``None`` without a store (the default: no new import)."""
    if store is None:
        return None
    from . import __version__
    from ._engine.fleet import Fleet
    from ._store.opening import open_store

    return Fleet(
        engine, open_store(store, namespace=namespace) if isinstance(store, str) else store, version=__version__
    )


def _tls_files(
    host: str,
    https: bool,
    certfile: str | os.PathLike[str] | None,
    keyfile: str | os.PathLike[str] | None,
) -> TlsFiles | None:
    if not https:
        if certfile is not None or keyfile is not None:
            raise ValueError("certfile= and keyfile= are for HTTPS: pass https=True as well")
        return None
    from ._transport.tls import generated_files, given_files

    if certfile is None:
        if keyfile is not None:
            raise ValueError("keyfile= needs its certificate: pass certfile= as well")
        return generated_files(host)
    return given_files(certfile, keyfile)


def _channel(path: str | RequestPatternBuilder) -> RequestPattern:
    """A WebSocket handshake pattern: a path (or path template), or a pattern builder."""
    return _pattern(path if isinstance(path, RequestPatternBuilder) else RequestPatternBuilder("ANY", path))


def _direction(direction: Literal["received", "sent"] | None) -> Literal["RECEIVED", "SENT"] | None:
    if direction is None:
        return None
    if direction not in ("received", "sent"):
        raise ValueError(f'direction= takes "received", "sent" or None (both), got {direction!r}')
    return "RECEIVED" if direction == "received" else "SENT"


def _bounds(count: int | None, at_least: int | None, at_most: int | None) -> Callable[[int], str | None]:
    """Checks verify()'s bounds once; returns a test giving what was wanted when a count misses them."""
    for name, bound in (("count", count), ("at_least", at_least), ("at_most", at_most)):
        if bound is not None and (isinstance(bound, bool) or not isinstance(bound, int) or bound < 0):
            raise ValueError(f"verify({name}=...) takes a whole number of 0 or more, got {bound!r}")
    if count is not None and (at_least is not None or at_most is not None):
        raise ValueError("verify() takes count= or at_least=/at_most=, not both")
    if at_least is not None and at_most is not None and at_least > at_most:
        raise ValueError(f"verify(at_least={at_least}, at_most={at_most}) can never hold: at_least > at_most")
    if count is None and at_least is None and at_most is None:
        at_least = 1
    wanted = []
    if count is not None:
        wanted.append(f"exactly {count}")
    if at_least is not None:
        wanted.append(f"at least {at_least}")
    if at_most is not None:
        wanted.append(f"at most {at_most}")
    text = " and ".join(wanted)

    def failure(n: int) -> str | None:
        ok = (count is None or n == count) and (at_least is None or n >= at_least) and (at_most is None or n <= at_most)
        return None if ok else text

    return failure


def _pattern(pattern: PatternLike) -> RequestPattern:
    if isinstance(pattern, RequestPattern):
        return pattern
    if isinstance(pattern, RequestPatternBuilder):
        return pattern_from_mapping(pattern.to_mapping(), source="pattern")
    if isinstance(pattern, Mapping):
        return pattern_from_mapping(pattern)
    raise MappingError(f"expected a pattern such as post('/x') or a WireMock request dict, got {pattern!r}")
