"""The engine: request in, response out. Stubs, journal, near misses; no transport.

``handle()`` is the hot path: an indexed lookup, a pre-rendered response for static stubs, one journal
append. Everything about a miss (the near-miss search, the report) happens only on a miss.
"""

from __future__ import annotations

import asyncio
import threading
import traceback
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mockpit._errors import HandlerError, MappingError
from mockpit._matching.near_miss import NearMiss, near_misses, near_misses_for_pattern
from mockpit._matching.pattern import CompiledPattern, compile_pattern
from mockpit._matching.report import format_report
from mockpit._model import DelayDistribution, Request, RequestPattern, Response, ResponseDefinition, Stub

from .index import IndexedStub, StubIndex
from .journal import Journal, ServeEvent
from .rendering import Renderer, RenderError, Responder, Syntax, delay_sampler
from .scenarios import Scenarios

if TYPE_CHECKING:  # httpx is imported only by servers that proxy or call webhooks
    from .proxy import ProxyClient
    from .webhooks import Webhooks

_TEXT = [("Content-Type", "text/plain; charset=utf-8")]
#: errors kept for the test thread; later ones are only counted
MAX_ERRORS = 100


@dataclass(frozen=True)
class Settings:
    """Server-wide settings (WireMock's global settings, ``/__admin/settings``).

    ``fixed_delay_ms`` delays every stub response that has no ``fixedDelayMilliseconds`` of its own,
    as WireMock's ``fixedDelay`` does; ``extended`` is kept for clients that store values there.
    """

    fixed_delay_ms: int | None = None
    #: WireMock's global ``delayDistribution``: a random delay, added to ``fixed_delay_ms``
    delay_distribution: DelayDistribution | None = None
    extended: dict[str, Any] = field(default_factory=dict)
    proxy_pass_through: bool = True


