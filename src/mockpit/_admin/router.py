"""The admin API's routing and answers: method + path template -> handler, JSON in and errors out.

Routes are a method and a path template (``/mappings/{id}``). Among the templates that fit a path and
have its method, the most literal wins, as in WireMock: ``GET /requests/unmatched`` is never the request
whose id is "unmatched". A path no template fits is a 404; a method none of them has, a 405 with ``Allow``.

Errors are WireMock's ``{"errors": [{"code", "title", "detail", "source": {"pointer"}}]}``, the pointer
naming the payload field (a query parameter is named by ``source.parameter``).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote

from mockpit._errors import MappingError
from mockpit._model import Request, Response

#: answers one route: the request and the values of the template's variables
Handler = Callable[[Request, dict[str, str]], "Response | Awaitable[Response]"]


class AdminError(Exception):
    """Ends an admin request with a JSON error; raised by the handlers, answered by :meth:`AdminApi.handle`."""

    def __init__(
        self, status: int, title: str, detail: str, *, pointer: str | None = None, parameter: str | None = None
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.pointer = pointer
        self.parameter = parameter

    def to_response(self) -> Response:
        error: dict[str, Any] = {"code": 10 if self.status == 400 else self.status, "title": self.title}
        error["detail"] = self.detail
        if self.pointer is not None:
            error["source"] = {"pointer": self.pointer}
        elif self.parameter is not None:
            error["source"] = {"parameter": self.parameter}
        return json_response({"errors": [error]}, self.status)


class Router:
    """Method + path template -> handler. Templates are ``/``-separated; ``{name}`` matches one segment."""

    def __init__(self) -> None:
        # template segments -> method -> handler; the templates stay in the order they were added
        self._routes: dict[tuple[str, ...], dict[str, Handler]] = {}
        self._templates: dict[tuple[str, ...], str] = {}

    def add(self, method: str, template: str, handler: Handler) -> None:
        segments = tuple(_split(template))
        methods = self._routes.setdefault(segments, {})
        if method in methods:
            raise ValueError(f"{method} {template} is routed twice")
        methods[method] = handler
        self._templates[segments] = template

    def routes(self) -> list[tuple[str, str]]:
        """Every (method, template) routed, e.g. ``("PUT", "/scenarios/{name}/state")``."""
        return [(method, self._templates[segments]) for segments, methods in self._routes.items() for method in methods]

    def resolve(self, method: str, path: str, shown: str) -> tuple[Handler, dict[str, str]]:
        """The handler for ``path`` (relative to the prefix) and its variables; ``shown`` names it in errors."""
        parts = [unquote(part) for part in _split(path)]
        fitting = [segments for segments in self._routes if _fits(segments, parts)]
        if not fitting:
            raise AdminError(404, "Not found", f"no admin endpoint at {shown}")
        with_method = [segments for segments in fitting if method in self._routes[segments]]
        if not with_method:
            allowed = ", ".join(sorted({m for segments in fitting for m in self._routes[segments]}))
            raise _MethodNotAllowed(method, shown, allowed)
        # the most literal template wins, as in WireMock: POST /mappings/save is not an update of stub "save"
        segments = max(with_method, key=lambda s: tuple(not _is_variable(part) for part in s))
        params = {s[1:-1]: p for s, p in zip(segments, parts, strict=True) if _is_variable(s)}
        return self._routes[segments][method], params


class _MethodNotAllowed(AdminError):
    def __init__(self, method: str, shown: str, allowed: str) -> None:
        super().__init__(405, "Method not allowed", f"{method} is not allowed on {shown}; use {allowed}")
        self.allowed = allowed

    def to_response(self) -> Response:
        response = super().to_response()
        response.headers.append(("Allow", self.allowed))
        return response


def _split(path: str) -> list[str]:
    """A path's segments; a trailing slash does not count, but the bare prefix (``""``) is not its root ``/``."""
    if not path:
        return [""]  # /__admin, which WireMock redirects to /__admin/
    stripped = path.strip("/")
    return stripped.split("/") if stripped else []


def _is_variable(segment: str) -> bool:
    return segment.startswith("{") and segment.endswith("}")


def _fits(segments: tuple[str, ...], parts: list[str]) -> bool:
    if len(segments) != len(parts):
        return False
    return all(bool(p) if _is_variable(s) else s == p for s, p in zip(segments, parts, strict=True))


def json_response(value: Any, status: int = 200) -> Response:
    return Response(
        status, json.dumps(value, ensure_ascii=False, indent=2), headers=[("Content-Type", "application/json")]
    )


async def reload_files(reload: Callable[[], None] | None) -> None:
    """Read the mapping files again (off the event loop: a big folder takes a while); a broken one is a 409."""
    if reload is None:
        return
    try:
        await asyncio.to_thread(reload)
    except MappingError as exc:
        raise AdminError(
            409, "Broken mapping files", f"{exc}; the stubs from before stay until the files are fixed"
        ) from None


def write_failed(exc: OSError) -> AdminError:
    where = f" {exc.filename}" if exc.filename else ""
    return AdminError(
        500,
        "Could not save",
        f"cannot write the mapping file{where}: {exc.strerror or exc}; nothing was changed for this request",
    )
