"""``/__admin/requests`` and ``/__admin/near-misses``: the request journal, searched and pruned, and the
stubs or requests that came closest to matching."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from mockpit._engine.engine import Engine
from mockpit._errors import MappingError
from mockpit._mapping.read import pattern_from_mapping
from mockpit._matching.pattern import compile_pattern
from mockpit._model import Request, RequestPattern, Response

from .params import int_param, metadata_matcher, query_parameters, read_json, since_param
from .router import AdminError, json_response
from .shapes import near_miss_to_json, request_to_json, serve_event_to_json


class Requests:
    """The requests ``engine`` received, as its journal keeps them."""

    def __init__(self, engine: Engine, *, show_credentials: bool = False) -> None:
        self.engine = engine
        self.show = show_credentials

    def list_requests(self, request: Request, _: dict[str, str]) -> Response:
        events = self.engine.journal.events()
        events.reverse()  # newest first, as WireMock lists them
        query = query_parameters(request)
        if query.get("unmatched", [""])[0].lower() == "true":
            events = [e for e in events if not e.matched]
        stub_id = query.get("matchingStub", [None])[0]
        if stub_id is not None:
            events = [e for e in events if e.stub is not None and e.stub.id == stub_id]
        total = len(events)
        since = since_param(request)
        if since is not None:
            # in milliseconds, as loggedDate: since=<a request's loggedDateString> leaves that request out
            events = [e for e in events if int(e.timestamp * 1000) > since]
        limit = int_param(request, "limit")
        if limit is not None:
            events = events[:limit]
        return json_response(
            {
                "requests": [serve_event_to_json(e, show_credentials=self.show) for e in events],
                "meta": {"total": total},
                "requestJournalDisabled": self._journal_disabled,
            }
        )

    def clear_requests(self, request: Request, _: dict[str, str]) -> Response:
        self.engine.clear_requests()
        return json_response({})

    def get_request(self, request: Request, params: dict[str, str]) -> Response:
        event = self.engine.journal.get(params["id"])
        if event is None:
            raise AdminError(404, "Not found", f"no request with id {params['id']} in the journal")
        return json_response(serve_event_to_json(event, show_credentials=self.show))

    def delete_request(self, request: Request, params: dict[str, str]) -> Response:
        event_id = params["id"]
        if not self.engine.remove_requests(lambda event: event.id == event_id):
            raise AdminError(404, "Not found", f"no request with id {event_id} in the journal")
        return json_response({})

    def count_requests(self, request: Request, _: dict[str, str]) -> Response:
        found = self.engine.find_requests(_request_pattern(read_json(request)))
        return json_response({"count": len(found), "requestJournalDisabled": self._journal_disabled})

    def find_requests(self, request: Request, _: dict[str, str]) -> Response:
        found = self.engine.find_requests(_request_pattern(read_json(request)))
        return json_response(
            {
                "requests": [request_to_json(e.request, show_credentials=self.show) for e in found],
                "requestJournalDisabled": self._journal_disabled,
            }
        )

    def remove_requests(self, request: Request, _: dict[str, str]) -> Response:
        compiled = compile_pattern(_request_pattern(read_json(request)))
        removed = self.engine.remove_requests(lambda event: compiled.match(event.request).matched)
        return json_response({"serveEvents": [serve_event_to_json(e, show_credentials=self.show) for e in removed]})

    def remove_requests_by_metadata(self, request: Request, _: dict[str, str]) -> Response:
        matches = metadata_matcher(read_json(request))
        removed = self.engine.remove_requests(lambda event: event.stub is not None and matches(event.stub))
        return json_response({"serveEvents": [serve_event_to_json(e, show_credentials=self.show) for e in removed]})

    def unmatched_requests(self, request: Request, _: dict[str, str]) -> Response:
        events = self.engine.unmatched()
        return json_response(
            {
                "requests": [request_to_json(e.request, show_credentials=self.show) for e in events],
                "requestJournalDisabled": self._journal_disabled,
            }
        )

    def unmatched_near_misses(self, request: Request, _: dict[str, str]) -> Response:
        misses = [miss for event in self.engine.unmatched() for miss in self.engine.near_misses(event.request)]
        return json_response({"nearMisses": [near_miss_to_json(miss, show_credentials=self.show) for miss in misses]})

    def near_misses_for_request(self, request: Request, _: dict[str, str]) -> Response:
        logged = _logged_request(read_json(request))
        return json_response(
            {"nearMisses": [near_miss_to_json(m, show_credentials=self.show) for m in self.engine.near_misses(logged)]}
        )

    def near_misses_for_pattern(self, request: Request, _: dict[str, str]) -> Response:
        pattern = _request_pattern(read_json(request))
        return json_response(
            {
                "nearMisses": [
                    near_miss_to_json(m, show_credentials=self.show)
                    for m in self.engine.near_misses_for_pattern(pattern)
                ]
            }
        )

    @property
    def _journal_disabled(self) -> bool:
        return self.engine.journal.capacity == 0


def _request_pattern(data: Any) -> RequestPattern:
    try:
        return pattern_from_mapping(data, source="admin API")
    except MappingError as exc:
        raise AdminError(400, "Invalid request pattern", exc.message, pointer=exc.pointer) from None


def _logged_request(data: Any) -> Request:
    """A request as WireMock logs it (``url``, ``method``, ``headers``, ``body`` ...) back into a :class:`Request`."""
    if not isinstance(data, Mapping):
        raise AdminError(400, "Invalid logged request", 'the body must be a request such as {"url": "/x", ...}')
    from .payloads import _LoggedRequestModel, validate

    model = validate(_LoggedRequestModel, data, "Invalid logged request")
    headers: list[tuple[str, str]] = []
    for name, value in (model.headers or {}).items():
        headers.extend((name, v) for v in ([value] if isinstance(value, str) else value))
    names = {name.lower() for name, _ in headers}
    if model.cookies and "cookie" not in names:
        pairs = [(k, v) for k, vs in model.cookies.items() for v in ([vs] if isinstance(vs, str) else vs)]
        headers.append(("Cookie", "; ".join(f"{k}={v}" for k, v in pairs)))
    auth = model.basicAuthCredentials
    if auth is not None and "authorization" not in names:
        token = base64.b64encode(f"{auth.username}:{auth.password}".encode()).decode("ascii")
        headers.append(("Authorization", f"Basic {token}"))
    body = base64.b64decode(model.bodyAsBase64) if model.bodyAsBase64 else (model.body or "").encode("utf-8")
    path, _, query = model.url.partition("?")
    client = (model.clientIp, 0) if model.clientIp else None
    timestamp = model.loggedDate / 1000 if model.loggedDate is not None else None
    return Request(model.method, path, query, headers, body, client=client, timestamp=timestamp)