class Engine:
    """Holds the stubs and the journal and answers requests.

    Stubs given as ``initial_stubs`` (those loaded from files) come back on :meth:`reset`.
    """

    def __init__(
        self,
        *,
        files_root: Path | None = None,
        journal_capacity: int = Journal.DEFAULT_CAPACITY,
        near_miss_limit: int = 3,
        templating: Syntax | None = None,
    ) -> None:
        """``templating`` renders every response as a template of that syntax (not only the marked ones)."""
        self.files_root = files_root
        self.templating: Syntax | None = templating
        #: the stateful scenarios of the stubs (the index keeps them in step with the stubs)
        self.scenarios = Scenarios()
        self.index: StubIndex[Responder] = StubIndex(self.scenarios)
        self.index.prepare = self._prepare
        self.journal = Journal(journal_capacity)
        self.near_miss_limit = near_miss_limit
        #: exceptions raised while answering (handlers, unreadable files), oldest first
        self.errors: list[HandlerError] = []
        #: errors past the first MAX_ERRORS, counted but not kept (a handler failing under load)
        self.errors_dropped = 0
        #: called with every serve event (``mockpit serve --verbose`` logs through this); keep them quick
        self.listeners: list[Callable[[ServeEvent], None]] = []
        #: called with the serve event of every request that matched no stub
        self.miss_listeners: list[Callable[[ServeEvent], None]] = []
        #: called with the serve event of every response that says why mockpit chose its status
        #: (``Response.why``: a 422 from OpenAPI validation); these are logged even without ``--verbose``
        self.refusal_listeners: list[Callable[[ServeEvent], None]] = []
        #: called with "stubs", "reset" or "settings" after those change (a fleet shares them through this)
        self.change_listeners: list[Callable[[str], None]] = []
        #: every instance's unmatched requests, when a fleet shares the journal (else this engine's own)
        self.shared_misses: Callable[[], list[ServeEvent]] | None = None
        #: called with every recorded error (the CLI prints tracebacks through this)
        self.error_listeners: list[Callable[[HandlerError], None]] = []
        # compiled once: a reset (before every test, in the pytest plugin) must neither recompile them nor
        # fail because a body file changed since loading (that request gets a 500 saying so instead)
        # (None: a plain stub left to compile on first use, see _prepared)
        self._initial: list[tuple[Stub, CompiledPattern | None, Responder | None]] = []
        self._proxy: ProxyClient | None = None
        self._webhooks: Webhooks | None = None
        # Unmatched requests are kept apart from the journal too, so that a test is told of them even
        # when the journal is small (or off) and has already dropped them.
        self._misses: deque[ServeEvent] = deque(maxlen=1000)
        self._errors_lock = threading.Lock()
        self.settings = Settings()
        # seconds, read on the hot path: one attribute instead of the settings object
        self._global_delay = 0.0
        self._global_sample: Callable[[], float] | None = None
        # one test on the hot path for "any global delay"
        self._any_global_delay = False

    # --- stubs -------------------------------------------------------------------------------------

    def add_stubs(self, stubs: Iterable[Stub], *, initial: bool = False, files_root: Path | None = None) -> list[Stub]:
        r"""Add stubs (replacing any with the same id). All are checked before any is added.

        ``files_root`` is where their ``bodyFileName``\s are (default: the engine's); ``initial``
        stubs come back on :meth:`reset`.
        """
        stubs = list(stubs)
        root = files_root or self.files_root
        prepared = [self._prepared(stub, root) for stub in stubs]
        self.index.add_compiled(prepared)
        if initial:
            self._initial.extend(prepared)
        self._changed("stubs")
        return stubs

    def add_stub(self, stub: Stub) -> Stub:
        return self.add_stubs([stub])[0]

    def check_stub(self, stub: Stub, files_root: Path | None = None) -> None:
        """Compile ``stub`` as :meth:`add_stubs` would, adding nothing: raises its :class:`MappingError`."""
        compile_pattern(stub.request)
        self._responder(stub, files_root or self.files_root)

    def replace_initial(self, old_ids: Iterable[str], sources: Iterable[tuple[Iterable[Stub], Path | None]]) -> None:
        """Swap initial stubs: those with ``old_ids`` out, the ``sources``' stubs in (a reload of files).

        Everything is compiled before anything changes, so a stub that fails leaves the server as it was.
        Other stubs (added through the admin API or Python) stay.
        """
        prepared = [self._prepared(stub, root or self.files_root) for stubs, root in sources for stub in stubs]
        gone = set(old_ids)
        for stub_id in gone:
            self.index.remove(stub_id)
        self.index.add_compiled(prepared)
        # a new list, not an in-place change: a reset on another thread reads the old one whole
        self._initial = [item for item in self._initial if item[0].id not in gone] + prepared
        self._changed("stubs")

    def remove_stub(self, stub_id: str) -> Stub | None:
        entry = self.index.remove(stub_id)
        if entry is None:
            return None
        self._changed("stubs")
        return entry.stub

    def get_stub(self, stub_id: str) -> Stub | None:
        entry = self.index.get(stub_id)
        return entry.stub if entry else None

    def stubs(self) -> list[Stub]:
        """All stubs, newest first."""
        return [entry.stub for entry in self.index.entries()]

    def reset_stubs(self) -> None:
        """Back to the initial stubs (those loaded from files), their scenarios in ``Started``."""
        self.index.clear()  # forgets the scenarios; adding the stubs back starts theirs afresh
        for _, _, responder in self._initial:
            if responder is not None:
                responder.reset()
        self.index.add_compiled(self._initial)
        self._changed("reset")

    def reset(self) -> None:
        """Initial stubs, every scenario in ``Started``, empty journal, no recorded errors."""
        self.reset_stubs()
        self.clear_requests()
        self.clear_errors()

    def keep_on_reset(self, stub_ids: Iterable[str]) -> None:
        """Make these stubs, as they are now, part of what :meth:`reset` restores (they were saved to files)."""
        entries = [entry for entry in map(self.index.get, stub_ids) if entry is not None]
        ids = {entry.stub.id for entry in entries}
        kept = [item for item in self._initial if item[0].id not in ids]
        # a new list, not an in-place change: a reset on another thread reads the old one whole
        self._initial = kept + [entry.compiled() for entry in entries]

    def drop_on_reset(self, stub_ids: Iterable[str]) -> None:
        """Stop :meth:`reset` restoring these stubs (their files were deleted)."""
        ids = set(stub_ids)
        self._initial = [item for item in self._initial if item[0].id not in ids]

    def update_settings(self, settings: Settings) -> None:
        self.settings = settings
        self._global_delay = (settings.fixed_delay_ms or 0) / 1000
        self._global_sample = delay_sampler(settings.delay_distribution)
        self._any_global_delay = bool(self._global_delay) or self._global_sample is not None
        self._changed("settings")

    def _changed(self, kind: str) -> None:
        for listener in self.change_listeners:
            listener(kind)

    def clear_errors(self) -> None:
        with self._errors_lock:
            self.errors.clear()
            self.errors_dropped = 0

    def _prepared(self, stub: Stub, files_root: Path | None) -> tuple[Stub, CompiledPattern | None, Responder | None]:
        """The stub compiled, or left to compile on first use when nothing in it can fail to compile.

        Plain stubs (a method, a URL, a fixed answer) are most of a large mapping set, and most of them
        are never requested in a given run: their patterns and renderers would be 1.5 kB each, 15 MB
        for 10,000 stubs. Anything that could fail (a regex, a template, a body file, a webhook) is
        compiled now, so a broken stub is still refused when it is loaded.
        """
        if self.templating is None and _compiles_surely(stub):
            return stub, None, None
        return stub, compile_pattern(stub.request), self._responder(stub, files_root)

    def _prepare(self, stub: Stub) -> Responder:
        # a plain stub's responder, made on its first request (it reads no file, so it needs no root)
        return self._responder(stub, None)

    def _responder(self, stub: Stub, files_root: Path | None) -> Responder:
        definitions = (stub.response, *stub.then)
        renderers = []
        for i, given in enumerate(definitions):
            where: tuple[str | int, ...] = ("responses", i) if stub.then else ("response",)
            renderers.append(self._renderer(_naming(given, stub.id), files_root, where))
        listeners: list[Any] = []
        for i, listener in enumerate(stub.serve_event_listeners):
            from .webhooks import compile_webhook

            try:
                listeners.append(compile_webhook(listener.parameters))
            except ValueError as exc:
                raise MappingError(str(exc), field=("serveEventListeners", i, "parameters")) from None
        return Responder(renderers, cycle=stub.cycle, listeners=tuple(listeners))

    def _renderer(
        self, definition: ResponseDefinition, files_root: Path | None, where: tuple[str | int, ...]
    ) -> Renderer:
        proxy = self.proxy_client() if definition.proxy_base_url is not None else None
        try:
            renderer = Renderer(definition, files_root, proxy=proxy, templating=self.templating)
        except RenderError as exc:
            field = "bodyFileName" if definition.body_file_name is not None else "body"
            message = str(exc)
            if definition.sse is not None:  # the message names the event: response.sse.events[N]
                field, message = message.split(": ", 1)
            raise MappingError(message, field=(*where, field)) from None
        if renderer.body_file is not None and not renderer.body_file.is_file():
            raise MappingError(
                f"{definition.body_file_name!r} does not exist under {files_root}; create it or fix the name",
                field=(*where, "bodyFileName"),
            )
        return renderer

    def proxy_client(self) -> ProxyClient:
        """The HTTP client that proxied stubs forward through (created on first need)."""
        if self._proxy is None:
            from .proxy import ProxyClient

            self._proxy = ProxyClient()
        return self._proxy

    def webhooks(self) -> Webhooks:
        if self._webhooks is None:
            from .webhooks import Webhooks

            self._webhooks = Webhooks(on_error=self._webhook_failed)
        return self._webhooks

    def _webhook_failed(self, message: str) -> None:
        error = HandlerError(f"mockpit: {message}", None, "")
        self._keep_error(error)

    async def aclose(self) -> None:
        """Finish what runs in the background (webhook calls) and close the HTTP clients."""
        if self._webhooks is not None:
            await self._webhooks.aclose()
        if self._proxy is not None:
            await self._proxy.aclose()

    # --- requests ----------------------------------------------------------------------------------

    async def handle(self, request: Request) -> Response:
        found = self.index.find(request)
        if found is None and (not self.scenarios.shared or (found := self._find_again(request)) is None):
            return self._unmatched(request)
        entry, captures = found
        if captures:
            request.path_params = captures
        responder = entry.payload
        response = responder.static
        refused = False
        if response is None:  # only a rendered response can say why mockpit chose its status
            try:
                response = await responder.render(request)
            except Exception as exc:
                response = self._failed(request, entry, exc)
            refused = response.why is not None
        delay = responder.delay if responder.sample_delay is None else responder.sample_delay()
        # the global delay is WireMock's default: a stub's own delay (even 0) wins
        if not delay and self._any_global_delay and not responder.own_delay:
            delay = self._global_delay + (self._global_sample() if self._global_sample is not None else 0.0)
        if delay:
            await asyncio.sleep(delay)
        event = ServeEvent(request, entry.stub, response)
        self.journal.record(event)
        if self.listeners:
            self._notify(event, self.listeners)
        if refused:
            self._notify(event, self.refusal_listeners)
        if responder.listeners:
            webhooks = self.webhooks()
            for webhook in responder.listeners:
                webhooks.fire(webhook, request, response)
        return response

    def _find_again(self, request: Request) -> tuple[IndexedStub[Responder], dict[str, str]] | None:
        # Scenarios shared by a fleet move between two of this request's checks (another instance took a
        # transition): what missed only because of that may match now. A few tries, then it is a miss.
        for _ in range(3):
            found = self.index.find(request)
            if found is not None:
                return found
        return None

    def _unmatched(self, request: Request) -> Response:
        misses = self.near_misses(request)
        report = format_report(request, misses)
        response = Response(404, report, headers=_TEXT)
        event = ServeEvent(request, None, response)
        event.near_miss_report = report
        event.near_misses = misses
        self.journal.record(event)
        self._misses.append(event)
        self._notify(event, [*self.listeners, *self.miss_listeners])
        return response

    def _failed(self, request: Request, entry: IndexedStub[Responder], exc: Exception) -> Response:
        stub = entry.stub
        if isinstance(exc, RenderError):
            message = f"mockpit: stub {stub.describe()} could not answer: {exc}"
        else:
            message = (
                f"mockpit: the handler of stub {stub.describe()} raised {type(exc).__name__}: {exc}\n"
                "(the traceback is re-raised in the test, or printed by `mockpit serve`)"
            )
        self.record_error(exc, request, message)
        return Response(500, message + "\n", headers=_TEXT)

    def record_error(self, exc: BaseException, request: Request, message: str | None = None) -> HandlerError:
        """Keep an exception raised while answering ``request``, for the test thread to re-raise."""
        message = message or f"mockpit: {type(exc).__name__}: {exc}"
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        error = HandlerError(f"{message}\nwhile answering {request.method} {request.url}", request, text)
        error.__cause__ = exc
        self._keep_error(error)
        return error

    def _keep_error(self, error: HandlerError) -> None:
        with self._errors_lock:
            if len(self.errors) < MAX_ERRORS:  # the first errors are the causes; keep those
                self.errors.append(error)
            else:
                self.errors_dropped += 1
        for listener in self.error_listeners:
            listener(error)

    def _notify(self, event: ServeEvent, listeners: list[Callable[[ServeEvent], None]]) -> None:
        for listener in listeners:
            try:
                listener(event)
            except Exception as exc:  # a logging hook must never take a request down
                print(f"mockpit: a journal listener raised {exc!r}")

    def near_misses(self, request: Request, limit: int | None = None) -> list[NearMiss]:
        """The stubs closest to ``request``, closest first (a scenario in another state counts as a difference)."""
        entries = self.index.entries()
        return near_misses(
            request,
            ((e.stub, e.pattern) for e in entries),
            self.near_miss_limit if limit is None else limit,
            self.scenarios.difference,
        )

    def near_misses_for_pattern(self, pattern: RequestPattern, limit: int | None = None) -> list[NearMiss]:
        """The journaled requests closest to ``pattern``, closest first (WireMock's near misses for a pattern)."""
        requests = (event.request for event in self.journal.events())
        return near_misses_for_pattern(pattern, requests, self.near_miss_limit if limit is None else limit)

    def find_requests(self, pattern: RequestPattern | None = None) -> list[ServeEvent]:
        """Journaled serve events whose request matches ``pattern`` (all of them if ``None``)."""
        if pattern is None:
            return self.journal.events()
        compiled = compile_pattern(pattern)
        return self.journal.find(lambda event: compiled.match(event.request).matched)

    def unmatched(self) -> list[ServeEvent]:
        """Requests that matched no stub since the last reset (the last 1,000, journal or not)."""
        if self.shared_misses is not None:
            return self.shared_misses()
        return list(self._misses)

    def remove_requests(self, predicate: Callable[[ServeEvent], bool]) -> list[ServeEvent]:
        """Remove the serve events ``predicate`` accepts from the journal (and the unmatched); returns them."""
        removed = self.journal.remove(predicate)
        for event in [e for e in self._misses if predicate(e)]:
            self._misses.remove(event)
        return removed

    def clear_requests(self) -> None:
        self.journal.clear()
        self._misses.clear()


