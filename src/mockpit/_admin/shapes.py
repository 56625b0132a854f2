"""The JSON shapes of WireMock's admin API, as its clients read them: serve events, logged requests,
near misses, scenarios, settings, pages of stub mappings and what a recording gives back."""

from __future__ import annotations

import base64
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs

from mockpit._engine.engine import Settings
from mockpit._engine.journal import ServeEvent
from mockpit._engine.scenarios import Scenario
from mockpit._mapping.write import delay_to_mapping, headers_to_mapping, pattern_to_mapping, stub_to_mapping
from mockpit._matching.checks import host_and_port
from mockpit._matching.near_miss import NearMiss
from mockpit._model import Request, Stub
from mockpit._recording.collector import RecordedStub
from mockpit._recording.redaction import is_secret_header

#: what a credential in a journaled request is shown as, unless the server shows credentials
MASKED = "****"


def near_miss_to_json(miss: NearMiss, *, show_credentials: bool = False) -> dict[str, Any]:
    """One entry of WireMock's ``nearMisses``: the logged request, the stub (or the pattern searched for)
    and ``matchResult.distance``."""
    out: dict[str, Any] = {"request": request_to_json(miss.request, show_credentials=show_credentials)}
    if miss.stub is not None:
        out["stubMapping"] = stub_to_mapping(miss.stub)
    if miss.pattern is not None:
        out["requestPattern"] = pattern_to_mapping(miss.pattern)
    out["matchResult"] = {"distance": miss.distance}
    return out


def request_to_json(request: Request, *, show_credentials: bool = False) -> dict[str, Any]:
    """A request as WireMock logs it (the ``request`` of a serve event or of a near miss).

    Credentials (``Authorization``, cookies, API keys and tokens in headers) are masked unless
    ``show_credentials``: the journal holds every client's, and the admin API is no place to hand them out.
    """
    host = request.headers.get("host", "")
    logged = request.timestamp
    headers = [(_canonical(name), value) for name, value in request.headers.multi_items()]
    cookies = request.cookies
    if not show_credentials:
        headers = [(name, _masked(value) if is_secret_header(name) else value) for name, value in headers]
        cookies = dict.fromkeys(cookies, MASKED)
    host_name, port = host_and_port(request)
    form: dict[str, list[str]] = {}
    if request.content_type == "application/x-www-form-urlencoded":
        form = parse_qs(request.text, keep_blank_values=True)
    return {
        "url": request.url,
        "absoluteUrl": f"{request.scheme}://{host}{request.url}" if host else request.url,
        "method": request.method,
        "clientIp": request.client[0] if request.client else None,
        "headers": headers_to_mapping(headers),
        "cookies": cookies,
        "browserProxyRequest": False,
        "loggedDate": int(logged * 1000),
        "loggedDateString": iso_timestamp(logged),
        "bodyAsBase64": base64.b64encode(request.body).decode("ascii"),
        "body": request.text,
        "queryParams": {k: {"key": k, "values": v} for k, v in request.query.items()},
        # WireMock's Java LoggedRequest reads these (formParameter(), getProtocol(), getHost() ...)
        "formParams": {k: {"key": k, "values": v} for k, v in form.items()},
        "protocol": "HTTP/1.1",
        "scheme": request.scheme,
        "host": host_name,
        "port": port,
    }


def _masked(value: str) -> str:
    """``Bearer ****``: the scheme of a credential says what kind it was, and is no secret."""
    scheme, space, _ = value.partition(" ")
    return f"{scheme} {MASKED}" if space and scheme.isalpha() and len(scheme) < 20 else MASKED


def _canonical(name: str) -> str:
    # uvicorn hands header names over lower-cased, so the case a client sent is gone. WireMock logs them
    # as sent, and clients look them up that way (``headers["X-Trace"]``): the usual spelling serves them.
    return "-".join(part[:1].upper() + part[1:] for part in name.split("-")) if name.islower() else name


def iso_timestamp(timestamp: float) -> str:
    """``2024-05-01T12:00:00.123Z``, as WireMock writes dates."""
    return datetime.fromtimestamp(timestamp, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def serve_event_to_json(event: ServeEvent, *, show_credentials: bool = False) -> dict[str, Any]:
    """A serve event as WireMock lists it in ``/__admin/requests``: the request, the response, the stub."""
    out: dict[str, Any] = {
        "id": event.id,
        "request": request_to_json(event.request, show_credentials=show_credentials),
        "response": {
            "status": event.response.status,
            "headers": headers_to_mapping(event.response.headers),
            "bodyAsBase64": base64.b64encode(event.response.body).decode("ascii"),
            "body": event.response.text,
        },
        "wasMatched": event.matched,
    }
    outcome = event.stream_outcome
    if outcome is not None:  # an event stream: what it sent so far (its Response has no body)
        sent = bytes(getattr(event.response.stream, "sent", b""))
        out["response"] |= {
            "streamOutcome": outcome,
            "bodyAsBase64": base64.b64encode(sent).decode("ascii"),
            "body": sent.decode("utf-8", errors="replace"),
        }
    if event.stub is not None:
        mapping = stub_to_mapping(event.stub)
        out["stubMapping"] = mapping
        out["responseDefinition"] = mapping["response"]
    else:
        # WireMock's Java ServeEvent derives getWasMatched() from this; without it, it throws
        out["responseDefinition"] = {"status": 404, "fromConfiguredStub": False}
    # mockpit does not time the phases of a request; WireMock's clients need the object present
    out["timing"] = {"addedDelay": 0, "processTime": 0, "responseSendTime": 0, "serveTime": 0, "totalTime": 0}
    out["subEvents"] = []
    return out


def mappings_to_json(stubs: list[Stub], *, total: int) -> dict[str, Any]:
    """A page of stub mappings and how many there are in all (``GET /__admin/mappings``)."""
    return {"mappings": [stub_to_mapping(s) for s in stubs], "meta": {"total": total}}


def scenario_to_json(scenario: Scenario, stubs: list[Stub]) -> dict[str, Any]:
    """One of ``GET /__admin/scenarios``: its state, the states its stubs name, and those stubs."""
    return {
        "id": scenario.id,
        "name": scenario.name,
        "state": scenario.state,
        "possibleStates": scenario.possible_states,
        "mappings": [stub_to_mapping(stub) for stub in stubs],
    }


def settings_to_json(settings: Settings) -> dict[str, Any]:
    """The global settings, as ``GET /__admin/settings`` gives them inside ``settings``."""
    out: dict[str, Any] = {}
    if settings.fixed_delay_ms is not None:
        out["fixedDelay"] = settings.fixed_delay_ms
    if settings.delay_distribution is not None:
        out["delayDistribution"] = delay_to_mapping(settings.delay_distribution)
    out["extended"] = settings.extended
    out["proxyPassThrough"] = settings.proxy_pass_through
    return out


def recorded_to_json(stubs: list[RecordedStub], output_format: str) -> dict[str, Any]:
    """What stop and snapshot answer, as WireMock: the stub mappings, or with ``"outputFormat": "IDS"`` their ids."""
    if output_format == "IDS":
        return {"ids": [recorded.stub.id for recorded in stubs]}
    return {"mappings": [stub_to_mapping(recorded.stub) for recorded in stubs]}
