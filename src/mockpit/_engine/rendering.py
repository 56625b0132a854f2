"""Response definitions turned into responses.

A static definition is rendered once, when its stub is added, and the same :class:`Response` is sent
every time. File bodies are read per request (the file may change while serving) and stay inside the
files root. Python handlers are called with the request, sync ones on a worker thread so that a slow
handler never holds up other requests.
"""

from __future__ import annotations

import asyncio
import base64
import inspect
import mimetypes
import random
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from mockpit._model import (
    DelayDistribution,
    Handler,
    HandlerResult,
    Request,
    Response,
    ResponseDefinition,
    SseStream,
    dump_json,
    lognormal_ms,
)

if TYPE_CHECKING:  # imported when a templated stub is loaded: Jinja2 and friends cost start-up time
    from mockpit._templating.template import Template

    from .sse import SseRenderer

Syntax = Literal["handlebars", "jinja"]


class ProxyLike(Protocol):
    """What the renderer needs of ``proxy.ProxyClient`` (imported only by servers that proxy)."""

    async def forward(self, request: Request, definition: ResponseDefinition) -> Response: ...


class RenderError(Exception):
    """A response could not be produced; the message is what the client and the test are told."""


class Renderer:
    """A compiled :class:`ResponseDefinition`.

    ``static`` is the finished response when nothing in it depends on the request (most stubs); else
    ``render()`` builds one per request: from a template, a file, a Python handler or an upstream.
    """

    __slots__ = (
        "_async",
        "_content_type",
        "_copy_only",
        "_file_name_template",
        "_file_templates",
        "_files_root",
        "_header_templates",
        "_headers",
        "_sse",
        "_syntax",
        "_template",
        "body_file",
        "definition",
        "delay",
        "handler",
        "proxy",
        "sample_delay",
        "static",
    )

    def __init__(
        self,
        definition: ResponseDefinition,
        files_root: Path | None = None,
        *,
        proxy: ProxyLike | None = None,
        templating: Syntax | None = None,
    ) -> None:
        """``templating`` renders every response with that syntax (WireMock's global templating)."""
        self.definition = definition
        self.handler: Handler | None = definition.handler
        # decided once: inspect's checks cost more than a small async handler (OpenAPI stubs) itself
        self._async = self.handler is not None and is_async_handler(self.handler)
        self.delay = (definition.fixed_delay_ms or 0) / 1000
        #: a random delay in seconds, drawn per request (``delayDistribution``)
        self.sample_delay: Callable[[], float] | None = delay_sampler(definition.delay_distribution)
        self.static: Response | None = None
        self.proxy: ProxyLike | None = None
        self._files_root = files_root
        self.body_file: Path | None = None
        self._content_type: str | None = None
        self._syntax = _syntax(definition, templating)
        self._template: Template | None = None
        self._header_templates: list[tuple[str, Template | str]] = []
        #: a templated response's headers when none of them is a template (set on compiling templates)
        self._headers: tuple[tuple[str, str], ...] = ()
        self._copy_only = False
        self._file_name_template: Template | None = None
        self._file_templates: dict[tuple[Path, int, int], Template] = {}
        self._sse: SseRenderer | None = None
        if self.handler is not None:
            return
        if definition.proxy_base_url is not None:
            if proxy is None:
                raise RenderError("proxyBaseUrl needs a proxy client; this server has none")
            self.proxy = proxy
            return
        if definition.sse is not None:
            self._sse = self._compile_sse(definition.sse)
            return
        if self._syntax is not None:
            self._compile_templates()
        if definition.body_file_name is not None:
            if self._file_name_template is None:
                self.body_file = resolve_body_file(files_root, definition.body_file_name)
            has_type = any(name.lower() == "content-type" for name, _ in definition.headers)
            if not has_type:
                self._content_type = mimetypes.guess_type(definition.body_file_name)[0]
            return
        if self._template is None and not self._header_templates:
            self.static = self._finish(_static_body(definition), _headers_with_type(definition))

    def _compile_sse(self, stream: SseStream) -> SseRenderer:
        from .sse import SseRenderer

        syntax = self._syntax
        return SseRenderer(stream, None if syntax is None else _template_compiler(syntax))

    def _sse_response(self, sse: SseRenderer, request: Request) -> Response:
        from .sse import sse_headers

        definition = self.definition
        try:
            stream = sse.stream(request, definition.transformer_parameters)
        except ValueError as exc:  # TemplateError
            raise RenderError(f"the event stream could not be rendered: {exc}") from None
        return Response(
            definition.status, headers=sse_headers(definition.headers), reason=definition.status_message, stream=stream
        )

    def _compile_templates(self) -> None:
        assert self._syntax is not None
        definition = self.definition
        compiled = _template_compiler(self._syntax)
        self._headers = tuple(_headers_with_type(definition))

        if definition.body is not None:
            self._template = compiled(definition.body, "body")
        elif definition.json_body is not None:
            # WireMock renders jsonBody as its JSON text, so a template may sit in any string of it
            self._template = compiled(dump_json(definition.json_body).decode("utf-8"), "jsonBody")
        if definition.body_file_name is not None:
            self._file_name_template = compiled(definition.body_file_name, "bodyFileName")
        headers: list[tuple[str, Template | str]] = []
        for name, value in _headers_with_type(definition):
            headers.append((name, compiled(value, f"headers.{name}") or value))
        if any(not isinstance(value, str) for _, value in headers):
            self._header_templates = headers
        templates = [v for _, v in headers if not isinstance(v, str)]
        if self._template is not None:
            templates.append(self._template)
        self._copy_only = definition.body_file_name is None and all(t.copy is not None for t in templates)

    async def render(self, request: Request) -> Response:
        if self.static is not None:
            return self.static
        if self.handler is not None:
            if self._async:
                return to_response(await self.handler(request))  # type: ignore[misc]
            return await call_handler(self.handler, request)
        if self.proxy is not None:
            return await self.proxy.forward(request, self.definition)
        if self._sse is not None:
            return self._sse_response(self._sse, request)
        if self._syntax is None:
            return self._file_response()
        return self._templated_response(request)

    def _templated_response(self, request: Request) -> Response:
        if self._copy_only:
            return self._copied_response(request)
        from mockpit._templating.template import template_context

        definition = self.definition
        context = template_context(request, parameters=definition.transformer_parameters)
        try:
            headers: list[tuple[str, str]] = (
                [(name, v if isinstance(v, str) else v.render(context)) for name, v in self._header_templates]
                if self._header_templates
                else list(self._headers)
            )
            if definition.body_file_name is not None:
                name = definition.body_file_name
                if self._file_name_template is not None:
                    name = self._file_name_template.render(context)
                path = self._readable_file(name)
                if (definition.transformer_parameters or {}).get("disableBodyFileTemplating"):
                    body = path.read_bytes()  # WireMock's switch: a templated name, the file sent as it is
                else:
                    body = self._file_template(path).render(context).encode("utf-8")
                if self._content_type:
                    headers.append(("Content-Type", self._content_type))
            elif self._template is not None:
                body = self._template.render(context).encode("utf-8")
            else:
                body = _static_body(definition)
        except ValueError as exc:  # TemplateError
            raise RenderError(f"the response template could not be rendered: {exc}") from None
        return self._finish(body, headers)

    def _copied_response(self, request: Request) -> Response:
        """A response whose templates only copy request parts: rendered without a template context."""
        template = self._template
        body = _copy(template, request).encode("utf-8") if template is not None else _static_body(self.definition)
        if body == request.body:  # an echo: the journal then keeps one copy of the body, not two
            body = request.body
        headers = (
            [(name, v if isinstance(v, str) else _copy(v, request)) for name, v in self._header_templates]
            if self._header_templates
            else self._headers
        )
        return self._finish(body, headers)

    def _file_template(self, path: Path) -> Template:
        from mockpit._templating.template import compile_template

        assert self._syntax is not None
        stat = path.stat()
        key = (path, stat.st_mtime_ns, stat.st_size)
        template = self._file_templates.get(key)
        if template is None:
            try:
                template = compile_template(path.read_text("utf-8", errors="replace"), self._syntax)
            except ValueError as exc:
                raise RenderError(f"the body file {path.name} is not a valid template: {exc}") from None
            if len(self._file_templates) > 16:  # a templated file name can reach many files; keep a few
                self._file_templates.clear()
            self._file_templates[key] = template
        return template

    def _finish(self, body: bytes, headers: Sequence[tuple[str, str]]) -> Response:
        definition = self.definition
        dribble = definition.chunked_dribble_delay
        return Response(
            definition.status,
            body,
            headers=headers,
            reason=definition.status_message,
            fault=definition.fault,
            dribble=(dribble[0], dribble[1] / 1000) if dribble else None,
        )

    def _readable_file(self, name: str) -> Path:
        # resolved again: a link put in the file's place since loading must not lead out of the root
        path = resolve_body_file(self._files_root, name)
        if not path.is_file():
            raise RenderError(f"bodyFileName {name!r} does not exist; put the file under {self._files_root}")
        return path

    def _file_response(self) -> Response:
        definition = self.definition
        name = definition.body_file_name or ""
        try:
            body = resolve_body_file(self._files_root, name).read_bytes()
        except OSError as exc:
            raise RenderError(
                f"bodyFileName {name!r} could not be read ({exc.strerror}); put the file under {self._files_root}"
            ) from None
        headers = list(definition.headers)
        if self._content_type:
            headers.append(("Content-Type", self._content_type))
        return self._finish(body, headers)