def _compiles_surely(stub: Stub) -> bool:
    """Nothing in the stub can fail to compile: a method, a plain URL and a fixed answer."""
    request, response = stub.request, stub.response
    return (
        request.url.kind in _PLAIN_URLS
        and not stub.then
        and not stub.serve_event_listeners
        and stub.scenario_name is None
        and not request.path_parameters
        and not request.query_parameters
        and not request.headers
        and not request.cookies
        and not request.body_patterns
        and not request.form_parameters
        and not request.multipart_patterns
        and request.basic_auth is None
        and request.custom_matcher is None
        and request.graphql is None
        and request.scheme is None
        and request.host is None
        and request.port is None
        and request.client_ip is None
        and response.handler is None
        and response.proxy_base_url is None
        and response.sse is None
        and response.body_file_name is None
        and not response.transformers
    )


_PLAIN_URLS = frozenset({"url", "urlPath", "anyUrl"})


def _naming(definition: ResponseDefinition, stub_id: str) -> ResponseDefinition:
    """``definition`` with WireMock's ``Matched-Stub-Id`` header: added once, so a static answer stays
    prebuilt. A proxied answer is the upstream's, as it sent it."""
    if definition.proxy_base_url is not None or any(n.lower() == "matched-stub-id" for n, _ in definition.headers):
        return definition
    return replace(definition, headers=(*definition.headers, ("Matched-Stub-Id", stub_id)))
