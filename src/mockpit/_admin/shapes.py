"""The JSON shapes of WireMock's admin API: logged requests, near misses and the like, as its clients read them."""

from __future__ import annotations

import base64
from datetime import datetime, timezone
from typing import Any

from mockpit._mapping.write import headers_to_mapping, pattern_to_mapping, stub_to_mapping
from mockpit._matching.near_miss import NearMiss
from mockpit._model import Request


def near_miss_to_json(miss: NearMiss) -> dict[str, Any]:
    """One entry of WireMock's ``nearMisses``: the logged request, the stub (or the pattern searched for)
    and ``matchResult.distance``."""
    out: dict[str, Any] = {"request": request_to_json(miss.request)}
    if miss.stub is not None:
        out["stubMapping"] = stub_to_mapping(miss.stub)
    if miss.pattern is not None:
        out["requestPattern"] = pattern_to_mapping(miss.pattern)
    out["matchResult"] = {"distance": miss.distance}
    return out


def request_to_json(request: Request) -> dict[str, Any]:
    """A request as WireMock logs it (the ``request`` of a serve event or of a near miss)."""
    host = request.headers.get("host", "")
    logged = request.timestamp
    return {
        "url": request.url,
        "absoluteUrl": f"{request.scheme}://{host}{request.url}" if host else request.url,
        "method": request.method,
        "clientIp": request.client[0] if request.client else None,
        "headers": headers_to_mapping([(_canonical(name), value) for name, value in request.headers.multi_items()]),
        "cookies": request.cookies,
        "browserProxyRequest": False,
        "loggedDate": int(logged * 1000),
        "loggedDateString": iso_timestamp(logged),
        "bodyAsBase64": base64.b64encode(request.body).decode("ascii"),
        "body": request.text,
        "queryParams": {k: {"key": k, "values": v} for k, v in request.query.items()},
    }


def _canonical(name: str) -> str:
    # uvicorn hands header names over lower-cased, so the case a client sent is gone. WireMock logs them
    # as sent, and clients look them up that way (``headers["X-Trace"]``): the usual spelling serves them.
    return "-".join(part[:1].upper() + part[1:] for part in name.split("-")) if name.islower() else name


def iso_timestamp(timestamp: float) -> str:
    """``2024-05-01T12:00:00.123Z``, as WireMock writes dates."""
    return datetime.fromtimestamp(timestamp, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