class Responder:
    """What a stub answers with: one renderer, or several in turn (a sequence), plus its listeners.

    The engine's hot path reads ``static`` and ``delay``: for a one-response stub they are its renderer's.
    """

    __slots__ = (
        "_lock",
        "_next",
        "cycle",
        "delay",
        "listeners",
        "own_delay",
        "renderers",
        "sample_delay",
        "shared_step",
        "static",
    )

    def __init__(self, renderers: list[Renderer], *, cycle: bool = False, listeners: tuple[Any, ...] = ()) -> None:
        self.renderers = renderers
        self.cycle = cycle
        #: compiled serve event listeners (webhooks), fired by the engine after the response
        self.listeners = listeners
        self._next = 0
        self._lock = threading.Lock()
        #: a fleet's step in its store, ``(last, cycle) -> position`` (``None``: take it locally)
        self.shared_step: Callable[[int, bool], int | None] | None = None
        first = renderers[0]
        single = len(renderers) == 1
        self.static = first.static if single else None
        self.delay = first.delay if single else 0.0
        self.sample_delay = first.sample_delay if single else None
        #: a delay of its own (even 0) overrides the global one, as in WireMock
        self.own_delay = any(
            r.definition.fixed_delay_ms is not None or r.definition.delay_distribution is not None for r in renderers
        )

    async def render(self, request: Request) -> Response:
        renderer = self.renderers[0] if len(self.renderers) == 1 else self._take()
        response = await renderer.render(request)
        if len(self.renderers) > 1:  # a sequence's delays are its steps' own
            delay = renderer.sample_delay() if renderer.sample_delay is not None else renderer.delay
            if delay:
                await asyncio.sleep(delay)
        return response

    def _take(self) -> Renderer:
        # The step is taken when the request arrives, so concurrent retries each get their own step.
        if self.shared_step is not None:
            shared = self.shared_step(len(self.renderers) - 1, self.cycle)
            if shared is not None:
                return self.renderers[shared]
        with self._lock:
            index = self._next
            last = len(self.renderers) - 1
            if index < last:
                self._next = index + 1
            elif self.cycle:
                self._next = 0
        return self.renderers[index]

    def reset(self) -> None:
        """Back to the first response of the sequence."""
        with self._lock:
            self._next = 0


