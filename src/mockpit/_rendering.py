"""Response definitions turned into responses.

A static definition is rendered once, when its stub is added, and the same :class:`Response` is sent
every time. File bodies are read per request (the file may change while serving) and stay inside the
files root. Python handlers are called with the request, sync ones on a worker thread so that a slow
handler never holds up other requests.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import inspect
import mimetypes
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ._model import Request, Response, ResponseDefinition, dump_json
from ._types import Handler, HandlerResult

#: threads for sync handlers. Blocking is what they are for in a mock (``time.sleep``, waiting on an
#: event), and asyncio's default pool has only CPUs + 4 threads: on a 2-CPU runner the 7th blocked
#: handler would hold up every other one. Threads are started only as they are needed.
HANDLER_THREADS = 256


class RenderError(Exception):
    """A response could not be produced; the message is what the client and the test are told."""


class Renderer:
    """A compiled :class:`ResponseDefinition`."""

    __slots__ = ("_async", "_content_type", "_files_root", "body_file", "definition", "delay", "handler", "static")

    def __init__(self, definition: ResponseDefinition, files_root: Path | None = None) -> None:
        self.definition = definition
        self.handler: Handler | None = definition.handler
        # decided once: inspect's checks cost more than a small async handler (OpenAPI stubs) itself
        self._async = self.handler is not None and is_async_handler(self.handler)
        self.delay = (definition.fixed_delay_ms or 0) / 1000
        self.static: Response | None = None
        self._files_root = files_root
        self.body_file: Path | None = None
        self._content_type: str | None = None
        if self.handler is not None:
            return
        if definition.body_file_name is not None:
            self.body_file = resolve_body_file(files_root, definition.body_file_name)
            has_type = any(name.lower() == "content-type" for name, _ in definition.headers)
            if not has_type:
                self._content_type = mimetypes.guess_type(definition.body_file_name)[0]
            return
        self.static = Response(
            definition.status,
            _static_body(definition),
            headers=_headers_with_type(definition),
            reason=definition.status_message,
        )

    async def render(self, request: Request) -> Response:
        if self.static is not None:
            return self.static
        if self.handler is not None:
            if self._async:
                return to_response(await self.handler(request))  # type: ignore[misc]
            return await call_handler(self.handler, request)
        return self._file_response()

    def _file_response(self) -> Response:
        assert self.body_file is not None
        definition = self.definition
        try:
            # resolved again: a link put in the file's place since loading must not lead out of the root
            body = resolve_body_file(self._files_root, definition.body_file_name or "").read_bytes()
        except OSError as exc:
            raise RenderError(
                f"bodyFileName {definition.body_file_name!r} could not be read ({exc.strerror}); "
                f"put the file under {self._files_root}"
            ) from None
        headers = list(definition.headers)
        if self._content_type:
            headers.append(("Content-Type", self._content_type))
        return Response(definition.status, body, headers=headers, reason=definition.status_message)


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
        result = await asyncio.get_running_loop().run_in_executor(_handler_pool(), handler, request)
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
    if result is None:
        return Response(204)
    raise TypeError(
        f"a handler must return a mockpit.Response, a dict or list (sent as JSON), str or bytes; "
        f"it returned {type(result).__name__}"
    )


@functools.cache
def _handler_pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(HANDLER_THREADS, thread_name_prefix="mockpit-handler")
