"""The admin API under ``/__admin``, in WireMock's JSON shapes, over the engine.

A payload that is not valid JSON or not a valid stub is a 400 whose ``errors[].source.pointer``
names the field, as WireMock's are; nothing is changed by a request that fails.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from typing import Any

from . import __version__
from ._engine import Engine
from ._errors import MappingError
from ._journal import ServeEvent
from ._mapping_format import stub_from_mapping, stub_to_mapping
from ._model import Request, Response

_Route = Callable[[Request, str | None], Awaitable[Response] | Response]


class AdminApi:
    def __init__(self, engine: Engine, prefix: str = "/__admin") -> None:
        self.engine = engine
        self.prefix = prefix
        self.started = time.time()
        # (collection, has id) -> method -> handler
        self._routes: dict[tuple[str, bool], dict[str, Callable[[Request, str | None], Response]]] = {
            ("mappings", False): {
                "GET": self.list_mappings,
                "POST": self.create_mapping,
                "DELETE": self.delete_all_mappings,
            },
            ("mappings", True): {"GET": self.get_mapping, "PUT": self.update_mapping, "DELETE": self.delete_mapping},
            ("requests", False): {"GET": self.list_requests, "DELETE": self.clear_requests},
            ("reset", False): {"POST": self.reset},
            ("health", False): {"GET": self.health},
        }

    async def handle(self, request: Request) -> Response:
        rest = request.path[len(self.prefix) :].strip("/")
        parts = rest.split("/") if rest else []
        if not parts or len(parts) > 2:
            return _error(404, f"no admin endpoint at {request.path}", "Not found")
        key = (parts[0], len(parts) == 2)
        routes = self._routes.get(key)
        if routes is None:
            return _error(404, f"no admin endpoint at {request.path}", "Not found")
        handler = routes.get(request.method)
        if handler is None:
            allowed = ", ".join(sorted(routes))
            response = _error(
                405, f"{request.method} is not allowed on {request.path}; use {allowed}", "Method not allowed"
            )
            response.headers.append(("Allow", allowed))
            return response
        return handler(request, parts[1] if len(parts) == 2 else None)

    # --- mappings ----------------------------------------------------------------------------------

    def list_mappings(self, request: Request, _: str | None) -> Response:
        stubs = self.engine.stubs()
        return _json({"mappings": [stub_to_mapping(s) for s in stubs], "meta": {"total": len(stubs)}})

    def create_mapping(self, request: Request, _: str | None) -> Response:
        payload = _payload(request)
        if isinstance(payload, Response):
            return payload
        try:
            stub = self.engine.add_stub(stub_from_mapping(payload, source="admin API"))
        except MappingError as exc:
            return _invalid(exc)
        return _json(stub_to_mapping(stub), 201)

    def delete_all_mappings(self, request: Request, _: str | None) -> Response:
        for stub in self.engine.stubs():
            self.engine.remove_stub(stub.id)
        return _json({})

    def get_mapping(self, request: Request, stub_id: str | None) -> Response:
        stub = self.engine.get_stub(stub_id or "")
        if stub is None:
            return _error(404, f"no stub mapping with id {stub_id}", "Not found")
        return _json(stub_to_mapping(stub))

    def update_mapping(self, request: Request, stub_id: str | None) -> Response:
        if self.engine.get_stub(stub_id or "") is None:
            return _error(
                404, f"no stub mapping with id {stub_id}; create it with POST {self.prefix}/mappings", "Not found"
            )
        payload = _payload(request)
        if isinstance(payload, Response):
            return payload
        try:
            stub = self.engine.add_stub(stub_from_mapping(payload, source="admin API", stub_id=stub_id))
        except MappingError as exc:
            return _invalid(exc)
        return _json(stub_to_mapping(stub))

    def delete_mapping(self, request: Request, stub_id: str | None) -> Response:
        if self.engine.remove_stub(stub_id or "") is None:
            return _error(404, f"no stub mapping with id {stub_id}", "Not found")
        return _json({})

    # --- requests ----------------------------------------------------------------------------------

    def list_requests(self, request: Request, _: str | None) -> Response:
        events = self.engine.journal.events()
        events.reverse()  # newest first, as WireMock lists them
        return _json(
            {
                "requests": [serve_event_to_json(e) for e in events],
                "meta": {"total": len(events)},
                "requestJournalDisabled": self.engine.journal.capacity == 0,
            }
        )

    def clear_requests(self, request: Request, _: str | None) -> Response:
        self.engine.clear_requests()
        return _json({})

    # --- the rest ----------------------------------------------------------------------------------

    def reset(self, request: Request, _: str | None) -> Response:
        self.engine.reset()
        return _json({})

    def health(self, request: Request, _: str | None) -> Response:
        now = time.time()
        return _json(
            {
                "status": "healthy",
                "message": "mockpit is ok",
                "version": __version__,
                "uptimeInSeconds": int(now - self.started),
                "timestamp": _iso(now),
            }
        )


def serve_event_to_json(event: ServeEvent) -> dict[str, Any]:
    req = event.request
    host = req.headers.get("host", "")
    logged = req.timestamp
    out: dict[str, Any] = {
        "id": event.id,
        "request": {
            "url": req.url,
            "absoluteUrl": f"{req.scheme}://{host}{req.url}" if host else req.url,
            "method": req.method,
            "clientIp": req.client[0] if req.client else None,
            "headers": _multi(req.headers.multi_items()),
            "cookies": req.cookies,
            "browserProxyRequest": False,
            "loggedDate": int(logged * 1000),
            "loggedDateString": _iso(logged),
            "bodyAsBase64": base64.b64encode(req.body).decode("ascii"),
            "body": req.text,
            "queryParams": {k: {"key": k, "values": v} for k, v in req.query.items()},
        },
        "response": {
            "status": event.response.status,
            "headers": _multi(event.response.headers),
            "bodyAsBase64": base64.b64encode(event.response.body).decode("ascii"),
            "body": event.response.text,
        },
        "wasMatched": event.matched,
    }
    if event.stub is not None:
        mapping = stub_to_mapping(event.stub)
        out["stubMapping"] = mapping
        out["responseDefinition"] = mapping["response"]
    return out


def _multi(pairs: list[tuple[str, str]]) -> dict[str, str | list[str]]:
    out: dict[str, str | list[str]] = {}
    for name, value in pairs:
        previous = out.get(name)
        if previous is None:
            out[name] = value
        else:
            out[name] = [*([previous] if isinstance(previous, str) else previous), value]
    return out


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _payload(request: Request) -> Any:
    try:
        return json.loads(request.body, parse_constant=_reject_constant)
    except ValueError as exc:
        return _error(400, f"the request body is not valid JSON: {exc}", "Error parsing JSON")


def _reject_constant(name: str) -> Any:
    # Python's json reads NaN and Infinity, which are not JSON: a stub holding one would be listed
    # back as invalid JSON by GET /__admin/mappings.
    raise ValueError(f"{name} is not a JSON value")


def _invalid(exc: MappingError) -> Response:
    return _error(400, exc.message, "Invalid stub mapping", pointer=exc.pointer)


def _error(status: int, detail: str, title: str, pointer: str | None = None) -> Response:
    error: dict[str, Any] = {"code": 10 if status == 400 else status, "title": title, "detail": detail}
    if pointer is not None:
        error["source"] = {"pointer": pointer}
    return _json({"errors": [error]}, status)


def _json(value: Any, status: int = 200) -> Response:
    return Response(
        status, json.dumps(value, ensure_ascii=False, indent=2), headers=[("Content-Type", "application/json")]
    )