def _template_compiler(syntax: Syntax) -> Callable[[str, str], Template | None]:
    """``compiled(source, where)``: the template in ``source``, ``None`` for plain text; an error names ``where``."""
    from mockpit._templating.template import compile_template, is_template

    def compiled(source: str, where: str) -> Template | None:
        if not is_template(source):
            return None
        try:
            return compile_template(source, syntax)
        except ValueError as exc:
            raise RenderError(f"{where}: {exc}") from None

    return compiled


def _syntax(definition: ResponseDefinition, templating: Syntax | None) -> Syntax | None:
    if "jinja" in definition.transformers:
        return "jinja"
    if "response-template" in definition.transformers:
        return "handlebars"
    return templating


def delay_sampler(distribution: DelayDistribution | None) -> Callable[[], float] | None:
    """A function giving a random delay in seconds, drawn from ``distribution`` (None for none)."""
    if distribution is None:
        return None
    rng = random.Random()
    if distribution.type == "uniform":
        lower, upper = distribution.lower, distribution.upper
        return lambda: rng.uniform(lower, upper) / 1000
    median, sigma, cap = distribution.median, distribution.sigma, distribution.max_value
    return lambda: lognormal_ms(rng.gauss, median, sigma, cap) / 1000


def resolve_body_file(files_root: Path | None, name: str) -> Path:
    """The file ``name`` under ``files_root``; refuses anything that would escape it (``..``, links)."""
    if files_root is None:
        raise RenderError(
            f"bodyFileName {name!r} needs a files root: serve a folder that has __files/, "
            "or pass files_root= to MockServer"
        )
    root = files_root.resolve()
    path = (root / name).resolve()
    if not path.is_relative_to(root):
        raise RenderError(f"bodyFileName {name!r} points outside {root}; file bodies must stay inside it")
    return path


def _copy(template: Template, request: Request) -> str:
    copy = template.copy
    assert copy is not None  # a renderer takes this path only when every template has one
    return copy(request)


def _static_body(definition: ResponseDefinition) -> bytes:
    if definition.json_body is not None:
        return dump_json(definition.json_body)
    if definition.base64_body is not None:
        return base64.b64decode(definition.base64_body)
    return (definition.body or "").encode("utf-8")


def _headers_with_type(definition: ResponseDefinition) -> list[tuple[str, str]]:
    headers = list(definition.headers)
    if definition.json_body is not None and not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("Content-Type", "application/json"))
    return headers


async def call_handler(handler: Handler, request: Request) -> Response:
    """Call a user handler, sync on a worker thread or async on the loop, and make a Response of it."""
    if is_async_handler(handler):
        result = await handler(request)  # type: ignore[misc]
    else:
        from .handlers import run_handler

        result = await run_handler(handler, request)
        if inspect.isawaitable(result):
            result = await result
    return to_response(result)


def is_async_handler(handler: Handler) -> bool:
    """An ``async def`` function, or an object whose ``__call__`` is one."""
    return inspect.iscoroutinefunction(handler) or inspect.iscoroutinefunction(
        getattr(handler, "__call__", None)  # noqa: B004 - an object whose __call__ is async
    )


def to_response(result: HandlerResult | None) -> Response:
    if isinstance(result, Response):
        return result
    if isinstance(result, (dict, list)):
        return Response(json=result)
    if isinstance(result, (str, bytes)):
        return Response(200, result)
    if inspect.isasyncgen(result):  # an async generator handler streams Server-Sent Events
        from .sse import handler_stream

        return handler_stream(result)
    if result is None:
        return Response(204)
    raise TypeError(
        f"a handler must return a mockpit.Response, a dict or list (sent as JSON), str or bytes; "
        f"it returned {type(result).__name__}"
    )
